import BanliCore
import TestSupport
import Testing

/// The one date parser every command-line option and ledger cell goes through.
@Suite struct DateParsingTests {
    @Test func everyFormClerksTypeReadsTheSameDate() throws {
        for text in ["2020-05-22", "2020-5-22", "2020/05/22", "2020/5/22", "2020年5月22日", "2020.5.22", "2020.05.22",
                     " 2020-05-22 ", "2020/5/22 00:00:00", "2020年5月22号", "2020年05月22日"] {
            #expect(try ISODate.parse(text) == ISODate(year: 2020, month: 5, day: 22), "\(text)")
        }
    }

    @Test func impossibleDatesAreRefusedWithOneSentence() {
        for text in ["2020-02-30", "2021-02-29", "2020/4/31", "2020年13月1日", "2020.0.10", "2020-01-00"] {
            do {
                let d = try ISODate.parse(text)
                Issue.record("\(text) read as \(d)")
            } catch let e as BanliError {
                #expect(e.code == .invalidValue)
                #expect(e.message.contains("is not a real date"), "\(e.message)")
                #expect(e.message.hasSuffix(".") && !e.message.contains("\n"))
            } catch {
                Issue.record("\(error)")
            }
        }
        // A leap year's 29 February exists.
        #expect(throws: Never.self) { try ISODate.parse("2020-02-29") }
    }

    @Test func malformedTextIsRefusedNamingTheForms() {
        for text in ["", "2020", "20-5-22", "2020-5", "2020/5-22", "2020-5-22-1", "2020年5月", "５月", "2020-05-22T08:00", "tomorrow",
                     "2020-1a-01", "2020--22", "02020-05-22"] {
            do {
                let d = try ISODate.parse(text)
                Issue.record("\(text) read as \(d)")
            } catch let e as BanliError {
                #expect(e.message.contains("2020年5月22日"), "\(e.message)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    /// Every real date, written in every form with or without zero padding, reads back as itself; and the
    /// parser never accepts text that is not one of those forms (seeded, so a failure repeats).
    @Test func seededDatesRoundTripInEveryForm() throws {
        var rng = SplitMix64(seed: 0x15_da7e)
        for _ in 0..<2_000 {
            let date = ISODate(daysSinceEpoch: Int.random(in: -25_000...60_000, using: &rng))
            let (y, m, d) = (String(date.year), String(date.month), String(date.day))
            func pad(_ s: String) -> String { s.count == 1 ? "0" + s : s }
            let mm = Bool.random(using: &rng) ? pad(m) : m, dd = Bool.random(using: &rng) ? pad(d) : d
            for text in ["\(y)-\(mm)-\(dd)", "\(y)/\(mm)/\(dd)", "\(y).\(mm).\(dd)", "\(y)年\(mm)月\(dd)日"] {
                #expect(try ISODate.parse(text) == date, "\(text)")
            }
            #expect(try ISODate.parse(date.description).description == date.description)
        }
        var hostile = HostileStrings(seed: 15)
        for _ in 0..<2_000 {
            let text = hostile.next()
            if let d = try? ISODate.parse(text) {
                // Anything accepted must be a real date whose digits appear in the text.
                #expect(text.contains(String(d.year)), "\(text) read as \(d)")
            }
        }
    }

    /// `item set` reads dates through the same parser and stores the ISO form.
    @Test func fieldValuesOfTypeDateAreStoredInISOForm() throws {
        #expect(try ValueType.date.parse("2020年5月22日", field: "replyAt") == .string("2020-05-22"))
        #expect(throws: BanliError.self) { try ValueType.date.parse("2020-02-30", field: "replyAt") }
        // What is stored or received stays strict: only the ISO form validates.
        #expect(throws: BanliError.self) { try ValueType.date.validate(.string("2020/5/22"), field: "replyAt") }
    }
}
