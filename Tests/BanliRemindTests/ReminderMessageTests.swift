import BanliCore
import BanliOffice
@testable import BanliRemind
import Foundation
import Testing

/// The e-mail and webhook bodies a digest goes out as, and the day reminders count from.
@Suite struct ReminderMessageTests {
    static let reminder = Reminder(
        key: ReminderKey(item: "rd-2025-7", unit: "jxj", kind: .reply, due: ISODate("2025-06-20")!, occasion: .overdue(day: 1)),
        title: "关于增设公交站点的建议\r\nBcc: evil@example.org", handler: nil, daysLeft: -1)
    static let digest = ReminderDigest(recipient: .email("office@rd.example.org"), reminders: [reminder])
    static let today = ISODate("2025-06-21")!

    /// Decodes RFC 2047 "B" words back to text.
    func decodeWords(_ header: String) -> String {
        let bytes = header.components(separatedBy: "\r\n ").flatMap { word -> [UInt8] in
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?=") else { return Array(word.utf8) }
            return Array(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) ?? Data())
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func anRFC5322MessageWhoseHeadersNothingFromTheStoreReaches() throws {
        let subject = Self.digest.subject(today: Self.today)
        let mail = ReminderMessage.mail(
            from: "banli@rd.example.org", to: ["office@rd.example.org", "bad\r\nBcc: x@y.z"], subject: subject,
            body: Self.digest.body(today: Self.today) { _ in "市教育局" }, date: Date(timeIntervalSince1970: 1_750_470_000),
            messageID: "abc@rd.example.org")
        let parts = mail.components(separatedBy: "\r\n\r\n")
        #expect(parts.count == 2)
        let head = parts[0]
        #expect(head.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(!head.replacingOccurrences(of: "\r\n", with: "").contains("\n") && !head.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        let lines = head.components(separatedBy: "\r\n")
        #expect(lines.contains("To: office@rd.example.org"), "an address with a line break is dropped: \(lines)")
        #expect(lines.contains("Date: Sat, 21 Jun 2025 09:40:00 +0800"))
        #expect(lines.contains("Message-ID: <abc@rd.example.org>"))
        #expect(!lines.contains { $0.hasPrefix("Bcc") })
        // The subject folds into encoded words of at most 75 characters that decode back to it.
        let start = try #require(lines.firstIndex { $0.hasPrefix("Subject: ") })
        let folded = ([String(lines[start].dropFirst(9))] + lines[(start + 1)...].prefix { $0.hasPrefix(" ") }.map { String($0.dropFirst()) })
        #expect(folded.allSatisfy { $0.count <= 75 })
        #expect(decodeWords(folded.joined(separator: "\r\n ")) == subject)
        // The body is base64 of the Chinese text, which lists the item on one line of its own.
        let body = String(decoding: Data(base64Encoded: parts[1].replacingOccurrences(of: "\r\n", with: "")) ?? Data(), as: UTF8.self)
        #expect(body.contains("1. rd-2025-7《关于增设公交站点的建议  Bcc: evil@example.org》 市教育局（jxj）：答复时限2025-06-20，已超期1天"), "\(body)")
    }

    @Test func webhookBodiesInBothShapes() throws {
        let text = try JSONValue.parse(ReminderMessage.webhookBody(Self.digest, shape: .text, today: Self.today) { _ in nil })
        guard case .object(let o) = text, case .object(let inner)? = o["text"] else { Issue.record("\(text)"); return }
        #expect(o["msgtype"] == .string("text"))
        #expect(inner["content"]?.stringValue?.hasPrefix("【督办提醒】2025-06-21 1件待办\n以下事项请及时办理") == true)
        let json = try JSONValue.parse(ReminderMessage.webhookBody(Self.digest, shape: .json, today: Self.today) { _ in "市教育局" })
        guard case .object(let j) = json, case .array(let items)? = j["reminders"], case .object(let first)? = items.first else {
            Issue.record("\(json)")
            return
        }
        #expect(first["key"] == .string("reply/rd-2025-7/jxj/2025-06-20/overdue-1") && first["daysLeft"] == .int(-1))
        #expect(first["unitName"] == .string("市教育局"))
    }

    @Test func todayIsBanliTodayOrTheOfficesDate() throws {
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        #expect(try ReminderService.today(environment: ["BANLI_TODAY": "2025-06-13"], timeZone: zone) == ISODate("2025-06-13"))
        // 17:00 UTC is already the next day in Shanghai.
        let late = Date(timeIntervalSince1970: 1_764_608_400)  // 2025-12-01T17:00:00Z
        #expect(try ReminderService.today(environment: [:], timeZone: zone, now: late) == ISODate("2025-12-02"))
        #expect(throws: BanliError.self) { try ReminderService.today(environment: ["BANLI_TODAY": "6/13"], timeZone: zone) }
    }

    @Test func settingsRefuseWhatCannotWork() {
        #expect(throws: BanliError.self) { try SMTPSettings(url: "http://mail.example.org", startTLS: true, from: "a@b.cn") }
        #expect(throws: BanliError.self) { try SMTPSettings(url: "smtp://mail.example.org", startTLS: true, from: "刘文明") }
        #expect(throws: BanliError.self) { try SMTPSettings(url: "smtp://mail.example.org", startTLS: true, from: "a@b.cn", user: "a") }
        #expect(throws: BanliError.self) { try WebhookSettings(url: "ftp://robot", shape: .json) }
        // A robot's key sits in its URL's path or query: never in a message.
        #expect(CurlChannels.redacted("https://qyapi.example.com/cgi-bin/webhook/send?key=SECRET") == "https://qyapi.example.com/…")
    }

    @Test func retriesBackOffFromAMinuteToSixHours() {
        #expect((30...60).contains(ReminderService.retryDelay(attempts: 1)))
        #expect((60...120).contains(ReminderService.retryDelay(attempts: 2)))
        #expect((3 * 3600...6 * 3600).contains(ReminderService.retryDelay(attempts: 30)))
    }
}
