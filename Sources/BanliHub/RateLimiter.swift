import Foundation
import Synchronization

/// A token bucket per unit, so one misbehaving bureau cannot starve the others.
final class RateLimiter: Sendable {
    let perSecond: Double
    let burst: Double
    private let buckets = Mutex<[String: (tokens: Double, at: Double)]>([:])

    /// Buckets kept before the full ones are dropped.
    static let maxKeys = 10_000

    /// `perSecond` requests a second on average, up to `burst` at once.
    init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = max(1, burst)
    }

    /// True when `unit` may make a request now (and takes one token).
    func allow(_ unit: String, now: Double = Date().timeIntervalSince1970) -> Bool {
        buckets.withLock { b in
            // Keyed by client address on the deputies' listener, so the table is bounded: a full bucket holds nothing.
            if b.count >= Self.maxKeys {
                b = b.filter { $0.value.tokens + (now - $0.value.at) * perSecond < burst }
            }
            var bucket = b[unit] ?? (burst, now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * perSecond)
            bucket.at = now
            guard bucket.tokens >= 1 else {
                b[unit] = bucket
                return false
            }
            bucket.tokens -= 1
            b[unit] = bucket
            return true
        }
    }
}
