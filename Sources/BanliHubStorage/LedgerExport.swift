import BanliCore
import BanliOffice

/// The ledger (台账) of one or several offices' stores as a file: `banli export` and the workbench's download.
public enum LedgerExport {
    /// The two file formats.
    public enum Format: String, Sendable {
        /// CSV in `TextEncoding`: UTF-8 with a BOM (Excel shows the Chinese) or GB18030; formula-like cells neutralised.
        case csv
        /// One JSON array of objects (`Ledger.exportJSON`).
        case json
    }

    /// The file's bytes and how many items it holds.
    ///
    /// With `namingOffices` (a config with `[[hub]]` entries) each row names its office first: 交办机关 in CSV,
    /// `office` in JSON, so the file imports back into each office's store.
    public static func file(
        offices: [LedgerOffice], namingOffices: Bool, format: Format, encoding: TextEncoding, today: ISODate, deadlines: Deadlines
    ) throws -> (bytes: [UInt8], items: Int) {
        var items = 0, rows: [[String]] = [], objects: [JSONValue] = []
        for office in offices {
            let names = try UnitNames(store: office.store).names
            let held = try office.store.items()
            items += held.count
            switch format {
            case .json:
                guard case .array(let lines) = Ledger.exportJSON(items: held, unitNames: names, today: today, deadlines: deadlines) else { continue }
                objects += lines.map { line in
                    guard namingOffices, case .object(var o) = line else { return line }
                    o["office"] = .string(office.key)
                    return .object(o)
                }
            case .csv:
                let lines = Ledger.exportRows(items: held, unitNames: names, today: today, deadlines: deadlines)
                if rows.isEmpty { rows = [(namingOffices ? [Ledger.officeHeader] : []) + lines[0]] }
                rows += lines.dropFirst().map { (namingOffices ? [office.name] : []) + $0 }
            }
        }
        switch format {
        case .json: return (Array((JSONValue.array(objects).canonicalJSON + "\n").utf8), items)
        case .csv: return (try TextEncoding.encode(CSV.write(rows, bom: encoding == .utf8), as: encoding), items)
        }
    }
}
