import BanliCore
import BanliHubStorage
@testable import BanliStore
import Foundation
import Testing
import TestSupport

/// `banli history` shows the person a web write names next to the unit, as inert text whatever the name holds, and
/// `banli hub migrate` keeps it through PostgreSQL and back.
@Suite struct HistoryPersonTests {
    let item = "rd-2025-39"
    var mine: EntityKey { .assignment(item: item, site: "jxj") }

    /// Rows of `banli history --json`, as objects.
    func jsonRows(_ text: String) throws -> [[String: JSONValue]] {
        guard case .array(let rows) = try JSONValue.parse(text) else { Issue.record("not an array: \(text)"); return [] }
        return rows.compactMap { if case .object(let o) = $0 { o } else { nil } }
    }

    /// The characters a terminal acts on that `text` holds (newlines between lines aside).
    func unsafe(_ text: String) -> [String] {
        text.unicodeScalars.filter { $0 != "\n" && TerminalText.isUnsafe($0) }.map { String($0.value, radix: 16) }
    }

    @Test func historyShowsThePersonNextToTheUnitForTheRowsThatHaveOne() throws {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory())
        try cli.ok(["init", "--site", "jxj", "--name", "市经信局", "--store", "jxj.db"])
        let store = try Store.open(at: cli.directory + "/jxj.db")
        try store.write([LocalWrite(mine, "acceptedAt", .string("2025-04-01")), LocalWrite(mine, "progress", .string("已走访代表"))], person: "张三")
        try store.write([LocalWrite(mine, "progress", .string("已答复"))])

        let lines = try cli.ok(["history", item, "--store", "jxj.db"]).split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("记录时间") == true && lines.count == 4, "\(lines)")
        #expect(lines.filter { $0.contains("jxj（张三）") }.count == 2, "both rows of the web write name the person: \(lines)")
        let cliRow = try #require(lines.last)
        #expect(cliRow.contains("已答复") && cliRow.contains(" jxj ") && !cliRow.contains("（"), "a write without a person names the unit only: \(cliRow)")

        let rows = try jsonRows(cli.ok(["history", item, "--json", "--store", "jxj.db"]))
        #expect(rows.map { $0["person"] } == [.string("张三"), .string("张三"), nil], "\(rows)")
        #expect(rows.allSatisfy { $0["site"] == .string("jxj") && $0["origin"] == .string("local") })
    }

    @Test func aHostileNameIsShownInert() throws {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory())
        try cli.ok(["init", "--site", "jxj", "--name", "市经信局", "--store", "jxj.db"])
        let store = try Store.open(at: cli.directory + "/jxj.db")
        let markup = "<script>alert(1)</script>", formula = "=cmd|' /C calc'!A0"
        try store.write([LocalWrite(mine, "progress", .string("一"))], person: markup)
        try store.write([LocalWrite(mine, "progress", .string("二"))], person: formula)
        // An escape sequence never passes `write`; a row holding one (a store edited by hand) is still shown inert.
        let refused = #expect(throws: BanliError.self) { try store.write([LocalWrite(mine, "progress", .string("三"))], person: "\u{1b}[2J张三") }
        #expect(refused?.code == .invalidValue)
        let escape = "\u{1b}]0;pwned\u{7}\u{1b}[2J王五\u{202e}"
        try store.transaction { db in
            var batch = FieldBatch()
            batch.appendHistory(entity: mine, field: "progress", sibling: Sibling(value: .string("四"), site: "jxj", counter: 99), origin: "local",
                                via: "jxj", at: "2025-04-02T08:00:00Z", person: escape)
            try batch.flush(db)
        }

        let text = try cli.ok(["history", item, "--store", "jxj.db"])
        #expect(unsafe(text).isEmpty, "printed \(unsafe(text))")
        #expect(text.contains("jxj（\(markup)）") && text.contains("jxj（\(formula)）"), "shown as the text it is: \(text)")
        #expect(text.contains(#"jxj（\u{1b}]0;pwned\u{7}\u{1b}[2J王五\u{202e}）"#), "escapes shown, not acted on: \(text)")
        #expect(!text.contains("三"), "the refused write left nothing")

        let json = try cli.ok(["history", item, "--json", "--store", "jxj.db"])
        #expect(unsafe(json).isEmpty, "printed \(unsafe(json))")
        #expect(try jsonRows(json).map { $0["person"] } == [.string(markup), .string(formula), .string(escape)], "JSON parses to the names as stored")
    }

    @Test func hubMigrateKeepsThePersonThroughPostgreSQLAndBack() throws {
        let server = try PostgresServer.shared()
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory())
        try cli.ok(["hub", "init", "--store", "hub.db", "--name", "市政府督查室"])
        let hub = try Store.open(at: cli.directory + "/hub.db")
        try hub.write([LocalWrite(.item(id: item), "title", .string("关于增设公交线路的建议")), LocalWrite(.item(id: item), "number", .int(39))],
                      person: "督查室王五")
        try cli.ok(["item", "set", item, "year", "2025", "--store", "hub.db"])
        let before = try cli.ok(["history", item, "--json", "--store", "hub.db"])
        #expect(try jsonRows(before).map { $0["person"] } == [.string("督查室王五"), .string("督查室王五"), nil])

        let url = server.url(database: try server.createDatabase())
        try cli.ok(["hub", "migrate", "--store", "hub.db", "--to", url])
        #expect(try cli.ok(["history", item, "--json", "--store", url]) == before, "the database holds the same rows")
        #expect(try cli.ok(["history", item, "--store", url]).contains("hub（督查室王五）"))
        try cli.ok(["hub", "migrate", "--store", url, "--to", "back.db"])
        #expect(try cli.ok(["history", item, "--json", "--store", "back.db"]) == before, "and so does the file copied back")
    }
}
