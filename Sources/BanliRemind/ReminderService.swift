import BanliCore
import BanliHubStorage
import BanliOffice
import Dispatch
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Sends the day's deadline reminders (督办提醒), at start and then every `interval`: computes what is due, gathers it
/// into one digest per recipient, claims each send in the store before it goes out and marks it after, so a restart or
/// a second hub process never repeats one. A failed send is tried again on a later wake, with backoff.
public struct ReminderService: Service {
    /// What the service reads: today's reminders, and the units' names for the messages.
    public struct Source: Sendable {
        public var due: @Sendable (ISODate) async throws -> [Reminder]
        public var unitNames: @Sendable () async throws -> [String: String]

        public init(due: @escaping @Sendable (ISODate) async throws -> [Reminder], unitNames: @escaping @Sendable () async throws -> [String: String]) {
            self.due = due
            self.unitNames = unitNames
        }
    }

    let settings: ReminderSettings
    let source: Source
    let log: any ReminderLog
    /// Who receives a reminder.
    let recipients: @Sendable (Reminder) -> [ReminderRecipient]
    let today: @Sendable () throws -> ISODate
    let logger: Logger
    let channels = CurlChannels()
    private let queue = DispatchQueue(label: "banli.reminders")
    private let sent = Counter(label: "banli_reminders_sent_total")
    private let failed = Counter(label: "banli_reminders_failed_total")

