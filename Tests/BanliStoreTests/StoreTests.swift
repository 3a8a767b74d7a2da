import BanliCore
import BanliProtocol
import BanliSecrets
@testable import BanliStore
import Foundation
import Testing

/// A fresh temporary folder per test.
func temporaryDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "banli-store-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite struct StoreTests {
    let dir: String
    let hub: Store
    let jxj: Store
    let now: UInt64 = 1_744_560_000_000

    init() throws {
        dir = try temporaryDirectory()
        hub = try Store.create(at: dir + "/hub.db", site: "hub", name: "督查室", hubSite: "hub", isHub: true)
        jxj = try Store.create(at: dir + "/jxj.db", site: "jxj", name: "市经信局", hubSite: "hub", isHub: false)
    }

    func dump(_ s: Store) throws -> [String] {
        try s.allFields().map { $0.jsonLine(hubSite: "hub") }
    }

    @Test func storeIsWALAndReopens() throws {
        try jxj.write(.assignment(item: "rd-2025-39", site: "jxj"), "acceptedAt", .string("2025-04-01"), nowMilliseconds: now)
        let again = try Store.open(at: dir + "/jxj.db")
        #expect(again.info == jxj.info)
        #expect(try again.field(.assignment(item: "rd-2025-39", site: "jxj"), "acceptedAt")?.visibleValue(hubSite: "hub") == .string("2025-04-01"))
        #expect(FileManager.default.fileExists(atPath: dir + "/jxj.db-wal"))
    }

    @Test func missingStoreAndExistingStoreAreClearErrors() {
        #expect(throws: BanliError.self) { try Store.open(at: dir + "/nope.db") }
        #expect(throws: BanliError.self) { try Store.create(at: dir + "/jxj.db", site: "jxj", name: "x", hubSite: "hub", isHub: false) }
        #expect(throws: BanliError.self) { try Store.create(at: dir + "/no/such/dir.db", site: "jxj", name: "x", hubSite: "hub", isHub: false) }
    }

    @Test func clockNeverGoesBackAcrossReopen() throws {
        let a = try jxj.write(.assignment(item: "i", site: "jxj"), "progress", .string("1"), nowMilliseconds: now)
        let reopened = try Store.open(at: dir + "/jxj.db")
        let b = try reopened.write(.assignment(item: "i", site: "jxj"), "progress", .string("2"), nowMilliseconds: now - 60_000)
        #expect(b.dot.counter > a.dot.counter)
    }

    @Test func refusedWriteChangesNothing() throws {
        try jxj.write(.assignment(item: "i", site: "jxj"), "progress", .string("1"), nowMilliseconds: now)
        let before = try dump(jxj), counters = try jxj.counters()
        // One allowed write and one forbidden write in the same batch: neither lands.
        #expect(throws: BanliError.self) {
            try jxj.write([
                LocalWrite(entity: .assignment(item: "i", site: "jxj"), field: "progress", value: .string("2")),
                LocalWrite(entity: .assignment(item: "i", site: "fgw"), field: "progress", value: .string("x")),
            ], nowMilliseconds: now)
        }
        #expect(throws: BanliError.self) { try jxj.write(.item(id: "i"), "title", .string("t"), nowMilliseconds: now) }
        #expect(throws: BanliError.self) { try jxj.write(.assignment(item: "i", site: "jxj"), "replyAt", .string("soon"), nowMilliseconds: now) }
        #expect(try dump(jxj) == before)
        #expect(try jxj.counters() == counters)
    }

    @Test func applyJoinsRecordsHistoryAndConflicts() throws {
        let e = EntityKey.assignment(item: "rd-2025-39", site: "jxj")
        try hub.write(e, "role", .string("lead"), nowMilliseconds: now)
        _ = try jxj.apply(try hub.allFields(), via: "hub", nowMilliseconds: now)
        try jxj.write(e, "replyCategory", .string("B"), nowMilliseconds: now + 10)
        try hub.write(e, "replyCategory", .string("A"), nowMilliseconds: now + 20)
        let outcome = try hub.apply(try jxj.allFields(), via: "jxj", nowMilliseconds: now + 30)
        #expect(outcome.newConflicts.map(\.field) == ["replyCategory"])
        let c = try hub.conflicts()
        #expect(c.count == 1)
        #expect(c[0].visibleValue(hubSite: "hub") == .string("B"))  // the bureau is the natural author
        let history = try hub.history(ofItem: "rd-2025-39")
        #expect(history.contains { $0.field == "replyCategory" && $0.origin == "received" && $0.site == "jxj" && $0.via == "jxj" })
        #expect(history.contains { $0.field == "replyCategory" && $0.origin == "local" && $0.site == "hub" })
        // Applying the same states again changes nothing.
        let seq = try hub.counters().seq
        let again = try hub.apply(try jxj.allFields(), via: "jxj", nowMilliseconds: now + 40)
        let seqAfter = try hub.counters().seq
        #expect(again.changed == 0 && seqAfter == seq)
        // A resolving write clears the conflict.
        let w = try hub.write(e, "replyCategory", .string("A"), nowMilliseconds: now + 50)
        #expect(w.superseded == 2)
        #expect(try hub.conflicts().isEmpty)
    }

    @Test func applyRefusesFutureClocksWholeBatch() throws {
        try hub.write(.item(id: "a"), "title", .string("ok"), nowMilliseconds: now)
        try hub.write(.item(id: "b"), "title", .string("future"), nowMilliseconds: now + 3_600_000)
        let before = try dump(jxj)
        #expect(throws: BanliError.self) { try jxj.apply(try hub.allFields(), via: "file", nowMilliseconds: now) }
        #expect(try dump(jxj) == before)
    }

    @Test func historyIsAppendOnly() throws {
        try hub.write(.item(id: "a"), "title", .string("t"), nowMilliseconds: now)
        #expect(try hub.history(ofItem: "a").count == 1)
        #expect(throws: (any Error).self) { try hub.debugExecute("UPDATE history SET value = '\"x\"'") }
        #expect(throws: (any Error).self) { try hub.debugExecute("DELETE FROM history") }
        #expect(try hub.history(ofItem: "a").first?.value == "\"t\"")
    }

    @Test func tokensAreStoredHashed() throws {
        let token = try hub.addUnit(site: "jxj", name: "市经信局", kind: "bureau", nowMilliseconds: now)
        #expect(token.hasPrefix("bnl_") && token.count == 68)
        let raw = try String(contentsOfFile: dir + "/hub.db", encoding: .isoLatin1)
            + ((try? String(contentsOfFile: dir + "/hub.db-wal", encoding: .isoLatin1)) ?? "")
        #expect(!raw.contains(token))
        #expect(raw.contains(Digest.tokenHash(token)))
        #expect(throws: BanliError.self) { try hub.addUnit(site: "jxj", name: "again") }
        #expect(throws: BanliError.self) { try jxj.addUnit(site: "fgw", name: "x") }
        #expect(try hub.item("a") == nil)
        #expect(try hub.field(.unit(site: "jxj"), "name")?.visibleValue(hubSite: "hub") == .string("市经信局"))
    }

    @Test func rowsTravelAsTheLinesOfTheirDecodedFields() throws {
        _ = try hub.addUnit(site: "jxj", name: "市经信局")
        let e = EntityKey.assignment(item: "rd-2025-39", site: "jxj")
        try hub.write(e, "role", .string("lead"), nowMilliseconds: now)
        try hub.write(e, "replyCategory", .string("A"), nowMilliseconds: now + 5)
        try hub.write(.item(id: "rd-2025-39"), "title", .string("关于\"引号\"与\\反斜杠的建议"), nowMilliseconds: now + 6)
        try jxj.write(e, "replyCategory", .string("B"), nowMilliseconds: now + 10)
        try jxj.write(e, "progress", .string("已走访企业12家\n\t\u{1}\u{2028}"), nowMilliseconds: now + 11)
        // The hub's tagged values join the bureau's: a conflict with several siblings, sites in and out of the context.
        _ = try jxj.apply(try hub.allFields(), via: "hub")
        func line(_ row: StoredFieldRow) -> String {
            var out = ""
            FieldLine.write(row, to: &out)
            return out
        }
        let bureau = Dictionary(uniqueKeysWithValues: try jxj.allFields().map { ($0.key, $0.jsonLine(hubSite: "hub")) })
        let batch = try jxj.pushBatch(limit: 500)
        #expect(batch.rows.count >= 2 && batch.remaining == 0)
        #expect(batch.rows.contains { $0.state.siblings.count > 1 && $0.state.siblings.contains { $0.sig != nil } })
        for row in batch.rows { #expect(line(row) == bureau[row.key]) }
        #expect(batch.own == batch.rows.map { $0.holdsValue(of: "jxj") } && batch.own.contains(true))
        let small = try jxj.pushBatch(limit: 1)
        #expect(small.rows.count == 1 && small.remaining == batch.rows.count - 1 && small.rows[0] == batch.rows[0])

        let hubLines = Dictionary(uniqueKeysWithValues: try hub.allFields().map { ($0.key, $0.jsonLine(hubSite: "hub")) })
        let report = UnitReport(clientVersion: "t", backlog: 0, clockOffsetMs: 0, storeId: jxj.info.storeId)
        let answer = try hub.exchange(unit: "jxj", cursor: 0, pushMark: 0, pushThrough: 0, exchangeNumber: 0, resyncRequested: false,
                                      changes: [], limit: 100, report: report, nowMilliseconds: now + 30)
        #expect(answer.changes.count >= 4)
        for row in answer.changes { #expect(line(row) == hubLines[row.key]) }
    }

    @Test func quietExchangesAreSeenAtOnceAndWrittenByTheFlush() throws {
        _ = try hub.addUnit(site: "jxj", name: "市经信局")
        try hub.write(.assignment(item: "rd-2025-39", site: "jxj"), "role", .string("lead"), nowMilliseconds: now)
        let report = UnitReport(clientVersion: "t", backlog: 3, clockOffsetMs: 5, storeId: jxj.info.storeId)
        let first = try hub.exchange(unit: "jxj", cursor: 0, pushMark: 0, pushThrough: 0, exchangeNumber: 0, resyncRequested: false,
                                     changes: [], limit: 100, report: report, nowMilliseconds: now)
        #expect(first.changes.count == 3, "role, active and the unit's directory entry")
        // A quiet exchange: nothing pushed, nothing new; answered and seen by monitoring at once.
        let later = now + 60_000
        let quiet = try hub.exchange(unit: "jxj", cursor: first.cursor, pushMark: 0, pushThrough: 7, exchangeNumber: 1, resyncRequested: false,
                                     changes: [], limit: 100, report: UnitReport(clientVersion: "t", backlog: 0, clockOffsetMs: 5, storeId: nil),
                                     nowMilliseconds: later)
        #expect(quiet.changes.isEmpty && !quiet.resync && quiet.pushMark == 7)
        #expect(try hub.unitStatuses()["jxj"]?.lastContactAt == Int64(later))
        #expect(try Store.open(at: dir + "/hub.db").unitStatuses()["jxj"]?.lastContactAt == Int64(now), "not written before the flush")
        try hub.flushUnitBook()
        let reopened = try Store.open(at: dir + "/hub.db")
        #expect(try reopened.unitStatuses()["jxj"]?.lastContactAt == Int64(later))
        #expect(try reopened.unitStatuses()["jxj"]?.backlog == 0)
        // The flushed push mark and sent cursor hold: the next exchange is neither a resync nor a re-push.
        let again = try reopened.exchange(unit: "jxj", cursor: first.cursor, pushMark: 7, pushThrough: 7, exchangeNumber: 2, resyncRequested: false,
                                          changes: [], limit: 100, report: report, nowMilliseconds: later + 1)
        #expect(!again.resync && again.pushMark == 7)
    }

    @Test func flushingTheUnitBookNeverMakesAQuietExchangeLookRestored() throws {
        _ = try hub.addUnit(site: "jxj", name: "市经信局")
        try hub.write(.assignment(item: "rd-2025-39", site: "jxj"), "role", .string("lead"))
        let report = UnitReport(clientVersion: "t", backlog: 0, clockOffsetMs: 0, storeId: nil)
        var cursor = try hub.exchange(unit: "jxj", cursor: 0, pushMark: 0, pushThrough: 0, resyncRequested: false,
                                      changes: [], limit: 100, report: report).cursor
        let hub = self.hub
        let stop = ManagedFlag()
        let flusher = Thread { while !stop.isSet { try? hub.flushUnitBook() } }
        flusher.start()
        defer { stop.set() }
        // Each round the office writes, so the cursor moves and the sent cursor must keep up, flush or not.
        for i in 0..<400 {
            try hub.write(.item(id: "rd-2025-39"), "title", .string("标题\(i)"))
            let x = try hub.exchange(unit: "jxj", cursor: cursor, pushMark: 0, pushThrough: 0, exchangeNumber: Int64(i + 1), resyncRequested: false,
                                     changes: [], limit: 100, report: report)
            #expect(!x.resync, "round \(i): a flush made the hub forget the cursor it handed out")
            if x.resync { break }
            cursor = x.cursor
        }
    }

    @Test func itemViewAndDerivedStatus() throws {
        let id = "rd-2025-39"
        try hub.write([
            LocalWrite(entity: .item(id: id), field: "title", value: .string("关于整治、规范农村网线的建议")),
            LocalWrite(entity: .item(id: id), field: "assignedAt", value: .string("2025-03-20")),
            LocalWrite(entity: .assignment(item: id, site: "jxj"), field: "role", value: .string("lead")),
            LocalWrite(entity: .assignment(item: id, site: "fgw"), field: "role", value: .string("cooperating")),
        ], nowMilliseconds: now)
        let view = try #require(try hub.item(id))
        let st = try #require(view.status(site: "jxj", today: ISODate("2025-07-01")!))
        #expect(st.stage == .pending && st.overdue && st.dueAt == ISODate("2025-06-20"))
        let coop = try #require(view.status(site: "fgw", today: ISODate("2025-04-01")!))
        #expect(coop.dueAt == ISODate("2025-04-20") && !coop.overdue)
        #expect(view.assignedSites == ["jxj", "fgw"])
    }
}

@Suite struct StoreFailureTests {
    /// SQLite's own full-disk and read-only errors: one clear sentence, nothing half-written.
    @Test func fullDiskAndReadOnlyStoresFailClearlyAndChangeNothing() throws {
        let dir = try temporaryDirectory()
        let store = try Store.create(at: dir + "/jxj.db", site: "jxj", name: "市经信局", hubSite: "hub", isHub: false)
        try store.write(.assignment(item: "a", site: "jxj"), "progress", .string("before"))
        let before = try store.allFields().map { $0.jsonLine(hubSite: "hub") }
        let counters = try store.counters()

        // The writer connection may not grow the file: SQLite answers SQLITE_FULL, as on a full disk.
        try store.debugExecute("PRAGMA max_page_count = \(try store.pageCount())")
        let big = String(repeating: "长", count: 100_000)
        let full = #expect(throws: BanliError.self) {
            try store.write((0..<20).map { LocalWrite(.assignment(item: "a", site: "jxj"), "replyText", .string(big + "\($0)")) })
        }
        #expect(full?.message.contains("is full") == true, "\(String(describing: full?.message))")
        #expect(try store.allFields().map { $0.jsonLine(hubSite: "hub") } == before)
        #expect(try store.counters() == counters)
        try store.debugExecute("PRAGMA max_page_count = 1073741823")

        // A read-only store.
        try store.debugExecute("PRAGMA query_only = 1")
        let readOnly = #expect(throws: BanliError.self) { try store.write(.assignment(item: "a", site: "jxj"), "progress", .string("after")) }
        #expect(readOnly?.message.contains("Cannot write the store") == true, "\(String(describing: readOnly?.message))")
        #expect(try store.allFields().map { $0.jsonLine(hubSite: "hub") } == before)
    }
}

@Suite struct StoreCancellationTests {
    /// A hub or daemon that stops cancels its store accesses: callers see `CancellationError`, which they
    /// pass over quietly, never a store failure they would log or answer with a 503.
    @Test func aCancelledAccessIsACancellationNotAStoreFailure() async throws {
        let dir = try temporaryDirectory()
        let store = try Store.create(at: dir + "/hub.db", site: "hub", name: "督查室", hubSite: "hub", isHub: true)
        let started = ManagedFlag()
        // Synchronous transactions inside an async access, as the exchange and the unit book's flush run.
        let access = Task {
            try await store.onWriter {
                while true {
                    try store.transaction { db in try db.execute(sql: "UPDATE setting SET value = value") }
                    started.set()
                }
            }
        }
        while !started.isSet { try await Task.sleep(for: .milliseconds(1)) }
        access.cancel()
        let outcome = await access.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        try store.write(.item(id: "rd-2025-39"), "title", .string("取消之后"))
        #expect(try store.allFields().count == 1, "the store works on after a cancelled access")
    }
}

/// A flag one thread sets and another polls.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
