import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliOps
import BanliStore
import BanliSync
import Foundation
import Logging

/// Options shared by `sync` and `daemon`: flags override the config file.
struct SyncOptions: ParsableArguments {
    @Option(name: .customLong("hub-url"), help: "The hub's URL (overrides hub_url); repeat it for several URLs of one hub (failover).")
    var hubURLs: [String] = []
    @Option(name: .customLong("token-file"), help: "This unit's token file (overrides token_file).") var tokenFile: String?
    @Option(help: "Seconds between periodic syncs (overrides interval).") var interval: Double?
}

/// What one office's sync reads from the config: the top-level keys (one hub), or one `[[hub]]` entry.
struct SyncTarget {
    /// The `[[hub]]` entry's office; nil for the top-level hub_url.
    var office: String?
    var site: String?
    /// The hub's URLs in failover order; empty: the store's setting.
    var urls: [String]
    var tokenFile: String?
    var interval: Double
    var batchLimit: Int
    var transport: TransportOptions

    init(config: BanliConfig) {
        site = config.site
        urls = config.hubURLs
        tokenFile = config.tokenFile
        interval = config.interval
        batchLimit = config.batchLimit
        transport = config.transport
    }

    init(entry: HubEntry) {
        office = entry.office
        site = entry.site
        urls = entry.urls
        tokenFile = entry.tokenFile
        interval = entry.interval
        batchLimit = entry.batchLimit
        transport = entry.transport
    }

    /// The config key a value came from, so a check names its line: `token_file`, or `hub[city-zx].token_file`.
    func key(_ name: String) -> String {
        guard let office else { return name }
        return "hub[\(office)].\(name == "hub_url" ? "url" : name)"
    }
}

/// Everything a bureau needs to talk to one hub.
struct SyncSetup {
    var store: Store
    var engine: SyncEngine
    var config: BanliConfig
    /// The `[[hub]]` entry's office; nil for the top-level hub.
    var office: String?
    var interval: Double
    /// Re-read before each daemon cycle when the file was replaced, and on SIGHUP.
    var token: UnitToken
    /// A fresh transport for each long-poll: libcurl notices a cancel only about once a second on an
    /// idle transfer, so an abandoned wait finishes on its own connection while the sync goes ahead.
    var makeWaitTransport: @Sendable () -> any Transport

    /// One setup per office the command syncs: every `[[hub]]` entry (or the one --office names), else the one hub
    /// of the top-level keys or of --store. Each logger carries its office. The first office that cannot be set up
    /// (no store, unreadable token) stops the command.
    static func all(global: GlobalOptions, options: SyncOptions, logger: Logger) throws -> [SyncSetup] {
        try perOffice(global: global, options: options, logger: logger).map { try $0.setup.get() }
    }

    /// Each office's setup, or why it cannot be set up, so that `banli sync` can still sync the others.
    static func perOffice(
        global: GlobalOptions, options: SyncOptions, logger: Logger
    ) throws -> [(office: String?, setup: Result<SyncSetup, any Error>)] {
        let config = try global.loadConfig()
        guard global.store == nil, !config.hubs.isEmpty else {
            let target = SyncTarget(config: config)
            return [(nil, Result { try SyncSetup(store: global.openSQLiteStore(), config: config, target: target, options: options, logger: logger) })]
        }
        let entries = try global.office.map { [try config.hubEntry($0)] } ?? config.hubs
        if entries.count > 1, !options.hubURLs.isEmpty || options.tokenFile != nil {
            throw BanliError(.usage, "--hub-url and --token-file name one hub, and the config has several offices; add --office KEY.")
        }
        return entries.map { e in
            var log = logger
            log[metadataKey: "office"] = "\(e.office)"
            return (e.office, Result {
                let store = try config.checking("hub[\(e.office)].store") { try Store.open(at: e.store) }
                return try SyncSetup(store: store, config: config, target: SyncTarget(entry: e), options: options, logger: log)
            })
        }
    }

    /// The one hub of a single-office setup.
    init(global: GlobalOptions, options: SyncOptions, logger: Logger) throws {
        let all = try Self.all(global: global, options: options, logger: logger)
        guard all.count == 1 else { throw OfficeSet.chooseOne(try global.loadConfig()) }
        self = all[0]
    }

