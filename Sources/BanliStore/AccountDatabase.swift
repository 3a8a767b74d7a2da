import BanliAccounts
import BanliCore
import Foundation
import GRDB

/// The web workbench's accounts in their own SQLite file (WAL, mode 0600: it holds password hashes).
///
/// Every row lives in the file, none only in memory, so several web processes may share it.
public final class AccountDatabase: AccountStore {
    /// The database file.
    public let path: String
    let pool: DatabasePool

    private init(path: String, pool: DatabasePool) {
        self.path = path
        self.pool = pool
    }

    /// Opens the accounts file at `path`, creating it (mode 0600) when there is none, and migrates it.
    /// A file that is some other database (a Banli store, say) is refused and left as it was.
    public static func open(at path: String) throws -> AccountDatabase {
        if !FileManager.default.fileExists(atPath: path) {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
                throw BanliError(.storeMissing, "The folder \(dir) for the accounts file does not exist; create it first (for example: mkdir -p \(dir)).")
            }
            try Store.createPrivateFile(path)
        }
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            let foreign = try pool.read { db in
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
                return !tables.isEmpty && !tables.contains("web_user")
            }
            guard !foreign else {
                throw BanliError(.config, "\(path) is another database, not a Banli accounts file; give the accounts file's path "
                                 + "([web] accounts or --accounts), never the store's.")
            }
            try migrator.migrate(pool)
            return AccountDatabase(path: path, pool: pool)
        } catch {
            throw describe(error, path: path)
        }
    }

    /// The versioned schema. Add a migration for every change; never edit a shipped one.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("accounts-v1") { db in
            try db.execute(sql: """
                CREATE TABLE web_user (
                    name TEXT PRIMARY KEY,
                    role TEXT NOT NULL,
                    passwordHash TEXT NOT NULL,   -- PasswordHash's stored form, never the password
                    disabled INTEGER NOT NULL DEFAULT 0,
                    createdAt INTEGER NOT NULL    -- unix ms
                );
                CREATE TABLE web_session (
                    tokenHash TEXT PRIMARY KEY,   -- SHA-256 of the cookie's token, never the token
                    userName TEXT NOT NULL REFERENCES web_user(name) ON DELETE CASCADE,
                    csrfToken TEXT NOT NULL,
                    createdAt INTEGER NOT NULL,
                    lastSeenAt INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX web_session_user ON web_session(userName);
                CREATE TABLE login_failure (
                    id INTEGER PRIMARY KEY,
                    account TEXT,                 -- the name tried (known or not); NULL for a malformed one
                    address TEXT NOT NULL,
                    at INTEGER NOT NULL           -- unix ms; rows older than the throttle's horizon are pruned
                );
                CREATE INDEX login_failure_account ON login_failure(account, at);
                CREATE INDEX login_failure_address ON login_failure(address, at);
                CREATE INDEX login_failure_at ON login_failure(at);
                """)
        }
        return m
    }

    public func user(named name: String) throws -> StoredUser? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM web_user WHERE name = ?", arguments: [name]).map(storedUser) }
    }

    public func allUsers() throws -> [StoredUser] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM web_user ORDER BY name").map(storedUser) }
    }

    public func insertUser(_ user: StoredUser) throws -> Bool {
        try write { db in
            try db.execute(sql: """
                INSERT INTO web_user (name, role, passwordHash, disabled, createdAt) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (name) DO NOTHING
                """, arguments: [user.user.name, user.user.role.rawValue, user.passwordHash, user.user.disabled, Int64(user.user.createdAt)])
            return db.changesCount == 1
        }
    }

    public func updateUser(named name: String, passwordHash: String?, disabled: Bool?, endingSessions: Bool) throws -> Bool {
        try write { db in
            try db.execute(sql: """
                UPDATE web_user SET passwordHash = COALESCE(?, passwordHash), disabled = COALESCE(?, disabled) WHERE name = ?
                """, arguments: [passwordHash, disabled, name])
            guard db.changesCount == 1 else { return false }
            if endingSessions { try db.execute(sql: "DELETE FROM web_session WHERE userName = ?", arguments: [name]) }
            return true
        }
    }

    public func insertSession(_ s: StoredSession) throws {
        try write { db in
            try db.execute(sql: "INSERT INTO web_session (tokenHash, userName, csrfToken, createdAt, lastSeenAt) VALUES (?, ?, ?, ?, ?)",
                           arguments: [s.tokenHash, s.userName, s.csrfToken, Int64(s.createdAt), Int64(s.lastSeenAt)])
        }
    }

    public func session(tokenHash: String) throws -> StoredSession? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM web_session WHERE tokenHash = ?", arguments: [tokenHash]).map { r in
                StoredSession(tokenHash: r["tokenHash"], userName: r["userName"], csrfToken: r["csrfToken"],
                              createdAt: UInt64(max(r["createdAt"] as Int64, 0)), lastSeenAt: UInt64(max(r["lastSeenAt"] as Int64, 0)))
            }
        }
    }

    public func touchSession(tokenHash: String, at time: UInt64) throws {
        try write { db in
            try db.execute(sql: "UPDATE web_session SET lastSeenAt = MAX(lastSeenAt, ?) WHERE tokenHash = ?", arguments: [Int64(time), tokenHash])
        }
    }

    public func deleteSession(tokenHash: String) throws {
        try write { db in try db.execute(sql: "DELETE FROM web_session WHERE tokenHash = ?", arguments: [tokenHash]) }
    }

    public func deleteSessions(lastSeenBefore: UInt64, createdBefore: UInt64) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM web_session WHERE lastSeenAt < ? OR createdAt < ?",
                           arguments: [Int64(lastSeenBefore), Int64(createdBefore)])
        }
    }

    public func recordFailure(account: String?, address: String, at time: UInt64) throws {
        try write { db in
            try db.execute(sql: "INSERT INTO login_failure (account, address, at) VALUES (?, ?, ?)", arguments: [account, address, Int64(time)])
        }
    }

    public func recentFailures(account: String?, address: String, since: UInt64) throws -> (account: [UInt64], address: [UInt64]) {
        try write { db in
            try db.execute(sql: "DELETE FROM login_failure WHERE at < ?", arguments: [Int64(since)])
            let byAccount = try account.map { try Int64.fetchAll(db, sql: "SELECT at FROM login_failure WHERE account = ?", arguments: [$0]) } ?? []
            let byAddress = try Int64.fetchAll(db, sql: "SELECT at FROM login_failure WHERE address = ?", arguments: [address])
            return (byAccount.map { UInt64(max($0, 0)) }, byAddress.map { UInt64(max($0, 0)) })
        }
    }

    public func clearFailures(account: String) throws {
        try write { db in try db.execute(sql: "DELETE FROM login_failure WHERE account = ?", arguments: [account]) }
    }

    private func storedUser(_ r: Row) throws -> StoredUser {
        let name: String = r["name"], role: String = r["role"]
        guard let webRole = WebRole(rawValue: role) else {
            throw BanliError(.io, "The accounts file \(path) gives \(name) the unknown role '\(role)'; "
                             + "restore the file from a backup (the roles are clerk, viewer, office and admin).")
        }
        return StoredUser(user: WebUser(name: name, role: webRole, disabled: r["disabled"], createdAt: UInt64(max(r["createdAt"] as Int64, 0))),
                          passwordHash: r["passwordHash"])
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw Self.describe(error, path: path) }
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch { throw Self.describe(error, path: path) }
    }

    /// SQLite failures as one sentence; a file that is no database at all is named as not an accounts file.
    static func describe(_ error: Error, path: String) -> BanliError {
        if let e = error as? DatabaseError, e.resultCode == .SQLITE_NOTADB {
            return BanliError(.config, "\(path) is not a Banli accounts file (not an SQLite database); give the accounts file's path "
                              + "([web] accounts or --accounts), or move this file away so a new one is made.")
        }
        return Store.describe(error, path: path)
    }
}
