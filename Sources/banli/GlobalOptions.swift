import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliPostgres
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

    @Option(name: .long, help: "One office of the config's [[hub]] entries (e.g. city-zx): its store only.")
    var office: String?

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

    /// The store path: --store, else the office's store (--office, or the config's only [[hub]]), else the config's `store`.
    func storePath() throws -> String {
        if let store {
            guard office == nil else { throw BanliError(.usage, "Give --store or --office, not both: each names one store.") }
            return store
        }
        let config = try loadConfig()
        if let office { return try config.hubEntry(office).store }
        if let only = config.hubs.first {
            guard config.hubs.count == 1 else { throw OfficeSet.chooseOne(config) }
            return only.store
        }
        if let path = config.store { return path }
        throw BanliError(.usage, "No store given; pass --store PATH or set 'store' in \(config.path ?? Self.defaultConfigPath).")
    }

    /// Opens the store the command's records are in (a SQLite file, or the hub's PostgreSQL database); when the config
    /// named it, an error names that line.
    func openStore() throws -> any RecordStore {
        guard let location = try postgresLocation() else { return try openSQLiteStore() }
        let config = try loadConfig()
        return try config.checking(store != nil ? "" : "store") {
            try PostgresRecords.open(location, keyFile: config.keyFile, logger: LogSetup.quiet)
        }
    }

    /// The hub's PostgreSQL database when the store is a `postgresql://` URL (--store, or `store` in hub.toml), else nil.
    func postgresLocation() throws -> PostgresLocation? {
        let path = try storePath()
        guard PostgresLocation.isPostgres(path) else { return nil }
        let config = try loadConfig()
        return try config.checking(store != nil ? "" : "store") { try PostgresLocation(parsing: path, passwordFile: config.passwordFile) }
    }

    /// Opens the SQLite store, for what only a SQLite store does (a bureau's sync, backups of the file).
    func openSQLiteStore() throws -> Store {
        let config = try loadConfig()
        let path = try storePath()
        if PostgresLocation.isPostgres(path) {
            throw BanliError(.usage, "This command works on a SQLite store, and the hub's store is a PostgreSQL database; "
                             + "use PostgreSQL's tools for it (docs/operations.md §8).")
        }
        let key = store != nil ? "" : config.hubs.isEmpty ? "store" : "hub[\(office ?? config.hubs[0].office)].store"
        return try config.checking(key) { try Store.open(at: path, keyFile: config.keyFile) }
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
