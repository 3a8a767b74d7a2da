import BanliCore
import BanliOffice
import BanliPages
import TestSupport
import Testing

/// The status page at a province's scale (1,000 units, 100,000 items, 20 units syncing): what is wrong comes first, the
/// rest is paged, codes count naturally, the 督办 section is counts per unit, and the page stays small.
struct StatusPageScaleTests {
    typealias Report = HubStatusReport

    /// 1,000 units (`u1`…`u1000`, named 第N单位): 5 failing, 15 stale, 20 syncing, the rest never synced; each holds
    /// 100 assignments, of which 10 are overdue and 2 due soon.
    static let province: Report = {
        let now: Int64 = 1_740_816_000_000
        var rng = SplitMix64(seed: 2026)
        var codes = (1...1000).map { "u\($0)" }
        codes.shuffle(using: &rng)
        let failing = Set(codes[0..<5]), stale = Set(codes[5..<20]), syncing = Set(codes[20..<40])
        let units = codes.map { site in
            let synced: Int64? = failing.contains(site) || syncing.contains(site) ? now - 60_000 : stale.contains(site) ? now - 86_400_000 : nil
            var unit = Report.Unit(site: site, name: "第\(site.dropFirst())单位", lastSyncAt: synced, lastSuccessAt: synced,
                                   lastError: failing.contains(site) ? .clockAhead(seconds: 300) : nil,
                                   stale: !syncing.contains(site) && !failing.contains(site),
                                   backlog: 0, rejected: 0, clockOffsetMs: nil, clientVersion: nil, items: 100, overdue: 10)
            // The units that sync carry a whole day of charted exchanges: the largest rows the page can have.
            if failing.contains(site) || syncing.contains(site) {
                var trend = SyncTrend()
                for k in 0..<Int64(SyncTrend.bucketCount) {
                    trend.record(atMilliseconds: now - k * SyncTrend.bucketMilliseconds, latencyMilliseconds: 9_000 + Int(k), backlog: 90_000 + Int(k))
                }
                unit.trend = trend.lastDay(nowMilliseconds: now)
            }
            return unit
        }
        let due = ISODate(year: 2025, month: 3, day: 1)
        var attention: [String: [Report.Chase]] = [:]
        for (n, site) in codes.enumerated() {
            attention[site] = (0..<12).map { k in
                Report.Chase(id: "rd-2025-\(n * 100 + k)", title: "关于第\(n)号事项的建议", dueAt: due, overdue: k < 10 + n % 3 - 1,
                             stage: .handling, role: "lead")
            }
        }
        return Report(hub: .init(site: "hub", hubId: "h", timeMilliseconds: UInt64(now), version: "0.2.0"), units: units,
                      totals: .init(units: 1000, stale: 995, items: 100_000, overdue: 10_000, conflicts: 0, failing: 5),
                      attention: attention, conflicts: [])
    }()

