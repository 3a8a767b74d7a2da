import BanliCore
import CCurl
import Foundation

/// Sends reminder messages through libcurl: SMTP for e-mail, an HTTP POST for the webhook. Each send uses a handle
/// of its own (reminders are few) and blocks: call it off Swift's cooperative threads.
public struct CurlChannels: Sendable {
    public var connectTimeout: Double = 10
    public var requestTimeout: Double = 60

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    public init() { _ = Self.globalInit }

    /// Sends `message` (an RFC 5322 message with CRLF line ends) to `recipients` through `smtp`.
    public func sendMail(_ message: String, to recipients: [String], smtp: SMTPSettings) throws {
        guard let h = curl_easy_init() else { throw BanliError(.unreachable, "libcurl could not start a transfer; the machine may be out of memory.") }
        defer { curl_easy_cleanup(h) }
        let source = Source(Array(message.utf8))
        var rcpt: UnsafeMutablePointer<curl_slist>?
        for r in recipients { rcpt = curl_slist_append(rcpt, "<\(r)>") }
        defer { curl_slist_free_all(rcpt) }
        let where_ = "the mail server at \(smtp.url)"
        try perform(h, where_: where_, fix: "check [reminders.smtp] in the config and that the server is reachable") { set in
            try set(banli_curl_setopt_string(h, CURLOPT_URL, smtp.url), "URL")
            try set(banli_curl_setopt_string(h, CURLOPT_MAIL_FROM, "<\(smtp.from)>"), "MAIL_FROM")
            try set(banli_curl_setopt_slist(h, CURLOPT_MAIL_RCPT, rcpt), "MAIL_RCPT")
            try set(banli_curl_setopt_long(h, CURLOPT_UPLOAD, 1), "UPLOAD")
            try set(banli_curl_setopt_offset(h, CURLOPT_INFILESIZE_LARGE, curl_off_t(source.bytes.count)), "INFILESIZE_LARGE")
            // STARTTLS required when asked for: a server that does not offer it fails the send instead of receiving it in clear.
            if smtp.startTLS { try set(banli_curl_setopt_long(h, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)), "USE_SSL") }
            if let ca = smtp.caFile { try set(banli_curl_setopt_string(h, CURLOPT_CAINFO, ca), "CAINFO") }
            if let user = smtp.user, let file = smtp.passwordFile {
                try set(banli_curl_setopt_string(h, CURLOPT_USERNAME, user), "USERNAME")
                try set(banli_curl_setopt_string(h, CURLOPT_PASSWORD, try Self.password(file)), "PASSWORD")
            }
            try set(banli_curl_setopt_write_function(h, CURLOPT_READFUNCTION) { buffer, size, n, user in
                let source = Unmanaged<Source>.fromOpaque(user!).takeUnretainedValue()
                let count = min(size * n, source.bytes.count - source.offset)
                source.bytes.withUnsafeBufferPointer { b in
                    UnsafeMutableRawPointer(buffer!).copyMemory(from: b.baseAddress! + source.offset, byteCount: count)
                }
                source.offset += count
                return count
            }, "READFUNCTION")
            try set(banli_curl_setopt_pointer(h, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque()), "READDATA")
        }
        withExtendedLifetime(source) {}
    }

    /// POSTs `json` to the webhook; any answer but 2xx is a failure.
    public func postWebhook(_ json: String, to url: String) throws {
        guard let h = curl_easy_init() else { throw BanliError(.unreachable, "libcurl could not start a transfer; the machine may be out of memory.") }
        defer { curl_easy_cleanup(h) }
        var headers: UnsafeMutablePointer<curl_slist>?
        headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8")
        headers = curl_slist_append(headers, "Expect:")
        defer { curl_slist_free_all(headers) }
        let body = Array(json.utf8)
        let shown = Self.redacted(url)
        try body.withUnsafeBufferPointer { b in
            try perform(h, where_: "the webhook at \(shown)", fix: "check [reminders.webhook] url in the config") { set in
                try set(banli_curl_setopt_string(h, CURLOPT_URL, url), "URL")
                try set(banli_curl_setopt_slist(h, CURLOPT_HTTPHEADER, headers), "HTTPHEADER")
                try set(banli_curl_setopt_long(h, CURLOPT_POST, 1), "POST")
                try set(banli_curl_setopt_offset(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(b.count)), "POSTFIELDSIZE_LARGE")
                try set(banli_curl_setopt_pointer(h, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: b.baseAddress)), "POSTFIELDS")
                // The answer is not read; a robot's body may be large, so drop it as it comes.
                try set(banli_curl_setopt_write_function(h, CURLOPT_WRITEFUNCTION) { _, size, n, _ in size * n }, "WRITEFUNCTION")
            }
        }
        var status = 0
        _ = banli_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        guard (200..<300).contains(status) else {
            throw BanliError(.unreachable, "The webhook at \(shown) answered HTTP \(status); check [reminders.webhook] url in the config.")
        }
    }

    /// The message being uploaded, read by libcurl's read callback.
    private final class Source {
        let bytes: [UInt8]
        var offset = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    /// Sets the options common to both channels, then `options`, then performs the transfer; a failure is one sentence
    /// naming `where_` (never the password: libcurl's messages do not hold it).
    private func perform(
        _ h: UnsafeMutableRawPointer, where_: String, fix: String, _ options: ((CURLcode, String) throws -> Void) throws -> Void
    ) throws {
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = try errorBuffer.withUnsafeMutableBufferPointer { eb in
            func set(_ code: CURLcode, _ option: String) throws {
                guard code != CURLE_OK else { return }
                throw BanliError(.unreachable, "libcurl refused CURLOPT_\(option) (\(String(cString: curl_easy_strerror(code)))) for \(where_); \(fix).")
            }
            try set(banli_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, eb.baseAddress), "ERRORBUFFER")
            try set(banli_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
            try set(banli_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000)), "CONNECTTIMEOUT_MS")
            try set(banli_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(requestTimeout * 1000)), "TIMEOUT_MS")
            try set(banli_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1), "SSL_VERIFYPEER")
            try set(banli_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2), "SSL_VERIFYHOST")
            try options(set)
            return curl_easy_perform(h)
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw BanliError(.unreachable, "Sending to \(where_) failed (\(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)); \(fix).")
        }
    }

    /// The first line of the password file.
    static func password(_ file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw BanliError(.config, "Cannot read reminders.smtp password_file \(file); check that it exists and that banli may read it.")
        }
        return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "").trimmedWhitespace
    }

    /// A URL without its path and query, which may hold a robot's secret key.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return "(the configured URL)" }
        let rest = url[scheme.upperBound...]
        return String(url[..<scheme.upperBound]) + String(rest.prefix { $0 != "/" && $0 != "?" }) + (rest.contains("/") ? "/…" : "")
    }
}
