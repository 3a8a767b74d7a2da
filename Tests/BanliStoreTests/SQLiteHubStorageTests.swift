import BanliCore
import BanliHubStorage
import BanliStore
import Foundation
import HubStorageConformance
import Testing

/// Fresh SQLite hub stores in a temporary folder, for the conformance suite.
struct SQLiteHubFactory: HubStorageFactory {
    func makeHub(units: [String]) async throws -> HubStorageFixture {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("banli-conformance-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try Store.create(at: dir + "/hub.db", site: "hub", name: "督查室", hubSite: "hub", isHub: true)
        var tokens: [String: String] = [:]
        for unit in units { tokens[unit] = try store.addUnit(site: unit, name: "单位\(unit)") }
        return HubStorageFixture(storage: try SQLiteHubStorage(store), tokens: tokens) { writes, now in
            try store.write(writes, nowMilliseconds: now)
        }
    }
}

/// Every hub storage check, run against today's SQLite store.
@Suite struct SQLiteHubStorageTests {
    @Test(arguments: HubStorageConformance.checks)
    func conforms(_ check: HubStorageCheck) async throws {
        try await check.run(SQLiteHubFactory())
    }

    @Test func refusesABureauStore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("banli-conformance-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let bureau = try Store.create(at: dir + "/jxj.db", site: "jxj", name: "市经信局", hubSite: "hub", isHub: false)
        #expect(throws: BanliError.self) { try SQLiteHubStorage(bureau) }
    }

    @Test func hubMigrateCarriesTheDeputiesLinksAndTheRemindersSent() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("banli-conformance-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let hub = try Store.create(at: dir + "/hub.db", site: "hub", name: "督查室", hubSite: "hub", isHub: true)
        try await MigrationCarry.seed(try SQLiteHubStorage(hub))
        let count = try await SQLiteHubTableSink(path: dir + "/copy.db").copyTables(from: SQLiteHubTableSource(hub))
        try await MigrationCarry.check(try SQLiteHubStorage(Store.open(at: dir + "/copy.db")), count: count)
    }
}
