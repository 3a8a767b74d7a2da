import BanliCore
import BanliOffice
import TestSupport
import Testing

/// The monthly counts of the 统计 page: each assignment under the month its deadline falls in, answered on time, late,
/// open past the deadline, or open and not yet due; and the same assignments the report's rates count.
@Suite struct MonthlyDeadlinesTests {
    static let today = ISODate("2025-11-30")!

    @Test func theSampleYearByHand() throws {
        let views = try OfficeSample.views(OfficeSample.year2025)
        let m = MonthlyDeadlines.compute(items: views, unit: nil, year: 2025, today: Self.today, deadlines: Deadlines())
        // January 2025 to January 2026: rd-2025-5, assigned 2025-10-01, is due 2026-01-01.
        #expect(m.months.map(\.month.description) == (1...12).map { "2025-" + ($0 < 10 ? "0\($0)" : "\($0)") } + ["2026-01"])
        func month(_ text: String) -> MonthlyDeadlines.Month? { m.months.first { $0.month.description == text } }
        // April: fgw's opinion on rd-1 (due 04-20, given 04-10); jxj assisting on zx-4, never answered.
        #expect(month("2025-04") == MonthlyDeadlines.Month(month: YearMonth(year: 2025, month: 4), onTime: 1, openOverdue: 1))
        // June: rd-1 and zx-3 on time, rd-2 replied 07-01 (late), zx-4's lead unanswered.
        #expect(month("2025-06") == MonthlyDeadlines.Month(month: YearMonth(year: 2025, month: 6), onTime: 2, late: 1, openOverdue: 1))
        #expect(month("2026-01") == MonthlyDeadlines.Month(month: YearMonth(year: 2026, month: 1), open: 1))
        #expect(m.months.map(\.total).reduce(0, +) == 7)
        #expect(m.elsewhere.total == 0 && m.onTimeWithoutDeadline + m.lateWithoutDeadline + m.openWithoutDeadline == 0)
        // One unit: jxj only.
        let jxj = MonthlyDeadlines.compute(items: views, unit: "jxj", year: 2025, today: Self.today, deadlines: Deadlines())
        #expect(jxj.months.first { $0.month == YearMonth(year: 2025, month: 6) }?.onTime == 2)
        #expect(jxj.months.first { $0.month == YearMonth(year: 2025, month: 4) }?.onTime == 0)
    }

