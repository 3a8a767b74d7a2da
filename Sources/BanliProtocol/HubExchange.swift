import BanliCore

/// A change in a push that the hub refused, with the reason.
public struct Rejection: Sendable, Hashable {
    public var entity: String
    public var field: String
    public var reason: String

    public init(entity: String, field: String, reason: String) {
        self.entity = entity
        self.field = field
        self.reason = reason
    }

    /// The refused field's key.
    public var key: FieldKey { FieldKey(entity: entity, field: field) }
}

/// One pushed change: decoded, or refused while decoding.
public enum PushedChange: Sendable {
    case state(ReplicatedField)
    case malformed(Rejection)
}

/// What a unit tells the hub about itself with each exchange, for monitoring.
public struct UnitReport: Sendable {
    public var clientVersion: String?
    public var backlog: Int
    public var clockOffsetMs: Int64?
    public var storeId: String?

    public init(clientVersion: String?, backlog: Int, clockOffsetMs: Int64?, storeId: String?) {
        self.clientVersion = clientVersion
        self.backlog = backlog
        self.clockOffsetMs = clockOffsetMs
        self.storeId = storeId
    }
}

/// The hub's side of one `POST /v1/sync`.
public struct HubExchange: Sendable {
    public init() {}

    public var accepted = 0
    public var rejected: [Rejection] = []
    /// The changes to send, as the store holds them.
    public var changes: [StoredFieldRow] = []
    public var cursor: Int64 = 0
    public var more = false
    public var pushMark: Int64 = 0
    public var resync = false
    public var yourLatest: UInt64 = 0
    /// True when the push changed the hub, so waiting units should be woken.
    public var changedHub = false
}
