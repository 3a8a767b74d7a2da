import BanliCore
import BanliProtocol
import Foundation
import Testing

/// Hub and two bureau stores exchanging `dump --json | apply` through the real binary.
@Suite struct OfflineExchangeTests {
    let cli: BanliProcess

    init() throws {
        cli = BanliProcess(directory: try BanliProcess.temporaryDirectory())
        try cli.ok(["hub", "init", "--store", "hub.db", "--name", "市政府督查室"])
        try cli.ok(["hub", "add-unit", "jxj", "--name", "市经信局", "--store", "hub.db", "--token-file", "jxj.token"])
        try cli.ok(["--store", "hub.db", "hub", "add-unit", "fgw", "--name", "市发改委", "--token-file", "fgw.token"])
        try cli.ok(["init", "--site", "jxj", "--name", "市经信局", "--store", "jxj.db"])
        try cli.ok(["init", "--site", "fgw", "--name", "市发改委", "--store", "fgw.db"])
        try cli.ok(["item", "new", "zx-2025-90", "--kind", "提案", "--number", "90", "--year", "2025",
                    "--title", "关于促进民营经济发展的提案", "--proposer", "程玮", "--proposer", "王秋红", "--store", "hub.db"])
        try cli.ok(["item", "assign", "zx-2025-90", "jxj", "--role", "主办", "--at", "2025-03-20", "--store", "hub.db"])
        try cli.ok(["item", "assign", "zx-2025-90", "fgw", "--role", "会办", "--store", "hub.db"])
    }

    /// Sends every state of `from` to `to`, as a person would carry a file.
    func exchange(_ from: String, _ to: String) throws {
        let dump = try cli.ok(["dump", "--json", "--store", from])
        try cli.ok(["apply", "-", "--store", to], stdin: dump)
    }

    /// The siblings of one field at one store, as (site, value) pairs sorted by site.
    func siblings(_ store: String, _ entity: String, _ field: String) throws -> [String] {
        let lines = try cli.ok(["dump", "--json", "--store", store]).split(separator: "\n")
        for line in lines {
            let f = try ReplicatedField(jsonLine: String(line))
            if f.entity.description == entity && f.field == field {
                return f.state.siblings.map { "\($0.site)=\($0.value.displayText)" }.sorted()
            }
        }
        return []
    }

    @Test func tokenFilesArePrivate() throws {
        let attrs = try FileManager.default.attributesOfItem(atPath: cli.directory + "/jxj.token")
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let token = try String(contentsOfFile: cli.directory + "/jxj.token", encoding: .utf8)
        #expect(token.hasPrefix("bnl_"))
    }

    @Test func siblingsFollowTheCausalRuleAtEveryStepAndConverge() throws {
        let a = "assignment/zx-2025-90/jxj"
        try exchange("hub.db", "jxj.db")
        try exchange("hub.db", "fgw.db")

        // jxj replies with category B; the hub, offline, records A on its behalf (代录). Concurrent.
        try cli.ok(["item", "set", "zx-2025-90", "replyCategory", "B", "--store", "jxj.db"])
        try cli.ok(["item", "set", "zx-2025-90", "replyCategory", "已解决或基本解决", "--unit", "jxj", "--store", "hub.db"])
        #expect(try siblings("jxj.db", a, "replyCategory") == ["jxj=B"])
        #expect(try siblings("hub.db", a, "replyCategory") == ["hub=A"])

        // The hub learns jxj's write: both are kept.
        try exchange("jxj.db", "hub.db")
        #expect(try siblings("hub.db", a, "replyCategory") == ["hub=A", "jxj=B"])
        let show = try cli.ok(["item", "show", "zx-2025-90", "--json", "--store", "hub.db"])
        #expect(show.contains(#""replyCategory":"B""#))  // the unit is the natural author: its value shows
        #expect(try cli.ok(["conflicts", "--store", "hub.db"]).contains("replyCategory"))

        // fgw relays the hub's state to jxj's old copy out of order; jxj then sees the conflict too.
        try exchange("hub.db", "fgw.db")
        try exchange("fgw.db", "jxj.db")
        #expect(try siblings("jxj.db", a, "replyCategory") == ["hub=A", "jxj=B"])
        #expect(try siblings("fgw.db", a, "replyCategory") == ["hub=A", "jxj=B"])

        // Applying the same file twice changes nothing.
        let before = try cli.ok(["dump", "--json", "--store", "jxj.db"])
        try exchange("fgw.db", "jxj.db")
        #expect(try cli.ok(["dump", "--json", "--store", "jxj.db"]) == before)

        // jxj resolves it, having seen both; once that reaches the hub, the conflict is gone there too.
        let resolved = try cli.ok(["resolve", a, "replyCategory", "A", "--store", "jxj.db"])
        #expect(resolved.contains("resolves a conflict of 2 values"))
        #expect(try siblings("jxj.db", a, "replyCategory") == ["jxj=A"])
        // Meanwhile the hub, not yet knowing, still shows both.
        #expect(try siblings("hub.db", a, "replyCategory") == ["hub=A", "jxj=B"])
        try exchange("jxj.db", "hub.db")
        #expect(try siblings("hub.db", a, "replyCategory") == ["jxj=A"])
        #expect(try cli.ok(["conflicts", "--json", "--store", "hub.db"]) == "[]\n")

        // Full exchange: all three stores hold identical dumps.
        for (x, y) in [("jxj.db", "hub.db"), ("fgw.db", "hub.db"), ("hub.db", "jxj.db"), ("hub.db", "fgw.db")] {
            try exchange(x, y)
        }
        let dumps = try ["hub.db", "jxj.db", "fgw.db"].map { try cli.ok(["dump", "--json", "--store", $0]) }
        #expect(dumps[0] == dumps[1] && dumps[1] == dumps[2])
        #expect(dumps[0].split(separator: "\n").count > 10)
    }

