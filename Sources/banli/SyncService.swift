import BanliCore
import BanliOps
import BanliSync
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Set by SIGHUP, taken by the sync loop.
final class ReloadRequest: Sendable {
    private let value = Atomic<Bool>(false)
    func request() { value.store(true, ordering: .relaxed) }
    var isPending: Bool { value.load(ordering: .relaxed) }
    func take() -> Bool { value.exchange(false, ordering: .relaxed) }
}

/// systemd's view of a daemon that syncs several offices: READY once every office's service has started, one
/// watchdog, and a status line that names the office it speaks of.
final class DaemonNotifier: Sendable {
    let systemd = SystemdNotifier()
    private let services: Int
    private let started = Atomic<Int>(0)
    /// True when the daemon syncs more than one office.
    var namesOffices: Bool { services > 1 }

    init(services: Int) { self.services = services }

    /// Called by each service as it starts; the last one tells systemd the daemon is ready.
    func serviceStarted() {
        if started.add(1, ordering: .relaxed).newValue == services { systemd.ready(status: "starting") }
    }
}

/// Syncs every `interval` (jittered), and in between waits on the hub's long-poll and on local writes, so a change
/// reaches the other units in about a second. Backs off on failure. A graceful shutdown cancels the waits; a sync in
/// progress finishes (each of its exchanges is one transaction).
struct SyncService: Service {
    let engine: SyncEngine
    let interval: Double
    let logger: Logger
    let makeWaitTransport: @Sendable () -> any Transport
    let token: UnitToken
    let reload: ReloadRequest
    /// Signalled by SIGHUP and by changes to the store's files.
    let wake: ChangeSignal
    /// False when inotify is unavailable: local writes are then looked for once a second.
    let watchingStore: Bool
    /// Shared by every office's service of the daemon.
    let daemon: DaemonNotifier
    /// The office this service syncs with (its key, or the hub's site for the top-level hub).
    let office: String
    /// One service of the daemon pings the watchdog for all.
    let pingsWatchdog: Bool
    // Syncs and long-polls each run on a thread of their own, per office: libcurl and SQLite block, and must not hold up
    // Swift's cooperative threads, nor one office's stalled hub the other offices.
    private let syncQueue: DispatchQueue
    private let waitQueue: DispatchQueue
    private var notifier: SystemdNotifier { daemon.systemd }

    init(engine: SyncEngine, interval: Double, logger: Logger, makeWaitTransport: @escaping @Sendable () -> any Transport, token: UnitToken,
         reload: ReloadRequest, wake: ChangeSignal, watchingStore: Bool, daemon: DaemonNotifier, office: String, pingsWatchdog: Bool) {
        self.engine = engine
        self.interval = interval
        self.logger = logger
        self.makeWaitTransport = makeWaitTransport
        self.token = token
        self.reload = reload
        self.wake = wake
        self.watchingStore = watchingStore
        self.daemon = daemon
        self.office = office
        self.pingsWatchdog = pingsWatchdog
        syncQueue = DispatchQueue(label: "banli.daemon.sync.\(office)")
        waitQueue = DispatchQueue(label: "banli.daemon.wait.\(office)")
    }

    /// The systemd status line, naming the office when the daemon syncs several.
    private func status(_ s: String) { notifier.status(daemon.namesOffices ? "\(office): \(s)" : s) }

    func run() async throws {
        daemon.serviceStarted()
        await withTaskGroup(of: Void.self) { group in
            if pingsWatchdog, let every = notifier.watchdogInterval {
                group.addTask { [notifier = notifier] in
                    while !Task.isCancelled {
                        notifier.watchdog()
                        try? await Task.sleep(for: .milliseconds(Int(every * 1000)))
                    }
                }
            }
            await cancelWhenGracefulShutdown { await cycle() }
            group.cancelAll()
        }
        notifier.stopping()
    }

    /// Sync, then wait for work or back off, until cancelled.
    private func cycle() async {
        var backoff = Backoff()
        var failures = 0
        var failingSince = Date()
        let engine = self.engine
        while !Task.isCancelled {
            rereadToken()
            switch await Offload.run(on: syncQueue, { try engine.syncOnce() }) {
            case .success(let r):
                backoff.reset()
                if failures > 0 {
                    logger.notice("sync recovered after \(failures) failed attempts over \(Int(Date().timeIntervalSince(failingSince))) s")
                    failures = 0
                }
                if r.pushed + r.pulled > 0 || !r.rejected.isEmpty {
                    logger.info("synced", metadata: [
                        "pushed": "\(r.pushed)", "rejected": "\(r.rejected.count)", "pulled": "\(r.pulled)",
                        "changed": "\(r.changed)", "conflicts": "\(r.newConflicts.count)",
                    ])
                }
                for x in r.rejected { logger.warning("the hub refused \(x.entity) \(x.field): \(x.reason)") }
                status("in sync, cursor \(r.cursor)")
                await waitForWork(until: Date().addingTimeInterval(Backoff.jittered(interval)))
            case .failure(let error):
                if failures == 0 { failingSince = Date() }
                failures += 1
                let failure = SyncFailure(error as? BanliError ?? BanliError(.io, "\(error)"))
                let message = failure.detail
                try? engine.store.recordSyncResult(error: failure)
                let pause = min(backoff.nextDelay(), max(interval, 1) * 5)
                logger.warning("sync failed; retrying in \(Int(pause.rounded())) s: \(message)")
                status("sync failing: \(message)")
                await backOff(until: Date().addingTimeInterval(pause))
            }
        }
    }

