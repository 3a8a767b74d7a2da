/// One concurrent value of a field, with the dot of the write that made it.
public struct Sibling: Sendable, Hashable {
    /// The written value.
    public var value: JSONValue
    /// The site that wrote it.
    public var site: String
    /// The writer's clock value.
    public var counter: UInt64
    /// The hub's authentication tag on its own writes, so it can take them back from bureaus after a restore.
    public var sig: String?

    /// Creates a sibling.
    public init(value: JSONValue, site: String, counter: UInt64, sig: String? = nil) {
        self.value = value
        self.site = site
        self.counter = counter
        self.sig = sig
    }

    /// The write event that produced this value.
    public var dot: Dot { Dot(site: site, counter: counter) }
}

/// The replicated state of one field: the values still alive and the causal context that saw them.
///
/// A local write supersedes every sibling it saw; `join` keeps a sibling unless the other side has
/// seen its dot and dropped it. Join is commutative, associative and idempotent.
public struct FieldState: Sendable, Hashable {
    /// Concurrent values still alive, sorted by (site, counter).
    public private(set) var siblings: [Sibling]
    /// Every dot this state has seen, as a version vector.
    public private(set) var context: VersionVector

    /// An empty state: nothing written, nothing seen.
    public init() {
        siblings = []
        context = VersionVector()
    }

    /// A state from its parts; siblings are put in canonical order.
    public init(siblings: [Sibling], context: VersionVector) {
        self.siblings = siblings.sorted { $0.dot < $1.dot }
        self.context = context
    }

    /// True when two or more concurrent values are alive: an open conflict.
    public var isConflict: Bool { siblings.count > 1 }

    /// Writes `value` as a new event `dot` that has seen everything this state holds.
    public mutating func write(_ value: JSONValue, dot: Dot, sig: String? = nil) {
        siblings = [Sibling(value: value, site: dot.site, counter: dot.counter, sig: sig)]
        context.add(dot)
    }

    /// Merges a state received from elsewhere into this one.
    public mutating func join(_ other: FieldState) {
        self = joined(with: other)
    }

    /// The merge of this state and `other`.
    public func joined(with other: FieldState) -> FieldState {
        var result: [Sibling] = []
        result.reserveCapacity(siblings.count + other.siblings.count)
        var i = 0, j = 0
        // Both sibling lists are sorted by dot: walk them together.
        while i < siblings.count || j < other.siblings.count {
            if j == other.siblings.count || (i < siblings.count && siblings[i].dot < other.siblings[j].dot) {
                let s = siblings[i]
                if !other.context.covers(s.dot) { result.append(s) }
                i += 1
            } else if i == siblings.count || other.siblings[j].dot < siblings[i].dot {
                let s = other.siblings[j]
                if !context.covers(s.dot) { result.append(s) }
                j += 1
            } else {
                // Same dot on both sides. Honest sites never reuse a dot; pick deterministically anyway.
                let a = siblings[i], b = other.siblings[j]
                result.append(a == b || (a.value.canonicalJSON, a.sig ?? "") >= (b.value.canonicalJSON, b.sig ?? "") ? a : b)
                i += 1
                j += 1
            }
        }
        var merged = context
        merged.merge(other.context)
        var state = FieldState()
        state.siblings = result
        state.context = merged
        return state
    }

    /// The visible value under the pinned rule: the sibling with the highest
    /// (author rank, counter, site), where rank is 1 for the field's natural author.
    public func visible(naturalAuthor: String) -> Sibling? {
        visibleIndex(naturalAuthor: naturalAuthor).map { siblings[$0] }
    }

    /// The index of the visible sibling, nil when there is none.
    public func visibleIndex(naturalAuthor: String) -> Int? {
        siblings.indices.max { i, j in
            let a = siblings[i], b = siblings[j]
            let ra = a.site == naturalAuthor ? 1 : 0, rb = b.site == naturalAuthor ? 1 : 0
            if ra != rb { return ra < rb }
            if a.counter != b.counter { return a.counter < b.counter }
            return a.site < b.site
        }
    }
}
