import BanliCore
import BanliProtocol

/// Everything the hub needs from its store: the exchange, the long-poll's change checks, the units'
/// tokens, their sync bookkeeping and what the status page reads.
///
/// The SQLite store (`SQLiteHubStorage` in BanliStore) is the first implementation; another backend
/// implements the same methods and runs the same conformance checks (`HubStorageConformance`). Every
/// method is `async`: an implementation never blocks Swift's cooperative threads.
public protocol HubStorage: Sendable {
    /// The hub's site name, the natural author of office fields.
    var hubSite: String { get }
    /// The hub store's identity: a restored copy keeps it, a new store does not (bureaus start over on a new one).
    var hubId: String { get }

    /// Joins a unit's push and collects what it should receive, as one exchange (see `HubExchangeRequest`).
    func exchange(_ request: HubExchangeRequest) async throws -> HubExchange

    /// The hub's last change number (0 before any change).
    func headChangeNumber() async throws -> Int64
    /// Returns the head once it may have moved past `head` (another process wrote), or when `within` has passed.
    /// The hub wakes its long-polls with it: SQLite polls the file, PostgreSQL listens for a notification.
    func nextChange(after head: Int64, within: Duration) async throws -> Int64
    /// Throws `BanliError(.storeUnavailable, …)` when the store cannot be used now (`/healthz` answers 503).
    /// Cheap: the hub calls it on every health check.
    func ping() async throws
    /// True when something `unit` may receive changed after `cursor`, not counting its own pushes (the long-poll).
    func hasChanges(for unit: String, after cursor: Int64) async throws -> Bool

    /// Every registered unit's token hash (SHA-256, lowercase hex), sorted by site.
    func tokenHashes() async throws -> [UnitTokenHash]
    /// The operator tokens' hashes (the admin listener off loopback).
    func operatorTokenHashes() async throws -> [String]
    /// The registered units' sites, sorted.
    func registeredUnits() async throws -> [String]

    /// Records a failed exchange of a known unit (its last contact and error), for monitoring.
    func recordFailure(unit: String, failure: UnitFailure, nowMilliseconds: UInt64) async throws
    /// Writes the bookkeeping of quiet exchanges (those that pushed nothing) that is still held in memory.
    func flushUnitBook() async throws
    /// Every unit's sync bookkeeping, by site, including quiet exchanges not yet flushed.
    func unitStatuses() async throws -> [String: UnitStatusRow]

    /// The unit directory's fields (names and kinds of the office and its units).
    func directoryFields() async throws -> [ReplicatedField]
    /// Fields with two or more concurrent values, sorted by entity and field.
    func conflicts() async throws -> [ReplicatedField]
    /// How many items the hub holds.
    func itemCount() async throws -> Int
    /// Folds every item's fields, in item id order, into `initial`, holding one item's fields at a time,
    /// so a hub with a hundred thousand items reports without loading them all. `update` runs while the
    /// storage reads: it must only compute.
    func reduceItems<State: Sendable>(
        into initial: State, _ update: @escaping @Sendable (inout State, HubItemFields) throws -> Void
    ) async throws -> State
    /// One item's fields (item, assignments, contacts, feedback), sorted by entity and field; empty when unknown.
    func itemFields(_ id: String) async throws -> [ReplicatedField]

    /// Keeps a new one-time feedback link (only its token's hash).
    func addFeedbackLink(_ link: FeedbackLink) async throws
    /// The link whose token hashes to `tokenHash`, used, revoked and expired ones included; nil when there is none.
    func feedbackLink(tokenHash: String) async throws -> FeedbackLink?
    /// Revokes every open link of (item, unit) at `nowMilliseconds`; returns how many it revoked.
    func revokeFeedbackLinks(item: String, unit: String, nowMilliseconds: Int64) async throws -> Int
    /// Uses the link once: in one transaction, marks it used if it is still usable at `nowMilliseconds` and writes
    /// `writes` as the office, and revokes the unit's other open links for the item (one answer per reply). Returns
    /// false, writing nothing, when the link is unknown, used (even by another process a moment before), revoked or expired.
    func useFeedbackLink(tokenHash: String, nowMilliseconds: Int64, writes: [LocalWrite]) async throws -> Bool
}

/// The parameters of one `POST /v1/sync`, as the hub has read and checked them.
public struct HubExchangeRequest: Sendable {
    /// The unit, from its token.
    public var unit: String
    /// The last change number the unit has applied.
    public var cursor: Int64
    /// The unit's push mark (what it believes the hub holds of its changes) and how far this push reaches.
    public var pushMark: Int64
    public var pushThrough: Int64
    /// The unit's count of answers applied, for echo suppression.
    public var exchangeNumber: Int64
    /// True when the unit asks to start over from change 0.
    public var resyncRequested: Bool
    public var changes: [PushedChange]
    /// The largest batch of changes to send.
    public var limit: Int
    public var report: UnitReport
    /// The hub's wall clock, in Unix milliseconds.
    public var nowMilliseconds: UInt64

    public init(
        unit: String, cursor: Int64, pushMark: Int64, pushThrough: Int64, exchangeNumber: Int64, resyncRequested: Bool,
        changes: [PushedChange], limit: Int, report: UnitReport, nowMilliseconds: UInt64
    ) {
        self.unit = unit
        self.cursor = cursor
        self.pushMark = pushMark
        self.pushThrough = pushThrough
        self.exchangeNumber = exchangeNumber
        self.resyncRequested = resyncRequested
        self.changes = changes
        self.limit = limit
        self.report = report
        self.nowMilliseconds = nowMilliseconds
    }
}

/// A registered unit and its token's hash.
public struct UnitTokenHash: Sendable, Hashable {
    public var site: String
    /// SHA-256 of the token, lowercase hex.
    public var hash: String

    public init(site: String, hash: String) {
        self.site = site
        self.hash = hash
    }
}

/// One unit's sync bookkeeping at the hub.
public struct UnitStatusRow: Sendable, Equatable {
    public var site: String
    /// Unix milliseconds of the last exchange, failed or not.
    public var lastContactAt: Int64?
    public var lastSuccessAt: Int64?
    /// Why the last exchange failed (or why the hub refuses the unit's writes), nil when it went well.
    public var lastError: String?
    /// Field states the unit reported still to push.
    public var backlog: Int
    /// Pushed states the hub has refused, in total.
    public var rejected: Int
    public var clockOffsetMs: Int64?
    public var clientVersion: String?

    public init(
        site: String, lastContactAt: Int64?, lastSuccessAt: Int64?, lastError: String?, backlog: Int, rejected: Int,
        clockOffsetMs: Int64?, clientVersion: String?
    ) {
        self.site = site
        self.lastContactAt = lastContactAt
        self.lastSuccessAt = lastSuccessAt
        self.lastError = lastError
        self.backlog = backlog
        self.rejected = rejected
        self.clockOffsetMs = clockOffsetMs
        self.clientVersion = clientVersion
    }
}

/// One item's fields: the item, its assignments, contacts and feedback, sorted by entity and field.
public struct HubItemFields: Sendable {
    public var id: String
    public var fields: [ReplicatedField]

    public init(id: String, fields: [ReplicatedField]) {
        self.id = id
        self.fields = fields
    }
}
