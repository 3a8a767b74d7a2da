import BanliCore

/// A hub's tables row for row, as `banli hub migrate` copies them from one backend to another: the same hub id,
/// change numbers, access, tokens, operators, bookkeeping and history, so bureaus go on with a quiet exchange.
///
/// A source hands out batches until it has none left; a sink takes every batch of a source or nothing.
public protocol HubTableSource: Sendable {
    /// The hub row: who the hub is and its counters.
    func header() async throws -> HubHeader
    /// The next batch of rows, table after table; nil when every table has been read.
    func nextBatch() async throws -> HubTableBatch?
}

/// Where `banli hub migrate` writes: an empty SQLite file or an empty PostgreSQL database.
public protocol HubTableSink: Sendable {
    /// Copies every row of `source`; refuses a target that already holds a hub, and leaves nothing behind on failure.
    func copyTables(from source: any HubTableSource) async throws -> HubCopyCount
}

/// The hub row.
public struct HubHeader: Sendable, Equatable {
    public var site: String
    public var name: String
    /// The hub's identity (`hubId` on the wire): kept, so bureaus see the same hub.
    public var storeId: String
    public var clock: UInt64
    /// The last change number.
    public var seq: Int64
    public var createdAt: String
    /// The key file the hub signs its writes with (HMAC tags bureaus keep): the same file after a migration.
    public var keyFile: String?

    public init(site: String, name: String, storeId: String, clock: UInt64, seq: Int64, createdAt: String, keyFile: String?) {
        self.site = site
        self.name = name
        self.storeId = storeId
        self.clock = clock
        self.seq = seq
        self.createdAt = createdAt
        self.keyFile = keyFile
    }
}

/// Rows of one table.
public enum HubTableBatch: Sendable, Equatable {
    case fields([HubFieldRow])
    case history([HubHistoryRow])
    case access([HubAccessRow])
    case units([HubUnitRow])
    case unitTokens([HubTokenRow])
    case operatorTokens([HubTokenRow])
    case settings([HubSettingRow])
    /// The deputies' links, so that one sent before the move still opens after it.
    case feedbackLinks([FeedbackLink])
    /// The reminder sends, so that none is sent again after the move.
    case reminders([HubReminderRow])

    public var count: Int {
        switch self {
        case .fields(let r): r.count
        case .history(let r): r.count
        case .access(let r): r.count
        case .units(let r): r.count
        case .unitTokens(let r), .operatorTokens(let r): r.count
        case .settings(let r): r.count
        case .feedbackLinks(let r): r.count
        case .reminders(let r): r.count
        }
    }
}

/// What a copy wrote, table by table, for the command's report.
public struct HubCopyCount: Sendable, Equatable {
    public var fields = 0
    public var history = 0
    public var access = 0
    public var units = 0
    public var unitTokens = 0
    public var operatorTokens = 0
    public var settings = 0
    public var feedbackLinks = 0
    public var reminders = 0

    public init() {}

    public mutating func add(_ batch: HubTableBatch) {
        switch batch {
        case .fields(let r): fields += r.count
        case .history(let r): history += r.count
        case .access(let r): access += r.count
        case .units(let r): units += r.count
        case .unitTokens(let r): unitTokens += r.count
        case .operatorTokens(let r): operatorTokens += r.count
        case .settings(let r): settings += r.count
        case .feedbackLinks(let r): feedbackLinks += r.count
        case .reminders(let r): reminders += r.count
        }
    }
}

/// A field row: its state in the stored form (checksum included), copied as bytes.
public struct HubFieldRow: Sendable, Equatable {
    public var seq: Int64
    public var entity: String
    public var field: String
    public var item: String?
    public var value: String
    public var state: [UInt8]
    public var conflict: Bool
    public var echo: String?
    public var echoExchange: Int64?

    public init(
        seq: Int64, entity: String, field: String, item: String?, value: String, state: [UInt8], conflict: Bool, echo: String?, echoExchange: Int64?
    ) {
        self.seq = seq
        self.entity = entity
        self.field = field
        self.item = item
        self.value = value
        self.state = state
        self.conflict = conflict
        self.echo = echo
        self.echoExchange = echoExchange
    }
}

/// A history row, with its id (the order it was recorded in).
public struct HubHistoryRow: Sendable, Equatable {
    public var id: Int64
    public var entry: HistoryEntry
    public var item: String?

    public init(id: Int64, entry: HistoryEntry, item: String?) {
        self.id = id
        self.entry = entry
        self.item = item
    }
}

/// A unit's access to an item, by change numbers.
public struct HubAccessRow: Sendable, Equatable {
    public var site: String
    public var item: String
    public var grantSeq: Int64
    public var revokedSeq: Int64?

    public init(site: String, item: String, grantSeq: Int64, revokedSeq: Int64?) {
        self.site = site
        self.item = item
        self.grantSeq = grantSeq
        self.revokedSeq = revokedSeq
    }
}

/// A unit's sync bookkeeping, every column.
public struct HubUnitRow: Sendable, Equatable {
    public var site: String
    public var pushMark: Int64
    public var lastExchange: Int64
    public var sentCursor: Int64
    public var maxCounter: Int64
    public var lastContactAt: Int64?
    public var lastSuccessAt: Int64?
    public var lastError: String?
    public var backlog: Int64
    public var rejected: Int64
    public var clockOffsetMs: Int64?
    public var clientVersion: String?
    public var storeId: String?

    public init(
        site: String, pushMark: Int64, lastExchange: Int64, sentCursor: Int64, maxCounter: Int64, lastContactAt: Int64?, lastSuccessAt: Int64?,
        lastError: String?, backlog: Int64, rejected: Int64, clockOffsetMs: Int64?, clientVersion: String?, storeId: String?
    ) {
        self.site = site
        self.pushMark = pushMark
        self.lastExchange = lastExchange
        self.sentCursor = sentCursor
        self.maxCounter = maxCounter
        self.lastContactAt = lastContactAt
        self.lastSuccessAt = lastSuccessAt
        self.lastError = lastError
        self.backlog = backlog
        self.rejected = rejected
        self.clockOffsetMs = clockOffsetMs
        self.clientVersion = clientVersion
        self.storeId = storeId
    }
}

/// A token's hash and when it was issued; `holder` is the unit's site or the operator's name.
public struct HubTokenRow: Sendable, Equatable {
    public var holder: String
    public var tokenHash: String
    public var createdAt: String

    public init(holder: String, tokenHash: String, createdAt: String) {
        self.holder = holder
        self.tokenHash = tokenHash
        self.createdAt = createdAt
    }
}

/// A stored setting.
public struct HubSettingRow: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// A reminder send as the store records it (`ReminderLog`), every column.
public struct HubReminderRow: Sendable, Equatable {
    /// The reminder key and the recipient.
    public var send: String
    /// `claimed`, `sent` or `failed`.
    public var state: String
    public var attempts: Int64
    /// Unix milliseconds.
    public var nextAttemptAt: Int64?
    public var lastError: String?
    public var updatedAt: Int64

    public init(send: String, state: String, attempts: Int64, nextAttemptAt: Int64?, lastError: String?, updatedAt: Int64) {
        self.send = send
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.updatedAt = updatedAt
    }
}
