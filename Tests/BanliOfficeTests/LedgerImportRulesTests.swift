import BanliCore
import BanliOffice
import TestSupport
import Testing

/// The pure rules of importing a ledger into a store that already holds items: unchanged values are not written
/// again, and a bureau writes only its own columns, under the workflow's rules.
@Suite struct LedgerImportRulesTests {
    static let today = ISODate(year: 2025, month: 8, day: 1)
    static let units = ["jxj": "jxj", "fgw": "fgw", "市经信局": "jxj"]

    static func items(_ views: [ItemView]) -> [String: ItemView] {
        Dictionary(uniqueKeysWithValues: views.map { ($0.id, $0) })
    }

    /// What the bureau jxj holds: only the item assigned to it.
    static func bureauItems() throws -> [ItemView] {
        try OfficeSample.views(OfficeSample.writes).filter { $0.assignments["jxj"] != nil }
    }

    static func export(_ views: [ItemView]) -> [[String]] {
        Ledger.exportRows(items: views, unitNames: ["jxj": "市经信局", "fgw": "市发改委"], today: today, deadlines: Deadlines())
    }

    static func plan(_ rows: [[String]], _ views: [ItemView], site: String) throws -> LedgerPlan {
        let imported = try Ledger.importLedger(csv: CSV.write(rows), units: units)
        return try Ledger.plan(imported, items: items(views), site: site, hubSite: "hub", deadlines: Deadlines())
    }

    static func refusal(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch let e as BanliError {
            return e.message
        } catch {
            return "\(error)"
        }
    }

    static func set(_ rows: inout [[String]], row: Int, _ header: String, _ value: String) {
        rows[row][rows[0].firstIndex(of: header)!] = value
    }

    @Test func aBureausOwnExportReimportsWithNoWrites() throws {
        let views = try Self.bureauItems()
        let plan = try Self.plan(Self.export(views), views, site: "jxj")
        #expect(plan.writes.isEmpty, "\(plan.writes)")
        #expect(plan.unchanged > 20)
    }

    @Test func theHubsExportReimportsWithNoWritesAndWritesOnlyAChange() throws {
        let views = try OfficeSample.views(OfficeSample.writes)
        var rows = Self.export(views)
        #expect(try Self.plan(rows, views, site: "hub").writes.isEmpty)
        // Both rows of the item carry its title.
        Self.set(&rows, row: 1, "标题", "新标题")
        Self.set(&rows, row: 2, "标题", "新标题")
        let plan = try Self.plan(rows, views, site: "hub")
        #expect(plan.writes == [LocalWrite(.item(id: "rd-2025-39"), "title", .string("新标题"))])
    }

    @Test func aBureauWritesOnlyItsChangedOwnColumns() throws {
        let views = try Self.bureauItems()
        var rows = Self.export(views)
        Self.set(&rows, row: 1, "承办股室", "产业科")
        Self.set(&rows, row: 1, "责任人", "刘文明") // unchanged
        let plan = try Self.plan(rows, views, site: "jxj")
        #expect(plan.writes == [LocalWrite(.assignment(item: "rd-2025-39", site: "jxj"), "section", .string("产业科"))])
    }

    @Test func changedOfficeColumnsAreAllRefusedNamingLineAndColumn() throws {
        let views = try Self.bureauItems()
        var rows = Self.export(views)
        Self.set(&rows, row: 1, "标题", "改过的标题")
        Self.set(&rows, row: 2, "标题", "改过的标题")
        Self.set(&rows, row: 1, "本单位办理时限", "2025-09-01")
        // Another unit's row is the office's business too.
        Self.set(&rows, row: 2, "会办意见", "不同意")
        let title = Ledger.exportHeader.firstIndex(of: "标题")!, due = Ledger.exportHeader.firstIndex(of: "本单位办理时限")!
        let opinion = Ledger.exportHeader.firstIndex(of: "会办意见")!
        let message = Self.refusal { _ = try Self.plan(rows, views, site: "jxj") }
        #expect(message.hasPrefix("3 cells were refused"), "\(message)")
        #expect(message.contains("line 2, column \(Ledger.columnLetter(title)) (标题): '改过的标题' differs"), "\(message)")
        #expect(message.contains("line 2, column \(Ledger.columnLetter(due)) (本单位办理时限)"), "\(message)")
        // jxj's reply text spans three lines, so fgw's row starts on line 5.
        #expect(message.contains("line 5, column \(Ledger.columnLetter(opinion)) (会办意见)"), "\(message)")
        #expect(message.contains("written by the office"))
    }

    @Test func itemsTheBureauDoesNotHoldAreRefused() throws {
        let all = try OfficeSample.views(OfficeSample.writes)
        let message = Self.refusal { _ = try Self.plan(Self.export(all), try Self.bureauItems(), site: "jxj") }
        #expect(message.contains("holds no item zx-2025-90 assigned to unit 'jxj'"), "\(message)")
        // The same file at a bureau that holds it but is not assigned to it.
        let notAssigned = Self.refusal { _ = try Self.plan(Self.export(all), all, site: "swj") }
        #expect(notAssigned.contains("holds no item rd-2025-39 assigned to unit 'swj'"), "\(notAssigned)")
    }

