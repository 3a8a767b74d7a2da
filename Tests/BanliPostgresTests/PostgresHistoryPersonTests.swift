import BanliCore
import BanliHubStorage
@testable import BanliPostgres
import Foundation
import HubStorageConformance
import Testing
import TestSupport

/// The hub on PostgreSQL records a web write's person as the SQLite store does, through the `RecordStore` the web
/// server writes with. Synchronous, as the commands and the web's handlers call `PostgresRecords`: its work runs on
/// `BridgeExecutor`, which a test holding one of those threads would starve.
@Suite struct PostgresHistoryPersonTests {
    let server: PostgresServer
    let item = "rd-2025-39"

    init() throws { server = try PostgresServer.shared() }

    func records(_ db: String, keyFile: String, create: Bool = false) throws -> PostgresRecords {
        try PostgresRecords.open(PostgresLocation(parsing: server.url(database: db)), keyFile: keyFile, logger: quietLogger,
                                 create: create ? .init(site: "hub", name: "督查室") : nil)
    }

    @Test func aWebWriteRecordsItsPersonOnEveryRowAndACLIWriteNone() throws {
        let db = try server.createDatabase()
        let hub = try records(db, keyFile: try temporaryKeyFile(), create: true)
        try hub.write([LocalWrite(.item(id: item), "title", .string("关于增设公交线路的建议")), LocalWrite(.item(id: item), "number", .int(39))],
                      person: "<script>王五</script>")
        try hub.write([LocalWrite(.item(id: item), "year", .int(2025))])
        let rows = try hub.history(ofItem: item)
        #expect(rows.map(\.field) == ["title", "number", "year"])
        #expect(rows.map(\.person) == ["<script>王五</script>", "<script>王五</script>", nil], "stored as given")

        let before = try server.psql(database: db, sql: "SELECT COUNT(*), MAX(seq) FROM history, hub")
        for name in ["\u{1b}]0;pwned\u{7}", "王\u{2066}五", String(repeating: "x", count: 65)] {
            let error = #expect(throws: BanliError.self) { try hub.write([LocalWrite(.item(id: item), "title", .string("改"))], person: name) }
            #expect(error?.code == .invalidValue)
        }
        #expect(try server.psql(database: db, sql: "SELECT COUNT(*), MAX(seq) FROM history, hub") == before, "nothing written")
        #expect(try hub.item(item)?.title == "关于增设公交线路的建议")
    }

    @Test func aDatabaseOfThePreviousSchemaUpgradesInPlaceAndStaysAppendOnly() throws {
        // Built the old way: schema version 1's own statements, a hub row and history rows as that release wrote them.
        let db = try server.createDatabase()
        try server.psql(database: db, sql: (["CREATE TABLE banli_schema (version integer PRIMARY KEY, applied_at text NOT NULL)"]
            + PostgresSchema.migrations[0] + [
                "INSERT INTO banli_schema (version, applied_at) VALUES (1, '2025-03-01T08:00:00Z')",
                "INSERT INTO hub (id, site, name, store_id, clock, seq, created_at) VALUES (1, 'hub', '督查室', 'a1b2c3', 0, 0, '2025-03-01T08:00:00Z')",
                """
                INSERT INTO history (entity, field, item, value, site, counter, origin, via, recorded_at) VALUES
                    ('item/rd-2025-39', 'title', 'rd-2025-39', '"关于增设公交线路的建议"', 'hub', 1, 'local', 'hub', '2025-03-01T08:00:00Z'),
                    ('assignment/rd-2025-39/jxj', 'progress', 'rd-2025-39', '"已走访"', 'jxj', 2, 'received', 'jxj', '2025-03-02T08:00:00Z')
                """,
            ]).joined(separator: ";\n"))
        let hub = try records(db, keyFile: try temporaryKeyFile())
        let old = try hub.history(ofItem: item)
        #expect(old.map(\.value) == [#""关于增设公交线路的建议""#, #""已走访""#] && old.allSatisfy { $0.person == nil }, "\(old)")
        #expect(try server.psql(database: db, sql: "SELECT string_agg(version::text, ',' ORDER BY version) FROM banli_schema") == "1,2,3,4\n")

        try hub.write([LocalWrite(.item(id: item), "number", .int(39))], person: "李四")
        #expect(try hub.history(ofItem: item).map(\.person) == [nil, nil, "李四"])
        for sql in ["UPDATE history SET person = '冒名'", "DELETE FROM history", "TRUNCATE history"] {
            #expect(throws: (any Error).self, "\(sql)") { try server.psql(database: db, sql: sql) }
        }
        #expect(try hub.history(ofItem: item).map(\.person) == [nil, nil, "李四"], "every row as it was")
    }
}

/// `banli hub migrate` between databases keeps each history row's person.
@Suite(.offTheCooperativePool) struct PostgresHistoryPersonCopyTests {
    @Test func theCopyKeepsThePerson() async throws {
        let server = try PostgresServer.shared()
        let db = try server.createDatabase(), key = try temporaryKeyFile()
        let hub = try await OpenHub.open(server.url(database: db), keyFile: key, create: .init(site: "hub", name: "督查室"))
        try await hub.storage.write([LocalWrite(.item(id: "rd-2025-39"), "title", .string("关于增设公交线路的建议"))], person: "督查室王五")
        try await hub.storage.write([LocalWrite(.item(id: "rd-2025-39"), "number", .int(39))])
        let target = try server.createDatabase()
        let count = try await PostgresHubTableSink(location: PostgresLocation(parsing: server.url(database: target)), logger: quietLogger)
            .copyTables(from: PostgresHubTableSource(hub.storage))
        await hub.close()
        #expect(count.history == 4, "the office's directory entry (name, kind) and the item's two rows")
        let sql = "SELECT id, field, coalesce(person, '(none)') FROM history ORDER BY id"
        let copied = try server.psql(database: target, sql: sql)
        #expect(copied == (try server.psql(database: db, sql: sql)))
        #expect(copied.contains("|title|督查室王五\n") && copied.contains("|number|(none)\n"), "\(copied)")
    }

    @Test func theCopyCarriesTheDeputiesLinksAndTheRemindersSent() async throws {
        let server = try PostgresServer.shared()
        let db = try server.createDatabase(), key = try temporaryKeyFile()
        let hub = try await OpenHub.open(server.url(database: db), keyFile: key, create: .init(site: "hub", name: "督查室"))
        try await MigrationCarry.seed(hub.storage)
        let target = try server.createDatabase()
        let count = try await PostgresHubTableSink(location: PostgresLocation(parsing: server.url(database: target)), logger: quietLogger)
            .copyTables(from: PostgresHubTableSource(hub.storage))
        await hub.close()
        let copy = try await OpenHub.open(server.url(database: target), keyFile: key, create: nil)
        try await MigrationCarry.check(copy.storage, count: count)
        await copy.close()
    }
}
