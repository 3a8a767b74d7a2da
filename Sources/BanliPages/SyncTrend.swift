/// A unit's last day of exchanges at the hub, in half-hour buckets. Each hub process keeps one per unit that
/// synced with it, in memory (a fixed 48 buckets, so bounded by the registered units), for the status page's chart.
public struct SyncTrend: Sendable, Hashable {
    public static let bucketMilliseconds: Int64 = 30 * 60 * 1000
    public static let bucketCount = 48
    /// The largest latency or backlog kept.
    public static let cap = 1_000_000_000

    /// One half hour: how many exchanges, the slowest of them, and the largest backlog the unit reported.
    public struct Bucket: Sendable, Hashable {
        public var exchanges: Int
        public var slowestMilliseconds: Int
        public var backlog: Int

        public init(exchanges: Int, slowestMilliseconds: Int, backlog: Int) {
            self.exchanges = exchanges
            self.slowestMilliseconds = slowestMilliseconds
            self.backlog = backlog
        }
    }

    struct Slot: Sendable, Hashable {
        var index: Int64
        var bucket: Bucket
    }

    private var slots = [Slot?](repeating: nil, count: SyncTrend.bucketCount)

    public init() {}

    /// Counts one exchange that took `latencyMilliseconds` to answer, with the backlog the unit reported.
    public mutating func record(atMilliseconds at: Int64, latencyMilliseconds: Int, backlog: Int) {
        let index = at / Self.bucketMilliseconds
        let i = Int(index % Int64(Self.bucketCount))
        // The backlog is the unit's own claim: bounded, so no hostile value can overflow the chart's arithmetic.
        let latency = min(max(0, latencyMilliseconds), Self.cap), backlog = min(max(0, backlog), Self.cap)
        guard var slot = slots[i], slot.index >= index else {
            slots[i] = Slot(index: index, bucket: Bucket(exchanges: 1, slowestMilliseconds: latency, backlog: backlog))
            return
        }
        // An exchange from a bucket already reused (a clock stepped back) is older than what the slot holds.
        guard slot.index == index else { return }
        slot.bucket.exchanges += 1
        slot.bucket.slowestMilliseconds = max(slot.bucket.slowestMilliseconds, latency)
        slot.bucket.backlog = max(slot.bucket.backlog, backlog)
        slots[i] = slot
    }

    /// The last day up to `now`, oldest first: `bucketCount` entries, nil where the unit did not exchange.
    public func lastDay(nowMilliseconds now: Int64) -> [Bucket?] {
        let current = now / Self.bucketMilliseconds
        return (0..<Int64(Self.bucketCount)).map { k in
            let index = current - Int64(Self.bucketCount) + 1 + k
            guard index >= 0, let slot = slots[Int(index % Int64(Self.bucketCount))], slot.index == index else { return nil }
            return slot.bucket
        }
    }
}
