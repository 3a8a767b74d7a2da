import BanliCore
import BanliHubStorage
import BanliStore
import Foundation
import Testing

/// `banli hub migrate`: the copy is the same hub to its bureaus, and a bad target changes nothing.
@Suite(.serialized) struct HubMigrateTests {
    /// A hub with two units that have synced, written and synced again, and an operator.
    func workedHub() throws -> Cluster {
        let c = try Cluster(units: ["jxj", "fgw"])
        try SyncIntegrationTests().newItem(c, "zx-2025-12", number: 12, assign: [("jxj", "lead"), ("fgw", "assisting")])
        try SyncIntegrationTests().newItem(c, "zx-2025-13", number: 13, assign: [("fgw", "sole")])
        try c.cli.ok(["hub", "add-operator", "ops", "--store", "hub.db", "--token-file", "ops.token"])
        try c.startHub()
        try c.sync("jxj")
        try c.sync("fgw")
        try c.cli.ok(["item", "set", "zx-2025-12", "progress", "已走访代表", "--store", "jxj.db"])
        try c.sync("jxj")
        try c.sync("fgw")
        return c
    }

    /// Everything a bureau or the operator relies on, read from a hub store in process.
    struct Snapshot: Equatable {
        var dump: [String]
        var history: [HistoryEntry]
        var tokens: [String]
        var operators: [String]
        var units: [String: UnitStatusRow]
        var seq: Int64
        var clock: UInt64
        var storeId: String
    }

    func snapshot(_ c: Cluster, _ name: String) async throws -> Snapshot {
        let store = try c.store(name)
        let storage = try SQLiteHubStorage(store)
        let counters = try store.counters()
        return Snapshot(
            dump: try c.dump(name), history: try store.history(ofItem: "zx-2025-12") + store.history(ofItem: "zx-2025-13"),
            tokens: try store.tokenHashes().map { "\($0.site) \($0.hash)" }, operators: try store.operatorHashes().sorted(),
            units: try await storage.unitStatuses(), seq: counters.seq, clock: counters.clock, storeId: store.info.storeId)
    }

    @Test func theCopyIsTheSameHubAndBureausGoOnQuietly() async throws {
        let c = try workedHub()
        // While the hub runs, its store may change under the copy: refused, naming the running hub.
        let busy = try c.cli.run(["hub", "migrate", "--store", "hub.db", "--to", "copy.db"])
        #expect(busy.status != 0 && busy.stderr.hasPrefix("banli: ") && !FileManager.default.fileExists(atPath: c.dir + "/copy.db"), "\(busy.stderr)")
        c.stopHub()
        let before = try await snapshot(c, "hub")
        let out = try c.cli.ok(["hub", "migrate", "--store", "hub.db", "--to", "copy.db"])
        #expect(out.contains("hub id \(before.storeId)") && out.contains("change number \(before.seq)"), "\(out)")
        #expect(try await snapshot(c, "copy") == before, "the copy holds every row the original does")

        // A target that exists is refused in one sentence, and left as it was.
        let again = try c.cli.run(["hub", "migrate", "--store", "hub.db", "--to", "copy.db"])
        #expect(again.status != 0 && again.stderr.split(separator: "\n").count == 1 && again.stderr.contains("copy.db"), "\(again.stderr)")
        #expect(try await snapshot(c, "copy") == before)

        // The copy serves: the bureaus find the hub they knew, push nothing again and pull nothing again.
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: c.dir + "/hub.db" + suffix) {
            try FileManager.default.moveItem(atPath: c.dir + "/hub.db" + suffix, toPath: c.dir + "/original.db" + suffix)
        }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: c.dir + "/copy.db" + suffix) {
            try FileManager.default.moveItem(atPath: c.dir + "/copy.db" + suffix, toPath: c.dir + "/hub.db" + suffix)
        }
        try c.startHub()
        defer { c.stopHub() }
        for unit in ["jxj", "fgw"] {
            let quiet = try c.sync(unit)
            #expect(quiet.contains("pushed 0 ") && quiet.contains("pulled 0 ") && !quiet.contains("lost data"), "\(unit): \(quiet)")
        }
        // And it goes on: the office's next write reaches both.
        try c.cli.ok(["item", "set", "zx-2025-12", "title", "关于老旧小区加装电梯的提案", "--store", "hub.db"])
        try c.sync("fgw")
        try c.sync("jxj")
        #expect(try c.value("fgw", "item/zx-2025-12", "title") == .string("关于老旧小区加装电梯的提案"))
        #expect(try c.value("jxj", "item/zx-2025-12", "title") == .string("关于老旧小区加装电梯的提案"))
    }

    @Test func aCopyThatStoppedHalfwayIsNeverOpened() throws {
        let dir = try BanliProcess.temporaryDirectory()
        let store = try Store.create(at: dir + "/half.db", site: "hub", name: "督查室", hubSite: "hub", isHub: true)
        try store.setSetting("migrating", "2026-11-30T19:00:00Z")
        #expect {
            try Store.open(at: dir + "/half.db")
        } throws: { error in
            (error as? BanliError)?.message.contains("interrupted 'banli hub migrate'") == true
        }
    }
}
