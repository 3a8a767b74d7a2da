/// A sync request's bookkeeping members (`SyncRequest` without its changes): what the bureau's machine sends and
/// what the hub's plan decides from.
public struct SyncHeader: Sendable, Equatable {
    /// The last hub change number the unit has applied.
    public var cursor: Int64
    /// The unit's change number up to which it believes the hub holds its pushes, and how far this push reaches.
    public var pushMark: Int64
    public var pushThrough: Int64
    /// How many answers the unit has applied.
    public var exchange: Int64
    /// The unit asks to be served from 0.
    public var resync: Bool

    public init(cursor: Int64, pushMark: Int64, pushThrough: Int64, exchange: Int64, resync: Bool) {
        self.cursor = cursor
        self.pushMark = pushMark
        self.pushThrough = pushThrough
        self.exchange = exchange
        self.resync = resync
    }
}
