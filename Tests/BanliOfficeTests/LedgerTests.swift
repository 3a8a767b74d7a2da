import BanliCore
import BanliOffice
import TestSupport
import Testing

/// The thrown BanliError, or nil when `body` does not throw one.
private func banliError(_ body: () throws -> Void) -> BanliError? {
    do {
        try body()
        return nil
    } catch let e as BanliError {
        return e
    } catch {
        return nil
    }
}

@Suite struct CSVTests {
    @Test func quotingRoundTrips() throws {
        let rows = [
            ["编号", "标题", "备注"],
            ["a,b", "say \"hi\"", ""],
            ["line1\nline2", "crlf\r\ninside", " edge "],
            ["", "", "纯中文"],
        ]
        let text = CSV.write(rows, bom: false)
        #expect(try CSV.parse(text) == rows)
        #expect(CSV.write([["a,b", "c\"d", "e"]], bom: false) == "\"a,b\",\"c\"\"d\",e\r\n")
        // LF-only files from other tools read the same.
        #expect(try CSV.parse("x,\"y\nz\"\nu,v\n") == [["x", "y\nz"], ["u", "v"]])
    }

    @Test func bomIsWrittenAndStripped() throws {
        let text = CSV.write([["编号"], ["rd-2025-39"]])
        #expect(text.unicodeScalars.first == "\u{FEFF}")
        #expect(text.hasSuffix("\r\n"))
        #expect(try CSV.parse(text) == [["编号"], ["rd-2025-39"]])
        #expect(CSV.write([["a"]], bom: false) == "a\r\n")
    }

    @Test func strayQuoteNamesThePhysicalLine() {
        // The quoted field on line 2 spans into line 3, so the bad record starts on line 4.
        let e = banliError { _ = try CSV.parse("a,b\n\"x\ny\",z\nc,d\"e\n") }
        #expect(e?.code == .corruptInput)
        #expect(e?.message.hasPrefix("line 4:") == true)
        let open = banliError { _ = try CSV.parse("a\n\"never closed\n") }
        #expect(open?.message.hasPrefix("line 2:") == true)
    }

    @Test func gb18030RoundTrips() throws {
        let text = "编号,标题\r\n39,关于促进黄石市中小企业健康快速发展的提案 𠀀"
        let bytes = try TextEncoding.encode(text, as: .gb18030)
        #expect(Array(bytes.prefix(2)) == [0xB1, 0xE0]) // 编 in GBK/GB18030
        #expect(bytes != Array(text.utf8))
        #expect(try TextEncoding.decode(bytes, as: .gb18030) == text)
        let e = banliError { _ = try TextEncoding.decode(bytes, as: .utf8) }
        #expect(e?.code == .corruptInput)
        #expect(e?.message.contains("byte offset 0") == true)
        #expect(e?.message.contains("--encoding gb18030") == true)
        #expect(banliError { _ = try TextEncoding.decode([0x41, 0x81], as: .gb18030) }?.message.contains("byte offset 1") == true)
        #expect(TextEncoding(name: "GBK") == .gb18030 && TextEncoding(name: "UTF-8") == .utf8)
    }
}

@Suite struct LedgerTests {
    static let units = ["市经信局": "jxj", "jxj": "jxj", "市发改委": "fgw", "fgw": "fgw"]

    @Test func importsTheOfficeAssignmentList() throws {
        let csv = """
        编号,类别,年度,标题,领衔人,附议人,主办单位,会办单位,交办日期
        39,建议,2025,关于成立矿产品产业发展工作专班的建议,曹建平,,市经信局,市发改委,2025-03-14
        90,提案,2025,关于促进中小企业健康快速发展的提案,程玮,王秋红、纪春明,市发改委,,2025/3/20

        """
        let writes = try Ledger.importRows(csv: csv, units: Self.units)
        let rd = EntityKey.item(id: "rd-2025-39"), zx = EntityKey.item(id: "zx-2025-90")
        let expected: [LocalWrite] = [
            LocalWrite(entity: rd, field: "kind", value: .string("suggestion")),
            LocalWrite(entity: rd, field: "number", value: .int(39)),
            LocalWrite(entity: rd, field: "year", value: .int(2025)),
            LocalWrite(entity: rd, field: "title", value: .string("关于成立矿产品产业发展工作专班的建议")),
            LocalWrite(entity: rd, field: "proposers", value: .array([.string("曹建平")])),
            LocalWrite(entity: rd, field: "assignedAt", value: .string("2025-03-14")),
            LocalWrite(entity: .assignment(item: "rd-2025-39", site: "jxj"), field: "role", value: .string("lead")),
            LocalWrite(entity: .assignment(item: "rd-2025-39", site: "jxj"), field: "active", value: .bool(true)),
            LocalWrite(entity: .assignment(item: "rd-2025-39", site: "fgw"), field: "role", value: .string("cooperating")),
            LocalWrite(entity: .assignment(item: "rd-2025-39", site: "fgw"), field: "active", value: .bool(true)),
            LocalWrite(entity: zx, field: "kind", value: .string("proposal")),
            LocalWrite(entity: zx, field: "number", value: .int(90)),
            LocalWrite(entity: zx, field: "year", value: .int(2025)),
            LocalWrite(entity: zx, field: "title", value: .string("关于促进中小企业健康快速发展的提案")),
            LocalWrite(entity: zx, field: "proposers", value: .array([.string("程玮"), .string("王秋红"), .string("纪春明")])),
            LocalWrite(entity: zx, field: "assignedAt", value: .string("2025-03-20")),
            LocalWrite(entity: .assignment(item: "zx-2025-90", site: "fgw"), field: "role", value: .string("lead")),
            LocalWrite(entity: .assignment(item: "zx-2025-90", site: "fgw"), field: "active", value: .bool(true)),
        ]
        #expect(writes == expected)
        let summary = try Ledger.importLedger(csv: csv, units: Self.units)
        #expect(summary.layout == .assignmentList && summary.items == ["rd-2025-39", "zx-2025-90"] && summary.assignments == 3)
    }

