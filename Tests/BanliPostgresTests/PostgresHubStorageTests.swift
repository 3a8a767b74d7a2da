import BanliCore
import BanliHubStorage
import BanliPostgres
import Foundation
import HubStorageConformance
import Testing
import TestSupport

/// Every hub storage check on PostgreSQL, each in a fresh database.
@Suite(.offTheCooperativePool) struct PostgresHubStorageTests {
    @Test(arguments: HubStorageConformance.checks)
    func conforms(_ check: HubStorageCheck) async throws {
        let factory = PostgresHubFactory()
        do {
            try await check.run(factory)
        } catch {
            await factory.closeAll()
            throw error
        }
        await factory.closeAll()
    }
}

/// Creating, opening and migrating the hub's schema.
@Suite(.offTheCooperativePool) struct PostgresSchemaTests {
    let server: PostgresServer

    init() throws { server = try PostgresServer.shared() }

    func count(_ db: String, _ sql: String) throws -> Int {
        Int(try server.psql(database: db, sql: sql).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func aSecondOpenChangesNothing() async throws {
        let db = try server.createDatabase(), key = try temporaryKeyFile()
        let created = try await OpenHub.open(server.url(database: db), keyFile: key, create: .init(site: "hub", name: "督查室"))
        let id = created.storage.hubId
        let head = try await created.storage.headChangeNumber()
        await created.close()
        let schema = try server.psql(database: db, sql: "SELECT version FROM banli_schema ORDER BY version")
        for _ in 0..<2 {
            let again = try await OpenHub.open(server.url(database: db), keyFile: key)
            #expect(again.storage.hubId == id, "the hub keeps its identity")
            #expect(again.storage.hubSite == "hub")
            #expect(try await again.storage.headChangeNumber() == head, "opening writes nothing")
            await again.close()
        }
        #expect(try server.psql(database: db, sql: "SELECT version FROM banli_schema ORDER BY version") == schema)
        let office = try await OpenHub.open(server.url(database: db), keyFile: key)
        let directory = try await office.storage.directoryFields()
        #expect(directory.contains { $0.entity == .unit(site: "hub") && $0.field == "kind" && $0.visibleValue(hubSite: "hub") == .string("office") },
                "init writes the office's directory entry, as on SQLite")
        await office.close()
    }

    @Test func concurrentCreatesLeaveOneHub() async throws {
        let db = try server.createDatabase(), key = try temporaryKeyFile(), url = server.url(database: db)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for i in 0..<4 {
                group.addTask {
                    do {
                        let hub = try await OpenHub.open(url, keyFile: key, create: i % 2 == 0 ? .init(site: "hub", name: "督查室") : nil)
                        await hub.close()
                        return "ok"
                    } catch let e as BanliError {
                        return "\(e.code)"
                    } catch {
                        return "unexpected: \(error)"
                    }
                }
            }
            var out: [String] = []
            for await o in group { out.append(o) }
            return out
        }
        #expect(outcomes.filter { $0 == "ok" }.count >= 1)
        #expect(outcomes.allSatisfy { ["ok", "storeExists", "storeMissing"].contains($0) }, "\(outcomes)")
        #expect(try count(db, "SELECT COUNT(*) FROM banli_schema") == 4, "one schema: each of the four migrations applied once")
        #expect(try count(db, "SELECT COUNT(*) FROM hub") == 1, "one hub")
        #expect(try count(db, "SELECT COUNT(*) FROM field WHERE entity = 'unit/hub'") == 2, "one office directory entry (name, kind)")
    }

    @Test func refusesAnEmptyDatabaseAHubAndANewerSchema() async throws {
        let empty = try server.createDatabase(), key = try temporaryKeyFile()
        let missing = await #expect(throws: BanliError.self) { try await OpenHub.open(server.url(database: empty), keyFile: key) }
        #expect(missing?.code == .storeMissing)
        #expect(missing?.message.contains("has no Banli hub; run 'banli hub init --store postgresql://") == true)
        #expect(try count(empty, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'") == 0, "open creates nothing")

        let hub = try await OpenHub.open(server.url(database: empty), keyFile: key, create: .init(site: "hub", name: "督查室"))
        await hub.close()
        let again = await #expect(throws: BanliError.self) {
            try await OpenHub.open(server.url(database: empty), keyFile: key, create: .init(site: "hub", name: "督查室"))
        }
        #expect(again?.code == .storeExists)

        try server.psql(database: empty, sql: "INSERT INTO banli_schema (version, applied_at) VALUES (99, 'later')")
        let newer = await #expect(throws: BanliError.self) { try await OpenHub.open(server.url(database: empty), keyFile: key) }
        #expect(newer?.message.contains("newer than this release") == true)
    }

    @Test func refusesAnotherKeyFile() async throws {
        let db = try server.createDatabase()
        let hub = try await OpenHub.open(server.url(database: db), keyFile: try temporaryKeyFile(), create: .init(site: "hub", name: "督查室"))
        await hub.close()
        let other = await #expect(throws: BanliError.self) { try await OpenHub.open(server.url(database: db), keyFile: try temporaryKeyFile()) }
        #expect(other?.code == .config)
        #expect(other?.message.contains("use the same key file everywhere") == true)
    }

    @Test func historyIsAppendOnly() async throws {
        let db = try server.createDatabase()
        let hub = try await OpenHub.open(server.url(database: db), keyFile: try temporaryKeyFile(), create: .init(site: "hub", name: "督查室"))
        try await hub.storage.write([LocalWrite(.item(id: "rd-2025-1"), "title", .string("关于增设公交线路的建议"))])
        await hub.close()
        #expect(try count(db, "SELECT COUNT(*) FROM history WHERE item = 'rd-2025-1'") == 1)
        for sql in ["UPDATE history SET value = '\"x\"'", "DELETE FROM history", "TRUNCATE history"] {
            #expect(throws: (any Error).self, "\(sql)") { try server.psql(database: db, sql: sql) }
        }
        #expect(try count(db, "SELECT COUNT(*) FROM history") == 3)
    }
}
