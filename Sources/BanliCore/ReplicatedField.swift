/// One field of one entity with its replicated state: the unit of exchange on the wire,
/// in `banli dump --json` and in `banli apply` (pinned shape, DESIGN §4).
public struct ReplicatedField: Sendable, Hashable {
    /// The entity, e.g. `assignment/rd-2025-39/jxj`.
    public var entity: EntityKey
    /// The field's catalogue entry.
    public var spec: FieldSpec
    /// Siblings and causal context.
    public var state: FieldState

    /// The most siblings a state may carry; more is refused as hostile.
    public static let maxSiblings = 64
    /// The most sites a causal context may name.
    public static let maxContextEntries = 1_024

    public init(entity: EntityKey, spec: FieldSpec, state: FieldState) {
        self.entity = entity
        self.spec = spec
        self.state = state
    }

    /// The field name.
    public var field: String { spec.name }

    /// The natural author site of this field.
    public func naturalAuthor(hubSite: String) -> String {
        spec.naturalAuthor(of: entity, hubSite: hubSite)
    }

    /// The visible value under the pinned rule (`null` when nothing is written).
    public func visibleValue(hubSite: String) -> JSONValue {
        state.visible(naturalAuthor: naturalAuthor(hubSite: hubSite))?.value ?? .null
    }

    /// The index of the visible sibling, nil when nothing is written.
    public func visibleIndex(hubSite: String) -> Int? {
        state.visibleIndex(naturalAuthor: naturalAuthor(hubSite: hubSite))
    }

    /// The largest counter anywhere in the state.
    public var maxCounter: UInt64 { state.context.maxCounter }
}
