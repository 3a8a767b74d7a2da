import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliStore

/// `banli item show`: everything this store holds about one item.
struct ItemShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one item with its assignments, contacts and feedback.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id.") var id: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let store = try global.openStore(holding: id)
        _ = try Identifier.validItemId(id)
        guard let view = try store.item(id) else {
            throw BanliError(.notFound, "This store holds no item \(id); check the id with 'banli item list'.")
        }
        let today = try global.today()
        let deadlines = try global.loadConfig().deadlines
        if json {
            Output.json(ItemJSON.object(view, today: today, hubSite: store.info.hubSite, deadlines: deadlines))
            return
        }
        let names = try UnitNames(store: store)
        Output.line("\(view.id)  \(shown(view.kind))  \(view.title)")
        // Every other field, as the catalogue lists them: the generic path.
        for spec in FieldCatalogue.fields(of: .item) where spec.name != "title" && spec.name != "kind" {
            if let v = view.values[spec.name] { Output.line("  \(spec.label): \(Output.display(v, spec: spec))") }
        }
        for site in view.assignedSites {
            let a = view.assignments[site] ?? AssignmentView(site: site)
            let st = view.status(site: site, today: today, deadlines: deadlines)
            var head = "\n[\(site) \(names[site])] \(shown(a.role))"
            if let st { head += "  \(st.stage.label)" + (st.dueAt.map { "  时限 \($0)" } ?? "") + (st.overdue ? "  【逾期】" : "") }
            Output.line(head)
            for spec in FieldCatalogue.fields(of: .assignment) where spec.name != "role" {
                if let v = a.values[spec.name] { Output.line("  \(spec.label): \(Output.display(v, spec: spec))") }
            }
            for (n, c) in (view.contacts[site] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let method = shown(c.method)
                Output.line("  沟通 #\(n): \(c.at?.description ?? "") \(method) \(c.note ?? "")")
            }
            if let f = view.feedback[site] {
                let parts = FieldCatalogue.fields(of: .feedback).compactMap { s in f.values[s.name].map { "\(s.label) \(Output.display($0, spec: s))" } }
                Output.line("  征询意见: " + parts.joined(separator: "；"))
            }
        }
        if !view.conflicts.isEmpty {
            Output.line("\n冲突 (conflicts; resolve with 'banli resolve ENTITY FIELD VALUE'):")
            for c in view.conflicts { Output.line("  " + ConflictsCommand.describe(c, hubSite: store.info.hubSite)) }
        }
    }

    /// An enumerated value as `Output.display` shows one: `lead 主办`, or empty when unset.
    func shown<E: CatalogueEnum>(_ value: E?) -> String {
        value.map { "\($0.rawValue) \($0.label)" } ?? ""
    }
}

/// The JSON form of items, shared by `item show --json` and `item list --json`.
enum ItemJSON {
    static func object(_ view: ItemView, today: ISODate, hubSite: String, deadlines: Deadlines) -> JSONValue {
        var assignments: [String: JSONValue] = [:]
        for (site, a) in view.assignments {
            var o = a.values.byName
            if let st = view.status(site: site, today: today, deadlines: deadlines) { o["status"] = status(st) }
            assignments[site] = .object(o)
        }
        var contacts: [String: JSONValue] = [:]
        for (site, byN) in view.contacts {
            contacts[site] = .object(Dictionary(uniqueKeysWithValues: byN.map { (String($0.key), JSONValue.object($0.value.values.byName)) }))
        }
        return .object([
            "id": .string(view.id),
            "item": .object(view.values.byName),
            "assignments": .object(assignments),
            "contacts": .object(contacts),
            "feedback": .object(view.feedback.mapValues { .object($0.values.byName) }),
            "conflicts": .array(view.conflicts.map { conflict($0, hubSite: hubSite) }),
        ])
    }

    static func status(_ st: AssignmentStatus) -> JSONValue {
        .object([
            "stage": .string(st.stage.rawValue), "label": .string(st.stage.label),
            "dueAt": st.dueAt.map { .string($0.description) } ?? .null, "overdue": .bool(st.overdue),
        ])
    }

    static func conflict(_ f: ReplicatedField, hubSite: String) -> JSONValue {
        .object([
            "entity": .string(f.entity.description), "field": .string(f.field),
            "value": f.visibleValue(hubSite: hubSite),
            "siblings": .array(f.state.siblings.map {
                .object(["value": $0.value, "site": .string($0.site), "counter": .int(Int64(bitPattern: $0.counter))])
            }),
        ])
    }
}
