import BanliCore
import BanliOffice

/// The `[reminders]` tables of banli.toml and hub.toml: when reminders go out, to whom, and through which channels.
public struct ReminderSettings: Sendable {
    /// Lead times and the overdue interval.
    public var schedule = ReminderSchedule()
    /// The addresses that receive every digest: the bureau's own at a bureau, the office's at the hub.
    public var addresses: [String] = []
    /// Also write to the assignment's 责任人 when the unit wrote an address there (a bureau only).
    public var mailHandlers = true
    /// Seconds between wakes (the service also wakes at start).
    public var interval: Double = 300
    /// Seconds a claimed send may stay unmarked before another process takes it over (it stopped while sending).
    public var lease: Double = 900
    public var smtp: SMTPSettings?
    public var webhook: WebhookSettings?

    public init() {}

    /// True when a channel is configured: without one, the service does not run.
    public var isEnabled: Bool { smtp != nil || webhook != nil }
}

/// `[reminders.smtp]`: the mail server and the sender.
public struct SMTPSettings: Sendable, Equatable {
    /// `smtp://host:port` or `smtps://host:port` (TLS from the first byte).
    public var url: String
    /// STARTTLS on a `smtp://` connection: required when true (the send fails rather than go out in clear).
    public var startTLS: Bool
    /// The envelope and header sender, one plain address.
    public var from: String
    public var user: String?
    /// The file whose first line is the password; read at each send, never logged.
    public var passwordFile: String?
    /// A PEM CA bundle to verify the server with; nil = the system store.
    public var caFile: String?

    public init(url: String, startTLS: Bool, from: String, user: String? = nil, passwordFile: String? = nil, caFile: String? = nil) throws {
        let shown = CurlChannels.redacted(url)
        guard url.hasPrefix("smtp://") || url.hasPrefix("smtps://"), url.count > 8, !url.contains(where: { $0.isWhitespace }) else {
            throw BanliError(.config, "reminders.smtp url '\(shown)' is not an smtp:// or smtps:// URL; write it like smtp://mail.example.org:587.")
        }
        guard !CurlChannels.hasUserInfo(url) else {
            throw BanliError(.config, "reminders.smtp url '\(shown)' holds a user name or password; put them in user and password_file instead.")
        }
        guard EmailAddress.isValid(from) else {
            throw BanliError(.config, "reminders.smtp from '\(from)' is not one plain e-mail address; write it like banli@example.org.")
        }
        if (user == nil) != (passwordFile == nil) {
            throw BanliError(.config, "reminders.smtp needs both user and password_file to log in, or neither.")
        }
        // A password over plain smtp:// would cross the network in clear; on this machine's loopback it stays here.
        if user != nil, url.hasPrefix("smtp://"), !startTLS, !CurlChannels.isLoopback(url) {
            throw BanliError(.config, "reminders.smtp logs in over plain smtp:// without starttls, so the password would cross the network in clear; "
                             + "set starttls = true, or use smtps://.")
        }
        self.url = url
        self.startTLS = startTLS
        self.from = from
        self.user = user
        self.passwordFile = passwordFile
        self.caFile = caFile
    }
}

/// `[reminders.webhook]`: a URL that receives each digest as a JSON POST.
public struct WebhookSettings: Sendable, Equatable {
    /// The body's shape.
    public enum Shape: String, Sendable, CaseIterable {
        /// `{"subject", "date", "reminders": [{"item", "unit", "kind", "due", "daysLeft", "title"}]}`.
        case json
        /// The common chat robots' text message: `{"msgtype":"text","text":{"content":"…"}}`.
        case text
    }

    public var url: String
    public var shape: Shape

    public init(url: String, shape: Shape) throws {
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), !url.contains(where: { $0.isWhitespace }) else {
            throw BanliError(.config, "reminders.webhook url '\(CurlChannels.redacted(url))' is not an http:// or https:// URL.")
        }
        guard !CurlChannels.hasUserInfo(url) else {
            throw BanliError(.config, "reminders.webhook url '\(CurlChannels.redacted(url))' holds a user name or password, which would reach "
                             + "logs and proxies; use a URL without them (robots take their key in the query).")
        }
        self.url = url
        self.shape = shape
    }
}