    /// What a generated assignment should count as, worked out from the values the generator chose.
    struct Expected: Hashable {
        var bucket: String
        var kind: Kind
        enum Kind: Hashable { case onTime, late, openOverdue, open }
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func generatedAssignmentsMatchADirectCount(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var writes: [(EntityKey, String, JSONValue)] = []
        var expected: [String: [Expected.Kind: Int]] = [:]
        var withoutDeadline = (onTime: 0, late: 0, open: 0)
        let roles: [Role] = [.sole, .lead, .split, .cooperating, .assisting]
        let sites = ["jxj", "fgw", "mzj", "swj"]
        for n in 1...160 {
            let id = "rd-gen-\(n)"
            let item = EntityKey.item(id: id)
            let year = Int.random(in: 0..<8, using: &rng) == 0 ? 2024 : 2025
            writes += [(item, "kind", .string("suggestion")), (item, "year", .int(Int64(year))), (item, "title", .string("题\(n)"))]
            // Most items have a 交办 date; a few have none, so units without their own deadline have none at all.
            let assigned = Int.random(in: 0..<10, using: &rng) == 0 ? nil
                : ISODate(year: year, month: Int.random(in: 1...12, using: &rng), day: Int.random(in: 1...28, using: &rng))
            if let assigned { writes.append((item, "assignedAt", .string(assigned.description))) }
            for site in sites.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng)) {
                let a = EntityKey.assignment(item: id, site: site)
                let role = roles.randomElement(using: &rng)!
                let active = Int.random(in: 0..<12, using: &rng) != 0
                writes += [(a, "role", .string(role.rawValue)), (a, "active", .bool(active))]
                let own: ISODate? = Int.random(in: 0..<3, using: &rng) == 0
                    ? ISODate(year: 2025, month: Int.random(in: 1...12, using: &rng), day: Int.random(in: 1...28, using: &rng)).addingDays(
                        Int.random(in: 0..<15, using: &rng) == 0 ? 900 : 0)
                    : nil
                if let own { writes.append((a, role.givesOpinion ? "opinionDueAt" : "dueAt", .string(own.description))) }
                let due = own ?? assigned?.addingMonths(role.givesOpinion ? 1 : 3)
                // Answered some days before or after the deadline (or a date of its own when there is none); an
                // opinion sometimes without a date.
                var answer: ISODate?, answered = false
                if Int.random(in: 0..<3, using: &rng) != 0 {
                    answered = true
                    answer = (due ?? ISODate(year: 2025, month: 6, day: 1)).addingDays(Int.random(in: -40...40, using: &rng))
                    if role.givesOpinion {
                        writes.append((a, "opinion", .string("同意")))
                        if Int.random(in: 0..<5, using: &rng) == 0 { answer = nil } else { writes.append((a, "opinionAt", .string(answer!.description))) }
                    } else {
                        writes.append((a, "replyAt", .string(answer!.description)))
                    }
                }
                guard active, year == 2025 else { continue }
                guard let due else {
                    // Answered with a date and no deadline to miss: on time; an undated opinion is not.
                    if !answered { withoutDeadline.open += 1 } else if answer == nil { withoutDeadline.late += 1 } else { withoutDeadline.onTime += 1 }
                    continue
                }
                let kind: Expected.Kind = answered ? (answer.map { $0 <= due } ?? false ? .onTime : .late) : (Self.today > due ? .openOverdue : .open)
                let inRange = (2025...2026).contains(due.year)
                let bucket = inRange ? "\(due.year)-" + (due.month < 10 ? "0\(due.month)" : "\(due.month)") : "elsewhere"
                expected[bucket, default: [:]][kind, default: 0] += 1
            }
        }
        let views = try OfficeSample.views(writes)
        let m = MonthlyDeadlines.compute(items: views, unit: nil, year: 2025, today: Self.today, deadlines: Deadlines())
        var got: [String: [Expected.Kind: Int]] = [:]
        func add(_ key: String, _ month: MonthlyDeadlines.Month) {
            for (kind, count) in [(Expected.Kind.onTime, month.onTime), (.late, month.late), (.openOverdue, month.openOverdue), (.open, month.open)]
            where count > 0 { got[key, default: [:]][kind] = count }
        }
        for month in m.months { add(month.month.description, month) }
        add("elsewhere", m.elsewhere)
        #expect(got == expected)
        #expect(m.onTimeWithoutDeadline == withoutDeadline.onTime)
        #expect(m.lateWithoutDeadline == withoutDeadline.late)
        #expect(m.openWithoutDeadline == withoutDeadline.open)
        // The months run from January to the last month with a deadline, at least to December.
        #expect(m.months.first?.month == YearMonth(year: 2025, month: 1))
        let last = expected.keys.filter { $0 != "elsewhere" }.max() ?? "2025-12"
        #expect(m.months.last?.month.description == max(last, "2025-12"))
        #expect(Set(m.months.map(\.month)).count == m.months.count)

        // The same assignments as the report's rates: every month's on-time answers are the 按期办复率's numerator.
        let s = Statistics.compute(items: views, unit: nil, year: 2025, today: Self.today, deadlines: Deadlines())
        let all = m.months + [m.elsewhere]
        #expect(all.map(\.onTime).reduce(0, +) + m.onTimeWithoutDeadline == s.onTime.num)
        #expect(all.map { $0.onTime + $0.late }.reduce(0, +) + m.onTimeWithoutDeadline + m.lateWithoutDeadline == s.reply.num)
        let without = m.onTimeWithoutDeadline + m.lateWithoutDeadline + m.openWithoutDeadline
        #expect(all.map(\.total).reduce(0, +) + without == s.onTime.den)
    }
}
