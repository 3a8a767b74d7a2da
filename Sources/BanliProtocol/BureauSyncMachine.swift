import BanliCore

/// A bureau's sync bookkeeping, kept in its store so it moves only with the data it describes.
public struct SyncState: Sendable, Equatable {
    /// The hub change number up to which this store has pulled.
    public var cursor: Int64 = 0
    /// This store's change number up to which the hub holds its pushes.
    public var pushMark: Int64 = 0
    /// The hub store's id, once known.
    public var hubId: String?
    /// Push states received from the hub too (after the hub lost data).
    public var repushAll = false
    /// Ask the hub for a full pull (after this store was restored from a backup).
    public var resync = false
    /// How many answers this store has applied; a restored copy reports fewer than the hub saw.
    public var exchange: Int64 = 0

    public init(cursor: Int64 = 0, pushMark: Int64 = 0, hubId: String? = nil, repushAll: Bool = false, resync: Bool = false, exchange: Int64 = 0) {
        self.exchange = exchange
        self.cursor = cursor
        self.pushMark = pushMark
        self.hubId = hubId
        self.repushAll = repushAll
        self.resync = resync
    }
}

/// The bureau's half of the sync protocol as a value: it is told what was pushed and what the hub
/// answered, and says what to do next. `SyncEngine` only reads, posts, applies and logs.
///
/// Events: `send(_:)` (a batch was read; returns the request's header), then `received(_:)` (the answer's
/// header; returns the action). A prefetch action has already put the next pull-only request in flight,
/// so its answer is fed to `received(_:)` without another `send(_:)`.
public struct BureauSyncMachine: Sendable {
    /// What the bureau holds of the sync; advanced by each answer.
    public private(set) var state: SyncState
    /// The batch of the request in flight.
    private var inFlight: Batch?

    /// A batch read for pushing.
    public struct Batch: Sendable, Equatable {
        /// The push mark once this batch is acknowledged.
        public var through: Int64
        /// States still to push after this batch.
        public var remaining: Int
        /// States in this batch.
        public var count: Int

        public init(through: Int64, remaining: Int, count: Int) {
            self.through = through
            self.remaining = remaining
            self.count = count
        }
    }

    /// The request's sync header.
    public typealias Request = SyncHeader

    /// The answer's header (`SyncResponse`'s bookkeeping members).
    public struct Answer: Sendable, Equatable {
        public var cursor: Int64
        public var more: Bool
        public var hubId: String
        public var pushMark: Int64
        public var resync: Bool
        public var yourLatest: UInt64

        public init(cursor: Int64, more: Bool, hubId: String, pushMark: Int64, resync: Bool, yourLatest: UInt64) {
            self.cursor = cursor
            self.more = more
            self.hubId = hubId
            self.pushMark = pushMark
            self.resync = resync
            self.yourLatest = yourLatest
        }
    }

    /// Applying one answer: its states join the store in one transaction with `state`, and the store's clock
    /// observes `yourLatest` (the largest counter of ours the hub has seen), so a store restored from a
    /// backup never reuses a dot.
    public struct Apply: Sendable, Equatable {
        public var state: SyncState
        public var yourLatest: UInt64

        public init(state: SyncState, yourLatest: UInt64) {
            self.state = state
            self.yourLatest = yourLatest
        }
    }

    /// What to do with an answer.
    public enum Action: Sendable, Equatable {
        /// Apply it; the sync is complete.
        case apply(Apply)
        /// Apply it, then exchange again: more to push or to pull.
        case applyAndGoAgain(Apply)
        /// Post `Request` (pull only, the same empty batch) now and apply this answer while it travels;
        /// its answer is fed next and used only after this one committed.
        case prefetchAndApply(Request, Apply)
        /// The hub lacks some of this store's data: apply, then push everything after `mark`, received
        /// states included. `lostPushes`: it holds our pushes only up to its mark (restored from a backup);
        /// `olderData`: our cursor is ahead of anything it handed out (restored), so everything goes again.
        case applyAndPushAfter(mark: Int64, lostPushes: Bool, olderData: Bool, Apply)
        /// A different hub store answered: it holds nothing of ours. Apply, then push and pull everything.
        case startOver(previousHub: String, newHub: String, Apply)
    }

    public init(state: SyncState) {
        self.state = state
    }

    /// A batch was read: the header of the request that pushes it.
    public mutating func send(_ batch: Batch) -> Request {
        precondition(inFlight == nil, "one request at a time")
        inFlight = batch
        return Request(cursor: state.cursor, pushMark: state.pushMark, pushThrough: batch.through, exchange: state.exchange, resync: state.resync)
    }

    /// The hub answered the request in flight.
    public mutating func received(_ answer: Answer) -> Action {
        guard let batch = inFlight else { preconditionFailure("an answer without a request") }
        inFlight = nil
        let previous = state
        var next = previous
        next.exchange = previous.exchange + 1
        if let known = previous.hubId, known != answer.hubId {
            next = SyncState(cursor: answer.cursor, pushMark: 0, hubId: answer.hubId, repushAll: true, resync: false, exchange: next.exchange)
            state = next
            return .startOver(previousHub: known, newHub: answer.hubId, Apply(state: next, yourLatest: answer.yourLatest))
        }
        next.hubId = answer.hubId
        next.cursor = answer.cursor
        next.resync = false
        let lostPushes = answer.pushMark != batch.through
        if lostPushes {
            // The hub holds our pushes only up to its mark: push again from there, including what we
            // received from it, which it may have lost too.
            next.pushMark = answer.pushMark
            next.repushAll = true
        } else {
            next.pushMark = batch.through
            if batch.remaining == 0 { next.repushAll = false }
        }
        // Our cursor is ahead of anything this hub handed out: it may lack anything we hold, its own writes too.
        let olderData = answer.resync && !previous.resync && previous.cursor > 0
        if olderData {
            next.pushMark = 0
            next.repushAll = true
        }
        state = next
        let apply = Apply(state: next, yourLatest: answer.yourLatest)
        if lostPushes || olderData {
            return .applyAndPushAfter(mark: next.pushMark, lostPushes: lostPushes, olderData: olderData, apply)
        }
        // A pull-only round with more to come: the next request needs nothing this answer's apply decides.
        if answer.more, batch.count == 0, batch.remaining == 0, next.repushAll == previous.repushAll {
            inFlight = batch
            return .prefetchAndApply(
                Request(cursor: next.cursor, pushMark: next.pushMark, pushThrough: batch.through, exchange: next.exchange, resync: next.resync),
                apply)
        }
        return answer.more || batch.remaining > 0 ? .applyAndGoAgain(apply) : .apply(apply)
    }
}
