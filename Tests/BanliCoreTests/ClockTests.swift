import BanliCore
import Testing

@Suite struct ClockTests {
    @Test func tickIsStrictlyIncreasingEvenWhenWallClockStandsStill() {
        var c = HybridLogicalClock()
        let a = c.tick(nowMilliseconds: 1_000)
        let b = c.tick(nowMilliseconds: 1_000)
        let d = c.tick(nowMilliseconds: 999)
        #expect(a < b && b < d)
        #expect(HybridLogicalClock.milliseconds(of: a) == 1_000)
        #expect(HybridLogicalClock.milliseconds(of: d) == 1_000)
    }

    @Test func tickFollowsWallClockForward() {
        var c = HybridLogicalClock()
        _ = c.tick(nowMilliseconds: 1_000)
        let later = c.tick(nowMilliseconds: 5_000)
        #expect(later == HybridLogicalClock.pack(milliseconds: 5_000))
    }

    @Test func observePushesPastReceivedCounters() {
        var c = HybridLogicalClock()
        c.observe(HybridLogicalClock.pack(milliseconds: 9_000, logical: 3))
        let next = c.tick(nowMilliseconds: 1_000)
        #expect(next == HybridLogicalClock.pack(milliseconds: 9_000, logical: 4))
    }

    @Test func skewLimitIsFiveMinutes() {
        let now: UInt64 = 1_700_000_000_000
        #expect(!HybridLogicalClock.isTooFarAhead(HybridLogicalClock.pack(milliseconds: now + 300_000), nowMilliseconds: now))
        #expect(HybridLogicalClock.isTooFarAhead(HybridLogicalClock.pack(milliseconds: now + 300_001), nowMilliseconds: now))
        #expect(HybridLogicalClock.isTooFarAhead(UInt64.max, nowMilliseconds: now))
    }
}

@Suite struct ISODateTests {
    @Test func parsesRealDatesOnly() {
        #expect(ISODate("2025-04-14")?.description == "2025-04-14")
        #expect(ISODate("2024-02-29") != nil)
        #expect(ISODate("2025-02-29") == nil)
        #expect(ISODate("2025-13-01") == nil)
        #expect(ISODate("2025-4-14") == nil)
        #expect(ISODate("2025-04-14T00:00") == nil)
    }

    @Test func addingMonthsClampsToMonthEnd() {
        #expect(ISODate("2025-03-20")!.addingMonths(3).description == "2025-06-20")
        #expect(ISODate("2025-11-30")!.addingMonths(3).description == "2026-02-28")
        #expect(ISODate("2025-12-15")!.addingMonths(1).description == "2026-01-15")
    }

    @Test func epochDaysRoundTrip() {
        for days in stride(from: -1000, through: 30000, by: 37) {
            #expect(ISODate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
        #expect(ISODate("1970-01-01")!.daysSinceEpoch == 0)
        #expect(ISODate(unixMilliseconds: 1_744_560_000_000, utcOffsetHours: 8).description == "2025-04-14")
    }
}
