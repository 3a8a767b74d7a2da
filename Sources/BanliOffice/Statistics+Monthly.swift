import BanliCore

/// A calendar month, `2025-06`.
public struct YearMonth: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int

    public init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    /// The month a date falls in.
    public init(_ date: ISODate) { self.init(year: date.year, month: date.month) }

    /// The month after this one.
    public var next: YearMonth { month == 12 ? YearMonth(year: year + 1, month: 1) : YearMonth(year: year, month: month + 1) }

    public var description: String { "\(year)-" + (month < 10 ? "0\(month)" : "\(month)") }

    public static func < (a: YearMonth, b: YearMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }
}

/// Month by month, the report's assignments against their deadlines: how many whose deadline fell in each month were
/// answered by it, answered after it, are still open past it, or are still open and not yet due.
///
/// It counts exactly the assignments `Statistics.compute` counts (active, with a role, on items of the year), with
/// its rule for "on time", so the on-time counts of all months plus `onTimeWithoutDeadline` are the 按期办复率's
/// numerator.
public struct MonthlyDeadlines: Sendable, Hashable {
    /// One month's counts, by the month the deadline fell in.
    public struct Month: Sendable, Hashable {
        public var month: YearMonth
        /// Answered (reply, or opinion for cooperating units) by the deadline.
        public var onTime = 0
        /// Answered after the deadline, or answered with no date recorded.
        public var late = 0
        /// Not answered, and the deadline has passed (`AssignmentStatus.overdue`).
        public var openOverdue = 0
        /// Not answered and not overdue: not due yet, or the item was closed without an answer.
        public var open = 0

        public init(month: YearMonth, onTime: Int = 0, late: Int = 0, openOverdue: Int = 0, open: Int = 0) {
            self.month = month
            self.onTime = onTime
            self.late = late
            self.openOverdue = openOverdue
            self.open = open
        }

        /// Every assignment due this month.
        public var total: Int { onTime + late + openOverdue + open }
    }

    /// January to December of the year, then each later month up to the last in which a counted deadline falls (an
    /// item assigned in December is due next spring), at most to December of the next year.
    public var months: [Month]
    /// Deadlines outside those months (a date mistyped years away), counted together so that nothing is lost.
    public var elsewhere: Month
    /// Counted assignments with no deadline at all (no 交办 date and none set), answered with a date: on time by the
    /// report's rule.
    public var onTimeWithoutDeadline = 0
    /// Counted assignments with no deadline, answered with no date (an opinion): not on time by the report's rule.
    public var lateWithoutDeadline = 0
    /// Counted assignments with no deadline, not answered.
    public var openWithoutDeadline = 0

    /// Counts the assignments of `unit` (or of every unit) on items of `year`, as `Statistics.compute` selects them.
    public static func compute(items views: [ItemView], unit: String?, year: Int, today: ISODate, deadlines: Deadlines) -> MonthlyDeadlines {
        let first = YearMonth(year: year, month: 1), limit = YearMonth(year: year + 1, month: 12)
        var byMonth: [YearMonth: Month] = [:]
        var out = MonthlyDeadlines(months: [], elsewhere: Month(month: first))
        for view in views where Statistics.itemYear(view) == year {
            for (_, a, _, st) in Statistics.countedAssignments(view, unit: unit, today: today, deadlines: deadlines) {
                guard let due = st.dueAt else {
                    if Statistics.answeredOnTime(a, due: nil) {
                        out.onTimeWithoutDeadline += 1
                    } else if a.hasAnswered {
                        out.lateWithoutDeadline += 1
                    } else {
                        out.openWithoutDeadline += 1
                    }
                    continue
                }
                let key = YearMonth(due)
                var m = (first...limit).contains(key) ? byMonth[key] ?? Month(month: key) : out.elsewhere
                if a.hasAnswered {
                    if Statistics.answeredOnTime(a, due: due) { m.onTime += 1 } else { m.late += 1 }
                } else if st.overdue {
                    m.openOverdue += 1
                } else {
                    m.open += 1
                }
                if (first...limit).contains(key) { byMonth[key] = m } else { out.elsewhere = m }
            }
        }
        let last = max(YearMonth(year: year, month: 12), byMonth.keys.max() ?? first)
        var month = first
        while month <= last {
            out.months.append(byMonth[month] ?? Month(month: month))
            month = month.next
        }
        return out
    }
}