    static func rows(_ page: String) -> [(cls: String, site: String)] {
        page.split(separator: "\n").filter { $0.hasPrefix("<tr class=\"unit") }.compactMap { line in
            guard let m = line.firstMatch(of: /<tr class="unit (\w+)" data-site="([^"]*)">/) else { return nil }
            return (String(m.1), String(m.2))
        }
    }

    static func query(_ set: (inout StatusQuery) -> Void) -> StatusQuery {
        var q = StatusQuery()
        set(&q)
        return q
    }

    @Test func theFirstPageShowsWhatIsWrongFirstInNaturalOrderAndStaysSmall() {
        for language in [StatusPage.Language.zh, .en] {
            let page = StatusPage.render(Self.province, language: language, refreshSeconds: 10)
            #expect(page.utf8.count < 200_000, "\(language): \(page.utf8.count) bytes")
            let rows = Self.rows(page)
            #expect(rows.count == StatusQuery.pageSize)
            #expect(rows.prefix(5).allSatisfy { $0.cls == "failing" } && rows.dropFirst(5).prefix(15).allSatisfy { $0.cls == "stale" })
            let failing = rows.prefix(5).map(\.site)
            #expect(failing == failing.sorted(by: NaturalOrder.precedes), "\(failing)")
            #expect(!page.contains("关于第"), "no assignment is listed one by one until a unit's list is opened")
        }
    }

    @Test func filtersPagesAndSearchFindTheUnits() {
        let ok = Self.rows(StatusPage.render(Self.province, language: .zh, refreshSeconds: 10, query: Self.query { $0.filter = .ok }))
        #expect(ok.count == 20 && ok.allSatisfy { $0.cls == "ok" })
        #expect(ok.map(\.site) == ok.map(\.site).sorted(by: NaturalOrder.precedes))
        // The last page of all units ends with the healthy ones; every unit is on exactly one page.
        var seen: [String] = []
        for n in 1...10 {
            seen += Self.rows(StatusPage.render(Self.province, language: .zh, refreshSeconds: 10, query: Self.query { $0.page = n })).map(\.site)
        }
        #expect(seen.count == 1000 && Set(seen).count == 1000)
        let found = Self.rows(StatusPage.render(Self.province, language: .zh, refreshSeconds: 10, query: Self.query { $0.search = "U10" }))
        #expect(Set(found.map(\.site)) == Set(["u10", "u1000"] + (100...109).map { "u\($0)" }), "\(found)")
        let byName = Self.rows(StatusPage.render(Self.province, language: .zh, refreshSeconds: 10, query: Self.query { $0.search = "第77单位" }))
        #expect(byName.map(\.site) == ["u77"])
    }

    @Test func theAttentionSectionCountsByUnitAndOpensOneList() {
        let page = StatusPage.render(Self.province, language: .zh, refreshSeconds: 10)
        let counts = page.split(separator: "\n").joined().matches(of: /<tr data-site="([^"]*)"><td>[^<]*<\/td><td>[^<]*<\/td><td class="num">(\d+)<\/td>/)
        #expect(counts.count == StatusQuery.pageSize)
        let overdue = counts.map { Int($0.2)! }
        #expect(overdue == overdue.sorted(by: >), "most overdue first")
        let site = String(counts[0].1)
        let list = StatusPage.render(Self.province, language: .zh, refreshSeconds: 10, query: Self.query { $0.unit = site })
        let chases = Self.province.attention[site]!
        #expect(list.components(separatedBy: "<li class=\"overdue\">").count - 1 == chases.filter(\.overdue).count)
        #expect(list.components(separatedBy: "<li class=\"due-soon\">").count - 1 == chases.filter { !$0.overdue }.count)
    }

    @Test func naturalOrderCountsNumbers() {
        let codes = ["u10", "u2", "u100", "u1", "a", "u01", "b2", "b10", "u", "u1a", "中1", "中10", "中2"]
        #expect(codes.sorted(by: NaturalOrder.precedes) == ["a", "b2", "b10", "u", "u1", "u1a", "u01", "u2", "u10", "u100", "中1", "中2", "中10"])
        // A strict order on seeded codes: irreflexive, asymmetric, and total on distinct codes.
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("u0123456789-中x")
        let sample = (0..<200).map { _ in String((0..<Int.random(in: 1...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }) }
        for a in sample {
            #expect(!NaturalOrder.precedes(a, a))
            for b in sample.prefix(40) where a != b {
                #expect(NaturalOrder.precedes(a, b) != NaturalOrder.precedes(b, a), "\(a) \(b)")
            }
        }
    }

    @Test func hostileQueriesFallBackToTheDefaults() {
        var rng = SplitMix64(seed: 11)
        let pieces = ["-1", "0", "999999999999999999999", "failing", "<script>", "'\"", "%00", String(repeating: "长", count: 500), "", " "]
        let small = Report(hub: Self.province.hub, units: Array(Self.province.units.prefix(30)), totals: Self.province.totals,
                           attention: Self.province.attention.filter { $0.key.count < 3 }, conflicts: [])
        for _ in 0..<200 {
            let values = Dictionary(uniqueKeysWithValues: ["state", "q", "page", "apage", "unit"].map { ($0, pieces.randomElement(using: &rng)!) })
            let q = StatusQuery { values[$0] }
            #expect(q.page >= 1 && q.attentionPage >= 1 && q.search.count <= 64 && (q.unit?.count ?? 0) <= 64)
            let page = StatusPage.render(small, language: .zh, refreshSeconds: 10, query: q)
            #expect(!page.contains("<script>") && page.utf8.count < 200_000)
        }
    }
}
