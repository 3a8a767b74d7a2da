import BanliCore
import BanliOffice
import Foundation
import Testing

/// `banli import` and `banli export` through the real binary.
@Suite struct LedgerCommandTests {
    func office(_ dir: String? = nil) throws -> BanliProcess {
        let cli = BanliProcess(directory: try dir ?? BanliProcess.temporaryDirectory(), environment: ["BANLI_TODAY": "2025-11-30"])
        try cli.ok(["hub", "init", "--store", "hub.db"])
        try cli.ok(["hub", "add-unit", "jxj", "--name", "市经信局", "--store", "hub.db", "--token-file", "jxj.token"])
        try cli.ok(["hub", "add-unit", "fgw", "--name", "市发改委", "--store", "hub.db", "--token-file", "fgw.token"])
        return cli
    }

    @Test func officeListImportsAndBadRowsImportNothing() throws {
        let cli = try office()
        let list = """
            编号,类别,年度,标题,领衔人,主办单位,会办单位,交办日期,办理时限
            39,建议,2025,关于大冶市政府成立矿产品产业发展工作专班的建议,曹建平,市经信局,,2025-03-20,2025-06-20
            90,提案,2025,关于促进大冶市民营经济高质量发展的提案,余玲玲,市经信局,市发改委,2025-03-20,
            """
        try list.write(toFile: cli.directory + "/list.csv", atomically: true, encoding: .utf8)
        let out = try cli.ok(["import", "list.csv", "--store", "hub.db"])
        #expect(out.contains("Imported 2 items"))
        let rows = try JSONValue.parse(cli.ok(["item", "list", "--json", "--store", "hub.db"]))
        #expect(rows.canonicalJSON.contains(#""id":"zx-2025-90""#) && rows.canonicalJSON.contains(#""role":"cooperating""#))

        let bad = list.replacingOccurrences(of: "市发改委,2025-03-20,", with: "市发改委,2025-02-30,")
            .replacingOccurrences(of: "90,提案", with: "91,提案")
        try bad.write(toFile: cli.directory + "/bad.csv", atomically: true, encoding: .utf8)
        let before = try cli.ok(["dump", "--json", "--store", "hub.db"])
        let r = try cli.run(["import", "bad.csv", "--store", "hub.db"])
        #expect(r.status != 0 && r.stderr.contains("line 3") && r.stderr.contains("column H") && r.stderr.contains("Nothing was imported"), "\(r.stderr)")
        #expect(try cli.ok(["dump", "--json", "--store", "hub.db"]) == before)
    }

    @Test func exportImportRoundTripPreservesEveryFieldInBothEncodings() throws {
        let cli = try office()
        try cli.ok(["item", "new", "zx-2025-90", "--kind", "提案", "--number", "90", "--year", "2025",
                    "--title", "关于促进民营经济发展的提案, \"引号\"",
                    "--proposer", "程玮", "--proposer", "王秋红", "--session", "十届五次", "--store", "hub.db"])
        try cli.ok(["item", "assign", "zx-2025-90", "jxj", "--role", "主办", "--at", "2025-03-20", "--due", "2025-07-20", "--store", "hub.db"])
        try cli.ok(["item", "assign", "zx-2025-90", "fgw", "--role", "会办", "--at", "2025-03-20", "--store", "hub.db"])
        let h = { (a: [String]) in a + ["--store", "hub.db"] }
        try cli.ok(h(["item", "accept", "zx-2025-90", "--unit", "jxj", "--at", "2025-03-22"]))
        try cli.ok(h(["item", "handler", "zx-2025-90", "--unit", "jxj", "--section", "中小企业股", "--handler", "王五", "--phone", "0714-1234567"]))
        try cli.ok(h(["item", "contact", "zx-2025-90", "--unit", "jxj", "--at", "2025-04-11", "--method", "上门走访", "--note", "多行\n记录"]))
        try cli.ok(h(["item", "contact", "zx-2025-90", "--unit", "jxj", "--at", "2025-05-01", "--method", "phone"]))
        try cli.ok(h(["item", "accept", "zx-2025-90", "--unit", "fgw", "--at", "2025-03-23"]))
        try cli.ok(h(["item", "opinion", "zx-2025-90", "--unit", "fgw", "--text", "同意", "--at", "2025-04-01"]))
        try cli.ok(h(["item", "reply", "zx-2025-90", "--unit", "jxj", "--number", "冶经信函〔2025〕12号", "--category", "B",
                      "--text", "答复全文，\n第二段",
                      "--at", "2025-06-01", "--signer", "局长", "--public", "是", "--public-reason", "不涉密"]))
        try cli.ok(h(["item", "track", "zx-2025-90", "--unit", "jxj", "--text", "跟踪中"]))
        try cli.ok(h(["item", "feedback", "zx-2025-90", "jxj", "--evaluation", "基本满意", "--effect", "正在解决", "--public", "否",
                      "--comment", "措施得力", "--received", "2025-07-01"]))

        let utf8 = try cli.ok(["export", "--store", "hub.db"])
        #expect(utf8.hasPrefix("\u{FEFF}"))
        try cli.ok(["export", "--encoding", "gb18030", "--output", "ledger-gbk.csv", "--store", "hub.db"])
        try cli.ok(["export", "--output", "ledger.csv", "--store", "hub.db"])
        let gbk = try Data(contentsOf: URL(fileURLWithPath: cli.directory + "/ledger-gbk.csv"))
        #expect(String(data: gbk, encoding: .utf8) == nil, "the GB18030 file is not UTF-8")

        for (file, encoding) in [("ledger.csv", "utf-8"), ("ledger-gbk.csv", "gb18030")] {
            let other = try office()
            try FileManager.default.copyItem(atPath: cli.directory + "/" + file, toPath: other.directory + "/" + file)
            try other.ok(["import", file, "--encoding", encoding, "--store", "hub.db"])
            #expect(try other.ok(["export", "--store", "hub.db"]) == utf8, "\(encoding): export → import → export is identical")
            let a = try JSONValue.parse(cli.ok(["item", "show", "zx-2025-90", "--json", "--store", "hub.db"]))
            let b = try JSONValue.parse(other.ok(["item", "show", "zx-2025-90", "--json", "--store", "hub.db"]))
            #expect(a == b, "\(encoding): every field came back")
        }
        let json = try JSONValue.parse(cli.ok(["export", "--format", "json", "--store", "hub.db"]))
        #expect(json.canonicalJSON.contains(#""replyNumber":"冶经信函〔2025〕12号""#))
        let form = try cli.ok(["item", "form", "zx-2025-90", "--unit", "jxj", "--store", "hub.db"])
        #expect(form.contains("征询意见表") && form.contains("☑") && form.contains("委员提案〔2025〕90号"))
    }
}
