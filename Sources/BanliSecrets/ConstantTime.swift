/// Comparison that takes the same time however many leading bytes match.
public enum ConstantTime {
    /// True when `a` and `b` are equal, without an early exit.
    public static func equal(_ a: String, _ b: String) -> Bool {
        equal(Array(a.utf8), Array(b.utf8))
    }

    /// True when the byte arrays `x` and `y` are equal, without an early exit.
    public static func equal(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        // The lengths are not secret; only the bytes are compared without an early exit.
        var diff: UInt8 = x.count == y.count ? 0 : 1
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }
}
