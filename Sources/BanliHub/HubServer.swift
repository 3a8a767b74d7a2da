import BanliCore
import BanliHubStorage
import BanliOps
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The office's hub: the bureaus' listener and the operator's listener, run as services with
/// graceful shutdown on SIGTERM and readiness/watchdog notifications to systemd.
public struct HubServer: Sendable {
    let storage: any HubStorage
    let settings: HubSettings
    let logger: Logger
    let metrics: HubMetrics

    /// A hub over `storage`; `metrics` holds the registry the process bootstrapped swift-metrics with.
    public init(storage: any HubStorage, settings: HubSettings, logger: Logger, metrics: HubMetrics) {
        self.storage = storage
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
    }

    /// The bureaus' router, the operator's router, and the signal that wakes the long-polls.
    struct Routers {
        let sync: Router<BasicRequestContext>
        let admin: Router<BasicRequestContext>
        /// The deputies' router (the one-time feedback links), served only with `public_listen`.
        let feedback: Router<FeedbackContext>
        let signal: ChangeSignal
    }

    /// Both listeners' routes over the storage, with their middleware; `run()` serves them, tests call them in process.
    func routers() async throws -> Routers {
        let signal = ChangeSignal()
        let auth = try await TokenAuthenticator(storage: storage)
        let publicRouter = Router()
        publicRouter.add(middleware: MetricsMiddleware())
        // Outside ErrorMiddleware, which turns every error into an APIError: 404, 405 and 503 advertise the codings too.
        publicRouter.add(middleware: AdvertiseCodings())
        publicRouter.add(middleware: ErrorMiddleware(knownPaths: ["/v1/sync": "POST", "/v1/wait": "GET", "/healthz": "GET, HEAD"]))
        await SyncRoutes(storage: storage, auth: auth, signal: signal, settings: settings, metrics: metrics, logger: logger).register(on: publicRouter)
        let adminRouter = Router()
        adminRouter.add(middleware: MetricsMiddleware())
        adminRouter.add(middleware: ErrorMiddleware(knownPaths: ["/v1/status": "GET", "/status": "GET", "/metrics": "GET", "/healthz": "GET, HEAD"]))
        AdminRoutes(storage: storage, settings: settings, metrics: metrics).register(on: adminRouter)
        let feedbackRouter = Router(context: FeedbackContext.self)
        FeedbackRoutes(storage: storage, settings: settings, metrics: metrics, logger: logger).register(on: feedbackRouter)
        return Routers(sync: publicRouter, admin: adminRouter, feedback: feedbackRouter, signal: signal)
    }

    /// Serves until SIGTERM or SIGINT; `services` run beside the listeners (the deadline reminders) and stop with them.
    public func run(with services: [any Service] = []) async throws {
        // Checked before anything starts, so a busy port is one sentence naming it, not a NIO error.
        let listeners = [("listen", settings.listen), ("admin_listen", settings.adminListen)] + (settings.publicListen.map { [("public_listen", $0)] } ?? [])
        for (key, address) in listeners {
            if let problem = address.bindProblem() {
                let fix = problem.inUse ? "stop it or change \(key) in hub.toml" : "change \(key) in hub.toml"
                throw BanliError(.config, "Cannot listen on \(address): \(problem.reason); \(fix).")
            }
        }
        let notifier = SystemdNotifier()
        let routers = try await self.routers()
        let signal = routers.signal

        let running = Mutex<[String]>([])
        let logger = self.logger
        let storage = self.storage
        @Sendable func started(_ what: String, _ channel: any Channel) {
            let address = channel.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
            let all = running.withLock { r -> [String] in r.append("\(what) \(address)"); return r }
            logger.info("listening", metadata: ["listener": "\(what)", "address": "\(address)"])
            if all.count == listeners.count { notifier.ready(status: "serving " + all.sorted().joined(separator: ", ")) }
        }
        // Hummingbird logs its own "Server started and listening" at info; ours names the listener, so
        // at the default level the applications log from notice up (requests are logged at debug anyway).
        var appLogger = logger
        if appLogger.logLevel == .info { appLogger.logLevel = .notice }
        let limits = settings.connections, metrics = self.metrics
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [
            ConnectionDeadlineHandler(limits: limits) { metrics.connectionTimedOut($0) },
        ])
        let publicApp = Application(
            router: routers.sync,
            server: try settings.tls.map { try .tls(.http1(configuration: http1), tlsConfiguration: Self.tlsConfiguration($0)) }
                ?? .http1(configuration: http1),
            configuration: .init(address: .hostname(settings.listen.host, port: settings.listen.port), serverName: "banli-hub"),
            onServerRunning: { started(settings.tls == nil ? "sync" : "sync (TLS)", $0) }, logger: appLogger)
        let adminApp = Application(
            router: routers.admin,
            server: .http1(configuration: http1),
            configuration: .init(address: .hostname(settings.adminListen.host, port: settings.adminListen.port), serverName: "banli-hub-admin"),
            onServerRunning: { started("admin", $0) }, logger: appLogger)
        var groupServices: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: publicApp), .init(service: adminApp)]
        if let deputies = settings.publicListen {
            groupServices.append(.init(service: Application(
                router: routers.feedback, server: .http1(configuration: http1),
                configuration: .init(address: .hostname(deputies.host, port: deputies.port), serverName: "banli-hub-feedback"),
                onServerRunning: { started("feedback", $0) }, logger: appLogger)))
        }
        groupServices.append(.init(service: ChangePoller(storage: storage, signal: signal, watchdog: notifier)))
        let group = ServiceGroup(configuration: .init(
            services: groupServices + services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        do { try await storage.flushUnitBook() } catch { logger.error("could not record the units' last exchanges", metadata: ["error": "\(error)"]) }
        notifier.stopping()
        logger.info("stopped")
    }

    static func tlsConfiguration(_ tls: HubTLS) throws -> TLSConfiguration { try tls.configuration() }
}

/// Notices changes made to the hub's store by other processes (operators' commands, other hub processes on
/// PostgreSQL), wakes long-polls, writes quiet exchanges' bookkeeping every second, and pings the systemd watchdog
/// while the hub is healthy.
struct ChangePoller: Service {
    let storage: any HubStorage
    let signal: ChangeSignal
    let watchdog: SystemdNotifier

    func run() async throws {
        var last = (try? await storage.headChangeNumber()) ?? 0
        var lastPing = Date.distantPast
        var lastFlush = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let seq: Int64?
            do {
                let head = last
                seq = try await cancelWhenGracefulShutdown { try await storage.nextChange(after: head, within: .seconds(1)) }
            } catch is CancellationError {
                break
            } catch {
                // The store is unreachable: /healthz says so; look again shortly, and stop pinging the watchdog.
                seq = nil
                try? await Task.sleep(for: .milliseconds(250))
            }
            if ContinuousClock.now - lastFlush >= .seconds(1) {
                try? await storage.flushUnitBook()
                lastFlush = ContinuousClock.now
            }
            if let seq {
                if seq != last {
                    last = seq
                    signal.signal()
                }
                if let interval = watchdog.watchdogInterval, Date().timeIntervalSince(lastPing) >= interval {
                    watchdog.watchdog()
                    lastPing = Date()
                }
            }
        }
        // Answer open long-polls now, so the listeners can close without waiting for them.
        signal.close()
    }
}
