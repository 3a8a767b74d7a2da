import BanliCore
import BanliHubStorage
import BanliPostgres
import BanliProtocol
import Foundation
import Testing
import TestSupport

/// Several hub processes on one database: two `PostgresHubStorage` instances, each with its own client, are two processes.
@Suite(.offTheCooperativePool) struct PostgresConcurrencyTests {
    let server: PostgresServer

    init() throws { server = try PostgresServer.shared() }

    /// A hub in a fresh database opened twice, with `units` registered.
    func twoProcesses(units: [String]) async throws -> (OpenHub, OpenHub, String) {
        let db = try server.createDatabase(), key = try temporaryKeyFile()
        let a = try await OpenHub.open(server.url(database: db), keyFile: key, create: .init(site: "hub", name: "督查室"))
        for unit in units { _ = try await a.storage.addUnit(site: unit, name: "单位\(unit)") }
        let b = try await OpenHub.open(server.url(database: db), keyFile: key)
        return (a, b, db)
    }

    /// Many pushes from several units and office writes through both processes at once, while another unit pulls
    /// without pause through both in turn, in small pages: at the end its copy equals the hub's view of its items.
    /// A change number handed out before an earlier one commits would be stepped over by the cursor for good.
    @Test func aPullingUnitNeverStepsOverAChange() async throws {
        let pushers = ["p1", "p2", "p3", "p4"], rounds = 25
        let (a, b, _) = try await twoProcesses(units: pushers + ["reader"])
        let hubs = [a.storage, b.storage]
        let items = (0..<(pushers.count * 2)).map { "rd-2025-\(300 + $0)" }
        var grants: [LocalWrite] = []
        for (i, item) in items.enumerated() {
            grants.append(LocalWrite(.assignment(item: item, site: pushers[i / 2]), "role", .string("lead")))
            grants.append(LocalWrite(.assignment(item: item, site: "reader"), "role", .string("assisting")))
        }
        try await a.storage.write(grants)
        let started = ContinuousClock.now
        let done = Flag()

        let reader = Task { () -> (map: [FieldKey: FieldState], pulls: Int) in
            var map: [FieldKey: FieldState] = [:], cursor: Int64 = 0, n: Int64 = 0
            func pull(_ storage: PostgresHubStorage) async throws -> HubExchange {
                n += 1
                let x = try await exchange(storage, "reader", cursor: cursor, exchangeNumber: n, limit: 5, at: nowMilliseconds())
                #expect(!x.resync, "pull \(n): the hub never loses the reader's cursor")
                #expect(x.cursor >= cursor, "pull \(n): the cursor only moves forward")
                for f in try pulledFields(x, from: storage) { map[FieldKey(entity: f.entity.description, field: f.field), default: FieldState()].join(f.state) }
                cursor = x.cursor
                return x
            }
            do {
                while !done.isSet { _ = try await pull(hubs[Int(n % 2)]) }
                // One last pull, to the head.
                while try await pull(a.storage).more {}
            } catch {
                Issue.record("the reader's pull failed: \(error)")
            }
            return (map, Int(n))
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for (k, unit) in pushers.enumerated() {
                group.addTask {
                    var states: [EntityKey: FieldState] = [:], cursor: Int64 = 0
                    let base = HybridLogicalClock.pack(milliseconds: nowMilliseconds())
                    let spec = try FieldCatalogue.require(.assignment, "progress")
                    for r in 1...rounds {
                        let entity = EntityKey.assignment(item: items[k * 2 + r % 2], site: unit)
                        states[entity, default: FieldState()].write(.string("\(unit) 第\(r)次"), dot: Dot(site: unit, counter: base + UInt64(r)))
                        let push = PushedChange.state(ReplicatedField(entity: entity, spec: spec, state: states[entity]!))
                        let x = try await exchange(hubs[(k + r) % 2], unit, cursor: cursor, pushMark: Int64(r - 1), pushThrough: Int64(r),
                                                   exchangeNumber: Int64(r), changes: [push], limit: 50, at: nowMilliseconds())
                        #expect(x.accepted == 1 && x.rejected.isEmpty, "\(unit) round \(r): \(x.rejected)")
                        cursor = x.cursor
                    }
                }
            }
            group.addTask {
                for r in 1...rounds {
                    try await hubs[r % 2].write([LocalWrite(.item(id: items[r % items.count]), "title", .string("建议 \(r)"))])
                }
            }
            try await group.waitForAll()
        }
        done.set()
        let (map, pulls) = await reader.value
        let elapsed = ContinuousClock.now - started

        let hubView = try await a.storage.reduceItems(into: [FieldKey: FieldState]()) { view, item in
            for f in item.fields { view[FieldKey(entity: f.entity.description, field: f.field)] = f.state }
        }
        let pulledItems = map.filter { $0.key.entity.hasPrefix("item/") || $0.key.entity.hasPrefix("assignment/") }
        // Per item: its title, the pusher's role and progress, the reader's role.
        #expect(hubView.count == items.count * 4, "the hub holds every write")
        #expect(Set(pulledItems.keys) == Set(hubView.keys), "the reader holds every field of its items")
        for (key, state) in hubView where pulledItems[key] != state {
            Issue.record("\(key.entity) \(key.field): the reader holds \(String(describing: pulledItems[key])), the hub \(state)")
        }
        print("gap test: \(pushers.count * rounds) pushes and \(rounds) office writes through two processes, \(pulls) pulls, in \(elapsed)")
        await a.close()
        await b.close()
    }

