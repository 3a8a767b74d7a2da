import BanliCore
import BanliOffice
import Foundation
import Testing

/// A bureau's ledger across two offices: its export names each row's office (交办机关), and importing it routes every row
/// to that office's store, both offices holding a 提案 30; a row naming an unknown office, or another office than the one
/// chosen, refuses the whole file.
@Suite struct SeveralOfficesLedgerTests {
    @Test func anExportAcrossOfficesImportsBackIntoEachOfficesStore() throws {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory(), environment: ["BANLI_TODAY": "2020-12-31"])
        try TwoOfficesOffline.setUp(cli)
        let b = TwoOfficesOffline.bureau
        try cli.ok(b(["item", "accept", "zx-2020-30", "--at", "2020-03-12", "--office", "city-zx"]))
        try cli.ok(b(["export", "--output", "all.csv"]))
        func rows(_ file: String) throws -> [[String]] {
            var text = try String(contentsOfFile: cli.directory + "/" + file, encoding: .utf8)
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            return try CSV.records(text).map(\.fields)
        }
        var table = try rows("all.csv")
        #expect(table[0].first == "交办机关" && table.count == 3, "\(table)")
        func history(_ office: String) throws -> String { try cli.ok(b(["history", "zx-2020-30", "--office", office])) }
        let before = (try history("city-zx"), try history("county-zx"))

        // Its own export comes back unchanged: each office's share is checked against its own store, nothing is written.
        let again = try cli.ok(b(["import", "all.csv"]))
        #expect(again.contains("(city-zx") && again.contains("(county-zx") && !again.contains("1 fields written"), "\(again)")
        #expect(try history("city-zx") == before.0 && history("county-zx") == before.1)

        // The county row's 承办股室 goes to the county's store only.
        let section = try #require(table[0].firstIndex(of: "承办股室"))
        let county = try #require(table.firstIndex { $0.first == "县政协提案委" })
        table[county][section] = "基础教育股"
        try CSV.write(table).write(toFile: cli.directory + "/edited.csv", atomically: true, encoding: .utf8)
        let edited = try cli.ok(b(["import", "edited.csv"]))
        #expect(edited.contains("1 fields written"), "\(edited)")
        #expect(try cli.ok(b(["item", "show", "zx-2020-30", "--office", "county-zx"])).contains("基础教育股"))
        #expect(!(try cli.ok(b(["item", "show", "zx-2020-30", "--office", "city-zx"])).contains("基础教育股")))

        // An office no entry names, or a share of another office than --office, refuses the whole file.
        var stranger = table
        stranger[county][0] = "省政协提案委"
        stranger[county][section] = "另一个股室"
        try CSV.write(stranger).write(toFile: cli.directory + "/stranger.csv", atomically: true, encoding: .utf8)
        let refused = try cli.run(b(["import", "stranger.csv"]))
        #expect(refused.status == 2 && refused.stderr.contains("省政协提案委") && refused.stderr.contains("Nothing was imported"), "\(refused.stderr)")
        let chosen = try cli.run(b(["import", "edited.csv", "--office", "city-zx"]))
        #expect(chosen.status == 2 && chosen.stderr.contains("--office"), "\(chosen.stderr)")
        #expect(!(try cli.ok(b(["item", "show", "zx-2020-30", "--office", "county-zx"])).contains("另一个股室")))
    
        // At the hub, a verb recorded for a unit (代录) names it by its full name as well as by its site.
        try cli.ok(["item", "accept", "zx-2020-30", "--unit", "县教育局", "--at", "2020-03-11", "--store", "county.db"])
        #expect(try cli.ok(["item", "show", "zx-2020-30", "--store", "county.db"]).contains("2020-03-11"))
    }
}
