import BanliCore
import Foundation
import Testing
import TestSupport

/// A hub on a real PostgreSQL database: hub.toml names it, every office command works on it, two `banli hub serve`
/// processes serve it at once, and the bureaus' stores are SQLite files in the folder.
final class PostgresHubCluster: @unchecked Sendable {
    let cli: BanliProcess
    let server: PostgresServer
    let url: String
    /// The database's name on the server.
    let database: String
    private(set) var hubs: [Int: Process] = [:]
    var dir: String { cli.directory }

    init(server: PostgresServer, units: [String]) throws {
        self.server = server
        cli = BanliProcess(directory: try BanliProcess.temporaryDirectory())
        database = try server.createDatabase()
        url = server.url(database: database)
        try "store = \"\(url)\"\nkey_file = \"\(cli.directory)/hub.key\"\n".write(toFile: cli.directory + "/hub.toml", atomically: true, encoding: .utf8)
        try hub(["hub", "init", "--name", "省政府督查室"])
        for u in units { try hub(["hub", "add-unit", u, "--name", "单位\(u)", "--token-file", "\(u).token"]) }
    }

    deinit {
        for p in hubs.values where p.isRunning { p.terminate() }
    }

    /// Runs an office command on the database (through hub.toml), requiring success.
    @discardableResult
    func hub(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try cli.ok(["--config", "hub.toml"] + args, sourceLocation: sourceLocation)
    }

    /// A bureau store for `unit` whose hub URLs are the processes on `ports`, in that order.
    func bureau(_ unit: String, ports: [Int]) throws {
        try cli.ok(["init", "--site", unit, "--name", "单位\(unit)", "--store", "\(unit).db", "--token-file", "\(unit).token"]
                   + ports.flatMap { ["--hub-url", "http://127.0.0.1:\($0)"] })
    }

    /// Starts a hub process on `port` (its store named by `config`, hub.toml unless told) and waits until it answers.
    func startHub(port: Int, config: String = "hub.toml") throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BanliProcess.binary)
        p.arguments = ["--config", config, "hub", "serve", "--listen", "127.0.0.1:\(port)", "--admin-listen", "127.0.0.1:\(freePort())"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        _ = FileManager.default.createFile(atPath: dir + "/hub-\(port).log", contents: nil)
        let log = FileHandle(forWritingAtPath: dir + "/hub-\(port).log")!
        p.standardOutput = log
        p.standardError = log
        try p.run()
        hubs[port] = p
        let ready = waitUntil(timeout: 30) { (try? self.health(port))?.hasPrefix("HTTP/1.1 200") == true }
        #expect(ready != nil, "the hub on port \(port) did not start: \(hubLog(port))")
    }

    func kill9(_ port: Int) {
        guard let p = hubs[port] else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        hubs[port] = nil
    }

    func stopHub(_ port: Int) {
        guard let p = hubs[port] else { return }
        p.terminate()
        p.waitUntilExit()
        hubs[port] = nil
    }

    func hubLog(_ port: Int) -> String { (try? String(contentsOfFile: dir + "/hub-\(port).log", encoding: .utf8)) ?? "" }

    /// `GET /healthz` of the process on `port`: status line, headers and body.
    func health(_ port: Int) throws -> String {
        try DebPackageTests.run(["/usr/bin/curl", "-s", "-i", "--max-time", "5", "http://127.0.0.1:\(port)/healthz"], in: dir).out
    }

    /// A field's visible value in a bureau's store, through `item show --json`-free dump lines.
    func line(_ unit: String, containing text: String) throws -> Bool {
        try cli.ok(["dump", "--json", "--store", "\(unit).db"]).contains(text)
    }
}

