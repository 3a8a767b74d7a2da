/// The hub's half of the sync protocol as a value: from what the hub holds of a unit and what the unit
/// asks, the answer's push mark and resync, and where and how to pull. `Store.exchange` executes it.
public struct HubExchangePlan: Sendable, Equatable {
    /// What the hub holds of a unit's sync (its `unit_status` row, with newer unwritten bookkeeping laid over it).
    public struct UnitMarks: Sendable, Equatable {
        /// The unit's change number up to which the hub holds its pushes.
        public var pushMark: Int64
        /// The highest cursor the hub has handed the unit.
        public var sentCursor: Int64
        /// The largest counter of the unit's the hub has seen.
        public var maxCounter: UInt64

        public init(pushMark: Int64, sentCursor: Int64, maxCounter: UInt64) {
            self.pushMark = pushMark
            self.sentCursor = sentCursor
            self.maxCounter = maxCounter
        }
    }

    /// Which way the store finds the rows to send.
    public enum PullOrder: String, Sendable, Equatable {
        /// Walk every row changed after the cursor in change order: cheap when most of them are the unit's.
        case bySeq = "seq"
        /// Start from the unit's items and sort: cheap when the unit holds a small share of a big hub.
        case byItem = "items"
    }

    /// Where to pull from.
    public struct Pull: Sendable, Equatable {
        /// Send rows changed after this change number.
        public var after: Int64
        /// Leave out the states the unit pushed itself …
        public var suppressEchoes: Bool
        /// … once it has confirmed the exchange that pushed them (exchanges before this number), or in this answer.
        public var confirmedBefore: Int64
        public var limit: Int
        /// Rows changed after `after` (an upper bound on what the pull walks).
        public var changed: Int64

        public init(after: Int64, suppressEchoes: Bool, confirmedBefore: Int64, limit: Int, changed: Int64) {
            self.after = after
            self.suppressEchoes = suppressEchoes
            self.confirmedBefore = confirmedBefore
            self.limit = limit
            self.changed = changed
        }
    }

    /// The answer's push mark: where the hub holds the unit's pushes up to.
    public var pushMark: Int64
    /// Whether the unit is served from 0 (it asked, or its cursor is ahead of anything handed out).
    public var resync: Bool
    public var pull: Pull

    /// Plans an exchange sending at most `limit` changes; `head` is the hub's last change number, after this exchange's push.
    public init(marks: UnitMarks, request: SyncHeader, limit: Int, head: Int64) {
        // A unit ahead of the hub's record means the hub lost its pushes (restored).
        pushMark = request.pushMark > marks.pushMark ? marks.pushMark : request.pushThrough
        // A cursor ahead of anything the hub handed out means the hub was restored: start over.
        resync = request.resync || request.cursor > marks.sentCursor
        let after = resync ? 0 : request.cursor
        pull = Pull(after: after, suppressEchoes: !resync, confirmedBefore: request.exchange, limit: limit, changed: head - after)
    }

    /// Which plan costs less. Walking finds `limit` of the unit's rows after visiting about
    /// limit × changed ÷ unitRows rows; the item plan visits and sorts all unitRows each batch. So the item
    /// plan wins when unitRows² < limit × changed (unitRows estimated at 16 an item). With no more than
    /// `limit` rows changed the walk is cheap whatever the unit holds, so the usual exchange (a few changes,
    /// or none) does not count the unit's items: `unitItems` is asked only when needed. `forced` overrides
    /// (`BANLI_PULL_PLAN`, for tests and diagnosis).
    public func order(forced: PullOrder?, unitItems: () throws -> Int) rethrows -> PullOrder {
        if let forced { return forced }
        guard pull.changed > Int64(pull.limit) else { return .bySeq }
        let unitRows = Double(try unitItems()) * 16
        return unitRows * unitRows < Double(pull.limit) * Double(pull.changed) ? .byItem : .bySeq
    }
}
