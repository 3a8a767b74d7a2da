import ArgumentParser
import BanliCore
import BanliOffice
import BanliStore
import Foundation

/// `banli hub …`: the office's hub.
struct HubCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub", abstract: "Run and manage the office's hub.",
        subcommands: [HubInit.self, HubAddUnit.self, HubServe.self, HubRotateToken.self, HubAddOperator.self, HubStatus.self, HubRemoveUnit.self,
                      HubSettingsCommand.self])
}

/// `banli hub init`: a new hub store.
struct HubInit: ParsableCommand, HubSubcommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new hub store.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "The hub's site name.")
    var site = "hub"

    @Option(help: "The office's name (e.g. 市政府督查室).")
    var name = "交办机关"

    func run() throws {
        let path = try global.storePath()
        let store = try Store.create(at: path, site: site, name: name, hubSite: site, isHub: true, keyFile: global.loadConfig().keyFile)
        try store.write(.unit(site: site), "name", .string(name))
        try store.write(.unit(site: site), "kind", .string("office"))
        Output.line("Created hub store \(path) (site \(site)); store id \(store.info.storeId).")
    }
}

/// `banli hub add-unit`: register a bureau and issue its token.
struct HubAddUnit: ParsableCommand, HubSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "add-unit", abstract: "Register a unit and print (or write) its token, once.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The unit's site name (e.g. jxj).")
    var site: String

    @Option(help: "The unit's name (e.g. 市经信局).")
    var name: String

    @Option(help: "Write the token to this file (mode 0600) instead of printing it.")
    var tokenFile: String?

    func run() throws {
        let store = try global.openStore()
        try TokenFile.ensureFree(tokenFile)
        let token = try store.addUnit(site: site, name: name)
        try TokenFile.hand(token, to: tokenFile, what: "Registered \(site) (\(name))")
    }
}

/// Token files: created with mode 0600 so no other user can read them.
enum TokenFile {
    /// Refuses, before any token is issued, a path that exists, so no token is overwritten or lost.
    static func ensureFree(_ path: String?) throws {
        if let path, FileManager.default.fileExists(atPath: path) {
            throw BanliError(.usage, "\(path) already exists; choose a new path so no token is overwritten.")
        }
    }

    /// Writes a new token to `path`, or prints it once (the hub keeps only its hash).
    static func hand(_ token: String, to path: String?, what: String) throws {
        if let path {
            try write(token, to: path)
            Output.line("\(what); the token is in \(path). Copy it to the unit's server.")
        } else {
            Output.line(token)
            FileHandle.standardError.write(Data("banli: \(what); the token above is shown only once.\n".utf8))
        }
    }

    static func write(_ token: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw BanliError(.io, "Cannot create the token file \(path): \(BanliError.systemText(errno)).")
        }
        defer { close(fd) }
        let bytes = Array((token + "\n").utf8)
        guard Foundation.write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
            throw BanliError(.io, "Cannot write the token file \(path): \(BanliError.systemText(errno)).")
        }
    }
}
