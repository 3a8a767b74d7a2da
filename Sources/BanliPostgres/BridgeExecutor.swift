import Dispatch

/// Where `PostgresRecords` runs the async database work its synchronous callers wait for: Dispatch's ordinary worker
/// threads, not Swift's cooperative pool. A caller that blocks on the work may itself hold a cooperative thread (a test,
/// or any async context); with as few of them as cores, two such callers would otherwise wait forever for threads they
/// hold. Child tasks inherit the preference, so the client's connections and its pool run here too.
final class BridgeExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = BridgeExecutor()
    private let queue = DispatchQueue(label: "banli.postgres.bridge", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
