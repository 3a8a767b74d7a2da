import ArgumentParser
import BanliCore
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
    /// A fresh transport for each long-poll: libcurl notices a cancel only about once a second on an
    /// idle transfer, so an abandoned wait finishes on its own connection while the sync goes ahead.
    var makeWaitTransport: @Sendable () -> any Transport

    init(global: GlobalOptions, options: SyncOptions, logger: Logger) throws {
        config = try global.loadConfig()
        let path = try global.store ?? config.store ?? { throw BanliError(.usage, "No store given; pass --store PATH or set 'store' in the config file.") }()
        store = try Store.open(at: path)
        guard !store.info.isHub else {
            throw BanliError(.usage, "\(path) is the hub's store; 'banli sync' and 'banli daemon' run at bureaus.")
        }
        if let site = config.site, site != store.info.site {
            throw BanliError(.config, "The config says site '\(site)' but the store \(path) belongs to '\(store.info.site)'; fix 'site' in \(config.path ?? "the config").")
        }
        guard let url = try options.hubURL ?? config.hubURL ?? store.setting("hubUrl") else {
            throw BanliError(.usage, "No hub URL; set hub_url in the config file or pass --hub-url.")
        }
        let hubURL = try HubURL.validate(url)
        let env = ProcessInfo.processInfo.environment
        guard let tokenPath = try options.tokenFile ?? config.tokenFile ?? store.setting("tokenFile")
            ?? env["CREDENTIALS_DIRECTORY"].map({ $0 + "/token" }) else {
            throw BanliError(.usage, "No token file; set token_file in the config file or pass --token-file.")
        }
        let token = try Self.readToken(tokenPath)
        if let i = options.interval, i < 0.2 {
            throw BanliError(.usage, "--interval must be at least 0.2 seconds.")
        }
        interval = options.interval ?? config.interval
        let transport = CurlTransport(baseURL: hubURL, token: token, options: config.transport)
        let options = config.transport
        makeWaitTransport = { CurlTransport(baseURL: hubURL, token: token, options: options) }
        engine = SyncEngine(store: store, transport: transport, limit: config.batchLimit, logger: logger)
    }

    /// Reads a token file, refusing one that other users can read.
    static func readToken(_ path: String) throws -> String {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw BanliError(.config, "Cannot read the token file \(path): \(String(cString: strerror(errno))).")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw BanliError(.config, "The token file \(path) is readable by other users; run: chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path),
              let token = String(data: data, encoding: .utf8)?.trimmedWhitespace, !token.isEmpty, !token.contains(" ") else {
            throw BanliError(.config, "The token file \(path) is empty or unreadable; put the unit's token (from 'banli hub add-unit') in it.")
        }
        return token
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
