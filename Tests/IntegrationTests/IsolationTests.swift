import BanliCore
import BanliProtocol
import BanliStore
import BanliSync
import Foundation
import Testing

/// Each finding of the isolation review, replayed against a real hub by a unit holding a valid token.
@Suite(.serialized) struct IsolationTests {
    static func now() -> UInt64 { HybridLogicalClock.pack(milliseconds: HybridLogicalClock.wallMilliseconds()) }
    static func ahead(_ seconds: UInt64) -> UInt64 { HybridLogicalClock.pack(milliseconds: HybridLogicalClock.wallMilliseconds() + seconds * 1000) }

    /// A push of raw change lines under `unit`'s token.
    static func push(_ c: Cluster, as unit: String, _ changes: [String], clientTime: UInt64? = nil) throws -> SyncResponse {
        let time = clientTime.map { ",\"clientTime\":\($0)" } ?? ""
        let body = #"{"protocol":1,"site":"\#(unit)","cursor":0,"limit":10\#(time),"changes":[\#(changes.joined(separator: ","))]}"#
        let r = try CurlTransport(baseURL: c.hubURL, token: try c.token(unit)).post("/v1/sync", json: body)
        #expect(r.status == 200, "\(String(decoding: r.body, as: UTF8.self))")
        return try SyncResponse(bytes: r.body)
    }

