import Foundation
import Logging
import PostgresNIO

/// Wakes `nextChange` waiters: on every `banli_changes` notification, and once after every (re)connect of the
/// LISTEN connection (notifications sent while it was away are lost; the tables are not, so waiters read again).
final class ChangeSignal: @unchecked Sendable {
    // Unchecked: every field is touched only under `lock`.
    private let lock = NSLock()
    private var generation: UInt64 = 0
    private var nextId: UInt64 = 0
    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    /// Waits cancelled before they registered, so they never register.
    private var cancelled: Set<UInt64> = []

    /// The count of wake-ups so far: take it before reading the head, then wait for it to move.
    var current: UInt64 { lock.withLock { generation } }

    /// Wakes every waiter.
    func fire() {
        let woken = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            generation &+= 1
            let w = Array(waiters.values)
            waiters.removeAll()
            // A wait cancelled before registering sees the new generation and returns anyway.
            cancelled.removeAll()
            return w
        }
        for w in woken { w.resume() }
    }

    /// Returns once a wake-up after `seen` happened, at `deadline`, or when the task is cancelled.
    func wait(after seen: UInt64, until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            group.addTask { await self.woken(after: seen) }
            await group.next()
            group.cancelAll()
        }
    }

    private func woken(after seen: UInt64) async {
        let id = lock.withLock { () -> UInt64 in
            nextId &+= 1
            return nextId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = lock.withLock { () -> Bool in
                    if generation != seen || cancelled.remove(id) != nil { return true }
                    waiters[id] = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let c = lock.withLock { () -> CheckedContinuation<Void, Never>? in
                if let c = waiters.removeValue(forKey: id) { return c }
                if generation == seen { cancelled.insert(id) }
                return nil
            }
            c?.resume()
        }
    }
}

/// The one connection that LISTENs for `banli_changes`, reconnecting with backoff after any failure.
struct ChangeListener: Sendable {
    static let channel = "banli_changes"

    let configuration: PostgresConnection.Configuration
    let signal: ChangeSignal
    let location: PostgresLocation
    let logger: Logger

    /// Listens until the task is cancelled.
    func run() async {
        var delay = Duration.milliseconds(100)
        var id = 0
        while !Task.isCancelled {
            id += 1
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
                do {
                    try await connection.listen(on: Self.channel) { notifications in
                        delay = .milliseconds(100)
                        // Listening now: anything committed while it was not is in the tables; let waiters read.
                        signal.fire()
                        for try await _ in notifications { signal.fire() }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { break }
                logger.warning("The LISTEN connection to \(location.redacted) failed; reconnecting in \(delay).",
                               metadata: ["error": "\(PostgresFailure.cause(error))"])
            }
            signal.fire()
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }
}
