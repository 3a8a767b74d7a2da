import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOps
import BanliStore
import Foundation

/// `banli hub migrate --to TARGET`: copies the hub's store into an empty one, keeping everything bureaus rely on.
struct HubMigrate: AsyncParsableCommand, HubSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy the hub's store into a new, empty store (a SQLite file), keeping the hub id, change numbers, tokens and history.",
        discussion: "Stop the hub first. Bureaus then continue with the copy as with the original: a quiet exchange, no resync.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "The new store: a SQLite file that does not exist yet.")
    var to: String

    func run() async throws {
        let source = try global.openSQLiteStore()
        guard source.info.isHub else { throw BanliError(.usage, "\(source.path) is a bureau store; only the hub's store migrates.") }
        // The copy is consistent only while nothing writes: the hub (and any other command holding the lock) is stopped.
        let lock = try StoreLock.acquire(store: source.path, purpose: .service, waitingUpTo: 0)
        defer { withExtendedLifetime(lock) {} }
        let target = SQLiteHubTableSink(path: to)
        let count = try await target.copyTables(from: SQLiteHubTableSource(source))
        let seq = try source.counters().seq
        Output.line("Copied hub \(source.info.site) (hub id \(source.info.storeId), change number \(seq)) to \(to): "
                    + "\(count.fields) field states, \(count.history) history rows, \(count.access) access rows, \(count.units) units' bookkeeping, "
                    + "\(count.unitTokens) unit tokens, \(count.operatorTokens) operator tokens.")
        Output.line("Point hub.toml's store at \(to) and start the hub; bureaus continue with a quiet exchange.")
    }
}
