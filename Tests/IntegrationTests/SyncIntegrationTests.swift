import BanliCore
import BanliProtocol
import BanliStore
import BanliSync
import Foundation
import Testing

/// A real hub process and real bureau stores exchanging over HTTP on loopback.
@Suite(.serialized) struct SyncIntegrationTests {
    /// Creates item `id` at the hub and assigns it.
    func newItem(_ c: Cluster, _ id: String, number: Int, assign: [(String, String)]) throws {
        // The kind the id names (rd- 建议, zx- 提案): a contradicting --kind is refused since issue 15.
        try c.cli.ok(["item", "new", id, "--kind", id.hasPrefix("rd-") ? "suggestion" : "proposal", "--number", "\(number)", "--year", "2025",
                      "--title", "提案\(number)", "--proposer", "程玮"] + c.atHub)
        for (unit, role) in assign {
            try c.cli.ok(["item", "assign", id, unit, "--role", role, "--at", "2025-03-20"] + c.atHub)
        }
    }

    @Test(arguments: HubBackend.allCases) func concurrentEditsConvergeAndTheConflictIsVisibleEverywhere(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj", "fgw", "swj"], backend: backend)
        try c.startHub()
        defer { c.stopHub() }
        try newItem(c, "zx-2025-90", number: 90, assign: [("jxj", "lead"), ("fgw", "cooperating"), ("swj", "cooperating")])
        for u in ["jxj", "fgw", "swj"] { try c.sync(u) }

        // Offline, the lead unit and the office (代录) record different progress; a cooperating unit gives its opinion.
        try c.cli.ok(["item", "set", "zx-2025-90", "progress", "已召开座谈会", "--store", "jxj.db"])
        try c.cli.ok(["item", "set", "zx-2025-90", "progress", "代录：已走访", "--unit", "jxj"] + c.atHub)
        try c.cli.ok(["item", "set", "zx-2025-90", "opinion", "同意主办单位意见", "--store", "fgw.db"])
        let out = try c.sync("jxj")
        #expect(out.contains("1 new conflicts"))
        for u in ["fgw", "swj", "jxj"] { try c.sync(u) }

        let entity = "assignment/zx-2025-90/jxj"
        for store in ["hub", "jxj", "fgw", "swj"] {
            let conflicts = try JSONValue.parse(c.cli.ok(["conflicts", "--json"] + c.at(store)))
            guard case .array(let list) = conflicts, list.count == 1, case .object(let o) = list[0] else {
                Issue.record("\(store): expected one conflict, got \(conflicts.canonicalJSON)")
                continue
            }
            #expect(o["entity"] == .string(entity) && o["field"] == .string("progress"))
            #expect(o["value"] == .string("已召开座谈会"), "\(store): the unit's own value is shown")
            let siblings: [JSONValue]? = if case .array(let list)? = o["siblings"] { list } else { nil }
            #expect(siblings?.count == 2, "\(store): both concurrent values are listed: \(o)")
            #expect(try c.value(store, "assignment/zx-2025-90/fgw", "opinion") == .string("同意主办单位意见"))
        }
        let hubDump = try c.dump("hub", item: "zx-2025-90")
        for u in ["jxj", "fgw", "swj"] { #expect(try c.dump(u, item: "zx-2025-90") == hubDump, "\(u) converged") }

        // Resolving at the unit reaches everyone.
        try c.cli.ok(["resolve", entity, "progress", "已召开座谈会并走访", "--store", "jxj.db"])
        for u in ["jxj", "fgw", "swj"] { try c.sync(u) }
        for store in ["hub", "jxj", "fgw", "swj"] {
            #expect(try c.cli.ok(["conflicts", "--json"] + c.at(store)) == "[]\n", "\(store)")
        }
    }

    /// Both plans of the replication filter (walking changes, or finding them from the unit's items) send the same.
    @Test(arguments: HubBackend.allCases, ["seq", "items"])
    func partialReplicationLateAssignmentAndReassignmentAway(backend: HubBackend, plan: String) throws {
        let c = try Cluster(units: ["jxj", "fgw"], backend: backend)
        c.environment["BANLI_PULL_PLAN"] = plan
        try c.startHub()
        defer { c.stopHub() }
        try newItem(c, "rd-2025-39", number: 39, assign: [("jxj", "sole")])
        try newItem(c, "rd-2025-65", number: 65, assign: [("fgw", "lead")])
        try c.sync("jxj")
        try c.sync("fgw")
        #expect(try c.dump("jxj", item: "rd-2025-65").isEmpty, "jxj must not see an item it is not assigned")
        #expect(try c.dump("fgw", item: "rd-2025-39").isEmpty)
        #expect(try c.value("jxj", "unit/fgw", "name") == .string("单位fgw"), "the directory reaches everyone")

        // fgw works on 65 for a while; much later the office adds jxj as cooperating unit.
        try c.cli.ok(["item", "set", "rd-2025-65", "acceptedAt", "2025-03-22", "--store", "fgw.db"])
        try c.cli.ok(["item", "set", "rd-2025-65", "at", "2025-04-11", "--contact", "1", "--store", "fgw.db"])
        try c.cli.ok(["item", "set", "rd-2025-65", "method", "上门走访", "--contact", "1", "--store", "fgw.db"])
        try c.sync("fgw")
        for i in 0..<30 { try c.cli.ok(["item", "set", "rd-2025-39", "progress", "进展\(i)", "--store", "jxj.db"]) }
        try c.sync("jxj")
        try c.cli.ok(["item", "assign", "rd-2025-65", "jxj", "--role", "会办"] + c.atHub)
        try c.sync("jxj")
        let whole = try c.dump("hub", item: "rd-2025-65")
        #expect(try c.dump("jxj", item: "rd-2025-65") == whole, "a unit assigned later receives the whole item")
        #expect(try c.value("jxj", "contact/rd-2025-65/fgw/1", "method") == .string("visit"))

        // The office reassigns 39 away from jxj while jxj, not told yet, still writes to it: the hub refuses that
        // write and jxj keeps it visible locally; jxj receives active=false and nothing newer.
        try c.cli.ok(["item", "set", "rd-2025-39", "active", "否", "--unit", "jxj"] + c.atHub)
        try c.cli.ok(["item", "set", "rd-2025-39", "progress", "仍在办理", "--store", "jxj.db"])
        let out = try c.sync("jxj")
        #expect(out.contains("1 rejected") && out.contains("reassigned away"))
        #expect(try c.value("jxj", "assignment/rd-2025-39/jxj", "active") == .bool(false))
        try c.cli.ok(["item", "set", "rd-2025-39", "title", "改后的标题"] + c.atHub)
        try c.sync("jxj")
        #expect(try c.value("jxj", "item/rd-2025-39", "title") == .string("提案39"))
        // Once jxj knows (issue 15: item set obeys the workflow), it refuses such a write itself.
        #expect(try c.cli.run(["item", "set", "rd-2025-39", "progress", "再次", "--store", "jxj.db"]).stderr.contains("单位 jxj 已被调整出事项 rd-2025-39"))
        #expect(try c.value("hub", "assignment/rd-2025-39/jxj", "progress") == .string("进展29"))
        let status = try c.cli.ok(["status", "--store", "jxj.db"])
        #expect(status.contains("reassigned away") && status.contains("该事项现在不由本单位承办，交办机关未接受这项修改"), "\(status)")
        #expect(try c.store("jxj").rejectedWrites().first?.kind == .access, "the store keeps the refusal's class")
        #expect(try c.value("jxj", "assignment/rd-2025-39/jxj", "progress") == .string("仍在办理"))
    }

    @Test(arguments: HubBackend.allCases) func forgedUnauthorizedFutureAndMalformedPushesAreRefused(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj", "fgw"], hubConfig: "max_body_bytes = 65536\n", backend: backend)
        try c.startHub()
        defer { c.stopHub() }
        try newItem(c, "zx-2025-90", number: 90, assign: [("jxj", "lead"), ("fgw", "cooperating")])
        try newItem(c, "zx-2025-30", number: 30, assign: [("fgw", "sole")])
        try c.sync("jxj")
        try c.sync("fgw")
        let before = try c.dump("hub")
        let jxj = CurlTransport(baseURL: c.hubURL, token: try c.token("jxj"))
        let now = HybridLogicalClock.wallMilliseconds()
        let c0 = HybridLogicalClock.pack(milliseconds: now)
        func state(_ entity: String, _ field: String, _ value: String, site: String, counter: UInt64) -> String {
            #"{"entity":"\#(entity)","field":"\#(field)","#
                + #""siblings":[{"value":\#(value),"site":"\#(site)","counter":\#(counter)}],"context":{"\#(site)":\#(counter)}}"#
        }
        let changes = [
            state("assignment/zx-2025-90/fgw", "opinion", #""冒充""#, site: "fgw", counter: c0),          // another unit's dot
            state("item/zx-2025-90", "title", #""假标题""#, site: "hub", counter: c0),                    // hub dot without a signature
            state("item/zx-2025-90", "title", #""越权""#, site: "jxj", counter: c0),                      // office field
            state("assignment/zx-2025-90/jxj", "role", #""sole""#, site: "jxj", counter: c0),             // office field of its own row
            state("assignment/zx-2025-30/jxj", "progress", #""x""#, site: "jxj", counter: c0),            // not its item
            state("assignment/zx-2025-90/jxj", "progress", #""未来""#, site: "jxj", counter: c0 + (3_600_000 << 16)),  // an hour ahead
            state("assignment/zx-2025-90/jxj", "replyCategory", #""E""#, site: "jxj", counter: c0),       // bad value
            #"{"entity":"assignment/../x","field":"progress","siblings":[],"context":{}}"#,               // bad entity
            state("assignment/zx-2025-90/jxj", "progress", #""合法""#, site: "jxj", counter: c0),         // the one good change
        ]
        let body = #"{"protocol":1,"site":"jxj","storeId":"ab12","cursor":0,"pushMark":0,"pushThrough":0,"limit":10,"#
            + #""changes":[\#(changes.joined(separator: ","))]}"#
        let r = try jxj.post("/v1/sync", json: body)
        #expect(r.status == 200)
        let response = try SyncResponse(bytes: r.body)
        #expect(response.accepted == 1)
        #expect(response.rejected.count == 8, "\(response.rejected)")
        let reasons = response.rejected.map(\.reason).joined(separator: "\n")
        #expect(reasons.contains("can only be pushed by 'fgw'"))
        #expect(reasons.contains("no valid hub signature"))
        #expect(reasons.contains("written by the office"))
        #expect(reasons.contains("not assigned to unit 'jxj'"))
        #expect(reasons.contains("ahead of the hub's"))
        #expect(reasons.contains("replyCategory"))
        #expect(reasons.contains("not a valid item id"))
        #expect(try c.value("hub", "assignment/zx-2025-90/jxj", "progress") == .string("合法"))
        let after = try c.dump("hub").filter { !$0.contains(#""field":"progress""#) }
        #expect(after == before.filter { !$0.contains(#""field":"progress""#) }, "nothing else changed at the hub")

        // A state that would erase an office value by claiming to have seen it.
        let erase = #"{"entity":"item/zx-2025-90","field":"title","siblings":[],"context":{"hub":\#(c0)}}"#
        let r2 = try jxj.post("/v1/sync", json: #"{"protocol":1,"site":"jxj","cursor":0,"changes":[\#(erase)]}"#)
        #expect(try SyncResponse(bytes: r2.body).rejected.first?.reason.contains("office writes to 'title'") == true)
        #expect(try c.value("hub", "item/zx-2025-90", "title") == .string("提案90"))

        // Envelope problems: 400, replay under another unit's name: 403, too large: 413; all JSON.
        for (bodyText, status) in [
            ("{not json", 400), (#"{"protocol":2,"site":"jxj","cursor":0}"#, 400), (#"{"protocol":1,"site":"jxj","cursor":-1}"#, 400),
            (#"{"protocol":1,"site":"fgw","cursor":0,"changes":[]}"#, 403),
            (#"{"protocol":1,"site":"jxj","cursor":0,"pad":""# + String(repeating: "x", count: 70_000) + #""}"#, 413),
            ("\u{FEFF}{\"protocol\":1,\"site\":\"jxj\",\"cursor\":0,\"a\":\"\\ud800\"}", 400),
        ] {
            let r = try jxj.post("/v1/sync", json: bodyText)
            #expect(r.status == status, "\(bodyText.prefix(60)): \(r.status)")
            let error = try JSONValue.parse(utf8: r.body)
            if case .object(let o) = error { #expect(o["error"]?.stringValue?.isEmpty == false) } else { Issue.record("no JSON error") }
        }
        #expect(try c.dump("hub").count == before.count + 1, "only the one good change landed")
        // The hub survived all of it.
        #expect(try CurlTransport(baseURL: c.hubURL, token: "x").get("/healthz", extraTimeout: 0, cancel: nil).status == 200)
    }

    @Test(arguments: HubBackend.allCases) func wrongTokenGets401AndAClearSentence(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj"], backend: backend)
        try c.startHub()
        defer { c.stopHub() }
        let r = try CurlTransport(baseURL: c.hubURL, token: "bnl_wrong").post("/v1/sync", json: #"{"protocol":1,"site":"jxj","cursor":0}"#)
        #expect(r.status == 401)
        #expect(String(decoding: r.body, as: UTF8.self).contains(#""error":"#))
        let noAuth = try CurlTransport(baseURL: c.hubURL, token: "").get("/v1/wait?cursor=0&timeout=0", extraTimeout: 0, cancel: nil)
        #expect(noAuth.status == 401)
        try "bnl_not_the_token\n".write(toFile: c.dir + "/bad.token", atomically: true, encoding: .utf8)
        chmod(c.dir + "/bad.token", 0o600)
        let out = try c.cli.run(["sync", "--store", "jxj.db", "--token-file", "bad.token"])
        #expect(out.status != 0)
        #expect(out.stderr.contains("refused this unit's token") && out.stderr.contains(c.hubURL))
        #expect(!c.hubLog().contains("bnl_not_the_token"), "tokens never appear in logs")
        // Rotating the token: the old one stops working at once.
        let old = try c.token("jxj")
        try c.cli.ok(["hub", "rotate-token", "jxj", "--token-file", "jxj.new"] + c.atHub)
        Thread.sleep(forTimeInterval: 1.1)
        #expect(try CurlTransport(baseURL: c.hubURL, token: old).post("/v1/sync", json: #"{"protocol":1,"site":"jxj","cursor":0}"#).status == 401)
        try c.cli.ok(["sync", "--store", "jxj.db", "--token-file", "jxj.new"])
    }

    /// The daemons' periodic sync is 5 minutes away, so a change that arrives at all within the
    /// 30-second ceiling was carried by the long-poll. How fast it is belongs to `make bench`.
    @Test(arguments: HubBackend.allCases) func longPollCarriesAChangeToAnotherUnit(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj", "fgw"], backend: backend)
        try c.startHub()
        defer { c.stopHub() }
        try newItem(c, "zx-2025-90", number: 90, assign: [("jxj", "lead"), ("fgw", "cooperating")])
        _ = try c.startDaemon("jxj", interval: 300)
        _ = try c.startDaemon("fgw", interval: 300)
        let synced = try c.waitFor(timeout: 30) {
            try c.value("jxj", "item/zx-2025-90", "title") != nil && c.value("fgw", "item/zx-2025-90", "title") != nil
        }
        try #require(synced != nil, "both daemons made their first sync")
        try c.cli.ok(["item", "set", "zx-2025-90", "progress", "已联系代表", "--store", "jxj.db"])
        let took = try c.waitFor(timeout: 30) { try c.value("fgw", "assignment/zx-2025-90/jxj", "progress") == .string("已联系代表") }
        #expect(took != nil, "a unit's change reached the other unit without a periodic sync")
        // And from the office to a unit.
        try c.cli.ok(["item", "set", "zx-2025-90", "title", "关于促进民营经济发展的提案"] + c.atHub)
        let took2 = try c.waitFor(timeout: 30) { try c.value("jxj", "item/zx-2025-90", "title") == .string("关于促进民营经济发展的提案") }
        #expect(took2 != nil, "the office's change reached the unit without a periodic sync")
    }

    @Test(arguments: HubBackend.allCases) func daemonSyncsOnItsOwnAndStopsCleanlyOnSIGTERM(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj"], backend: backend)
        try c.startHub()
        defer { c.stopHub() }
        try newItem(c, "rd-2025-68", number: 68, assign: [("jxj", "sole")])
        let daemon = try c.startDaemon("jxj", interval: 1)
        let first = try c.waitFor(timeout: 30) { try c.value("jxj", "item/rd-2025-68", "title") != nil }
        #expect(first != nil)
        let t1 = try #require(try c.store("jxj").syncHealth().lastAttemptAt)
        // Nothing changes, so only the 1-second timer can make another attempt.
        let again = try c.waitFor(timeout: 30) { try c.store("jxj").syncHealth().lastAttemptAt.map { $0 > t1 } == true }
        #expect(again != nil, "the daemon syncs every interval on its own")
        daemon.terminate()
        let stopped = c.waitFor(timeout: 10) { !daemon.isRunning }
        #expect(stopped != nil)
        #expect(daemon.terminationStatus == 0)
        let log = (try? String(contentsOfFile: c.dir + "/jxj.daemon.log", encoding: .utf8)) ?? ""
        #expect(log.contains("stopped"))
        #expect(!log.contains(try c.token("jxj")), "the token never appears in logs")
    }

    @Test(arguments: HubBackend.allCases) func syncAgainstAStoppedHubFailsClearlyThenSucceedsWithNothingLost(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj"], backend: backend)
        try c.startHub()
        try newItem(c, "rd-2025-39", number: 39, assign: [("jxj", "lead")])
        try c.sync("jxj")
        #expect(c.stopHub() == 0, "the hub stops cleanly on SIGTERM")
        try c.cli.ok(["item", "set", "rd-2025-39", "replyText", "答复如下……", "--store", "jxj.db"])
        let r = try c.cli.run(["sync", "--store", "jxj.db"])
        #expect(r.status != 0)
        #expect(r.stderr.hasPrefix("banli: The hub at \(c.hubURL) is unreachable"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        let status = try c.cli.run(["status", "--json", "--store", "jxj.db"])
        #expect(status.status == 3, "the last sync failed")
        #expect(status.stdout.contains("unreachable") && status.stdout.contains(#""backlog":1"#))
        try c.startHub()
        defer { c.stopHub() }
        let out = try c.sync("jxj")
        #expect(out.contains("pushed 1 (1 accepted"))
        #expect(try c.value("hub", "assignment/rd-2025-39/jxj", "replyText") == .string("答复如下……"))
    }

    @Test func unreachableAndMisconfiguredHubsAreOneSentence() throws {
        let c = try Cluster(units: ["jxj"])
        chmod(c.dir + "/jxj.token", 0o644)
        let r = try c.cli.run(["sync", "--store", "jxj.db"])
        #expect(r.status != 0 && r.stderr.contains("readable by other users"))
        chmod(c.dir + "/jxj.token", 0o600)
        try "site = \"jxj\"\ninterval = \"often\"\n".write(toFile: c.dir + "/bad.toml", atomically: true, encoding: .utf8)
        let bad = try c.cli.run(["--config", "bad.toml", "sync", "--store", "jxj.db"])
        #expect(bad.status != 0 && bad.stderr.contains("bad.toml line 2") && bad.stderr.contains("interval"))
        try "site = \"jxj\"\n[tls]\nca_fil = \"x\"\n".write(toFile: c.dir + "/bad2.toml", atomically: true, encoding: .utf8)
        let bad2 = try c.cli.run(["--config", "bad2.toml", "sync", "--store", "jxj.db"])
        #expect(bad2.status != 0 && bad2.stderr.contains("line 3") && bad2.stderr.contains("tls.ca_fil"))
        try "site = [\n".write(toFile: c.dir + "/bad3.toml", atomically: true, encoding: .utf8)
        let bad3 = try c.cli.run(["--config", "bad3.toml", "sync", "--store", "jxj.db"])
        #expect(bad3.status != 0 && bad3.stderr.contains("bad3.toml line"))
    }
}
