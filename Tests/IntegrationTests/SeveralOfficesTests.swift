import BanliCore
import BanliSync
import Foundation
import Testing

/// Seed 002's year: one county bureau (县教育局) answering the city CPPCC (4 proposals) and the county CPPCC (9), through
/// two real hubs and ONE `banli daemon` with two `[[hub]]` entries. The bureau is `jyj` at the city and `xjy` at the
/// county, and both offices have a 提案 30.
@Suite struct SeveralOfficesTests {
    static let city = [5, 19, 30, 44]
    static let county = [3, 7, 12, 18, 22, 25, 30, 33, 41]
    /// At the county, the bureau cooperates (会办) on 提案 12, led by 县发改委.
    static let cooperating = 12

    /// A hub process of its own, on loopback ports.
    final class Hub {
        let store: String
        let port = freePort()
        let admin = freePort()
        var process: Process?
        var url: String { "http://127.0.0.1:\(port)" }

        init(store: String) { self.store = store }

        func start(in dir: String) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: BanliProcess.binary)
            p.arguments = ["hub", "serve", "--store", store, "--listen", "127.0.0.1:\(port)", "--admin-listen", "127.0.0.1:\(admin)"]
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            _ = FileManager.default.createFile(atPath: "\(dir)/\(store).log", contents: nil)
            p.standardOutput = FileHandle(forWritingAtPath: "\(dir)/\(store).log")
            p.standardError = p.standardOutput
            try p.run()
            process = p
            let health = CurlTransport(baseURL: url, token: "none")
            for _ in 0..<200 {
                if let r = try? health.get("/healthz", extraTimeout: 0, cancel: nil), r.status == 200 { return }
                Thread.sleep(forTimeInterval: 0.05)
            }
            Issue.record("the hub \(store) did not start")
        }

        func stop() {
            process?.terminate()
            process?.waitUntilExit()
            process = nil
        }

        deinit { stop() }
    }

    func waitFor(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    @Test func oneBureauOneDaemonTwoOfficesEachHubOnlyItsOwn() throws {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory(), environment: ["BANLI_TODAY": "2020-12-31"])
        let dir = cli.directory
        let cityHub = Hub(store: "city.db"), countyHub = Hub(store: "county.db")
        try cli.ok(["hub", "init", "--store", "city.db", "--name", "市政协提案委"])
        try cli.ok(["hub", "add-unit", "jyj", "--name", "县教育局", "--store", "city.db", "--token-file", "city.token"])
        try cli.ok(["hub", "init", "--store", "county.db", "--name", "县政协"])
        try cli.ok(["hub", "add-unit", "xjy", "--name", "县教育局", "--store", "county.db", "--token-file", "county.token"])
        try cli.ok(["hub", "add-unit", "xfgw", "--name", "县发改委", "--store", "county.db", "--token-file", "xfgw.token"])
        let offices = [("city.db", Self.city, "jyj", "市政协十一届四次会议"), ("county.db", Self.county, "xjy", "县政协九届四次会议")]
        for (hub, numbers, site, session) in offices {
            for n in numbers {
                let id = "zx-2020-\(n)"
                try cli.ok(["item", "new", id, "--kind", "提案", "--number", "\(n)", "--year", "2020", "--title", "关于第\(n)号的提案",
                            "--session", session, "--store", hub])
                if hub == "county.db", n == Self.cooperating {
                    try cli.ok(["item", "assign", id, "xfgw", "--role", "主办", "--at", "2020-03-10", "--due", "2020-06-10", "--store", hub])
                    try cli.ok(["item", "assign", id, site, "--role", "会办", "--at", "2020-03-10", "--store", hub])
                } else {
                    try cli.ok(["item", "assign", id, site, "--role", "主办", "--at", "2020-03-10", "--due", "2020-06-10", "--store", hub])
                }
            }
        }
        try cityHub.start(in: dir)
        try countyHub.start(in: dir)
        let metricsPort = freePort()
        // The county's entry names its office itself; the city's takes the hub's own directory name.
        try """
            site = "jyj"
            interval = 1
            metrics_listen = "127.0.0.1:\(metricsPort)"

            [[hub]]
            office = "city-zx"
            url = "\(cityHub.url)"
            token_file = "city.token"
            store = "city-jyj.db"

            [[hub]]
            office = "county-zx"
            name = "县政协提案委"
            url = "\(countyHub.url)"
            token_file = "county.token"
            store = "county-xjy.db"
            site = "xjy"
            """.write(toFile: dir + "/banli.toml", atomically: true, encoding: .utf8)
        func b(_ args: [String]) -> [String] { args + ["--config", "banli.toml"] }
        try cli.ok(b(["init", "--office", "city-zx", "--name", "县教育局"]))
        try cli.ok(b(["init", "--office", "county-zx", "--name", "县教育局"]))

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: BanliProcess.binary)
        daemon.arguments = ["daemon", "--config", "banli.toml"]
        daemon.currentDirectoryURL = URL(fileURLWithPath: dir)
        _ = FileManager.default.createFile(atPath: dir + "/daemon.log", contents: nil)
        daemon.standardOutput = FileHandle(forWritingAtPath: dir + "/daemon.log")
        daemon.standardError = daemon.standardOutput
        try daemon.run()
        defer {
            daemon.terminate()
            daemon.waitUntilExit()
        }
        func daemonLog() -> String { (try? String(contentsOfFile: dir + "/daemon.log", encoding: .utf8)) ?? "" }

        // Own rows across both offices: 13 items, 4 from the city, 9 from the county, each with its office and session.
        func ownRows() throws -> [JSONValue] {
            JSONFields.array(try JSONValue.parse(cli.ok(b(["item", "list", "--json"])))).filter {
                ["jyj", "xjy"].contains(JSONFields.field($0, "unit")?.stringValue ?? "")
            }
        }
        #expect(try waitFor(30) { try ownRows().count == 13 }, "\(daemonLog())")
        let rows = try ownRows()
        let byOffice = Dictionary(grouping: rows) { JSONFields.field($0, "office")?.stringValue ?? "" }
        #expect(byOffice["city-zx"]?.count == 4 && byOffice["county-zx"]?.count == 9)
        #expect(byOffice["city-zx"]?.allSatisfy { JSONFields.field($0, "session") == .string("市政协十一届四次会议") } == true)
        #expect(byOffice["county-zx"]?.allSatisfy { JSONFields.field($0, "session") == .string("县政协九届四次会议") } == true)
        #expect(rows.filter { JSONFields.field($0, "id") == .string("zx-2020-30") }.count == 2)
        let table = try cli.ok(b(["item", "list"]))
        #expect(table.contains("交办机关") && table.contains("市政协提案委") && table.contains("县政协提案委"))

        // City 提案 30 and county 提案 30 live side by side: an item verb asks which office, naming both.
        let ambiguous = try cli.run(b(["item", "accept", "zx-2020-30", "--at", "2020-03-15"]))
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stderr.contains("city-zx（市政协提案委）") && ambiguous.stderr.contains("county-zx（县政协提案委）")
                && ambiguous.stderr.contains("--office"), "\(ambiguous.stderr)")
        #expect(ambiguous.stderr.split(separator: "\n").count == 1)

        // An id no office holds is named as such; `history` finds the item's office like the other item verbs.
        let unknown = try cli.run(b(["item", "show", "zx-2020-99"]))
        #expect(unknown.status != 0 && unknown.stderr.contains("各交办机关（city-zx（市政协提案委）、county-zx（县政协提案委））的库里都没有 zx-2020-99"),
                "\(unknown.stderr)")
        #expect(try cli.ok(b(["history", "zx-2020-44"])).contains("item/zx-2020-44"))
        #expect(try cli.run(b(["history", "zx-2020-30"])).status == 2)

        // The clerk's year: 签收, 沟通 (the city's face to face, the county's by phone), 答复 (city A, county B), 会办意见.
        let work = [("city-zx", Self.city, "市教函", "上门走访", "A"), ("county-zx", Self.county, "县教函", "电话联系", "B")]
        for (office, numbers, prefix, method, category) in work {
            for n in numbers {
                let id = "zx-2020-\(n)"
                let which = n == 30 ? ["--office", office] : []
                try cli.ok(b(["item", "accept", id, "--at", "2020-03-15"] + which))
                if office == "county-zx", n == Self.cooperating {
                    try cli.ok(b(["item", "opinion", id, "--text", "同意主办单位意见", "--at", "2020-04-01"] + which))
                    continue
                }
                try cli.ok(b(["item", "contact", id, "--at", "2020-04-01", "--method", method] + which))
                try cli.ok(b(["item", "reply", id, "--number", "\(prefix)〔2020〕\(n)号", "--category", category, "--text", "答复",
                              "--at", "2020-05-20"] + which))
            }
        }
        // The one daemon pushes each office's writes to its own hub.
        func hubReport(_ hub: String, unit: String) throws -> JSONValue {
            try JSONValue.parse(cli.ok(["report", "--format", "json", "--year", "2020", "--unit", unit, "--store", hub]))
        }
        func replies(_ r: JSONValue) -> Int64? { JSONFields.field(JSONFields.field(JSONFields.field(r, "rates"), "reply"), "num")?.intValue }
        #expect(try waitFor(30) { try replies(hubReport("city.db", unit: "jyj")) == 4 && replies(hubReport("county.db", unit: "xjy")) == 9 },
                "\(daemonLog())")

        // Per office and combined: the bureau's yearly report is one report, and the two 提案 30 are counted apart.
        func report(_ extra: [String]) throws -> JSONValue {
            try JSONValue.parse(cli.ok(b(["report", "--format", "json", "--year", "2020"] + extra)))
        }
        func rate(_ r: JSONValue, _ name: String) -> [Int64?] {
            let x = JSONFields.field(JSONFields.field(r, "rates"), name)
            return [JSONFields.field(x, "num")?.intValue, JSONFields.field(x, "den")?.intValue]
        }
        func count(_ r: JSONValue, _ group: String, _ key: String) -> Int64? { JSONFields.field(JSONFields.field(r, group), key)?.intValue }
        let all = try report([]), cityOnly = try report(["--office", "city-zx"]), countyOnly = try report(["--office", "county-zx"])
        #expect(JSONFields.field(all, "items") == .int(13) && count(all, "byKind", "proposal") == 13)
        #expect(count(all, "byRole", "lead") == 12 && count(all, "byRole", "cooperating") == 1)
        #expect(rate(all, "reply") == [13, 13] && rate(all, "onTime") == [13, 13])
        #expect(rate(all, "communication") == [12, 12] && rate(all, "faceToFace") == [4, 12])
        #expect(count(all, "categories", "A") == 4 && count(all, "categories", "B") == 8)
        #expect(JSONFields.field(all, "unit") == .string("jyj,xjy"))
        #expect(JSONFields.field(cityOnly, "items") == .int(4) && rate(cityOnly, "faceToFace") == [4, 4] && count(cityOnly, "categories", "A") == 4)
        #expect(JSONFields.field(cityOnly, "unit") == .string("jyj"))
        #expect(JSONFields.field(countyOnly, "items") == .int(9) && rate(countyOnly, "reply") == [9, 9] && count(countyOnly, "categories", "B") == 8)
        #expect(count(countyOnly, "byRole", "cooperating") == 1 && rate(countyOnly, "faceToFace") == [0, 8])
        let csv = try cli.ok(b(["export"]))
        let lines = csv.split(whereSeparator: \.isNewline)
        #expect(csv.contains("交办机关") && lines.filter { $0.hasPrefix("市政协提案委,") }.count == 4, "\(csv)")
        #expect(lines.filter { $0.hasPrefix("县政协提案委,") }.count >= 9)

        // Neither hub holds the other's items, nor the bureau's writes for the other office.
        func dump(_ store: String) throws -> String { try cli.ok(["dump", "--json", "--store", store]) }
        func mentions(_ text: String, _ n: Int) -> Bool { text.contains("/zx-2020-\(n)\"") || text.contains("/zx-2020-\(n)/") }
        for (store, others, foreign, own) in [("city.db", Self.county, "县教函", "市教函"), ("city-jyj.db", Self.county, "县教函", "市教函"),
                                              ("county.db", Self.city, "市教函", "县教函"), ("county-xjy.db", Self.city, "市教函", "县教函")] {
            let text = try dump(store)
            for n in others where n != 30 { #expect(!mentions(text, n), "\(store) holds zx-2020-\(n)") }
            #expect(!text.contains(foreign) && text.contains(own + "〔2020〕30号"), "\(store)")
        }
        #expect(try !dump("city.db").contains("/xjy") && !dump("county.db").contains("/jyj") && !dump("city.db").contains("县政协九届"))

        // Metrics carry one label per office.
        let metrics = CurlTransport(baseURL: "http://127.0.0.1:\(metricsPort)", token: "")
        let page = try metrics.get("/metrics", extraTimeout: 0, cancel: nil)
        let text = String(decoding: page.body, as: UTF8.self)
        #expect(text.contains("banli_sync_failing{unit=\"jyj\",office=\"city-zx\"} 0.0")
                && text.contains("banli_sync_failing{unit=\"xjy\",office=\"county-zx\"} 0.0"), "\(text)")
        #expect(text.components(separatedBy: "# TYPE banli_backlog gauge").count == 2)

        // A stopped hub stops only its office: the city's next write still reaches the city's hub.
        countyHub.stop()
        try cli.ok(b(["item", "set", "zx-2020-19", "progress", "已答复，跟踪落实中"]))
        try cli.ok(b(["item", "set", "zx-2020-7", "progress", "县里的进展"]))
        #expect(try waitFor(20) { try dump("city.db").contains("已答复，跟踪落实中") }, "\(daemonLog())")
        #expect(daemon.isRunning)
        #expect(waitFor(20) { daemonLog().split(separator: "\n").contains { $0.contains("sync failed") && $0.contains("office=county-zx") } },
                "\(daemonLog())")
        let sync = try cli.run(b(["sync"]))
        #expect(sync.status == 3, "\(sync.stderr)")
        #expect(sync.stdout.contains("city-zx: Synced with \(cityHub.url)"), "\(sync.stdout)")
        #expect(sync.stderr.contains("office 'county-zx' (the others synced)"), "\(sync.stderr)")
        let status = try cli.run(b(["status", "--json"]))
        #expect(status.status == 3)
        let sections = JSONFields.array(JSONFields.field(try JSONValue.parse(status.stdout), "offices"))
        #expect(sections.map { JSONFields.field($0, "lastError") == .null } == [true, false], "\(status.stdout)")
        #expect(sections.map { JSONFields.field($0, "backlog") } == [.int(0), .int(1)], "\(status.stdout)")
    }

    /// Conflicts across offices name their office, and `resolve` finds the store that holds the field (offline exchange,
    /// no hub process needed): the city's and the county's 提案 30, the bureau `jyj` at the city and `xjy` at the county.
    @Test func conflictsNameTheirOfficeAndResolveFindsTheirStore() throws {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory(), environment: ["BANLI_TODAY": "2020-12-31"])
        try TwoOfficesOffline.setUp(cli)
        let b = TwoOfficesOffline.bureau
        func exchange(_ hub: String, _ office: String) throws { try TwoOfficesOffline.exchange(cli, hub: hub, office: office) }
        // The city office enters progress for the unit (代录) while the clerk writes it too: a conflict in the city's store.
        try cli.ok(["item", "set", "zx-2020-30", "progress", "市里代录", "--unit", "jyj", "--store", "city.db"])
        try cli.ok(b(["item", "set", "zx-2020-30", "progress", "本单位填报", "--office", "city-zx"]))
        try exchange("city.db", "city-zx")
        let text = try cli.ok(b(["conflicts"]))
        #expect(text.contains("[city-zx] assignment/zx-2020-30/jyj progress"), "\(text)")
        let json = JSONFields.array(try JSONValue.parse(cli.ok(b(["conflicts", "--json"]))))
        #expect(json.map { JSONFields.field($0, "office") } == [.string("city-zx")])
        // The field is the city store's alone, so resolve needs no --office; an item field both offices hold does.
        try cli.ok(b(["resolve", "assignment/zx-2020-30/jyj", "progress", "本单位定稿"]))
        #expect(try cli.ok(b(["conflicts"])).contains("No open conflicts."))
        let both = try cli.run(b(["resolve", "item/zx-2020-30", "title", "新题目"]))
        #expect(both.status == 2 && both.stderr.contains("city-zx") && both.stderr.contains("county-zx") && both.stderr.contains("--office"),
                "\(both.stderr)")
    }
}
