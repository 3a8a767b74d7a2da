import BanliCore
import BanliStore
import Foundation
import Testing

/// `[[hub]]` entries in banli.toml, through the real binary: a good file sets up one store per office, and each
/// mistake is one sentence naming the file and the line, with exit code 2 and nothing created.
@Suite struct OfficeConfigTests {
    static let good = """
        site = "jyj"
        interval = 30

        [[hub]]
        office = "city-zx"
        name = "市政协提案委"
        url = "http://127.0.0.1:9"
        token_file = "city.token"
        store = "city.db"

        [[hub]]
        office = "county-zx"
        url = "http://127.0.0.1:10/"
        token_file = "county.token"
        store = "county.db"
        site = "xjy"
        interval = 5
        batch_limit = 50

        [hub.tls]
        ca_file = "county-ca.pem"
        """

    func cli() throws -> BanliProcess { BanliProcess(directory: try BanliProcess.temporaryDirectory()) }

    /// Writes `text` as banli.toml and runs `banli sync --config banli.toml`, which must fail with `line`'s error.
    func refused(_ text: String, line: Int, saying words: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let cli = try cli()
        try text.write(toFile: cli.directory + "/banli.toml", atomically: true, encoding: .utf8)
        let r = try cli.run(["sync", "--config", "banli.toml"])
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains("banli.toml line \(line)"), "\(r.stderr)", sourceLocation: sourceLocation)
        for w in words { #expect(r.stderr.contains(w), "\(w) not in \(r.stderr)", sourceLocation: sourceLocation) }
        #expect(r.stderr.split(separator: "\n").count == 1, sourceLocation: sourceLocation)
        let files = try FileManager.default.contentsOfDirectory(atPath: cli.directory)
        #expect(files == ["banli.toml"], "created \(files)", sourceLocation: sourceLocation)
    }

    @Test func aGoodFileGivesEachOfficeItsStoreSiteAndHub() throws {
        let cli = try cli()
        try Self.good.write(toFile: cli.directory + "/banli.toml", atomically: true, encoding: .utf8)
        let city = try cli.ok(["init", "--config", "banli.toml", "--office", "city-zx", "--name", "县教育局"])
        #expect(city.contains("city.db for jyj (县教育局) (office city-zx)"))
        // --office before the command works too; the entry's own site wins over the top-level one.
        try cli.ok(["--config", "banli.toml", "--office", "county-zx", "init", "--name", "县教育局"])
        let county = try Store.open(at: cli.directory + "/county.db")
        #expect(county.info.site == "xjy")
        #expect(try county.setting("hubUrl") == "http://127.0.0.1:10")
        #expect(try county.setting("tokenFile") == "county.token")
        // Status has one section per office, named by its key and display name.
        let r = try cli.run(["status", "--config", "banli.toml", "--json"])
        let offices = JSONFields.array(JSONFields.field(try JSONValue.parse(r.stdout), "offices"))
        #expect(offices.compactMap { JSONFields.field($0, "office")?.stringValue } == ["city-zx", "county-zx"])
        #expect(offices.compactMap { JSONFields.field($0, "site")?.stringValue } == ["jyj", "xjy"])
        #expect(JSONFields.field(offices.first, "officeName")?.stringValue == "市政协提案委")
        // A store-less command with several offices asks for one; an unknown office lists the known ones.
        let dump = try cli.run(["dump", "--config", "banli.toml"])
        #expect(dump.status == 2)
        #expect(dump.stderr.contains("多个交办机关（city-zx、county-zx）") && dump.stderr.contains("--office"))
        let unknown = try cli.run(["item", "list", "--config", "banli.toml", "--office", "state-zx"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("No office 'state-zx'") && unknown.stderr.contains("city-zx, county-zx"))
        // Without a token file the sync of each office fails on its own line, naming the entry's token_file line.
        let sync = try cli.run(["sync", "--config", "banli.toml", "--office", "county-zx"])
        #expect(sync.status == 1 || sync.status == 2)
        #expect(sync.stderr.contains("banli.toml line 14, [[hub]] key 'token_file'"), "\(sync.stderr)")
        // Across offices each one is tried on its own line, and the error names every office that failed.
        let both = try cli.run(["sync", "--config", "banli.toml"])
        #expect(both.stdout.contains("city-zx: sync failed: banli.toml line 8, [[hub]] key 'token_file'"), "\(both.stdout)")
        #expect(both.stdout.contains("county-zx: sync failed: banli.toml line 14"), "\(both.stdout)")
        #expect(both.stderr.contains("Sync failed for offices 'city-zx', 'county-zx': "), "\(both.stderr)")
    }

    @Test func topLevelHubURLBesideHubEntriesIsRefused() throws {
        try refused("hub_url = \"http://127.0.0.1:9\"\n" + Self.good, line: 1, saying: ["key 'hub_url'", "[[hub]]"])
        try refused("store = \"x.db\"\n" + Self.good, line: 1, saying: ["key 'store'", "[[hub]]"])
    }

    @Test func aDuplicateOfficeStoreOrURLIsRefused() throws {
        let second = Self.good.replacingOccurrences(of: "office = \"county-zx\"", with: "office = \"city-zx\"")
        try refused(second, line: 12, saying: ["'city-zx' is already defined at line 4"])
        let store = Self.good.replacingOccurrences(of: "store = \"county.db\"", with: "store = \"./city.db\"")
        try refused(store, line: 15, saying: ["the store ./city.db is already used by office 'city-zx'"])
        let url = Self.good.replacingOccurrences(of: "http://127.0.0.1:10/", with: "http://127.0.0.1:9/")
        try refused(url, line: 13, saying: ["the hub http://127.0.0.1:9 is already used by office 'city-zx'"])
    }

    @Test func unknownMissingAndMalformedKeysAreRefused() throws {
        try refused(Self.good.replacingOccurrences(of: "name = ", with: "colour = "), line: 6, saying: ["[[hub]] key 'colour': unknown key"])
        try refused(Self.good.replacingOccurrences(of: "ca_file", with: "ca_path"), line: 21, saying: ["key 'tls.ca_path': unknown key"])
        try refused(Self.good.replacingOccurrences(of: "url = \"http://127.0.0.1:9\"\n", with: ""), line: 4, saying: ["has no 'url'"])
        try refused(Self.good.replacingOccurrences(of: "\"city-zx\"", with: "\"City ZX\""), line: 5, saying: ["not a valid office key"])
        try refused(Self.good.replacingOccurrences(of: "batch_limit = 50", with: "batch_limit = 0"), line: 18, saying: ["batch_limit"])
        try refused("[hub]\noffice = \"a\"\n", line: 1, saying: ["[[hub]]"])
    }
}

/// Reading parsed JSON in the office tests.
enum JSONFields {
    static func field(_ v: JSONValue?, _ key: String) -> JSONValue? {
        guard case .object(let o)? = v else { return nil }
        return o[key]
    }

    static func array(_ v: JSONValue?) -> [JSONValue] {
        guard case .array(let a)? = v else { return [] }
        return a
    }
}
