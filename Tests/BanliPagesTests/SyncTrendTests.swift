import BanliPages
import Testing
import TestSupport

/// The status page's per-unit chart: a day of half-hour buckets, kept in a fixed ring.
struct SyncTrendTests {
    typealias Exchange = (at: Int64, latency: Int, backlog: Int)

    /// What the last day holds, computed the plain way from every exchange (in time order).
    static func expected(_ exchanges: [Exchange], now: Int64) -> [SyncTrend.Bucket?] {
        let current = now / SyncTrend.bucketMilliseconds
        return (0..<Int64(SyncTrend.bucketCount)).map { k in
            let index = current - Int64(SyncTrend.bucketCount) + 1 + k
            let inside = exchanges.filter { $0.at / SyncTrend.bucketMilliseconds == index }
            guard !inside.isEmpty else { return nil }
            return SyncTrend.Bucket(exchanges: inside.count, slowestMilliseconds: inside.map(\.latency).max()!, backlog: inside.map(\.backlog).max()!)
        }
    }

    @Test func theLastDayHoldsExactlyTheExchangesOfItsHalfHours() {
        var rng = SplitMix64(seed: 20261201)
        for _ in 0..<200 {
            var at = Int64.random(in: 0...1_800_000_000_000, using: &rng)
            var exchanges: [Exchange] = []
            var trend = SyncTrend()
            // Bursts and silences of up to three days, so buckets are reused and expire.
            for _ in 0..<Int.random(in: 0...300, using: &rng) {
                at += Bool.random(using: &rng) ? Int64.random(in: 0...120_000, using: &rng) : Int64.random(in: 0...3 * 86_400_000, using: &rng)
                let e: Exchange = (at, Int.random(in: 0...5_000, using: &rng), Int.random(in: 0...10_000, using: &rng))
                exchanges.append(e)
                trend.record(atMilliseconds: e.at, latencyMilliseconds: e.latency, backlog: e.backlog)
            }
            let now = at + Int64.random(in: 0...2 * 86_400_000, using: &rng)
            #expect(trend.lastDay(nowMilliseconds: now) == Self.expected(exchanges, now: now))
        }
    }

    @Test func aHostileBacklogCannotBreakTheChart() {
        var trend = SyncTrend()
        trend.record(atMilliseconds: 1_000, latencyMilliseconds: .max, backlog: .max)
        trend.record(atMilliseconds: 2_000, latencyMilliseconds: .min, backlog: .min)
        let svg = Charts.trend(trend.lastDay(nowMilliseconds: 3_000), english: false)
        #expect(svg.contains("data-backlog=\"\(SyncTrend.cap)\""), "\(svg)")
    }

    @Test func aClockSteppingBackNeverInventsExchanges() {
        var rng = SplitMix64(seed: 7)
        var trend = SyncTrend()
        var total = 0
        for _ in 0..<2_000 {
            trend.record(atMilliseconds: Int64.random(in: 0...10 * 86_400_000, using: &rng), latencyMilliseconds: 10, backlog: 1)
            total += 1
            let day = trend.lastDay(nowMilliseconds: 10 * 86_400_000)
            #expect(day.count == SyncTrend.bucketCount && day.compactMap { $0 }.reduce(0) { $0 + $1.exchanges } <= total)
        }
    }

    @Test func theChartSaysItsTotalsAndIsEmptyForADayWithoutSync() {
        #expect(Charts.trend([SyncTrend.Bucket?](repeating: nil, count: SyncTrend.bucketCount), english: false) == "")
        var trend = SyncTrend()
        let hour: Int64 = 3_600_000
        trend.record(atMilliseconds: 100 * hour, latencyMilliseconds: 40, backlog: 0)
        trend.record(atMilliseconds: 100 * hour + 60_000, latencyMilliseconds: 250, backlog: 12)
        trend.record(atMilliseconds: 110 * hour, latencyMilliseconds: 30, backlog: 3)
        let svg = Charts.trend(trend.lastDay(nowMilliseconds: 111 * hour), english: false)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        #expect(svg.contains(#"data-exchanges="3" data-slowest="250" data-backlog="12""#))
        #expect(svg.contains("<title>最近24小时：同步 3 次，最慢应答 250 毫秒，待推送最多 12 条</title>"))
        #expect(!svg.contains("style="), "the workbench's Content-Security-Policy forbids style attributes")
        var busy = SyncTrend()
        for k in 0..<Int64(SyncTrend.bucketCount) { busy.record(atMilliseconds: k * SyncTrend.bucketMilliseconds, latencyMilliseconds: 9_999, backlog: 99_999) }
        let full = Charts.trend(busy.lastDay(nowMilliseconds: 24 * hour - 1), english: true)
        #expect(full.contains(#"data-exchanges="48""#))
        #expect(full.utf8.count < 1_600, "small enough for a hundred rows on a page under 200 KB: \(full.utf8.count) bytes")
    }

    @Test func eachUnitRowCarriesItsChart() {
        var report = StatusPageTests.report { "x" }
        var trend = SyncTrend()
        trend.record(atMilliseconds: Int64(report.hub.timeMilliseconds) - 60_000, latencyMilliseconds: 12, backlog: 4)
        report.units[0].trend = trend.lastDay(nowMilliseconds: Int64(report.hub.timeMilliseconds))
        let rows = StatusPage.render(report, language: .zh, refreshSeconds: 10).split(separator: "\n").filter { $0.hasPrefix("<tr class=\"unit") }
        #expect(rows.filter { $0.contains(#"<td class="trend"><svg"#) }.count == 1, "only the unit that synced has a chart")
        #expect(rows.allSatisfy { $0.hasSuffix(#"<td class="trend"></td></tr>"#) || $0.contains(#"data-exchanges="1""#) })
    }
}
