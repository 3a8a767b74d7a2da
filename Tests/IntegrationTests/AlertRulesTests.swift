import BanliCore
import BanliSync
import Foundation
import Testing

extension TestTool {
    static let promtool = TestTool(
        name: "promtool", variable: "BANLI_PROMTOOL", install: "run `make test` as root, which installs it (or `apt-get install prometheus`)")
}

/// The operators' alerts and dashboard as shipped (config/banli-alerts.yml, config/banli-grafana.json): promtool
/// checks the rules and runs their unit tests, and every metric the rules and the dashboard read is one that a real
/// hub or bureau daemon exports, so a renamed metric cannot leave an alert that never fires.
@Suite(.serialized) struct AlertRulesTests {
    static let config = repositoryRoot.appendingPathComponent("config")
    static let alertNames = ["BanliUnitFailing", "BanliUnitStale", "BanliUnitBacklogGrowing", "BanliUnitClockOffset",
                             "BanliHubRefusingRequests", "BanliRemindersFailing"]
    /// Read by a rule before the code exports it (none now: the deadline reminders export banli_reminders_failed_total).
    static let announced: Set<String> = []

    func promtool(_ args: [String], in dir: String = config.path) throws -> DebPackageTests.Output {
        try DebPackageTests.run([try TestTool.promtool.path()] + args, in: dir, environment: ProcessInfo.processInfo.environment)
    }

    func text(_ file: String) throws -> String {
        try String(contentsOf: Self.config.appendingPathComponent(file), encoding: .utf8)
    }

