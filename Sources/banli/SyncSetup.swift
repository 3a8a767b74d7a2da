import ArgumentParser
import BanliCore
import BanliOffice
import BanliOps
import BanliStore
import BanliSync
import Foundation
import Logging

/// Options shared by `sync` and `daemon`: flags override the config file.
struct SyncOptions: ParsableArguments {
    @Option(name: .customLong("hub-url"), help: "The hub's URL (overrides hub_url).") var hubURL: String?
    @Option(name: .customLong("token-file"), help: "This unit's token file (overrides token_file).") var tokenFile: String?
    @Option(help: "Seconds between periodic syncs (overrides interval).") var interval: Double?
}

/// Everything a bureau needs to talk to its hub.
struct SyncSetup {
    var store: Store
    var engine: SyncEngine
    var config: BanliConfig
    var interval: Double
    /// Re-read before each daemon cycle when the file was replaced, and on SIGHUP.
    var token: UnitToken
    /// A fresh transport for each long-poll: libcurl notices a cancel only about once a second on an
    /// idle transfer, so an abandoned wait finishes on its own connection while the sync goes ahead.
    var makeWaitTransport: @Sendable () -> any Transport

    init(global: GlobalOptions, options: SyncOptions, logger: Logger) throws {
        config = try global.loadConfig()
        let path = try global.storePath()
        store = try global.openStore()
        guard !store.info.isHub else {
            throw BanliError(.usage, "\(path) is the hub's store; 'banli sync' and 'banli daemon' run at bureaus.")
        }
        if let site = config.site, site != store.info.site {
            throw BanliError(.config, "The config says site '\(site)' but the store \(path) belongs to '\(store.info.site)'; "
                                 + "fix 'site' in \(config.path ?? "the config").")
        }
        guard let url = try options.hubURL ?? config.hubURL ?? store.setting("hubUrl") else {
            throw BanliError(.usage, "No hub URL; set hub_url in the config file or pass --hub-url.")
        }
        let hubURL = try HubURL.validate(url)
        if hubURL.hasPrefix("http://"), !HubURL.isLoopback(hubURL), !config.allowPlainHTTP {
            throw BanliError(.config, "The hub URL \(hubURL) is plain HTTP off this machine, so this unit's token would cross the network in clear text; "
                             + "use https://, or set allow_plain_http = true in \(config.path ?? GlobalOptions.defaultConfigPath).")
        }
        let env = ProcessInfo.processInfo.environment
        guard let tokenPath = try options.tokenFile ?? config.tokenFile ?? store.setting("tokenFile")
            ?? env["CREDENTIALS_DIRECTORY"].map({ $0 + "/token" }) else {
            throw BanliError(.usage, "No token file; set token_file in the config file or pass --token-file.")
        }
        let token = try config.checking(options.tokenFile == nil && config.tokenFile != nil ? "token_file" : "") { try UnitToken(path: tokenPath) }
        self.token = token
        if let i = options.interval, i < 0.2 {
            throw BanliError(.usage, "--interval must be at least 0.2 seconds.")
        }
        interval = options.interval ?? config.interval
        let site = store.info.site, transportOptions = config.transport
        let transport = CurlTransport(baseURL: hubURL, site: site, options: transportOptions) { token.value }
        makeWaitTransport = { CurlTransport(baseURL: hubURL, site: site, options: transportOptions) { token.value } }
        engine = SyncEngine(store: store, transport: transport, limit: config.batchLimit, logger: logger)
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
}
