import ArgumentParser
import BanliCore
import BanliOffice
import BanliOps
import BanliStore
import BanliSync
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// `banli daemon`: periodic sync plus long-poll, as a systemd service.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "daemon", abstract: "Keep this bureau in sync with the hub (systemd service).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: SyncOptions

    func run() async throws {
        let config = try global.loadConfig()
        let logger = try LogSetup.bootstrap(level: config.logLevel)
        let setup = try SyncSetup(global: global, options: options, logger: logger)
        // For the daemon's whole life: a second daemon (or a hub) on this store is refused; `banli sync` is not.
        let lock = try StoreLock.acquire(store: setup.store.path, purpose: .service, waitingUpTo: 0)
        defer { withExtendedLifetime(lock) {} }
        // SIGHUP (`systemctl reload banli`) re-reads the token file; without this it would end the process.
        let reload = ReloadRequest()
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler { reload.request() }
        hangup.resume()
        defer { hangup.cancel() }
        let service = SyncService(engine: setup.engine, interval: setup.interval, logger: logger, makeWaitTransport: setup.makeWaitTransport,
                                  token: setup.token, reload: reload)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: service)]
        if let listen = config.metricsListen {
            let address = try ListenAddress(parsing: listen, option: "metrics_listen")
            let store = setup.store
            services.append(.init(service: MetricsEndpoint(address: address, logger: logger) {
                try BureauMetrics.render(store: store)
            }.application()))
        }
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        logger.info("starting", metadata: ["site": "\(setup.store.info.site)", "hub": "\(setup.engine.transport.baseURL)", "interval": "\(setup.interval)"])
        try await group.run()
        logger.info("stopped")
    }
}

/// Set by SIGHUP, taken by the sync loop.
final class ReloadRequest: Sendable {
    private let value = Atomic<Bool>(false)
    func request() { value.store(true, ordering: .relaxed) }
    var isPending: Bool { value.load(ordering: .relaxed) }
    func take() -> Bool { value.exchange(false, ordering: .relaxed) }
}

/// Syncs every `interval` (jittered), and in between waits on the hub's long-poll and on local
/// writes, so a change reaches the other units in about a second. Backs off on failure.
struct SyncService: Service {
    let engine: SyncEngine
    let interval: Double
    let logger: Logger
    let makeWaitTransport: @Sendable () -> any Transport
    let token: UnitToken
    let reload: ReloadRequest
    let notifier = SystemdNotifier()

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

    /// Runs blocking work on a plain thread and polls for its result, so shutdown stays responsive.
    final class Pending<T: Sendable>: Sendable {
        let result = Mutex<Result<T, any Error>?>(nil)
        init(_ body: @escaping @Sendable () throws -> T) {
            DispatchQueue.global().async { [self] in
                let r = Result { try body() }
                self.result.withLock { $0 = r }
            }
        }
        var value: Result<T, any Error>? { result.withLock { $0 } }
    }

    func run() async throws {
        notifier.ready(status: "starting")
        var backoff = Backoff()
        var lastPing = Date()
        var failures = 0
        var failingSince = Date()
        let engine = self.engine
        while !Task.isShuttingDownGracefully {
            rereadToken()
            let attempt = Pending { try engine.syncOnce() }
            while attempt.value == nil { await tick(&lastPing) }
            var pause: Double
            switch attempt.value! {
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
                notifier.status("in sync, cursor \(r.cursor)")
                pause = Backoff.jittered(interval)
            case .failure(let error):
                if failures == 0 { failingSince = Date() }
                failures += 1
                let message = (error as? BanliError)?.message ?? "\(error)"
                try? engine.store.recordSyncResult(error: message)
                pause = min(backoff.nextDelay(), max(interval, 1) * 5)
                logger.warning("sync failed; retrying in \(Int(pause.rounded())) s: \(message)")
                notifier.status("sync failing: \(message)")
                try await sleep(pause, &lastPing)
                continue
            }
            try await waitForWork(until: Date().addingTimeInterval(pause), &lastPing)
        }
        notifier.stopping()
    }

    /// One quarter-second step: pings the watchdog when due.
    func tick(_ lastPing: inout Date) async {
        try? await Task.sleep(for: .milliseconds(100))
        if let w = notifier.watchdogInterval, Date().timeIntervalSince(lastPing) >= w {
            notifier.watchdog()
            lastPing = Date()
        }
    }

    /// Waits out a back-off; a reload cuts it short, so a fixed token is tried at once.
    func sleep(_ seconds: Double, _ lastPing: inout Date) async throws {
        let until = Date().addingTimeInterval(seconds)
        while Date() < until, !Task.isShuttingDownGracefully, !reload.isPending { await tick(&lastPing) }
    }

    /// Returns at the deadline, when the hub reports a change, when this store changes locally, or at shutdown.
    func waitForWork(until deadline: Date, _ lastPing: inout Date) async throws {
        let store = engine.store
        // Writes made while the last sync ran are not in its push: sync again at once.
        if try store.backlog().count > 0 { return }
        let startSeq = try store.counters().seq
        let engine = self.engine
        while Date() < deadline, !Task.isShuttingDownGracefully {
            let cancel = CancelFlag()
            let seconds = max(1, min(30, Int(deadline.timeIntervalSinceNow.rounded(.up))))
            let waitTransport = makeWaitTransport()
            let poll = Pending { try engine.waitForHub(timeoutSeconds: seconds, cancel: cancel, via: waitTransport) }
            var lastLocalCheck = Date()
            while poll.value == nil {
                await tick(&lastPing)
                if Task.isShuttingDownGracefully || Date() >= deadline || reload.isPending {
                    cancel.cancel()
                    return
                }
                if Date().timeIntervalSince(lastLocalCheck) >= 0.25 {
                    lastLocalCheck = Date()
                    if let seq = try? store.counters().seq, seq != startSeq {
                        cancel.cancel()  // a clerk wrote something: push it now
                        return
                    }
                }
            }
            switch poll.value! {
            case .success(true):
                return
            case .success(false):
                continue
            case .failure:
                // The sync that follows reports the failure and backs off.
                return
            }
        }
    }
}
