import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliOps
import BanliStore
import BanliSync
import Foundation
import Logging
import ServiceLifecycle

/// `banli daemon`: periodic sync plus long-poll, as a systemd service.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "daemon", abstract: "Keep this bureau in sync with the hub (systemd service).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: SyncOptions

    func run() async throws {
        let config = try global.loadConfig()
        let logger = try LogSetup.bootstrap(level: config.logLevel)
        // One service per office, each with its own store, lock, watcher, wake signal, token and interval; a hub that is
        // down or refuses its token makes only that office's service back off.
        let setups = try SyncSetup.all(global: global, options: options, logger: logger)
        // For the daemon's whole life: a second daemon (or a hub) on these stores is refused; `banli sync` is not.
        let locks = try setups.map { try StoreLock.acquire(store: $0.store.path, purpose: .service, waitingUpTo: 0) }
        defer { withExtendedLifetime(locks) {} }
        // SIGHUP (`systemctl reload banli`) re-reads the token files; without this it would end the process.
        let wakes = setups.map { _ in ChangeSignal() }
        let reloads = setups.map { _ in ReloadRequest() }
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler {
            for (reload, wake) in zip(reloads, wakes) {
                reload.request()
                wake.signal()
            }
        }
        hangup.resume()
        defer { hangup.cancel() }
        let daemon = DaemonNotifier(services: setups.count)
        var watchers: [StoreWatcher?] = []
        defer { withExtendedLifetime(watchers) {} }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        for (i, setup) in setups.enumerated() {
            let office = setup.office ?? setup.store.info.hubSite
            var log = logger
            if setup.office != nil { log[metadataKey: "office"] = "\(office)" }
            let watcher = StoreWatcher(storePath: setup.store.path, signal: wakes[i])
            if watcher == nil { log.warning("cannot watch \(setup.store.path) with inotify; local writes are noticed within a second") }
            watchers.append(watcher)
            services.append(.init(service: SyncService(
                engine: setup.engine, interval: setup.interval, logger: log, makeWaitTransport: setup.makeWaitTransport,
                token: setup.token, reload: reloads[i], wake: wakes[i], watchingStore: watcher != nil,
                daemon: daemon, office: office, pingsWatchdog: i == 0)))
            log.info("starting", metadata: ["site": "\(setup.store.info.site)", "hub": "\(setup.engine.transport.baseURL)", "interval": "\(setup.interval)"])
            if let reminders = try ReminderSetup.bureau(store: setup.store, config: config, logger: log) {
                services.append(.init(service: reminders))
            }
        }
        if let listen = config.metricsListen {
            let address = try ListenAddress(parsing: listen, option: "metrics_listen")
            let stores = setups.map { (office: $0.office, store: $0.store) }
            services.append(.init(service: MetricsEndpoint(address: address, logger: logger) {
                try BureauMetrics.render(stores: stores)
            }.application()))
        }
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("stopped")
    }
}