@Suite(.serialized) struct PostgresHubTests {
    @Test func everyOfficeCommandWorksOnTheDatabase() throws {
        let c = try PostgresHubCluster(server: try PostgresServer.shared(), units: ["jxj", "fgw"])
        try c.hub(["item", "new", "zx-2025-12", "--kind", "proposal", "--number", "12", "--year", "2025", "--title", "关于加装电梯的提案",
                   "--proposer", "程玮"])
        try c.hub(["item", "assign", "zx-2025-12", "jxj", "--role", "lead", "--at", "2025-03-20"])
        try c.hub(["item", "assign", "zx-2025-12", "fgw", "--role", "assisting", "--at", "2025-03-20"])
        #expect(try c.hub(["item", "show", "zx-2025-12"]).contains("关于加装电梯的提案"))
        #expect(try c.hub(["item", "list"]).contains("zx-2025-12"))
        #expect(try c.hub(["history", "zx-2025-12"]).contains("assignment/zx-2025-12/fgw"))
        #expect(try c.hub(["export"]).contains("关于加装电梯的提案"))
        #expect(try c.hub(["report", "--year", "2025"]).contains("2025"))
        try c.hub(["hub", "set-unit", "fgw", "--alias", "市发改委"])
        #expect(try c.hub(["hub", "status"]).contains("fgw"))
        let before = try String(contentsOfFile: c.dir + "/fgw.token", encoding: .utf8)
        try FileManager.default.removeItem(atPath: c.dir + "/fgw.token")
        try c.hub(["hub", "rotate-token", "fgw", "--token-file", "fgw.token"])
        #expect(try String(contentsOfFile: c.dir + "/fgw.token", encoding: .utf8) != before)
        try c.hub(["hub", "add-operator", "ops", "--token-file", "ops.token"])
        // What only a SQLite file does is refused with one sentence that says what to use instead.
        let backup = try c.cli.run(["--config", "hub.toml", "backup", c.dir + "/copy.db"])
        #expect(backup.status == 2 && backup.stderr.contains("PostgreSQL") && backup.stderr.split(separator: "\n").count == 1, "\(backup.stderr)")
    }

