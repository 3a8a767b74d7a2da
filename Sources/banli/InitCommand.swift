import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliHub
import BanliOffice
import BanliOps
import BanliStore

/// `banli init`: a new bureau store; with --office, the store of that `[[hub]]` entry (its store, site, url and token_file).
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new bureau store.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "This unit's site name, as registered at the hub (e.g. jxj); with --office, default the entry's site.")
    var site: String?

    @Option(help: "This unit's name (e.g. 市经信局).")
    var name: String

    @Option(name: .customLong("hub-url"), help: "The hub's base URL, e.g. https://hub.example.gov.cn:8480.")
    var hubURL: String?

    @Option(name: .customLong("token-file"), help: "File holding this unit's token.")
    var tokenFile: String?

    @Option(name: .customLong("hub-site"), help: "The hub's site name.")
    var hubSite = "hub"

    func run() throws {
        let path = try global.storePath()
        let entry = try global.office.map { try global.loadConfig().hubEntry($0) }
        guard let site = site ?? entry?.site else {
            throw BanliError(.usage, entry == nil ? "Give this unit's site name with --site S (as registered at the hub)."
                             : "The [[hub]] entry '\(entry!.office)' has no site and the config no top-level site; pass --site S.")
        }
        let hubURL = try (self.hubURL ?? entry?.url).map(HubURL.validate)
        let store = try Store.create(at: path, site: site, name: name, hubSite: hubSite, isHub: false)
        if let hubURL { try store.setSetting("hubUrl", hubURL) }
        if let tokenFile = tokenFile ?? entry?.tokenFile { try store.setSetting("tokenFile", tokenFile) }
        let office = entry.map { " (office \($0.office))" } ?? ""
        Output.line("Created bureau store \(path) for \(site) (\(name))\(office); store id \(store.info.storeId).")
    }
}

/// Checks of a hub URL given by a person.
enum HubURL {
    static func validate(_ s: String) throws -> String {
        guard s.hasPrefix("http://") || s.hasPrefix("https://"), s.count > 8, !s.contains(" ") else {
            throw BanliError(.usage, "'\(s)' is not a hub URL; use http://HOST:PORT or https://HOST:PORT.")
        }
        return s.hasSuffix("/") ? String(s.dropLast()) : s
    }

    /// True when the URL's host is this machine (127.0.0.0/8, ::1, localhost).
    static func isLoopback(_ url: String) -> Bool {
        let rest = url.drop { $0 != "/" }.drop { $0 == "/" }
        var host = String(rest.prefix { $0 != "/" && $0 != "?" })
        if let at = host.lastIndex(of: "@") { host = String(host[host.index(after: at)...]) }
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            host = String(host[host.index(after: host.startIndex)..<end])
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        return ListenAddress.isLoopback(host: host)
    }
}