    @Test func badDateNamesLineAndColumn() {
        let csv = "编号,类别,年度,标题,交办日期\n39,建议,2025,甲,2025-03-14\n40,建议,2025,乙,2025-02-30\n"
        let e = banliError { _ = try Ledger.importRows(csv: csv, units: Self.units) }
        #expect(e?.code == .corruptInput)
        #expect(e?.message.hasPrefix("line 3, column E (交办日期):") == true, "\(e?.message ?? "no error")")
    }

    @Test func unknownUnitIsRefused() {
        let csv = "编号,类别,年度,标题,主办单位\n39,建议,2025,甲,市财政局\n"
        let e = banliError { _ = try Ledger.importRows(csv: csv, units: Self.units) }
        #expect(e?.code == .corruptInput)
        #expect(e?.message.hasPrefix("line 2, column E (主办单位):") == true, "\(e?.message ?? "no error")")
        #expect(e?.message.contains("市财政局") == true)
    }

    @Test func unknownColumnListsTheAcceptedHeaders() {
        let e = banliError { _ = try Ledger.importRows(csv: "编号,类别,标题,意见栏\n", units: Self.units) }
        #expect(e?.message.hasPrefix("line 1 has an unknown column: D (意见栏);") == true, "\(e?.message ?? "no error")")
        #expect(e?.message.contains("主办单位") == true)
    }


    @Test func exportImportExportIsStable() throws {
        let today = ISODate("2025-08-01")!
        let names = ["jxj": "市经信局", "fgw": "市发改委"]
        let rows = Ledger.exportRows(items: try OfficeSample.views(OfficeSample.writes), unitNames: names, today: today, deadlines: Deadlines())
        #expect(Array(rows[0].prefix(5)) == ["编号", "类别", "年度", "建议提案号", "标题"])
        #expect(rows.count == 4)
        #expect(rows[1][rows[0].firstIndex(of: "承办单位")!] == "jxj") // lead first
        #expect(rows[1][rows[0].firstIndex(of: "状态")!] == "已评价")
        #expect(rows[3][rows[0].firstIndex(of: "承办单位")!] == "")   // zx-2025-90: never assigned

        let csv = CSV.write(rows)
        // Through the plan, as `banli import` writes: the deadlines the export derived from 交办 stay derived.
        let imported = try Ledger.importLedger(csv: csv, units: ["jxj": "jxj", "fgw": "fgw"])
        let writes = try Ledger.plan(imported, items: [:], site: "hub", hubSite: "hub", deadlines: Deadlines()).writes
        #expect(Set(writes) == Set(OfficeSample.writes.map { LocalWrite(entity: $0.0, field: $0.1, value: $0.2) }))
        #expect(writes.count == OfficeSample.writes.count)

        let views = try OfficeSample.views(writes.map { ($0.entity, $0.field, $0.value) })
        let again = Ledger.exportRows(items: views, unitNames: names, today: today, deadlines: Deadlines())
        #expect(again == rows)
        #expect(CSV.write(again) == csv)
    }

    @Test func exportJSONUsesCatalogueNames() throws {
        let json = Ledger.exportJSON(items: try OfficeSample.views(OfficeSample.writes), unitNames: [:], today: ISODate("2025-08-01")!, deadlines: Deadlines())
        guard case .array(let rows) = json, case .object(let first)? = rows.first else {
            Issue.record("not an array of objects")
            return
        }
        #expect(rows.count == 3)
        #expect(first["site"] == .string("jxj") && first["status"] == .string("evaluated") && first["overdue"] == .bool(false))
        if case .object(let a)? = first["assignment"] { #expect(a["replyCategory"] == .string("A")) } else { Issue.record("no assignment") }
    }

}
