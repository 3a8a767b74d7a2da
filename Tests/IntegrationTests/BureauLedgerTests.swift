import BanliCore
import BanliOffice
import Foundation
import Testing

/// A bureau's handling ledger through the real binary, a real hub and `banli sync`: bureau-side import, re-imports
/// that write nothing, header traps, unit aliases, derived deadlines in the export, and every date form clerks type.
@Suite(.serialized) struct BureauLedgerTests {
    /// A hub with jxj and fgw; jxj is also known as 市经信局 and 经信局. The office imports its 交办 list (with a row
    /// counter 序号 and remarks 备注) and both units sync.
    func cluster() throws -> Cluster {
        let c = try Cluster(units: ["jxj", "fgw"])
        try c.cli.ok(["hub", "set-unit", "jxj", "--name", "市经济和信息化局", "--alias", "市经信局", "--alias", "经信局", "--store", "hub.db"])
        try c.cli.ok(["hub", "set-unit", "fgw", "--alias", "市发改委", "--store", "hub.db"])
        let list = """
            序号,编号,类别,年度,标题,主办单位,会办单位,交办日期,备注
            1,rd-2025-39,建议,2025,关于矿产品产业发展的建议,市经信局,市发改委,2025年3月14日,急件
            2,rd-2025-40,建议,2025,关于中小企业融资的建议,单位fgw,,2025/3/14,
            """
        try list.write(toFile: c.dir + "/list.csv", atomically: true, encoding: .utf8)
        try c.cli.ok(["import", "list.csv", "--store", "hub.db"])
        try c.startHub()
        try c.sync("jxj")
        try c.sync("fgw")
        return c
    }

    func write(_ rows: [[String]], to file: String, in c: Cluster) throws {
        try CSV.write(rows).write(toFile: c.dir + "/" + file, atomically: true, encoding: .utf8)
    }

    func exported(_ c: Cluster, _ store: String) throws -> [[String]] {
        try c.cli.ok(["export", "--output", "\(store)-ledger.csv", "--store", "\(store).db"])
        return try CSV.parse(String(contentsOfFile: c.dir + "/\(store)-ledger.csv", encoding: .utf8))
    }

    func column(_ rows: [[String]], _ header: String) throws -> Int {
        try #require(rows.first?.firstIndex(of: header), "the export has a column \(header): \(rows.first ?? [])")
    }

    @Test func aBureauImportsItsHandlingLedgerAndItsOwnExportWritesNothing() throws {
        let c = try cluster()
        defer { c.stopHub() }
        // 序号 was read past: the item number comes from the id, and the alias named the unit.
        #expect(try c.value("hub", "item/rd-2025-39", "number") == .int(39))
        #expect(try c.value("hub", "assignment/rd-2025-39/jxj", "role") == .string("lead"))
        #expect(try c.value("jxj", "unit/jxj", "aliases") == .array([.string("市经信局"), .string("经信局")]), "aliases replicate")

        // The export fills the deadlines item list derives: 交办 2025-03-14 + 3 months, fgw's opinion + 1 month.
        var rows = try exported(c, "jxj")
        #expect(rows.count == 3, "jxj holds rd-2025-39 only, with its two units: \(rows)")
        #expect(rows[1][try column(rows, "办理时限")] == "2025-06-14")
        #expect(rows[1][try column(rows, "本单位办理时限")] == "2025-06-14")
        #expect(rows[2][try column(rows, "会办意见时限")] == "2025-04-14")

        // Its own export re-imports with zero writes: no new dots, no history rows.
        let dump = try c.dump("jxj"), history = try c.cli.ok(["history", "rd-2025-39", "--store", "jxj.db"])
        let again = try c.cli.ok(["import", "jxj-ledger.csv", "--store", "jxj.db"])
        #expect(again.contains("0 fields written") && again.contains("unchanged"), "\(again)")
        #expect(try c.dump("jxj") == dump)
        #expect(try c.cli.ok(["history", "rd-2025-39", "--store", "jxj.db"]) == history)

        // The handling ledger: 签收, 承办股室, 责任人, 沟通, 答复, with the unit named by its alias.
        let r = 1
        rows[r][try column(rows, "承办单位")] = "经信局"
        rows[r][try column(rows, "签收日期")] = "2025/3/20"
        rows[r][try column(rows, "承办股室")] = "产业科"
        rows[r][try column(rows, "责任人")] = "王五"
        rows[r][try column(rows, "沟通记录")] = #"[{"n":1,"at":"2025年4月2日","method":"上门走访","note":"现场踏勘"}]"#
        rows[r][try column(rows, "答复文号")] = "冶经信函〔2025〕12号"
        rows[r][try column(rows, "答复类别")] = "A"
        rows[r][try column(rows, "答复日期")] = "2025.5.30"
        rows[r][try column(rows, "答复内容")] = "答复全文"
        try write(rows, to: "handling.csv", in: c)
        let out = try c.cli.ok(["import", "handling.csv", "--store", "jxj.db"])
        #expect(out.contains("10 fields written"), "\(out)")
        try c.sync("jxj")
        #expect(try c.value("hub", "assignment/rd-2025-39/jxj", "section") == .string("产业科"))
        #expect(try c.value("hub", "assignment/rd-2025-39/jxj", "replyAt") == .string("2025-05-30"))
        #expect(try c.value("hub", "contact/rd-2025-39/jxj/1", "at") == .string("2025-04-02"))
        // The same file again writes nothing.
        let dumpAfter = try c.dump("jxj")
        #expect(try c.cli.ok(["import", "handling.csv", "--store", "jxj.db"]).contains("0 fields written"))
        #expect(try c.dump("jxj") == dumpAfter)

        // At the hub, the hub's own export re-imports with zero writes too.
        try c.cli.ok(["export", "--output", "hub-ledger.csv", "--store", "hub.db"])
        let hubDump = try c.dump("hub")
        #expect(try c.cli.ok(["import", "hub-ledger.csv", "--store", "hub.db"]).contains("0 fields written"))
        #expect(try c.dump("hub") == hubDump)
    }

