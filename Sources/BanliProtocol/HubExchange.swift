import BanliCore

/// A change in a push that the hub refused, with the reason.
public struct Rejection: Sendable, Hashable {
    /// Why, as a class a clerk can be told about in Chinese (the wire's optional `kind`; `PushRefusal.Kind` plus malformed).
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case access, permission, forgery, context, clock, malformed

        public init(_ refusal: PushRefusal.Kind) {
            switch refusal {
            case .access: self = .access
            case .permission: self = .permission
            case .forgery: self = .forgery
            case .context: self = .context
            case .clock: self = .clock
            }
        }

        /// What the refusal means for the clerk whose write it was, and what to do.
        public var chinese: String {
            switch self {
            case .access: "该事项现在不由本单位承办，交办机关未接受这项修改；本单位的值仍保留在本地，如有疑问请联系交办机关。"
            case .permission: "这一项由交办机关填写，本单位的修改未被接受；如需更改，请联系交办机关。"
            case .forgery, .context: "这项修改带有不属于本单位的数据，交办机关未接受；请联系本单位信息化人员检查。"
            case .clock: "本机时钟比交办机关服务器快得太多，修改未被接受；请信息化人员校准本机时间（NTP）后重新保存。"
            case .malformed: "这项修改的内容不符合要求，交办机关未接受；请检查后重新填写，或联系信息化人员。"
            }
        }
    }

    public var entity: String
    public var field: String
    public var reason: String
    /// Nil from a hub of an older release.
    public var kind: Kind?

    public init(entity: String, field: String, reason: String, kind: Kind? = nil) {
        self.entity = entity
        self.field = field
        self.reason = reason
        self.kind = kind
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
