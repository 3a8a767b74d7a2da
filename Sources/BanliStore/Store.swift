import BanliCore
import BanliHubStorage
import BanliSecrets
import Foundation
import GRDB

/// A Banli store: one SQLite file in WAL mode holding field states, history and the site's clock.
///
/// Every mutation runs in one transaction, so a crash leaves the store as it was before or after it.
public final class Store: Sendable {
    /// The database file.
    public let path: String
    /// Who this store is.
    public let info: SiteInfo
    let pool: DatabasePool
    /// Hub only: the secret that authenticates the hub's own writes (see `HubKey`).
    let hubKey: [UInt8]?
    /// Hub only: quiet exchanges' bookkeeping not yet written (see `UnitBook`).
    let unitBook = UnitBook()

    private init(path: String, pool: DatabasePool, info: SiteInfo, keyFile: String?) throws {
        self.path = path
        self.pool = pool
        self.info = info
        hubKey = info.isHub ? try HubKey.loadOrCreate(at: Store.keyPath(pool: pool, storePath: path, requested: keyFile)) : nil
    }

    /// The hub key file: fixed for the store's life, so every command signs with the same key.
    /// The first path used (the requested one, else `STORE.key`) is recorded in the store.
    static func keyPath(pool: DatabasePool, storePath: String, requested: String?) throws -> String {
        do {
            return try pool.write { db in
                let stored = try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'hubKeyFile'")
                let requested = requested.map(absolute)
                if let stored, let requested, stored != requested {
                    throw BanliError(.config, "This hub store signs with the key file \(stored), but \(requested) was given (key_file); "
                                     + "use the same key file everywhere.")
                }
                let path = stored ?? requested ?? absolute(storePath + ".key")
                if stored == nil {
                    try db.execute(sql: "INSERT INTO setting (key, value) VALUES ('hubKeyFile', ?)", arguments: [path])
                }
                return path
            }
        } catch let e as BanliError {
            throw e
        } catch {
            throw describe(error, path: storePath)
        }
    }