    /// Bookkeeping written through two processes only moves forward: a late, older exchange or failure changes nothing.
    @Test func bookkeepingFromTwoProcessesOnlyMovesForward() async throws {
        let (a, b, db) = try await twoProcesses(units: ["jxj"])
        try await a.storage.write([LocalWrite(.assignment(item: "rd-2025-1", site: "jxj"), "role", .string("sole"))])
        let now = nowMilliseconds()
        let first = try await exchange(a.storage, "jxj", at: now)
        let spec = try FieldCatalogue.require(.assignment, "progress")
        var state = FieldState()
        state.write(.string("已办理"), dot: Dot(site: "jxj", counter: HybridLogicalClock.pack(milliseconds: now)))
        let push = PushedChange.state(ReplicatedField(entity: .assignment(item: "rd-2025-1", site: "jxj"), spec: spec, state: state))
        let pushed = try await exchange(a.storage, "jxj", cursor: first.cursor, pushMark: 0, pushThrough: 4, exchangeNumber: 5, changes: [push],
                                        backlog: 7, at: now + 5_000)
        #expect(pushed.pushMark == 4)
        // An older request (sent before, answered after) through the other process.
        _ = try await exchange(b.storage, "jxj", cursor: 0, pushMark: 0, pushThrough: 2, exchangeNumber: 3, backlog: 1, at: now + 3_000)
        let failure = UnitFailure.malformedRequest(detail: "The request body must be a JSON object.")
        try await b.storage.recordFailure(unit: "jxj", failure: failure, nowMilliseconds: now + 4_000)
        var row = try #require(try await b.storage.unitStatuses()["jxj"])
        #expect(row.lastContactAt == Int64(now + 5_000))
        #expect(row.lastSuccessAt == Int64(now + 5_000))
        #expect(row.lastError == nil, "an older failure does not cover a newer success")
        #expect(row.backlog == 7, "the newest exchange's report stays")
        let marks = try server.psql(database: db, sql: "SELECT push_mark, last_exchange, sent_cursor >= \(pushed.cursor) FROM unit_status WHERE site = 'jxj'")
        #expect(marks.trimmingCharacters(in: .whitespacesAndNewlines) == "4|5|t", "push mark, exchange number and sent cursor never go back")
        let again = try await exchange(b.storage, "jxj", cursor: pushed.cursor, pushMark: 4, pushThrough: 4, exchangeNumber: 6, at: now + 6_000)
        #expect(again.pushMark == 4, "the hub still holds the unit's pushes through 4")
        #expect(!again.resync, "the cursor handed out by the other process is known")

        // Many quiet exchanges at once through both: the newest contact wins, whatever order they commit in.
        var cursor = again.cursor
        try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<40 {
                let storage = i % 2 == 0 ? a.storage : b.storage
                group.addTask {
                    try await exchange(storage, "jxj", cursor: again.cursor, pushMark: 4, pushThrough: 4, exchangeNumber: Int64(7 + i), backlog: i,
                                       at: now + 7_000 + UInt64(i)).cursor
                }
            }
            for try await c in group { cursor = max(cursor, c) }
        }
        row = try #require(try await a.storage.unitStatuses()["jxj"])
        #expect(row.lastContactAt == Int64(now + 7_039))
        #expect(row.lastSuccessAt == Int64(now + 7_039))
        #expect(row.backlog == 39)
        #expect(try server.psql(database: db, sql: "SELECT last_exchange FROM unit_status").trimmingCharacters(in: .whitespacesAndNewlines) == "46")
        await a.close()
        await b.close()
    }

    /// A write through one process wakes a waiter on the other within a second (LISTEN/NOTIFY).
    @Test func aWriteWakesAWaiterOnTheOtherProcess() async throws {
        let (a, b, _) = try await twoProcesses(units: [])
        let head = try await b.storage.headChangeNumber()
        let quiet = ContinuousClock.now
        #expect(try await b.storage.nextChange(after: head, within: .milliseconds(300)) == head)
        #expect(ContinuousClock.now - quiet >= .milliseconds(300), "nothing changed: it waits the whole time")
        for round in 1...3 {
            let before = try await b.storage.headChangeNumber()
            let waiter = Task { () -> (Int64, ContinuousClock.Instant) in
                let seq = try await b.storage.nextChange(after: before, within: .seconds(10))
                return (seq, ContinuousClock.now)
            }
            try await Task.sleep(for: .milliseconds(300))
            let wrote = ContinuousClock.now
            try await a.storage.write([LocalWrite(.item(id: "rd-2025-9"), "title", .string("标题\(round)"))])
            let (seq, woke) = try await waiter.value
            #expect(seq > before)
            #expect(woke - wrote < .seconds(1), "round \(round): woken \(woke - wrote) after the write")
        }
        await a.close()
        await b.close()
    }

    /// With the database down, calls fail soon with `.storeUnavailable` (503 at the hub), and the same instance works
    /// again once the database is back: the pool and the LISTEN connection reconnect by themselves.
    @Test func aLostDatabaseIsUnavailableThenRecovers() async throws {
        let own = try PostgresServer()
        try own.start()
        defer { try? own.stop() }
        let db = try own.createDatabase()
        let hub = try await OpenHub.open(own.url(database: db), keyFile: try temporaryKeyFile(), create: .init(site: "hub", name: "督查室"))
        let s = hub.storage
        _ = try await s.addUnit(site: "jxj", name: "市经信局")
        let first = try await exchange(s, "jxj", at: nowMilliseconds())
        try await s.ping()

        try own.stop()
        let calls: [(String, @Sendable () async throws -> Void)] = [
            ("exchange", { _ = try await exchange(s, "jxj", cursor: first.cursor, exchangeNumber: 1, at: nowMilliseconds()) }),
            ("ping", { try await s.ping() }),
            ("write", { try await s.write([LocalWrite(.item(id: "rd-2025-1"), "title", .string("断线时"))]) }),
            ("head", { _ = try await s.headChangeNumber() }),
        ]
        // All at once: each waits for a connection until it gives up.
        await withTaskGroup(of: Void.self) { group in
            for (what, call) in calls {
                group.addTask {
                    let start = ContinuousClock.now
                    let error = await #expect(throws: BanliError.self, "\(what)") { try await call() }
                    #expect(error?.code == .storeUnavailable, "\(what): \(String(describing: error))")
                    #expect(error?.message.contains("postgresql://banli@") == true, "the sentence names the database")
                    #expect(ContinuousClock.now - start < .seconds(8), "\(what) gave up in \(ContinuousClock.now - start)")
                }
            }
        }

        try own.start()
        let back = ContinuousClock.now
        var recovered: HubExchange?
        while recovered == nil, ContinuousClock.now - back < .seconds(20) {
            recovered = try? await exchange(s, "jxj", cursor: first.cursor, exchangeNumber: 1, at: nowMilliseconds())
            if recovered == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(recovered != nil, "the storage works again once the database is back")
        try await s.write([LocalWrite(.item(id: "rd-2025-1"), "title", .string("恢复后"))])
        #expect(try await s.itemCount() == 1, "nothing half-written while it was down: only the write after")
        #expect(try own.psql(database: db, sql: "SELECT COUNT(*) FROM history WHERE item = 'rd-2025-1'").trimmingCharacters(in: .whitespacesAndNewlines) == "1")

        // The LISTEN connection is back too (it retries at most 5 s apart): a write wakes a waiter within a second.
        var woken = false
        while !woken, ContinuousClock.now - back < .seconds(20) {
            let head = try await s.headChangeNumber()
            let waiter = Task { () -> ContinuousClock.Instant in
                _ = try await s.nextChange(after: head, within: .seconds(3))
                return ContinuousClock.now
            }
            try await Task.sleep(for: .milliseconds(200))
            let wrote = ContinuousClock.now
            try await s.write([LocalWrite(.item(id: "rd-2025-2"), "title", .string("唤醒"))])
            woken = try await waiter.value - wrote < .seconds(1)
        }
        #expect(woken, "after a restart, notifications wake waiters again")
        await hub.close()
    }
}

/// A flag set once, read from other tasks.
final class Flag: @unchecked Sendable {
    // Unchecked: `value` is touched only under `lock`.
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
