import BanliCore
import BanliOffice
import Foundation

/// Every unit's sync health and workload, as the hub sees it: what `/v1/status`, `banli hub status` and
/// the status page show. The hub builds it from its store; this module only shows it.
public struct HubStatusReport: Sendable, Hashable {
    /// The hub itself.
    public struct Hub: Sendable, Hashable {
        /// The hub's site code.
        public var site: String
        /// The hub store's id (a bureau starts over when it changes).
        public var hubId: String
        /// The hub's clock when the report was made, Unix milliseconds.
        public var timeMilliseconds: UInt64
        /// The hub's banli version.
        public var version: String

        public init(site: String, hubId: String, timeMilliseconds: UInt64, version: String) {
            self.site = site
            self.hubId = hubId
            self.timeMilliseconds = timeMilliseconds
            self.version = version
        }
    }

    /// How a unit's syncing goes, as the page shows it.
    public enum UnitState: Sendable, Hashable {
        /// Contacted within its interval, last exchange fine.
        case ok
        /// Synced before, but not within its expected interval.
        case stale
        /// Never contacted the hub.
        case neverSynced
        /// The last exchange failed, or the unit's clock is off enough to make exchanges fail.
        case failing(reason: UnitFailure)
    }

    /// One registered unit's sync bookkeeping and workload.
    public struct Unit: Sendable, Hashable {
        /// The unit's site code.
        public var site: String
        /// The unit's name in the directory (empty when it has none).
        public var name: String
        /// Last contact, Unix milliseconds; nil when never.
        public var lastSyncAt: Int64?
        /// Last successful exchange, Unix milliseconds; nil when never.
        public var lastSuccessAt: Int64?
        /// Why the unit is failing: its last exchange's error, or its clock's offset.
        public var lastError: UnitFailure?
        /// Not contacted within its expected interval (or never).
        public var stale: Bool
        /// Field states the unit reported still to push.
        public var backlog: Int
        /// The unit's changes the hub refused, in total.
        public var rejected: Int
        /// The unit's clock minus the hub's at its last exchange.
        public var clockOffsetMs: Int64?
        /// The unit's banli version.
        public var clientVersion: String?
        /// Assignments the unit holds (withdrawn ones not counted).
        public var items: Int
        /// The unit's assignments past their deadline.
        public var overdue: Int
        /// Its last day of exchanges with this hub process, oldest first (empty when not known).
        public var trend: [SyncTrend.Bucket?] = []

        public init(
            site: String, name: String, lastSyncAt: Int64?, lastSuccessAt: Int64?, lastError: UnitFailure?, stale: Bool,
            backlog: Int, rejected: Int, clockOffsetMs: Int64?, clientVersion: String?, items: Int, overdue: Int
        ) {
            self.site = site
            self.name = name
            self.lastSyncAt = lastSyncAt
            self.lastSuccessAt = lastSuccessAt
            self.lastError = lastError
            self.stale = stale
            self.backlog = backlog
            self.rejected = rejected
            self.clockOffsetMs = clockOffsetMs
            self.clientVersion = clientVersion
            self.items = items
            self.overdue = overdue
        }

        /// Failing wins over stale: the error says more than the silence.
        public var state: UnitState {
            if let lastError { return .failing(reason: lastError) }
            if stale { return lastSyncAt == nil ? .neverSynced : .stale }
            return .ok
        }
    }

    /// An assignment to chase (督办): overdue, or open and due within a week.
    public struct Chase: Sendable, Hashable {
        /// The item id.
        public var id: String
        /// The item's title.
        public var title: String
        /// The deadline that applies to the unit now.
        public var dueAt: ISODate
        /// Past that deadline.
        public var overdue: Bool
        /// The assignment's handling stage (pending, handling or rehandling).
        public var stage: AssignmentStatus.Stage
        /// The unit's role in the assignment (`lead`, `cooperating`…), as recorded.
        public var role: String?

        public init(id: String, title: String, dueAt: ISODate, overdue: Bool, stage: AssignmentStatus.Stage, role: String?) {
            self.id = id
            self.title = title
            self.dueAt = dueAt
            self.overdue = overdue
            self.stage = stage
            self.role = role
        }
    }

    /// A field with concurrent values at the hub.
    public struct Conflict: Sendable, Hashable {
        /// One of the concurrent values and the site that wrote it.
        public struct Value: Sendable, Hashable {
            /// The site that wrote it.
            public var site: String
            /// The written value.
            public var value: JSONValue

            public init(site: String, value: JSONValue) {
                self.site = site
                self.value = value
            }
        }

        /// The entity the field belongs to.
        public var entity: EntityKey
        /// The field's name.
        public var field: String
        /// The field's Chinese label.
        public var label: String
        /// The concurrent values, as the field state holds them.
        public var values: [Value]

        public init(entity: EntityKey, field: String, label: String, values: [Value]) {
            self.entity = entity
            self.field = field
            self.label = label
            self.values = values
        }
    }

    /// The counts at the top of the page.
    public struct Totals: Sendable, Hashable {
        /// Registered units.
        public var units: Int
        /// Stale units.
        public var stale: Int
        /// Items at the hub.
        public var items: Int
        /// Overdue assignments of every site, registered or not.
        public var overdue: Int
        /// Fields with concurrent values.
        public var conflicts: Int
        /// Failing units.
        public var failing: Int

        public init(units: Int, stale: Int, items: Int, overdue: Int, conflicts: Int, failing: Int) {
            self.units = units
            self.stale = stale
            self.items = items
            self.overdue = overdue
            self.conflicts = conflicts
            self.failing = failing
        }
    }

    /// The hub itself.
    public var hub: Hub
    /// Registered units, in the store's order.
    public var units: [Unit]
    /// The counts at the top of the page.
    public var totals: Totals
    /// Assignments to chase, by site (a site may hold assignments before it is registered).
    public var attention: [String: [Chase]]
    /// Fields with concurrent values at the hub.
    public var conflicts: [Conflict]
    /// The office's deadline reminders (督办提醒) that keep failing (what went out is counted in `/metrics`).
    public var reminders = Reminders()

    /// The hub's reminder sends, as its store records them.
    public struct Reminders: Sendable, Hashable {
        /// Reminders whose last attempt failed (retried with backoff until they go out).
        public var failing: Int
        /// The last failure as stored (`ReminderFailure.stored`) and its time (Unix milliseconds), while any is failing.
        public var lastError: String?
        public var lastFailureAt: Int64?

        public init(failing: Int = 0, lastError: String? = nil, lastFailureAt: Int64? = nil) {
            self.failing = failing
            self.lastError = lastError
            self.lastFailureAt = lastFailureAt
        }
    }

    public init(hub: Hub, units: [Unit], totals: Totals, attention: [String: [Chase]], conflicts: [Conflict]) {
        self.hub = hub
        self.units = units
        self.totals = totals
        self.attention = attention
        self.conflicts = conflicts
    }

    /// A time as `/v1/status` and the page show it: ISO 8601 UTC, e.g. `2025-03-01T08:00:00Z`.
    public static func isoTime(milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
    }
}
