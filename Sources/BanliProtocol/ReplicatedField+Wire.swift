import BanliCore

/// A field state as read off the wire, before it is checked: each member as it came, nil when it was
/// missing or of the wrong JSON type. One checker (`ReplicatedField(wire:)`) serves every way in.
public struct WireFieldState: Sendable {
    /// False when the state was not a JSON object at all.
    public var isObject = true
    /// `entity` and `field`, when they were strings.
    public var entity: String?
    public var field: String?
    /// `siblings`, when it was an array.
    public var siblings: [WireSibling]?
    /// `context` in document order, when it was an object.
    public var context: [(site: String, counter: JSONValue)]?

    /// One sibling as read: nil members were missing or not of their JSON type.
    public struct WireSibling: Sendable {
        /// False when the sibling was not a JSON object.
        public var isObject = true
        public var value: JSONValue?
        /// `site`, when it was a string.
        public var site: String?
        public var counter: JSONValue?
        public var sig: JSONValue?
    }

    /// Reads one state from `r` without building dictionaries; only JSON syntax errors throw here.
    public init(reading r: inout JSONReader) throws {
        guard r.atObject else {
            _ = try r.readValue()
            isObject = false
            return
        }
        try r.readObject { r, key in
            switch key {
            case "entity": entity = try r.readValue().stringValue
            case "field": field = try r.readValue().stringValue
            case "siblings":
                guard r.atArray else { _ = try r.readValue(); return }
                var list: [WireSibling] = []
                try r.readArray { r in list.append(try WireSibling(reading: &r)) }
                siblings = list
            case "context":
                guard r.atObject else { _ = try r.readValue(); return }
                var entries: [(site: String, counter: JSONValue)] = []
                try r.readObject { r, site in entries.append((site, try r.readValue())) }
                context = entries
            default: try r.skipValue()  // "value" is derived; unknown members are ignored
            }
        }
    }

    /// The same from a parsed value (`banli apply`, tests, the fuzzer).
    public init(json: JSONValue) {
        guard case .object(let o) = json else { isObject = false; return }
        entity = o["entity"]?.stringValue
        field = o["field"]?.stringValue
        if case .array(let a)? = o["siblings"] { siblings = a.map(WireSibling.init(json:)) }
        if case .object(let c)? = o["context"] { context = c.map { ($0.key, $0.value) } }
    }
}

extension WireFieldState.WireSibling {
    init(reading r: inout JSONReader) throws {
        guard r.atObject else { _ = try r.readValue(); isObject = false; return }
        try r.readObject { r, key in
            switch key {
            case "value": value = try r.readValue()
            case "site": site = try r.readValue().stringValue
            case "counter": counter = try r.readValue()
            case "sig": sig = try r.readValue()
            default: try r.skipValue()
            }
        }
    }

    init(json: JSONValue) {
        guard case .object(let s) = json else { isObject = false; return }
        value = s["value"]
        site = s["site"]?.stringValue
        counter = s["counter"]
        sig = s["sig"]
    }
}

extension ReplicatedField {
    /// Decodes and validates one FieldState object; `value` is ignored (it is derived).
    public init(json: JSONValue) throws {
        try self.init(wire: WireFieldState(json: json))
    }

    /// Decodes one JSON text line.
    public init(jsonLine: String) throws {
        try self.init(wire: JSONReader.whole(jsonLine) { try WireFieldState(reading: &$0) })
    }

    /// Decodes one JSON text line given as UTF-8 bytes.
    public init<C: Collection>(jsonLine bytes: C) throws where C.Element == UInt8 {
        try self.init(wire: JSONReader.whole(Array(bytes)) { try WireFieldState(reading: &$0) })
    }

    /// Checks a state read off the wire. Structural faults (wrong JSON types, bad counters or site
    /// names, too many siblings) are `.corruptInput`; an unknown entity or field, or a value of the
    /// wrong type for its field, has its own code, so a hub can refuse that state alone.
    public init(wire w: WireFieldState) throws {
        guard w.isObject else {
            throw BanliError(.corruptInput, "A field state must be a JSON object with entity, field, siblings and context.")
        }
        guard let entityText = w.entity, let field = w.field else {
            throw BanliError(.corruptInput, "A field state needs string members 'entity' and 'field'.")
        }
        let entity = try EntityKey(parsing: entityText)
        let spec = try FieldCatalogue.require(entity.kind, field)
        guard let rawSiblings = w.siblings else {
            throw BanliError(.corruptInput, "\(entity) \(field): 'siblings' must be an array.")
        }
        guard rawSiblings.count <= Self.maxSiblings else {
            throw BanliError(.corruptInput, "\(entity) \(field): \(rawSiblings.count) siblings is more than the limit of \(Self.maxSiblings).")
        }
        guard let rawContext = w.context else {
            throw BanliError(.corruptInput, "\(entity) \(field): 'context' must be an object of site → counter.")
        }
        guard rawContext.count <= Self.maxContextEntries else {
            throw BanliError(.corruptInput, "\(entity) \(field): the context names more than \(Self.maxContextEntries) sites.")
        }
        var context: [String: UInt64] = [:]
        context.reserveCapacity(rawContext.count)
        for (site, c) in rawContext {
            try Self.structuralSite(site, entity: entity, field: field)
            context[site] = try Self.counter(c, entity: entity, field: field)
        }
        let vv = VersionVector(context)
        var siblings: [Sibling] = []
        siblings.reserveCapacity(rawSiblings.count)
        for raw in rawSiblings {
            guard raw.isObject, let site = raw.site, let rawCounter = raw.counter, let value = raw.value else {
                throw BanliError(.corruptInput, "\(entity) \(field): each sibling needs 'value', 'site' and 'counter'.")
            }
            try Self.structuralSite(site, entity: entity, field: field)
            let counter = try Self.counter(rawCounter, entity: entity, field: field)
            try spec.type.validate(value, field: field)
            var sig: String?
            if let rawSig = raw.sig {
                guard let text = rawSig.stringValue, text.utf8.count <= 64 else {
                    throw BanliError(.corruptInput, "\(entity) \(field): 'sig' must be a short base64 string.")
                }
                sig = text
            }
            let sibling = Sibling(value: value, site: site, counter: counter, sig: sig)
            guard vv.covers(sibling.dot) else {
                throw BanliError(.invalidValue, "\(entity) \(field): sibling \(sibling.dot) is not covered by its own context.")
            }
            // Sibling lists are short (at most maxSiblings): a linear check needs no set.
            guard !siblings.contains(where: { $0.site == site && $0.counter == counter }) else {
                throw BanliError(.invalidValue, "\(entity) \(field): sibling \(sibling.dot) appears twice.")
            }
            siblings.append(sibling)
        }
        self.init(entity: entity, spec: spec, state: FieldState(siblings: siblings, context: vv))
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
}

extension ReplicatedField {
    /// The pinned JSON line (`FieldLine`): `{"entity","field","value","siblings","context"}`.
    public func jsonLine(hubSite: String) -> String {
        var out = ""
        FieldLine.write(self, hubSite: hubSite, to: &out)
        return out
    }
}
