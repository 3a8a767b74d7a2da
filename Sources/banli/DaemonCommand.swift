import ArgumentParser
import BanliCore
import BanliHub
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
        let service = SyncService(engine: setup.engine, interval: setup.interval, logger: logger, makeWaitTransport: setup.makeWaitTransport)
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

/// Syncs every `interval` (jittered), and in between waits on the hub's long-poll and on local
/// writes, so a change reaches the other units in about a second. Backs off on failure.
struct SyncService: Service {
    let engine: SyncEngine
    let interval: Double
    let logger: Logger
    let makeWaitTransport: @Sendable () -> any Transport
    let notifier = SystemdNotifier()

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
        let engine = self.engine
        while !Task.isShuttingDownGracefully {
            let attempt = Pending { try engine.syncOnce() }
            while attempt.value == nil { await tick(&lastPing) }
            var pause: Double
            switch attempt.value! {
            case .success(let r):
                backoff.reset()
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

    func sleep(_ seconds: Double, _ lastPing: inout Date) async throws {
        let until = Date().addingTimeInterval(seconds)
        while Date() < until, !Task.isShuttingDownGracefully { await tick(&lastPing) }
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
                if Task.isShuttingDownGracefully || Date() >= deadline {
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
