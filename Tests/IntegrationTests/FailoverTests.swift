import BanliCore
import BanliStore
import BanliSync
import Foundation
import Synchronization
import Testing
import TestSupport
@testable import banli

/// A loopback server standing for a hub that is there but cannot serve: every request gets 503 (a proxy without its
/// hub, or a hub that lost its database). It counts the connections it answered.
final class UnavailableHub: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let answered = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    init() {
        let bound = loopbackListener()
        listener = bound.socket
        port = bound.port
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    var url: String { "http://127.0.0.1:\(port)" }
    /// Requests answered 503 so far.
    var count: Int { answered.load(ordering: .relaxed) }

    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { if stopped.load(ordering: .relaxed) { return }; continue }
            var buf = [UInt8](repeating: 0, count: 65536)
            _ = recv(client, &buf, buf.count, 0)
            let body = "{\"error\":\"The hub cannot reach its database; try again later.\"}"
            let text = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            _ = text.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            answered.add(1, ordering: .relaxed)
            close(client)
        }
    }
}

/// A bureau with several URLs for one hub, through the real binary: one hub process, and in front of it a port where
/// nothing listens, a server answering 503, or a proxy that is killed mid-run.
@Suite(.serialized) struct FailoverTests {
    /// A cluster with one item assigned to jxj, its hub running.
    static func cluster() throws -> Cluster {
        let c = try Cluster(units: ["jxj", "fgw"])
        try c.cli.ok(["item", "new", "rd-2025-7", "--kind", "建议", "--number", "7", "--year", "2025", "--title", "t", "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "rd-2025-7", "jxj", "--role", "lead", "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "rd-2025-7", "fgw", "--role", "cooperating", "--store", "hub.db"])
        try c.startHub()
        return c
    }

    /// A bureau config for `unit` whose hub_url is `urls`, in the order given.
    static func config(_ c: Cluster, _ unit: String, urls: [String], extra: String = "") throws -> String {
        let list = urls.map { "\"\($0)\"" }.joined(separator: ", ")
        try "site = \"\(unit)\"\n\(extra)hub_url = [\(list)]\ntoken_file = \"\(unit).token\"\n[network]\nconnect_timeout = 1\nrequest_timeout = 5\n"
            .write(toFile: c.dir + "/\(unit).toml", atomically: true, encoding: .utf8)
        return "\(unit).toml"
    }