    public init(
        settings: ReminderSettings, source: Source, log: any ReminderLog, recipients: @escaping @Sendable (Reminder) -> [ReminderRecipient],
        today: @escaping @Sendable () throws -> ISODate, logger: Logger
    ) {
        self.settings = settings
        self.source = source
        self.log = log
        self.recipients = recipients
        self.today = today
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await runOnce()
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("reminders: \((error as? BanliError)?.message ?? "\(error)")")
                }
                try? await Task.sleep(for: .milliseconds(Int(Backoff.jittered(settings.interval) * 1000)))
            }
        }
    }

    /// One pass: every digest due now. Returns how many sends went out and how many failed.
    @discardableResult
    public func runOnce() async throws -> (sent: Int, failed: Int) {
        let day = try today()
        let due = try await source.due(day)
        let totals = try await sendDigests(due, today: day)
        logger.debug("reminders checked", metadata: ["today": "\(day)", "due": "\(due.count)", "sent": "\(totals.sent)", "failed": "\(totals.failed)"])
        return totals
    }

    private func sendDigests(_ due: [Reminder], today day: ISODate) async throws -> (sent: Int, failed: Int) {
        var totals = (sent: 0, failed: 0)
        guard !due.isEmpty else { return totals }
        let names = try await source.unitNames()
        for digest in ReminderPlan.digests(due, recipients: recipients) {
            let sends = digest.reminders.map { Self.send($0.key, digest.recipient) }
            let now = Int64(HybridLogicalClock.wallMilliseconds())
            let claimed = Set(try await log.claimReminders(sends, nowMilliseconds: now, leaseMilliseconds: Int64(settings.lease * 1000)))
            guard !claimed.isEmpty else { continue }
            var part = digest
            part.reminders = digest.reminders.filter { claimed.contains(Self.send($0.key, digest.recipient)) }
            let mine = Array(claimed).sorted()
            do {
                try await deliver(part, today: day, names: names)
            } catch {
                let failure = error as? ReminderFailure ?? ReminderFailure(stored: (error as? BanliError)?.message ?? "\(error)")
                let attempts = try await log.reminderAttempts(mine).values.max() ?? 1
                let delay = Self.retryDelay(attempts: attempts)
                let at = Int64(HybridLogicalClock.wallMilliseconds())
                try await log.markRemindersFailed(mine, claimedAt: now, error: failure.stored, retryAt: at + Int64(delay * 1000), nowMilliseconds: at)
                failed.increment(by: mine.count)
                totals.failed += mine.count
                logger.warning("reminders failed; retrying in \(Int(delay)) s: \(failure.english)",
                               metadata: ["to": "\(digest.recipient)", "count": "\(mine.count)"])
                continue
            }
            // Delivered: from here on it is never marked failed, and the mark is retried, so that a store that fails
            // for a moment (a busy database, a failover) does not send it again.
            sent.increment(by: mine.count)
            totals.sent += mine.count
            logger.info("reminders sent", metadata: ["to": "\(digest.recipient)", "count": "\(mine.count)"])
            try await markSent(mine, claimedAt: now)
        }
        return totals
    }

    /// Records delivered sends, trying again for about a minute; after that the claim lapses and the send may go out
    /// once more when its lease has passed, which the log says.
    private func markSent(_ sends: [String], claimedAt: Int64) async throws {
        var backoff = Backoff(base: 1, cap: 16)
        for attempt in 1...6 {
            do {
                try await log.markRemindersSent(sends, claimedAt: claimedAt, nowMilliseconds: Int64(HybridLogicalClock.wallMilliseconds()))
                return
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                guard attempt < 6 else {
                    logger.error("reminders sent but not recorded; they may be sent again after the lease: \((error as? BanliError)?.message ?? "\(error)")",
                                 metadata: ["count": "\(sends.count)"])
                    return
                }
                try await Task.sleep(for: .seconds(backoff.nextDelay()))
            }
        }
    }

    /// The record's name of one send: the reminder's key and its recipient.
    static func send(_ key: ReminderKey, _ recipient: ReminderRecipient) -> String { "\(key) \(recipient)" }

    /// Seconds before the next attempt after `attempts` failed ones: 1, 2, 4 … minutes, at most 6 hours.
    static func retryDelay(attempts: Int) -> Double {
        var backoff = Backoff(base: 60, cap: 6 * 3600)
        var delay = 0.0
        for _ in 0..<max(1, min(attempts, 40)) { delay = backoff.nextDelay() }
        return delay
    }

    private func deliver(_ digest: ReminderDigest, today: ISODate, names: [String: String]) async throws {
        let (settings, channels) = (self.settings, self.channels)
        let unitName: @Sendable (String) -> String? = { names[$0] }
        let work: @Sendable () throws -> Void
        switch digest.recipient {
        case .email(let address):
            guard let smtp = settings.smtp else {
                throw ReminderFailure(.mail, .notConfigured, target: "", detail: "No [reminders.smtp] is configured to send e-mail to \(address)")
            }
            let domain = smtp.from.split(separator: "@").last.map(String.init) ?? "banli"
            let message = ReminderMessage.mail(
                from: smtp.from, to: [address], subject: digest.subject(today: today), body: digest.body(today: today, unitName: unitName),
                date: Date(), messageID: "\(UUID().uuidString.lowercased())@\(domain)")
            work = { try channels.sendMail(message, to: [address], smtp: smtp) }
        case .webhook:
            guard let hook = settings.webhook else {
                throw ReminderFailure(.webhook, .notConfigured, target: "", detail: "No [reminders.webhook] is configured")
            }
            let body = ReminderMessage.webhookBody(digest, shape: hook.shape, today: today, unitName: unitName)
            work = { try channels.postWebhook(body, to: hook.url) }
        }
        // libcurl blocks: off Swift's cooperative threads.
        let result: Result<Void, any Error> = await withCheckedContinuation { c in
            queue.async { c.resume(returning: Result { try work() }) }
        }
        try result.get()
    }

    /// Today's date for reminders: `BANLI_TODAY` (YYYY-MM-DD) when set, else the date in the office's time zone.
    public static func today(environment: [String: String], timeZone: TimeZone, now: Date = Date()) throws -> ISODate {
        if let text = environment["BANLI_TODAY"], !text.isEmpty {
            guard let d = ISODate(text) else {
                throw BanliError(.config, "BANLI_TODAY='\(text.prefix(40))' is not a date; set it like 2025-06-13, or unset it for today's date.")
            }
            return d
        }
        let ms = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        return ISODate(daysSinceEpoch: (Int(ms / 1000) + timeZone.secondsFromGMT(for: now)) / 86_400)
    }
}

/// ServiceLifecycle logs its services by their description: this one's settings hold the webhook's URL (its key).
extension ReminderService: CustomStringConvertible {
    public var description: String { "ReminderService" }
}
