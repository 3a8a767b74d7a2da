import BanliHubStorage
import GRDB

/// The reminder sends of this store (the bureau's, or the SQLite hub's), see `ReminderLog`.
extension Store: ReminderLog {
    public func claimReminders(_ sends: [String], nowMilliseconds now: Int64, leaseMilliseconds: Int64) async throws -> [String] {
        try await transaction { db in
            var claimed: [String] = []
            for send in sends {
                try db.execute(sql: """
                    INSERT INTO reminder (send, state, attempts, updatedAt) VALUES (?, 'claimed', 1, ?) ON CONFLICT DO NOTHING
                    """, arguments: [send, now])
                if db.changesCount == 0 {
                    try db.execute(sql: """
                        UPDATE reminder SET state = 'claimed', attempts = attempts + 1, updatedAt = ?
                        WHERE send = ? AND ((state = 'failed' AND nextAttemptAt <= ?) OR (state = 'claimed' AND updatedAt <= ?))
                        """, arguments: [now, send, now, now - leaseMilliseconds])
                }
                if db.changesCount == 1 { claimed.append(send) }
            }
            return claimed
        }
    }

    @discardableResult
    public func markRemindersSent(_ sends: [String], claimedAt: Int64, nowMilliseconds now: Int64) async throws -> Int {
        try await transaction { db in
            var marked = 0
            for send in sends {
                try db.execute(sql: """
                    UPDATE reminder SET state = 'sent', nextAttemptAt = NULL, updatedAt = ? WHERE send = ? AND state = 'claimed' AND updatedAt = ?
                    """, arguments: [now, send, claimedAt])
                marked += db.changesCount
            }
            return marked
        }
    }

    @discardableResult
    public func markRemindersFailed(_ sends: [String], claimedAt: Int64, error: String, retryAt: Int64, nowMilliseconds now: Int64) async throws -> Int {
        try await transaction { db in
            var marked = 0
            for send in sends {
                try db.execute(sql: """
                    UPDATE reminder SET state = 'failed', nextAttemptAt = ?, lastError = ?, updatedAt = ?
                    WHERE send = ? AND state = 'claimed' AND updatedAt = ?
                    """, arguments: [retryAt, error, now, send, claimedAt])
                marked += db.changesCount
            }
            return marked
        }
    }

    public func reminderFailures(since: Int64) async throws -> ReminderFailures {
        try await reading { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reminder WHERE state = 'failed' AND updatedAt >= ?", arguments: [since]) ?? 0
            let last = try Row.fetchOne(db, sql: """
                SELECT lastError, updatedAt FROM reminder WHERE state = 'failed' AND updatedAt >= ? ORDER BY updatedAt DESC LIMIT 1
                """, arguments: [since])
            let error = last.flatMap { row -> String? in row[0] }
            let at = last.flatMap { row -> Int64? in row[1] }
            return ReminderFailures(count: count, lastError: error, lastFailedAt: at)
        }
    }

    public func reminderAttempts(_ sends: [String]) async throws -> [String: Int] {
        try await reading { db in
            var out: [String: Int] = [:]
            for send in sends {
                if let n = try Int.fetchOne(db, sql: "SELECT attempts FROM reminder WHERE send = ?", arguments: [send]) { out[send] = n }
            }
            return out
        }
    }
}

/// The SQLite hub's reminder sends: its store's (the conformance checks reach them through the hub storage).
extension SQLiteHubStorage: ReminderLog {
    public func claimReminders(_ sends: [String], nowMilliseconds: Int64, leaseMilliseconds: Int64) async throws -> [String] {
        try await store.claimReminders(sends, nowMilliseconds: nowMilliseconds, leaseMilliseconds: leaseMilliseconds)
    }

    @discardableResult
    public func markRemindersSent(_ sends: [String], claimedAt: Int64, nowMilliseconds: Int64) async throws -> Int {
        try await store.markRemindersSent(sends, claimedAt: claimedAt, nowMilliseconds: nowMilliseconds)
    }

    @discardableResult
    public func markRemindersFailed(_ sends: [String], claimedAt: Int64, error: String, retryAt: Int64, nowMilliseconds: Int64) async throws -> Int {
        try await store.markRemindersFailed(sends, claimedAt: claimedAt, error: error, retryAt: retryAt, nowMilliseconds: nowMilliseconds)
    }

    public func reminderFailures(since: Int64) async throws -> ReminderFailures { try await store.reminderFailures(since: since) }

    public func reminderAttempts(_ sends: [String]) async throws -> [String: Int] { try await store.reminderAttempts(sends) }
}

extension Store {
    /// Reminder sends that went out, and send attempts that failed, since the store was made: the daemon's counters.
    public func reminderTotals() throws -> (sent: Int, failed: Int) {
        try reading { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COALESCE(SUM(state = 'sent'), 0), COALESCE(SUM(CASE state WHEN 'failed' THEN attempts ELSE attempts - 1 END), 0) FROM reminder
                """)
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }
}
