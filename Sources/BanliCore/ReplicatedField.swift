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

    /// The pinned JSON line: `{"entity","field","value","siblings","context"}`.
    public func jsonLine(hubSite: String) -> String {
        var out = "{\"entity\":"
        JSONValue.writeString(entity.description, to: &out)
        out += ",\"field\":"
        JSONValue.writeString(spec.name, to: &out)
        out += ",\"value\":"
        visibleValue(hubSite: hubSite).write(to: &out)
        out += ",\"siblings\":"
        state.writeSiblings(to: &out)
        out += ",\"context\":"
        state.context.write(to: &out)
        out += "}"
        return out
    }

    /// Decodes and validates one FieldState object; `value` is ignored (it is derived).
    public init(json: JSONValue) throws {
        guard case .object(let o) = json else {
            throw BanliError(.corruptInput, "A field state must be a JSON object with entity, field, siblings and context.")
        }
        guard let entityText = o["entity"]?.stringValue, let field = o["field"]?.stringValue else {
            throw BanliError(.corruptInput, "A field state needs string members 'entity' and 'field'.")
        }
        let entity = try EntityKey(parsing: entityText)
        let spec = try FieldCatalogue.require(entity.kind, field)
        guard case .array(let rawSiblings)? = o["siblings"] else {
            throw BanliError(.corruptInput, "\(entity) \(field): 'siblings' must be an array.")
        }
        guard rawSiblings.count <= Self.maxSiblings else {
            throw BanliError(.corruptInput, "\(entity) \(field): \(rawSiblings.count) siblings is more than the limit of \(Self.maxSiblings).")
        }
        guard case .object(let rawContext)? = o["context"] else {
            throw BanliError(.corruptInput, "\(entity) \(field): 'context' must be an object of site → counter.")
        }
        guard rawContext.count <= Self.maxContextEntries else {
            throw BanliError(.corruptInput, "\(entity) \(field): the context names more than \(Self.maxContextEntries) sites.")
        }
        var context: [String: UInt64] = [:]
        for (site, c) in rawContext {
            try Self.structuralSite(site, entity: entity, field: field)
            context[site] = try Self.counter(c, entity: entity, field: field)
        }
        let vv = VersionVector(context)
        var siblings: [Sibling] = []
        var dots = Set<Dot>()
        for raw in rawSiblings {
            guard case .object(let s) = raw, let site = s["site"]?.stringValue, let rawCounter = s["counter"], let value = s["value"] else {
                throw BanliError(.corruptInput, "\(entity) \(field): each sibling needs 'value', 'site' and 'counter'.")
            }
            try Self.structuralSite(site, entity: entity, field: field)
            let counter = try Self.counter(rawCounter, entity: entity, field: field)
            try spec.type.validate(value, field: field)
            var sig: String?
            if let rawSig = s["sig"] {
                guard let text = rawSig.stringValue, text.utf8.count <= 64 else {
                    throw BanliError(.corruptInput, "\(entity) \(field): 'sig' must be a short base64 string.")
                }
                sig = text
            }
            let sibling = Sibling(value: value, site: site, counter: counter, sig: sig)
            guard vv.covers(sibling.dot) else {
                throw BanliError(.invalidValue, "\(entity) \(field): sibling \(sibling.dot) is not covered by its own context.")
            }
            guard dots.insert(sibling.dot).inserted else {
                throw BanliError(.invalidValue, "\(entity) \(field): sibling \(sibling.dot) appears twice.")
            }
            siblings.append(sibling)
        }
        self.init(entity: entity, spec: spec, state: FieldState(siblings: siblings, context: vv))
    }

    /// Decodes one JSON text line.
    public init(jsonLine: String) throws {
        try self.init(json: JSONValue.parse(jsonLine))
    }

    /// A site name inside a state is part of its structure: a bad one makes the state malformed.
    private static func structuralSite(_ site: String, entity: EntityKey, field: String) throws {
        guard Identifier.isValid(site) else {
            throw BanliError(.corruptInput, "\(entity) \(field): '\(site.prefix(40))' is not a valid site name.")
        }
    }

    private static func counter(_ v: JSONValue, entity: EntityKey, field: String) throws -> UInt64 {
        guard case .int(let i) = v, i > 0 else {
            throw BanliError(.corruptInput, "\(entity) \(field): counters must be positive 64-bit integers, not \(v.canonicalJSON.prefix(40)).")
        }
        return UInt64(i)
    }

    /// The largest counter anywhere in the state.
    public var maxCounter: UInt64 { state.context.maxCounter }
}
