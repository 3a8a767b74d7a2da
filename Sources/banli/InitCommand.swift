import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliHub
import BanliOffice
import BanliOps
import BanliStore
import BanliSync

/// `banli init`: a new bureau store; with --office, the store of that `[[hub]]` entry (its store, site, url and token_file).
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new bureau store.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "This unit's site name, as registered at the hub (e.g. jxj); with --office, default the entry's site.")
    var site: String?

    @Option(help: "This unit's name (e.g. 市经信局).")
    var name: String

    @Option(name: .customLong("hub-url"),
            help: "The hub's base URL, e.g. https://hub.example.gov.cn:8480; repeat it for a hub with several URLs (failover, tried in order).")
    var hubURLs: [String] = []

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
        let given = hubURLs.isEmpty ? entry?.urls ?? [] : hubURLs
        let urls = try given.isEmpty ? [] : HubURL.validateFlags(given, allowPlainHTTP: global.loadConfig().allowPlainHTTP)
        let store = try Store.create(at: path, site: site, name: name, hubSite: hubSite, isHub: false)
        if !urls.isEmpty { try store.setSetting("hubUrl", HubURL.storedForm(urls)) }
        if let tokenFile = tokenFile ?? entry?.tokenFile { try store.setSetting("tokenFile", tokenFile) }
        let office = entry.map { " (office \($0.office))" } ?? ""
        Output.line("Created bureau store \(path) for \(site) (\(name))\(office); store id \(store.info.storeId).")
    }
}