    @Test func changedOfficeColumnsAndItemsNotHeldAreRefusedNamingEveryLine() throws {
        let c = try cluster()
        defer { c.stopHub() }
        var rows = try exported(c, "jxj")
        try #require(rows.count > 2, "the export holds the bureau's items: \(rows)")
        let title = try column(rows, "标题"), due = try column(rows, "本单位办理时限")
        rows[1][title] = "改过的标题"
        rows[2][title] = "改过的标题"
        rows[1][due] = "2025-09-01"
        rows[1][try column(rows, "承办股室")] = "产业科"
        try write(rows, to: "changed.csv", in: c)
        let dump = try c.dump("jxj")
        let r = try c.cli.run(["import", "changed.csv", "--store", "jxj.db"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("2 cells were refused"), "\(r.stderr)")
        #expect(r.stderr.contains("line 2, column \(Ledger.columnLetter(title)) (标题)"), "\(r.stderr)")
        #expect(r.stderr.contains("line 2, column \(Ledger.columnLetter(due)) (本单位办理时限)"), "\(r.stderr)")
        #expect(r.stderr.contains("Nothing was imported"))
        #expect(try c.dump("jxj") == dump, "nothing was written, not even the changed 承办股室")

        // An item the bureau does not hold (fgw's rd-2025-40) is refused the same way.
        var other = try exported(c, "jxj")
        var row = other[1]
        row[try column(other, "编号")] = "rd-2025-40"
        row[try column(other, "标题")] = "关于中小企业融资的建议"
        other.append(row)
        try write(other, to: "foreign.csv", in: c)
        let f = try c.cli.run(["import", "foreign.csv", "--store", "jxj.db"])
        #expect(f.status == 2 && f.stderr.contains("line 4: this store holds no item rd-2025-40"), "\(f.stderr)")
        #expect(try c.dump("jxj") == dump)
    }

    @Test func headerTrapsAndUnknownUnitsAreNamedAtOnce() throws {
        let c = try cluster()
        defer { c.stopHub() }
        let csv = "编号,类别,年度,标题,甲栏,主办单位,乙栏\nrd-2025-41,建议,2025,标题,,经信局,\n"
        try csv.write(toFile: c.dir + "/unknown.csv", atomically: true, encoding: .utf8)
        let r = try c.cli.run(["import", "unknown.csv", "--store", "hub.db"])
        #expect(r.status == 2 && r.stderr.contains("2 unknown columns: E (甲栏), G (乙栏)"), "\(r.stderr)")

        let near = "编号,类别,年度,标题,主办单位\nrd-2025-41,建议,2025,标题,省经信\n"
        try near.write(toFile: c.dir + "/near.csv", atomically: true, encoding: .utf8)
        let n = try c.cli.run(["import", "near.csv", "--store", "hub.db"])
        #expect(n.status == 2, "\(n.stderr)")
        #expect(n.stderr.contains("line 2, column E (主办单位)") && n.stderr.contains("did you mean: jxj (市经济和信息化局, 市经信局, 经信局)"),
                "\(n.stderr)")

        // An alias that already names another unit is refused.
        let a = try c.cli.run(["hub", "set-unit", "fgw", "--alias", "经信局", "--store", "hub.db"])
        #expect(a.status == 2 && a.stderr.contains("already means unit jxj"), "\(a.stderr)")
        #expect(try c.value("hub", "unit/fgw", "aliases") == .array([.string("市发改委")]))
    }

