import BanliCore
import BanliHubStorage
import BanliPostgres
import BanliProtocol
import Foundation
import HubStorageConformance
import Logging
import TestSupport
import Testing

/// Runs each test's async work on `BridgeExecutor`'s threads. Swift's cooperative pool is as wide as the machine has
/// cores, and the integration tests block its threads for minutes while processes run; a lease timer here would
/// then fire late and report a healthy database as unavailable.
struct OffTheCooperativePool: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }
        try await withTaskExecutorPreference(BridgeExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OffTheCooperativePool {
    static var offTheCooperativePool: Self { OffTheCooperativePool() }
}

/// A `PostgresHubStorage` kept open outside `withStorage`'s scope, for tests that hold several at once
/// (two instances are two hub processes); `close()` shuts its client down.
final class OpenHub: Sendable {
    let storage: PostgresHubStorage
    private let task: Task<Void, Never>

    private init(storage: PostgresHubStorage, task: Task<Void, Never>) {
        self.storage = storage
        self.task = task
    }

    /// Opens (or with `create`, creates) the hub at `url`.
    static func open(_ url: String, keyFile: String, create: PostgresHubStorage.NewHub? = nil) async throws -> OpenHub {
        let location = try PostgresLocation(parsing: url)
        let (stream, continuation) = AsyncThrowingStream<PostgresHubStorage, any Error>.makeStream()
        let task = Task {
            do {
                try await PostgresHubStorage.withStorage(location, keyFile: keyFile, logger: quietLogger, create: create) { storage in
                    continuation.yield(storage)
                    // Held open until `close()` cancels this task.
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        for try await storage in stream { return OpenHub(storage: storage, task: task) }
        throw CancellationError()
    }

    func close() async {
        task.cancel()
        await task.value
    }
}

/// Logs only errors: the tests stop servers on purpose, and the LISTEN connection's warnings would drown the output.
let quietLogger: Logger = {
    var logger = Logger(label: "banli-postgres-tests")
    logger.logLevel = .critical
    return logger
}()

/// A key file path in a fresh temporary folder (created by the storage on first use).
func temporaryKeyFile() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("banli-pg-key-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/hub.key"
}

/// Fresh PostgreSQL hubs, each in its own database on the shared test server, for the conformance suite.
final class PostgresHubFactory: HubStorageFactory, @unchecked Sendable {
    // Unchecked: `opened` is touched only under `lock`.
    private let lock = NSLock()
    private var opened: [OpenHub] = []

    func makeHub(units: [String]) async throws -> HubStorageFixture {
        let server = try PostgresServer.shared()
        let hub = try await OpenHub.open(server.url(database: try server.createDatabase()), keyFile: try temporaryKeyFile(),
                                         create: .init(site: "hub", name: "督查室"))
        lock.withLock { opened.append(hub) }
        let storage = hub.storage
        var tokens: [String: String] = [:]
        for unit in units { tokens[unit] = try await storage.addUnit(site: unit, name: "单位\(unit)") }
        return HubStorageFixture(storage: storage, tokens: tokens) { writes, now in
            try await storage.write(writes, nowMilliseconds: now)
        }
    }

    /// Closes every hub this factory opened.
    func closeAll() async {
        for hub in lock.withLock({ opened }) { await hub.close() }
    }
}

/// The field states an exchange sends, read as a bureau reads them off the wire.
func pulledFields(_ x: HubExchange, from storage: any HubStorage) throws -> [ReplicatedField] {
    let body = SyncResponse(exchange: x, hubId: storage.hubId, hubTime: 0).json(hubSite: storage.hubSite)
    return try SyncResponse(bytes: Array(body.utf8)).changes
}

/// One exchange of `unit` with the given marks.
func exchange(
    _ storage: any HubStorage, _ unit: String, cursor: Int64 = 0, pushMark: Int64 = 0, pushThrough: Int64 = 0, exchangeNumber: Int64 = 0,
    changes: [PushedChange] = [], limit: Int = 500, backlog: Int = 0, at now: UInt64
) async throws -> HubExchange {
    try await storage.exchange(HubExchangeRequest(
        unit: unit, cursor: cursor, pushMark: pushMark, pushThrough: pushThrough, exchangeNumber: exchangeNumber, resyncRequested: false,
        changes: changes, limit: limit, report: UnitReport(clientVersion: nil, backlog: backlog, clockOffsetMs: nil, storeId: nil),
        nowMilliseconds: now))
}

/// The wall clock now, in Unix milliseconds.
func nowMilliseconds() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
