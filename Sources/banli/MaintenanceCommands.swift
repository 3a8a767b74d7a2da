import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliPages
import BanliStore
import Foundation

/// `banli backup DEST`: a consistent copy of the store while it is in use.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy the store with SQLite's online backup (safe while the daemon or hub runs).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The backup file to create.") var destination: String

    func run() throws {
        let store = try global.openSQLiteStore()
        try store.backup(to: destination)
        Output.line("Backed up \(store.path) to \(destination).")
        if store.info.isHub {
            let keyFile = try global.loadConfig().keyFile ?? store.path + ".key"
            Output.line("Back up the hub key file too (\(keyFile)): it lets a restored hub take its own writes back from the bureaus.")
        }
    }
}

/// `banli history ID`: every change to an item, oldest first.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Every change to an item: which unit (and, for a web write here, which person) wrote what, when, written here or received.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id.") var id: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let store = try global.openStore(holding: id)
        _ = try Identifier.validItemId(id)
        let rows = try store.history(ofItem: id)
        guard !rows.isEmpty else {
            throw BanliError(.notFound, "This store has no history for item \(id); check the id with 'banli item list'.")
        }
        if json {
            Output.json(.array(rows.map { r in
                var o: [String: JSONValue] = [
                    "entity": .string(r.entity), "field": .string(r.field), "value": (try? JSONValue.parse(r.value)) ?? .string(r.value),
                    "site": .string(r.site), "counter": .int(Int64(bitPattern: r.counter)), "origin": .string(r.origin),
                    "via": .string(r.via), "recordedAt": .string(r.recordedAt),
                    "writtenAt": .string(Date(timeIntervalSince1970: Double(HybridLogicalClock.milliseconds(of: r.counter)) / 1000).formatted(.iso8601)),
                ]
                // Only rows a named person wrote through the web carry it; older output stays byte for byte the same.
                if let person = r.person { o["person"] = .string(person) }
                return .object(o)
            }))
            return
        }
        var t = TextTable(header: ["记录时间", "单位", "来源", "对象", "字段", "值"])
        for r in rows {
            let label = (try? EntityKey(parsing: r.entity)).flatMap { FieldCatalogue.spec($0.kind, r.field)?.label } ?? ""
            // The person next to the unit; TextTable escapes every cell, so a hostile name cannot drive the terminal.
            t.add([r.recordedAt, r.person.map { "\(r.site)（\($0)）" } ?? r.site, r.origin == "local" ? "本地" : "收到(\(r.via))", r.entity,
                   "\(r.field) \(label)", TextTable.truncate(r.value, width: 40)])
        }
        Output.line(t.render())
    }
}

/// `banli hub remove-unit`: the unit's token stops working at once; its data stays.
struct HubRemoveUnit: ParsableCommand, HubSubcommand {
    static let configuration = CommandConfiguration(commandName: "remove-unit", abstract: "Revoke a unit's token (its data stays).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The unit's site name.") var site: String

    func run() throws {
        try global.openStore().removeUnit(site: site)
        Output.line("Unit \(site)'s token no longer works; its records stay at the hub.")
    }
}
