import ArgumentParser
import BanliCore
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
        let setup = try SyncSetup(global: global, options: options, logger: logger)
        // For the daemon's whole life: a second daemon (or a hub) on this store is refused; `banli sync` is not.
        let lock = try StoreLock.acquire(store: setup.store.path, purpose: .service, waitingUpTo: 0)
        defer { withExtendedLifetime(lock) {} }
        // SIGHUP (`systemctl reload banli`) re-reads the token file; without this it would end the process.
        let wake = ChangeSignal()
        let reload = ReloadRequest()
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler {
            reload.request()
            wake.signal()
        }
        hangup.resume()
        defer { hangup.cancel() }
        let watcher = StoreWatcher(storePath: setup.store.path, signal: wake)
        if watcher == nil { logger.warning("cannot watch \(setup.store.path) with inotify; local writes are noticed within a second") }
        defer { withExtendedLifetime(watcher) {} }
        let service = SyncService(engine: setup.engine, interval: setup.interval, logger: logger, makeWaitTransport: setup.makeWaitTransport,
                                  token: setup.token, reload: reload, wake: wake, watchingStore: watcher != nil)
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
