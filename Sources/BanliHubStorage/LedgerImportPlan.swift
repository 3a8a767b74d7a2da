import BanliCore
import BanliOffice

/// One office's records that a ledger is imported into or exported from: at a bureau one per office it answers to,
/// at the hub the hub's own.
public struct LedgerOffice: Sendable {
    /// The office's key (`[[hub]]` office, else the hub's site).
    public let key: String
    /// 交办机关 as clerks read it (a ledger's 交办机关 cell names it by this or by the key).
    public let name: String
    public let store: any RecordStore

    public init(key: String, name: String, store: any RecordStore) {
        self.key = key
        self.name = name
        self.store = store
    }

    /// "city-zx（市政协提案委）", as messages name an office.
    public var label: String { name == key ? key : "\(key)（\(name)）" }
}

/// A ledger import planned against the stores before anything is written: the text split among the offices by its
/// 交办机关 column, each share read and compared with its office's store. The CLI's `import` and the workbench's
/// 台账 page both go through it, so a file is refused by the same rules with the same sentences.
public struct LedgerImportPlan: Sendable {
    /// One office's part of the file and what it would write there.
    public struct Share: Sendable {
        public let office: LedgerOffice
        public let imported: LedgerImport
        public let plan: LedgerPlan
    }

    /// Every office's share, in the file's order; all planned cleanly.
    public let shares: [Share]
    /// The file's records as read, for a preview.
    public let records: [CSV.Record]

    /// Reads `text` and plans each office's writes, writing nothing.
    ///
    /// A refused file throws `LedgerRefusal` (every problem with its line and column); a store that cannot be read
    /// throws its own `BanliError`. `chosenOne` says the one office was chosen (`--office`), for the message when a row
    /// names another; `needsOneOffice` is thrown when the file names no office and there are several to choose from.
    public static func make(
        text: String, offices: [LedgerOffice], deadlines: Deadlines, chosenOne: Bool = false, needsOneOffice: @autoclosure () -> BanliError
    ) throws -> LedgerImportPlan {
        let records: [CSV.Record]
        do {
            records = try CSV.readRecords(text)
        } catch let error as CSV.SyntaxError {
            throw LedgerRefusal(LedgerProblem(line: error.line, message: error.message))
        }
        var shares: [Share] = []
        // Every office's share is read and checked before any store is written: a bad cell anywhere imports nothing.
        for (office, part) in try split(records, among: offices, chosenOne: chosenOne, needsOneOffice: needsOneOffice()) {
            let units = try UnitNames(store: office.store)
            let items = Dictionary(try office.store.items().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let imported = try Ledger.readImport(records: part) { try units.site(named: $0) }
            // Compared with the store: unchanged values are not written again; a bureau writes only its own columns.
            let plan = try Ledger.planImport(imported, items: items, site: office.store.info.site, hubSite: office.store.info.hubSite,
                                             deadlines: deadlines)
            shares.append(Share(office: office, imported: imported, plan: plan))
        }
        return LedgerImportPlan(shares: shares, records: records)
    }

    /// Writes every share's planned writes, office by office (each office's in one transaction).
    public func write(nowMilliseconds: UInt64 = HybridLogicalClock.wallMilliseconds(), person: String? = nil) throws {
        for share in shares where !share.plan.writes.isEmpty {
            try share.office.store.write(share.plan.writes, nowMilliseconds: nowMilliseconds, person: person)
        }
    }

    /// Which office's store each row goes to: by the file's 交办机关 column (an export across offices), else the one office.
    static func split(
        _ records: [CSV.Record], among offices: [LedgerOffice], chosenOne: Bool, needsOneOffice: BanliError
    ) throws -> [(LedgerOffice, [CSV.Record])] {
        guard let split = Ledger.splitByOffice(records) else {
            guard offices.count == 1 else { throw needsOneOffice }
            return [(offices[0], records)]
        }
        let column = Ledger.officeColumn(records)
        let header = column.map { records[$0.headerIndex].fields[$0.column].trimmedWhitespace }
        return try split.map { share in
            guard let office = offices.first(where: { $0.name == share.office || $0.key == share.office }) else {
                let lines = share.rowLines.prefix(10).map(String.init).joined(separator: ", ")
                let known = offices.map(\.label).joined(separator: "、")
                let what = share.office.isEmpty
                    ? "the 交办机关 cell is empty; write one of \(known)."
                    : "交办机关 '\(share.office.prefix(40))' is not " + (chosenOne ? "the office chosen with --office (\(known))." : "one of \(known).")
                let problems = share.rowLines.map { LedgerProblem(line: $0, column: column?.column, header: header, message: what) }
                throw LedgerRefusal(problems, message: "line \(lines): \(what)")
            }
            return (office, share.records)
        }
    }
}
