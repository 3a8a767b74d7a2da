import BanliCore
import BanliProtocol
import BanliSync
import Foundation
import TOMLKit

/// One `[[hub]]` entry of banli.toml: an office this bureau answers to, with its own hub, token and store.
struct HubEntry: Sendable {
    /// The office's short key (`city-zx`), unique in the file; `--office` selects it.
    var office: String
    /// The display name (市政协提案委); nil: the hub's own directory entry name.
    var name: String?
    /// The hub's URLs, in failover order, without a trailing slash.
    var urls: [String]
    var tokenFile: String
    var store: String
    /// This bureau's site name at that hub; nil: the top-level `site`, else whatever the store says.
    var site: String?
    var interval: Double
    var batchLimit: Int
    /// The top-level `[network]` and `[tls]`, with this entry's `[hub.tls]` over them.
    var transport: TransportOptions
    /// "FILE line N, [[hub]] key 'k'" for each key the entry set ("tls.ca_file" for its [hub.tls] keys).
    var locations: [String: String] = [:]
}

extension BanliConfig {
    /// Every key a `[[hub]]` entry may hold; `tls` is its `[hub.tls]` table.
    private static let hubKeys: Set<String> = ["office", "name", "url", "token_file", "store", "site", "interval", "batch_limit", "tls"]
    private static let hubTLSKeys: Set<String> = ["ca_file", "client_cert", "client_key"]
    /// Top-level keys that name one hub, and so cannot stand beside `[[hub]]` entries.
    static let singleHubKeys = ["hub_url", "store", "token_file"]

    /// Reads the `[[hub]]` array. `defaults` is the config read so far (site, interval, batch_limit, transport).
    static func hubEntries(_ value: TOMLValueConvertible, path: String, lines: [String], defaults: BanliConfig) throws -> [HubEntry] {
        let blocks = HubBlock.scan(lines)
        guard let array = value.array else {
            let line = lines.firstIndex { $0.trimmedWhitespace.hasPrefix("[hub]") }.map { $0 + 1 } ?? 1
            throw BanliError(.config, "\(path) line \(line): write each office as a [[hub]] entry (double brackets), not [hub] or hub = ….")
        }
        var entries: [HubEntry] = []
        var seen: (office: [String: String], store: [String: String], url: [String: String]) = ([:], [:], [:])
        for (i, element) in array.enumerated() {
            let block = i < blocks.count ? blocks[i] : HubBlock(header: 1)
            func at(_ key: String) -> String { "\(path) line \(block.keys[key] ?? block.header), [[hub]] key '\(key)'" }
            guard let table = element.table else {
                throw BanliError(.config, "\(path) line \(block.header): each [[hub]] entry must be a table of keys.")
            }
            var values: [String: TOMLValueConvertible] = [:]
            for (k, v) in table {
                guard hubKeys.contains(k) else {
                    throw BanliError(.config, "\(at(k)): unknown key; a [[hub]] entry takes office, name, url, token_file, store, site, "
                                     + "interval, batch_limit and [hub.tls].")
                }
                if k == "tls" {
                    guard let tls = v.table else { throw BanliError(.config, "\(at(k)): write it as a [hub.tls] table.") }
                    for (tk, tv) in tls {
                        guard hubTLSKeys.contains(tk) else {
                            throw BanliError(.config, "\(at("tls." + tk)): unknown key; [hub.tls] takes ca_file, client_cert and client_key.")
                        }
                        values["tls." + tk] = tv
                    }
                } else {
                    values[k] = v
                }
            }
            func string(_ k: String) throws -> String? {
                guard let v = values[k] else { return nil }
                guard let s = v.string else { throw BanliError(.config, "\(at(k)): must be a string in quotes.") }
                return s.isEmpty ? nil : s
            }
            func missing(_ k: String) -> BanliError {
                BanliError(.config, "\(path) line \(block.header): this [[hub]] entry has no '\(k)'; every entry needs office, url, token_file and store.")
            }
            func required(_ k: String) throws -> String {
                guard let s = try string(k) else { throw missing(k) }
                return s
            }
            func number(_ k: String, _ range: ClosedRange<Double>) throws -> Double? {
                guard let v = values[k] else { return nil }
                guard let d = v.double ?? v.int.map(Double.init), range.contains(d) else {
                    throw BanliError(.config, "\(at(k)): must be a number from \(range.lowerBound) to \(range.upperBound).")
                }
                return d
            }
            let office = try required("office")
            guard Identifier.isValid(office) else {
                throw BanliError(.config, "\(at("office")): '\(office)' is not a valid office key (lowercase letters, digits, '.', '_', '-').")
            }
            let urls = try values["url"].map { try hubURLs($0, at: at("url"), allowPlainHTTP: defaults.allowPlainHTTP) } ?? []
            guard !urls.isEmpty else { throw missing("url") }
            let store = try required("store")
            var entry = HubEntry(
                office: office, name: try string("name"), urls: urls, tokenFile: try required("token_file"), store: store,
                site: try string("site") ?? defaults.site, interval: try number("interval", 0.2...86_400) ?? defaults.interval,
                batchLimit: defaults.batchLimit, transport: defaults.transport)
            if let s = try string("site"), !Identifier.isValid(s) {
                throw BanliError(.config, "\(at("site")): '\(s)' is not a valid site name (lowercase letters, digits, '.', '_', '-').")
            }
            if let v = values["batch_limit"] {
                guard let n = v.int, (1...SyncRequestEnvelope.maxLimit).contains(n) else {
                    throw BanliError(.config, "\(at("batch_limit")): must be a whole number from 1 to \(SyncRequestEnvelope.maxLimit).")
                }
                entry.batchLimit = n
            }
            entry.transport.caFile = try string("tls.ca_file") ?? entry.transport.caFile
            entry.transport.clientCert = try string("tls.client_cert") ?? entry.transport.clientCert
            entry.transport.clientKey = try string("tls.client_key") ?? entry.transport.clientKey
            for k in values.keys { entry.locations[k] = at(k) }
            let storeKey = URL(fileURLWithPath: store).standardizedFileURL.path
            let line = block.header
            if let other = seen.office[office] {
                throw BanliError(.config, "\(at("office")): the office '\(office)' is already defined \(other); each office needs its own key.")
            }
            if let other = seen.store[storeKey] {
                throw BanliError(.config, "\(at("store")): the store \(store) is already used \(other); each office needs its own store.")
            }
            for url in urls {
                if let other = seen.url[url] {
                    throw BanliError(.config, "\(at("url")): the hub \(url) is already used \(other); each office is one hub.")
                }
            }
            let here = "by office '\(office)' at line \(line)"
            seen.office[office] = "at line \(line)"
            seen.store[storeKey] = here
            for url in urls { seen.url[url] = here }
            entries.append(entry)
        }
        return entries
    }

