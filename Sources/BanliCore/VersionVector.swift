/// A version vector: for each site, the highest counter of that site seen.
public struct VersionVector: Sendable, Hashable {
    /// Site → highest counter seen.
    public private(set) var entries: [String: UInt64]

    /// Creates a vector from its entries.
    public init(_ entries: [String: UInt64] = [:]) {
        self.entries = entries
    }

    /// The highest counter seen from `site`, 0 if none.
    public subscript(site: String) -> UInt64 {
        entries[site] ?? 0
    }

    /// True when the vector has seen `dot`.
    public func covers(_ dot: Dot) -> Bool {
        (entries[dot.site] ?? 0) >= dot.counter
    }

    /// Records `dot` as seen.
    public mutating func add(_ dot: Dot) {
        if (entries[dot.site] ?? 0) < dot.counter { entries[dot.site] = dot.counter }
    }

    /// The pointwise maximum with `other`.
    public mutating func merge(_ other: VersionVector) {
        for (site, counter) in other.entries where (entries[site] ?? 0) < counter {
            entries[site] = counter
        }
    }

    /// The largest counter in the vector, 0 when empty.
    public var maxCounter: UInt64 { entries.values.max() ?? 0 }
}
