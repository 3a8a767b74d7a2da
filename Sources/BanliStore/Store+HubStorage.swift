import BanliCore
import BanliHubStorage
import BanliProtocol

/// The hub's storage on today's SQLite store. Each call runs the store's own synchronous method on one of
/// GRDB's connections through its async access (`Store.reading(_:) async`, `onReader(_:)`, `onWriter(_:)`),
/// so no SQLite call blocks Swift's cooperative threads.
///
/// A wrapper rather than a conformance of `Store` itself, so that `Store`'s synchronous methods of the
/// same names (for the CLI and the bureau) can never stand in for the protocol's async ones.
public struct SQLiteHubStorage: HubStorage {
    /// The hub's store.
    public let store: Store

    /// The storage of a hub store; refuses a bureau's store.
    public init(_ store: Store) throws {
        guard store.info.isHub else {
            throw BanliError(.usage, "\(store.path) is a bureau store; the hub serves only the hub's store.")
        }
        self.store = store
    }

    public var hubSite: String { store.info.hubSite }
    public var hubId: String { store.info.storeId }

    public func exchange(_ r: HubExchangeRequest) async throws -> HubExchange {
        let store = self.store
        let run: @Sendable () throws -> HubExchange = {
            try store.exchange(
                unit: r.unit, cursor: r.cursor, pushMark: r.pushMark, pushThrough: r.pushThrough, exchangeNumber: r.exchangeNumber,
                resyncRequested: r.resyncRequested, changes: r.changes, limit: r.limit, report: r.report, nowMilliseconds: r.nowMilliseconds)
        }
        // An exchange that pushes nothing is answered from a read snapshot, concurrently with others;
        // one that pushes is serialized on the writer. Either way it opens its own transactions, as when called directly.
        return r.changes.isEmpty ? try await store.onReader(run) : try await store.onWriter(run)
    }

    public func headChangeNumber() async throws -> Int64 {
        try await store.reading { db in try Store.loadCounters(db).seq }
    }

    public func nextChange(after head: Int64, within: Duration) async throws -> Int64 {
        // Other processes (the office's commands) write the same file; nothing tells this one, so it looks.
        let deadline = ContinuousClock.now + within
        while true {
            let seq = try await headChangeNumber()
            if seq != head || ContinuousClock.now >= deadline { return seq }
            try await Task.sleep(for: min(.milliseconds(250), deadline - ContinuousClock.now))
        }
    }

    /// A local file: it is there while the process runs (a full disk or read-only store fails the write itself, with 503).
    public func ping() async throws {}

    public func hasChanges(for unit: String, after cursor: Int64) async throws -> Bool {
        let store = self.store
        return try await store.reading { _ in try store.hasChanges(for: unit, after: cursor) }
    }

    public func tokenHashes() async throws -> [UnitTokenHash] {
        let store = self.store
        return try await store.reading { _ in try store.tokenHashes().map { UnitTokenHash(site: $0.site, hash: $0.hash) } }
    }

    public func operatorTokenHashes() async throws -> [String] {
        let store = self.store
        return try await store.reading { _ in try store.operatorHashes() }
    }

    public func registeredUnits() async throws -> [String] {
        let store = self.store
        return try await store.reading { _ in try store.registeredUnits() }
    }

    public func recordFailure(unit: String, failure: UnitFailure, nowMilliseconds: UInt64) async throws {
        let store = self.store
        try await store.onWriter { try store.recordFailure(unit: unit, failure: failure, nowMilliseconds: nowMilliseconds) }
    }

    public func flushUnitBook() async throws {
        let store = self.store
        try await store.onWriter { try store.flushUnitBook() }
    }

    public func unitStatuses() async throws -> [String: UnitStatusRow] {
        let store = self.store
        return try await store.reading { _ in try store.unitStatuses() }
    }

    public func directoryFields() async throws -> [ReplicatedField] {
        let store = self.store
        return try await store.reading { _ in try store.directoryFields() }
    }

    public func conflicts() async throws -> [ReplicatedField] {
        let store = self.store
        return try await store.reading { _ in try store.conflicts() }
    }

    public func itemCount() async throws -> Int {
        let store = self.store
        return try await store.reading { _ in try store.itemIds().count }
    }

    public func reduceItems<State: Sendable>(
        into initial: State, _ update: @escaping @Sendable (inout State, HubItemFields) throws -> Void
    ) async throws -> State {
        let store = self.store
        return try await store.reading { _ in
            var state = initial
            try store.forEachItemFields { id, fields in try update(&state, HubItemFields(id: id, fields: fields)) }
            return state
        }
    }

    public func itemFields(_ id: String) async throws -> [ReplicatedField] {
        let store = self.store
        return try await store.reading { _ in try store.fields(ofItem: id) }
    }

    public func addFeedbackLink(_ link: FeedbackLink) async throws {
        let store = self.store
        try await store.onWriter { try store.addFeedbackLink(link) }
    }

    public func feedbackLink(tokenHash: String) async throws -> FeedbackLink? {
        let store = self.store
        return try await store.reading { _ in try store.feedbackLink(tokenHash: tokenHash) }
    }

    public func revokeFeedbackLinks(item: String, unit: String, nowMilliseconds: Int64) async throws -> Int {
        let store = self.store
        return try await store.onWriter { try store.revokeFeedbackLinks(item: item, unit: unit, nowMilliseconds: nowMilliseconds) }
    }

    public func useFeedbackLink(tokenHash: String, nowMilliseconds: Int64, writes: [LocalWrite]) async throws -> Bool {
        try await store.useFeedbackLink(tokenHash: tokenHash, nowMilliseconds: nowMilliseconds, writes: writes)
    }
}
