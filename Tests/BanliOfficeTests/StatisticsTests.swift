import BanliCore
import BanliOffice
import TestSupport
import Testing

/// The yearly figures on `OfficeSample.year2025`, counted by hand (see its comment); today is 2025-11-30,
/// deadlines are the defaults (reply 3 months, opinion 1 month after 交办 on 2025-03-20).
@Suite struct StatisticsTests {
    static let today = ISODate("2025-11-30")!

    func stats(unit: String?, year: Int = 2025) throws -> Statistics {
        let views = try OfficeSample.views(OfficeSample.year2025)
        return Statistics.compute(items: views, unit: unit, year: year, today: Self.today, deadlines: Deadlines())
    }

    @Test func countsEveryUnitsActiveAssignmentsOfTheYear() throws {
        let s = try stats(unit: nil)
        #expect(s.items == 5)
        #expect(s.byKind == [.suggestion: 3, .proposal: 2])
        // swj was reassigned away from zx-2025-4 (withdrawn): not counted as cooperating.
        #expect(s.byRole == [.sole: 2, .lead: 2, .split: 1, .cooperating: 1, .assisting: 1])
        // Replied: rd-1 jxj (on time), rd-2 jxj (late), zx-3 jxj (on time); fgw's opinion on rd-1 was on time.
        #expect(s.reply == Rate(4, 7))
        #expect(s.onTime == Rate(3, 7))
        // Only rd-1's phone call came before its reply; rd-2's visit came after it, which still counts as 面商.
        #expect(s.communication == Rate(1, 3))
        #expect(s.faceToFace == Rate(1, 3))
        #expect(s.satisfaction == Rate(2, 3))
        #expect(s.satisfied == Rate(1, 3))
        // rd-2's B was reviewed to C by the office: the review counts.
        #expect(s.categories == [.a: 1, .b: 0, .c: 2, .d: 0])
        // zx-4's lead (due 06-20) and assisting unit (due 04-20) have not answered; rd-5 is due only in 2026.
        #expect(s.overdue == 2)
    }

    /// Issue 18: satisfaction with the handling work and with the result are counted apart, over the forms that asked
    /// them apart, while 满意率 keeps counting the single evaluation exactly as before.
    @Test func workAndResultSatisfactionAreCountedApart() throws {
        func apart(_ id: String, work: String, result: String) -> [(EntityKey, String, JSONValue)] {
            let f = EntityKey.feedback(item: id, site: "jxj")
            return [(f, "workEvaluation", .string(work)), (f, "resultEvaluation", .string(result))]
        }
        // rd-1 (满意) and zx-3 (不满意) were answered online; rd-2's paper form asked only the single question.
        let views = try OfficeSample.views(OfficeSample.year2025 + apart("rd-2025-1", work: "satisfied", result: "basic")
            + apart("zx-2025-3", work: "basic", result: "unsatisfied"))
        let s = Statistics.compute(items: views, unit: nil, year: 2025, today: Self.today, deadlines: Deadlines())
        #expect(s.workSatisfaction == Rate(2, 2) && s.resultSatisfaction == Rate(1, 2))
        #expect(s.satisfaction == Rate(2, 3) && s.satisfied == Rate(1, 3))
        #expect(s.text(unitName: nil).contains("满意（不含基本满意）33.3%（1/3），对办理工作满意率100%（2/2），对办理结果满意率50%（1/2）。"))
        #expect(s.csvRows().contains(["对办理结果满意率", "1", "2", "50%"]))
        guard case .object(let o) = s.json else { Issue.record("not an object"); return }
        #expect(o["satisfactionApart"] == .object(["work": Rate(2, 2).json, "result": Rate(1, 2).json]))
        // A year with no form asked apart reads as before.
        #expect(!(try stats(unit: nil).text(unitName: nil).contains("对办理工作")))
    }

