import BanliCore
import BanliSecrets
import Foundation
import GRDB

/// Unit registration and bearer tokens (hub only). Tokens are stored as SHA-256 hashes, never in clear.
extension Store {
    /// Registers a unit in the directory and issues its token; returns the token, shown once.
    public func addUnit(site: String, name: String, kind: String, nowMilliseconds: UInt64) throws -> String {
        guard info.isHub else {
            throw BanliError(.permissionDenied, "Only the hub's store registers units; run this on the office's hub.")
        }
        _ = try Identifier.validSite(site)
        guard site != info.hubSite else {
            throw BanliError(.usage, "'\(site)' is the hub's own site name; choose another name for the unit.")
        }
        guard !name.isEmpty else { throw BanliError(.usage, "Give the unit a name with --name (for example --name 市经信局).") }
        let exists = try reading { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM unit_token WHERE site = ?)", arguments: [site]) ?? false
        }
        guard !exists else {
            throw BanliError(.usage, "Unit '\(site)' is already registered; use 'banli hub rotate-token \(site)' for a new token.")
        }
        let token = "bnl_" + Digest.randomHex(bytes: 32)
        let unit = EntityKey.unit(site: site)
        try write([
            LocalWrite(entity: unit, field: "name", value: .string(name)),
            LocalWrite(entity: unit, field: "kind", value: .string(kind)),
        ], nowMilliseconds: nowMilliseconds)
        try transaction { db in
            try db.execute(
                sql: "INSERT INTO unit_token (site, tokenHash, createdAt) VALUES (?, ?, ?)",
                arguments: [site, Digest.tokenHash(token), Store.timestamp()])
        }
        return token
    }


    /// The registered units' sites, sorted.
    public func registeredUnits() throws -> [String] {
        try reading { db in try String.fetchAll(db, sql: "SELECT site FROM unit_token ORDER BY site") }
    }
}

extension Store {
    /// Replaces a unit's token; the old one stops working at once. Returns the new token, shown once.
    public func rotateToken(site: String) throws -> String {
        guard info.isHub else {
            throw BanliError(.permissionDenied, "Only the hub's store holds tokens; run this on the office's hub.")
        }
        _ = try Identifier.validSite(site)
        let token = "bnl_" + Digest.randomHex(bytes: 32)
        let changed = try transaction { db -> Int in
            try db.execute(sql: "UPDATE unit_token SET tokenHash = ?, createdAt = ? WHERE site = ?",
                           arguments: [Digest.tokenHash(token), Store.timestamp(), site])
            return db.changesCount
        }
        guard changed == 1 else {
            throw BanliError(.notFound, "Unit '\(site)' is not registered; register it with 'banli hub add-unit \(site) --name …'.")
        }
        return token
    }
}

extension Store {
    /// Hub: issues an operator token for the admin listener (status page, status API, metrics).
    public func addOperator(name: String) throws -> String {
        guard info.isHub else { throw BanliError(.permissionDenied, "Only the hub's store holds operator tokens; run this on the office's hub.") }
        _ = try Identifier.validSite(name)
        let token = "bnlop_" + Digest.randomHex(bytes: 32)
        try transaction { db in
            try db.execute(sql: "INSERT OR REPLACE INTO operator_token (name, tokenHash, createdAt) VALUES (?, ?, ?)",
                           arguments: [name, Digest.tokenHash(token), Store.timestamp()])
        }
        return token
    }

    /// Hub: the operator tokens' hashes.
    public func operatorHashes() throws -> [String] {
        try reading { db in try String.fetchAll(db, sql: "SELECT tokenHash FROM operator_token") }
    }
}

extension Store {
    /// Hub: removes a unit's token; it stops working at once (the unit's data stays).
    public func removeUnit(site: String) throws {
        guard info.isHub else { throw BanliError(.permissionDenied, "Only the hub's store holds tokens; run this on the office's hub.") }
        _ = try Identifier.validSite(site)
        let removed = try transaction { db -> Int in
            try db.execute(sql: "DELETE FROM unit_token WHERE site = ?", arguments: [site])
            return db.changesCount
        }
        guard removed == 1 else { throw BanliError(.notFound, "Unit '\(site)' is not registered.") }
    }
}
