/// What a local write did.
public struct WriteOutcome: Sendable, Hashable {
    public var entity: EntityKey
    public var field: String
    /// The visible value before the write.
    public var previous: JSONValue
    /// The value written.
    public var value: JSONValue
    /// The new write event.
    public var dot: Dot
    /// How many concurrent values the write superseded (2 or more: it resolved a conflict).
    public var superseded: Int

    public init(entity: EntityKey, field: String, previous: JSONValue, value: JSONValue, dot: Dot, superseded: Int) {
        self.entity = entity
        self.field = field
        self.previous = previous
        self.value = value
        self.dot = dot
        self.superseded = superseded
    }
}
