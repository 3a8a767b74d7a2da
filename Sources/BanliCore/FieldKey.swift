/// One field of one entity, as a key: the unit of replication, of refusals and of batches.
/// The entity is kept as its text form, so a refusal naming an entity this build cannot parse still has a key.
public struct FieldKey: Hashable, Sendable, CustomStringConvertible {
    /// The entity's text form, e.g. `assignment/rd-2025-39/jxj`.
    public var entity: String
    public var field: String

    public init(entity: String, field: String) {
        self.entity = entity
        self.field = field
    }

    public init(_ entity: EntityKey, _ field: String) {
        self.init(entity: entity.description, field: field)
    }

    public var description: String { "\(entity) \(field)" }
}

extension ReplicatedField {
    /// This field's key.
    public var key: FieldKey { FieldKey(entity, spec.name) }
}
