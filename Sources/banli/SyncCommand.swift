import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliOps
import BanliStore
import BanliSync
import Logging

/// `banli sync`: one full exchange with the hub, now.
struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sync", abstract: "Exchange changes with the hub once, now.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: SyncOptions

    func run() throws {
        var logger = Logger(label: "banli.sync") { JournalLogHandler(label: $0, level: .warning) }
        logger.logLevel = .warning
        let setups = try SyncSetup.perOffice(global: global, options: options, logger: logger)
        // One office: as before, its error is the command's. Several: each is tried, and a failure names its office.
        guard setups.count > 1, setups.allSatisfy({ $0.office != nil }) else { return try Self.sync(setups[0].setup.get(), prefix: "") }
        var failed: [(office: String, error: BanliError)] = []
        for (office, setup) in setups {
            let office = office ?? ""
            do {
                try Self.sync(setup.get(), prefix: "\(office): ")
            } catch let e as BanliError {
                Output.line("\(office): sync failed: \(e.message)")
                failed.append((office, e))
            }
        }
        if let first = failed.first {
            let names = failed.map { "'\($0.office)'" }.joined(separator: ", ")
            let others = failed.count < setups.count ? " (the others synced)" : ""
            throw BanliError(first.error.code, "Sync failed for office\(failed.count > 1 ? "s" : "") \(names)\(others): \(first.error.message)")
        }
    }

    /// One office's exchange, printed on one line (plus one per refusal and conflict).
    private static func sync(_ setup: SyncSetup, prefix: String) throws {
        let report: SyncReport
        do {
            report = try setup.engine.syncOnce()
        } catch let e as BanliError {
            try? setup.store.recordSyncResult(error: SyncFailure(e))
            throw e
        }
        Output.line(prefix + "Synced with \(setup.engine.transport.baseURL): "
                    + "pushed \(report.pushed) (\(report.accepted) accepted, \(report.rejected.count) rejected), "
                    + "pulled \(report.pulled) (\(report.changed) changed this store), \(report.newConflicts.count) new conflicts.")
        for r in report.rejected { Output.line("  rejected: \(r.entity) \(r.field): \(r.reason)") }
        for c in report.newConflicts { Output.line("  conflict: " + ConflictsCommand.describe(c, hubSite: setup.store.info.hubSite)) }
        if report.recovered { Output.line("  The hub had lost data (restored or replaced); everything this store holds was offered again.") }
    }
}