    /// Every bad input exits non-zero with one sentence on stderr and leaves the store as it was.
    @Test func badInputIsRefusedAndChangesNothing() throws {
        try exchange("hub.db", "jxj.db")
        let good = try cli.ok(["dump", "--json", "--store", "hub.db"]).split(separator: "\n").map(String.init)
        let corrupt = good[0] + "\n" + "{\"entity\":\"item/zx-2025-90\",\"field\":\"title\",\"siblings\":[{\"value\":\"x\"" + "\n" + good[1]
        try corrupt.write(toFile: cli.directory + "/corrupt.jsonl", atomically: true, encoding: .utf8)
        let future = #"{"entity":"item/zx-2025-91","field":"title","value":"x","#
            + #""siblings":[{"value":"x","site":"hub","counter":999999999999999999}],"context":{"hub":999999999999999999}}"#
        try (future + "\n").write(toFile: cli.directory + "/future.jsonl", atomically: true, encoding: .utf8)

        let cases: [(args: [String], mentions: String)] = [
            (["item", "set", "zx-2025-90", "nonsense", "1"], "not a Banli field"),
            (["item", "set", "zx-2025-90", "replyCategory", "E"], "replyCategory"),
            (["item", "set", "zx-2025-90", "replyAt", "2025-02-30"], "date"),
            (["item", "set", "zx-2025-90", "title", "新标题"], "written by the office"),
            (["item", "set", "zx-2025-90", "replyText", "代答", "--unit", "fgw"], "own rows"),
            (["item", "set", "ZX/../x", "progress", "x"], "not a valid item id"),
            (["item", "set", "zx-2025-90", "progress", "x", "--unit", "x;drop"], "not a valid site name"),
            (["item", "set", "zx-2025-90", "method", "phone"], "--contact"),
            (["item", "new", "zx-2025-99", "--kind", "proposal", "--number", "99", "--year", "2025", "--title", "t"], "written by the office"),
            (["apply", "corrupt.jsonl"], "line 2"),
            (["apply", "future.jsonl"], "5 minutes"),
            (["apply", "missing.jsonl"], "Cannot read"),
            (["resolve", "assignment/zx-2025-90", "replyCategory", "A"], "entity key"),
            (["conflicts", "--store", "nowhere.db"], "No store at"),
        ]
        let before = try cli.ok(["dump", "--json", "--store", "jxj.db"])
        for c in cases {
            let args = c.args.contains("--store") ? c.args : c.args + ["--store", "jxj.db"]
            let r = try cli.run(args)
            #expect(r.status != 0, "\(c.args) should fail")
            #expect(r.stderr.hasPrefix("banli: "), "\(c.args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(c.args): one sentence, got \(r.stderr)")
            #expect(r.stderr.contains(c.mentions), "\(c.args): \(r.stderr)")
        }
        #expect(try cli.ok(["dump", "--json", "--store", "jxj.db"]) == before)
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/nowhere.db"))

        // The hub may not create an item twice, nor assign to an unknown unit.
        let hubBefore = try cli.ok(["dump", "--json", "--store", "hub.db"])
        #expect(try cli.run(["item", "new", "zx-2025-90", "--kind", "proposal", "--number", "90", "--year", "2025", "--title", "t",
                             "--store", "hub.db"]).status != 0)
        #expect(try cli.run(["item", "assign", "zx-2025-90", "nobody", "--role", "lead", "--store", "hub.db"]).status != 0)
        #expect(try cli.run(["item", "assign", "zx-2025-90", "jxj", "--role", "boss", "--store", "hub.db"]).status != 0)
        #expect(try cli.ok(["dump", "--json", "--store", "hub.db"]) == hubBefore)
    }

    @Test func listAndShowReadLikeALedger() throws {
        let list = try cli.ok(["item", "list", "--store", "hub.db"])
        #expect(list.contains("关于促进民营经济发展的提案") && list.contains("主办") && list.contains("会办") && list.contains("待签收"))
        let json = try JSONValue.parse(try cli.ok(["item", "list", "--json", "--store", "hub.db"]))
        guard case .array(let rows) = json else { Issue.record("not an array"); return }
        #expect(rows.count == 2)
        let overdue = try BanliProcess(directory: cli.directory, environment: ["BANLI_TODAY": "2025-07-01"])
            .ok(["item", "list", "--overdue", "--json", "--store", "hub.db"])
        #expect(overdue.contains(#""unit":"jxj""#) && overdue.contains(#""unit":"fgw""#))
        let notYet = try BanliProcess(directory: cli.directory, environment: ["BANLI_TODAY": "2025-04-01"])
            .ok(["item", "list", "--overdue", "--json", "--store", "hub.db"])
        #expect(notYet == "[]\n")
    }
}
