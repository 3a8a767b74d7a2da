import BanliCore
import BanliHubStorage
import BanliProtocol
import BanliSecrets
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The hub's storage on PostgreSQL: several `banli hub serve` processes on one database, all serving at once.
///
/// Work goes through a pooled `PostgresClient`; one dedicated connection LISTENs for `banli_changes` to wake
/// long-polls across processes (a signal only: the state is in the tables). There is no in-memory unit book:
/// every exchange writes its unit's bookkeeping so that it only moves forward, whichever process writes it.
///
/// **No gaps in the change order.** A pulling unit's cursor must never step over a change that commits later.
/// Every transaction that takes change numbers (a push that changes the hub, an office write) first locks the one
/// counters row (`SELECT clock, seq FROM hub WHERE id = 1 FOR UPDATE`, READ COMMITTED), takes its numbers after
/// the seq it reads there, writes its rows, stores the new seq in that row, and commits, which releases the lock.
/// So number-taking transactions run one after another in number order: the next one reads the counters row only
/// once the previous one committed (PostgreSQL re-reads a locked row's newest version in READ COMMITTED). Any
/// snapshot therefore sees a prefix of them: the changes numbered up to the counters row's seq it sees, and none
/// after it. Readers (quiet exchanges, `hasChanges`, `headChangeNumber`) read in one snapshot (`REPEATABLE READ
/// READ ONLY` for several statements, one statement's own snapshot otherwise), head and rows together, so a cursor
/// handed out (the head, or the last row of a full page) never passes a change that is not yet visible. A
/// pushing exchange answers inside its own transaction while it holds the lock, so it sees the same prefix plus
/// its own rows. The price is that hub writes are serialized across processes, as on SQLite; reads are not.
public final class PostgresHubStorage: HubStorage, Sendable {
    public let hubSite: String
    public let hubId: String
    /// Where the database is (its `redacted` form names it in errors).
    public let location: PostgresLocation
    let client: PostgresClient
    let key: [UInt8]
    let logger: Logger
    let signal: ChangeSignal

    /// How long an operation waits for a pooled connection before it asks the database directly whether it is there. If
    /// it is not, the operation answers `.storeUnavailable` with the cause; if it is, the pool is busy, not the database
    /// down, and the operation waits in the queue up to `busyLeaseTimeout` (a burst of bureaus, well inside their 60 s
    /// request timeout).
    static let leaseTimeout: Duration = .seconds(5)
    static let busyLeaseTimeout: Duration = .seconds(25)

    init(hubSite: String, hubId: String, location: PostgresLocation, client: PostgresClient, key: [UInt8], logger: Logger, signal: ChangeSignal) {
        self.hubSite = hubSite
        self.hubId = hubId
        self.location = location
        self.client = client
        self.key = key
        self.logger = logger
        self.signal = signal
    }

    /// The office creating a hub: its site name and its name.
    public struct NewHub: Sendable {
        public var site: String
        public var name: String

        public init(site: String, name: String) {
            self.site = site
            self.name = name
        }
    }

