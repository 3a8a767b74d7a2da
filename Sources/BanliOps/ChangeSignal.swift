import Foundation
import Synchronization

/// Wakes waiters when something changed: at the hub, long-polling units when its store changes; at a bureau, the
/// daemon's wait when a clerk writes or SIGHUP asks for a reload.
public final class ChangeSignal: Sendable {
    private let state = Mutex<(version: UInt64, waiters: [UInt64: CheckedContinuation<Void, Never>], next: UInt64)>((0, [:], 0))
    private let closing = Mutex(false)

    public init() {}

    /// True once the hub is shutting down: long-polls answer at once so shutdown does not wait for them.
    public var isClosing: Bool { closing.withLock { $0 } }

    /// Ends every wait now and from now on.
    public func close() {
        closing.withLock { $0 = true }
        signal()
    }

    /// Wakes every waiter.
    public func signal() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.version += 1
            let w = Array(s.waiters.values)
            s.waiters.removeAll()
            return w
        }
        for w in waiters { w.resume() }
    }

    /// The current version; pass it to `wait(after:timeout:)`.
    public var version: UInt64 { state.withLock { $0.version } }

    /// Returns when the version moves past `version`, or after `timeout` seconds.
    public func wait(after version: UInt64, timeout: Double) async {
        let id = state.withLock { s -> UInt64 in s.next += 1; return s.next }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    // Cancelled already (the group below is done with it): never register, or nothing would resume it.
                    let resumeNow = self.state.withLock { s -> Bool in
                        if s.version != version || Task.isCancelled { return true }
                        s.waiters[id] = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
                let c = self.state.withLock { $0.waiters.removeValue(forKey: id) }
                c?.resume()
            }
            await group.next()
            group.cancelAll()
            let c = self.state.withLock { $0.waiters.removeValue(forKey: id) }
            c?.resume()
        }
    }
}
