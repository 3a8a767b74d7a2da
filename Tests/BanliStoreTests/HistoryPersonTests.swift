import BanliCore
import BanliHubStorage
@testable import BanliStore
import Foundation
import GRDB
import Testing

/// A web write names its person in the history of the store where it was made: on every row of that write, never
/// on a CLI write or a received row, kept through the schema upgrade and `banli hub migrate`'s copy.
@Suite struct HistoryPersonTests {
    let dir: String
    let hub: Store
    let jxj: Store
    let item = "rd-2025-39"

    init() throws {
        dir = try temporaryDirectory()
        hub = try Store.create(at: dir + "/hub.db", site: "hub", name: "督查室", hubSite: "hub", isHub: true)
        jxj = try Store.create(at: dir + "/jxj.db", site: "jxj", name: "市经信局", hubSite: "hub", isHub: false)
    }

    var mine: EntityKey { .assignment(item: item, site: "jxj") }

    @Test func aWebWriteRecordsItsPersonOnEveryRowAndACLIWriteNone() throws {
        // Through the protocol, as the web server calls it.
        let records: any RecordStore = jxj
        try records.write([LocalWrite(mine, "acceptedAt", .string("2025-04-01")), LocalWrite(mine, "progress", .string("已走访代表"))],
                          person: "张三")
        try records.write([LocalWrite(mine, "progress", .string("已答复"))])
        let rows = try jxj.history(ofItem: item)
        #expect(rows.map(\.field) == ["acceptedAt", "progress", "progress"])
        #expect(rows.map(\.person) == ["张三", "张三", nil])
        #expect(rows.allSatisfy { $0.origin == "local" && $0.site == "jxj" })

        // The person stays here: the hub, receiving the same states, records the unit and no one else.
        _ = try hub.apply(jxj.allFields(), via: "jxj")
        let received = try hub.history(ofItem: item)
        // The states' current values: acceptedAt, and the second progress (it superseded the first).
        #expect(received.map(\.field) == ["acceptedAt", "progress"]
                && received.allSatisfy { $0.origin == "received" && $0.site == "jxj" && $0.person == nil }, "\(received)")
        #expect(!(try hub.allFields().map { $0.jsonLine(hubSite: "hub") }.joined().contains("张三")), "the state carries no name")
    }

    @Test func hostileTextThatIsNotAControlIsStoredAsGiven() throws {
        let names = ["<script>alert(1)</script>", "=cmd|' /C calc'!A0", "王\u{5c0f}明 (办公室)", String(repeating: "长", count: PersonName.maxLength)]
        for (i, name) in names.enumerated() {
            try jxj.write([LocalWrite(mine, "progress", .string("进展\(i)"))], person: name)
        }
        #expect(try jxj.history(ofItem: item).map(\.person) == names)
    }

    @Test func aControlCharacterOrAnOverlongNameIsRefusedAndWritesNothing() throws {
        try jxj.write([LocalWrite(mine, "progress", .string("原值"))], nowMilliseconds: HybridLogicalClock.wallMilliseconds())
        let before = (try jxj.history(ofItem: item), try jxj.allFields(), try jxj.counters())
        let refused: [(String, String)] = [
            ("\u{1b}[2J张三", "U+001B at character 1"), ("张三\n伪造的一行", "U+000A at character 3"), ("\u{202e}三张", "U+202E"),
            ("张\u{9b}三", "U+009B"), ("张三\u{7f}", "U+007F"), (String(repeating: "长", count: PersonName.maxLength + 1), "more than 64"),
            ("", "empty"),
        ]
        for (name, says) in refused {
            let error = #expect(throws: BanliError.self) {
                try jxj.write([LocalWrite(mine, "progress", .string("新值")), LocalWrite(mine, "acceptedAt", .string("2025-04-01"))], person: name)
            }
            #expect(error?.code == .invalidValue)
            #expect(error?.message.contains(says) == true, "\(error?.message ?? "")")
            #expect(error.map { $0.message.split(separator: "\n").count == 1 && !$0.message.contains(name.isEmpty ? "\u{0}" : name) } == true,
                    "one sentence that does not repeat the name")
        }
        #expect(try jxj.history(ofItem: item) == before.0, "no history row")
        #expect(try jxj.allFields() == before.1, "no field")
        #expect(try jxj.counters() == before.2, "no change number, no clock tick")
    }

    /// A store made by the previous schema (v4), with history rows as that release wrote them.
    func v4Store(at path: String) throws {
        let pool = try DatabasePool(path: path)
        try StoreSchema.migrator.migrate(pool, upTo: "v4")
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO site (id, site, name, hubSite, isHub, storeId, clock, seq, createdAt)
                VALUES (1, 'jxj', '市经信局', 'hub', 0, 'a1b2c3', 0, 0, '2025-03-01T08:00:00Z');
                INSERT INTO history (entity, field, item, value, site, counter, origin, via, recordedAt) VALUES
                    ('item/rd-2025-39', 'title', 'rd-2025-39', '"关于增设公交线路的建议"', 'hub', 1, 'received', 'hub', '2025-03-01T08:00:00Z'),
                    ('assignment/rd-2025-39/jxj', 'progress', 'rd-2025-39', '"已走访"', 'jxj', 2, 'local', 'jxj', '2025-03-02T08:00:00Z');
                """)
        }
        try pool.close()
    }

    @Test func aStoreOfThePreviousSchemaUpgradesInPlaceAndStaysAppendOnly() throws {
        let path = dir + "/old.db"
        try v4Store(at: path)
        let store = try Store.open(at: path)
        let old = try store.history(ofItem: item)
        #expect(old.map(\.value) == [#""关于增设公交线路的建议""#, #""已走访""#] && old.allSatisfy { $0.person == nil }, "\(old)")
        #expect(try store.pool.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
                == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])

        try store.write([LocalWrite(mine, "progress", .string("已答复"))], person: "李四")
        #expect(try store.history(ofItem: item).map(\.person) == [nil, nil, "李四"])
        for sql in ["UPDATE history SET person = '冒名'", "UPDATE history SET value = '\"x\"'", "DELETE FROM history"] {
            #expect(throws: (any Error).self, "\(sql)") { try store.pool.write { try $0.execute(sql: sql) } }
        }
        #expect(try store.history(ofItem: item).map(\.person) == [nil, nil, "李四"], "every row as it was")
        // Opening it again migrates nothing twice.
        #expect(try Store.open(at: path).history(ofItem: item) == store.history(ofItem: item))
    }

    @Test func hubMigrateCopiesThePerson() async throws {
        try hub.write([LocalWrite(.item(id: item), "title", .string("关于增设公交线路的建议"))], person: "督查室王五")
        try hub.write([LocalWrite(.item(id: item), "number", .int(39))])
        try jxj.write([LocalWrite(mine, "progress", .string("已走访"))], person: "张三")
        _ = try hub.apply(jxj.allFields(), via: "jxj")
        let copy = SQLiteHubTableSink(path: dir + "/copy.db")
        let count = try await copy.copyTables(from: SQLiteHubTableSource(hub))
        #expect(count.history >= 3)
        let rows = try Store.open(at: dir + "/copy.db").history(ofItem: item)
        #expect(rows == (try hub.history(ofItem: item)))
        #expect(rows.map(\.person) == ["督查室王五", nil, nil], "the hub's own web write keeps its person; the received row has none")
    }
}
