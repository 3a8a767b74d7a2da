import BanliHubStorage
import Foundation
import Testing

/// What `banli hub migrate` must carry besides the fields: the deputies' links and the reminder sends. Seed the source,
/// copy it with the backend's table source and sink, then check the copy through `HubStorage` and `ReminderLog`.
public enum MigrationCarry {
    static let now: Int64 = 1_764_000_000_000
    static let day: Int64 = 86_400_000
    static let open = FeedbackLink(tokenHash: String(repeating: "a", count: 64), item: "rd-2025-39", unit: "jxj", createdAt: now, expiresAt: now + 30 * day)
    static let used = FeedbackLink(tokenHash: String(repeating: "b", count: 64), item: "rd-2025-39", unit: "jxj", createdAt: now,
                                   expiresAt: now + 30 * day, usedAt: now + day)
    static let revoked = FeedbackLink(tokenHash: String(repeating: "c", count: 64), item: "rd-2025-40", unit: "fgw", createdAt: now,
                                      expiresAt: now + 30 * day, revokedAt: now + 2 * day)
    static let sent = "reply-7d rd-2025-39 jxj 2025-06-01 mail:jxj@example.gov.cn"
    static let failed = "reply-1d rd-2025-39 jxj 2025-06-01 hook:https://robot.example/send"

    /// Three links (open, used, revoked), one reminder sent and one that failed twice.
    public static func seed(_ storage: any HubStorage) async throws {
        for link in [open, used, revoked] { try await storage.addFeedbackLink(link) }
        let log = try #require(storage as? any ReminderLog)
        #expect(try await log.claimReminders([sent, failed], nowMilliseconds: now, leaseMilliseconds: 60_000).sorted() == [failed, sent])
        try await log.markRemindersSent([sent], claimedAt: now, nowMilliseconds: now)
        try await log.markRemindersFailed([failed], claimedAt: now, error: "smtp: 550 mailbox unavailable", retryAt: now + 60_000, nowMilliseconds: now)
        #expect(try await log.claimReminders([failed], nowMilliseconds: now + 60_000, leaseMilliseconds: 60_000) == [failed])
        try await log.markRemindersFailed([failed], claimedAt: now + 60_000, error: "smtp: 550 mailbox unavailable", retryAt: now + 240_000,
                                          nowMilliseconds: now + 60_000)
    }

    /// The copy opens the open link only, sends the sent reminder never again, and retries the failed one when it was due.
    public static func check(_ copy: any HubStorage, count: HubCopyCount) async throws {
        #expect(count.feedbackLinks == 3 && count.reminders == 2, "\(count)")
        for link in [open, used, revoked] { #expect(try await copy.feedbackLink(tokenHash: link.tokenHash) == link) }
        let log = try #require(copy as? any ReminderLog)
        #expect(try await log.reminderAttempts([sent, failed]) == [sent: 1, failed: 2])
        let failures = try await log.reminderFailures(since: now)
        #expect(failures.count == 1 && failures.lastError == "smtp: 550 mailbox unavailable", "\(failures)")
        #expect(try await log.claimReminders([sent, failed], nowMilliseconds: now + 120_000, leaseMilliseconds: 60_000).isEmpty,
                "nothing is due: the sent one never again, the failed one not before its retry time")
        #expect(try await log.claimReminders([sent, failed], nowMilliseconds: now + 240_000, leaseMilliseconds: 60_000) == [failed])
    }
}
