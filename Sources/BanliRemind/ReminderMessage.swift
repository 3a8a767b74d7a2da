import BanliCore
import BanliOffice
import Foundation

/// The messages a digest goes out as: an RFC 5322 e-mail and a webhook's JSON body. Pure text.
public enum ReminderMessage {
    /// An RFC 5322 message: CRLF line ends, the subject as RFC 2047 encoded words, the plain-text body in base64.
    /// Only checked addresses and text built here reach a header: nothing from the store, so no CR or LF can forge one.
    public static func mail(from: String, to: [String], subject: String, body: String, date: Date, messageID: String) -> String {
        let headers = [
            "From: \(from)",
            "To: \(to.filter(EmailAddress.isValid).joined(separator: ", "))",
            "Subject: \(encodedWords(ReminderDigest.oneLine(subject)))",
            "Date: \(rfc5322Date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
            "Auto-Submitted: auto-generated",
        ]
        // Text in canonical form (CRLF line ends), in base64: no line is too long and no line starts a "." for SMTP.
        let canonical = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        let encoded = Data(canonical.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + encoded + "\r\n"
    }

    /// `text` as RFC 2047 "B" encoded words of at most 75 characters each, folded onto continuation lines; ASCII
    /// text without specials is left as it is.
    public static func encodedWords(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0 != "=" && $0 != "?" }) { return text }
        // 45 bytes of UTF-8 make 60 base64 characters: with "=?UTF-8?B?" and "?=" a word stays within 75.
        var words: [[UInt8]] = [], chunk: [UInt8] = []
        for c in text {
            let bytes = Array(String(c).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append(chunk)
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    /// `Tue, 01 Dec 2026 16:15:00 +0800`, in the office's time zone.
    public static func rfc5322Date(_ date: Date, timeZone: TimeZone = TimeZone(identifier: "Asia/Shanghai") ?? .current) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = timeZone
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return f.string(from: date)
    }

    /// The webhook's JSON body for `digest`.
    public static func webhookBody(
        _ digest: ReminderDigest, shape: WebhookSettings.Shape, today: ISODate, unitName: (String) -> String?
    ) -> String {
        let subject = digest.subject(today: today)
        switch shape {
        case .text:
            let content = robotText(subject + "\n" + digest.body(today: today, unitName: unitName))
            return JSONValue.object(["msgtype": .string("text"), "text": .object(["content": .string(content)])]).canonicalJSON
        case .json:
            let items: [JSONValue] = digest.reminders.map { r in
                .object([
                    "key": .string(r.key.description), "item": .string(r.key.item), "unit": .string(r.key.unit),
                    "unitName": unitName(r.key.unit).map(JSONValue.string) ?? .null, "kind": .string(r.key.kind.rawValue),
                    "due": .string(r.key.due.description), "daysLeft": .int(Int64(r.daysLeft)), "title": .string(r.title),
                ])
            }
            return JSONValue.object(["subject": .string(subject), "date": .string(today.description), "reminders": .array(items)]).canonicalJSON
        }
    }

    /// The most a chat robot's text message holds (企业微信: 2048 bytes; it refuses a longer one).
    public static let robotTextLimit = 2048

    /// `content` as a robot takes it: whole when it fits, else its first lines and how many items were left out.
    static func robotText(_ content: String) -> String {
        guard content.utf8.count > robotTextLimit else { return content }
        let lines = content.split(separator: "\n", omittingEmptySubsequences: false)
        func isItem(_ line: Substring) -> Bool { line.first?.isASCII == true && line.first?.isNumber == true }
        var kept: [Substring] = [], size = 0
        for line in lines {
            // Room is left for the closing line (under 120 bytes).
            guard size + line.utf8.count + 1 <= robotTextLimit - 120 else { break }
            kept.append(line)
            size += line.utf8.count + 1
        }
        let left = lines.filter(isItem).count - kept.filter(isItem).count
        return kept.joined(separator: "\n") + "\n……另有\(left)件未列出，详见督办提醒邮件或办理工作台。"
    }
}