    static func state(_ entity: String, _ field: String, siblings: [(String, String, UInt64)] = [], context: [String: UInt64]) -> String {
        let s = siblings.map { #"{"value":\#($0.0),"site":"\#($0.1)","counter":\#($0.2)}"# }.joined(separator: ",")
        let ctx = context.map { #""\#($0.key)":\#($0.value)"# }.joined(separator: ",")
        return #"{"entity":"\#(entity)","field":"\#(field)","siblings":[\#(s)],"context":{\#(ctx)}}"#
    }

    func cluster(_ units: [String] = ["jxj", "swj"], hubConfig: String? = nil) throws -> Cluster {
        let c = try Cluster(units: units, hubConfig: hubConfig)
        try c.cli.ok(["item", "new", "rd-2025-7", "--kind", "建议", "--number", "7", "--year", "2025", "--title", "关于公交线路的建议",
                      "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "rd-2025-7", "swj", "--role", "主办", "--store", "hub.db"])
        try c.cli.ok(["item", "new", "rd-2025-8", "--kind", "建议", "--number", "8", "--year", "2025", "--title", "建议8", "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "rd-2025-8", "jxj", "--role", "主办", "--store", "hub.db"])
        try c.startHub()
        for u in units { try c.sync(u) }
        return c
    }

    @Test func aUnitCannotAssignItselfToAnotherUnitsItem() throws {
        let c = try cluster()
        defer { c.stopHub() }
        let e = "assignment/rd-2025-7/jxj"
        let r = try Self.push(c, as: "jxj", [
            Self.state(e, "role", context: ["jxj": Self.now()]),
            Self.state(e, "handler", siblings: [(#""李四""#, "jxj", Self.now())], context: ["jxj": Self.now()]),
            Self.state(e, "replyText", siblings: [(#""答复""#, "jxj", Self.now() + 1)], context: ["jxj": Self.now() + 1]),
        ])
        #expect(r.accepted == 0 && r.rejected.count == 3, "\(r.rejected)")
        try c.sync("jxj")
        #expect(try c.dump("jxj", item: "rd-2025-7").isEmpty, "jxj received nothing of the item")
        let shown = try c.cli.ok(["item", "show", "rd-2025-7", "--json", "--store", "hub.db"])
        #expect(!shown.contains("jxj"), "the hub lists no jxj assignment: \(shown)")
        #expect(try c.dump("hub", item: "rd-2025-7").allSatisfy { !$0.contains("/jxj") })
    }

    @Test func aUnitCannotEraseAnotherUnitsValuesBeforeOrAfterTheyArrive() throws {
        let c = try cluster()
        defer { c.stopHub() }
        // jxj cooperates on swj's item, so it may read it.
        try c.cli.ok(["item", "assign", "rd-2025-7", "jxj", "--role", "会办", "--store", "hub.db"])
        try c.sync("jxj")
        // swj writes; the write is still on its way when jxj claims to have seen swj's writes 4 minutes ahead.
        try c.cli.ok(["item", "set", "rd-2025-7", "progress", "已走访", "--unit", "swj", "--store", "swj.db"])
        let e = "assignment/rd-2025-7/swj"
        let r = try Self.push(c, as: "jxj", ["opinion", "progress", "replyText"].map { Self.state(e, $0, context: ["swj": Self.ahead(240)]) })
        #expect(r.accepted == 0 && r.rejected.count == 3, "\(r.rejected)")
        try c.sync("swj")
        #expect(try c.value("hub", e, "progress") == .string("已走访"))
        #expect(try c.value("swj", e, "progress") == .string("已走访"))
        // After it arrived: the exact dot, claimed as seen with no value.
        let dot = try #require(try c.store("hub").field(EntityKey(parsing: e), "progress")?.state.siblings.first?.counter)
        let r2 = try Self.push(c, as: "jxj", [Self.state(e, "progress", context: ["swj": dot])])
        #expect(r2.rejected.first?.reason.contains("may not change") == true, "\(r2.rejected)")
        #expect(r2.rejected.first?.kind == .permission, "the class a clerk is told about in Chinese")
        try c.sync("swj")
        #expect(try c.value("hub", e, "progress") == .string("已走访"))
        #expect(try c.value("swj", e, "progress") == .string("已走访"))
    }

    @Test func oneUnitsFastClockNeitherMovesTheHubNorCutsOthersOff() throws {
        let c = try cluster(["jxj", "swj", "fgw"])
        defer { c.stopHub() }
        let e = "assignment/rd-2025-8/jxj"
        let ahead = Self.ahead(240)
        let r = try Self.push(c, as: "jxj", [Self.state(e, "progress", siblings: [(#""快""#, "jxj", ahead)], context: ["jxj": ahead])],
                              clientTime: HybridLogicalClock.wallMilliseconds() + 240_000)
        #expect(r.accepted == 0)
        #expect(r.rejected.first?.reason.contains("ahead of the hub's") == true && r.rejected.first?.kind == .clock, "\(r.rejected)")
        // The operator sees the fast unit's clock as the reason.
        let status = try CurlTransport(baseURL: "http://127.0.0.1:\(c.adminPort)", token: "").get("/v1/status", extraTimeout: 0, cancel: nil)
        let text = String(decoding: status.body, as: UTF8.self)
        #expect(text.contains("23") && text.contains("s ahead of the hub's"), "\(text.prefix(3000))")
        let page = try CurlTransport(baseURL: "http://127.0.0.1:\(c.adminPort)", token: "").get("/status", extraTimeout: 0, cancel: nil)
        let reason = String(decoding: page.body, as: UTF8.self).components(separatedBy: "同步失败：").dropFirst().first?.prefix(80) ?? ""
        #expect(reason.hasPrefix("该单位电脑的时钟比交办机关服务器快约 4 分钟，交办机关拒收其修改"), "the page says it in Chinese: \(reason)")
        // The office's next write is dated by the hub's own clock, not the unit's.
        try c.cli.ok(["item", "set", "rd-2025-7", "supervisor", "王副市长", "--store", "hub.db"])
        let hubWrite = try #require(try c.store("hub").field(.item(id: "rd-2025-7"), "supervisor")?.state.siblings.first?.counter)
        #expect(HybridLogicalClock.milliseconds(of: hubWrite) < HybridLogicalClock.wallMilliseconds() + 5_000)
        // Bureaus whose clocks are two minutes off, either way, keep syncing.
        var slow = c.cli, fast = c.cli
        slow.wrapper = [try TestTool.faketime.path(), "-f", "-120s"]
        fast.wrapper = [try TestTool.faketime.path(), "-f", "+120s"]
        let slowSync = try slow.run(["sync", "--store", "swj.db"])
        let supervisor = try c.value("swj", "item/rd-2025-7", "supervisor")
        #expect(slowSync.status == 0 && supervisor == .string("王副市长"), "\(slowSync)")
        try fast.ok(["item", "set", "rd-2025-8", "progress", "正在办理", "--unit", "jxj", "--store", "jxj.db"])
        let fastSync = try fast.run(["sync", "--store", "jxj.db"])
        let progress = try c.value("hub", e, "progress")
        #expect(fastSync.status == 0 && progress == .string("正在办理"), "\(fastSync)")
    }

    @Test func requestsWithoutAValidTokenTouchNothingAndAreCountedByReason() throws {
        let c = try cluster()
        defer { c.stopHub() }
        try c.sync("swj")
        // Right after swj's quiet exchange, an anonymous request names swj.
        for token in ["", "bnl_guess"] {
            let r = try CurlTransport(baseURL: c.hubURL, token: token).post("/v1/sync", json: #"{"protocol":1,"site":"swj","cursor":0}"#)
            #expect(r.status == 401)
        }
        Thread.sleep(forTimeInterval: 1.5)
        let out = try c.sync("swj")
        #expect(!out.contains("lost data") && !out.contains("restored"), "\(out)")
        #expect(out.contains("pushed 0"), "swj re-pushed nothing: \(out)")
        let admin = CurlTransport(baseURL: "http://127.0.0.1:\(c.adminPort)", token: "")
        let status = String(decoding: try admin.get("/v1/status", extraTimeout: 0, cancel: nil).body, as: UTF8.self)
        #expect(!status.contains("401"), "no unit is marked failing: \(status.prefix(1500))")
        let metrics = String(decoding: try admin.get("/metrics", extraTimeout: 0, cancel: nil).body, as: UTF8.self)
        #expect(metrics.contains(#"banli_requests_refused_total{reason="missing_token"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"banli_requests_refused_total{reason="bad_token"} 1"#))
        // Refused before its body is read: an announced 8 MiB body is never waited for, and the connection closes.
        let raw = try RawConnection(port: c.port)
        raw.send("POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 8388608\r\n\r\n{\"site\":\"swj\"")
        let answer = raw.readUntilClosed(timeout: 10)
        #expect(answer.text.hasPrefix("HTTP/1.1 401"), "\(answer.text)")
        #expect(answer.text.lowercased().contains("connection: close"))
        #expect(answer.closed, "the hub closed the connection")
    }

    @Test func slowStalledAndIdleConnectionsAreClosedAndRealSyncsGoOn() throws {
        let c = try cluster(hubConfig: "max_body_bytes = 65536\n[connections]\nheader_timeout = 1\nidle_timeout = 2\nbody_timeout = 2\n")
        defer { c.stopHub() }
        let started = Date()
        // An early 413 without Expect: 100-continue: the client gets the answer and the end of the connection.
        let big = try RawConnection(port: c.port)
        big.send("POST /v1/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(try c.token("jxj"))\r\nContent-Length: 1000000\r\n\r\n"
                 + String(repeating: "x", count: 1000))
        let refused = big.readUntilClosed(timeout: 10)
        #expect(refused.text.hasPrefix("HTTP/1.1 413") && refused.closed, "\(refused)")
        // A head that stalls after its first line, and one that trickles a byte at a time.
        let stalled = try RawConnection(port: c.port)
        stalled.send("POST /v1/sync HTTP/1.1\r\n")
        let trickle = try RawConnection(port: c.port)
        let trickling = Thread {
            for ch in "GET /healthz HTTP/1.1\r\nHost: x\r\n" { if !trickle.send(String(ch)) { break }; Thread.sleep(forTimeInterval: 0.3) }
        }
        trickling.start()
        // A complete head whose body trickles.
        let body = try RawConnection(port: c.port)
        body.send("POST /v1/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(try c.token("jxj"))\r\nContent-Length: 100\r\n\r\n{")
        // An idle kept-alive connection.
        let idle = try RawConnection(port: c.port)
        idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        for conn in [stalled, trickle, body, idle] {
            #expect(conn.readUntilClosed(timeout: 15).closed, "closed at its deadline")
        }
        #expect(Date().timeIntervalSince(started) < 30)
        let metrics = String(decoding: try CurlTransport(baseURL: "http://127.0.0.1:\(c.adminPort)", token: "")
            .get("/metrics", extraTimeout: 0, cancel: nil).body, as: UTF8.self)
        for reason in ["header_timeout", "idle_timeout", "body_timeout"] {
            #expect(metrics.contains(#"banli_connections_closed_total{reason="\#(reason)"}"#), "\(reason)")
        }

        // 300 stalled connections against a hub allowed 256 descriptors: real syncs still go through.
        let hubPid = try #require(c.hubPid)
        let limit = Process()
        limit.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        limit.arguments = ["--pid", String(hubPid), "--nofile=256:256"]
        try limit.run()
        limit.waitUntilExit()
        #expect(limit.terminationStatus == 0)
        var held: [RawConnection] = []
        for _ in 0..<300 { if let conn = try? RawConnection(port: c.port) { conn.send("POST /v1/sync HTTP/1.1\r\n"); held.append(conn) } }
        try c.cli.ok(["item", "set", "rd-2025-8", "progress", "在办", "--unit", "jxj", "--store", "jxj.db"])
        let synced = c.waitFor(timeout: 30) { (try? c.cli.run(["sync", "--store", "jxj.db"]).status) == 0 }
        #expect(synced != nil, "a real sync got through while 300 stalled connections were held")
        #expect(try c.value("hub", "assignment/rd-2025-8/jxj", "progress") == .string("在办"))
        withExtendedLifetime(held) {}
    }

    @Test func smallThingsHeadHealthzAndAcceptedCountsOnlyChanges() throws {
        let c = try cluster()
        defer { c.stopHub() }
        for port in [c.port, c.adminPort] {
            let raw = try RawConnection(port: port)
            raw.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(raw.readUntilClosed(timeout: 5).text.hasPrefix("HTTP/1.1 200"))
        }
        let n = Self.now()
        let change = Self.state("assignment/rd-2025-8/jxj", "handler", siblings: [(#""张三""#, "jxj", n)], context: ["jxj": n])
        #expect(try Self.push(c, as: "jxj", [change]).accepted == 1)
        #expect(try Self.push(c, as: "jxj", [change]).accepted == 0, "a state that changed nothing is not counted")
    }

    @Test func aFullDiskIsA503WithOneSentenceAndNothingIsLost() throws {
        let c = try Cluster(units: ["jxj"])
        let disk = c.dir + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=4m", "tmpfs", disk]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0, "tests run as root and mount a small tmpfs")
        defer {
            let u = Process()
            u.executableURL = URL(fileURLWithPath: "/bin/umount")
            u.arguments = ["-l", disk]
            try? u.run()
            u.waitUntilExit()
        }
        // The hub's store lives on the small disk.
        for old in ["hub.db", "hub.db.key", "jxj.token"] { try FileManager.default.removeItem(atPath: c.dir + "/" + old) }
        try c.cli.ok(["hub", "init", "--store", "disk/hub.db", "--name", "市政府督查室"])
        try c.cli.ok(["hub", "add-unit", "jxj", "--name", "单位jxj", "--store", "disk/hub.db", "--token-file", "jxj.token"])
        try c.cli.ok(["item", "new", "rd-2025-9", "--kind", "建议", "--number", "9", "--year", "2025", "--title", "t", "--store", "disk/hub.db"])
        try c.cli.ok(["item", "assign", "rd-2025-9", "jxj", "--role", "主办", "--store", "disk/hub.db"])
        try FileManager.default.createSymbolicLink(atPath: c.dir + "/hub.db", withDestinationPath: disk + "/hub.db")
        try c.startHub()
        defer { c.stopHub() }
        try c.sync("jxj")
        let fill = disk + "/fill"
        _ = FileManager.default.createFile(atPath: fill, contents: nil)
        let h = try #require(FileHandle(forWritingAtPath: fill))
        let chunk = Data(count: 64 * 1024)
        while (try? h.write(contentsOf: chunk)) != nil {}
        try? h.close()
        // Four long texts (one argument may hold at most 128 KiB): more than the WAL has room for.
        let text = String(repeating: "答复内容很长。", count: 5_000)
        for field in ["progress", "replyText", "tracking", "returnRequest"] {
            try c.cli.ok(["item", "set", "rd-2025-9", field, text, "--unit", "jxj", "--store", "jxj.db"])
        }
        let failed = try c.cli.run(["sync", "--store", "jxj.db"])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("503") || failed.stderr.contains("full"), "\(failed.stderr)")
        let lines = try c.dump("jxj").filter { $0.contains("答复内容很长") }.joined(separator: ",")
        let r = try CurlTransport(baseURL: c.hubURL, token: try c.token("jxj"))
            .post("/v1/sync", json: #"{"protocol":1,"site":"jxj","cursor":0,"changes":[\#(lines)]}"#)
        #expect(r.status == 503, "\(r.status) \(String(decoding: r.body, as: UTF8.self))")
        #expect(String(decoding: r.body, as: UTF8.self).contains("full"))
        #expect(try CurlTransport(baseURL: c.hubURL, token: "").get("/healthz", extraTimeout: 0, cancel: nil).status == 200, "the hub still runs")
        try FileManager.default.removeItem(atPath: fill)
        try c.sync("jxj")
        #expect(try c.value("hub", "assignment/rd-2025-9/jxj", "tracking") == .string(text), "the writes landed once there was space")
    }
}
