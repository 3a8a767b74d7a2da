import BanliCore
import BanliProtocol
import BanliStore
import BanliSync
import Foundation
import Testing

@Suite struct SyncEngineTests {
    let dir: String
    let hub: Store
    let jxj: Store

    init() throws {
        dir = NSTemporaryDirectory() + "banli-sync-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        hub = try Store.create(at: dir + "/hub.db", site: "hub", name: "督查室", hubSite: "hub", isHub: true)
        _ = try hub.addUnit(site: "jxj", name: "市经信局")
        jxj = try Store.create(at: dir + "/jxj.db", site: "jxj", name: "市经信局", hubSite: "hub", isHub: false)
        for n in 1...40 {
            let id = "rd-2025-\(n)"
            try hub.write([
                LocalWrite(entity: .item(id: id), field: "title", value: .string("建议\(n)")),
                LocalWrite(entity: .assignment(item: id, site: "jxj"), field: "role", value: .string("lead")),
            ])
        }
    }

    func dump(_ s: Store, filter: (ReplicatedField) -> Bool = { _ in true }) throws -> [String] {
        try s.allFields().filter(filter).map { $0.jsonLine(hubSite: "hub") }
    }

    @Test func batchesUntilNothingIsLeftAndIdleSyncMovesNothing() throws {
        let t = InProcessTransport(hub: hub, unit: "jxj")
        let engine = SyncEngine(store: jxj, transport: t, limit: 7)
        let r = try engine.syncOnce()
        #expect(r.pulled >= 80 && r.exchanges >= 12)
        #expect(try dump(jxj) == dump(hub))
        for n in 1...40 { try jxj.write(.assignment(item: "rd-2025-\(n)", site: "jxj"), "acceptedAt", .string("2025-04-01")) }
        let push = try engine.syncOnce()
        #expect(push.pushed == 40 && push.accepted == 40 && push.pulled == 0, "the hub does not send back what the unit pushed")
        let idle = try engine.syncOnce()
        #expect(idle.exchanges == 1 && idle.pushed == 0 && idle.pulled == 0)
        #expect(try dump(jxj) == dump(hub))
    }

    @Test func aLostAnswerIsHarmless() throws {
        let t = InProcessTransport(hub: hub, unit: "jxj")
        let engine = SyncEngine(store: jxj, transport: t, limit: 500)
        _ = try engine.syncOnce()
        try jxj.write(.assignment(item: "rd-2025-1", site: "jxj"), "replyText", .string("答复"))
        let before = try jxj.syncState()
        t.failAfter.withLock { $0 = 1 }
        #expect(throws: BanliError.self) { try engine.syncOnce() }
        #expect(try jxj.syncState() == before, "cursor and push mark did not move without the answer")
        #expect(try hub.field(.assignment(item: "rd-2025-1", site: "jxj"), "replyText") != nil, "the hub had committed")
        let again = try engine.syncOnce()
        #expect(again.pushed == 1 && again.accepted == 0 && again.rejected.isEmpty, "re-pushed, and it changed nothing at the hub")
        #expect(again.changed == 0, "the retry brings nothing new to the unit")
        #expect(try dump(jxj) == dump(hub))
        #expect(try hub.history(ofItem: "rd-2025-1").filter { $0.field == "replyText" }.count == 1, "applied once at the hub")
    }

    @Test func failureBeforeTheHubChangesNothing() throws {
        let t = InProcessTransport(hub: hub, unit: "jxj")
        let engine = SyncEngine(store: jxj, transport: t)
        t.failBefore.withLock { $0 = 1 }
        #expect(throws: BanliError.self) { try engine.syncOnce() }
        #expect(try jxj.syncState() == SyncState())
        _ = try engine.syncOnce()
        #expect(try jxj.syncState().cursor > 0)
    }
}

@Suite struct BackoffTests {
    @Test func backoffGrowsWithJitterAndResets() {
        var b = Backoff(base: 1, cap: 8)
        var rng = SystemRandomNumberGenerator()
        let delays = (0..<6).map { _ in b.nextDelay(using: &rng) }
        #expect(delays[0] >= 0.5 && delays[0] <= 1)
        #expect(delays[3] >= 4 && delays[3] <= 8)
        #expect(delays[5] <= 8)
        b.reset()
        #expect(b.nextDelay(using: &rng) <= 1)
    }
}
