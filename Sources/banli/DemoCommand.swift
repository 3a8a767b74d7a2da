import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliStore
import BanliSync
import Foundation

/// `banli demo`: a real hub and three bureau daemons in a temporary folder, replaying the 2025
/// year of 大冶市经信局 (seed report 000) step by step through sync.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run a hub and three bureaus and replay a year of handling, end to end.")

    @Flag(name: .customLong("keep-running"), help: "Leave the hub and daemons running at the end (Ctrl-C stops them).") var keepRunning = false

    func run() throws {
        let demo = try Demo()
        defer { if !keepRunning { demo.stop() } }
        try demo.play()
        try demo.startWorkbenches()
        if keepRunning {
            print("\nThe hub, the daemons and the workbenches keep running; press Ctrl-C to stop them.")
            while true { sleep(3600) }
        }
    }
}

/// The demo's processes and steps.
final class Demo {
    let dir: String
    let binary: String
    let port: Int
    let adminPort: Int
    var processes: [Process] = []
    let units = [("jxj", "市经信局"), ("fgw", "市发改委"), ("swj", "市商务局")]
    /// The demo's workbench login (the same password for both accounts; a demo, not a server).
    static let demoPassword = "banli-demo-2025"

    init() throws {
        dir = NSTemporaryDirectory() + "banli-demo-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        binary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        port = Self.freePort()
        adminPort = Self.freePort()
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func step(_ title: String) {
        print("\n\u{1B}[1m== \(title)\u{1B}[0m")
    }

    /// Runs `banli args…` at a store, printing the command and its output.
    @discardableResult
    func banli(_ store: String, _ args: [String], quiet: Bool = false) throws -> String {
        let full = args + ["--store", "\(store).db"]
        if !quiet { print("$ banli " + full.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = full
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["BANLI_CONFIG"] = nil
        env["BANLI_TODAY"] = "2025-11-30"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        if !quiet { print(text.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")) }
        guard p.terminationStatus == 0 else {
            throw BanliError(.io, "The demo step 'banli \(args.joined(separator: " "))' failed: \(text.trimmedWhitespace)")
        }
        return text
    }

    func start(_ args: [String], log: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        _ = FileManager.default.createFile(atPath: dir + "/" + log, contents: nil)
        let h = FileHandle(forWritingAtPath: dir + "/" + log)!
        p.standardOutput = h
        p.standardError = h
        try p.run()
        processes.append(p)
    }

    /// The 办理工作台 at the office and at 市经信局, each with a demo account.
    func startWorkbenches() throws {
        step("The 办理工作台 (banli web) at the office and at 市经信局")
        try Self.demoPassword.write(toFile: dir + "/demo-password", atomically: true, encoding: .utf8)
        var lines: [String] = []
        for (store, user, role) in [("hub", "office", "office"), ("jxj", "clerk", "clerk")] {
            try banli(store, ["user", "add", user, "--role", role, "--password-file", "demo-password", "--accounts", "\(store)-web.db"], quiet: true)
            let port = Self.freePort()
            try start(["web", "--store", "\(store).db", "--accounts", "\(store)-web.db", "--listen", "127.0.0.1:\(port)"], log: "\(store)-web.log")
            try waitForWorkbench(port: port, log: "\(store)-web.log")
            lines.append("  \(store == "hub" ? "office (市政府督查室)" : "市经信局 (jxj)"): http://127.0.0.1:\(port)/  login \(user) / \(Self.demoPassword)")
        }
        for l in lines { print(l) }
    }

    /// Waits until a workbench answers its health check.
    func waitForWorkbench(port: Int, log: String) throws {
        let health = CurlTransport(baseURL: "http://127.0.0.1:\(port)", token: "none")
        let start = Date()
        while Date().timeIntervalSince(start) < 20 {
            if let r = try? health.get("/healthz", extraTimeout: 0, cancel: nil), r.status == 200 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw BanliError(.unreachable, "The workbench did not start within 20 s; see \(dir)/\(log).")
    }

    func stop() {
        for p in processes.reversed() where p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
    }

    /// Waits until a field's visible value at a store satisfies `check` (sync runs in the background).
    func waitUntil(_ store: String, _ entity: EntityKey, _ field: String, _ what: String, check: (JSONValue) -> Bool = { $0 != .null }) throws {
        let start = Date()
        while Date().timeIntervalSince(start) < 20 {
            if let s = try? Store.open(at: dir + "/\(store).db"), let v = try? s.field(entity, field)?.visibleValue(hubSite: "hub"), check(v) {
                print(String(format: "  … %@ reached %@ after %.1f s", what, store, Date().timeIntervalSince(start)))
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw BanliError(.unreachable, "\(what) did not reach \(store) within 20 s; see the logs in \(dir).")
    }

    let items: [(id: String, kind: String, number: String, title: String, proposers: [String])] = [
        ("rd-2025-39", "建议", "39", "关于大冶市政府成立矿产品产业发展工作专班的建议", ["曹建平"]),
        ("rd-2025-65", "建议", "65", "关于整治、规范农村网线的建议", ["柯有军"]),
        ("rd-2025-68", "建议", "68", "关于支持灵乡镇模具材料产业高质量发展的建议", ["陈琼芳"]),
        ("zx-2025-30", "提案", "30", "关于进一步加强大冶换热器新质生产力建设的提案", ["陈申习"]),
        ("zx-2025-90", "提案", "90", "关于促进大冶市民营经济高质量发展的提案", ["余玲玲", "范美玲", "雷卫东", "曹雪"]),
    ]

    func play() throws {
        print("Banli demo in \(dir): a hub (市政府督查室) and three bureaus, replaying 2025 for 市经信局.")
        step("The office creates its hub and registers the bureaus")
        try banli("hub", ["hub", "init", "--name", "市政府督查室"])
        for (site, name) in units {
            try banli("hub", ["hub", "add-unit", site, "--name", name, "--token-file", "\(site).token"])
            try banli(site, ["init", "--site", site, "--name", name, "--hub-url", "http://127.0.0.1:\(port)", "--token-file", "\(site).token"], quiet: true)
        }
        try start(["hub", "serve", "--store", "hub.db", "--listen", "127.0.0.1:\(port)", "--admin-listen", "127.0.0.1:\(adminPort)"], log: "hub.log")
        Thread.sleep(forTimeInterval: 0.5)
        for (site, _) in units {
            try start(["daemon", "--store", "\(site).db", "--interval", "5"], log: "\(site).log")
        }
        print("  hub on 127.0.0.1:\(port); three `banli daemon`s syncing every 5 s with long-poll in between")

        step("交办 (2025-03-20): four items to 市经信局 alone, proposal 90 with 市发改委 and 市商务局 cooperating")
        for item in items {
            try banli("hub", ["item", "new", item.id, "--kind", item.kind, "--number", item.number, "--year", "2025", "--title", item.title]
                      + item.proposers.flatMap { ["--proposer", $0] }, quiet: true)
            print("  item new \(item.id) \(item.title)")
            let role = (item.id == "zx-2025-90" ? Role.lead : Role.sole).label
            try banli("hub", ["item", "assign", item.id, "jxj", "--role", role, "--at", "2025-03-20"], quiet: true)
        }
        try banli("hub", ["item", "assign", "zx-2025-90", "fgw", "--role", Role.cooperating.label, "--at", "2025-03-20"])
        try banli("hub", ["item", "assign", "zx-2025-90", "swj", "--role", Role.cooperating.label, "--at", "2025-03-20"])
        try waitUntil("jxj", .item(id: "zx-2025-90"), "title", "交办")
        try waitUntil("swj", .assignment(item: "zx-2025-90", site: "swj"), "role", "交办")

        step("签收 and 承办股室 at the bureaus")
        for item in items { try banli("jxj", ["item", "accept", item.id, "--at", "2025-03-25"], quiet: true) }
        print("  jxj signed for all five items on 2025-03-25")
        try banli("jxj", ["item", "handler", "zx-2025-90", "--section", "中小企业股", "--handler", "王科长", "--phone", "0714-8888888"])
        try banli("fgw", ["item", "accept", "zx-2025-90", "--at", "2025-03-26"])
        try banli("swj", ["item", "accept", "zx-2025-90", "--at", "2025-03-27"])

        step("沟通: contacts with deputies and members, as the report describes them")
        try banli("jxj", ["item", "contact", "rd-2025-39", "--at", "2025-04-14", "--method", "电话联系",
                          "--note", "电话联系曹建平代表，了解企业需求"])
        try banli("jxj", ["item", "contact", "rd-2025-65", "--at", "2025-04-11", "--method", "上门走访", "--note", "会同运营商现场踏勘"])
        try banli("jxj", ["item", "contact", "rd-2025-68", "--at", "2025-04-11", "--method", "约见", "--note", "面商陈琼芳代表"])
        try banli("jxj", ["item", "contact", "zx-2025-30", "--at", "2025-04-14", "--method", "约见", "--note", "面商陈申习委员"])
        try banli("jxj", ["item", "contact", "zx-2025-90", "--at", "2025-05-20", "--method", "座谈会", "--note", "与四位委员面谈"])
        try waitUntil("hub", .contact(item: "zx-2025-90", site: "jxj", n: 1), "method", "沟通记录")

        step("会办意见 from the cooperating units, seen by the lead unit")
        try banli("fgw", ["item", "opinion", "zx-2025-90", "--text", "支持企业融资，推进商业价值信用贷。", "--at", "2025-05-10"])
        try banli("swj", ["item", "opinion", "zx-2025-90", "--text", "组织外贸企业参加广交会，帮助开拓市场。", "--at", "2025-05-12"])
        try waitUntil("jxj", .assignment(item: "zx-2025-90", site: "swj"), "opinion", "市商务局's opinion")

        step("A step out of order is refused: a cooperating unit cannot reply")
        if (try? banli("fgw", ["item", "reply", "zx-2025-90", "--number", "x", "--category", "A", "--text", "x"], quiet: true)) == nil {
            print("  banli: Unit 'fgw' is a 会办 unit of zx-2025-90: it gives a 会办意见 (banli item opinion), the lead unit replies.")
        }

        step("答复 by 市经信局 (65 went out in September, after its deadline)")
        let replies = [("rd-2025-39", "A", "2025-06-10"), ("rd-2025-65", "A", "2025-09-05"), ("rd-2025-68", "B", "2025-06-15"),
                       ("zx-2025-30", "A", "2025-06-12"), ("zx-2025-90", "B", "2025-06-18")]
        for (n, r) in replies.enumerated() {
            try banli("jxj", ["item", "reply", r.0, "--number", "冶经信函〔2025〕\(n + 11)号", "--category", r.1, "--at", r.2,
                              "--signer", "局长", "--text", "经认真研究，现答复如下……"], quiet: n > 0)
            if n > 0 { print("  item reply \(r.0) category \(r.1) on \(r.2)") }
        }
        try banli("jxj", ["item", "track", "rd-2025-68", "--text", "模具钢技改奖补政策已兑现首批项目。"])
        try waitUntil("hub", .assignment(item: "zx-2025-90", site: "jxj"), "replyAt", "the replies")

        step("征询意见表 recorded by the office: every proposer satisfied; then 办结")
        for item in items {
            try banli("hub", ["item", "feedback", item.id, "jxj", "--evaluation", "满意", "--effect", "解决或基本解决",
                              "--received", "2025-10-15"], quiet: true)
            try banli("hub", ["item", "close", item.id, "--at", "2025-11-20"], quiet: true)
        }
        print("  5 feedback forms recorded (满意), 5 items closed on 2025-11-20")
        try waitUntil("jxj", .item(id: "zx-2025-90"), "closedAt", "办结")
        try banli("jxj", ["item", "list"])

        step("The year's statistics for 市经信局, computed from the data (at the hub)")
        try banli("hub", ["report", "--year", "2025", "--unit", "jxj"])
        step("Every unit's sync state, as the hub operator sees it")
        try banli("hub", ["status"])
        print("\nStatus API: http://127.0.0.1:\(adminPort)/v1/status (live while the demo runs; use --keep-running to browse it).")
        print("The stores, tokens and logs are in \(dir).")
    }
}
