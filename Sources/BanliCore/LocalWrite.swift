/// One field write a person, a workflow step or an import asks for; the store adds the dot.
public struct LocalWrite: Sendable, Hashable {
    /// The entity written, e.g. `assignment/rd-2025-39/jxj`.
    public var entity: EntityKey
    /// The catalogue field name.
    public var field: String
    /// The value (`null` clears the field).
    public var value: JSONValue

    public init(entity: EntityKey, field: String, value: JSONValue) {
        self.entity = entity
        self.field = field
        self.value = value
    }

    public init(_ entity: EntityKey, _ field: String, _ value: JSONValue) {
        self.init(entity: entity, field: field, value: value)
    }
}
