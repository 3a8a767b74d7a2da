import Foundation
import Testing

/// Two offices' hubs (市政协提案委 in `city.db`, 县政协提案委 in `county.db`), each with a 提案 30 assigned to the county's
/// 教育局 (`jyj` at the city, `xjy` at the county), and the bureau's `banli.toml` with a `[[hub]]` entry for each. The
/// bureau's stores are filled by offline exchange (`dump` into `apply`), so no hub process runs.
enum TwoOfficesOffline {
    static func setUp(_ cli: BanliProcess) throws {
        for (hub, name, site) in [("city.db", "市政协提案委", "jyj"), ("county.db", "县政协提案委", "xjy")] {
            try cli.ok(["hub", "init", "--store", hub, "--name", name])
            try cli.ok(["hub", "add-unit", site, "--name", "县教育局", "--store", hub, "--token-file", "\(site).token"])
            try cli.ok(["item", "new", "zx-2020-30", "--kind", "提案", "--number", "30", "--year", "2020", "--title", "\(name)第30号", "--store", hub])
            try cli.ok(["item", "assign", "zx-2020-30", site, "--role", "主办", "--at", "2020-03-10", "--store", hub])
        }
        try """
            [[hub]]
            office = "city-zx"
            url = "http://127.0.0.1:9"
            token_file = "jyj.token"
            store = "city-jyj.db"
            site = "jyj"

            [[hub]]
            office = "county-zx"
            url = "http://127.0.0.1:10"
            token_file = "xjy.token"
            store = "county-xjy.db"
            site = "xjy"
            """.write(toFile: cli.directory + "/banli.toml", atomically: true, encoding: .utf8)
        for (hub, office) in [("city.db", "city-zx"), ("county.db", "county-zx")] {
            try cli.ok(bureau(["init", "--office", office, "--name", "县教育局"]))
            try exchange(cli, hub: hub, office: office)
        }
    }

    /// A bureau command on the two-office config.
    static func bureau(_ args: [String]) -> [String] { args + ["--config", "banli.toml"] }

    /// The hub's state into the office's bureau store, as a sync would bring it.
    static func exchange(_ cli: BanliProcess, hub: String, office: String) throws {
        try cli.ok(bureau(["apply", "-", "--office", office]), stdin: try cli.ok(["dump", "--json", "--store", hub]))
    }
}
