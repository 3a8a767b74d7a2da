import BanliCore
import BanliProtocol
import BanliSync
import Foundation
import Testing

/// The hub operator's view: one unit failing (its clock runs 4 minutes fast), one stale, one fine. A request
/// with a wrong token is counted in the metrics and marks no unit.
@Suite(.serialized) struct MonitoringTests {
    func cluster() throws -> Cluster {
        let c = try Cluster(units: ["jxj", "fgw", "swj"], hubConfig: "unit_interval = 2\nstale_after_intervals = 4\n")
        try c.cli.ok(["item", "new", "rd-2025-5", "--kind", "建议", "--number", "5", "--year", "2025", "--title", "逾期的建议", "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "rd-2025-5", "jxj", "--role", "主办", "--at", "2025-01-01", "--store", "hub.db"])
        try c.startHub()
        try c.cli.ok(["item", "new", "rd-2025-6", "--kind", "建议", "--number", "6", "--year", "2025", "--title", "按期的建议", "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "rd-2025-6", "fgw", "--role", "主办", "--store", "hub.db"])
        try c.sync("swj")
        try c.sync("fgw")
        try "bnl_wrong\n".write(toFile: c.dir + "/bad.token", atomically: true, encoding: .utf8)
        chmod(c.dir + "/bad.token", 0o600)
        #expect(try c.cli.run(["sync", "--store", "swj.db", "--token-file", "bad.token"]).status != 0)
        var fast = c.cli
        fast.wrapper = [try TestTool.faketime.path(), "-f", "+240s"]
        try fast.ok(["item", "set", "rd-2025-6", "progress", "已走访", "--unit", "fgw", "--store", "fgw.db"])
        try fast.ok(["sync", "--store", "fgw.db"])
        Thread.sleep(forTimeInterval: 8.5)  // swj goes stale (4 × 2 s); generous, so a loaded machine keeps jxj fresh
        try c.sync("jxj")
        return c
    }

    func get(_ c: Cluster, _ path: String, token: String = "") throws -> (Int, String) {
        let r = try CurlTransport(baseURL: "http://127.0.0.1:\(c.adminPort)", token: token).get(path, extraTimeout: 0, cancel: nil)
        return (r.status, String(decoding: r.body, as: UTF8.self))
    }

    @Test func statusJSONMetricsAndPageShowTheProblems() throws {
        let c = try cluster()
        defer { c.stopHub() }
        let (code, body) = try get(c, "/v1/status")
        #expect(code == 200)
        guard case .object(let o) = try JSONValue.parse(body), case .array(let units)? = o["units"] else { Issue.record("\(body)"); return }
        var bySite: [String: [String: JSONValue]] = [:]
        for u in units { if case .object(let x) = u, let s = x["site"]?.stringValue { bySite[s] = x } }
        #expect(bySite["jxj"]?["stale"] == .bool(false) && bySite["jxj"]?["lastError"] == .null)
        #expect(bySite["jxj"]?["items"] == .int(1) && bySite["jxj"]?["overdue"] == .int(1))
        #expect(bySite["jxj"]?["clientVersion"] == .string(banliVersion))
        #expect(bySite["fgw"]?["lastError"]?.stringValue?.contains("s ahead of the hub's") == true, "\(String(describing: bySite["fgw"]))")
        #expect(bySite["fgw"]?["reason"]?.stringValue?.contains("该单位电脑的时钟比交办机关服务器快") == true, "the same failure in Chinese")
        #expect(bySite["swj"]?["stale"] == .bool(true) && bySite["swj"]?["lastError"] == .null)
        // Optional chaining: a missing "totals" or key compares unequal and fails.
        let totals: [String: JSONValue]? = if case .object(let t)? = o["totals"] { t } else { nil }
        #expect(totals?["units"] == .int(3) && totals?["failing"] == .int(1) && totals?["overdue"] == .int(1), "\(body)")
        // fgw is failing, so `hub status` exits 3 (for scripts), after printing everything.
        let hubJSON = try c.cli.run(["hub", "status", "--json", "--store", "hub.db"])
        #expect(hubJSON.status == 3 && hubJSON.stdout.contains(#""site":"swj""#))
        let hubText = try c.cli.run(["hub", "status", "--store", "hub.db"])
        #expect(hubText.status == 3 && hubText.stdout.contains("失败: 该单位电脑的时钟"), "\(hubText.stdout)")

        // Metrics: valid exposition text with the per-unit gauges and per-route request histograms.
        let (mcode, metrics) = try get(c, "/metrics")
        #expect(mcode == 200)
        var samples: [String: Double] = [:]
        for line in metrics.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            let ok = parts.count == 2 && Double(parts[1]) != nil
                && line.range(of: #"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? "#, options: .regularExpression) != nil
            #expect(ok, "not exposition format: \(line)")
            if ok { samples[String(parts[0])] = Double(parts[1]) }
        }
        #expect(samples[#"banli_unit_stale{unit="swj"}"#] == 1)
        #expect(samples[#"banli_unit_stale{unit="jxj"}"#] == 0)
        #expect(samples[#"banli_unit_failing{unit="fgw"}"#] == 1)
        #expect((samples[#"banli_unit_clock_offset_milliseconds{unit="fgw"}"#] ?? 0) > 150_000, "unit minus hub: fgw runs 4 minutes fast")
        #expect(samples[#"banli_requests_refused_total{reason="bad_token"}"#] == 1, "the wrong token is counted, and marks no unit")
        #expect((samples[#"banli_unit_seconds_since_sync{unit="swj"}"#] ?? 0) >= 8)
        #expect((samples[#"banli_states_pulled_total{unit="jxj"}"#] ?? 0) > 0)
        #expect(samples[#"banli_open_conflicts"#] == 0)
        #expect(samples.keys.contains { $0.hasPrefix("http_server_request_duration_count{") && $0.contains(#"http_route="/v1/sync""#) })

        // The page, as a real browser renders it.
        let chromium = try TestTool.chromium.path()
        try c.sync("jxj")  // keep jxj fresh however long the browser takes to start
        let dom = try render(chromium, "http://127.0.0.1:\(c.adminPort)/status")
        for name in ["单位jxj", "单位fgw", "单位swj"] { #expect(dom.contains(name), "\(name) missing") }
        #expect(dom.contains(#"<tr class="unit failing" data-site="fgw">"#))
        #expect(dom.contains(#"<tr class="unit stale" data-site="swj">"#))
        #expect(dom.contains(#"<tr class="unit ok" data-site="jxj">"#))
        let jxjRow = dom.components(separatedBy: #"<tr class="unit ok" data-site="jxj">"#).last?.components(separatedBy: "</tr>").first ?? ""
        #expect(jxjRow.contains(#"<td class="trend"><svg"#) && jxjRow.contains("最近24小时：同步"), "jxj's last day is drawn: \(jxjRow)")
        #expect(dom.contains("同步失败：该单位电脑的时钟比交办机关服务器快") && dom.contains("NTP") && !dom.contains("ahead of the hub"),
                "the reason in Chinese, and no English sentence")
        // 督办: counts per unit; the unit's list opens from its row.
        #expect(dom.contains(#"<tr data-site="jxj"><td>jxj</td><td>单位jxj</td><td class="num">1</td>"#) && !dom.contains("rd-2025-5"))
        try c.sync("jxj")
        let list = try render(chromium, "http://127.0.0.1:\(c.adminPort)/status?unit=jxj")
        #expect(list.contains("rd-2025-5") && list.contains("逾期"))
        try c.sync("jxj")
        let en = try render(chromium, "http://127.0.0.1:\(c.adminPort)/status?lang=en")
        #expect(en.contains("Failing") && en.contains("Stale") && en.contains("ahead of the hub"))
    }

    func render(_ chromium: String, _ url: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "chromium could not render \(url)")
        return String(decoding: data, as: UTF8.self)
    }

    @Test func bureauDaemonServesItsOwnMetrics() throws {
        let c = try Cluster(units: ["jxj"])
        try c.startHub()
        defer { c.stopHub() }
        let port = freePort()
        try "site = \"jxj\"\nmetrics_listen = \"127.0.0.1:\(port)\"\n".write(toFile: c.dir + "/jxj.toml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BanliProcess.binary)
        p.arguments = ["--config", "jxj.toml", "daemon", "--store", "jxj.db", "--interval", "1"]
        p.currentDirectoryURL = URL(fileURLWithPath: c.dir)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        let metrics = CurlTransport(baseURL: "http://127.0.0.1:\(port)", token: "")
        var text = ""
        _ = c.waitFor(timeout: 10) {
            guard let r = try? metrics.get("/metrics", extraTimeout: 0, cancel: nil), r.status == 200 else { return false }
            text = String(decoding: r.body, as: UTF8.self)
            return text.contains("banli_last_sync_success_timestamp_seconds{unit=\"jxj\"} ")
                && !text.contains("banli_last_sync_success_timestamp_seconds{unit=\"jxj\"} 0.0")
        }
        #expect(text.contains("banli_backlog{unit=\"jxj\"} 0.0"), "\(text)")
        #expect(text.contains("banli_sync_failing{unit=\"jxj\"} 0.0"))
        #expect(text.contains("# TYPE banli_open_conflicts gauge"))
    }

    @Test func adminOffLoopbackNeedsAnOperatorToken() throws {
        let c = try Cluster(units: ["jxj"])
        let args = ["hub", "serve", "--store", "hub.db", "--listen", "127.0.0.1:\(c.port)", "--admin-listen", "0.0.0.0:\(c.adminPort)"]
        let refused = try c.cli.run(args)
        #expect(refused.status != 0 && refused.stderr.contains("add-operator"))
        let out = try c.cli.ok(["hub", "add-operator", "it", "--store", "hub.db"])
        let token = out.trimmingCharacters(in: .whitespacesAndNewlines)
        let hub = Process()
        hub.executableURL = URL(fileURLWithPath: BanliProcess.binary)
        hub.arguments = args
        hub.currentDirectoryURL = URL(fileURLWithPath: c.dir)
        hub.standardOutput = FileHandle.nullDevice
        hub.standardError = FileHandle.nullDevice
        try hub.run()
        defer { hub.terminate(); hub.waitUntilExit() }
        _ = c.waitFor(timeout: 10) { (try? get(c, "/healthz").0) == 200 }
        #expect(try get(c, "/v1/status").0 == 401)
        #expect(try get(c, "/v1/status", token: "bnlop_wrong").0 == 401)
        #expect(try get(c, "/v1/status", token: token).0 == 200)
        #expect(try get(c, "/metrics", token: token).0 == 200)
    }
}
