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
    public func sendMail(_ message: String, to recipients: [String], smtp: SMTPSettings) throws(ReminderFailure) {
        let target = Self.redacted(smtp.url)
        guard let h = curl_easy_init() else { throw ReminderFailure(.mail, .other, target: target, detail: "libcurl could not start a transfer") }
        defer { curl_easy_cleanup(h) }
        let source = Source(Array(message.utf8))
        var rcpt: UnsafeMutablePointer<curl_slist>?
        for r in recipients { rcpt = curl_slist_append(rcpt, "<\(r)>") }
        defer { curl_slist_free_all(rcpt) }
        var password: String?
        if let file = smtp.passwordFile {
            do { password = try Self.password(file) } catch {
                throw ReminderFailure(.mail, .notConfigured, target: target, detail: (error as? BanliError)?.message ?? "\(error)")
            }
        }
        try perform(h, .mail, target: target) { (set) throws(ReminderFailure) in
            try set(banli_curl_setopt_string(h, CURLOPT_URL, smtp.url), "URL")
            try set(banli_curl_setopt_string(h, CURLOPT_MAIL_FROM, "<\(smtp.from)>"), "MAIL_FROM")
            try set(banli_curl_setopt_slist(h, CURLOPT_MAIL_RCPT, rcpt), "MAIL_RCPT")
            try set(banli_curl_setopt_long(h, CURLOPT_UPLOAD, 1), "UPLOAD")
            try set(banli_curl_setopt_offset(h, CURLOPT_INFILESIZE_LARGE, curl_off_t(source.bytes.count)), "INFILESIZE_LARGE")
            // STARTTLS required when asked for: a server that does not offer it fails the send instead of receiving it in clear.
            if smtp.startTLS { try set(banli_curl_setopt_long(h, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)), "USE_SSL") }
            if let ca = smtp.caFile { try set(banli_curl_setopt_string(h, CURLOPT_CAINFO, ca), "CAINFO") }
            if let user = smtp.user, let password {
                try set(banli_curl_setopt_string(h, CURLOPT_USERNAME, user), "USERNAME")
                try set(banli_curl_setopt_string(h, CURLOPT_PASSWORD, password), "PASSWORD")
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

    /// POSTs `json` to the webhook; any answer but 2xx is a failure, and so is a 2xx whose JSON body carries a non-zero
    /// `errcode` or `code`: the chat robots (企业微信, 钉钉, 飞书) refuse a message that way, with HTTP 200.
    public func postWebhook(_ json: String, to url: String) throws(ReminderFailure) {
        let shown = Self.redacted(url)
        guard let h = curl_easy_init() else { throw ReminderFailure(.webhook, .other, target: shown, detail: "libcurl could not start a transfer") }
        defer { curl_easy_cleanup(h) }
        var headers: UnsafeMutablePointer<curl_slist>?
        headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8")
        headers = curl_slist_append(headers, "Expect:")
        defer { curl_slist_free_all(headers) }
        let body = Array(json.utf8)
        let answer = Answer()
        var failure: ReminderFailure?
        body.withUnsafeBufferPointer { b in
            do throws(ReminderFailure) { try perform(h, .webhook, target: shown) { (set) throws(ReminderFailure) in
                try set(banli_curl_setopt_string(h, CURLOPT_URL, url), "URL")
                try set(banli_curl_setopt_slist(h, CURLOPT_HTTPHEADER, headers), "HTTPHEADER")
                try set(banli_curl_setopt_long(h, CURLOPT_POST, 1), "POST")
                try set(banli_curl_setopt_offset(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(b.count)), "POSTFIELDSIZE_LARGE")
                try set(banli_curl_setopt_pointer(h, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: b.baseAddress)), "POSTFIELDS")
                // The answer's first 4 KB are kept (a robot's verdict is short); the rest is dropped as it comes.
                try set(banli_curl_setopt_write_function(h, CURLOPT_WRITEFUNCTION) { ptr, size, n, user in
                    let answer = Unmanaged<Answer>.fromOpaque(user!).takeUnretainedValue()
                    let count = size * n
                    let kept = min(count, max(0, Answer.limit - answer.bytes.count))
                    if kept > 0 { answer.bytes.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: kept)) }
                    return count
                }, "WRITEFUNCTION")
                try set(banli_curl_setopt_pointer(h, CURLOPT_WRITEDATA, Unmanaged.passUnretained(answer).toOpaque()), "WRITEDATA")
            } } catch { failure = error }
        }
        withExtendedLifetime(answer) {}
        if let failure { throw failure }
        var status = 0
        _ = banli_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        guard (200..<300).contains(status) else { throw ReminderFailure(.webhook, .httpStatus, target: shown, status: status) }
        if let refusal = Self.robotRefusal(answer.bytes) {
            throw ReminderFailure(.webhook, .robotRefused, target: shown, status: refusal.code, detail: refusal.message)
        }
    }

    /// The start of a webhook's answer.
    private final class Answer {
        static let limit = 4096
        var bytes: [UInt8] = []
    }

    /// A robot's refusal in a 2xx answer: `{"errcode": 93000, "errmsg": "…"}` (企业微信, 钉钉) or `{"code": 19001, "msg": "…"}`
    /// (飞书). Anything else, a body that is not JSON included, is an acceptance.
    static func robotRefusal(_ body: [UInt8]) -> (code: Int, message: String)? {
        guard case .object(let o)? = try? JSONValue.parse(String(decoding: body, as: UTF8.self)) else { return nil }
        for (codeKey, messageKey) in [("errcode", "errmsg"), ("code", "msg")] {
            if let code = o[codeKey]?.intValue, code != 0 {
                return (Int(clamping: code), o[messageKey]?.stringValue ?? "")
            }
        }
        return nil
    }

    /// The message being uploaded, read by libcurl's read callback.
    private final class Source {
        let bytes: [UInt8]
        var offset = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    /// Sets the options common to both channels, then `options`, then performs the transfer; a failure says why, as the
    /// operator fixes it (never the password or a robot's key: libcurl's messages hold neither, the target is redacted).
    private func perform(
        _ h: UnsafeMutableRawPointer, _ channel: ReminderFailure.Channel, target: String,
        _ options: ((CURLcode, String) throws(ReminderFailure) -> Void) throws(ReminderFailure) -> Void
    ) throws(ReminderFailure) {
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = try errorBuffer.withUnsafeMutableBufferPointer { (eb) throws(ReminderFailure) in
            func set(_ code: CURLcode, _ option: String) throws(ReminderFailure) {
                guard code != CURLE_OK else { return }
                throw ReminderFailure(channel, .other, target: target,
                                      detail: "libcurl refused CURLOPT_\(option) (\(String(cString: curl_easy_strerror(code))))")
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
            let buffered = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let detail = buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered
            throw ReminderFailure(channel, Self.reason(code, detail: detail), target: target, detail: detail)
        }
    }

    /// What a libcurl result means to the operator.
    static func reason(_ code: CURLcode, detail: String) -> ReminderFailure.Reason {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_COULDNT_RESOLVE_PROXY: .unreachable
        case CURLE_USE_SSL_FAILED: .tlsRequired
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CONNECT_ERROR: .certificate
        case CURLE_LOGIN_DENIED: .loginDenied
        // libcurl reports a refused MAIL FROM or RCPT TO as a send error naming the command.
        case CURLE_SEND_ERROR where detail.contains("RCPT") || detail.contains("MAIL"): .recipientRefused
        default: .other
        }
    }

    /// The first line of the password file.
    static func password(_ file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw BanliError(.config, "Cannot read reminders.smtp password_file \(file); check that it exists and that banli may read it.")
        }
        return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "").trimmedWhitespace
    }

    /// A URL without its user, password, path and query, which may hold a secret (a robot's key sits in the query).
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return "(the configured URL)" }
        let authority = url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
        return String(url[..<scheme.upperBound]) + host + (authority.endIndex < url.endIndex ? "/…" : "")
    }

    /// The URL names a user (and perhaps a password) before its host.
    static func hasUserInfo(_ url: String) -> Bool {
        guard let scheme = url.range(of: "://") else { return false }
        return url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }.contains("@")
    }

    /// The URL's host is this machine's loopback.
    static func isLoopback(_ url: String) -> Bool {
        guard let scheme = url.range(of: "://") else { return false }
        let authority = url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.hasPrefix("[") ? authority.prefix { $0 != "]" } + "]" : authority.prefix { $0 != ":" }
        return host == "localhost" || host == "[::1]" || (host.hasPrefix("127.") && host.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber })
    }
}