    /// Re-reads the token file on SIGHUP, or when it was replaced since it was read; one line when it does.
    func rereadToken() {
        let asked = reload.take()
        do {
            if asked {
                try token.reload()
                logger.notice("re-read the token file \(token.path) (reload)")
            } else if try token.refreshIfChanged() {
                logger.notice("re-read the token file \(token.path): it changed")
            }
        } catch {
            logger.error("kept the previous token: \((error as? BanliError)?.message ?? "\(error)")")
        }
    }

    /// Waits out a back-off; a reload cuts it short, so a fixed token is tried at once.
    private func backOff(until deadline: Date) async {
        while !Task.isCancelled, !reload.isPending, deadline.timeIntervalSinceNow > 0 {
            let seen = wake.version
            await wake.wait(after: seen, timeout: deadline.timeIntervalSinceNow)
        }
    }

    /// Returns at the deadline, when the hub reports a change, when this store changes locally, on a reload, or when
    /// cancelled (shutdown), whichever comes first.
    private func waitForWork(until deadline: Date) async {
        let store = engine.store
        // Writes made while the last sync ran are not in its push: sync again at once.
        guard (try? store.backlog().count) == 0, let startSeq = try? store.counters().seq else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await longPoll(until: deadline) }
            group.addTask { await localChange(after: startSeq, until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Waits until the store's change number moves (a clerk wrote), a reload is asked for, or the deadline.
    private func localChange(after seq: Int64, until deadline: Date) async {
        let store = engine.store
        while !Task.isCancelled, deadline.timeIntervalSinceNow > 0 {
            let seen = wake.version
            if reload.isPending { return }
            if let now = try? store.counters().seq, now != seq { return }
            await wake.wait(after: seen, timeout: watchingStore ? deadline.timeIntervalSinceNow : 1)
        }
    }

    /// The hub's long-poll, in requests of at most 30 s, until it reports a change, fails (the sync that follows reports
    /// it), or the deadline. Cancelling it abandons the request in flight to finish on its own connection.
    private func longPoll(until deadline: Date) async {
        let engine = self.engine
        while !Task.isCancelled, deadline.timeIntervalSinceNow > 0 {
            let seconds = max(1, min(30, Int(deadline.timeIntervalSinceNow.rounded(.up))))
            let transport = makeWaitTransport()
            let cancel = CancelFlag()
            let answer = await Offload.run(on: waitQueue, abandoningOnCancel: cancel) {
                try engine.waitForHub(timeoutSeconds: seconds, cancel: cancel, via: transport)
            }
            guard case .success(false)? = answer else { return }
        }
    }
}

/// Blocking work on a dispatch queue, awaited without holding a cooperative thread.
enum Offload {
    /// Runs `body` on `queue` and returns its result.
    static func run<T: Sendable>(on queue: DispatchQueue, _ body: @escaping @Sendable () throws -> T) async -> Result<T, any Error> {
        await withCheckedContinuation { c in
            queue.async { c.resume(returning: Result { try body() }) }
        }
    }

    /// Runs `body` on `queue`; when the task is cancelled first, sets `cancel` and returns nil at once, leaving `body`
    /// to finish on its own (libcurl notices a cancel only about once a second on an idle transfer).
    static func run<T: Sendable>(
        on queue: DispatchQueue, abandoningOnCancel cancel: CancelFlag, _ body: @escaping @Sendable () throws -> T
    ) async -> Result<T, any Error>? {
        let waiting = Mutex<CheckedContinuation<Result<T, any Error>?, Never>?>(nil)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { c in
                waiting.withLock { $0 = c }
                if Task.isCancelled, let c = waiting.withLock({ $0.take() }) {
                    c.resume(returning: nil)
                    return
                }
                queue.async {
                    let result = Result { try body() }
                    waiting.withLock { $0.take() }?.resume(returning: result)
                }
            }
        } onCancel: {
            cancel.cancel()
            waiting.withLock { $0.take() }?.resume(returning: nil)
        }
    }
}
