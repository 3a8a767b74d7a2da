import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliPostgres
import BanliStore
import Foundation

/// `banli hub …`: the office's hub.
struct HubCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub", abstract: "Run and manage the office's hub.",
        subcommands: [HubInit.self, HubAddUnit.self, HubServe.self, HubRotateToken.self, HubAddOperator.self, HubStatus.self, HubRemoveUnit.self,
                      HubSetUnit.self, HubSettingsCommand.self, HubMigrate.self])
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
        if let location = try global.postgresLocation() {
            let config = try global.loadConfig()
            let hub = try PostgresRecords.open(location, keyFile: config.keyFile, logger: LogSetup.quiet,
                                               create: PostgresHubStorage.NewHub(site: site, name: name))
            Output.line("Created the hub in \(hub.path) (site \(site)); store id \(hub.info.storeId).")
            return
        }
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

    @Option(help: "A short name clerks write for the unit (e.g. 省发改委); repeat for several.")
    var alias: [String] = []

    @Option(help: "Write the token to this file (mode 0600) instead of printing it.")
    var tokenFile: String?

    func run() throws {
        let store = try global.openStore()
        try TokenFile.ensureFree(tokenFile)
        // Checked before the unit is registered, so a bad alias leaves nothing behind.
        let aliases = try UnitAliases.checked(alias, site: site, name: name, directory: UnitNames(store: store))
        let token = try store.addUnit(site: site, name: name)
        if !aliases.isEmpty { try store.write(.unit(site: site), "aliases", UnitAliases.value(aliases)) }
        try TokenFile.hand(token, to: tokenFile, what: "Registered \(site) (\(name))")
    }
}

/// `banli hub set-unit`: change a registered unit's name or aliases.
struct HubSetUnit: ParsableCommand, HubSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "set-unit", abstract: "Change a unit's name or its aliases (简称); bureaus receive them at their next sync.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The unit's site name (e.g. fgw).")
    var site: String

    @Option(help: "The unit's new full name.")
    var name: String?

    @Option(help: "The unit's aliases, replacing the ones it has; repeat for several.")
    var alias: [String] = []

    @Flag(help: "Remove every alias.")
    var clearAliases = false

    func run() throws {
        let store = try global.openStore()
        guard store.info.isHub else {
            throw BanliError(.permissionDenied, "Only the hub's store changes the unit directory; run this on the office's hub.")
        }
        _ = try Identifier.validSite(site)
        guard try store.registeredUnits().contains(site) else {
            throw BanliError(.notFound, "Unit '\(site)' is not registered; register it with 'banli hub add-unit \(site) --name …'.")
        }
        guard name != nil || !alias.isEmpty || clearAliases else {
            throw BanliError(.usage, "Give --name, --alias (repeatable) or --clear-aliases.")
        }
        guard alias.isEmpty || !clearAliases else { throw BanliError(.usage, "Give either --alias or --clear-aliases, not both.") }
        if let name, name.trimmedWhitespace.isEmpty { throw BanliError(.usage, "--name is empty; give the unit's full name.") }
        let directory = try UnitNames(store: store)
        let aliases = try UnitAliases.checked(alias, site: site, name: name ?? directory[site], directory: directory)
        var writes: [LocalWrite] = []
        let unit = EntityKey.unit(site: site)
        if let name { writes.append(LocalWrite(unit, "name", .string(name.trimmedWhitespace))) }
        if !aliases.isEmpty || clearAliases { writes.append(LocalWrite(unit, "aliases", clearAliases ? .null : UnitAliases.value(aliases))) }
        Output.writes(try store.write(writes))
    }
}

/// Checking aliases before they are written: each one names one unit only.
enum UnitAliases {
    /// The aliases trimmed and without repeats; refuses an empty one, or one that already means another unit.
    static func checked(_ aliases: [String], site: String, name: String, directory: UnitNames) throws -> [String] {
        var out: [String] = []
        let taken = directory.lookup
        for raw in aliases {
            let a = raw.trimmedWhitespace
            guard !a.isEmpty else { throw BanliError(.usage, "An --alias is empty; give the short name clerks write (e.g. 省发改委).") }
            if let other = taken[a] ?? taken[a.lowercased()], other != site {
                throw BanliError(.usage, "The alias '\(a.prefix(60))' already means unit \(directory.describe(other)); choose another.")
            }
            if a != name && a != site && !out.contains(a) { out.append(a) }
        }
        try FieldCatalogue.spec(.unit, "aliases")!.type.validate(value(out), field: "aliases")
        return out
    }

    static func value(_ aliases: [String]) -> JSONValue { .array(aliases.map(JSONValue.string)) }
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
