import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliStore
import Foundation

/// `banli import`: the office's assignment list (or a ledger export) into the store, all or nothing.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import a ledger (台账) CSV: the office's assignment list, or a 'banli export'.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The CSV file.") var file: String
    @Option(help: "utf-8 (default) or gb18030 (GBK, as Excel in China saves CSV).") var encoding = "utf-8"

    func run() throws {
        guard let enc = TextEncoding(name: encoding) else {
            throw BanliError(.usage, "--encoding takes utf-8 or gb18030, not '\(encoding)'.")
        }
        let offices = try global.openOffices()
        guard let data = FileManager.default.contents(atPath: file) else {
            throw BanliError(.io, "Cannot read \(file); check the path and its permissions.")
        }
        let config = try global.loadConfig()
        let plan: LedgerImportPlan
        do {
            let text: String
            do { text = try TextEncoding.decode(Array(data), as: enc) } catch let e as BanliError { throw BanliError(e.code, "\(file): \(e.message)") }
            plan = try LedgerImportPlan.make(
                text: text, offices: offices.offices.map(\.ledgerOffice), deadlines: config.deadlines,
                chosenOne: offices.hasEntries && offices.offices.count == 1, needsOneOffice: OfficeSet.chooseOne(config))
        } catch {
            guard let e = (error as? LedgerRefusal)?.error ?? error as? BanliError else { throw error }
            throw BanliError(e.code, "\(file) \(e.message) Nothing was imported.")
        }
        for share in plan.shares {
            if !share.plan.writes.isEmpty { try share.office.store.write(share.plan.writes) }
            let from = offices.hasEntries ? "\(file) (\(share.office.label))" : file
            Output.line("Imported \(share.imported.items.count) items and \(share.imported.assignments) assignments from \(from): "
                + "\(share.plan.writes.count) fields written, \(share.plan.unchanged) unchanged.")
        }
    }
}

/// `banli export`: the unit's ledger, one row per assignment.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export the ledger (台账): one row per assignment with every workflow field and the status.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "csv (UTF-8 with BOM, opens in Excel) or json.") var format = "csv"
    @Option(help: "For csv: utf-8 (default) or gb18030.") var encoding = "utf-8"
    @Option(help: "Write to this file instead of standard output.") var output: String?

    func run() throws {
        guard format == "csv" || format == "json" else { throw BanliError(.usage, "--format takes csv or json, not '\(format)'.") }
        guard let enc = TextEncoding(name: encoding) else { throw BanliError(.usage, "--encoding takes utf-8 or gb18030, not '\(encoding)'.") }
        // Every office's store (or the one --office names); with [[hub]] entries each row names its office first.
        let offices = try global.openOffices()
        let (bytes, items) = try LedgerExport.file(
            offices: offices.offices.map(\.ledgerOffice), namingOffices: offices.hasEntries, format: format == "json" ? .json : .csv, encoding: enc,
            today: try global.today(), deadlines: try global.loadConfig().deadlines)
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(bytes)) else {
                throw BanliError(.io, "Cannot write \(output); check the folder and its permissions.")
            }
            Output.line("Exported \(items) items to \(output).")
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }
}
