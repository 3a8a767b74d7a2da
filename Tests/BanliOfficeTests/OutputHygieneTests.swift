import BanliCore
import BanliOffice
import TestSupport
import Testing

@Suite struct CSVInjectionTests {
    @Test func noWrittenCellStartsAFormulaAndEveryCellReadsBackExactly() throws {
        var gen = HostileStrings(seed: 0xC5F)
        let rows = (0..<3000).map { _ in (0..<4).map { _ in gen.next() } }
        let text = CSV.write(rows)
        for cell in rawCSVCells(text) {
            #expect(!startsAFormula(cell), "cell \(cell.debugDescription) starts a formula")
        }
        #expect(try CSV.parse(text) == rows)
        #expect(CSV.neutralised("=1+1") == "'=1+1" && CSV.restored("'=1+1") == "=1+1")
        #expect(CSV.neutralised("'=1+1") == "''=1+1" && CSV.restored("''=1+1") == "'=1+1")
        #expect(CSV.neutralised("'plain") == "'plain" && CSV.neutralised("冶经信函") == "冶经信函")
    }

    @Test func ledgerExportImportsBackHostileValuesExactly() throws {
        var gen = HostileStrings(seed: 0x1ED6E2)
        var writes: [(EntityKey, String, JSONValue)] = []
        var expected: [LocalWrite] = []
        for n in 1...300 {
            let id = "rd-2025-\(n)", a = EntityKey.assignment(item: id, site: "jxj")
            func line() -> String {
                let s = gen.nextLine().trimmedWhitespace
                return s.isEmpty ? "=1" : s
            }
            let text = { () -> String in let s = gen.next(); return s.trimmedWhitespace.isEmpty ? "-x" : s }()
            let item = EntityKey.item(id: id)
            writes += [(item, "kind", .string("suggestion")), (item, "number", .int(Int64(n))), (item, "year", .int(2025)),
                       (item, "title", .string(line())), (a, "role", .string("lead")), (a, "active", .bool(true)),
                       (a, "replyNumber", .string(line())), (a, "replySigner", .string(line())), (a, "handler", .string(line())),
                       (a, "replyText", .string(text))]
        }
        for (e, f, v) in writes {
            try FieldCatalogue.require(e.kind, f).type.validate(v, field: f)
            expected.append(LocalWrite(entity: e, field: f, value: v))
        }
        let views = try OfficeSample.views(writes)
        let csv = Ledger.exportCSV(items: views, unitNames: ["jxj": "市经信局"], today: ISODate("2025-08-01")!, deadlines: Deadlines())
        for cell in rawCSVCells(csv) {
            #expect(!startsAFormula(cell), "cell \(cell.debugDescription) starts a formula")
        }
        let back = try Ledger.importRows(csv: csv, units: ["jxj": "jxj", "市经信局": "jxj"])
        #expect(Set(back) == Set(expected))
    }
}
