/// One write event: the site that made it and that site's clock value at the time.
public struct Dot: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The site that wrote.
    public var site: String
    /// The site's hybrid logical clock value for the write.
    public var counter: UInt64

    /// Creates a dot.
    public init(site: String, counter: UInt64) {
        self.site = site
        self.counter = counter
    }

    public static func < (a: Dot, b: Dot) -> Bool {
        a.site != b.site ? a.site < b.site : a.counter < b.counter
    }

    public var description: String { "\(site)@\(counter)" }
}
