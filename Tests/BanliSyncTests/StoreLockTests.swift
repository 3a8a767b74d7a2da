import BanliCore
import BanliOps
import BanliSync
import Foundation
import Testing

@Suite struct StoreLockTests {
    @Test func aSecondHolderWaitsThenSaysWhoHoldsTheLock() throws {
        let store = NSTemporaryDirectory() + "banli-lock-\(UUID().uuidString).db"
        var first: StoreLock? = try StoreLock.acquire(store: store, purpose: .sync, waitingUpTo: 0)
        #expect(first != nil)
        var told: String?
        let start = Date()
        let e = #expect(throws: BanliError.self) {
            _ = try StoreLock.acquire(store: store, purpose: .sync, waitingUpTo: 0.5) { told = $0 }
        }
        #expect(Date().timeIntervalSince(start) >= 0.5, "it waited before giving up")
        #expect(told == String(getpid()))
        #expect(e?.message.contains("Another sync of \(store) is still running (PID \(getpid()))") == true, "\(e?.message ?? "")")
        var st = stat()
        #expect(stat(StoreLock.path(store: store, purpose: .sync), &st) == 0 && st.st_mode & 0o777 == 0o600)

        // Released when its holder lets go of it.
        first = nil
        _ = try StoreLock.acquire(store: store, purpose: .sync, waitingUpTo: 0)
    }

    /// The service lock is a different file: a daemon holding it for its life never blocks a sync.
    @Test func theServiceLockLeavesTheSyncLockFree() throws {
        let store = NSTemporaryDirectory() + "banli-lock-\(UUID().uuidString).db"
        let service = try StoreLock.acquire(store: store, purpose: .service, waitingUpTo: 0)
        _ = try StoreLock.acquire(store: store, purpose: .sync, waitingUpTo: 0)
        let e = #expect(throws: BanliError.self) { _ = try StoreLock.acquire(store: store, purpose: .service, waitingUpTo: 0) }
        #expect(e?.message == "Another banli daemon or hub (PID \(getpid())) is already running on the store \(store); stop it first, or use another store.")
        withExtendedLifetime(service) {}
    }
}
