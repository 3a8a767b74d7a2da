import BanliAccounts
import BanliCore
import BanliOps
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle

/// The 办理工作台: server-rendered pages over one workspace (a bureau's stores, or the hub's), for signed-in people.
public struct WebApp: Sendable {
    let workspace: Workspace
    let accounts: Accounts
    let settings: WebSettings
    let logger: Logger

    public init(workspace: Workspace, accounts: Accounts, settings: WebSettings, logger: Logger) {
        self.workspace = workspace
        self.accounts = accounts
        self.settings = settings
        self.logger = logger
    }

    /// The unit the workbench belongs to, shown in the header.
    var unitName: String {
        guard let info = workspace.offices.first?.store.info else { return "" }
        return info.name.isEmpty ? info.site : info.name
    }

    /// Every route with its middleware; `run()` serves it, tests call it in process.
    public func router() -> Router<WebContext> {
        let router = Router(context: WebContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: SessionMiddleware(accounts: accounts, settings: settings))
        router.add(middleware: WebErrorMiddleware(app: self))
        router.get("/healthz") { _, _ in "ok" }
        // Browsers ask for it on every page; without it each request would end at the login page.
        router.get("/favicon.ico") { _, _ in Response(status: .noContent, headers: [.cacheControl: "max-age=86400"]) }
        router.get("/static/banli.css") { _, _ in Self.asset(StaticAssets.css, type: "text/css; charset=utf-8") }
        router.get("/static/banli.js") { _, _ in Self.asset(StaticAssets.js, type: "text/javascript; charset=utf-8") }
        LoginRoutes(app: self).register(on: router)
        DashboardRoutes(app: self).register(on: router)
        ItemRoutes(app: self).register(on: router)
        LedgerRoutes(app: self).register(on: router)
        if workspace.isHub { OfficeRoutes(app: self).register(on: router) }
        StatsRoutes(app: self).register(on: router)
        return router
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=3600"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Serves until SIGTERM or SIGINT.
    public func run() async throws {
        if let problem = settings.listen.bindProblem() {
            let fix = problem.inUse ? "stop it or change [web] listen" : "change [web] listen"
            throw BanliError(.config, "Cannot listen on \(settings.listen): \(problem.reason); \(fix).")
        }
        let notifier = SystemdNotifier()
        let logger = self.logger
        let tls = settings.tls
        var appLogger = logger
        if appLogger.logLevel == .info { appLogger.logLevel = .notice }
        let limits = settings.connections
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [
            ConnectionDeadlineHandler(limits: limits) { phase in logger.debug("connection timed out", metadata: ["phase": "\(phase)"]) },
        ])
        let app = Application(
            router: router(),
            server: try tls.map { try .tls(.http1(configuration: http1), tlsConfiguration: $0.configuration()) } ?? .http1(configuration: http1),
            configuration: .init(address: .hostname(settings.listen.host, port: settings.listen.port), serverName: "banli-web"),
            onServerRunning: { channel in
                let address = channel.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
                logger.info("listening", metadata: ["listener": "web\(tls == nil ? "" : " (TLS)")", "address": "\(address)"])
                notifier.ready(status: "serving the workbench on \(address)")
            }, logger: appLogger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: WatchdogPinger(workspace: workspace, notifier: notifier))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        notifier.stopping()
    }

    /// The person's role may take a unit's steps here: a bureau's clerks, or the office's staff recording for a unit.
    func mayActForUnit(_ context: WebContext) -> Bool {
        guard let role = context.session?.user.role else { return false }
        return workspace.isHub ? (role == .office || role == .admin) : (role == .clerk || role == .admin)
    }

    /// The person's role may take the office's steps (the hub's store only).
    func mayActAsOffice(_ context: WebContext) -> Bool {
        guard workspace.isHub, let role = context.session?.user.role else { return false }
        return role == .office || role == .admin
    }

    /// Reads a posted form after its CSRF check.
    func form(_ request: Request, _ context: WebContext) async throws -> WebForm {
        try await WebForm.read(request, context: context, expected: context.session?.csrfToken ?? "", maxBytes: settings.maxFormBytes)
    }
}
