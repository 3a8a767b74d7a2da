/// Why a deadline reminder (督办提醒) could not be sent. Stored as JSON in the reminder's `lastError`, so that the hub's
/// status page says it in Chinese and `/v1/status` and the log in English from one record; any other stored text
/// (an older release's sentence) is kept as `.recorded`.
public struct ReminderFailure: Error, Sendable, Hashable {
    /// Where the send went.
    public enum Channel: String, Sendable, Hashable {
        case mail, webhook
    }

    /// What went wrong, as the operator fixes it.
    public enum Reason: String, Sendable, Hashable {
        /// No such host, connection refused, or no answer in time.
        case unreachable
        /// STARTTLS was required and the mail server does not offer it.
        case tlsRequired
        /// The server's certificate did not verify.
        case certificate
        /// The mail server refused the user name or password.
        case loginDenied
        /// The mail server refused the sender or a recipient.
        case recipientRefused
        /// The webhook answered with an HTTP status other than 2xx (`status`).
        case httpStatus
        /// The chat robot answered 2xx with an error code (`status`) and message (`detail`): a wrong key, too many messages.
        case robotRefused
        /// The channel is not configured (no `[reminders.smtp]` or `[reminders.webhook]`), or the password file is unreadable.
        case notConfigured
        /// Anything else libcurl reported.
        case other
    }

    public var channel: Channel
    public var reason: Reason
    /// The server, without path or query (a robot's key stays out): `smtp://mail.example.gov.cn:25`, `https://robot.example/…`.
    public var target: String
    /// The webhook's HTTP status, for `.httpStatus`.
    public var status: Int?
    /// libcurl's own sentence, for the log and the English report.
    public var detail: String
    /// Text an older release stored, shown as it is.
    public var recorded: String?

    /// Longest target or detail kept.
    static let maxPart = 200

    public init(_ channel: Channel, _ reason: Reason, target: String, status: Int? = nil, detail: String = "") {
        self.channel = channel
        self.reason = reason
        self.target = String(target.prefix(Self.maxPart))
        self.status = status
        self.detail = String(detail.prefix(Self.maxPart))
    }

    /// The failure read back from its stored text: the JSON this type writes, or any other text as `.recorded`.
    public init(stored text: String) {
        if text.hasPrefix("{\""), case .object(let o)? = try? JSONValue.parse(text),
           let channel = o["channel"]?.stringValue.flatMap(Channel.init(rawValue:)),
           let reason = o["reason"]?.stringValue.flatMap(Reason.init(rawValue:)) {
            self.init(channel, reason, target: o["target"]?.stringValue ?? "", status: o["status"]?.intValue.map { Int(clamping: $0) },
                      detail: o["detail"]?.stringValue ?? "")
        } else {
            self.init(.mail, .other, target: "")
            recorded = String(text.prefix(Self.maxPart * 2))
        }
    }

    /// The text kept in the store.
    public var stored: String {
        if let recorded { return recorded }
        var o: [String: JSONValue] = ["channel": .string(channel.rawValue), "reason": .string(reason.rawValue), "target": .string(target),
                                      "detail": .string(detail)]
        if let status { o["status"] = .int(Int64(status)) }
        return JSONValue.object(o).canonicalJSON
    }

    /// One sentence for the operator: what failed and what to do.
    public var chinese: String {
        if let recorded { return recorded }
        let shown = UnitFailure.quoted(target, limit: 80)
        let section = channel == .mail ? "[reminders.smtp]" : "[reminders.webhook]"
        let what = channel == .mail ? "督办提醒邮件没有发出" : "督办提醒没有推送到群机器人"
        switch reason {
        case .unreachable: return "\(what)：连不上 \(shown)；请检查 \(section) 的地址、端口和服务器到它的网络。"
        case .tlsRequired: return "\(what)：邮件服务器 \(shown) 不支持 STARTTLS 加密，为免明文传送已停止发送；请改用支持加密的服务器，或在确认内网安全后关闭 starttls。"
        case .certificate: return "\(what)：\(shown) 的证书校验失败；请在 \(section) 的 ca_file 配置签发它的 CA 证书。"
        case .loginDenied: return "\(what)：邮件服务器 \(shown) 拒绝了用户名或密码；请核对 \(section) 的 user 和 password_file。"
        case .recipientRefused: return "\(what)：邮件服务器 \(shown) 拒收发件人或收件人地址；请核对 \(section) 的 from 和收件地址。"
        case .httpStatus: return "\(what)：\(shown) 返回 HTTP \(status ?? 0)；请核对 \(section) 的 url（含密钥）是否仍然有效。"
        case .robotRefused:
            return "\(what)：群机器人拒收了消息（错误码 \(status ?? 0)：\(UnitFailure.quoted(detail, limit: 80))）；请核对 \(section) 的 url 密钥和发送频率。"
        case .notConfigured: return "\(what)：没有配置 \(section)，或读不到其中的密码文件；请补全配置。"
        case .other: return "\(what)：发送到 \(shown) 时出错（\(UnitFailure.quoted(detail, limit: 120))）；请检查 \(section) 的配置。"
        }
    }

    /// The same in English, for `/v1/status` and the log.
    public var english: String {
        if let recorded { return recorded }
        let section = channel == .mail ? "[reminders.smtp]" : "[reminders.webhook]"
        let what = channel == .mail ? "A reminder e-mail was not sent" : "A reminder was not posted to the webhook"
        switch reason {
        case .httpStatus: return "\(what): \(target) answered HTTP \(status ?? 0); check \(section) url in the config."
        case .robotRefused: return "\(what): the robot at \(target) refused it (code \(status ?? 0): \(detail)); check \(section) url and the rate."
        case .notConfigured: return "\(what): \(detail.isEmpty ? "\(section) is not configured" : detail)."
        default: return "\(what): \(target) (\(detail.isEmpty ? reason.rawValue : detail)); check \(section) in the config."
        }
    }
}
