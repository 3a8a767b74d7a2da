import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliPages
import BanliStore

/// `banli item list`: one row per assignment (or per item, when unassigned).
struct ItemList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List items and each unit's status.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Only assignments past their deadline (逾期).") var overdue = false
    @Option(help: "Only this stage: pending 待签收, handling 办理中, replied 已答复, … (English or Chinese).") var status: String?
    @Option(name: .customLong("due-within"), help: "Only open assignments due within this many days, e.g. 7d.") var dueWithin: String?
    @Option(help: ArgumentHelp("Only this role: " + Role.choices(separator: ", ") + ".")) var role: String?
    @Option(help: "Only items of this year.") var year: Int?
    @Option(help: "Only suggestion 建议 or proposal 提案.") var kind: String?
    @Option(help: "Only this unit's assignments (its site or its name, e.g. jxj or 市经信局).") var unit: String?

    func run() throws {
        let offices = try global.openOffices()
        let today = try global.today()
        let deadlines = try global.loadConfig().deadlines
        let stage = try status.map { s -> AssignmentStatus.Stage in
            guard let st = AssignmentStatus.Stage.allCases.first(where: { $0.rawValue == s || $0.label == s }) else {
                let stages = AssignmentStatus.Stage.allCases.map { "\($0.rawValue) (\($0.label))" }
                throw BanliError(.usage, "--status takes one of " + stages.joined(separator: ", ") + ".")
            }
            return st
        }
        let within = try dueWithin.map { text -> Int in
            let digits = text.hasSuffix("d") ? String(text.dropLast()) : text
            guard let n = Int(digits), n >= 0 else { throw BanliError(.usage, "--due-within takes a number of days like 7d, not '\(text)'.") }
            return n
        }
        let wantedRole: Role? = try self.role.map { try choice(.assignment, "role", $0) }
        let kind: ItemKind? = try self.kind.map { try choice(.item, "kind", $0) }
        let unit = try self.unit.map { try OfficeSet.site(named: $0, in: offices.offices) }
        // Every office's store (or the one --office names); item numbers may coincide across offices.
        let listed = try offices.offices.flatMap { office in
            let names = try UnitNames(store: office.store)
            return try office.store.items().map { (office: office, names: names, view: $0) }
        }.sorted { a, b in a.view.id == b.view.id ? a.office.key < b.office.key : ItemView.naturalOrder(a.view.id, b.view.id) }
        var rows: [JSONValue] = []
        let officeColumn = offices.hasEntries ? [OfficeSet.columnHeader] : []
        var table = TextTable(header: officeColumn + ["编号", "类别", "标题", "承办单位", "方式", "状态", "时限"])
        for (office, names, view) in listed {
            // At a bureau, a role is this unit's own: other units' rows on shared items are not its work.
            let onlySite = wantedRole != nil && !office.store.info.isHub ? office.store.info.site : nil
            if let year, view.year != year { continue }
            if let kind, view.kind != kind { continue }
            let sites = view.assignedSites.isEmpty ? [nil] : view.assignedSites.map(Optional.some)
            for site in sites {
                let st = site.flatMap { view.status(site: $0, today: today, deadlines: deadlines) }
                if overdue, st?.overdue != true { continue }
                if let stage, st?.stage != stage { continue }
                if let unit, site != unit { continue }
                if let onlySite, site != onlySite { continue }
                let role = site.flatMap { view.assignments[$0]?.role }
                if let wantedRole, role != wantedRole { continue }
                if let within {
                    guard let st, st.stage.isOpen, let due = st.dueAt, due >= today, due <= today.addingDays(within) else { continue }
                }
                rows.append(.object([
                    "id": .string(view.id), "kind": view.kind.map { .string($0.rawValue) } ?? .null,
                    "number": view.number.map { .int(Int64($0)) } ?? .null,
                    "year": view.year.map { .int(Int64($0)) } ?? .null, "title": .string(view.title),
                    "unit": site.map(JSONValue.string) ?? .null, "role": role.map { .string($0.rawValue) } ?? .null,
                    "status": st.map(ItemJSON.status) ?? .null,
                    "office": .string(office.key), "session": view.values["session"] ?? .null,
                ]))
                table.add((offices.hasEntries ? [office.name] : []) + [
                    view.id, view.kind?.label ?? "",
                    TextTable.truncate(view.title, width: 40),
                    site.map { "\($0) \(names[$0])" } ?? "（未交办）",
                    role?.label ?? "",
                    (st?.stage.label ?? "") + (st?.overdue == true ? " 逾期" : ""),
                    st?.dueAt?.description ?? "",
                ])
            }
        }
        if json {
            Output.json(.array(rows))
        } else if rows.isEmpty {
            let filtered = overdue || stage != nil || within != nil || wantedRole != nil || year != nil || kind != nil || unit != nil
            Output.line(overdue ? "没有逾期的承办件。" : filtered ? "没有符合条件的承办件。" : "No items in this store.")
        } else {
            Output.line(table.render())
        }
    }
}
