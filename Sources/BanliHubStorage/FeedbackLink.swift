import BanliCore
import BanliOffice
import BanliSecrets

/// A one-time link through which a deputy or member answers the 征询意见 on one lead unit's reply (issue 18).
///
/// Stores keep only the SHA-256 of its token (`tokenHash`), never the token: a copy of the database opens no link.
public struct FeedbackLink: Sendable, Hashable {
    /// SHA-256 of the token, lowercase hex.
    public var tokenHash: String
    /// The item and the lead (or sole, or split) unit whose reply is rated.
    public var item: String
    public var unit: String
    /// Unix milliseconds.
    public var createdAt: Int64
    public var expiresAt: Int64
    /// When the answer came through it; a link is used once.
    public var usedAt: Int64?
    /// When the office revoked it.
    public var revokedAt: Int64?

    public init(tokenHash: String, item: String, unit: String, createdAt: Int64, expiresAt: Int64, usedAt: Int64? = nil, revokedAt: Int64? = nil) {
        self.tokenHash = tokenHash
        self.item = item
        self.unit = unit
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.revokedAt = revokedAt
    }

    /// Still opens at `now`: not used, not revoked, not expired.
    public func isUsable(at now: Int64) -> Bool {
        usedAt == nil && revokedAt == nil && now < expiresAt
    }

    /// The longest a link may stay open, in days.
    public static let maxDays = 90
    /// How long a link stays open unless the office says otherwise, in days.
    public static let defaultDays = 30
}

extension HubStorage {
    /// Issues a one-time link for `site`'s reply on `view`, open `days` days from `nowMilliseconds`, and returns its token,
    /// which is shown once: the storage keeps only its hash. Refuses (a `WorkflowRefusal`, one Chinese sentence) when the
    /// unit has no reply to rate or it was sent back (重新办理), and a number of days out of range.
    public func issueFeedbackLink(_ view: ItemView, site: String, days: Int, nowMilliseconds now: Int64) async throws -> String {
        guard (1...FeedbackLink.maxDays).contains(days) else {
            throw BanliError(.usage, "有效天数应为 1 到 \(FeedbackLink.maxDays) 天，不是 \(days) 天。")
        }
        try Workflow.requireReplyToRateOnline(view, site: site)
        let token = Digest.randomBase64URL(bytes: 32)
        try await addFeedbackLink(FeedbackLink(tokenHash: Digest.tokenHash(token), item: view.id, unit: site, createdAt: now,
                                               expiresAt: now + Int64(days) * 86_400_000))
        return token
    }
}
