import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliStore

/// `banli conflicts`: the conflict inbox.
struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conflicts", abstract: "List fields with concurrent values.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        // Across every office's store; with [[hub]] entries each conflict names its office.
        let set = try global.openOffices()
        var objects: [JSONValue] = []
        var lines: [String] = []
        for office in set.offices {
            let hubSite = office.store.info.hubSite
            for c in try office.store.conflicts() {
                guard set.hasEntries, case .object(var o) = ItemJSON.conflict(c, hubSite: hubSite) else {
                    objects.append(ItemJSON.conflict(c, hubSite: hubSite))
                    lines.append(Self.describe(c, hubSite: hubSite))
                    continue
                }
                o["office"] = .string(office.key)
                objects.append(.object(o))
                lines.append("[\(office.key)] " + Self.describe(c, hubSite: hubSite))
            }
        }
        if json {
            Output.json(.array(objects))
        } else if lines.isEmpty {
            Output.line("No open conflicts.")
        } else {
            for l in lines { Output.line(l) }
            let office = set.offices.count > 1 ? " (add --office KEY)" : ""
            Output.line("\(lines.count) open conflicts; settle each with 'banli resolve ENTITY FIELD VALUE'\(office).")
        }
    }

    /// One line: the field, then each concurrent value with its writer; the visible one first.
    static func describe(_ f: ReplicatedField, hubSite: String) -> String {
        let visible = f.state.visible(naturalAuthor: f.naturalAuthor(hubSite: hubSite))
        let ordered = f.state.siblings.sorted { a, _ in a == visible }
        return "\(f.entity) \(f.field) (\(f.spec.label)): " + ordered.map { s in
            "\(s.site): \(s.value.canonicalJSON)" + (s == visible ? " (shown)" : "")
        }.joined(separator: " | ")
    }
}

/// `banli resolve`: settle a conflict by writing the value to keep.
struct ResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resolve", abstract: "Settle a conflict with a new value.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The entity, e.g. assignment/rd-2025-39/jxj.") var entity: String
    @Argument(help: "The field.") var field: String
    @Argument(help: "The value to keep.") var value: String

    func run() throws {
        let key = try EntityKey(parsing: entity)
        let store = try global.openStore(for: key, field: field)
        let spec = try FieldCatalogue.require(key.kind, field)
        let v = try spec.type.parse(value, field: field)
        let outcome = try store.write([LocalWrite(entity: key, field: field, value: v)])
        Output.writes(outcome)
        if outcome[0].superseded < 2 { Output.line("(there was no conflict on this field; the value was written anyway)") }
    }
}