    /// Creates a new store file; refuses to overwrite an existing one.
    public static func create(at path: String, site: String, name: String, hubSite: String, isHub: Bool, keyFile: String? = nil) throws -> Store {
        _ = try Identifier.validSite(site)
        _ = try Identifier.validSite(hubSite)
        guard !FileManager.default.fileExists(atPath: path) else {
            throw BanliError(.storeExists, "A store already exists at \(path); choose another path or remove it first.")
        }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
            throw BanliError(.storeMissing, "The folder \(dir) does not exist; create it first (for example: mkdir -p \(dir)).")
        }
        try createPrivateFile(path)
        let pool = try openPool(path)
        let info = SiteInfo(site: site, name: name, hubSite: hubSite, isHub: isHub, storeId: Digest.randomHex(bytes: 16))
        do {
            try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO site (id, site, name, hubSite, isHub, storeId, clock, seq, createdAt)
                        VALUES (1, ?, ?, ?, ?, ?, 0, 0, ?)
                        """,
                    arguments: [site, name, hubSite, isHub, info.storeId, Self.timestamp()])
            }
        } catch {
            throw Store.describe(error, path: path)
        }
        return try Store(path: path, pool: pool, info: info, keyFile: keyFile)
    }

    /// Opens an existing store, migrating it to the current schema. A hub store also loads (or makes)
    /// its key, by default `PATH.key`.
    public static func open(at path: String, keyFile: String? = nil) throws -> Store {
        guard FileManager.default.fileExists(atPath: path) else {
            throw BanliError(.storeMissing, "No store at \(path); create one with 'banli init' (bureau) or 'banli hub init' (office), or pass --store.")
        }
        let pool = try openPool(path)
        do {
            let info = try pool.read { db -> SiteInfo? in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM site WHERE id = 1") else { return nil }
                return SiteInfo(site: row["site"], name: row["name"], hubSite: row["hubSite"], isHub: row["isHub"], storeId: row["storeId"])
            }
            guard let info else {
                throw BanliError(.storeMissing, "\(path) is not an initialised Banli store; create it with 'banli init' or 'banli hub init'.")
            }
            if try pool.read({ db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM setting WHERE key = 'migrating')") ?? false }) {
                throw BanliError(.storeMissing, "\(path) holds an interrupted 'banli hub migrate'; delete it and run the migration again.")
            }
            return try Store(path: path, pool: pool, info: info, keyFile: keyFile)
        } catch let e as BanliError {
            throw e
        } catch {
            throw Store.describe(error, path: path)
        }
    }

    private static func openPool(_ path: String) throws -> DatabasePool {
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.prepareDatabase { db in
            // Durable before we answer or report success: nothing lost, ever.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            try StoreSchema.migrator.migrate(pool)
            return pool
        } catch {
            throw describe(error, path: path)
        }
    }

    /// Creates an empty file readable by its owner only (SQLite takes an empty file as a new database and
    /// gives its -wal and -shm files the same mode), whatever the process umask.
    static func createPrivateFile(_ path: String) throws {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw BanliError(.io, "Cannot create \(path): \(BanliError.systemText(errno)).")
        }
        close(fd)
    }

    /// `path` made absolute against the working directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Turns an SQLite failure into one sentence that says what to do.
    static func describe(_ error: Error, path: String) -> BanliError {
        if let e = error as? BanliError { return e }
        if let e = error as? DatabaseError {
            switch e.resultCode {
            case .SQLITE_FULL:
                return BanliError(.storeUnavailable, "The disk holding \(path) is full; nothing was written. Free some space and try again.")
            case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN:
                return BanliError(.storeUnavailable, "Cannot write the store \(path) (\(e.message ?? "read-only")); check its permissions and owner.")
            case .SQLITE_IOERR:
                return BanliError(.storeUnavailable,
                                  "Cannot write the store \(path) (\(e.message ?? "I/O error")); check the disk (space, errors) and try again.")
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                return BanliError(.io, "\(path) is not a readable Banli store (\(e.message ?? "corrupt")); restore it from a backup.")
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return BanliError(.io, "The store \(path) stayed locked for 30 seconds; try again.")
            default:
                return BanliError(.io, "The store \(path) failed: \(e.message ?? "\(e.resultCode)").")
            }
        }
        return BanliError(.io, "The store \(path) failed: \(error).")
    }

    /// Runs `body` in one write transaction, mapping SQLite failures to clear errors.
    ///
    /// Inside an async access to the writer (`transaction(_:) async`, `onWriter(_:)`) it runs on that
    /// connection (GRDB forbids taking it twice): in a transaction of its own, or in a savepoint of the open one.
    @_disfavoredOverload
    func transaction<T>(_ body: (Database) throws -> T) throws -> T {
        try describingFailures {
            if let held = Store.held, held.writes {
                let db = held.db
                return try Store.committing(db, savepoint: db.isInsideTransaction, kind: nil, body)
            }
            return try Store.$held.withValue(nil) { try pool.write(body) }
        }
    }

    /// Runs `body` with a read-only snapshot. Inside an async access to a reader (`reading(_:) async`,
    /// `onReader(_:)`) it reads on that connection: the open snapshot, or a snapshot of its own.
    @_disfavoredOverload
    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        try describingFailures {
            if let held = Store.held, !held.writes {
                let db = held.db
                return db.isInsideTransaction ? try body(db) : try Store.committing(db, savepoint: false, kind: .deferred, body)
            }
            return try Store.$held.withValue(nil) { try pool.read(body) }
        }
    }

    /// Async counterpart of `transaction(_:)`: `body` runs in one write transaction on GRDB's writer
    /// queue, never on Swift's cooperative threads. The store's synchronous methods it calls join the transaction.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await describingFailures {
            try await pool.write { db in try Store.$held.withValue(HeldConnection(db: db, writes: true)) { try body(db) } }
        }
    }

    /// Async counterpart of `reading(_:)`: `body` reads one snapshot on one of GRDB's reader connections,
    /// never on Swift's cooperative threads. The store's synchronous reads it calls read the same snapshot.
    func reading<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await describingFailures {
            try await pool.read { db in try Store.$held.withValue(HeldConnection(db: db, writes: false)) { try body(db) } }
        }
    }

    /// Runs synchronous store methods that take their own snapshots (a quiet exchange reads the unit book
    /// before its snapshot) on one of GRDB's reader connections, never on Swift's cooperative threads.
    func onReader<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await describingFailures {
            try await pool.unsafeRead { db in try Store.$held.withValue(HeldConnection(db: db, writes: false)) { try work() } }
        }
    }

    /// Runs synchronous store methods that commit their own transactions (the exchange, the unit book's
    /// flush) on GRDB's writer queue, never on Swift's cooperative threads: each of their transactions
    /// commits before they go on, as when they run on their own.
    func onWriter<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await describingFailures {
            try await pool.writeWithoutTransaction { db in
                try Store.$held.withValue(HeldConnection(db: db, writes: true)) { try work() }
            }
        }
    }

    /// Runs a store access, passing task cancellation through (GRDB throws `CancellationError` from a
    /// cancelled access; a daemon or hub stopping is not a store failure) and describing every other failure.
    private func describingFailures<T>(_ access: () throws -> T) throws -> T {
        do {
            return try access()
        } catch let cancelled as CancellationError {
            throw cancelled
        } catch {
            throw Store.describe(error, path: path)
        }
    }

    private func describingFailures<T>(_ access: () async throws -> T) async throws -> T {
        do {
            return try await access()
        } catch let cancelled as CancellationError {
            throw cancelled
        } catch {
            throw Store.describe(error, path: path)
        }
    }

    /// Runs `body` in a savepoint of the open transaction, or else in a transaction of `kind`, and commits it.
    private static func committing<T>(
        _ db: Database, savepoint: Bool, kind: Database.TransactionKind?, _ body: (Database) throws -> T
    ) throws -> T {
        var result: T?
        if savepoint {
            try db.inSavepoint {
                result = try body(db)
                return .commit
            }
        } else {
            try db.inTransaction(kind) {
                result = try body(db)
                return .commit
            }
        }
        return result!
    }

    /// The GRDB connection an async access holds on this task while its closure runs.
    struct HeldConnection: @unchecked Sendable {
        // Unchecked: only read by code running inside that closure, on the queue GRDB runs it on (GRDB checks each statement's queue).
        let db: Database
        let writes: Bool
    }

    @TaskLocal static var held: HeldConnection?

    /// An ISO 8601 UTC timestamp for history rows.
    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(.iso8601)
    }
}
