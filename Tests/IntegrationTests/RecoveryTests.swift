import BanliCore
import BanliProtocol
import BanliStore
import BanliSync
import Foundation
import Testing

/// Restores from backups: nothing any live store holds is lost, no dot is reused, forgery stays refused.
@Suite(.serialized) struct RecoveryTests {
    func copyStore(_ c: Cluster, _ name: String, to suffix: String) throws {
        for ext in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: c.dir + "/\(name).db\(ext)") {
            try? FileManager.default.removeItem(atPath: c.dir + "/\(name).db\(ext)\(suffix)")
            try FileManager.default.copyItem(atPath: c.dir + "/\(name).db\(ext)", toPath: c.dir + "/\(name).db\(ext)\(suffix)")
        }
    }

    func restoreStore(_ c: Cluster, _ name: String, from suffix: String) throws {
        for ext in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: c.dir + "/\(name).db\(ext)")
            if FileManager.default.fileExists(atPath: c.dir + "/\(name).db\(ext)\(suffix)") {
                try FileManager.default.copyItem(atPath: c.dir + "/\(name).db\(ext)\(suffix)", toPath: c.dir + "/\(name).db\(ext)")
            }
        }
    }

    func setUp(_ c: Cluster) throws {
        try c.cli.ok(["item", "new", "zx-2025-90", "--kind", "proposal", "--number", "90", "--year", "2025", "--title", "提案90"] + c.atHub)
        try c.cli.ok(["item", "assign", "zx-2025-90", "jxj", "--role", "lead", "--at", "2025-03-20"] + c.atHub)
        try c.cli.ok(["item", "assign", "zx-2025-90", "fgw", "--role", "cooperating"] + c.atHub)
        try c.sync("jxj")
        try c.sync("fgw")
    }

    /// After a hub restore, bureaus hold dots the hub no longer knows, including the hub's own. The hub
    /// takes back each unit's own writes from that unit and its own authenticated writes from anyone,
    /// while a forged hub write is still refused.
    @Test(arguments: HubBackend.allCases) func hubRestoredFromAnOldBackupLosesNothingAndStillRefusesForgery(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj", "fgw"], backend: backend)
        try c.startHub()
        try setUp(c)
        c.stopHub()
        try c.backUpHub(as: "hub.bak")
        try c.startHub()

        // After the backup: the office retitles 90 and assigns a new item; the units answer.
        try c.cli.ok(["item", "set", "zx-2025-90", "title", "关于促进民营经济高质量发展的提案"] + c.atHub)
        try c.cli.ok(["item", "new", "zx-2025-91", "--kind", "proposal", "--number", "91", "--year", "2025", "--title", "提案91"] + c.atHub)
        try c.cli.ok(["item", "assign", "zx-2025-91", "jxj", "--role", "sole"] + c.atHub)
        try c.sync("jxj")
        try c.cli.ok(["item", "set", "zx-2025-90", "replyText", "答复全文", "--store", "jxj.db"])
        try c.cli.ok(["item", "set", "zx-2025-91", "acceptedAt", "2025-03-25", "--store", "jxj.db"])
        try c.cli.ok(["item", "set", "zx-2025-90", "opinion", "会办意见", "--store", "fgw.db"])
        try c.sync("jxj")
        try c.sync("fgw")
        try c.sync("jxj")
        let maxHubCounterSeen = try c.store("jxj").allFields().flatMap(\.state.siblings).filter { $0.site == "hub" }.map(\.counter).max()!

        // Disaster: the hub comes back from the old backup.
        c.stopHub()
        try c.restoreHub(from: "hub.bak")
        try c.startHub()
        defer { c.stopHub() }
        #expect(try c.value("hub", "item/zx-2025-91", "title") == nil, "the backup predates item 91")

        let out = try c.sync("jxj")
        #expect(out.contains("offered again"))
        try c.sync("fgw")
        #expect(try c.value("hub", "item/zx-2025-90", "title") == .string("关于促进民营经济高质量发展的提案"),
                "the hub's own write came back from a bureau")
        #expect(try c.value("hub", "item/zx-2025-91", "title") == .string("提案91"))
        #expect(try c.value("hub", "assignment/zx-2025-91/jxj", "role") == .string("sole"))
        #expect(try c.value("hub", "assignment/zx-2025-90/jxj", "replyText") == .string("答复全文"))
        #expect(try c.value("hub", "assignment/zx-2025-91/jxj", "acceptedAt") == .string("2025-03-25"))
        #expect(try c.value("hub", "assignment/zx-2025-90/fgw", "opinion") == .string("会办意见"), "fgw pushed its own write again")
        #expect(try JSONValue.parse(c.cli.ok(["status", "--json", "--store", "jxj.db"])).canonicalJSON.contains(#""rejected":[]"#),
                "relayed copies of fgw's writes are not the clerk's problem")

        // A new office write after the restore never reuses a dot.
        let w = try c.records("hub").write(.item(id: "zx-2025-90"), "supervisor", .string("杨早容"))
        #expect(w.dot.counter > maxHubCounterSeen)

        // Forgery is still refused: a hub dot without a valid tag, and one with a tag copied from another write.
        let jxj = CurlTransport(baseURL: c.hubURL, token: try c.token("jxj"))
        let genuine = try #require(try c.store("jxj").field(.item(id: "zx-2025-90"), "title")?.state.siblings.first)
        let forged = #"{"entity":"item/zx-2025-90","field":"title","#
            + #""siblings":[{"value":"伪造","site":"hub","counter":\#(genuine.counter + 1),"sig":"\#(genuine.sig ?? "")"}],"#
            + #""context":{"hub":\#(genuine.counter + 1)}}"#
        let r = try jxj.post("/v1/sync", json: #"{"protocol":1,"site":"jxj","cursor":0,"changes":[\#(forged)]}"#)
        let response = try SyncResponse(bytes: r.body)
        #expect(response.rejected.first?.reason.contains("no valid hub signature") == true)
        #expect(try c.value("hub", "item/zx-2025-90", "title") == .string("关于促进民营经济高质量发展的提案"))

        // Everyone converges.
        for u in ["jxj", "fgw", "jxj", "fgw"] { try c.sync(u) }
        let hubDump = try c.dump("hub", item: "zx-2025-90")
        #expect(try c.dump("jxj", item: "zx-2025-90") == hubDump)
        #expect(try c.dump("fgw", item: "zx-2025-90") == hubDump)
    }

    /// A bureau that only pulled since the backup still gives the restored hub back the office's own writes.
    @Test(arguments: HubBackend.allCases) func hubRestoreRecoversOfficeWritesFromABureauThatOnlyPulled(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj", "fgw"], backend: backend)
        try c.startHub()
        try setUp(c)
        c.stopHub()
        try c.backUpHub(as: "hub.bak")
        try c.startHub()
        try c.cli.ok(["item", "set", "zx-2025-90", "title", "改后的标题"] + c.atHub)
        try c.cli.ok(["item", "extend", "zx-2025-90", "fgw", "--due", "2025-06-30"] + c.atHub)
        try c.sync("fgw")
        c.stopHub()
        try c.restoreHub(from: "hub.bak")
        try c.startHub()
        defer { c.stopHub() }
        #expect(try c.value("hub", "item/zx-2025-90", "title") == .string("提案90"))
        let out = try c.sync("fgw")
        #expect(out.contains("offered again"))
        #expect(try c.value("hub", "item/zx-2025-90", "title") == .string("改后的标题"))
        #expect(try c.value("hub", "assignment/zx-2025-90/fgw", "opinionDueAt") == .string("2025-06-30"))
        try c.sync("fgw")
        #expect(try c.dump("fgw", item: "zx-2025-90") == c.dump("hub", item: "zx-2025-90"))
    }

    /// Every command signs with the key file the hub store was created with.
    @Test func hubKeyFileCannotSilentlyChange() throws {
        let c = try Cluster(units: ["jxj"])
        try "key_file = \"other.key\"\n".write(toFile: c.dir + "/other.toml", atomically: true, encoding: .utf8)
        let r = try c.cli.run(["--config", "other.toml", "item", "new", "rd-2025-1", "--kind", "建议", "--number", "1", "--year", "2025",
                               "--title", "t"] + c.atHub)
        #expect(r.status != 0 && r.stderr.contains("hub.db.key") && r.stderr.contains("other.key"), "\(r.stderr)")
    }

    @Test(arguments: HubBackend.allCases) func hubWhoseStoreWasDeletedIsRebuiltFromTheBureaus(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj", "fgw"], backend: backend)
        try c.startHub()
        try setUp(c)
        try c.cli.ok(["item", "set", "zx-2025-90", "replyText", "答复全文", "--store", "jxj.db"])
        try c.sync("jxj")
        c.stopHub()
        try c.loseHub()
        // The operator makes a new hub store (the key file was kept) and re-registers the units.
        try c.cli.ok(["hub", "init", "--name", "市政府督查室"] + c.atHub)
        for u in ["jxj", "fgw"] {
            try FileManager.default.removeItem(atPath: c.dir + "/\(u).token")
            try c.cli.ok(["hub", "add-unit", u, "--name", "单位\(u)", "--token-file", "\(u).token"] + c.atHub)
        }
        try c.startHub()
        defer { c.stopHub() }
        try c.sync("jxj")
        try c.sync("fgw")
        #expect(try c.value("hub", "item/zx-2025-90", "title") == .string("提案90"))
        #expect(try c.value("hub", "assignment/zx-2025-90/fgw", "role") == .string("cooperating"))
        #expect(try c.value("hub", "assignment/zx-2025-90/jxj", "replyText") == .string("答复全文"))
    }

    @Test(arguments: HubBackend.allCases) func bureauRestoredFromABackupGetsItsWritesBackAndNeverReusesADot(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj"], backend: backend)
        try c.startHub()
        defer { c.stopHub() }
        try c.cli.ok(["item", "new", "rd-2025-39", "--kind", "suggestion", "--number", "39", "--year", "2025", "--title", "建议39"] + c.atHub)
        try c.cli.ok(["item", "assign", "rd-2025-39", "jxj", "--role", "lead"] + c.atHub)
        try c.sync("jxj")
        try copyStore(c, "jxj", to: ".bak")
        try c.cli.ok(["item", "set", "rd-2025-39", "replyText", "已答复", "--store", "jxj.db"])
        try c.sync("jxj")
        let lost = try #require(try c.records("hub").field(.assignment(item: "rd-2025-39", site: "jxj"), "replyText")?.state.siblings.first)

        try restoreStore(c, "jxj", from: ".bak")
        #expect(try c.value("jxj", "assignment/rd-2025-39/jxj", "replyText") == nil)
        try c.sync("jxj")
        #expect(try c.value("jxj", "assignment/rd-2025-39/jxj", "replyText") == .string("已答复"), "the hub gave the restored bureau its write back")
        let w = try c.store("jxj").write(.assignment(item: "rd-2025-39", site: "jxj"), "progress", .string("继续跟踪"))
        #expect(w.dot.counter > lost.counter, "no dot is reused after a restore")
        try c.sync("jxj")
        #expect(try c.value("hub", "assignment/rd-2025-39/jxj", "progress") == .string("继续跟踪"))
        #expect(try c.dump("jxj", item: "rd-2025-39") == c.dump("hub", item: "rd-2025-39"))
    }
}