    /// Opens the hub in the database at `location` (or creates it there, with `create`), runs the database client
    /// and the LISTEN connection for `body`'s lifetime, and shuts them down after. The CLI's commands and
    /// `hub serve` (its body is the whole server's run) both use it.
    ///
    /// `keyFile` is the hub key file (`key_file`): the first one used is recorded in the database, and every
    /// process must give the same one.
    public static func withStorage<T: Sendable>(
        _ location: PostgresLocation, keyFile: String?, logger: Logger, create: NewHub? = nil,
        _ body: (PostgresHubStorage) async throws -> T
    ) async throws -> T {
        let password = try location.password()
        let client = PostgresClient(configuration: try location.clientConfiguration(password: password), backgroundLogger: logger)
        let listenConfig = try location.connectionConfiguration(password: password)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { await client.run() }
            do {
                let storage = try await open(client: client, location: location, keyFile: keyFile, logger: logger, create: create)
                let listener = ChangeListener(configuration: listenConfig, signal: storage.signal, location: location, logger: logger)
                group.addTask { await listener.run() }
                let result = try await body(storage)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Creates the hub in an empty database: refuses one that already holds a hub.
    public static func create(at location: PostgresLocation, site: String, name: String, keyFile: String?, logger: Logger) async throws {
        try await withStorage(location, keyFile: keyFile, logger: logger, create: NewHub(site: site, name: name)) { _ in }
    }

    /// Checks that the database at `location` holds a hub this release can serve, applying newer migrations.
    public static func open(at location: PostgresLocation, keyFile: String?, logger: Logger) async throws {
        try await withStorage(location, keyFile: keyFile, logger: logger) { _ in }
    }

    static func open(client: PostgresClient, location: PostgresLocation, keyFile: String?, logger: Logger, create: NewHub?) async throws -> PostgresHubStorage {
        if let create {
            _ = try Identifier.validSite(create.site)
            guard !create.name.isEmpty else { throw BanliError(.usage, "Give the office a name with --name (for example --name 市政府督查室).") }
        }
        let requestedKey = keyFile.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
        let (site, storeId, keyPath) = try await transaction(client, location: location, logger: logger) { conn in
            try await PostgresSchema.lock(conn, logger: logger)
            let version = try await PostgresSchema.version(conn, logger: logger)
            let hubRow = version == 0 ? nil : try await first(conn.query("SELECT site, store_id FROM hub WHERE id = 1", logger: logger),
                                                               as: (String, String).self)
            if let create {
                if let hubRow {
                    throw BanliError(.storeExists, "The database \(location.redacted) already holds a Banli hub (site \(hubRow.0), store id \(hubRow.1)); "
                                     + "give 'banli hub init' an empty database, or serve this one.")
                }
                try await PostgresSchema.migrate(conn, location: location, logger: logger)
                let storeId = Digest.randomHex(bytes: 16)
                try await conn.query("""
                    INSERT INTO hub (id, site, name, store_id, clock, seq, created_at)
                    VALUES (1, \(create.site), \(create.name), \(storeId), 0, 0, \(timestamp()))
                    """, logger: logger)
                let keyPath = try await recordKeyFile(conn, requested: requestedKey, location: location, logger: logger)
                return (create.site, storeId, keyPath)
            }
            guard let hubRow else {
                throw BanliError(.storeMissing, "The database \(location.redacted) has no Banli hub; run 'banli hub init --store \(location.redacted)' first.")
            }
            try await PostgresSchema.migrate(conn, location: location, logger: logger)
            let keyPath = try await recordKeyFile(conn, requested: requestedKey, location: location, logger: logger)
            return (hubRow.0, hubRow.1, keyPath)
        }
        let storage = PostgresHubStorage(hubSite: site, hubId: storeId, location: location, client: client,
                                         key: try HubKey.loadOrCreate(at: keyPath), logger: logger, signal: ChangeSignal())
        if let create {
            // The office's own directory entry, as 'banli hub init' writes it on SQLite.
            _ = try await storage.write([
                LocalWrite(.unit(site: create.site), "name", .string(create.name)),
                LocalWrite(.unit(site: create.site), "kind", .string("office")),
            ])
        }
        return storage
    }

    /// The hub key file: fixed for the hub's life, so every process and command signs with the same key.
    static func recordKeyFile(_ conn: PostgresConnection, requested: String?, location: PostgresLocation, logger: Logger) async throws -> String {
        let stored = try await first(conn.query("SELECT value FROM setting WHERE key = 'hubKeyFile'", logger: logger), as: String.self)
        if let stored, let requested, stored != requested {
            throw BanliError(.config, "This hub signs with the key file \(stored), but \(requested) was given (key_file); use the same key file everywhere.")
        }
        guard let path = stored ?? requested else {
            throw BanliError(.config, "A hub on PostgreSQL needs its key file named: set key_file in hub.toml (the same file for every hub process).")
        }
        if stored == nil {
            try await conn.query("INSERT INTO setting (key, value) VALUES ('hubKeyFile', \(path)) ON CONFLICT (key) DO NOTHING", logger: logger)
        }
        return path
    }

    // MARK: Connections and transactions

    /// How a transaction reads.
    enum Isolation: String {
        /// Writers: statement snapshots, ordered by the counters row's lock.
        case readCommitted = "READ COMMITTED"
        /// Readers: one snapshot for every statement.
        case snapshot = "REPEATABLE READ, READ ONLY"
    }

    /// Runs `body` in a transaction on a pooled connection; failures become Banli errors (`.storeUnavailable` when the
    /// database cannot be used now). PostgreSQL rolls back whatever a failed transaction did.
    @discardableResult
    func transaction<T: Sendable>(
        _ isolation: Isolation = .readCommitted, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await Self.transaction(client, isolation, location: location, logger: logger, body)
    }

    @discardableResult
    static func transaction<T: Sendable>(
        _ client: PostgresClient, _ isolation: Isolation = .readCommitted, location: PostgresLocation, logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection(client, location: location) { conn in
            try await conn.withTransaction(logger: logger) { conn in
                try await conn.query(PostgresQuery(unsafeSQL: "SET TRANSACTION ISOLATION LEVEL \(isolation.rawValue)"), logger: logger)
                return try await body(conn)
            }
        }
    }

    /// Runs `body` on a pooled connection, waiting at most `leaseTimeout` for one.
    @discardableResult
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.withConnection(client, location: location, body)
    }

    @discardableResult
    static func withConnection<T: Sendable>(
        _ client: PostgresClient, location: PostgresLocation, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let leased = Flag()
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await client.withConnection { conn in
                        leased.set()
                        return try await body(conn)
                    }
                }
                // The pool queues a request while it cannot connect; give up on the lease, never on the work once leased.
                group.addTask {
                    try await Task.sleep(for: leaseTimeout)
                    if leased.isSet { return nil }
                    // The pool only says that it gave no connection: one direct attempt names the cause (TLS, login, refused).
                    if let failure = await location.connectionFailure() { throw failure }
                    try await Task.sleep(for: busyLeaseTimeout - leaseTimeout)
                    if leased.isSet { return nil }
                    throw PostgresFailure.LeaseTimeout(busy: true)
                }
                while let next = try await group.next() {
                    if let result = next {
                        group.cancelAll()
                        return result
                    }
                }
                throw CancellationError()
            }
        } catch {
            // Unwrap a transaction's error: the body's failure (or the commit's) is what matters.
            if let t = error as? PostgresTransactionError {
                throw PostgresFailure.banliError(t.closureError ?? t.commitError ?? t.beginError ?? error, location: location)
            }
            throw PostgresFailure.banliError(error, location: location)
        }
    }

    /// The first row of `rows` decoded as one column, or nil.
    static func first<C: PostgresDecodable>(_ rows: PostgresRowSequence, as type: C.Type) async throws -> C? {
        for try await row in rows { return try row.decode(C.self) }
        return nil
    }

    /// The first row of `rows` decoded as a tuple of columns, or nil.
    static func first<each C: PostgresDecodable>(_ rows: PostgresRowSequence, as type: (repeat each C).Type) async throws -> (repeat each C)? {
        for try await row in rows { return try row.decode(type) }
        return nil
    }

    /// Every row of `rows` decoded as one column.
    static func all<C: PostgresDecodable>(_ rows: PostgresRowSequence, as type: C.Type) async throws -> [C] {
        var out: [C] = []
        for try await row in rows { out.append(try row.decode(C.self)) }
        return out
    }

    /// Every row of `rows` decoded as a tuple of columns.
    static func all<each C: PostgresDecodable>(_ rows: PostgresRowSequence, as type: (repeat each C).Type) async throws -> [(repeat each C)] {
        var out: [(repeat each C)] = []
        for try await row in rows { out.append(try row.decode(type)) }
        return out
    }

    /// An ISO 8601 UTC timestamp, as the SQLite store writes them.
    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(.iso8601)
    }

    // MARK: HubStorage: reads

    public func headChangeNumber() async throws -> Int64 {
        let logger = self.logger
        return try await withConnection { conn in
            try await Self.first(conn.query("SELECT seq FROM hub WHERE id = 1", logger: logger), as: Int64.self) ?? 0
        }
    }

    public func nextChange(after head: Int64, within: Duration) async throws -> Int64 {
        let deadline = ContinuousClock.now + within
        while true {
            // The wake-up count before the head: a notification after this read is not missed.
            let seen = signal.current
            let seq = try await headChangeNumber()
            if seq != head || ContinuousClock.now >= deadline || Task.isCancelled { return seq }
            await signal.wait(after: seen, until: deadline)
        }
    }

    public func ping() async throws {
        let logger = self.logger
        let location = self.location
        let client = self.client
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await Self.withConnection(client, location: location) { conn in
                    try await conn.query("SELECT 1", logger: logger)
                }
                return true
            }
            group.addTask {
                try await Task.sleep(for: .seconds(2))
                return false
            }
            let answered = try await group.next() ?? false
            group.cancelAll()
            guard answered else {
                throw BanliError(.storeUnavailable, "The database \(location.redacted) did not answer within 2 s; check that it is running and reachable.")
            }
        }
    }

    public func hasChanges(for unit: String, after cursor: Int64) async throws -> Bool {
        let logger = self.logger
        return try await withConnection { conn in
            try await Self.first(conn.query("""
                SELECT EXISTS (SELECT 1 FROM field f
                WHERE f.seq > \(cursor) AND (f.echo IS NULL OR f.echo <> \(unit))
                  AND (f.item IS NULL OR EXISTS (SELECT 1 FROM access a WHERE a.site = \(unit) AND a.item = f.item
                                                 AND (a.revoked_seq IS NULL OR f.seq <= a.revoked_seq))))
                """, logger: logger), as: Bool.self) ?? false
        }
    }

    public func tokenHashes() async throws -> [UnitTokenHash] {
        let logger = self.logger
        return try await withConnection { conn in
            try await Self.all(conn.query("SELECT site, token_hash FROM unit_token ORDER BY site", logger: logger), as: (String, String).self)
                .map { UnitTokenHash(site: $0.0, hash: $0.1) }
        }
    }

    public func operatorTokenHashes() async throws -> [String] {
        let logger = self.logger
        return try await withConnection { conn in
            try await Self.all(conn.query("SELECT token_hash FROM operator_token ORDER BY name", logger: logger), as: String.self)
        }
    }

    public func registeredUnits() async throws -> [String] {
        let logger = self.logger
        return try await withConnection { conn in
            try await Self.all(conn.query("SELECT site FROM unit_token ORDER BY site", logger: logger), as: String.self)
        }
    }

    public func recordFailure(unit: String, failure: UnitFailure, nowMilliseconds: UInt64) async throws {
        let logger = self.logger
        let error = failure.stored
        let now = Int64(nowMilliseconds)
        try await transaction { conn in
            // Only a newer contact changes the row: another process may have written a later exchange already.
            try await conn.query("""
                INSERT INTO unit_status AS u (site, last_contact_at, last_error) VALUES (\(unit), \(now), \(error))
                ON CONFLICT (site) DO UPDATE SET last_contact_at = EXCLUDED.last_contact_at, last_error = EXCLUDED.last_error
                WHERE COALESCE(u.last_contact_at, 0) <= EXCLUDED.last_contact_at
                """, logger: logger)
        }
    }

    /// Every exchange has written its bookkeeping already: nothing is held in memory.
    public func flushUnitBook() async throws {}

    public func unitStatuses() async throws -> [String: UnitStatusRow] {
        let logger = self.logger
        return try await withConnection { conn in
            var out: [String: UnitStatusRow] = [:]
            let rows = try await conn.query("""
                SELECT site, last_contact_at, last_success_at, last_error, backlog, rejected, clock_offset_ms, client_version FROM unit_status
                """, logger: logger)
            for try await (site, contact, success, error, backlog, rejected, offset, version)
                in rows.decode((String, Int64?, Int64?, String?, Int64, Int64, Int64?, String?).self) {
                out[site] = UnitStatusRow(site: site, lastContactAt: contact, lastSuccessAt: success, lastError: error, backlog: Int(backlog),
                                          rejected: Int(rejected), clockOffsetMs: offset, clientVersion: version)
            }
            return out
        }
    }

    public func directoryFields() async throws -> [ReplicatedField] {
        let logger = self.logger
        return try await withConnection { conn in
            try await Self.decodeFields(conn.query(
                "SELECT entity, field, value, state FROM field WHERE item IS NULL ORDER BY entity, field", logger: logger))
        }
    }

    public func conflicts() async throws -> [ReplicatedField] {
        let logger = self.logger
        return try await withConnection { conn in
            try await Self.decodeFields(conn.query("SELECT entity, field, value, state FROM field WHERE conflict ORDER BY entity, field", logger: logger))
        }
    }

    public func itemCount() async throws -> Int {
        let logger = self.logger
        return try await withConnection { conn in
            try await Self.first(conn.query("SELECT COUNT(DISTINCT item) FROM field WHERE item IS NOT NULL", logger: logger), as: Int.self) ?? 0
        }
    }

    public func reduceItems<State: Sendable>(
        into initial: State, _ update: @escaping @Sendable (inout State, HubItemFields) throws -> Void
    ) async throws -> State {
        let logger = self.logger
        return try await transaction(.snapshot) { conn in
            var state = initial
            var current: String?
            var fields: [ReplicatedField] = []
            func flush() throws {
                guard let id = current else { return }
                fields.sort { ($0.entity, $0.field) < ($1.entity, $1.field) }
                try update(&state, HubItemFields(id: id, fields: fields))
                fields.removeAll(keepingCapacity: true)
            }
            let rows = try await conn.query(
                "SELECT entity, field, value, state, item FROM field WHERE item IS NOT NULL ORDER BY item", logger: logger)
            for try await (entity, field, value, bytes, item) in rows.decode((String, String, String, ByteBuffer, String).self) {
                if item != current {
                    try flush()
                    current = item
                }
                if let f = try Self.decodeField(entity: entity, field: field, value: value, state: bytes) { fields.append(f) }
            }
            try flush()
            return state
        }
    }

    // MARK: Decoding stored rows

    /// Decodes rows of (entity, field, value, state), skipping fields this release does not know.
    static func decodeFields(_ rows: PostgresRowSequence) async throws -> [ReplicatedField] {
        var out: [ReplicatedField] = []
        for try await (entity, field, value, bytes) in rows.decode((String, String, String, ByteBuffer).self) {
            if let f = try decodeField(entity: entity, field: field, value: value, state: bytes) { out.append(f) }
        }
        return out
    }

    /// One stored field, its checksum checked; nil for a field this release does not know.
    static func decodeField(entity: String, field: String, value: String, state: ByteBuffer) throws -> ReplicatedField? {
        guard let key = try? EntityKey(parsing: entity), let spec = FieldCatalogue.spec(key.kind, field) else { return nil }
        return ReplicatedField(entity: key, spec: spec, state: try decodeState(state, value: value, entity: entity, field: field))
    }

    static func decodeState(_ bytes: ByteBuffer, value: String, entity: String, field: String) throws -> FieldState {
        do {
            return try bytes.withUnsafeReadableBytes { try FieldState(storedForm: $0, valueJSON: value) { try JSONValue.parse(value) } }
        } catch {
            throw unreadable(entity: entity, field: field, error)
        }
    }

    /// The error for a stored state that fails its checksum or does not decode: which row, and how to recover.
    static func unreadable(entity: String, field: String, _ error: any Error) -> BanliError {
        let why = (error as? BanliError) == FieldState.checksumMismatch ? "its checksum does not match" : "it does not decode"
        return BanliError(.io, "The stored state of \(TerminalText.escaped(entity)) field \(TerminalText.escaped(field)) is damaged (\(why)); "
            + "restore the database from a backup, then let the bureaus sync to get back later changes.")
    }
}

/// A flag set once, read from another task.
final class Flag: @unchecked Sendable {
    // Unchecked: `value` is touched only under `lock`.
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