    /// Each rule's text, from its `- alert:` line to the next.
    func rules() throws -> [String: String] {
        let parts = try text("banli-alerts.yml").components(separatedBy: "- alert: ").dropFirst()
        return Dictionary(uniqueKeysWithValues: parts.map { part in
            (String(part.prefix { !$0.isNewline }), String(part.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.hasPrefix("      #") }
                .joined(separator: "\n")))
        })
    }

    /// A rule's `expr:`, on its line or folded (`>-`) over the more indented lines below it.
    func expression(_ rule: String) -> String {
        let lines = rule.split(separator: "\n").map(String.init)
        guard let i = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("expr:") }) else { return "" }
        let value = lines[i].components(separatedBy: "expr:")[1].trimmingCharacters(in: .whitespaces)
        guard value == ">-" else { return value }
        let indent = lines[i].prefix { $0 == " " }.count
        return lines[(i + 1)...].prefix { $0.prefix { $0 == " " }.count > indent }.map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
    }

    /// The dashboard's queries, with Grafana's variables given values a plain PromQL parser accepts.
    func dashboardExpressions() throws -> [String] {
        guard case .object(let dashboard) = try JSONValue.parse(try text("banli-grafana.json")), case .array(let panels)? = dashboard["panels"] else {
            Issue.record("banli-grafana.json has no panels")
            return []
        }
        return panels.flatMap { panel -> [String] in
            guard case .object(let p) = panel, case .array(let targets)? = p["targets"] else { return [] }
            return targets.compactMap { t in if case .object(let o) = t { o["expr"]?.stringValue } else { nil } }
        }.map { $0.replacingOccurrences(of: "$__rate_interval", with: "5m").replacingOccurrences(of: "$job", with: ".*") }
    }

    /// The metric names a PromQL expression reads: what is left once strings, label matchers, ranges, grouping
    /// clauses, keywords and calls (a name before "(") are taken out.
    static func metricNames(_ expr: String) -> Set<String> {
        var s = expr
        for pattern in [#""(\\.|[^"\\])*""#, #"\{[^}]*\}"#, #"\[[^\]]*\]"#, #"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"#] {
            s = s.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        var names: Set<String> = []
        var rest = Substring(s)
        while let r = rest.range(of: #"(?<![0-9.])[a-zA-Z_:][a-zA-Z0-9_:]*"#, options: .regularExpression) {
            let after = rest[r.upperBound...].drop { $0 == " " }
            let word = String(rest[r])
            if !after.hasPrefix("("), !["and", "or", "unless", "bool", "offset"].contains(word) { names.insert(word) }
            rest = rest[r.upperBound...]
        }
        return names
    }

    /// The metric names in a Prometheus exposition text's samples.
    static func exposed(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.prefix { $0 != "{" && $0 != " " }) })
    }

    @Test func promtoolChecksTheRulesAndRunsTheirUnitTests() throws {
        let check = try promtool(["check", "rules", "banli-alerts.yml"])
        #expect(check.status == 0 && check.out.contains("SUCCESS: \(Self.alertNames.count) rules found"), "\(check.text)")
        let test = try promtool(["test", "rules", "banli-alerts.test.yml"])
        #expect(test.status == 0 && test.out.contains("SUCCESS"), "\(test.text)")

        let rules = try rules(), tests = try text("banli-alerts.test.yml")
        #expect(Set(rules.keys) == Set(Self.alertNames))
        for (name, rule) in rules {
            #expect(rule.contains("\n        for: ") && rule.range(of: #"severity: (critical|warning)\n"#, options: .regularExpression) != nil, "\(name)")
            // Clerks' and operators' words are Chinese; a per-unit alert names its unit.
            for key in ["summary", "description"] {
                #expect(rule.range(of: "\(key): \"[^\"]*\\p{Han}", options: .regularExpression) != nil, "\(name): \(key) in Chinese")
            }
            if expression(rule).contains("by (job, unit)") { #expect(rule.contains("summary: \"单位 {{ $labels.unit }}"), "\(name)") }
            // Every rule has a case where it fires and one where it stays quiet.
            #expect(tests.components(separatedBy: "alertname: \(name)\n        exp_alerts: []").count == 2, "\(name) never tested quiet")
            #expect(tests.components(separatedBy: "alertname: \(name)\n        exp_alerts:\n").count == 2, "\(name) never tested firing")
        }
        // The clock rule's limit is the one the hub and the bureaus enforce, both ways.
        let skew = PushPolicy.unitSkewMilliseconds / 1000
        #expect(HybridLogicalClock.maximumSkewMilliseconds / 1000 - skew == skew)
        #expect(expression(rules["BanliUnitClockOffset"] ?? "").hasSuffix("/ 1000 > \(skew)"))
        #expect(rules["BanliUnitClockOffset"]?.contains("容许的 \(skew) 秒") == true)
    }

    /// Each of the dashboard's queries parses (promtool checks them as recording rules), its panels read from the
    /// `${DS_PROMETHEUS}` input, and their titles are Chinese.
    @Test func theDashboardIsImportableAndItsQueriesParse() throws {
        guard case .object(let dashboard) = try JSONValue.parse(try text("banli-grafana.json")) else { Issue.record("not a JSON object"); return }
        if case .int(let version)? = dashboard["schemaVersion"] { #expect(version >= 36) } else { Issue.record("no schemaVersion") }
        guard case .array(let inputs)? = dashboard["__inputs"], case .array(let panels)? = dashboard["panels"] else { Issue.record("no inputs"); return }
        #expect(inputs.contains { if case .object(let i) = $0 { i["name"] == .string("DS_PROMETHEUS") } else { false } })
        for panel in panels {
            guard case .object(let p) = panel, case .object(let source)? = p["datasource"], let title = p["title"]?.stringValue else {
                Issue.record("a panel without a title or a data source")
                continue
            }
            #expect(source["uid"] == .string("${DS_PROMETHEUS}"), "\(title)")
            #expect(title.range(of: #"\p{Han}"#, options: .regularExpression) != nil, "\(title) in Chinese")
        }
        let expressions = try dashboardExpressions()
        #expect(expressions.count >= 6)
        let dir = try BanliProcess.temporaryDirectory()
        // A JSON string is a YAML double-quoted scalar.
        let rules = "groups:\n  - name: dashboard\n    rules:\n" + expressions.enumerated().map { i, e in
            "      - record: banli:dashboard_\(i)\n        expr: \(JSONValue.string(e).canonicalJSON)\n"
        }.joined()
        try rules.write(toFile: dir + "/dashboard.yml", atomically: true, encoding: .utf8)
        let check = try promtool(["check", "rules", "dashboard.yml"], in: dir)
        #expect(check.status == 0, "\(check.text)")
    }

    /// The names come from a real hub's admin `/metrics` once a unit has synced and a wrong token was refused, and
    /// from a real bureau daemon's `metrics_listen`.
    @Test func everyMetricTheRulesAndTheDashboardReadIsExported() throws {
        let c = try Cluster(units: ["jxj"])
        try c.startHub()
        defer { c.stopHub() }
        try c.sync("jxj")
        try "bnl_wrong\n".write(toFile: c.dir + "/bad.token", atomically: true, encoding: .utf8)
        chmod(c.dir + "/bad.token", 0o600)
        #expect(try c.cli.run(["sync", "--store", "jxj.db", "--token-file", "bad.token"]).status != 0)
        let port = freePort()
        try "site = \"jxj\"\nmetrics_listen = \"127.0.0.1:\(port)\"\n".write(toFile: c.dir + "/jxj.toml", atomically: true, encoding: .utf8)
        c.environment["BANLI_CONFIG"] = c.dir + "/jxj.toml"
        let daemon = try c.startDaemon("jxj", interval: 60)
        defer { daemon.terminate(); daemon.waitUntilExit() }

        func scrape(_ port: Int) -> String? {
            guard let r = try? CurlTransport(baseURL: "http://127.0.0.1:\(port)", token: "").get("/metrics", extraTimeout: 0, cancel: nil),
                  r.status == 200 else { return nil }
            return String(decoding: r.body, as: UTF8.self)
        }
        var bureau = ""
        _ = c.waitFor(timeout: 10) { bureau = scrape(port) ?? ""; return !bureau.isEmpty }
        let hub = scrape(c.adminPort) ?? ""
        let exported = Self.exposed(hub).union(Self.exposed(bureau))
        #expect(exported.isSuperset(of: ["banli_unit_failing", "banli_requests_refused_total", "http_server_request_duration_bucket", "banli_backlog"]),
                "hub: \(hub)\nbureau: \(bureau)")

        let ruleNames = try rules().values.map { Self.metricNames(expression($0)) }.reduce(into: Set()) { $0.formUnion($1) }
        #expect(ruleNames.count >= 6, "\(ruleNames)")
        let unknown = ruleNames.subtracting(exported).subtracting(Self.announced)
        #expect(unknown.isEmpty, "read by the rules, exported by nothing: \(unknown)")
        let dashboardNames = try dashboardExpressions().map(Self.metricNames).reduce(into: Set()) { $0.formUnion($1) }
        #expect(dashboardNames.isSuperset(of: ["banli_unit_failing", "banli_unit_stale", "http_server_request_duration_bucket", "banli_unit_backlog",
                                               "banli_requests_refused_total", "banli_unit_clock_offset_milliseconds", "hb_requests"]), "\(dashboardNames)")
        #expect(dashboardNames.subtracting(exported).isEmpty, "read by the dashboard, exported by nothing: \(dashboardNames.subtracting(exported))")
    }
}
