import Foundation
import Synchronization

/// A token bucket per unit (or per client address on the deputies' listener), so one misbehaving client cannot starve
/// the others.
final class RateLimiter: Sendable {
    let perSecond: Double
    let burst: Double
    private let state = Mutex<State>(State())

    private struct State {
        var buckets: [String: (tokens: Double, at: Double)] = [:]
        var lastSweep = 0.0
    }

    /// Buckets kept; past it, new clients share one bucket until a sweep makes room.
    let maxKeys: Int
    /// The key new clients share while the table is full: a flood of fresh addresses is limited as one client.
    static let overflowKey = "\u{0}overflow"

    /// `perSecond` requests a second on average, up to `burst` at once.
    init(perSecond: Double, burst: Double, maxKeys: Int = 10_000) {
        self.perSecond = perSecond
        self.burst = max(1, burst)
        self.maxKeys = max(1, maxKeys)
    }

    /// True when `unit` may make a request now (and takes one token).
    func allow(_ unit: String, now: Double = Date().timeIntervalSince1970) -> Bool {
        state.withLock { s in
            var key = unit
            if s.buckets[key] == nil, s.buckets.count >= maxKeys {
                // A bucket that has refilled holds nothing and can go; sweeping costs O(n), so at most once a second.
                if now - s.lastSweep >= 1 {
                    s.lastSweep = now
                    s.buckets = s.buckets.filter { $0.value.tokens + (now - $0.value.at) * perSecond < burst }
                }
                if s.buckets.count >= maxKeys { key = Self.overflowKey }
            }
            var bucket = s.buckets[key] ?? (burst, now)
            bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.at) * perSecond)
            bucket.at = now
            defer { s.buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return false }
            bucket.tokens -= 1
            return true
        }
    }

    /// Buckets held now (for tests).
    var count: Int { state.withLock { $0.buckets.count } }

    /// The key a client address is limited by: an IPv4 address as it is (also when written IPv4-mapped, `::ffff:a.b.c.d`),
    /// an IPv6 address by its /64, the smallest block one subscriber is given, so cycling addresses inside it gains nothing.
    static func clientKey(_ address: String) -> String {
        var v6 = in6_addr()
        guard address.contains(":"), inet_pton(AF_INET6, address, &v6) == 1 else { return address }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":") + "::/64"
    }
}
