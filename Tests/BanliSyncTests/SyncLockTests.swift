import BanliCore
import BanliSync
import Foundation
import Testing

@Suite struct SyncLockTests {
    @Test func aSecondHolderWaitsThenSaysWhoHoldsTheLock() throws {
        let store = NSTemporaryDirectory() + "banli-lock-\(UUID().uuidString).db"
        var first: SyncLock? = try SyncLock.acquire(store: store, waitingUpTo: 0)
        #expect(first != nil)
        var told: String?
        let start = Date()
        let e = #expect(throws: BanliError.self) {
            _ = try SyncLock.acquire(store: store, waitingUpTo: 0.5) { told = $0 }
        }
        #expect(Date().timeIntervalSince(start) >= 0.5, "it waited before giving up")
        #expect(told == String(getpid()))
        #expect(e?.message.contains("Another sync of \(store) is still running (PID \(getpid()))") == true, "\(e?.message ?? "")")
        var st = stat()
        #expect(stat(SyncLock.path(store: store), &st) == 0 && st.st_mode & 0o777 == 0o600)

        // Released when its holder lets go of it.
        first = nil
        _ = try SyncLock.acquire(store: store, waitingUpTo: 0)
    }
}
