import BanliCore
import BanliOffice
import TestSupport
import Testing

/// Issue 15's report figures: items counted once in "其中…" (the parts never exceed the total), 重点 items,
/// and the B类 follow-up that survives a B reply's later change to A.
@Suite struct StatisticsFollowUpTests {
    static let today = ISODate("2020-12-31")!

    /// A county office's small year: three proposals; zx-1 led by jxj with two 会办 units, zx-2 led by fgw with
    /// jxj cooperating, zx-3 jxj alone (重点). jxj replied B on zx-1 and the office later reviewed it to A.
    static let year: [(EntityKey, String, JSONValue)] = {
        var w: [(EntityKey, String, JSONValue)] = []
        for (id, key) in [("zx-2020-1", false), ("zx-2020-2", false), ("zx-2020-3", true)] {
            let e = EntityKey.item(id: id)
            w += [(e, "kind", .string("proposal")), (e, "year", .int(2020)), (e, "assignedAt", .string("2020-03-20")), (e, "key", .bool(key))]
        }
        func unit(_ id: String, _ site: String, _ role: String, _ more: [(String, JSONValue)] = []) {
            let a = EntityKey.assignment(item: id, site: site)
            w += [(a, "role", .string(role)), (a, "active", .bool(true))] + more.map { (a, $0.0, $0.1) }
        }
        unit("zx-2020-1", "jxj", "lead", [("replyAt", .string("2020-05-01")), ("replyCategory", .string("B")), ("finalCategory", .string("A"))])
        unit("zx-2020-1", "fgw", "cooperating")
        unit("zx-2020-1", "swj", "cooperating")
        unit("zx-2020-2", "fgw", "lead", [("replyAt", .string("2020-05-01")), ("replyCategory", .string("A"))])
        unit("zx-2020-2", "jxj", "cooperating")
        unit("zx-2020-3", "jxj", "sole", [("replyAt", .string("2020-05-01")), ("replyCategory", .string("C"))])
        return w
    }()

    func stats(_ unit: String?) throws -> Statistics {
        Statistics.compute(items: try OfficeSample.views(Self.year), unit: unit, year: 2020, today: Self.today, deadlines: Deadlines())
    }

    @Test func theHubWideReportCountsItemsAndItsPartsNeverExceedIt() throws {
        let s = try stats(nil)
        #expect(s.items == 3)
        #expect(s.itemsByRole == [.sole: 1, .lead: 2, .split: 0, .cooperating: 0, .assisting: 0])
        #expect(s.itemsByRole.values.reduce(0, +) == s.items)
        // Assignments stay in byRole (the pinned JSON), and the prose names them as 件次 apart.
        #expect(s.byRole[.cooperating] == 3)
        let text = s.text(unitName: nil, jurisdiction: "县")
        #expect(text.hasPrefix("2020年，全县各承办单位共承办人大代表建议0件、政协提案3件，其中独办1件、主办2件（另有会办3件次），重点件1件。"), "\(text)")
        #expect(s.markdown(unitName: nil, jurisdiction: "省").hasPrefix("# 2020年建议提案办理情况（全省）\n\n2020年，全省各承办单位"))
    }

    @Test func aUnitsReportCountsItsOwnRoles() throws {
        let jxj = try stats("jxj")
        #expect(jxj.items == 3)
        #expect(jxj.itemsByRole == jxj.byRole)
        #expect(jxj.text(unitName: "县经信局").hasPrefix("2020年，县经信局共承办人大代表建议0件、政协提案3件，其中独办1件、主办1件、会办1件，重点件1件。"))
        #expect(jxj.keyItems == 1)
        #expect(try stats("fgw").keyItems == 0)
    }

    @Test func aBReplyReviewedToAStillCountsInTheFollowUp() throws {
        // The unit's own category B is still visible beside the review: counted without any history.
        let s = try stats(nil)
        #expect(s.categories[.b] == 0 && s.categories[.a] == 2)
        #expect(s.followUp == Statistics.FollowUp(wasB: 1, nowA: 1))
        #expect(s.text(unitName: nil).contains("纳入B类1件，其中已转为A类1件。"))
        // A category that was B only in the history (the unit rewrote its own to A) counts through `wasCategoryB`.
        var rewritten = Self.year
        rewritten.append((.assignment(item: "zx-2020-2", site: "fgw"), "replyCategory", .string("A")))
        var views = try OfficeSample.views(rewritten)
        let i = try #require(views.firstIndex { $0.id == "zx-2020-2" })
        views[i].assignments["fgw"]?.wasCategoryB = true
        let fromHistory = Statistics.compute(items: views, unit: "fgw", year: 2020, today: Self.today, deadlines: Deadlines())
        #expect(fromHistory.followUp == Statistics.FollowUp(wasB: 1, nowA: 1))
        #expect(try stats("fgw").followUp == Statistics.FollowUp())
        let json = s.json
        guard case .object(let o) = json else { Issue.record("not an object"); return }
        #expect(o["followUp"] == .object(["wasB": .int(1), "nowA": .int(1)]) && o["key"] == .int(1))
        #expect(s.csvRows().contains(["纳入B类后转为A类", "1", "1", "100%"]) && s.csvRows().contains(["重点件", "1", "", ""]))
    }
}
