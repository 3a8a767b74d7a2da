import ArgumentParser
import BanliCore
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
        let setup = try SyncSetup(global: global, options: options, logger: logger)
        let report: SyncReport
        do {
            report = try setup.engine.syncOnce()
        } catch let e as BanliError {
            try? setup.store.recordSyncResult(error: e.message)
            throw e
        }
        Output.line("Synced with \(setup.engine.transport.baseURL): "
                    + "pushed \(report.pushed) (\(report.accepted) accepted, \(report.rejected.count) rejected), "
                    + "pulled \(report.pulled) (\(report.changed) changed this store), \(report.newConflicts.count) new conflicts.")
        for r in report.rejected { Output.line("  rejected: \(r.entity) \(r.field): \(r.reason)") }
        for c in report.newConflicts { Output.line("  conflict: " + ConflictsCommand.describe(c, hubSite: setup.store.info.hubSite)) }
        if report.recovered { Output.line("  The hub had lost data (restored or replaced); everything this store holds was offered again.") }
    }
}
