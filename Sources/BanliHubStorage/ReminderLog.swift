/// The record of reminder sends, kept in the store so that restarts and several hub processes send each one once.
///
/// A send is named by its reminder key and recipient (`ReminderSend`); it is claimed before it goes out and marked
/// after. A claim succeeds for one caller only: a new send (inserted, nothing done on conflict), a failed send whose
/// next attempt time has come, or a claim left behind by a process that stopped before marking it (after `lease`).
/// A claim is known by its time: a mark changes only the rows still claimed at `claimedAt`, so a process that stalled
/// past its lease cannot undo what the process that took over recorded. Delivery is once, except when a process
/// stops (or stalls past the lease) after the server took the message and before the mark: then it goes out again.
public protocol ReminderLog: Sendable {
    /// Claims those of `sends` that this caller may send now, and returns them.
    func claimReminders(_ sends: [String], nowMilliseconds: Int64, leaseMilliseconds: Int64) async throws -> [String]
    /// Marks sends this caller claimed at `claimedAt` as sent, and returns how many it marked.
    @discardableResult
    func markRemindersSent(_ sends: [String], claimedAt: Int64, nowMilliseconds: Int64) async throws -> Int
    /// Marks sends this caller claimed at `claimedAt` as failed, to be tried again from `retryAt` (Unix milliseconds).
    @discardableResult
    func markRemindersFailed(_ sends: [String], claimedAt: Int64, error: String, retryAt: Int64, nowMilliseconds: Int64) async throws -> Int
    /// The sends whose last attempt failed at or after `since` (Unix milliseconds; the status page asks for the last day,
    /// so a reminder that stopped being due stops counting), with the latest error.
    func reminderFailures(since: Int64) async throws -> ReminderFailures
    /// Attempts made so far of each of `sends` that has a record, for the backoff.
    func reminderAttempts(_ sends: [String]) async throws -> [String: Int]
}

/// Failed reminder sends, as the status page shows them.
public struct ReminderFailures: Sendable, Equatable {
    /// Sends whose last attempt failed.
    public var count: Int
    /// The error of the most recent failure, nil when none failed.
    public var lastError: String?
    /// When it failed, in Unix milliseconds.
    public var lastFailedAt: Int64?

    public init(count: Int, lastError: String?, lastFailedAt: Int64?) {
        self.count = count
        self.lastError = lastError
        self.lastFailedAt = lastFailedAt
    }
}
