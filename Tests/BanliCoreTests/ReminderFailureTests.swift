import BanliCore
import Testing
import TestSupport

/// A reminder's failure: stored once, read back exactly, said in Chinese on one safe line that names the config to fix.
struct ReminderFailureTests {
    static let channels: [ReminderFailure.Channel] = [.mail, .webhook]
    static let reasons: [ReminderFailure.Reason] = [
        .unreachable, .tlsRequired, .certificate, .loginDenied, .recipientRefused, .httpStatus, .robotRefused, .notConfigured, .other,
    ]

    /// Every channel and reason, with seeded hostile targets and details (a server's error text can hold anything).
    static func failures(seed: UInt64, count: Int) -> [ReminderFailure] {
        var strings = HostileStrings(seed: seed)
        var rng = SplitMix64(seed: seed ^ 0x5eed)
        return (0..<count).map { i in
            let reason = reasons[i % reasons.count]
            return ReminderFailure(channels[(i / reasons.count) % 2], reason, target: strings.next(maxPieces: 4),
                                   status: reason == .httpStatus || reason == .robotRefused ? Int.random(in: -1...Int(Int32.max), using: &rng) : nil,
                                   detail: strings.next(maxPieces: 6))
        }
    }

    @Test func everyFailureReadsBackAsItWasStored() {
        for failure in Self.failures(seed: 20261201, count: 400) {
            #expect(ReminderFailure(stored: failure.stored) == failure, "\(failure.stored)")
        }
    }

    @Test func textFromOlderReleasesIsShownAsItIs() {
        var strings = HostileStrings(seed: 11)
        for i in 0..<300 {
            let text = i % 2 == 0 ? strings.next() : "{\"channel\":\"mail\",\"reason\":\"\(strings.nextLine(maxPieces: 2))x\"}"
            let failure = ReminderFailure(stored: text)
            #expect(failure.chinese == failure.english && failure.stored == failure.chinese && text.hasPrefix(failure.stored))
        }
    }

    @Test func theChineseReasonIsOneSafeLineNamingWhatToFix() {
        for failure in Self.failures(seed: 99, count: 400) {
            let zh = failure.chinese
            #expect(!zh.unicodeScalars.contains(where: TerminalText.isUnsafe), "one line, nothing a terminal acts on: \(zh)")
            #expect(zh.contains("请") && zh.contains(failure.channel == .mail ? "[reminders.smtp]" : "[reminders.webhook]")
                    || failure.reason == .tlsRequired, "says what to fix: \(zh)")
            #expect(zh.hasPrefix(failure.channel == .mail ? "督办提醒邮件没有发出" : "督办提醒没有推送到群机器人"), "\(zh)")
            #expect(zh.count < 320, "bounded, whatever the server said: \(zh.count)")
        }
    }

    @Test func aRobotsKeyNeverReachesTheStoredText() {
        // The channel redacts the URL before it builds the failure; the record keeps what it was given, cut short.
        let long = String(repeating: "k", count: 10_000)
        let failure = ReminderFailure(.webhook, .httpStatus, target: "https://robot.example/…", status: 403, detail: long)
        #expect(failure.stored.count < 400 && failure.english.contains("HTTP 403") && failure.chinese.contains("HTTP 403"))
    }
}
