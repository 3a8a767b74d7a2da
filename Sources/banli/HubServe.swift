import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliHub
import BanliOffice
import BanliOps
import BanliPostgres
import BanliStore
import BanliSync
import Foundation
import Logging
import Metrics
import Prometheus

/// `banli hub serve`: run the hub.
struct HubServe: AsyncParsableCommand, HubSubcommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the hub: the bureaus' listener and the admin listener.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "HOST:PORT for bureaus (default 0.0.0.0:8480).") var listen: String?
    @Option(name: .customLong("admin-listen"), help: "HOST:PORT for the status page, status API and metrics (default 127.0.0.1:8481).") var adminListen: String?

    func run() async throws {
        let config = try global.loadConfig()
        // Config values were checked when loaded; flags are checked here.
        let listen = try self.listen.map { try ListenAddress(parsing: $0, option: "--listen") }
            ?? ListenAddress(parsing: config.listen ?? "0.0.0.0:8480", option: "listen")
        let admin = try adminListen.map { try ListenAddress(parsing: $0, option: "--admin-listen") }
            ?? ListenAddress(parsing: config.adminListen ?? "127.0.0.1:8481", option: "admin_listen")
        let plainOffLoopback = config.tlsCertFile == nil && !listen.isLoopback
        if plainOffLoopback, !config.allowPlainHTTP {
            throw BanliError(.config, "The hub would listen on \(listen) in plain HTTP, so every bureau's token would cross the network in clear text; "
                             + "set [tls] cert_file and key_file, listen on 127.0.0.1 behind the nginx proxy, or set allow_plain_http = true in "
                             + "\(config.path ?? BanliConfig.hubDefaultPath).")
        }
        var settings = HubSettings(listen: listen, adminListen: admin)
        settings.publicListen = try config.publicListen.map { try ListenAddress(parsing: $0, option: "public_listen") }
        if let deputies = settings.publicListen, !deputies.isLoopback, !config.allowPlainHTTP {
            throw BanliError(.config, "The deputies' listener would serve one-time links on \(deputies) in plain HTTP, so their tokens would cross the "
                             + "network in clear text; set public_listen to 127.0.0.1 behind the office's HTTPS proxy, or set allow_plain_http = true in "
                             + "\(config.path ?? BanliConfig.hubDefaultPath).")
        }
        settings.maxBodyBytes = config.maxBodyBytes
        settings.staleAfterSeconds = config.staleAfterIntervals * config.unitInterval
        settings.timeZone = config.timeZone
        settings.deadlines = config.deadlines
        settings.rateLimit = config.rateLimit
        settings.rateBurst = config.rateBurst
        settings.connections = config.connections
        if let cert = config.tlsCertFile, let key = config.tlsKeyFile {
            settings.tls = HubTLS(certFile: cert, keyFile: key, clientCAFile: config.tlsClientCAFile)
        }
        let needsOperator = BanliError(.usage, "The admin listener \(admin) is not on loopback, so it needs an operator token; "
                                       + "make one with 'banli hub add-operator NAME' first.")
        func serve(_ storage: any HubStorage, _ logger: Logger) async throws {
            if plainOffLoopback {
                logger.warning("plain HTTP on \(listen) (allow_plain_http = true): bureaus' tokens cross the network in clear text; prefer [tls] or nginx")
            }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            // After the bootstrap: the reminders' counters register with the hub's registry.
            let reminders = try ReminderSetup.hub(storage: storage, config: config, logger: logger)
            try await HubServer(storage: storage, settings: settings, logger: logger, metrics: HubMetrics(registry: registry))
                .run(with: reminders.map { [$0] } ?? [])
        }
        // PostgreSQL: several hub processes serve one database at once, so no store lock.
        if let location = try global.postgresLocation() {
            let logger = try LogSetup.bootstrap(level: config.logLevel)
            try await PostgresHubStorage.withStorage(location, keyFile: config.keyFile, logger: logger) { storage in
                if !admin.isLoopback, try await storage.operatorTokenHashes().isEmpty { throw needsOperator }
                try await serve(storage, logger)
            }
            return
        }
        let path = try global.storePath()
        let store = try global.openSQLiteStore()
        guard store.info.isHub else {
            throw BanliError(.usage, "\(path) is a bureau store; run 'banli hub serve' on the hub's store.")
        }
        // For the hub's whole life: a second hub (or a daemon) on this store is refused, naming this PID.
        let lock = try StoreLock.acquire(store: store.path, purpose: .service, waitingUpTo: 0)
        defer { withExtendedLifetime(lock) {} }
        if !admin.isLoopback, try store.operatorHashes().isEmpty { throw needsOperator }
        try await serve(SQLiteHubStorage(store), try LogSetup.bootstrap(level: config.logLevel))
    }
}

/// `banli hub rotate-token`: issue a new token for a unit; the old one stops working at once.
struct HubRotateToken: ParsableCommand, HubSubcommand {
    static let configuration = CommandConfiguration(commandName: "rotate-token", abstract: "Issue a unit a new token; the old one stops working.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The unit's site name.") var site: String
    @Option(help: "Write the new token to this file (mode 0600) instead of printing it.") var tokenFile: String?

    func run() throws {
        let store = try global.openStore()
        try TokenFile.ensureFree(tokenFile)
        let token = try store.rotateToken(site: site)
        try TokenFile.hand(token, to: tokenFile, what: "Issued \(site) a new token; the old one no longer works")
    }
}

/// `banli hub add-operator`: a token for the admin listener when it is not on loopback.
struct HubAddOperator: ParsableCommand, HubSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "add-operator", abstract: "Issue an operator token for the status page, status API and metrics.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The operator's name (e.g. it-staff).") var name: String
    @Option(help: "Write the token to this file (mode 0600) instead of printing it.") var tokenFile: String?

    func run() throws {
        let store = try global.openStore()
        try TokenFile.ensureFree(tokenFile)
        try TokenFile.hand(try store.addOperator(name: name), to: tokenFile, what: "Issued operator '\(name)' a token")
    }
}

/// `banli hub status`: every unit's sync state, as on the status page.
struct HubStatus: AsyncParsableCommand, HubSubcommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Every unit's sync state (the status page, on a terminal).")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        var status = StatusCommand()
        status.global = global
        status.json = json
        try await status.run()
    }
}