    /// `banli daemon` for `unit` with its config, logging to `<unit>.daemon.log`.
    static func startDaemon(_ c: Cluster, _ unit: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BanliProcess.binary)
        p.arguments = ["--config", "\(unit).toml", "daemon", "--store", "\(unit).db", "--interval", "0.5"]
        p.currentDirectoryURL = URL(fileURLWithPath: c.dir)
        var env = ProcessInfo.processInfo.environment
        env["BANLI_CONFIG"] = nil
        p.environment = env
        _ = FileManager.default.createFile(atPath: c.dir + "/\(unit).daemon.log", contents: nil)
        let log = FileHandle(forWritingAtPath: c.dir + "/\(unit).daemon.log")!
        p.standardOutput = log
        p.standardError = log
        try p.run()
        c.daemons[unit] = p
        return p
    }

    static func log(_ c: Cluster, _ unit: String) -> String {
        (try? String(contentsOfFile: c.dir + "/\(unit).daemon.log", encoding: .utf8)) ?? ""
    }

    static func stop(_ p: Process) {
        p.terminate()
        p.waitUntilExit()
    }

    static func switches(to url: String, in log: String) -> Int {
        log.components(separatedBy: "switched to hub URL \(url): the previous one failed: ").count - 1
    }

    @Test func syncWithADeadFirstURLSyncsThroughTheNextAndStartsThereNextTime() throws {
        let c = try Self.cluster()
        defer { c.stopHub() }
        let dead = "http://127.0.0.1:\(freePort())"
        let config = try Self.config(c, "jxj", urls: [dead, c.hubURL])
        let out = try c.cli.ok(["--config", config, "sync", "--store", "jxj.db"])
        #expect(out.hasPrefix("Synced with \(c.hubURL): "), "\(out)")
        #expect(try c.value("jxj", "item/rd-2025-7", "title") == .string("t"))
        let status = try c.cli.ok(["--config", config, "status", "--store", "jxj.db"])
        #expect(status.contains("hub URL in use:    \(c.hubURL)"), "\(status)")
        let json = try JSONValue.parse(utf8: Array(c.cli.ok(["--config", config, "status", "--json", "--store", "jxj.db"]).utf8))
        guard case .object(let o) = json else { Issue.record("status --json is not an object: \(json)"); return }
        #expect(o["hubUrl"] == .string(c.hubURL))

        // A proxy answering 503 is failed over too (fgw has not synced yet, so it starts at the first URL), and the
        // next `banli sync` starts at the URL that worked.
        let unavailable = UnavailableHub()
        defer { unavailable.stop() }
        let fgw = try Self.config(c, "fgw", urls: [unavailable.url, c.hubURL])
        #expect(try c.cli.ok(["--config", fgw, "sync", "--store", "fgw.db"]).hasPrefix("Synced with \(c.hubURL): "))
        #expect(unavailable.count == 1)
        try c.cli.ok(["item", "set", "rd-2025-7", "progress", "进展1", "--store", "fgw.db"])
        try c.cli.ok(["--config", fgw, "sync", "--store", "fgw.db"])
        #expect(unavailable.count == 1, "the second sync started at the URL that answered")
        #expect(try c.value("hub", "assignment/rd-2025-7/fgw", "progress") == .string("进展1"))
    }

    @Test func everyURLDownIsExitCode3NamingTheLast() throws {
        let c = try Cluster(units: ["jxj"])
        let dead = ["http://127.0.0.1:\(freePort())", "http://127.0.0.1:\(freePort())"]
        let config = try Self.config(c, "jxj", urls: dead)
        let r = try c.cli.run(["--config", config, "sync", "--store", "jxj.db"])
        #expect(r.status == 3)
        #expect(r.stderr.hasPrefix("banli: None of the 2 hub URLs answered; the last: The hub at \(dead[1]) is unreachable"), "\(r.stderr)")
    }

    @Test func initStoresSeveralURLsAndSyncUsesThemWithoutAConfig() throws {
        let c = try Self.cluster()
        defer { c.stopHub() }
        try FileManager.default.removeItem(atPath: c.dir + "/fgw.db")
        let dead = "http://127.0.0.1:\(freePort())"
        try c.cli.ok(["init", "--site", "fgw", "--name", "单位fgw", "--store", "fgw.db", "--hub-url", dead, "--hub-url", c.hubURL + "/",
                      "--token-file", "fgw.token"])
        #expect(try c.store("fgw").setting("hubUrl") == "\(dead) \(c.hubURL)")
        #expect(try c.sync("fgw").hasPrefix("Synced with \(c.hubURL): "))
        let twice = try c.cli.run(["init", "--site", "fgw", "--name", "n", "--store", "x.db", "--hub-url", c.hubURL, "--hub-url", c.hubURL])
        #expect(twice.status == 2 && twice.stderr == "banli: --hub-url: \(c.hubURL) is listed twice; give each hub URL once.\n")
        #expect(!FileManager.default.fileExists(atPath: c.dir + "/x.db"), "a refused init creates nothing")
    }

    /// The daemon fails over once, then keeps to the live URL: the unavailable one is not asked again while live answers.
    @Test func theDaemonFailsOverOnceAndStaysOnTheLiveURL() throws {
        let c = try Self.cluster()
        defer { c.stopHub() }
        let unavailable = UnavailableHub()
        defer { unavailable.stop() }
        _ = try Self.config(c, "jxj", urls: [unavailable.url, c.hubURL])
        let daemon = try Self.startDaemon(c, "jxj")
        defer { Self.stop(daemon) }
        #expect(c.waitFor(timeout: 20) { (try? c.value("jxj", "item/rd-2025-7", "title")) == .string("t") } != nil, "\(Self.log(c, "jxj"))")
        for n in 1...3 {
            try c.cli.ok(["item", "set", "rd-2025-7", "progress", "进展\(n)", "--store", "jxj.db"])
            #expect(c.waitFor(timeout: 20) { (try? c.value("hub", "assignment/rd-2025-7/jxj", "progress")) == .string("进展\(n)") } != nil)
            try c.cli.ok(["item", "set", "rd-2025-7", "title", "题目\(n)", "--store", "hub.db"])
            #expect(c.waitFor(timeout: 20) { (try? c.value("jxj", "item/rd-2025-7", "title")) == .string("题目\(n)") } != nil)
        }
        #expect(unavailable.count == 1, "the 503 URL was tried once, at the failover, and never again")
        let log = Self.log(c, "jxj")
        #expect(Self.switches(to: c.hubURL, in: log) == 1, "\(log)")
        #expect(log.contains("\(unavailable.url) answered HTTP 503"))
        #expect(!log.contains(try c.token("jxj")), "the log never holds the token")
    }

    /// Through a proxy first, then the proxy dies mid-run: the daemon moves to the direct URL and writes keep flowing both ways.
    @Test func killingTheProxyMovesTheDaemonToTheDirectURL() throws {
        let c = try Self.cluster()
        defer { c.stopHub() }
        let proxy = FaultProxy(upstream: c.port, seed: 7)
        proxy.setFaulty(false)
        defer { proxy.stop() }
        let proxyURL = "http://127.0.0.1:\(proxy.port)"
        let metricsPort = freePort()
        let config = try Self.config(c, "jxj", urls: [proxyURL, c.hubURL], extra: "metrics_listen = \"127.0.0.1:\(metricsPort)\"\n")
        let daemon = try Self.startDaemon(c, "jxj")
        defer { Self.stop(daemon) }
        #expect(c.waitFor(timeout: 20) { (try? c.value("jxj", "item/rd-2025-7", "title")) == .string("t") } != nil, "\(Self.log(c, "jxj"))")
        try c.cli.ok(["item", "set", "rd-2025-7", "progress", "经代理", "--store", "jxj.db"])
        #expect(c.waitFor(timeout: 20) { (try? c.value("hub", "assignment/rd-2025-7/jxj", "progress")) == .string("经代理") } != nil)
        #expect(try c.store("jxj").setting("hubUrlInUse") == proxyURL, "it synced through the proxy while the proxy was there")
        #expect(Self.switches(to: c.hubURL, in: Self.log(c, "jxj")) == 0)

        proxy.stop()
        for n in 1...3 {
            try c.cli.ok(["item", "set", "rd-2025-7", "title", "直连\(n)", "--store", "hub.db"])
            #expect(c.waitFor(timeout: 30) { (try? c.value("jxj", "item/rd-2025-7", "title")) == .string("直连\(n)") } != nil, "\(Self.log(c, "jxj"))")
            try c.cli.ok(["item", "set", "rd-2025-7", "progress", "直连\(n)", "--store", "jxj.db"])
            #expect(c.waitFor(timeout: 30) { (try? c.value("hub", "assignment/rd-2025-7/jxj", "progress")) == .string("直连\(n)") } != nil)
        }
        let log = Self.log(c, "jxj")
        #expect(Self.switches(to: c.hubURL, in: log) == 1, "\(log)")
        let status = try c.cli.ok(["--config", config, "status", "--store", "jxj.db"])
        #expect(status.contains("hub URL in use:    \(c.hubURL)"), "\(status)")
        #expect(try c.dump("jxj", item: "rd-2025-7") == c.dump("hub", item: "rd-2025-7"))
        let metrics = try CurlTransport(baseURL: "http://127.0.0.1:\(metricsPort)", token: "").get("/metrics", extraTimeout: 0, cancel: nil)
        #expect(String(decoding: metrics.body, as: UTF8.self).contains("banli_hub_url_in_use{unit=\"jxj\",url=\"\(c.hubURL)\"} 1\n"))
    }

    /// A bad list fails `sync` and the daemon with one sentence naming the file, line and key, and exit code 2.
    @Test func aBadListIsRefusedWithItsSentenceAndExitCode2() throws {
        let c = try Cluster(units: ["jxj"])
        let cases: [(toml: String, message: String)] = [
            ("site = \"jxj\"\nhub_url = []\n", "b.toml line 2, key 'hub_url': the list is empty; give at least one hub URL"),
            ("site = \"jxj\"\nhub_url = [\"http://127.0.0.1:1\", \"ftp://hub\"]\n",
             "b.toml line 2, key 'hub_url': element 2 ('ftp://hub') is not a hub URL; use http://HOST:PORT or https://HOST:PORT"),
            ("site = \"jxj\"\nhub_url = [\"http://127.0.0.1:1\", \"http://127.0.0.1:1/\"]\n",
             "b.toml line 2, key 'hub_url': http://127.0.0.1:1 is listed twice; give each hub URL once."),
            ("site = \"jxj\"\nhub_url = [\"https://hub-a.example.gov.cn:8480\", \"http://127.0.0.1:1\"]\n",
             "b.toml line 2, key 'hub_url': the list mixes https:// and http:// URLs, so a failover would drop TLS"),
            ("site = \"jxj\"\nhub_url = [\"http://127.0.0.1:1\", 8480]\n", "b.toml line 2, key 'hub_url': element 2 must be a URL in quotes."),
            ("site = \"jxj\"\nhub_url = 8480\n", "b.toml line 2, key 'hub_url': must be a URL in quotes, or a list of them"),
            ("site = \"jxj\"\n[[hub]]\noffice = \"city\"\nurl = [\"http://127.0.0.1:1\", \"http://127.0.0.1:1\"]\ntoken_file = \"t\"\nstore = \"s.db\"\n",
             "b.toml line 4, [[hub]] key 'url': http://127.0.0.1:1 is listed twice"),
            ("site = \"jxj\"\n[[hub]]\noffice = \"city\"\nurl = []\ntoken_file = \"t\"\nstore = \"s.db\"\n",
             "b.toml line 4, [[hub]] key 'url': the list is empty"),
        ]
        for (toml, message) in cases {
            try toml.write(toFile: c.dir + "/b.toml", atomically: true, encoding: .utf8)
            let r = try c.cli.run(["--config", "b.toml", "sync"])
            #expect(r.status == 2 && r.stderr.hasPrefix("banli: " + message), "\(toml): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "one sentence: \(r.stderr)")
            let d = try c.cli.run(["--config", "b.toml", "daemon"])
            #expect(d.status == 2 && d.stderr.hasPrefix("banli: " + message), "the daemon does not start: \(d.stderr)")
        }
        // Mixing is the operator's call once plain HTTP is allowed; the same list then loads.
        try "allow_plain_http = true\nhub_url = [\"https://hub-a.example.gov.cn:8480\", \"http://127.0.0.1:1\"]\n"
            .write(toFile: c.dir + "/b.toml", atomically: true, encoding: .utf8)
        #expect(try BanliConfig.load(path: c.dir + "/b.toml").hubURLs == ["https://hub-a.example.gov.cn:8480", "http://127.0.0.1:1"])
        // A single URL reads exactly as before.
        try "hub_url = \"https://hub.example.gov.cn:8480/\"\n".write(toFile: c.dir + "/b.toml", atomically: true, encoding: .utf8)
        #expect(try BanliConfig.load(path: c.dir + "/b.toml").hubURLs == ["https://hub.example.gov.cn:8480"])
    }

    /// Hostile strings as list elements, in TOML escapes: each refused with one sentence naming the key, never a crash.
    @Test func hostileListElementsAreRefusedWithASentence() throws {
        let dir = try BanliProcess.temporaryDirectory()
        var hostile = HostileStrings(seed: 1616)
        var refused = 0
        for n in 0..<300 {
            let s = (n % 2 == 0 ? "https://" : "") + hostile.next()
            try "hub_url = [\"https://a.example:8480\", \(Self.tomlString(s))]\n".write(toFile: dir + "/h.toml", atomically: true, encoding: .utf8)
            do {
                let urls = try BanliConfig.load(path: dir + "/h.toml").hubURLs
                #expect(urls.count == 2 && urls[1].unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7f }, "\(urls)")
            } catch let e as BanliError {
                refused += 1
                // A few escapes TOML itself refuses (\\U00000000) are syntax errors of the same line; the rest name the key.
                #expect(e.exitCode == 2 && e.message.hasPrefix("\(dir)/h.toml line 1") && e.message.hasSuffix("."),
                        "\(e.message.debugDescription)")
            }
        }
        #expect(refused > 250, "nearly every hostile element is refused")
    }

    /// `s` as a TOML basic string: every control character and non-ASCII scalar escaped.
    static func tomlString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20 || u.value == 0x7f || !u.isASCII: out += String(format: "\\U%08X", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
