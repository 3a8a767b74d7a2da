import BanliCore
import Foundation
import Synchronization
import Testing
import TestSupport

/// A PostgreSQL hub at process level: the change order has no gaps under pushes through two `banli hub serve`
/// processes, and `banli import` of a ledger fills the database (or, from a bad file, changes nothing).
@Suite(.serialized) struct PostgresProcessTests {
    /// A ledger CSV of proposals zx-2025-NUMBER, each assigned to its lead unit (主办单位) and its cooperating unit (会办单位).
    func ledger(_ items: [(number: Int, lead: String, cooperating: String)]) -> String {
        "编号,类别,年度,标题,主办单位,会办单位,交办日期\n"
            + items.map { "\($0.number),提案,2025,关于第\($0.number)号事项的提案,单位\($0.lead),单位\($0.cooperating),2025-03-20\n" }.joined()
    }

    /// Writers push concurrently through both processes while unit cz pulls through one of them without pause. Each
    /// round a writer reports progress on an item of its own that nobody writes again, so a change the pulling cursor
    /// stepped over is lost to cz for good; at the end cz's store equals the hub's view of every item.
    @Test func concurrentPushesThroughTwoProcessesLeaveNoGapForAPullingUnit() throws {
        let writers = ["w1", "w2", "w3", "w4"], rounds = 10
        let c = try PostgresHubCluster(server: try PostgresServer.shared(), units: writers + ["cz"])
        let items = writers.indices.flatMap { w in (0..<rounds).map { r in (number: 100 + w * rounds + r, lead: writers[w], cooperating: "cz") } }
        try ledger(items).write(toFile: c.dir + "/list.csv", atomically: true, encoding: .utf8)
        #expect(try c.hub(["import", "list.csv"]).contains("Imported \(items.count) items"))
        let ports = [freePort(), freePort()]
        for p in ports { try c.startHub(port: p) }
        defer { for p in ports { c.stopHub(p) } }
        for (i, w) in writers.enumerated() { try c.bureau(w, ports: i % 2 == 0 ? ports : ports.reversed()) }
        try c.bureau("cz", ports: [ports[1]])
        for u in writers + ["cz"] { try c.cli.ok(["sync", "--store", "\(u).db"]) }

        final class Progress: Sendable {
            let writing: Atomic<Int>
            let pulls = Atomic<Int>(0)
            let failures = Mutex<[String]>([])
            init(writers: Int) { writing = Atomic(writers) }
        }
        let progress = Progress(writers: writers.count), cli = c.cli
        let done = DispatchGroup()
        /// Runs `banli args`, keeping what a failure said.
        @Sendable func run(_ args: [String]) {
            do {
                let r = try cli.run(args)
                if r.status != 0 { progress.failures.withLock { $0.append("banli \(args.joined(separator: " ")): \(r.stderr)") } }
            } catch {
                progress.failures.withLock { $0.append("banli \(args.joined(separator: " ")): \(error)") }
            }
        }
        // cz pulls through the second process, one sync after another, until every writer is done.
        done.enter()
        Thread.detachNewThread {
            while progress.writing.load(ordering: .acquiring) > 0 {
                run(["sync", "--store", "cz.db"])
                progress.pulls.add(1, ordering: .relaxed)
            }
            done.leave()
        }
        for (w, unit) in writers.enumerated() {
            done.enter()
            Thread.detachNewThread {
                for r in 0..<rounds {
                    run(["item", "set", "zx-2025-\(100 + w * rounds + r)", "progress", "\(unit)第\(r)轮", "--store", "\(unit).db"])
                    // Through each process in turn, so both take change numbers at once.
                    run(["sync", "--store", "\(unit).db", "--hub-url", "http://127.0.0.1:\(ports[(w + r) % 2])"])
                }
                progress.writing.subtract(1, ordering: .releasing)
                done.leave()
            }
        }
        #expect(done.wait(timeout: .now() + 120) == .success, "the writers and the puller finished")
        let failed = progress.failures.withLock { $0 }
        #expect(failed.isEmpty, "\(failed.count) commands failed: \(failed.prefix(3))")
        #expect(progress.pulls.load(ordering: .relaxed) >= 3, "cz pulled while the writers pushed")

        // One more pull continues from cz's cursor: a change it stepped over is never sent again.
        try c.cli.ok(["sync", "--store", "cz.db"])
        let hub = try c.hub(["dump", "--json"]).split(separator: "\n").map(String.init)
        let cz = try c.cli.ok(["dump", "--json", "--store", "cz.db"]).split(separator: "\n").map(String.init)
        func lines(_ dump: [String], _ item: String) -> [String] { dump.filter { $0.contains("/\(item)\"") || $0.contains("/\(item)/") } }
        var missing = 0
        for item in items.map({ "zx-2025-\($0.number)" }) where lines(cz, item) != lines(hub, item) {
            missing += 1
            Issue.record("cz differs from the hub on \(item); the hub's lines cz lacks: \(Array(Set(lines(hub, item)).subtracting(lines(cz, item))))")
        }
        #expect(missing == 0)
        #expect(hub.filter { $0.contains("第\(rounds - 1)轮") }.count == writers.count, "every writer's last round reached the hub")
    }

    @Test func importFillsThePostgreSQLHubAndABadFileChangesNothing() throws {
        let server = try PostgresServer.shared()
        let c = try PostgresHubCluster(server: server, units: ["jxj", "fgw"])
        try ledger([(39, "jxj", "fgw"), (40, "fgw", "jxj")]).write(toFile: c.dir + "/list.csv", atomically: true, encoding: .utf8)
        #expect(try c.hub(["import", "list.csv"]).contains("Imported 2 items"))
        let port = freePort()
        try c.startHub(port: port)
        defer { c.stopHub(port) }
        try c.bureau("jxj", ports: [port])
        try c.cli.ok(["sync", "--store", "jxj.db"])
        #expect(try c.line("jxj", containing: "关于第39号事项的提案"))
        #expect(try c.line("jxj", containing: "关于第40号事项的提案"))

        // A file whose third line holds an impossible date: refused whole, the database as it was.
        let bad = ledger([(41, "jxj", "fgw"), (42, "jxj", "fgw")])
            .replacingOccurrences(of: "关于第42号事项的提案,单位jxj,单位fgw,2025-03-20",
                                  with: "关于第42号事项的提案,单位jxj,单位fgw,2025-02-30")
        try bad.write(toFile: c.dir + "/bad.csv", atomically: true, encoding: .utf8)
        let head = "SELECT seq || ',' || clock FROM hub"
        let (before, counters) = (try c.hub(["dump", "--json"]), try server.psql(database: c.database, sql: head))
        let r = try c.cli.run(["--config", "hub.toml", "import", "bad.csv"])
        #expect(r.status != 0 && r.stderr.contains("line 3") && r.stderr.contains("Nothing was imported"), "\(r.stderr)")
        #expect(try c.hub(["dump", "--json"]) == before)
        #expect(try server.psql(database: c.database, sql: head) == counters, "no change number was taken")
        try c.cli.ok(["sync", "--store", "jxj.db"])
        #expect(!(try c.line("jxj", containing: "关于第41号事项的提案")))
    }
}
