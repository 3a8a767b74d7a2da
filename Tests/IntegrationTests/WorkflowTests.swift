import BanliCore
import Foundation
import Testing

/// The clerks' workflow through the real binary: steps, refusals, statistics, the demo.
@Suite struct WorkflowTests {
    /// A hub store with units jxj and fgw, driven as the office and as the units' proxy (代录).
    func office() throws -> BanliProcess {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory(), environment: ["BANLI_TODAY": "2025-11-30"])
        try cli.ok(["hub", "init", "--store", "hub.db"])
        try cli.ok(["hub", "add-unit", "jxj", "--name", "市经信局", "--store", "hub.db", "--token-file", "jxj.token"])
        try cli.ok(["hub", "add-unit", "fgw", "--name", "市发改委", "--store", "hub.db", "--token-file", "fgw.token"])
        return cli
    }

    func item(_ cli: BanliProcess, _ id: String, kind: String, _ assign: [(String, String)]) throws {
        try cli.ok(["item", "new", id, "--kind", kind, "--number", String(id.split(separator: "-").last!), "--year", "2025",
                    "--title", "题目\(id)", "--store", "hub.db"])
        for (u, r) in assign { try cli.ok(["item", "assign", id, u, "--role", r, "--at", "2025-03-20", "--store", "hub.db"]) }
    }

    func h(_ args: [String]) -> [String] { args + ["--store", "hub.db"] }

    /// Report figures on a mixed case, computed by hand: late replies, phone-only contacts,
    /// a 基本满意, a 不满意 with 重新办理, a late opinion, an overdue item, a reviewed category.
    @Test func reportFiguresMatchHandComputedValues() throws {
        let cli = try office()
        try item(cli, "rd-2025-1", kind: "建议", [("jxj", "主办"), ("fgw", "会办")])
        try item(cli, "rd-2025-2", kind: "建议", [("jxj", "独办")])
        try item(cli, "zx-2025-3", kind: "提案", [("jxj", "独办")])
        try item(cli, "zx-2025-4", kind: "提案", [("fgw", "主办"), ("jxj", "会办")])
        try item(cli, "rd-2025-5", kind: "建议", [("jxj", "主办")])
        for id in ["rd-2025-1", "rd-2025-2", "zx-2025-3", "zx-2025-4", "rd-2025-5"] {
            try cli.ok(h(["item", "accept", id, "--unit", "jxj", "--at", "2025-03-25"]))
        }
        // A: phone, then a visit; replied on time; 满意.
        try cli.ok(h(["item", "contact", "rd-2025-1", "--unit", "jxj", "--at", "2025-04-01", "--method", "电话联系"]))
        try cli.ok(h(["item", "contact", "rd-2025-1", "--unit", "jxj", "--at", "2025-05-01", "--method", "上门走访"]))
        try cli.ok(h(["item", "reply", "rd-2025-1", "--unit", "jxj", "--number", "1号", "--category", "A", "--text", "答复", "--at", "2025-06-10"]))
        try cli.ok(h(["item", "feedback", "rd-2025-1", "jxj", "--evaluation", "满意", "--received", "2025-07-01"]))
        // B: phone only; replied late; 基本满意; the office reviews its category to C.
        try cli.ok(h(["item", "contact", "rd-2025-2", "--unit", "jxj", "--at", "2025-06-01", "--method", "phone"]))
        try cli.ok(h(["item", "reply", "rd-2025-2", "--unit", "jxj", "--number", "2号", "--category", "B", "--text", "答复", "--at", "2025-07-01"]))
        try cli.ok(h(["item", "feedback", "rd-2025-2", "jxj", "--evaluation", "基本满意", "--received", "2025-08-01"]))
        try cli.ok(h(["item", "category", "rd-2025-2", "jxj", "C"]))
        // C: no contact; replied, 不满意, 重新办理, replied again on time with A.
        try cli.ok(h(["item", "reply", "zx-2025-3", "--unit", "jxj", "--number", "3号", "--category", "C", "--text", "答复", "--at", "2025-05-01"]))
        try cli.ok(h(["item", "feedback", "zx-2025-3", "jxj", "--evaluation", "不满意", "--received", "2025-05-20"]))
        try cli.ok(h(["item", "rehandle", "zx-2025-3", "jxj", "--at", "2025-06-01"]))
        let rehandling = try cli.ok(h(["item", "list", "--status", "rehandling", "--json"]))
        #expect(rehandling.contains("zx-2025-3"))
        try cli.ok(h(["item", "reply", "zx-2025-3", "--unit", "jxj", "--number", "3号之二", "--category", "A", "--text", "再次答复",
                      "--at", "2025-06-15"]))
        // D: jxj cooperates, opinion late (due 04-20).
        try cli.ok(h(["item", "opinion", "zx-2025-4", "--unit", "jxj", "--text", "同意", "--at", "2025-05-05"]))
        // E: a meeting, never replied: overdue.
        try cli.ok(h(["item", "contact", "rd-2025-5", "--unit", "jxj", "--at", "2025-04-10", "--method", "约见"]))

        let json = try JSONValue.parse(cli.ok(h(["report", "--year", "2025", "--unit", "jxj", "--format", "json"])))
        let expected = try JSONValue.parse("""
            {"unit":"jxj","year":2025,"items":5,"byKind":{"suggestion":3,"proposal":2},
             "byRole":{"sole":2,"lead":2,"split":0,"cooperating":1,"assisting":0},
             "rates":{"reply":{"num":4,"den":5},"onTime":{"num":2,"den":5},"communication":{"num":2,"den":3},
                      "faceToFace":{"num":1,"den":3},"satisfaction":{"num":2,"den":3},"satisfied":{"num":1,"den":3}},
             "categories":{"A":2,"B":0,"C":1,"D":0},"overdue":1,
             "itemsByRole":{"sole":2,"lead":2,"split":0,"cooperating":1,"assisting":0},"key":0,"followUp":{"wasB":1,"nowA":0},
             "satisfactionApart":{"work":{"num":0,"den":0},"result":{"num":0,"den":0}}}
            """)
        #expect(json == expected, "\(json.canonicalJSON)")
        let text = try cli.ok(h(["report", "--year", "2025", "--unit", "jxj"]))
        #expect(text.contains("2025年，市经信局共承办人大代表建议3件、政协提案2件，其中独办2件、主办2件、会办1件。"))
        #expect(text.contains("办复率80%（4/5）") && text.contains("满意率66.7%（2/3）") && text.contains("按期办复率40%（2/5）"))
        let md = try cli.ok(h(["report", "--year", "2025", "--unit", "jxj", "--format", "md"]))
        #expect(md.contains("| 沟通率 | 66.7% | 2/3 |"))
        let csv = try cli.ok(h(["report", "--year", "2025", "--unit", "jxj", "--format", "csv"]))
        #expect(csv.hasPrefix("\u{FEFF}") && csv.contains("面商率,1,3,33.3%"))
        // Filters.
        #expect(try cli.ok(h(["item", "list", "--overdue", "--unit", "jxj", "--json"])).contains("rd-2025-5"))
        #expect(!(try cli.ok(h(["item", "list", "--role", "会办", "--json"])).contains("rd-2025-2")))
        #expect(try cli.ok(h(["item", "list", "--kind", "提案", "--unit", "jxj"])).split(separator: "\n").count == 3)
        let soon = try BanliProcess(directory: cli.directory, environment: ["BANLI_TODAY": "2025-06-15"])
            .ok(h(["item", "list", "--due-within", "7d", "--json"]))
        #expect(soon.contains("rd-2025-5") && !soon.contains("rd-2025-1\""))
    }

    /// Every out-of-order step is refused with one sentence and changes nothing.
    @Test func outOfOrderStepsAreRefused() throws {
        let cli = try office()
        try item(cli, "zx-2025-90", kind: "提案", [("jxj", "主办"), ("fgw", "会办")])
        try cli.ok(["init", "--site", "jxj", "--name", "市经信局", "--store", "jxj.db"])
        try cli.ok(["init", "--site", "fgw", "--name", "市发改委", "--store", "fgw.db"])
        let dump = try cli.ok(["dump", "--json", "--store", "hub.db"])
        try cli.ok(["apply", "-", "--store", "jxj.db"], stdin: dump)
        try cli.ok(["apply", "-", "--store", "fgw.db"], stdin: dump)
        let reply = ["item", "reply", "zx-2025-90", "--number", "1号", "--category", "A", "--text", "答复", "--at", "2025-06-01"]
        let cases: [(store: String, args: [String], mentions: String)] = [
            ("jxj", reply, "单位 jxj 尚未签收事项 zx-2025-90，「答复」要在签收之后；请先用 banli item accept zx-2025-90 签收。"),
            ("jxj", ["item", "contact", "zx-2025-90", "--method", "phone"], "「沟通记录」要在签收之后"),
            ("fgw", ["item", "opinion", "zx-2025-90", "--text", "意见"], "单位 fgw 尚未签收事项 zx-2025-90"),
            ("jxj", ["item", "feedback", "zx-2025-90", "jxj", "--evaluation", "满意"], "only the office"),
            ("jxj", ["item", "close", "zx-2025-90"], "only the office"),
            ("jxj", ["item", "accept", "zx-2025-90", "--unit", "fgw"], "acts only for itself"),
            ("hub", ["item", "feedback", "zx-2025-90", "jxj", "--evaluation", "满意"], "征询意见表要在答复之后录入"),
            ("hub", ["item", "rehandle", "zx-2025-90", "jxj"], "不满意"),
            ("hub", ["item", "close", "zx-2025-90"], "会办意见都到齐后才能办结"),
            ("hub", ["item", "category", "zx-2025-90", "jxj", "A"], "还没有可审定的答复类别"),
            ("hub", ["item", "extend", "zx-2025-90", "jxj", "--due", "2025-05-01"], "不晚于现在的时限"),
            ("hub", ["item", "accept", "zx-2025-90"], "--unit"),
            ("jxj", ["item", "accept", "rd-2025-404"], "holds no item"),
        ]
        try checkRefusals(cli, cases)
        // Signed for: now the role rules.
        try cli.ok(["item", "accept", "zx-2025-90", "--at", "2025-03-25", "--store", "jxj.db"])
        try cli.ok(["item", "accept", "zx-2025-90", "--at", "2025-03-26", "--store", "fgw.db"])
        try checkRefusals(cli, [
            ("jxj", ["item", "accept", "zx-2025-90"], "banli: 事项 zx-2025-90 已于 2025-03-25 签收，不必再签收；办理情况见 banli item show zx-2025-90。"),
            ("fgw", reply, "提出会办意见，由主办单位答复"),
            ("jxj", ["item", "opinion", "zx-2025-90", "--text", "意见"], "应当答复，不提出会办意见"),
            ("jxj", ["item", "track", "zx-2025-90", "--text", "跟踪"], "尚未答复，B类跟踪落实在答复之后"),
            ("jxj", ["item", "reply", "zx-2025-90", "--number", "1号", "--category", "E", "--text", "答复"], "replyCategory"),
            ("jxj", ["item", "reply", "zx-2025-90", "--number", "1号", "--category", "A", "--text", "答复", "--at", "2025-03-01"],
             "早于事项 zx-2025-90 的签收日期 2025-03-25"),
        ])
        try cli.ok(reply + ["--store", "jxj.db"])
        try checkRefusals(cli, [
            ("jxj", reply, "再次答复须先由交办机关决定重新办理"),
            ("jxj", ["item", "track", "zx-2025-90", "--text", "跟踪"], "B类跟踪落实只用于B类答复"),
            ("jxj", ["item", "return", "zx-2025-90", "--reason", "不属于我局"], "申请调整只能在答复之前"),
        ])
    }

    func checkRefusals(_ cli: BanliProcess, _ cases: [(store: String, args: [String], mentions: String)]) throws {
        for c in cases {
            let before = try cli.ok(["dump", "--json", "--store", "\(c.store).db"])
            let r = try cli.run(c.args + ["--store", "\(c.store).db"])
            #expect(r.status != 0, "\(c.args) should be refused")
            #expect(r.stderr.hasPrefix("banli: ") && r.stderr.split(separator: "\n").count == 1, "\(c.args): \(r.stderr)")
            #expect(r.stderr.contains(c.mentions), "\(c.args): \(r.stderr)")
            #expect(try cli.ok(["dump", "--json", "--store", "\(c.store).db"]) == before, "\(c.args) changed the store")
        }
    }

    /// `banli demo` replays seed report 000's year across a real hub and three daemons; every figure
    /// of its report is checked against the report's own account (答复率、满意率均为100%).
    @Test func demoReplaysTheSeedYearThroughSync() throws {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory())
        let r = try cli.run(["demo"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        guard let line = r.stdout.split(separator: "\n").first(where: { $0.hasPrefix("The stores, tokens and logs are in ") }) else {
            Issue.record("no stores line in the demo output: \(r.stdout.suffix(2000))")
            return
        }
        let dir = String(line.dropFirst("The stores, tokens and logs are in ".count).dropLast())
        // The workbench was up at the office and at 市经信局, with a demo login printed for each.
        #expect(r.stdout.contains("login office / banli-demo-2025") && r.stdout.contains("login clerk / banli-demo-2025"), "\(r.stdout.suffix(1500))")
        for log in ["hub-web.log", "jxj-web.log"] {
            let text = (try? String(contentsOfFile: dir + "/" + log, encoding: .utf8)) ?? ""
            #expect(text.contains("listening"), "\(log): \(text)")
        }
        let at = BanliProcess(directory: dir, environment: ["BANLI_TODAY": "2025-11-30"])
        let expected = try JSONValue.parse("""
            {"unit":"jxj","year":2025,"items":5,"byKind":{"suggestion":3,"proposal":2},
             "byRole":{"sole":4,"lead":1,"split":0,"cooperating":0,"assisting":0},
             "rates":{"reply":{"num":5,"den":5},"onTime":{"num":4,"den":5},"communication":{"num":5,"den":5},
                      "faceToFace":{"num":4,"den":5},"satisfaction":{"num":5,"den":5},"satisfied":{"num":5,"den":5}},
             "categories":{"A":3,"B":2,"C":0,"D":0},"overdue":0,
             "itemsByRole":{"sole":4,"lead":1,"split":0,"cooperating":0,"assisting":0},"key":0,"followUp":{"wasB":2,"nowA":0},
             "satisfactionApart":{"work":{"num":0,"den":0},"result":{"num":0,"den":0}}}
            """)
        for store in ["hub", "jxj"] {
            let json = try JSONValue.parse(at.ok(["report", "--year", "2025", "--unit", "jxj", "--format", "json", "--store", "\(store).db"]))
            #expect(json == expected, "\(store): \(json.canonicalJSON)")
        }
        // Every item is 办结 at every unit: each store lists each assignment it holds as closed, and
        // each unit holds every assignment the hub gave it.
        func rows(_ store: String) throws -> [(id: String, unit: String, stage: String)] {
            guard case .array(let list) = try JSONValue.parse(at.ok(["item", "list", "--json", "--store", "\(store).db"])) else { return [] }
            return list.map { row in
                guard case .object(let o) = row else { return ("?", "?", "not an object: \(row.canonicalJSON)") }
                let stage: String? = if case .object(let st)? = o["status"] { st["stage"]?.stringValue } else { nil }
                return (o["id"]?.stringValue ?? "?", o["unit"]?.stringValue ?? "?", stage ?? "no stage in \(row.canonicalJSON)")
            }
        }
        let atHub = try rows("hub")
        #expect(atHub.count >= 5, "the hub lists the year's assignments: \(atHub)")
        for store in ["hub", "jxj", "fgw", "swj"] {
            let here = store == "hub" ? atHub : try rows(store)
            for row in here { #expect(row.stage == "closed", "\(store): \(row.id) at \(row.unit) is \(row.stage)") }
            if store != "hub" {
                let own = Set(here.filter { $0.unit == store }.map(\.id))
                #expect(!own.isEmpty && own == Set(atHub.filter { $0.unit == store }.map(\.id)), "\(store) holds every item assigned to it")
            }
        }
        #expect(r.stdout.contains("办复率100%（5/5）") && r.stdout.contains("满意率100%（5/5）"))
    }
}
