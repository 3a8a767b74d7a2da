import BanliCore
import BanliHubStorage
import BanliOffice
import Dispatch
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The hub's PostgreSQL database as the commands' `RecordStore`. Commands are synchronous: each method waits for its
/// queries, which run on threads of their own (`BridgeExecutor`). The client runs for this object's life.
public final class PostgresRecords: RecordStore {
    /// The hub's storage, for what the server reads (the status report) and for async callers.
    public let storage: PostgresHubStorage
    public let info: SiteInfo
    public var path: String { storage.location.redacted }
    private let closing: Task<Void, any Error>
    private let done: AsyncStream<Void>.Continuation

    private init(storage: PostgresHubStorage, info: SiteInfo, closing: Task<Void, any Error>, done: AsyncStream<Void>.Continuation) {
        self.storage = storage
        self.info = info
        self.closing = closing
        self.done = done
    }

    deinit {
        done.finish()
    }

    /// Opens the hub in the database at `location` (or creates it there, with `create`).
    public static func open(
        _ location: PostgresLocation, keyFile: String?, logger: Logger, create: PostgresHubStorage.NewHub? = nil
    ) throws -> PostgresRecords {
        let (stop, done) = AsyncStream<Void>.makeStream()
        let opened = Mutex<Result<(PostgresHubStorage, String), any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let task = Task.detached(executorPreference: BridgeExecutor.shared) {
            do {
                try await PostgresHubStorage.withStorage(location, keyFile: keyFile, logger: logger, create: create) { storage in
                    let name = try await storage.hubName()
                    opened.withLock { $0 = .success((storage, name)) }
                    ready.signal()
                    for await _ in stop {}
                }
            } catch {
                opened.withLock { if $0 == nil { $0 = .failure(error) } }
                ready.signal()
                throw error
            }
        }
        ready.wait()
        let (storage, name) = try opened.withLock { $0! }.get()
        let info = SiteInfo(site: storage.hubSite, name: name, hubSite: storage.hubSite, isHub: true, storeId: storage.hubId)
        return PostgresRecords(storage: storage, info: info, closing: task, done: done)
    }

    /// Runs `work` on the client's threads and waits for it.
    @discardableResult
    func wait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Task.detached(executorPreference: BridgeExecutor.shared) {
            let r: Result<T, any Error>
            do { r = .success(try await work()) } catch { r = .failure(error) }
            result.withLock { $0 = r }
            finished.signal()
        }
        finished.wait()
        return try result.withLock { $0! }.get()
    }

    @discardableResult
    public func write(_ writes: [LocalWrite], nowMilliseconds: UInt64, person: String?) throws -> [WriteOutcome] {
        let storage = self.storage
        return try wait { try await storage.write(writes, nowMilliseconds: nowMilliseconds, person: person) }
    }

    public func field(_ entity: EntityKey, _ name: String) throws -> ReplicatedField? {
        _ = try FieldCatalogue.require(entity.kind, name)
        return try fields(where: "entity = $1 AND field = $2", [entity.description, name]).first
    }

    public func fields(ofItem id: String) throws -> [ReplicatedField] {
        try fields(where: "item = $1", [id])
    }

    public func allFields() throws -> [ReplicatedField] { try fields(where: "TRUE", []) }

    public func directoryFields() throws -> [ReplicatedField] {
        let storage = self.storage
        return try wait { try await storage.directoryFields() }
    }

    public func conflicts() throws -> [ReplicatedField] {
        let storage = self.storage
        return try wait { try await storage.conflicts() }
    }

    /// Fields whose rows match `condition` (with text parameters `$1…`), sorted by entity and field.
    private func fields(where condition: String, _ parameters: [String]) throws -> [ReplicatedField] {
        let storage = self.storage
        return try wait {
            try await storage.withConnection { conn in
                var bindings = PostgresBindings()
                for p in parameters { bindings.append(p) }
                let query = PostgresQuery(unsafeSQL: "SELECT entity, field, value, state FROM field WHERE \(condition) ORDER BY entity, field",
                                          binds: bindings)
                return try await PostgresHubStorage.decodeFields(conn.query(query, logger: storage.logger))
            }
        }
    }

    public func forEachItem(_ body: (ItemView) throws -> Void) throws {
        let hubSite = info.hubSite
        let views = try wait {
            try await self.storage.reduceItems(into: [ItemView]()) { views, item in
                views.append(ItemView(id: item.id, fields: item.fields, hubSite: hubSite))
            }
        }
        for v in views { try body(v) }
    }

    public func history(ofItem id: String) throws -> [HistoryEntry] {
        let storage = self.storage
        return try wait {
            try await storage.withConnection { conn in
                let rows = try await conn.query("""
                    SELECT entity, field, value, site, counter, origin, via, recorded_at, person FROM history WHERE item = \(id) ORDER BY id
                    """, logger: storage.logger)
                var out: [HistoryEntry] = []
                let columns = (String, String, String, String, Int64, String, String, String, String?).self
                for try await (e, f, v, s, c, o, via, at, person) in rows.decode(columns) {
                    out.append(HistoryEntry(entity: e, field: f, value: v, site: s, counter: UInt64(bitPattern: c), origin: o, via: via, recordedAt: at,
                                            person: person))
                }
                return out
            }
        }
    }

    public func entities(everHolding value: JSONValue, in fields: [String]) throws -> [String] {
        let storage = self.storage, json = value.canonicalJSON
        return try wait {
            try await storage.withConnection { conn in
                try await PostgresHubStorage.all(conn.query(
                    "SELECT DISTINCT entity FROM history WHERE field = ANY(\(fields)) AND value = \(json)", logger: storage.logger), as: String.self)
            }
        }
    }

    public func setting(_ key: String) throws -> String? {
        let storage = self.storage
        return try wait {
            try await storage.withConnection { conn in
                try await PostgresHubStorage.first(conn.query("SELECT value FROM setting WHERE key = \(key)", logger: storage.logger), as: String.self)
            }
        }
    }

    public func setSetting(_ key: String, _ value: String?) throws {
        let storage = self.storage
        try wait {
            try await storage.withConnection { conn in
                if let value {
                    try await conn.query("""
                        INSERT INTO setting (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
                        """, logger: storage.logger)
                } else {
                    try await conn.query("DELETE FROM setting WHERE key = \(key)", logger: storage.logger)
                }
            }
        }
    }

    public func addUnit(site: String, name: String, kind: String, nowMilliseconds: UInt64) throws -> String {
        let storage = self.storage
        return try wait { try await storage.addUnit(site: site, name: name, kind: kind, nowMilliseconds: nowMilliseconds) }
    }

    public func registeredUnits() throws -> [String] {
        let storage = self.storage
        return try wait { try await storage.registeredUnits() }
    }

    public func rotateToken(site: String) throws -> String {
        let storage = self.storage
        return try wait { try await storage.rotateToken(site: site) }
    }

    public func removeUnit(site: String) throws {
        let storage = self.storage
        try wait { try await storage.removeUnit(site: site) }
    }

    public func addOperator(name: String) throws -> String {
        let storage = self.storage
        return try wait { try await storage.addOperator(name: name) }
    }

    public func operatorHashes() throws -> [String] {
        let storage = self.storage
        return try wait { try await storage.operatorTokenHashes() }
    }

    public func hubStorage() throws -> any HubStorage { storage }
}

extension PostgresHubStorage {
    /// The office's name, from the hub row.
    func hubName() async throws -> String {
        let logger = self.logger
        return try await withConnection { conn in
            try await Self.first(conn.query("SELECT name FROM hub WHERE id = 1", logger: logger), as: String.self) ?? ""
        }
    }
}
