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
        let deadlines = try global.loadConfig().deadlines
        // Every office's share is read and checked before any store is written: a bad cell anywhere imports nothing.
        var plans: [(office: Office, imported: LedgerImport, plan: LedgerPlan)] = []
        do {
            let text: String
            do { text = try TextEncoding.decode(Array(data), as: enc) } catch let e as BanliError { throw BanliError(e.code, "\(file): \(e.message)") }
            for (office, records) in try shares(of: CSV.records(text), among: offices) {
                let units = try UnitNames(store: office.store)
                let items = Dictionary(try office.store.items().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
                let imported = try Ledger.importLedger(records: records) { try units.site(named: $0) }
                // Compared with the store: unchanged values are not written again; a bureau writes only its own columns.
                let plan = try Ledger.plan(imported, items: items, site: office.store.info.site, hubSite: office.store.info.hubSite,
                                           deadlines: deadlines)
                plans.append((office, imported, plan))
            }
        } catch let e as BanliError {
            throw BanliError(e.code, "\(file) \(e.message) Nothing was imported.")
        }
        for p in plans {
            if !p.plan.writes.isEmpty { try p.office.store.write(p.plan.writes) }
            let from = offices.hasEntries ? "\(file) (\(p.office.label))" : file
            Output.line("Imported \(p.imported.items.count) items and \(p.imported.assignments) assignments from \(from): "
                + "\(p.plan.writes.count) fields written, \(p.plan.unchanged) unchanged.")
        }
    }

    /// Which office's store each row goes to: by the file's 交办机关 column (an export across offices), else the one office.
    private func shares(of records: [CSV.Record], among offices: OfficeSet) throws -> [(Office, [CSV.Record])] {
        guard let split = Ledger.splitByOffice(records) else {
            guard offices.offices.count == 1 else { throw OfficeSet.chooseOne(try global.loadConfig()) }
            return [(offices.offices[0], records)]
        }
        return try split.map { share in
            guard let office = offices.office(named: share.office) else {
                let lines = share.rowLines.prefix(10).map(String.init).joined(separator: ", ")
                let known = offices.offices.map(\.label).joined(separator: "、")
                throw BanliError(.corruptInput, share.office.isEmpty
                    ? "line \(lines): the 交办机关 cell is empty; write one of \(known)."
                    : "line \(lines): 交办机关 '\(share.office.prefix(40))' is not "
                        + (offices.hasEntries && offices.offices.count == 1 ? "the office chosen with --office (\(known))." : "one of \(known)."))
            }
            return (office, share.records)
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
        let today = try global.today(), deadlines = try global.loadConfig().deadlines
        var items: [ItemView] = [], rows: [[String]] = [], objects: [JSONValue] = []
        for office in offices.offices {
            let names = try UnitNames(store: office.store).names
            let held = try office.store.items()
            items += held
            if format == "json" {
                guard case .array(let lines) = Ledger.exportJSON(items: held, unitNames: names, today: today, deadlines: deadlines) else { continue }
                objects += lines.map { line in
                    guard offices.hasEntries, case .object(var o) = line else { return line }
                    o["office"] = .string(office.key)
                    return .object(o)
                }
            } else {
                let lines = Ledger.exportRows(items: held, unitNames: names, today: today, deadlines: deadlines)
                if rows.isEmpty { rows = [(offices.hasEntries ? [OfficeSet.columnHeader] : []) + lines[0]] }
                rows += lines.dropFirst().map { (offices.hasEntries ? [office.name] : []) + $0 }
            }
        }
        let bytes: [UInt8]
        if format == "json" {
            bytes = Array((JSONValue.array(objects).canonicalJSON + "\n").utf8)
        } else {
            bytes = try TextEncoding.encode(CSV.write(rows, bom: enc == .utf8), as: enc)
        }
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(bytes)) else {
                throw BanliError(.io, "Cannot write \(output); check the folder and its permissions.")
            }
            Output.line("Exported \(items.count) items to \(output).")
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }
}
