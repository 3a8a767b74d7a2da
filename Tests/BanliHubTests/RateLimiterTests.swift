@testable import BanliHub
import Testing
import TestSupport

/// The deputies' listener is public: a flood from fresh addresses must neither escape the limit nor grow the table.
struct RateLimiterTests {
    @Test func aClientGetsItsBurstThenItsRate() {
        let limiter = RateLimiter(perSecond: 0.2, burst: 10)
        #expect((0..<12).map { _ in limiter.allow("10.1.2.3", now: 1000) } == Array(repeating: true, count: 10) + [false, false])
        #expect(limiter.allow("10.1.2.4", now: 1000), "another client has its own bucket")
        #expect(!limiter.allow("10.1.2.3", now: 1004) && limiter.allow("10.1.2.3", now: 1005), "one token every 5 s")
        #expect(limiter.allow("10.1.2.3", now: 999) == false, "a clock that steps back refills nothing")
    }

    @Test func aFloodOfFreshAddressesIsLimitedAsOneClientAndTheTableStaysBounded() {
        let limiter = RateLimiter(perSecond: 0.2, burst: 10, maxKeys: 500)
        var rng = SplitMix64(seed: 20261201)
        var allowed = 0
        // 20,000 requests in 4 s, each from a new IPv4 address: no bucket refills meanwhile, so none can be swept.
        for i in 0..<20_000 {
            let address = (0..<4).map { _ in String(rng.next() % 256) }.joined(separator: ".")
            if limiter.allow(address, now: 1000 + Double(i) / 5000) { allowed += 1 }
            #expect(limiter.count <= 501)
        }
        // 500 newcomers got one request each; the rest shared one bucket: its burst of 10, and 4 s × 0.2.
        #expect(allowed <= 500 + 11, "\(allowed)")
    }

    @Test func ipv6ClientsAreCountedByTheirSlash64() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let prefix = (0..<4).map { _ in String(rng.next() % 65536, radix: 16) }.joined(separator: ":")
            let a = prefix + ":" + (0..<4).map { _ in String(rng.next() % 65536, radix: 16) }.joined(separator: ":")
            let b = prefix + ":" + (0..<4).map { _ in String(rng.next() % 65536, radix: 16) }.joined(separator: ":")
            #expect(RateLimiter.clientKey(a) == RateLimiter.clientKey(b) && RateLimiter.clientKey(a).hasSuffix("::/64"), "\(a) \(b)")
        }
        #expect(RateLimiter.clientKey("2001:db8:1:2::1") == "2001:db8:1:2::/64")
        #expect(RateLimiter.clientKey("2001:db8:1:2::1") != RateLimiter.clientKey("2001:db8:1:3::1"))
        #expect(RateLimiter.clientKey("::ffff:192.0.2.7") == "192.0.2.7", "an IPv4 client written IPv4-mapped is the same client")
        #expect(RateLimiter.clientKey("192.0.2.7") == "192.0.2.7" && RateLimiter.clientKey("not an address") == "not an address")
    }
}
