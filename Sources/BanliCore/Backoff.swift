/// Exponential backoff with jitter for retrying a failed sync: 1 s, 2 s, 4 s … up to a cap,
/// each delay drawn between half and all of its step so that many bureaus do not retry in step.
public struct Backoff: Sendable, Equatable {
    public var base: Double
    public var cap: Double
    /// Failures in a row.
    public private(set) var failures = 0

    public init(base: Double = 1, cap: Double = 300) {
        self.base = base
        self.cap = cap
    }

    /// The delay before the next attempt after one more failure, in seconds.
    public mutating func nextDelay<G: RandomNumberGenerator>(using rng: inout G) -> Double {
        let step = min(cap, base * Double(1 << min(failures, 30)))
        failures += 1
        return Double.random(in: (step / 2)...step, using: &rng)
    }

    /// The delay before the next attempt after one more failure, in seconds.
    public mutating func nextDelay() -> Double {
        var g = SystemRandomNumberGenerator()
        return nextDelay(using: &g)
    }

    /// After a success.
    public mutating func reset() { failures = 0 }

    /// `interval` seconds with ±10% jitter.
    public static func jittered(_ interval: Double) -> Double {
        interval * Double.random(in: 0.9...1.1)
    }
}
