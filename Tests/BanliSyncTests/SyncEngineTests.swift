import BanliCore
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
        #expect(again.accepted == 1 && again.rejected.isEmpty)
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

@Suite struct PushPolicyTests {
    let title = FieldCatalogue.spec(.item, "title")!
    let reply = FieldCatalogue.spec(.assignment, "replyText")!

    func policy(authentic: Bool = false) -> PushPolicy {
        PushPolicy(unit: "jxj", hubSite: "hub", nowMilliseconds: 1_000_000) { _, _, _ in authentic }
    }

    func state(_ v: String, _ site: String, _ counter: UInt64, context: [String: UInt64] = [:]) -> FieldState {
        var ctx = context
        ctx[site] = max(ctx[site] ?? 0, counter)
        return FieldState(siblings: [Sibling(value: .string(v), site: site, counter: counter)], context: VersionVector(ctx))
    }

    @Test func ownWriteOnOwnRowIsAccepted() {
        let e = EntityKey.assignment(item: "a", site: "jxj")
        let f = ReplicatedField(entity: e, spec: reply, state: state("x", "jxj", 5))
        #expect(policy().rejection(of: f, current: FieldState(), access: .active) == nil)
        #expect(policy().rejection(of: f, current: FieldState(), access: .none) != nil)
        #expect(policy().rejection(of: f, current: FieldState(), access: .revoked)?.contains("reassigned") == true)
    }

    @Test func knownDotsMayBeRelayedUnknownOnesMayNot() {
        let e = EntityKey.assignment(item: "a", site: "fgw")
        let f = ReplicatedField(entity: e, spec: reply, state: state("x", "fgw", 5))
        #expect(policy().rejection(of: f, current: FieldState(), access: .active)?.contains("only be pushed by 'fgw'") == true)
        // The hub already holds that write: relaying it is a harmless no-op.
        #expect(policy().rejection(of: f, current: state("x", "fgw", 5), access: .active) == nil)
    }

    @Test func hubWritesNeedTheirTag() {
        let f = ReplicatedField(entity: .item(id: "a"), spec: title, state: state("t", "hub", 9))
        #expect(policy(authentic: false).rejection(of: f, current: FieldState(), access: .active)?.contains("signature") == true)
        #expect(policy(authentic: true).rejection(of: f, current: state("old", "hub", 4), access: .active) == nil)
    }

    @Test func mayNotEraseWhatItMayNotWrite() {
        let erase = ReplicatedField(entity: .item(id: "a"), spec: title, state: FieldState(siblings: [], context: VersionVector(["hub": 9])))
        #expect(policy().rejection(of: erase, current: state("t", "hub", 9), access: .active)?.contains("may not change") == true)
    }

    @Test func futureClocksAreRefused() {
        let future = HybridLogicalClock.pack(milliseconds: 1_000_000 + 300_001)
        let f = ReplicatedField(entity: .assignment(item: "a", site: "jxj"), spec: reply, state: state("x", "jxj", future))
        #expect(policy().rejection(of: f, current: FieldState(), access: .active)?.contains("5 minutes") == true)
    }

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