    init(store: Store, config: BanliConfig, target: SyncTarget, options: SyncOptions, logger: Logger) throws {
        self.config = config
        self.store = store
        office = target.office
        let path = store.path
        guard !store.info.isHub else {
            throw BanliError(.usage, "\(path) is the hub's store; 'banli sync' and 'banli daemon' run at bureaus.")
        }
        if let site = target.site, site != store.info.site {
            let office = target.office.map { " for office '\($0)'" } ?? ""
            throw BanliError(.config, "The config says site '\(site)'\(office) but the store \(path) belongs to '\(store.info.site)'; "
                                 + "fix 'site' in \(config.path ?? "the config").")
        }
        let urls: [String]
        if !options.hubURLs.isEmpty {
            urls = try HubURL.validateFlags(options.hubURLs, allowPlainHTTP: config.allowPlainHTTP)
        } else if !target.urls.isEmpty {
            urls = target.urls  // checked when the config was read
        } else if let stored = try store.setting("hubUrl") {
            urls = try HubURL.validateList(HubURL.list(stored: stored), key: "The hub URL stored in \(path) by 'banli init --hub-url'",
                                           allowPlainHTTP: config.allowPlainHTTP)
        } else {
            throw BanliError(.usage, "No hub URL; set hub_url in the config file or pass --hub-url.")
        }
        for hubURL in urls where hubURL.hasPrefix("http://") && !HubURL.isLoopback(hubURL) && !config.allowPlainHTTP {
            throw BanliError(.config, "The hub URL \(hubURL) is plain HTTP off this machine, so this unit's token would cross the network in clear text; "
                             + "use https://, or set allow_plain_http = true in \(config.path ?? GlobalOptions.defaultConfigPath).")
        }
        let env = ProcessInfo.processInfo.environment
        guard let tokenPath = try options.tokenFile ?? target.tokenFile ?? store.setting("tokenFile")
            ?? env["CREDENTIALS_DIRECTORY"].map({ $0 + "/token" }) else {
            throw BanliError(.usage, "No token file; set token_file in the config file or pass --token-file.")
        }
        let tokenKey = options.tokenFile == nil && target.tokenFile != nil ? target.key("token_file") : ""
        let token = try config.checking(tokenKey) { try UnitToken(path: tokenPath) }
        self.token = token
        if let i = options.interval, i < 0.2 {
            throw BanliError(.usage, "--interval must be at least 0.2 seconds.")
        }
        interval = options.interval ?? target.interval
        let site = store.info.site, transportOptions = target.transport
        // Start with the URL that answered last (the daemon's previous run, or the last `banli sync`), else the first.
        let start = try store.setting(SyncEngine.hubURLInUseSetting).flatMap(urls.firstIndex(of:)) ?? 0
        let transport = FailoverTransport(urls: urls, start: start, logger: logger) { url in
            CurlTransport(baseURL: url, site: site, options: transportOptions) { token.value }
        }
        if urls.count > 1 { logger.info("hub URLs in failover order: \(urls.joined(separator: ", ")); using \(transport.baseURL)") }
        // The long-poll follows the URL in use.
        makeWaitTransport = { CurlTransport(baseURL: transport.baseURL, site: site, options: transportOptions) { token.value } }
        engine = SyncEngine(store: store, transport: transport, limit: target.batchLimit, logger: logger)
    }
}

/// Logging for long-running commands: journald-friendly lines on stderr.
enum LogSetup {
    static func bootstrap(level: String?) throws -> Logger {
        guard let l = JournalLogHandler.level(level) else {
            throw BanliError(.config, "log_level must be trace, debug, info, notice, warning, error or critical.")
        }
        LoggingSystem.bootstrap { JournalLogHandler(label: $0, level: l) }
        return Logger(label: "banli")
    }

    /// For a command's database client: a command's errors reach the user as its one sentence, not as log lines.
    static var quiet: Logger { Logger(label: "banli") { _ in SwiftLogNoOpLogHandler() } }
}
