import BanliCore
import BanliSecrets
import Logging
import PostgresNIO

/// The office's own writes and the units' and operators' tokens (stored as SHA-256 hashes, never in clear).
extension PostgresHubStorage {
    /// Writes `writes` as the office in one transaction: permission check, new dot signed with the hub key, state,
    /// change number, history. Either every write lands or none does. `person` (checked by `PersonName`) is recorded on
    /// each history row.
    @discardableResult
    public func write(
        _ writes: [LocalWrite], nowMilliseconds: UInt64 = HybridLogicalClock.wallMilliseconds(), person: String? = nil
    ) async throws -> [WriteOutcome] {
        if let person { try PersonName.validated(person) }
        let checked = try check(writes)
        let (hubSite, key, logger) = (self.hubSite, self.key, self.logger)
        return try await transaction { conn in
            try await Self.write(conn, checked, hubSite: hubSite, key: key, nowMilliseconds: nowMilliseconds, person: person, logger: logger)
        }
    }

    /// Each write's field, checked against the catalogue, the office's permissions and the field's type.
    func check(_ writes: [LocalWrite]) throws -> [(LocalWrite, FieldSpec)] {
        try writes.map { w in
            let spec = try FieldCatalogue.require(w.entity.kind, w.field)
            try Permissions.check(site: hubSite, hubSite: hubSite, entity: w.entity, field: spec)
            try spec.type.validate(w.value, field: w.field)
            return (w, spec)
        }
    }

    /// The office's writes inside the caller's transaction, under the counters row's lock.
    static func write(
        _ conn: PostgresConnection, _ checked: [(LocalWrite, FieldSpec)], hubSite: String, key: [UInt8], nowMilliseconds: UInt64,
        person: String? = nil, logger: Logger
    ) async throws -> [WriteOutcome] {
        guard !checked.isEmpty else { return [] }
        let at = timestamp()
        var (clock, seq) = try await lockCounters(conn, logger: logger)
        var fields = StoredFields(hubSite: hubSite, logger: logger)
        try await fields.prefetch(conn, checked.map(\.0.entity))
        var outcomes: [WriteOutcome] = []
        for (w, spec) in checked {
            var f = try await fields.load(conn, entity: w.entity, spec: spec) ?? ReplicatedField(entity: w.entity, spec: spec, state: FieldState())
            let previous = f.visibleValue(hubSite: hubSite)
            let superseded = f.state.siblings.count
            let dot = Dot(site: hubSite, counter: clock.tick(nowMilliseconds: nowMilliseconds))
            let sig = HubKey.tag(key, entity: w.entity, field: w.field, sibling: Sibling(value: w.value, site: dot.site, counter: dot.counter))
            f.state.write(w.value, dot: dot, sig: sig)
            seq += 1
            let visible = try await fields.save(conn, f, seq: seq)
            try await fields.appendHistory(conn, entity: w.entity, field: w.field, sibling: f.state.siblings[0], valueJSON: visible?.json,
                                           origin: "local", via: hubSite, at: at, person: person)
            outcomes.append(WriteOutcome(entity: w.entity, field: w.field, previous: previous, value: w.value, dot: dot, superseded: superseded))
        }
        try await saveCounters(conn, clock: clock, seq: seq, changed: true, logger: logger)
        return outcomes
    }

    /// Registers a unit in the directory and issues its token, in one transaction; returns the token, shown once.
    public func addUnit(site: String, name: String, kind: String = "bureau", nowMilliseconds: UInt64 = HybridLogicalClock.wallMilliseconds())
        async throws -> String {
        _ = try Identifier.validSite(site)
        guard site != hubSite else { throw BanliError(.usage, "'\(site)' is the hub's own site name; choose another name for the unit.") }
        guard !name.isEmpty else { throw BanliError(.usage, "Give the unit a name with --name (for example --name 市经信局).") }
        let checked = try check([
            LocalWrite(.unit(site: site), "name", .string(name)),
            LocalWrite(.unit(site: site), "kind", .string(kind)),
        ])
        let token = "bnl_" + Digest.randomHex(bytes: 32)
        let (hubSite, key, logger) = (self.hubSite, self.key, self.logger)
        try await transaction { conn in
            // The counters row first, as every writer: two processes adding the same unit take turns.
            _ = try await Self.lockCounters(conn, logger: logger)
            let exists = try await Self.first(conn.query("SELECT EXISTS (SELECT 1 FROM unit_token WHERE site = \(site))", logger: logger),
                                              as: Bool.self) ?? false
            guard !exists else {
                throw BanliError(.usage, "Unit '\(site)' is already registered; use 'banli hub rotate-token \(site)' for a new token.")
            }
            _ = try await Self.write(conn, checked, hubSite: hubSite, key: key, nowMilliseconds: nowMilliseconds, logger: logger)
            try await conn.query("""
                INSERT INTO unit_token (site, token_hash, created_at) VALUES (\(site), \(Digest.tokenHash(token)), \(Self.timestamp()))
                """, logger: logger)
        }
        return token
    }

    /// Replaces a unit's token; the old one stops working at once. Returns the new token, shown once.
    public func rotateToken(site: String) async throws -> String {
        _ = try Identifier.validSite(site)
        let token = "bnl_" + Digest.randomHex(bytes: 32)
        let logger = self.logger
        let changed = try await transaction { conn in
            try await Self.first(conn.query("""
                UPDATE unit_token SET token_hash = \(Digest.tokenHash(token)), created_at = \(Self.timestamp()) WHERE site = \(site) RETURNING site
                """, logger: logger), as: String.self) != nil
        }
        guard changed else { throw BanliError(.notFound, "Unit '\(site)' is not registered; register it with 'banli hub add-unit \(site) --name …'.") }
        return token
    }

    /// Removes a unit's token; it stops working at once (the unit's data stays).
    public func removeUnit(site: String) async throws {
        _ = try Identifier.validSite(site)
        let logger = self.logger
        let removed = try await transaction { conn in
            try await Self.first(conn.query("DELETE FROM unit_token WHERE site = \(site) RETURNING site", logger: logger), as: String.self) != nil
        }
        guard removed else { throw BanliError(.notFound, "Unit '\(site)' is not registered.") }
    }

    /// Issues an operator token for the admin listener (status page, status API, metrics); returns it, shown once.
    public func addOperator(name: String) async throws -> String {
        _ = try Identifier.validSite(name)
        let token = "bnlop_" + Digest.randomHex(bytes: 32)
        let logger = self.logger
        try await transaction { conn in
            try await conn.query("""
                INSERT INTO operator_token (name, token_hash, created_at) VALUES (\(name), \(Digest.tokenHash(token)), \(Self.timestamp()))
                ON CONFLICT (name) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at
                """, logger: logger)
        }
        return token
    }
}