    @Test func aBureausOwnValuesFollowTheWorkflow() throws {
        // fgw is the cooperating unit: it gives an opinion, it does not reply.
        let fgwViews = try OfficeSample.views(OfficeSample.writes + [
            (.assignment(item: "rd-2025-39", site: "fgw"), "acceptedAt", .string("2025-03-20")),
        ]).filter { $0.id == "rd-2025-39" }
        var rows = Self.export(fgwViews)
        Self.set(&rows, row: 2, "答复文号", "发改〔2025〕1号")
        #expect(Self.refusal { _ = try Self.plan(rows, fgwViews, site: "fgw") }.contains("it gives a 会办意见, not 答复文号"))

        // A closed item takes no more handling.
        let closed = try OfficeSample.views(OfficeSample.writes + [(.item(id: "rd-2025-39"), "closedAt", .string("2025-07-20"))])
            .filter { $0.id == "rd-2025-39" }
        var closedRows = Self.export(closed)
        Self.set(&closedRows, row: 1, "承办股室", "产业科")
        #expect(Self.refusal { _ = try Self.plan(closedRows, closed, site: "jxj") }.contains("事项 rd-2025-39 已于 2025-07-20 办结；"))

        // A contact before 签收 is refused, unless the same file signs for the item.
        let open = try OfficeSample.views([
            (.item(id: "rd-2025-7"), "kind", .string("suggestion")), (.item(id: "rd-2025-7"), "number", .int(7)),
            (.item(id: "rd-2025-7"), "year", .int(2025)), (.item(id: "rd-2025-7"), "title", .string("甲")),
            (.assignment(item: "rd-2025-7", site: "jxj"), "role", .string("sole")),
        ])
        var openRows = Self.export(open)
        Self.set(&openRows, row: 1, "沟通记录", #"[{"n":1,"at":"2025/4/2","method":"电话联系"}]"#)
        #expect(Self.refusal { _ = try Self.plan(openRows, open, site: "jxj") }.contains("签收"))
        Self.set(&openRows, row: 1, "签收日期", "2025年4月1日")
        let plan = try Self.plan(openRows, open, site: "jxj")
        #expect(plan.writes.map(\.field).sorted() == ["acceptedAt", "at", "method"])
        #expect(plan.writes.contains(LocalWrite(.contact(item: "rd-2025-7", site: "jxj", n: 1), "at", .string("2025-04-02"))))
    }

    @Test func rowCountersAndRemarksAreReadPastAndUnknownColumnsAllNamed() throws {
        let csv = "序号,编号,类别,年度,标题,备注\n1,rd-2025-39,建议,2025,甲,急\n2,rd-2025-40,建议,2025,乙,\n"
        let imported = try Ledger.importLedger(csv: csv, units: Self.units)
        let numbers = imported.writes.filter { $0.field == "number" }.map(\.value)
        #expect(numbers == [.int(39), .int(40)])
        let message = Self.refusal { _ = try Ledger.importLedger(csv: "编号,甲栏,类别,标题,乙栏\n", units: Self.units) }
        #expect(message.hasPrefix("line 1 has 2 unknown columns: B (甲栏), E (乙栏);"), "\(message)")
    }

    @Test func exportFillsDerivedDeadlines() throws {
        let rows = Self.export(try Self.bureauItems())
        let h = rows[0]
        // The item's deadline is derived from 交办 (2025-03-14) + 3 months; jxj's own override stays.
        #expect(rows[1][h.firstIndex(of: "办理时限")!] == "2025-06-14")
        #expect(rows[1][h.firstIndex(of: "本单位办理时限")!] == "2025-07-01")
        // The cooperating unit's opinion deadline: 交办 + 1 month.
        #expect(rows[2][h.firstIndex(of: "承办单位")!] == "fgw")
        #expect(rows[2][h.firstIndex(of: "会办意见时限")!] == "2025-04-14")
        #expect(rows[2][h.firstIndex(of: "本单位办理时限")!] == "")
    }

    /// Hostile text in a bureau's own cells (formula starts, control characters, separators) survives export and
    /// import exactly: re-importing its own export never writes (seeded, so a failure repeats).
    @Test func hostileCellsRoundTripWithNoWrites() throws {
        var hostile = HostileStrings(seed: 1515)
        for _ in 0..<60 {
            let handler = hostile.nextLine(), progress = hostile.next()
            guard !handler.trimmedWhitespace.isEmpty, !progress.trimmedWhitespace.isEmpty, handler == handler.trimmedWhitespace else { continue }
            let jxj = EntityKey.assignment(item: "rd-2025-39", site: "jxj")
            let views = try OfficeSample.views(OfficeSample.writes + [(jxj, "handler", .string(handler)), (jxj, "progress", .string(progress))])
                .filter { $0.id == "rd-2025-39" }
            let csv = CSV.write(Self.export(views))
            for cell in rawCSVCells(csv) { #expect(!startsAFormula(cell), "\(cell.debugDescription)") }
            let imported = try Ledger.importLedger(csv: csv, units: Self.units)
            let plan = try Ledger.plan(imported, items: Self.items(views), site: "jxj", hubSite: "hub", deadlines: Deadlines())
            #expect(plan.writes.isEmpty, "\(handler.debugDescription) \(progress.debugDescription): \(plan.writes)")
        }
    }
}
