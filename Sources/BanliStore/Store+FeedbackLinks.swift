import BanliCore
import BanliHubStorage
import GRDB

/// The hub's one-time feedback links (issue 18), in the `feedback_link` table.
extension Store {
    /// Keeps a new link.
    func addFeedbackLink(_ l: FeedbackLink) throws {
        try transaction { db in
            try db.execute(sql: """
                INSERT INTO feedback_link (tokenHash, item, unit, createdAt, expiresAt, usedAt, revokedAt) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [l.tokenHash, l.item, l.unit, l.createdAt, l.expiresAt, l.usedAt, l.revokedAt])
        }
    }

    /// The link of a token hash, or nil.
    func feedbackLink(tokenHash: String) throws -> FeedbackLink? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT * FROM feedback_link WHERE tokenHash = ?", arguments: [tokenHash]).map {
                FeedbackLink(tokenHash: $0["tokenHash"], item: $0["item"], unit: $0["unit"], createdAt: $0["createdAt"],
                             expiresAt: $0["expiresAt"], usedAt: $0["usedAt"], revokedAt: $0["revokedAt"])
            }
        }
    }

    /// Revokes the open links of (item, unit); returns how many.
    func revokeFeedbackLinks(item: String, unit: String, nowMilliseconds: Int64) throws -> Int {
        try transaction { db in
            try db.execute(sql: """
                UPDATE feedback_link SET revokedAt = ? WHERE item = ? AND unit = ? AND usedAt IS NULL AND revokedAt IS NULL AND expiresAt > ?
                """, arguments: [nowMilliseconds, item, unit, nowMilliseconds])
            return db.changesCount
        }
    }

    /// Marks the link used and writes `writes` in one transaction, or does nothing and returns false. The UPDATE's
    /// condition is the check: SQLite serializes writers, so of two uses (from any process) only one changes the row.
    /// Async only: the writes join the transaction through the connection it holds.
    func useFeedbackLink(tokenHash: String, nowMilliseconds: Int64, writes: [LocalWrite]) async throws -> Bool {
        try await transaction { db in
            try db.execute(sql: """
                UPDATE feedback_link SET usedAt = ? WHERE tokenHash = ? AND usedAt IS NULL AND revokedAt IS NULL AND expiresAt > ?
                """, arguments: [nowMilliseconds, tokenHash, nowMilliseconds])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: """
                UPDATE feedback_link SET revokedAt = ?
                WHERE (item, unit) = (SELECT item, unit FROM feedback_link WHERE tokenHash = ?) AND usedAt IS NULL AND revokedAt IS NULL
                """, arguments: [nowMilliseconds, tokenHash])
            try self.write(writes, nowMilliseconds: UInt64(nowMilliseconds), person: nil)
            return true
        }
    }
}
