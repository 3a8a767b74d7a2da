import ArgumentParser
import BanliCore
import BanliStore

/// `banli item list`: one row per assignment (or per item, when unassigned).
struct ItemList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List items and each unit's status.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Only assignments past their deadline (逾期).") var overdue = false

    func run() throws {
        let store = try global.openStore()
        let today = try global.today()
        let names = try UnitNames(store: store)
        var rows: [JSONValue] = []
        var table = TextTable(header: ["编号", "类别", "标题", "承办单位", "方式", "状态", "时限"])
        for view in try store.items() {
            let sites = view.assignedSites.isEmpty ? [nil] : view.assignedSites.map(Optional.some)
            for site in sites {
                let st = site.flatMap { view.status(site: $0, today: today) }
                if overdue, st?.overdue != true { continue }
                let role = site.flatMap { view.assignments[$0]?["role"] } ?? .null
                rows.append(.object([
                    "id": .string(view.id), "kind": view.item["kind"] ?? .null, "number": view.item["number"] ?? .null,
                    "year": view.item["year"] ?? .null, "title": .string(view.title),
                    "unit": site.map(JSONValue.string) ?? .null, "role": role,
                    "status": st.map(ItemJSON.status) ?? .null,
                ]))
                table.add([
                    view.id, Output.display(view.item["kind"] ?? .null, spec: nil).isEmpty ? "" : (FieldCatalogue.itemKinds.first { $0.value == view.kind }?.label ?? ""),
                    TextTable.truncate(view.title, width: 40),
                    site.map { "\($0) \(names[$0])" } ?? "（未交办）",
                    FieldCatalogue.roles.first { $0.value == role.stringValue }?.label ?? "",
                    (st?.stage.label ?? "") + (st?.overdue == true ? " 逾期" : ""),
                    st?.dueAt?.description ?? "",
                ])
            }
        }
        if json {
            Output.json(.array(rows))
        } else if rows.isEmpty {
            Output.line(overdue ? "No overdue assignments." : "No items in this store.")
        } else {
            Output.line(table.render())
        }
    }
}
