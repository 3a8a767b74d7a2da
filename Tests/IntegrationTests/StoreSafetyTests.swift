import BanliCore
import BanliProtocol
import BanliStore
import Foundation
import Testing

/// Stores are private, checked on every read, and synced by one process at a time. Through the real binary.
@Suite struct StoreSafetyTests {
    /// A served hub with one item assigned to jxj.
    static func servedCluster() throws -> Cluster {
        let c = try Cluster(units: ["jxj"])
        try c.cli.ok(["item", "new", "rd-2025-39", "--kind", "建议", "--number", "39", "--year", "2025", "--title", "建议39", "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "rd-2025-39", "jxj", "--role", "主办", "--at", "2025-03-20", "--store", "hub.db"])
        try c.startHub()
        return c
    }

    @Test func everyFileBanliCreatesIsReadableByItsOwnerOnly() throws {
        umask(0o022)  // the usual default: the binary must not rely on its caller's umask
        let c = try Self.servedCluster()
        defer { c.stopHub() }
        try c.sync("jxj")
        try c.cli.ok(["item", "accept", "rd-2025-39", "--at", "2025-03-25", "--store", "jxj.db"])
        try c.sync("jxj")
        try c.cli.ok(["backup", "hub-backup.db", "--store", "hub.db"])
        try c.cli.ok(["backup", "jxj-backup.db", "--store", "jxj.db"])
        try c.cli.ok(["export", "--output", "ledger.csv", "--store", "hub.db"])

        let files = try FileManager.default.contentsOfDirectory(atPath: c.dir).filter { !$0.hasSuffix(".log") }  // logs: the test's own
        for expected in ["hub.db", "hub.db-wal", "hub.db-shm", "hub.db.key", "jxj.token", "jxj.db", "jxj.db.sync.lock", "hub-backup.db", "jxj-backup.db"] {
            #expect(files.contains(expected), "\(expected) was made: \(files.sorted())")
        }
        for f in files {
            var st = stat()
            #expect(stat(c.dir + "/" + f, &st) == 0)
            #expect(st.st_mode & 0o037 == 0, "\(f) has mode \(String(st.st_mode & 0o777, radix: 8)); at most 0640")
        }
    }

    /// Runs `banli` and expects it to refuse with one sentence naming the damaged row, without crashing.
    func expectDamaged(_ cli: BanliProcess, _ args: [String], naming row: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try cli.run(args)
        #expect(r.status == 1, "banli \(args.joined(separator: " ")) exits 1, not \(r.status)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains("The stored state of \(row) is damaged") && r.stderr.contains("banli backup"), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.split(separator: "\n").count == 1, "one sentence: \(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func aDamagedStateIsNamedWithHowToRecover() throws {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory())
        try cli.ok(["hub", "init", "--store", "hub.db"])
        try cli.ok(["hub", "add-unit", "jxj", "--name", "市经信局", "--store", "hub.db", "--token-file", "jxj.token"])
        try cli.ok(["item", "new", "rd-2025-39", "--kind", "建议", "--number", "39", "--year", "2025", "--title", "关于甲方的建议",
                    "--store", "hub.db"])
        try cli.ok(["item", "assign", "rd-2025-39", "jxj", "--role", "主办", "--at", "2025-03-20", "--store", "hub.db"])
        try cli.ok(["item", "set", "rd-2025-39", "handler", "甲乙", "--unit", "jxj", "--store", "hub.db"])
        #expect(try cli.ok(["dump", "--store", "hub.db"]).contains("甲乙"))
        let store = try Store.open(at: cli.directory + "/hub.db")

        // One bit inside a Chinese character: 甲 (E7 94 B2) becomes 申 (E7 94 B3), still valid UTF-8 and valid JSON.
        try store.debugExecute("UPDATE field SET value = replace(value, '甲', '申') WHERE field = 'handler'")
        for args in [["dump"], ["dump", "--json"], ["item", "show", "rd-2025-39"], ["item", "show", "rd-2025-39", "--json"], ["export"]] {
            try expectDamaged(cli, args + ["--store", "hub.db"], naming: "assignment/rd-2025-39/jxj field handler")
        }
        #expect(try store.debugQuery("PRAGMA integrity_check") == "ok", "SQLite alone sees nothing wrong")

        // A byte of the title's JSON, and a byte of a stored state, overwritten.
        try store.debugExecute("UPDATE field SET value = replace(value, '申', '甲') WHERE field = 'handler'")
        try store.debugExecute("UPDATE field SET value = '{' || substr(value, 2) WHERE field = 'title'")
        try expectDamaged(cli, ["item", "show", "rd-2025-39", "--store", "hub.db"], naming: "item/rd-2025-39 field title")
        try store.debugExecute("UPDATE field SET value = '\"' || substr(value, 2) WHERE field = 'title'")
        try store.debugExecute("""
            UPDATE field SET state = CAST(substr(state, 1, 2) || char(unicode(substr(state, 3, 1)) + 1) || substr(state, 4) AS BLOB)
            WHERE field = 'role'
            """)
        try expectDamaged(cli, ["dump", "--store", "hub.db"], naming: "assignment/rd-2025-39/jxj field role")
    }

    @Test func rowsMigratedFromV1AreCheckedToo() throws {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory())
        try FileManager.default.copyItem(atPath: MigrationTests.fixtures + "/jxj.db", toPath: cli.directory + "/jxj.db")
        let dump = try cli.ok(["dump", "--json", "--store", "jxj.db"])
        #expect(dump.contains(#""field":"title""#))
        try Store.open(at: cli.directory + "/jxj.db").debugExecute("UPDATE field SET value = replace(value, '建议', '建仪') WHERE field = 'title'")
        try expectDamaged(cli, ["dump", "--store", "jxj.db"], naming: "item/rd-2025-39 field title")
    }

    @Test func twoSyncsOfOneStoreTakeTurnsAndPushOnce() throws {
        let c = try Self.servedCluster()
        defer { c.stopHub() }
        try c.sync("jxj")
        // 1200 of the unit's own writes, brought in through the binary (as an offline exchange would).
        let counter = HybridLogicalClock.pack(milliseconds: HybridLogicalClock.wallMilliseconds())
        let writes = try (1...1200).map { n in
            var state = FieldState()
            state.write(.string("第\(n)次沟通"), dot: Dot(site: "jxj", counter: counter + UInt64(n)))
            let spec = try FieldCatalogue.require(.contact, "note")
            return ReplicatedField(entity: .contact(item: "rd-2025-39", site: "jxj", n: n), spec: spec, state: state).jsonLine(hubSite: "hub")
        }
        try c.cli.ok(["apply", "-", "--store", "jxj.db"], stdin: writes.joined(separator: "\n") + "\n")

        nonisolated(unsafe) var outputs: [BanliProcess.Result] = []
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            let r = try? c.cli.run(["sync", "--store", "jxj.db"])
            lock.withLock { if let r { outputs.append(r) } }
        }
        #expect(outputs.count == 2 && outputs.allSatisfy { $0.status == 0 }, "\(outputs.map(\.stderr))")
        let pushed = outputs.compactMap { r in r.stdout.firstMatch(of: /pushed (\d+)/).map { Int($0.1)! } }
        #expect(pushed.reduce(0, +) == writes.count, "each write pushed once, not twice: \(pushed)")

        // The daemon holds the lock only while it syncs: a clerk's sync still goes through.
        _ = try c.startDaemon("jxj", interval: 0.5)
        Thread.sleep(forTimeInterval: 1.5)
        try c.cli.ok(["item", "set", "rd-2025-39", "progress", "已联系", "--store", "jxj.db"])
        let start = Date()
        try c.sync("jxj")
        #expect(Date().timeIntervalSince(start) < 30)
    }
}
