#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A hybrid logical clock: 48 bits of wall-clock milliseconds and a 16-bit logical counter in one `UInt64`.
///
/// Each value it hands out is larger than every value it handed out or observed before, and stays
/// close to wall time, so dots are unique per site and roughly ordered in time.
public struct HybridLogicalClock: Sendable, Equatable {
    /// The largest counter issued or observed.
    public private(set) var latest: UInt64

    /// How far ahead of the wall clock a received counter may be: 5 minutes.
    public static let maximumSkewMilliseconds: UInt64 = 5 * 60 * 1000

    /// A clock that has issued and seen nothing above `latest`.
    public init(latest: UInt64 = 0) {
        self.latest = latest
    }

    /// Packs wall milliseconds and a logical count.
    public static func pack(milliseconds: UInt64, logical: UInt16 = 0) -> UInt64 {
        (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | UInt64(logical)
    }

    /// The wall clock now, in Unix milliseconds: the one reading of it that stores, hubs and bureaus use.
    public static func wallMilliseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return UInt64(max(0, t.tv_sec)) * 1000 + UInt64(max(0, t.tv_nsec)) / 1_000_000
    }

    /// The wall-clock milliseconds part of a counter.
    public static func milliseconds(of counter: UInt64) -> UInt64 { counter >> 16 }

    /// The counter for a new local event at wall time `nowMilliseconds`.
    public mutating func tick(nowMilliseconds: UInt64) -> UInt64 {
        let wall = Self.pack(milliseconds: nowMilliseconds)
        latest = Swift.max(latest &+ 1, wall)
        return latest
    }

    /// Moves the clock past a counter received from elsewhere.
    public mutating func observe(_ counter: UInt64) {
        latest = Swift.max(latest, counter)
    }

    /// True when `counter` is more than the allowed skew ahead of `nowMilliseconds`.
    public static func isTooFarAhead(_ counter: UInt64, nowMilliseconds: UInt64) -> Bool {
        milliseconds(of: counter) > nowMilliseconds + maximumSkewMilliseconds
    }
}
