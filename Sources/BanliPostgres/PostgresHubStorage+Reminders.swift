import BanliHubStorage
import PostgresNIO

/// The hub's reminder sends in PostgreSQL, shared by every hub process on the database (see `ReminderLog`).
extension PostgresHubStorage: ReminderLog {
    public func claimReminders(_ sends: [String], nowMilliseconds now: Int64, leaseMilliseconds: Int64) async throws -> [String] {
        let logger = self.logger
        return try await transaction { conn in
            var claimed: [String] = []
            for send in sends {
                // The row's lock decides between processes: the loser's INSERT waits, then does nothing and returns no row.
                let inserted = try await Self.first(conn.query("""
                    INSERT INTO reminder (send, state, attempts, updated_at) VALUES (\(send), 'claimed', 1, \(now))
                    ON CONFLICT DO NOTHING RETURNING send
                    """, logger: logger), as: String.self)
                let stale = now - leaseMilliseconds
                if inserted != nil {
                    claimed.append(send)
                    continue
                }
                let retried = try await Self.first(conn.query("""
                    UPDATE reminder SET state = 'claimed', attempts = attempts + 1, updated_at = \(now)
                    WHERE send = \(send) AND ((state = 'failed' AND next_attempt_at <= \(now)) OR (state = 'claimed' AND updated_at <= \(stale)))
                    RETURNING send
                    """, logger: logger), as: String.self)
                if retried != nil { claimed.append(send) }
            }
            return claimed
        }
    }

    @discardableResult
    public func markRemindersSent(_ sends: [String], claimedAt: Int64, nowMilliseconds now: Int64) async throws -> Int {
        let logger = self.logger
        return try await transaction { conn in
            var marked = 0
            for try await _ in try await conn.query("""
                UPDATE reminder SET state = 'sent', next_attempt_at = NULL, updated_at = \(now)
                WHERE send = ANY(\(sends)) AND state = 'claimed' AND updated_at = \(claimedAt) RETURNING send
                """, logger: logger) { marked += 1 }
            return marked
        }
    }

    @discardableResult
    public func markRemindersFailed(_ sends: [String], claimedAt: Int64, error: String, retryAt: Int64, nowMilliseconds now: Int64) async throws -> Int {
        let logger = self.logger
        return try await transaction { conn in
            var marked = 0
            for try await _ in try await conn.query("""
                UPDATE reminder SET state = 'failed', next_attempt_at = \(retryAt), last_error = \(error), updated_at = \(now)
                WHERE send = ANY(\(sends)) AND state = 'claimed' AND updated_at = \(claimedAt) RETURNING send
                """, logger: logger) { marked += 1 }
            return marked
        }
    }

    public func reminderFailures(since: Int64) async throws -> ReminderFailures {
        let logger = self.logger
        return try await withConnection { conn in
            let count = try await Self.first(conn.query("""
                SELECT COUNT(*) FROM reminder WHERE state = 'failed' AND updated_at >= \(since)
                """, logger: logger), as: Int64.self) ?? 0
            let last = try await Self.first(conn.query("""
                SELECT last_error, updated_at FROM reminder WHERE state = 'failed' AND updated_at >= \(since) ORDER BY updated_at DESC LIMIT 1
                """, logger: logger), as: (String?, Int64).self)
            return ReminderFailures(count: Int(count), lastError: last?.0, lastFailedAt: last?.1)
        }
    }

    public func reminderAttempts(_ sends: [String]) async throws -> [String: Int] {
        let logger = self.logger
        return try await withConnection { conn in
            var out: [String: Int] = [:]
            let rows = try await conn.query("SELECT send, attempts FROM reminder WHERE send = ANY(\(sends))", logger: logger)
            for try await (send, attempts) in rows.decode((String, Int32).self) { out[send] = Int(attempts) }
            return out
        }
    }
}