    @Test func everyDateFormIsReadByAtOptions() throws {
        let c = try cluster()
        defer { c.stopHub() }
        let j = { (a: [String]) in a + ["--store", "jxj.db"] }
        try c.cli.ok(j(["item", "accept", "rd-2025-39", "--at", "2025-3-20"]))
        let forms = ["2025-04-02", "2025-4-3", "2025/04/04", "2025/4/5", "2025年4月6日", "2025.4.7"]
        for at in forms { try c.cli.ok(j(["item", "contact", "rd-2025-39", "--at", at, "--method", "phone"])) }
        let dates = try (1...6).map { try c.value("jxj", "contact/rd-2025-39/jxj/\($0)", "at") }
        #expect(dates == ["2025-04-02", "2025-04-03", "2025-04-04", "2025-04-05", "2025-04-06", "2025-04-07"].map(JSONValue.string))
        #expect(try c.value("jxj", "assignment/rd-2025-39/jxj", "acceptedAt") == .string("2025-03-20"))

        let dump = try c.dump("jxj")
        for bad in ["2025-02-30", "2025/13/1", "2025年4月31日", "4/5/2025"] {
            let r = try c.cli.run(j(["item", "contact", "rd-2025-39", "--at", bad, "--method", "phone"]))
            #expect(r.status == 2, "\(bad): \(r.stderr)")
            #expect(r.stderr.hasPrefix("banli: --at: '\(bad)' is not") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        #expect(try c.dump("jxj") == dump)
        // The hub's --due reads them too.
        try c.cli.ok(["item", "extend", "rd-2025-39", "jxj", "--due", "2025年7月1日", "--store", "hub.db"])
        #expect(try c.value("hub", "assignment/rd-2025-39/jxj", "dueAt") == .string("2025-07-01"))
    }

    @Test func aliasesAreGivenAtRegistrationAndChangedLater() throws {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory())
        let h = { (a: [String]) in a + ["--store", "hub.db"] }
        try cli.ok(h(["hub", "init"]))
        try cli.ok(h(["hub", "add-unit", "swj", "--name", "市商务局", "--alias", "商务局", "--alias", " 商务 ", "--token-file", "swj.token"]))
        let list = "编号,类别,年度,标题,主办单位\nrd-2025-1,建议,2025,甲,商务\nrd-2025-2,建议,2025,乙,商务局\n"
        try list.write(toFile: cli.directory + "/list.csv", atomically: true, encoding: .utf8)
        #expect(try cli.ok(h(["import", "list.csv"])).contains("Imported 2 items"))
        let roles = try JSONValue.parse(cli.ok(h(["item", "show", "rd-2025-1", "--json"])))
        #expect(roles.canonicalJSON.contains(#""swj":{"active":true,"role":"lead""#), "\(roles.canonicalJSON)")

        // A bad alias at registration leaves no unit behind; an alias taken by another unit is refused.
        let taken = try cli.run(h(["hub", "add-unit", "sw2", "--name", "市商务二局", "--alias", "商务局", "--token-file", "sw2.token"]))
        #expect(taken.status == 2 && taken.stderr.contains("already means unit swj"), "\(taken.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/sw2.token"))
        #expect(try cli.run(h(["hub", "set-unit", "sw2", "--alias", "x"])).status != 0, "an unregistered unit")

        // Aliases are replaced, then cleared; an old alias then names no unit.
        try cli.ok(h(["hub", "set-unit", "swj", "--alias", "商务"]))
        try cli.ok(h(["hub", "set-unit", "swj", "--clear-aliases"]))
        let again = "编号,类别,年度,标题,主办单位\nrd-2025-3,建议,2025,丙,商务局\n"
        try again.write(toFile: cli.directory + "/again.csv", atomically: true, encoding: .utf8)
        let r = try cli.run(h(["import", "again.csv"]))
        #expect(r.status == 2 && r.stderr.contains("Unknown unit '商务局'; did you mean: swj (市商务局)"), "\(r.stderr)")
    }
}
