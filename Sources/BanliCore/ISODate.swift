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

/// Dates as clerks type them: one parser for every date the command line and the ledger import read.
extension ISODate {
    /// The accepted forms, for messages.
    public static let acceptedForms = "2020-05-22, 2020/5/22, 2020.5.22 or 2020年5月22日"

    /// Parses a date as people type it: `2020-05-22`, `2020-5-22`, `2020/05/22`, `2020/5/22`, `2020.5.22` or
    /// `2020年5月22日`, with surrounding spaces and a spreadsheet's midnight time (` 00:00:00`) allowed.
    /// Throws one sentence for anything else, and for a date that does not exist (2020-02-30).
    public static func parse(_ text: String) throws -> ISODate {
        let shown = String(text.trimmedWhitespace.prefix(40))
        guard let (y, m, d) = parts(text) else {
            throw BanliError(.invalidValue, "'\(shown)' is not a date; write it like \(acceptedForms).")
        }
        guard y >= 1900, y <= 9999, (1...12).contains(m) else {
            throw BanliError(.invalidValue, "'\(shown)' is not a real date: the year must be 1900 or later and the month 1 to 12.")
        }
        let days = daysIn(month: m, year: y)
        guard d >= 1, d <= days else {
            throw BanliError(.invalidValue, "'\(shown)' is not a real date: \(y)年\(m)月 has \(days) days.")
        }
        return ISODate(year: y, month: m, day: d)
    }

    /// The year, month and day of a date in one of the accepted forms, unchecked; nil when the form is wrong.
    static func parts(_ text: String) -> (Int, Int, Int)? {
        var t = Substring(text.trimmedWhitespace)
        // Spreadsheets append a midnight time to date cells.
        for suffix in [" 00:00:00", " 0:00:00", " 00:00", " 0:00"] where t.hasSuffix(suffix) {
            t = t.dropLast(suffix.count)
            break
        }
        let chinese = t.contains("年")
        if chinese {
            if t.hasSuffix("日") || t.hasSuffix("号") { t = t.dropLast() }
            guard let y = t.firstIndex(of: "年"), let m = t.firstIndex(of: "月"), y < m else { return nil }
            return numbers([t[..<y], t[t.index(after: y)..<m], t[t.index(after: m)...]], yearDigits: 4)
        }
        guard let sep = t.first(where: { $0 == "-" || $0 == "/" || $0 == "." }) else { return nil }
        let fields = t.split(separator: sep, omittingEmptySubsequences: false)
        guard fields.count == 3 else { return nil }
        return numbers(fields, yearDigits: 4)
    }

    /// Three runs of ASCII digits: a four-digit year, then a month and a day of one or two digits each.
    private static func numbers(_ fields: [Substring], yearDigits: Int) -> (Int, Int, Int)? {
        guard fields.count == 3, fields[0].count == yearDigits, (1...2).contains(fields[1].count), (1...2).contains(fields[2].count),
              fields.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let y = Int(fields[0]), let m = Int(fields[1]), let d = Int(fields[2])
        else { return nil }
        return (y, m, d)
    }
}
