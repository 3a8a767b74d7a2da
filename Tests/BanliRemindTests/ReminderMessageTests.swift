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
        // A robot's key sits in its URL's path or query, a password before its host: never in a message.
        #expect(CurlChannels.redacted("https://qyapi.example.com/cgi-bin/webhook/send?key=SECRET") == "https://qyapi.example.com/…")
        #expect(CurlChannels.redacted("smtps://liu:SECRET@mail.example.org:465") == "smtps://mail.example.org:465")
        #expect(CurlChannels.redacted("https://a:b@robot.example?key=SECRET") == "https://robot.example/…")
        for url in ["smtps://liu:SECRET@mail.example.org:465", "smtp://liu@mail.example.org"] {
            #expect(throws: BanliError.self) { try SMTPSettings(url: url, startTLS: true, from: "a@b.cn") }
        }
        #expect(throws: BanliError.self) { try WebhookSettings(url: "https://u:SECRET@robot.example/send", shape: .text) }
        // A password over plain smtp:// off this machine is refused; with STARTTLS, over smtps:// or on loopback it is not.
        let password = (user: "liu", file: "/etc/banli/smtp.password")
        #expect(throws: BanliError.self) {
            try SMTPSettings(url: "smtp://mail.example.org:25", startTLS: false, from: "a@b.cn", user: password.user, passwordFile: password.file)
        }
        for (url, tls) in [("smtp://mail.example.org:587", true), ("smtps://mail.example.org", false), ("smtp://127.0.0.1:2525", false)] {
            #expect(throws: Never.self) { try SMTPSettings(url: url, startTLS: tls, from: "a@b.cn", user: password.user, passwordFile: password.file) }
        }
        #expect(throws: BanliError.self) {
            try SMTPSettings(url: "smtp://127.0.0.1.evil.example", startTLS: false, from: "a@b.cn", user: password.user, passwordFile: password.file)
        }
    }

    @Test func aLongDigestFitsTheRobotsTextMessage() throws {
        let many = (1...80).map { n in
            Reminder(key: ReminderKey(item: "rd-2025-\(n)", unit: "jxj", kind: .reply, due: ISODate("2025-06-20")!, occasion: .overdue(day: 1)),
                     title: "关于进一步加强城乡结合部公共交通线路规划与站点设置的建议第\(n)号", handler: nil, daysLeft: -1)
        }
        let digest = ReminderDigest(recipient: .webhook, reminders: many)
        let body = try JSONValue.parse(ReminderMessage.webhookBody(digest, shape: .text, today: Self.today) { _ in "市教育局" })
        guard case .object(let o) = body, case .object(let inner)? = o["text"], let content = inner["content"]?.stringValue else {
            Issue.record("\(body)")
            return
        }
        #expect(content.utf8.count <= ReminderMessage.robotTextLimit, "\(content.utf8.count) bytes")
        let listed = content.split(separator: "\n").filter { $0.first?.isNumber == true }.count
        #expect(listed > 5 && content.hasSuffix("……另有\(80 - listed)件未列出，详见督办提醒邮件或办理工作台。"), "\(content)")
        // A short digest is sent whole.
        let one = try JSONValue.parse(ReminderMessage.webhookBody(Self.digest, shape: .text, today: Self.today) { _ in nil })
        #expect(!one.canonicalJSON.contains("未列出"))
    }

    @Test func aRobotsRefusalInA200IsAFailure() {
        func refusal(_ body: String) -> Int? { CurlChannels.robotRefusal(Array(body.utf8))?.code }
        #expect(refusal(#"{"errcode":0,"errmsg":"ok"}"#) == nil && refusal(#"{"code":0,"msg":"success"}"#) == nil)
        #expect(refusal(#"{"errcode":93000,"errmsg":"invalid webhook url"}"#) == 93000)
        #expect(refusal(#"{"errcode":45009,"errmsg":"api freq out of limit"}"#) == 45009)
        #expect(refusal(#"{"code":19001,"msg":"param invalid"}"#) == 19001)
        #expect(refusal("ok") == nil && refusal("") == nil && refusal("[1]") == nil, "a plain answer is an acceptance")
        #expect(refusal(#"{"errcode":"93000"}"#) == nil, "only a number is a code")
    }

    @Test func retriesBackOffFromAMinuteToSixHours() {
        #expect((30...60).contains(ReminderService.retryDelay(attempts: 1)))
        #expect((60...120).contains(ReminderService.retryDelay(attempts: 2)))
        #expect((3 * 3600...6 * 3600).contains(ReminderService.retryDelay(attempts: 30)))
    }
}
