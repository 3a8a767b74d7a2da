/// A calendar date in ISO 8601 form (`2025-04-14`), validated without Foundation.
public struct ISODate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Parses `YYYY-MM-DD`; nil if malformed or not a real date.
    public init?(_ s: String) {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10),
              y >= 1900, (1...12).contains(m), d >= 1, d <= ISODate.daysIn(month: m, year: y) else { return nil }
        year = y
        month = m
        day = d
    }

    /// A date from its parts (assumed valid).
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The number of days in a month.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `days` days since 1970-01-01.
    public init(daysSinceEpoch z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// The date for a Unix time in milliseconds, in a fixed offset from UTC (China: +8 h).
    public init(unixMilliseconds: UInt64, utcOffsetHours: Int = 8) {
        let seconds = Int(unixMilliseconds / 1000) + utcOffsetHours * 3600
        self.init(daysSinceEpoch: seconds / 86_400)
    }

    /// This date plus `n` calendar months, clamped to the month's last day (3 months after 11-30 is 02-28).
    public func addingMonths(_ n: Int) -> ISODate {
        let total = year * 12 + (month - 1) + n
        let y = total / 12, m = total % 12 + 1
        return ISODate(year: y, month: m, day: min(day, ISODate.daysIn(month: m, year: y)))
    }

    /// This date plus `n` days.
    public func addingDays(_ n: Int) -> ISODate { ISODate(daysSinceEpoch: daysSinceEpoch + n) }

    public var description: String {
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (a: ISODate, b: ISODate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }
}
