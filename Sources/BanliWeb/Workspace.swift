import BanliCore
import BanliHubStorage
import BanliOffice

/// One office's records the workbench serves: at a bureau one per office it answers to, at the hub the hub's own (the
/// same value the ledger's import and export take).
public typealias WebOffice = LedgerOffice

/// A bureau's view of one office's sync: what the 工作台 shows next to "sync now".
public struct SyncSummary: Sendable {
    public var office: String
    public var lastAttemptAt: Int64?
    public var lastSuccessAt: Int64?
    public var lastError: String?
    public var backlog: Int
    /// Writes the hub refused, newest first.
    public var refused: [RefusedWrite]

    public struct RefusedWrite: Sendable {
        public var entity: String, field: String, reason: String, atMilliseconds: Int64
        public init(entity: String, field: String, reason: String, atMilliseconds: Int64) {
            self.entity = entity
            self.field = field
            self.reason = reason
            self.atMilliseconds = atMilliseconds
        }
    }

    public init(office: String, lastAttemptAt: Int64?, lastSuccessAt: Int64?, lastError: String?, backlog: Int, refused: [RefusedWrite]) {
        self.office = office
        self.lastAttemptAt = lastAttemptAt
        self.lastSuccessAt = lastSuccessAt
        self.lastError = lastError
        self.backlog = backlog
        self.refused = refused
    }
}

/// What the workbench serves and the few actions that live outside the records: the stores, today, the
/// deadlines, and at a bureau one sync now. The `banli web` command fills it in; tests build their own.
public struct Workspace: Sendable {
    public var offices: [WebOffice]
    public var deadlines: Deadlines
    /// Today in the office's calendar (`BANLI_TODAY` moves it in tests, as for the CLI).
    public var today: @Sendable () throws -> ISODate
    /// One sync with every office now (a bureau); returns one sentence per office. Nil at the hub.
    public var syncNow: (@Sendable () -> [String])?
    /// The sync state per office (a bureau); empty at the hub.
    public var syncState: @Sendable () throws -> [SyncSummary]
    /// The base of the deputies' one-time feedback links (hub.toml `public_url`, or built from `public_listen`); nil: the
    /// hub serves no links, and the item page offers none.
    public var feedbackLinkBase: String?

    public init(
        offices: [WebOffice], deadlines: Deadlines, today: @escaping @Sendable () throws -> ISODate,
        syncNow: (@Sendable () -> [String])? = nil, syncState: @escaping @Sendable () throws -> [SyncSummary] = { [] }
    ) {
        self.offices = offices
        self.deadlines = deadlines
        self.today = today
        self.syncNow = syncNow
        self.syncState = syncState
    }

    /// True when this is the office's own store (the hub).
    public var isHub: Bool { offices.first?.store.info.isHub ?? false }

    /// The office whose key is `key`.
    func office(_ key: String) -> WebOffice? { offices.first { $0.key == key } }
}
