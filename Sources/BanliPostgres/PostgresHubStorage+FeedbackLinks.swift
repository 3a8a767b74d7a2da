import BanliCore
import BanliHubStorage
import PostgresNIO

/// The hub's one-time feedback links (issue 18), in the `feedback_link` table.
extension PostgresHubStorage {
    public func itemFields(_ id: String) async throws -> [ReplicatedField] {
        let logger = self.logger
        return try await withConnection { conn in
            try await Self.decodeFields(conn.query(
                "SELECT entity, field, value, state FROM field WHERE item = \(id) ORDER BY entity, field", logger: logger))
        }
    }

    public func addFeedbackLink(_ l: FeedbackLink) async throws {
        let logger = self.logger
        try await transaction { conn in
            try await conn.query("""
                INSERT INTO feedback_link (token_hash, item, unit, created_at, expires_at, used_at, revoked_at)
                VALUES (\(l.tokenHash), \(l.item), \(l.unit), \(l.createdAt), \(l.expiresAt), \(l.usedAt), \(l.revokedAt))
                """, logger: logger)
        }
    }

    public func feedbackLink(tokenHash: String) async throws -> FeedbackLink? {
        let logger = self.logger
        return try await withConnection { conn in
            let rows = try await conn.query("""
                SELECT token_hash, item, unit, created_at, expires_at, used_at, revoked_at FROM feedback_link WHERE token_hash = \(tokenHash)
                """, logger: logger)
            guard let r = try await Self.first(rows, as: (String, String, String, Int64, Int64, Int64?, Int64?).self) else { return nil }
            return FeedbackLink(tokenHash: r.0, item: r.1, unit: r.2, createdAt: r.3, expiresAt: r.4, usedAt: r.5, revokedAt: r.6)
        }
    }

    public func revokeFeedbackLinks(item: String, unit: String, nowMilliseconds now: Int64) async throws -> Int {
        let logger = self.logger
        return try await transaction { conn in
            try await Self.all(conn.query("""
                UPDATE feedback_link SET revoked_at = \(now)
                WHERE item = \(item) AND unit = \(unit) AND used_at IS NULL AND revoked_at IS NULL AND expires_at > \(now)
                RETURNING token_hash
                """, logger: logger), as: String.self).count
        }
    }

    /// Under READ COMMITTED a second UPDATE of the same row waits for the first to commit and then finds `used_at` set:
    /// of two uses, from any process, only one returns the row.
    public func useFeedbackLink(tokenHash: String, nowMilliseconds now: Int64, writes: [LocalWrite]) async throws -> Bool {
        let checked = try check(writes)
        let (hubSite, key, logger) = (self.hubSite, self.key, self.logger)
        return try await transaction { conn in
            let used = try await Self.first(conn.query("""
                UPDATE feedback_link SET used_at = \(now)
                WHERE token_hash = \(tokenHash) AND used_at IS NULL AND revoked_at IS NULL AND expires_at > \(now)
                RETURNING token_hash
                """, logger: logger), as: String.self)
            guard used != nil else { return false }
            try await conn.query("""
                UPDATE feedback_link SET revoked_at = \(now)
                WHERE (item, unit) = (SELECT item, unit FROM feedback_link WHERE token_hash = \(tokenHash)) AND used_at IS NULL AND revoked_at IS NULL
                """, logger: logger)
            _ = try await Self.write(conn, checked, hubSite: hubSite, key: key, nowMilliseconds: UInt64(now), logger: logger)
            return true
        }
    }
}
