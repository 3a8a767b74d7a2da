import BanliCore
import Foundation
import TOMLKit

/// The TOML config of a bureau daemon or a hub (see config/banli.toml and config/hub.toml).
struct BanliConfig {
    static let defaultPath = "/etc/banli/banli.toml"

    var path: String?
    var store: String?
    var site: String?
    var hubURL: String?
    var tokenFile: String?

    init() {}

    /// Reads and checks a config file; a broken one is named with its line.
    static func load(path: String) throws -> BanliConfig {
        guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
            throw BanliError(.config, "Cannot read the config file \(path); check that it exists and is readable.")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw BanliError(.config, "\(path) line \(e.source.begin.line): \(e.description); fix the TOML syntax there.")
        }
        var c = BanliConfig()
        c.path = path
        c.store = try string(table, "store", path)
        c.site = try string(table, "site", path)
        c.hubURL = try string(table, "hub_url", path)
        c.tokenFile = try string(table, "token_file", path)
        return c
    }

    private static func string(_ t: TOMLTable, _ key: String, _ path: String) throws -> String? {
        guard let v = t[key] else { return nil }
        guard let s = v.string else {
            throw BanliError(.config, "\(path): key '\(key)' must be a string in quotes.")
        }
        return s
    }
}
