import BanliCore
import Foundation
import Testing

/// A store written by an earlier release (schema v1, JSON states) opens, migrates and reads back
/// exactly as that release read it. The fixture was made by the v1 binary: a bureau store with
/// hub-signed siblings, an open conflict, escaped text and history; its dump and history beside it.
@Suite struct MigrationTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/v1").path

    @Test func v1StoreMigratesWithEveryStateHistoryAndConflictIntact() throws {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory())
        try FileManager.default.copyItem(atPath: Self.fixtures + "/jxj.db", toPath: cli.directory + "/jxj.db")
        let dump = try String(contentsOfFile: Self.fixtures + "/jxj.dump.jsonl", encoding: .utf8)
        let history = try String(contentsOfFile: Self.fixtures + "/jxj.history.json", encoding: .utf8)

        #expect(try cli.ok(["dump", "--json", "--store", "jxj.db"]) == dump)
        #expect(try cli.ok(["history", "rd-2025-39", "--json", "--store", "jxj.db"]) == history)
        #expect(try cli.ok(["conflicts", "--store", "jxj.db"]).contains(#"zb: "并发\u0001写入""#))
        #expect(dump.contains(#""sig":"#), "the fixture carries the hub's tags, which must survive")

        // The migrated store takes writes, and opening it again migrates nothing twice.
        try cli.ok(["item", "set", "rd-2025-39", "progress", "已办结回访", "--store", "jxj.db"])
        let after = try cli.ok(["dump", "--json", "--store", "jxj.db"])
        #expect(after.contains(#""field":"progress","value":"已办结回访""#))
        #expect(!after.contains("并发"), "the write settles the conflict it saw")
        #expect(after.components(separatedBy: "\n").filter { !$0.contains("progress") }
                == dump.components(separatedBy: "\n").filter { !$0.contains("progress") })
        #expect(try cli.ok(["conflicts", "--store", "jxj.db"]).contains("No open conflicts"))
    }
}
