import ArgumentParser
import BanliCore
import BanliHub
import BanliStore
import Foundation

/// `banli hub serve`: run the hub.
struct HubServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the hub: the bureaus' listener and the admin listener.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "HOST:PORT for bureaus (default 0.0.0.0:8480).") var listen: String?
    @Option(name: .customLong("admin-listen"), help: "HOST:PORT for the status page, status API and metrics (default 127.0.0.1:8481).") var adminListen: String?

    func run() async throws {
        let config = try global.loadConfig()
        let listen = try ListenAddress(parsing: self.listen ?? config.listen ?? "0.0.0.0:8480", option: "--listen")
        let admin = try ListenAddress(parsing: adminListen ?? config.adminListen ?? "127.0.0.1:8481", option: "--admin-listen")
        guard admin.isLoopback else {
            throw BanliError(.usage, "The admin listener \(admin) is not a loopback address; bind it to 127.0.0.1 and reach it through an SSH tunnel or a reverse proxy.")
        }
        let path = try global.storePath()
        let store = try Store.open(at: path, keyFile: config.keyFile)
        guard store.info.isHub else {
            throw BanliError(.usage, "\(path) is a bureau store; run 'banli hub serve' on the hub's store.")
        }
        let logger = try LogSetup.bootstrap(level: config.logLevel)
        var settings = HubSettings(listen: listen, adminListen: admin)
        settings.maxBodyBytes = config.maxBodyBytes
        settings.staleAfterSeconds = config.staleAfterIntervals * config.unitInterval
        settings.deadlines = config.deadlines
        try await HubServer(store: store, settings: settings, logger: logger).run()
    }
}

/// `banli hub rotate-token`: issue a new token for a unit; the old one stops working at once.
struct HubRotateToken: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rotate-token", abstract: "Issue a unit a new token; the old one stops working.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The unit's site name.") var site: String
    @Option(help: "Write the new token to this file (mode 0600) instead of printing it.") var tokenFile: String?

    func run() throws {
        let store = try global.openStore()
        if let tokenFile, FileManager.default.fileExists(atPath: tokenFile) {
            throw BanliError(.usage, "\(tokenFile) already exists; choose a new path so no token is overwritten.")
        }
        let token = try store.rotateToken(site: site)
        try TokenFile.hand(token, to: tokenFile, what: "Issued \(site) a new token; the old one no longer works")
    }
}
