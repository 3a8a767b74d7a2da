import BanliCore
import Foundation
import Testing

/// Issue 15 through the real binary: the guards, the wording and exit codes, lists, the form and the report.
/// Each check here failed before the change it pins.
@Suite struct ClerkGuardsTests {
    /// A county office (hub) with units jxj 县经信局 and fgw 县发改委, and a bureau store for jxj filled from the hub's
    /// dump (an offline exchange, as `banli apply` does).
    func office() throws -> BanliProcess {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory(), environment: ["BANLI_TODAY": "2020-12-31"])
        try cli.ok(["hub", "init", "--store", "hub.db", "--name", "县政协提案委"])
        try cli.ok(["hub", "add-unit", "jxj", "--name", "县经信局", "--store", "hub.db", "--token-file", "jxj.token"])
        try cli.ok(["hub", "add-unit", "fgw", "--name", "县发改委", "--store", "hub.db", "--token-file", "fgw.token"])
        return cli
    }

    func h(_ args: [String]) -> [String] { args + ["--store", "hub.db"] }

    func item(_ cli: BanliProcess, _ id: String, _ assign: [(String, String)], kind: String = "提案") throws {
        try cli.ok(h(["item", "new", id, "--kind", kind, "--number", String(id.split(separator: "-").last!), "--year", "2020",
                      "--title", "题目\(id)", "--proposer", "程玮"]))
        for (u, r) in assign { try cli.ok(h(["item", "assign", id, u, "--role", r, "--at", "2020-03-20"])) }
    }

    /// jxj's bureau store, holding what the hub holds now.
    func bureau(_ cli: BanliProcess) throws {
        if !FileManager.default.fileExists(atPath: cli.directory + "/jxj.db") {
            try cli.ok(["init", "--site", "jxj", "--name", "县经信局", "--store", "jxj.db"])
        }
        try cli.ok(["apply", "-", "--store", "jxj.db"], stdin: try cli.ok(h(["dump", "--json"])))
    }

    /// Runs `args` and expects a one-sentence refusal with `status` that mentions `mentions` and changes nothing.
    func refused(_ cli: BanliProcess, _ args: [String], store: String = "hub", mentions: String, status: Int32 = 2,
                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try cli.ok(["dump", "--json", "--store", "\(store).db"])
        let r = try cli.run(args + ["--store", "\(store).db"])
        #expect(r.status == status, "\(args): exit \(r.status), \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("banli: ") && r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(mentions), "\(args): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(try cli.ok(["dump", "--json", "--store", "\(store).db"]) == before, "\(args) changed the store", sourceLocation: sourceLocation)
    }

    func reply(_ id: String, unit: String = "jxj", category: String = "A") -> [String] {
        h(["item", "reply", id, "--unit", unit, "--number", "县经信函〔2020〕1号", "--category", category, "--text", "答复", "--at", "2020-05-01"])
    }

    @Test func itemSetObeysTheWorkflowAndTheOfficeCorrectsOrReopensWithAReason() throws {
        let cli = try office()
        try item(cli, "zx-2020-1", [("jxj", "主办"), ("fgw", "会办")])
        try cli.ok(h(["item", "accept", "zx-2020-1", "--unit", "jxj", "--at", "2020-03-25"]))
        try cli.ok(h(["item", "accept", "zx-2020-1", "--unit", "fgw", "--at", "2020-03-25"]))
        try cli.ok(reply("zx-2020-1"))
        try cli.ok(h(["item", "opinion", "zx-2020-1", "--unit", "fgw", "--text", "同意", "--at", "2020-04-20"]))
        // 会办 units receive no evaluation, through the verb or through item set.
        try refused(cli, h(["item", "set", "zx-2020-1", "evaluation", "不满意", "--unit", "fgw"]), mentions: "征询意见表只录入给答复的单位")
        try cli.ok(h(["item", "close", "zx-2020-1", "--at", "2020-06-01"]))
        try bureau(cli)
        // Closed: the verbs and item set refuse alike, at the hub and at the bureau, and point at the reopen verb.
        try refused(cli, h(["item", "set", "zx-2020-1", "replyCategory", "B", "--unit", "jxj"]), mentions: "banli item reopen zx-2020-1")
        try refused(cli, ["item", "set", "zx-2020-1", "replyCategory", "B"], store: "jxj", mentions: "banli item reopen zx-2020-1")
        try refused(cli, ["item", "handler", "zx-2020-1", "--handler", "张三"], store: "jxj", mentions: "banli item reopen zx-2020-1")
        try refused(cli, h(["item", "set", "zx-2020-1", "closedAt", "--clear"]), mentions: "banli item reopen")
        // A correction is the office's, and needs a reason.
        try refused(cli, ["item", "correct", "zx-2020-1", "replyCategory", "B", "--reason", "x"], store: "jxj", mentions: "only the office",
                    status: 1)
        try refused(cli, h(["item", "correct", "zx-2020-1", "replyCategory", "B", "--unit", "jxj", "--reason", " "]), mentions: "--reason")
        try refused(cli, h(["item", "set", "zx-2020-1", "replyCategory", "B", "--unit", "jxj", "--correct"]), mentions: "--reason")
        try cli.ok(h(["item", "correct", "zx-2020-1", "replyCategory", "B", "--unit", "jxj", "--reason", "纸质答复函为B类"]))
        try cli.ok(h(["item", "set", "zx-2020-1", "replyNumber", "县经信函〔2020〕2号", "--unit", "jxj", "--correct", "--reason", "文号录错"]))
        // Reopen: the units may act again, and the history keeps every reason beside its change.
        try refused(cli, h(["item", "reopen", "zx-2020-1", "--reason", " "]), mentions: "--reason")
        try cli.ok(h(["item", "reopen", "zx-2020-1", "--reason", "代表要求补充答复"]))
        try refused(cli, h(["item", "reopen", "zx-2020-1", "--reason", "again"]), mentions: "事项 zx-2020-1 尚未办结")
        try cli.ok(h(["item", "handler", "zx-2020-1", "--unit", "jxj", "--handler", "张三"]))
        let history = try cli.ok(h(["history", "zx-2020-1", "--json"]))
        for text in ["更正 assignment/zx-2020-1/jxj replyCategory：纸质答复函为B类", "更正 assignment/zx-2020-1/jxj replyNumber：文号录错",
                     "重新打开（原办结 2020-06-01）：代表要求补充答复"] {
            #expect(history.contains(text), "\(text) in \(history)")
        }
        #expect(try cli.ok(h(["item", "show", "zx-2020-1"])).contains("更正说明: 重新打开"))
    }

    @Test func assignmentsContactsAndKindsAreCheckedBeforeAnythingIsWritten() throws {
        let cli = try office()
        try item(cli, "zx-2020-2", [("jxj", "主办")])
        try refused(cli, h(["item", "assign", "zx-2020-2", "fgw", "--role", "主办"]), mentions: "事项 zx-2020-2 已有主办单位 jxj，一件事项只有一个主办或独办单位")
        try refused(cli, h(["item", "assign", "zx-2020-2", "fgw", "--role", "会办", "--due", "2020-03-01"]),
                    mentions: "办理时限 2020-03-01 早于事项 zx-2020-2 的交办日期 2020-03-20；")
        try refused(cli, h(["item", "new", "rd-2020-3", "--kind", "提案", "--number", "3", "--year", "2020", "--title", "t"]), mentions: "按编号，事项 rd-2020-3 是建议")
        try refused(cli, h(["item", "new", "zx-2020-3", "--kind", "建议", "--number", "3", "--year", "2020", "--title", "t"]), mentions: "按编号，事项 zx-2020-3 是提案")
        try refused(cli, h(["item", "set", "zx-2020-2", "kind", "建议"]), mentions: "按编号，事项 zx-2020-2 是提案")
        try refused(cli, h(["item", "set", "zx-2020-2", "dueAt", "2020-01-01"]), mentions: "办理时限 2020-01-01 早于事项 zx-2020-2 的交办日期")
        try cli.ok(h(["item", "accept", "zx-2020-2", "--unit", "jxj", "--at", "2020-03-21"]))
        try refused(cli, h(["item", "contact", "zx-2020-2", "--unit", "jxj", "--method", "电话联系", "--at", "2020-03-01"]),
                    mentions: "沟通日期 2020-03-01 早于事项 zx-2020-2 的交办日期 2020-03-20；")
        try refused(cli, h(["item", "set", "zx-2020-2", "at", "2020-03-01", "--unit", "jxj", "--contact", "1"]), mentions: "早于事项 zx-2020-2 的交办日期")
        // A role changes only when asked, and the old role's deadline override goes with it, said in the output.
        try cli.ok(h(["item", "extend", "zx-2020-2", "jxj", "--due", "2020-08-01"]))
        try refused(cli, h(["item", "assign", "zx-2020-2", "jxj", "--role", "会办"]), mentions: "要改为会办，请加上 --change-role")
        let changed = try cli.ok(h(["item", "assign", "zx-2020-2", "jxj", "--role", "会办", "--change-role"]))
        #expect(changed.contains(#"assignment/zx-2020-2/jxj dueAt (办理时限) = null  (was "2020-08-01")"#), "\(changed)")
        let json = try cli.ok(h(["item", "show", "zx-2020-2", "--json"]))
        #expect(json.contains(#""role":"cooperating""#) && !json.contains("2020-08-01"), "\(json)")
    }

    @Test func repliesTakeStdinAnACategoryAndNoNumber() throws {
        let cli = try office()
        try item(cli, "zx-2021-110", [("jxj", "主办"), ("fgw", "会办")])
        try cli.ok(h(["item", "accept", "zx-2021-110", "--unit", "jxj", "--at", "2020-03-25"]))
        try cli.ok(h(["item", "reply", "zx-2021-110", "--unit", "jxj", "--category", "A类", "--file", "-", "--at", "2020-05-01"]),
                   stdin: "一、支持企业转型\n二、强化科技策源\n")
        let json = try JSONValue.parse(try cli.ok(h(["item", "show", "zx-2021-110", "--json"])))
        guard case .object(let o) = json, case .object(let a)? = o["assignments"], case .object(let jxj)? = a["jxj"] else {
            Issue.record("no assignment: \(json.canonicalJSON)")
            return
        }
        #expect(jxj["replyText"] == .string("一、支持企业转型\n二、强化科技策源\n"))
        #expect(jxj["replyCategory"] == .string("A") && jxj["replyNumber"] == nil)
        // A file that is not UTF-8 is named.
        try Data([0xB2, 0xE2, 0xCA, 0xD4]).write(to: URL(fileURLWithPath: cli.directory + "/gbk.txt"))
        try cli.ok(h(["item", "accept", "zx-2021-110", "--unit", "fgw", "--at", "2020-03-25"]))
        try refused(cli, h(["item", "opinion", "zx-2021-110", "--unit", "fgw", "--file", "gbk.txt"]), mentions: "gbk.txt is not UTF-8")
        try Data("编号,类别\n".utf8.map { $0 } + [0xB2, 0xE2]).write(to: URL(fileURLWithPath: cli.directory + "/list.csv"))
        try refused(cli, h(["import", "list.csv"]), mentions: "list.csv")
    }

    @Test func wordingAndExitCodes() throws {
        let cli = try office()
        try item(cli, "zx-2020-5", [("fgw", "主办")])
        try bureau(cli)
        // An unknown item is bad input: exit 2.
        try refused(cli, h(["item", "accept", "zx-2020-404", "--unit", "jxj"]), mentions: "holds no item zx-2020-404")
        try refused(cli, h(["item", "show", "zx-2020-404"]), mentions: "holds no item")
        // At the hub, no message sends the office to itself.
        let r = try cli.run(h(["item", "accept", "zx-2020-5", "--unit", "jxj"]))
        #expect(r.status == 2 && r.stderr.contains("事项 zx-2020-5 没有交办给单位 jxj；") && !r.stderr.contains("ask the office"), "\(r.stderr)")
        try refused(cli, ["item", "accept", "zx-2020-5", "--unit", "fgw"], store: "jxj",
                    mentions: "Refused: this store belongs to unit 'jxj', which acts only for itself, not for 'fgw'.", status: 1)
    }

    @Test func listsSortNaturallyFilterByNameAndSayWhenNothingMatches() throws {
        let cli = try office()
        for n in [1, 2, 15, 8] { try item(cli, "zx-2020-\(n)", [(n == 15 ? "fgw" : "jxj", "主办"), (n == 15 ? "jxj" : "fgw", "会办")]) }
        let text = try cli.ok(h(["item", "list", "--unit", "县经信局"]))
        let ids = text.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0.hasPrefix("zx-") }
        #expect(ids == ["zx-2020-1", "zx-2020-2", "zx-2020-8", "zx-2020-15"], "\(text)")
        #expect(try cli.ok(h(["item", "list", "--status", "replied"])).trimmingCharacters(in: .whitespacesAndNewlines) == "没有符合条件的承办件。")
        try refused(cli, h(["item", "list", "--unit", "县财政局"]), mentions: "Unknown unit '县财政局'")
        try refused(cli, h(["report", "--unit", "zzz", "--year", "2020"]), mentions: "Unknown unit 'zzz'")
        // At a bureau, --role 主办 is this unit's own rows, not fgw's 主办 row on an item jxj cooperates on.
        try bureau(cli)
        let own = try cli.ok(["item", "list", "--role", "主办", "--json", "--store", "jxj.db"])
        #expect(own.contains("zx-2020-1") && !own.contains("zx-2020-15"), "\(own)")
        #expect(try cli.ok(["item", "list", "--role", "会办", "--json", "--store", "jxj.db"]).contains("zx-2020-15"))
    }

    @Test func theFormKeepsTheSeedsNumberAndDateAndRefusesACooperatingUnit() throws {
        let cli = try office()
        try item(cli, "zx-2021-110", [("jxj", "主办"), ("fgw", "会办")])
        try cli.ok(h(["item", "accept", "zx-2021-110", "--unit", "jxj", "--at", "2020-03-25"]))
        try cli.ok(reply("zx-2021-110"))
        // Seed 001 ticks 满意 and 不满意: no evaluation until the proposer says which.
        try refused(cli, h(["item", "feedback", "zx-2021-110", "jxj", "--evaluation", "满意,不满意"]), mentions: "ask the proposer")
        try cli.ok(h(["item", "feedback", "zx-2021-110", "jxj", "--evaluation", "满意", "--effect", "解决或基本解决", "--received", "2021-09-10"]))
        try cli.ok(h(["hub", "settings", "--jurisdiction", "县"]))
        let form = try cli.ok(h(["item", "form", "zx-2021-110", "--unit", "县经信局"]))
        #expect(form.contains("(委员提案〔2020〕110号)") && form.contains("签收时间：<span>2021</span>年<span>9</span>月<span>10</span>日"))
        #expect(form.contains("<h1>县人大代表建议政协委员提案办理情况征询意见表</h1>") && form.contains("送县政府督查室") && !form.contains("市人大"))
        try refused(cli, h(["item", "form", "zx-2021-110", "--unit", "fgw"]), mentions: "the 征询意见表 goes with the lead unit's reply")
        // The bureau prints the same words: the settings travel with the hub's directory entry.
        try bureau(cli)
        #expect(try cli.ok(["item", "form", "zx-2021-110", "--store", "jxj.db"]).contains("<h1>县人大代表建议政协委员提案办理情况征询意见表</h1>"))
        try refused(cli, ["hub", "settings", "--jurisdiction", "市", "--store", "jxj.db"], store: "jxj", mentions: "only the office", status: 1)
    }

    /// A small county year: the hub-wide report counts items, its parts never exceed the total, and a B reply
    /// later rewritten to A still counts in the follow-up (from the history); the bureau's report agrees.
    @Test func theHubWideAndBureauReportsAddUp() throws {
        let cli = try office()
        try cli.ok(h(["hub", "settings", "--jurisdiction", "县", "--office-name", "县政协提案委员会"]))
        try item(cli, "zx-2020-1", [("jxj", "主办"), ("fgw", "会办")])
        try item(cli, "zx-2020-2", [("fgw", "主办"), ("jxj", "会办")])
        try item(cli, "zx-2020-3", [("jxj", "独办")])
        try cli.ok(h(["item", "set", "zx-2020-3", "key", "是"]))
        try cli.ok(h(["item", "accept", "zx-2020-1", "--unit", "jxj", "--at", "2020-03-25"]))
        try cli.ok(reply("zx-2020-1", category: "B"))
        // The unit follows the B reply up and rewrites its own category to A: the B is only in the history now.
        try cli.ok(h(["item", "set", "zx-2020-1", "replyCategory", "A", "--unit", "jxj"]))
        let json = try JSONValue.parse(try cli.ok(h(["report", "--year", "2020", "--format", "json"])))
        guard case .object(let o) = json, case .object(let byRole)? = o["itemsByRole"] else {
            Issue.record("no itemsByRole: \(json.canonicalJSON)")
            return
        }
        #expect(o["items"] == .int(3))
        #expect(byRole.values.compactMap(\.intValue).reduce(0, +) == 3)
        #expect(o["key"] == .int(1) && o["followUp"] == .object(["wasB": .int(1), "nowA": .int(1)]), "\(json.canonicalJSON)")
        let text = try cli.ok(h(["report", "--year", "2020"]))
        #expect(text.contains("2020年，全县各承办单位共承办人大代表建议0件、政协提案3件，其中独办1件、主办2件（另有会办2件次），重点件1件。"), "\(text)")
        #expect(text.contains("纳入B类1件，其中已转为A类1件。") && !text.contains("全市"), "\(text)")
        try bureau(cli)
        let atBureau = try cli.ok(["report", "--year", "2020", "--store", "jxj.db"])
        #expect(atBureau.contains("2020年，县经信局共承办人大代表建议0件、政协提案3件，其中独办1件、主办1件、会办1件，重点件1件。"), "\(atBureau)")
        #expect(try cli.ok(["report", "--year", "2020", "--unit", "县经信局", "--format", "md", "--store", "hub.db"]).hasPrefix("# 2020年建议提案办理情况（县经信局）"))
    }
}
