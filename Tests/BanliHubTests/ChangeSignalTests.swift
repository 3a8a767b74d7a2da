import BanliOps
import Foundation
import Synchronization
import Testing

/// The wake-up both long-polls (hub) and the daemon's waits (bureau) rest on: a wait always returns.
@Suite struct ChangeSignalTests {
    /// Runs `body`, false when it has not returned within `seconds` (a wait that nothing resumes). The body runs
    /// unstructured, so a hung one is left behind instead of holding up the test.
    func returns(within seconds: Double, _ body: @escaping @Sendable () async -> Void) async -> Bool {
        let first = FirstAnswer()
        return await withCheckedContinuation { c in
            first.waiting.withLock { $0 = c }
            Task.detached { await body(); first.answer(true) }
            Task.detached {
                try? await Task.sleep(for: .seconds(seconds))
                first.answer(false)
            }
        }
    }

    @Test func waitsThatTimeOutAtOnceOrAreCancelledAtOnceAlwaysReturn() async {
        let signal = ChangeSignal()
        // A timeout of 0 races the wait's own registration: before the fix, some of these never returned.
        let timedOut = await returns(within: 20) {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<64 {
                    group.addTask { for _ in 0..<200 { await signal.wait(after: signal.version, timeout: 0) } }
                }
            }
        }
        #expect(timedOut, "a wait with a zero timeout returned every time")
        let cancelled = await returns(within: 20) {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        for _ in 0..<200 {
                            let t = Task { await signal.wait(after: signal.version, timeout: 3_600) }
                            t.cancel()
                            await t.value
                        }
                    }
                }
            }
        }
        #expect(cancelled, "a cancelled wait returned every time, long before its hour")
    }

    @Test func aSignalWakesEveryWaiterAndAnOldVersionReturnsAtOnce() async {
        let signal = ChangeSignal()
        let seen = signal.version
        let woken = await returns(within: 20) {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<50 { group.addTask { await signal.wait(after: seen, timeout: 3_600) } }
                try? await Task.sleep(for: .milliseconds(100))
                signal.signal()
            }
        }
        #expect(woken)
        #expect(await returns(within: 5) { await signal.wait(after: seen, timeout: 3_600) }, "the version moved on already")
    }
}

/// The first of several answers, resumed once.
final class FirstAnswer: Sendable {
    let waiting = Mutex<CheckedContinuation<Bool, Never>?>(nil)
    func answer(_ value: Bool) { waiting.withLock { $0.take() }?.resume(returning: value) }
}
