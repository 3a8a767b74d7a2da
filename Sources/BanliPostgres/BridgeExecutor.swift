import Foundation

/// Where `PostgresRecords` runs the async database work its synchronous callers wait for: threads of its own, not
/// Swift's cooperative pool. A caller that blocks on the work may itself hold a cooperative thread (a test, or any async
/// context); the pool is as wide as the machine has cores, so two such callers would otherwise wait forever for threads
/// they hold, and under load a lease timer would fire late. Child tasks inherit the preference, so the client's
/// connection pool runs here too. The jobs never block (they await), so a few threads serve them all.
public final class BridgeExecutor: TaskExecutor, @unchecked Sendable {
    public static let shared = BridgeExecutor(threads: 4)
    // Unchecked: `jobs` is touched only under `ready`'s lock.
    private let ready = NSCondition()
    private var jobs: [UnownedJob] = []

    init(threads: Int) {
        for n in 0..<threads {
            let thread = Thread { [unowned self] in self.serve() }
            thread.name = "banli-pg-bridge-\(n)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        ready.lock()
        jobs.append(job)
        ready.signal()
        ready.unlock()
    }

    private func serve() {
        let executor = asUnownedTaskExecutor()
        while true {
            ready.lock()
            while jobs.isEmpty { ready.wait() }
            let job = jobs.removeFirst()
            ready.unlock()
            job.runSynchronously(on: executor)
        }
    }
}
