import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOps
import BanliPostgres
import BanliStore
import Foundation

/// `banli hub migrate --to TARGET`: copies the hub's store into an empty one, keeping everything bureaus rely on.
struct HubMigrate: AsyncParsableCommand, HubSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy the hub's store into a new, empty one (a SQLite file or a PostgreSQL database), keeping the hub id, change numbers, "
            + "tokens, history, the deputies' feedback links and the reminders sent.",
        discussion: "Stop the hub first (every process). Bureaus then continue with the copy as with the original: a quiet exchange, no resync.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "The new store: a SQLite file that does not exist yet, or postgresql://USER@HOST:PORT/DB of an empty database.")
    var to: String

    func run() async throws {
        let config = try global.loadConfig()
        let target: any HubTableSink
        let targetName: String
        if PostgresLocation.isPostgres(to) {
            let location = try PostgresLocation(parsing: to, passwordFile: config.passwordFile)
            target = PostgresHubTableSink(location: location, logger: LogSetup.quiet)
            targetName = location.redacted
        } else {
            target = SQLiteHubTableSink(path: to)
            targetName = to
        }
        let source: any HubTableSource
        let records = try global.openStore()
        guard records.info.isHub else { throw BanliError(.usage, "\(records.path) is a bureau store; only the hub's store migrates.") }
        var lock: StoreLock?
        if let sqlite = records as? Store {
            // The copy is consistent only while nothing writes: the hub (and any other command holding the lock) is stopped.
            lock = try StoreLock.acquire(store: sqlite.path, purpose: .service, waitingUpTo: 0)
            source = try SQLiteHubTableSource(sqlite)
        } else if let postgres = records as? PostgresRecords {
            // Several processes may serve it: the copy checks at its end that the hub's change number did not move.
            source = PostgresHubTableSource(postgres.storage)
        } else {
            throw BanliError(.usage, "\(records.path) cannot be copied.")
        }
        defer { withExtendedLifetime(lock) {} }
        let header = try await source.header()
        let count = try await target.copyTables(from: source)
        Output.line("Copied hub \(header.site) (hub id \(header.storeId), change number \(header.seq)) to \(targetName): "
                    + "\(count.fields) field states, \(count.history) history rows, \(count.access) access rows, \(count.units) units' bookkeeping, "
                    + "\(count.unitTokens) unit tokens, \(count.operatorTokens) operator tokens, \(count.feedbackLinks) feedback links, "
                    + "\(count.reminders) reminder sends.")
        Output.line("Point hub.toml's store at the copy and start the hub; bureaus continue with a quiet exchange.")
    }
}
