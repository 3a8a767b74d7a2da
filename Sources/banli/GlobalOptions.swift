import ArgumentParser
import BanliCore
import BanliOffice
import BanliStore
import Foundation
import Synchronization

/// Marks the `banli hub …` commands, which read the hub's config by default.
protocol HubSubcommand {}

/// Options every command takes: where the config and the store are.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (default $BANLI_CONFIG, then /etc/banli/banli.toml; for 'hub' commands /etc/banli/hub.toml).")
    var config: String?

    @Option(name: .long, help: "The SQLite store; enough on its own for local commands.")
    var store: String?

    /// Set once by `main` before the command runs: true for `banli hub …`.
    static let runningHubCommand = Atomic<Bool>(false)

    /// The config file read when neither --config nor $BANLI_CONFIG names one.
    static var defaultConfigPath: String {
        runningHubCommand.load(ordering: .relaxed) ? BanliConfig.hubDefaultPath : BanliConfig.defaultPath
    }

    /// The loaded config: the explicit file must exist; the default one is optional.
    func loadConfig() throws -> BanliConfig {
        if let path = config ?? ProcessInfo.processInfo.environment["BANLI_CONFIG"] {
            return try BanliConfig.load(path: path)
        }
        if store == nil, FileManager.default.fileExists(atPath: Self.defaultConfigPath) {
            return try BanliConfig.load(path: Self.defaultConfigPath)
        }
        return BanliConfig()
    }

    /// The store path: --store, else the config's `store`.
    func storePath() throws -> String {
        if let store { return store }
        let config = try loadConfig()
        if let path = config.store { return path }
        throw BanliError(.usage, "No store given; pass --store PATH or set 'store' in \(config.path ?? Self.defaultConfigPath).")
    }

    /// Opens the store; when the config named it, an error names that line.
    func openStore() throws -> Store {
        let config = try loadConfig()
        let path = try storePath()
        return try config.checking(store == nil ? "store" : "") { try Store.open(at: path, keyFile: config.keyFile) }
    }

    /// Today's date in local time (`BANLI_TODAY=YYYY-MM-DD` overrides it, for rehearsals and tests).
    func today() throws -> ISODate {
        if let s = ProcessInfo.processInfo.environment["BANLI_TODAY"] {
            guard let d = ISODate(s) else { throw BanliError(.usage, "BANLI_TODAY must be a date like 2025-07-01, not '\(s)'.") }
            return d
        }
        let offset = TimeZone.current.secondsFromGMT() / 3600
        return ISODate(unixMilliseconds: HybridLogicalClock.wallMilliseconds(), utcOffsetHours: offset)
    }
}