    /// `hub_url`, or a `[[hub]]` entry's `url`: one URL in quotes (an empty string: unset) or an array of them, tried in
    /// order (failover). `at` names the file, line and key in the errors.
    static func hubURLs(_ value: TOMLValueConvertible, at: String, allowPlainHTTP: Bool) throws -> [String] {
        if let s = value.string {
            guard !s.isEmpty else { return [] }
            guard let url = try? HubURL.validate(s) else { throw BanliError(.config, "\(at): must be http://HOST:PORT or https://HOST:PORT.") }
            return [url]
        }
        guard let array = value.array else {
            throw BanliError(.config, "\(at): must be a URL in quotes, or a list of them such as [\"https://hub-a:8480\", \"https://hub-b:8480\"].")
        }
        var strings: [String] = []
        for (i, element) in array.enumerated() {
            guard let s = element.string else { throw BanliError(.config, "\(at): element \(i + 1) must be a URL in quotes.") }
            strings.append(s)
        }
        return try HubURL.validateList(strings, key: at, allowPlainHTTP: allowPlainHTTP)
    }

    /// The entry for `office`, or an error listing the offices there are.
    func hubEntry(_ office: String) throws -> HubEntry {
        guard let entry = hubs.first(where: { $0.office == office }) else {
            let file = path ?? GlobalOptions.defaultConfigPath
            guard !hubs.isEmpty else {
                throw BanliError(.usage, "--office \(office) names a [[hub]] entry, but \(file) has none; drop --office or add the entry.")
            }
            throw BanliError(.usage, "No office '\(office)' in \(file); its offices are \(hubs.map(\.office).joined(separator: ", ")).")
        }
        return entry
    }
}

/// Where a `[[hub]]` entry's header and keys are in the file, for errors that name a line.
struct HubBlock {
    var header: Int
    /// 1-based line of each key ("tls.ca_file" for the keys under its [hub.tls]).
    var keys: [String: Int] = [:]

    static func scan(_ lines: [String]) -> [HubBlock] {
        var blocks: [HubBlock] = []
        var inHub = false
        var prefix = ""
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmedWhitespace
            if line.hasPrefix("#") || line.isEmpty { continue }
            if line.hasPrefix("[") {
                let name = String(line.filter { $0 != "[" && $0 != "]" && $0 != " " }.prefix { $0 != "#" })
                if line.hasPrefix("[["), name == "hub" {
                    blocks.append(HubBlock(header: i + 1))
                    inHub = true
                    prefix = ""
                } else if name == "hub.tls", inHub {
                    prefix = "tls."
                } else {
                    inHub = false
                }
                continue
            }
            guard inHub, let eq = line.firstIndex(of: "=") else { continue }
            let key = prefix + String(line[..<eq]).trimmedWhitespace.filter { $0 != "\"" }
            if blocks[blocks.count - 1].keys[key] == nil { blocks[blocks.count - 1].keys[key] = i + 1 }
        }
        return blocks
    }
}