    @Test func twoProcessesServeOneDatabaseThroughFailuresOfEither() throws {
        // Its own server: the test stops and starts it.
        let server = try PostgresServer()
        try server.start()
        let c = try PostgresHubCluster(server: server, units: ["jxj", "fgw"])
        try c.hub(["item", "new", "zx-2025-30", "--kind", "proposal", "--number", "30", "--year", "2025", "--title", "提案30"])
        try c.hub(["item", "assign", "zx-2025-30", "jxj", "--role", "lead"])
        try c.hub(["item", "assign", "zx-2025-30", "fgw", "--role", "assisting"])
        let (a, b) = (freePort(), freePort())
        try c.startHub(port: a)
        try c.startHub(port: b)
        try c.bureau("jxj", ports: [a, b])
        try c.bureau("fgw", ports: [b])
        try c.cli.ok(["sync", "--store", "jxj.db"])
        try c.cli.ok(["sync", "--store", "fgw.db"])

        // A long-poll held by process B wakes for a push through process A.
        let cursor = try #require(Int(try c.cli.ok(["status", "--json", "--store", "fgw.db"])
            .split(separator: "\"cursor\":").dropFirst().first?.prefix { $0.isNumber } ?? ""))
        let token = try String(contentsOfFile: c.dir + "/fgw.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let wait = Process()
        wait.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        wait.arguments = ["-s", "-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(b)/v1/wait?cursor=\(cursor)&timeout=30"]
        let out = Pipe()
        wait.standardOutput = out
        try wait.run()
        Thread.sleep(forTimeInterval: 0.5)
        try c.cli.ok(["item", "set", "zx-2025-30", "progress", "已联系委员", "--store", "jxj.db"])
        try c.cli.ok(["sync", "--store", "jxj.db"])
        let pushed = Date()
        wait.waitUntilExit()
        let woke = Date().timeIntervalSince(pushed)
        let answer = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(answer.contains("\"changed\":true") && woke < 1, "woke after \(woke) s: \(answer)")
        try c.cli.ok(["sync", "--store", "fgw.db"])
        #expect(try c.line("fgw", containing: "已联系委员"))

        // kill -9 of process A: jxj moves on to B and nothing it writes is lost.
        c.kill9(a)
        try c.cli.ok(["item", "set", "zx-2025-30", "progress", "已走访", "--store", "jxj.db"])
        try c.cli.ok(["sync", "--store", "jxj.db"])
        try c.cli.ok(["sync", "--store", "fgw.db"])
        #expect(try c.line("fgw", containing: "已走访"))

        // The database goes away: B stays up, says so, and refuses syncs with 503 and Retry-After; a write made
        // meanwhile at jxj waits there and lands once the database is back, without restarting anything.
        try server.stop()
        let down = try c.health(b)
        #expect(down.hasPrefix("HTTP/1.1 503") && down.lowercased().contains("retry-after: 30"), "\(down)")
        try c.cli.ok(["item", "set", "zx-2025-30", "progress", "已答复", "--store", "jxj.db"])
        #expect(try c.cli.run(["sync", "--store", "jxj.db"]).status == 3)
        let refused = try c.cli.run(["sync", "--store", "fgw.db"])
        #expect(refused.status == 3 && refused.stderr.contains("503"), "\(refused.stderr)")
        try server.start()
        #expect(waitUntil(timeout: 30) { (try? c.health(b))?.hasPrefix("HTTP/1.1 200") == true } != nil, "\(c.hubLog(b))")
        try c.cli.ok(["sync", "--store", "jxj.db"])
        try c.cli.ok(["sync", "--store", "fgw.db"])
        #expect(try c.line("fgw", containing: "已答复"))
        #expect(c.hubs[b]?.isRunning == true, "the hub process never stopped")
    }

    @Test func aHubMovesToPostgreSQLAndBackWithoutItsBureausNoticing() async throws {
        let c = try HubMigrateTests().workedHub()
        c.stopHub()
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        let out = try c.cli.ok(["hub", "migrate", "--store", "hub.db", "--to", url])
        #expect(out.contains("Copied hub hub"), "\(out)")
        // The same hub, served from the database on the bureaus' port: they push and pull nothing again.
        try "store = \"\(url)\"\n".write(toFile: c.dir + "/pg.toml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BanliProcess.binary)
        p.arguments = ["--config", "pg.toml", "hub", "serve", "--listen", "127.0.0.1:\(c.port)", "--admin-listen", "127.0.0.1:\(c.adminPort)"]
        p.currentDirectoryURL = URL(fileURLWithPath: c.dir)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        #expect(c.waitFor(timeout: 30) { (try? c.cli.run(["sync", "--store", "jxj.db"]))?.status == 0 } != nil)
        for unit in ["jxj", "fgw"] {
            let quiet = try c.sync(unit)
            #expect(quiet.contains("pushed 0 ") && quiet.contains("pulled 0 ") && !quiet.contains("lost data"), "\(unit): \(quiet)")
        }
        // And back into a SQLite file: every row as the database holds it.
        p.terminate()
        p.waitUntilExit()
        try c.cli.ok(["hub", "migrate", "--store", url, "--to", "back.db"])
        #expect(try c.dump("back") == c.dump("hub"))
    }

    @Test func aDatabaseRestoredFromAnOlderDumpIsHealedByItsBureaus() throws {
        let server = try PostgresServer.shared()
        let c = try PostgresHubCluster(server: server, units: ["jxj", "fgw"])
        try c.hub(["item", "new", "zx-2025-40", "--kind", "proposal", "--number", "40", "--year", "2025", "--title", "提案40"])
        try c.hub(["item", "assign", "zx-2025-40", "jxj", "--role", "lead"])
        try c.hub(["item", "assign", "zx-2025-40", "fgw", "--role", "assisting"])
        let port = freePort()
        try c.startHub(port: port)
        try c.bureau("jxj", ports: [port])
        try c.bureau("fgw", ports: [port])
        try c.cli.ok(["sync", "--store", "jxj.db"])
        try c.cli.ok(["sync", "--store", "fgw.db"])
        let database = c.database
        try server.pgDump(database: database, to: c.dir + "/old.sql")

        // After the dump: a unit's write and an office write, both seen by the bureaus.
        try c.cli.ok(["item", "set", "zx-2025-40", "progress", "已召开座谈会", "--store", "jxj.db"])
        try c.cli.ok(["sync", "--store", "jxj.db"])
        try c.hub(["item", "set", "zx-2025-40", "title", "关于完善社区养老服务的提案"])
        try c.cli.ok(["sync", "--store", "fgw.db"])
        try c.cli.ok(["sync", "--store", "jxj.db"])

        // The database comes back from the older dump, as after a restore or a standby promoted without the last commits.
        c.stopHub(port)
        try server.psql(database: "postgres", sql: "DROP DATABASE \(database)")
        try server.psql(database: "postgres", sql: "CREATE DATABASE \(database)")
        try server.psql(database: database, sql: "\\i \(c.dir)/old.sql")
        #expect(!(try c.hub(["item", "show", "zx-2025-40"]).contains("已召开座谈会")), "the dump predates the write")
        try c.startHub(port: port)
        for _ in 0..<2 {
            for unit in ["jxj", "fgw"] { try c.cli.ok(["sync", "--store", "\(unit).db"]) }
        }
        let healed = try c.hub(["item", "show", "zx-2025-40"])
        #expect(healed.contains("已召开座谈会") && healed.contains("关于完善社区养老服务的提案"), "\(healed)")
        #expect(try c.line("fgw", containing: "已召开座谈会") && c.line("jxj", containing: "关于完善社区养老服务的提案"))
    }

    /// kill -9 of either hub process at seeded random moments while both bureaus' daemons sync and clerks write.
    @Test func killingEitherProcessLosesNothing() throws {
        var random = SplitMix64(seed: 20_261_130)
        let c = try PostgresHubCluster(server: try PostgresServer.shared(), units: ["jxj", "fgw"])
        try c.hub(["item", "new", "zx-2025-50", "--kind", "proposal", "--number", "50", "--year", "2025", "--title", "提案50"])
        try c.hub(["item", "assign", "zx-2025-50", "jxj", "--role", "lead"])
        try c.hub(["item", "assign", "zx-2025-50", "fgw", "--role", "assisting"])
        let ports = [freePort(), freePort()]
        for p in ports { try c.startHub(port: p) }
        try c.bureau("jxj", ports: ports)
        try c.bureau("fgw", ports: ports.reversed())
        for unit in ["jxj", "fgw"] { try c.cli.ok(["sync", "--store", "\(unit).db"]) }
        var daemons: [Process] = []
        defer { for d in daemons where d.isRunning { d.terminate(); d.waitUntilExit() } }
        for unit in ["jxj", "fgw"] {
            let d = Process()
            d.executableURL = URL(fileURLWithPath: BanliProcess.binary)
            d.arguments = ["daemon", "--store", "\(unit).db", "--interval", "1"]
            d.currentDirectoryURL = URL(fileURLWithPath: c.dir)
            d.standardOutput = FileHandle.nullDevice
            d.standardError = FileHandle.nullDevice
            try d.run()
            daemons.append(d)
        }
        for round in 0..<20 {
            try c.cli.ok(["item", "set", "zx-2025-50", "progress", "第\(round)轮进展", "--store", "jxj.db"])
            try c.cli.ok(["item", "set", "zx-2025-50", "opinion", "第\(round)轮会办意见", "--store", "fgw.db"])
            Thread.sleep(forTimeInterval: Double(random.next() % 600) / 1000)
            let victim = ports[Int(random.next() % 2)]
            c.kill9(victim)
            Thread.sleep(forTimeInterval: Double(random.next() % 400) / 1000)
            try c.startHub(port: victim)
        }
        // Every last write reaches the hub and the other bureau.
        let converged = waitUntil(timeout: 60) {
            let hub = (try? c.hub(["item", "show", "zx-2025-50"])) ?? ""
            return hub.contains("第19轮进展") && hub.contains("第19轮会办意见")
                && (try? c.line("fgw", containing: "第19轮进展")) == true && (try? c.line("jxj", containing: "第19轮会办意见")) == true
        }
        #expect(converged != nil, "the stores did not converge: \(c.hubLog(ports[0]).suffix(600))")
        #expect(daemons.allSatisfy { $0.isRunning }, "no daemon stopped")
    }
}