    @Test func oneUnitCountsOnlyItsOwnAssignments() throws {
        let jxj = try stats(unit: "jxj")
        #expect(jxj.items == 5)
        #expect(jxj.byRole == [.sole: 2, .lead: 1, .split: 1, .cooperating: 0, .assisting: 1])
        #expect(jxj.reply == Rate(3, 5))
        #expect(jxj.onTime == Rate(2, 5))
        #expect(jxj.overdue == 1)

        let fgw = try stats(unit: "fgw")
        #expect(fgw.items == 2)
        #expect(fgw.byKind == [.suggestion: 1, .proposal: 1])
        #expect(fgw.reply == Rate(1, 2))
        // A unit that only gave opinions has replied to nothing: no rate, not 0%.
        #expect(fgw.communication == Rate(0, 0))
        #expect(fgw.communication.percent == "—")

        #expect(try stats(unit: "nobody").items == 0)
    }

    @Test func anotherYearIsCountedApart() throws {
        let s = try stats(unit: "jxj", year: 2024)
        #expect(s.items == 1)
        #expect(s.byRole[.sole] == 1)
        #expect(s.reply == Rate(1, 1))
        #expect(s.categories[.a] == 1)
    }

    @Test func anItemWithoutAYearCountsInTheYearItWasAssigned() throws {
        let e = EntityKey.item(id: "rd-x"), a = EntityKey.assignment(item: "rd-x", site: "jxj")
        let views = try OfficeSample.views([
            (e, "kind", .string("suggestion")), (e, "assignedAt", .string("2024-12-30")),
            (a, "role", .string("sole")), (a, "active", .bool(true)),
        ])
        #expect(Statistics.compute(items: views, unit: nil, year: 2024, today: Self.today, deadlines: Deadlines()).items == 1)
        #expect(Statistics.compute(items: views, unit: nil, year: 2025, today: Self.today, deadlines: Deadlines()).items == 0)
    }

    @Test func ratesShowTheirFractionRounded() {
        #expect(Rate(4, 7).percent == "57.1%")
        #expect(Rate(2, 3).percent == "66.7%")
        #expect(Rate(3, 3).percent == "100%")
        #expect(Rate(0, 5).percent == "0%")
    }

    @Test func proseTableAndJSONSayTheSameFigures() throws {
        let s = try stats(unit: nil)
        #expect(s.text(unitName: nil) == "2025年，全市各承办单位共承办人大代表建议3件、政协提案2件，其中独办2件、主办2件、分办1件（另有会办1件次、协办1件次）。"
            + "办复率57.1%（4/7），按期办复率42.9%（3/7），沟通率33.3%（1/3），面商率33.3%（1/3），满意率66.7%（2/3），满意（不含基本满意）33.3%（1/3）。"
            + "答复类别：A类1件、B类0件、C类2件、D类0件。纳入B类1件，其中已转为A类0件。目前逾期未办复2件。")
        // Roles with no assignment are left out of the prose.
        #expect(try stats(unit: "fgw").text(unitName: "市发改委").contains("其中主办1件、会办1件。"))
        #expect(try stats(unit: "nobody").text(unitName: "无").contains("无逾期未办复件。"))

        let md = s.markdown(unitName: nil)
        #expect(md.hasPrefix("# 2025年建议提案办理情况（全市）\n\n"))
        #expect(md.contains("| 办复率 | 57.1% | 4/7 |\n"))
        #expect(md.hasSuffix("| 答复类别 | A | B | C | D |\n|---|---|---|---|---|\n| 件数 | 1 | 0 | 2 | 0 |\n"))

        let rows = s.csvRows()
        #expect(rows.first == ["指标", "分子", "分母", "比率"])
        #expect(rows.contains(["协办", "1", "", ""]))
        #expect(rows.contains(["按期办复率", "3", "7", "42.9%"]))
        #expect(rows.contains(["C类", "2", "", ""]))
        #expect(rows.last == ["逾期", "2", "", ""])

        // The pinned JSON names every kind, role and category by its stored value, zeros included.
        let json = s.json
        guard case .object(let o) = json else { Issue.record("not an object"); return }
        #expect(o["byRole"] == .object(["sole": .int(2), "lead": .int(2), "split": .int(1), "cooperating": .int(1), "assisting": .int(1)]))
        #expect(o["categories"] == .object(["A": .int(1), "B": .int(0), "C": .int(2), "D": .int(0)]))
        #expect(o["byKind"] == .object(["suggestion": .int(3), "proposal": .int(2)]))
        #expect(o["unit"] == .null)
    }
}
