import BanliCore
/// Writing the ledger: one row per assignment, as CSV rows, CSV text or JSON.
extension Ledger {
    /// The ledger as rows: a header, then one row per assignment (an item with none gets one row with
    /// an empty unit), by item id in natural order (rd-2025-9 before rd-2025-10), lead and sole units first.
    public static func exportRows(
        items: [ItemView], unitNames: [String: String], today: ISODate, deadlines: Deadlines
    ) -> [[String]] {
        [exportHeader] + exportLines(items: items, today: today, deadlines: deadlines).map { line in
            exportColumns.map { column, _ in
                exportCell(column, view: line.view, site: line.site, unitNames: unitNames, status: line.status, deadlines: deadlines)
            }
        }
    }

    /// One export line: an assignment, or an item with none (`site` nil).
    struct ExportLine {
        var view: ItemView
        var site: String?
        var status: AssignmentStatus?
    }

    /// The lines of the export in order: by item id in natural order, each item's units as `assignedSites` orders them.
    static func exportLines(items: [ItemView], today: ISODate, deadlines: Deadlines) -> [ExportLine] {
        items.sorted { naturalLess($0.id, $1.id) }.flatMap { view -> [ExportLine] in
            let sites: [String?] = view.assignedSites.isEmpty ? [nil] : view.assignedSites
            return sites.map { site in
                ExportLine(view: view, site: site, status: site.flatMap { view.status(site: $0, today: today, deadlines: deadlines) })
            }
        }
    }

    /// The ledger as CSV text (UTF-8 with BOM by default, so Excel shows the Chinese).
    public static func exportCSV(
        items: [ItemView], unitNames: [String: String], today: ISODate, deadlines: Deadlines, bom: Bool = true
    ) -> String {
        CSV.write(exportRows(items: items, unitNames: unitNames, today: today, deadlines: deadlines), bom: bom)
    }

    static func exportCell(
        _ column: Column, view: ItemView, site: String?, unitNames: [String: String], status: AssignmentStatus?, deadlines: Deadlines
    ) -> String {
        func spec(_ kind: EntityKind, _ f: String) -> FieldSpec { FieldCatalogue.spec(kind, f)! }
        switch column {
        case .id: return view.id
        case .item(let f):
            let value = view.values[f] ?? derivedDeadline(.item(id: view.id), f, view: view, deadlines: deadlines)
            return cellText(value, spec(.item, f))
        case .assignment(let f) where site != nil:
            let value = view.assignments[site!]?.values[f]
                ?? derivedDeadline(.assignment(item: view.id, site: site!), f, view: view, deadlines: deadlines)
            return cellText(value, spec(.assignment, f))
        case .unit: return site ?? ""
        case .unitName: return site.flatMap { unitNames[$0] } ?? ""
        case .assignment(let f): return cellText(site.flatMap { view.assignments[$0]?.values[f] }, spec(.assignment, f))
        case .feedback(let f): return cellText(site.flatMap { view.feedback[$0]?.values[f] }, spec(.feedback, f))
        case .contacts:
            guard let site, let c = view.contacts[site], !c.isEmpty else { return "" }
            return contactsJSON(c).canonicalJSON
        case .ignored("status"): return status?.stage.label ?? ""
        case .ignored("overdue"): return status.map { $0.overdue ? "是" : "否" } ?? ""
        case .ignored, .leadProposer, .coProposers, .unitsWithRole: return ""
        }
    }

    /// The deadline a 时限 field holds in effect while it is unset, derived from 交办 as `item list` shows it:
    /// the item's and a replying unit's 办理时限, a cooperating unit's 会办意见时限. Nil for every other field.
    /// `value` gives the values the derivation reads (交办日期, the item's 办理时限, the unit's 承办方式).
    static func derivedDeadline(
        _ entity: EntityKey, _ field: String, deadlines: Deadlines, value: (EntityKey, String) -> JSONValue?
    ) -> JSONValue? {
        guard let id = entity.itemId, let assignedAt = value(.item(id: id), "assignedAt")?.stringValue.flatMap(ISODate.init) else {
            return nil
        }
        let due: ISODate?
        switch entity {
        case .item where field == "dueAt":
            due = assignedAt.addingMonths(deadlines.replyMonths)
        case .assignment:
            guard let role = value(entity, "role")?.stringValue.flatMap(Role.init(rawValue:)) else { return nil }
            switch field {
            case "dueAt" where !role.givesOpinion:
                due = value(.item(id: id), "dueAt")?.stringValue.flatMap(ISODate.init) ?? assignedAt.addingMonths(deadlines.replyMonths)
            case "opinionDueAt" where role.givesOpinion: due = assignedAt.addingMonths(deadlines.opinionMonths)
            default: due = nil
            }
        default:
            due = nil
        }
        return due.map { .string($0.description) }
    }

    /// The derived deadline of a field of `view`'s rows (see above).
    static func derivedDeadline(_ entity: EntityKey, _ field: String, view: ItemView, deadlines: Deadlines) -> JSONValue? {
        derivedDeadline(entity, field, deadlines: deadlines) { e, f in currentValue(e, f, in: [view.id: view]) }
    }

    /// One value as a clerk reads it, in a form `import` parses back to the same value.
    static func cellText(_ value: JSONValue?, _ spec: FieldSpec) -> String {
        guard let value, value != .null else { return "" }
        switch spec.type {
        case .bool:
            if let b = value.boolValue { return b ? "是" : "否" }
        case .enumeration(let cases):
            if let s = value.stringValue { return cases.first { $0.value == s }?.label ?? s }
        case .int:
            if let i = value.intValue { return String(i) }
        case .strings:
            if case .array(let a) = value {
                let names = a.compactMap(\.stringValue)
                // A name holding a separator or edge spaces would not split back: keep JSON then.
                let plain = names.count == a.count && names.allSatisfy { n in
                    n == n.trimmedWhitespace && !n.isEmpty && !n.contains(where: { "、,，;；".contains($0) })
                } && !(names.first?.hasPrefix("[") ?? false)
                return plain ? names.joined(separator: "、") : value.canonicalJSON
            }
        case .string, .text, .date, .itemId:
            if let s = value.stringValue { return s }
        case .publicFlag:
            break
        }
        return value.canonicalJSON
    }

    /// A unit's contact records as `[{"n","at","method","note"}]`, by number.
    static func contactsJSON(_ byNumber: [Int: ContactView]) -> JSONValue {
        .array(byNumber.keys.sorted().map { n in
            var o = byNumber[n]!.values.byName.filter { FieldCatalogue.spec(.contact, $0.key) != nil }
            o["n"] = .int(Int64(n))
            return .object(o)
        })
    }

    /// The ledger as JSON: one object per assignment (as in `exportRows`) with catalogue field names:
    /// `{"id","site","unitName","item":{…},"assignment":{…},"feedback":{…},"contacts":[…],"status","overdue"}`.
    /// Item, assignment and feedback are nested because `dueAt` is both an item and an assignment field.
    public static func exportJSON(
        items: [ItemView], unitNames: [String: String], today: ISODate, deadlines: Deadlines
    ) -> JSONValue {
        .array(exportLines(items: items, today: today, deadlines: deadlines).map { line in
            let (view, site, status) = (line.view, line.site, line.status)
            var item: [String: JSONValue] = [:]
            for f in exportItemFields { if let v = view.values[f] { item[f] = v } }
            return .object([
                "id": .string(view.id),
                "site": site.map(JSONValue.string) ?? .null,
                "unitName": site.flatMap { unitNames[$0] }.map(JSONValue.string) ?? .null,
                "item": .object(item),
                "assignment": .object(site.flatMap { view.assignments[$0]?.values.byName } ?? [:]),
                "feedback": .object(site.flatMap { view.feedback[$0]?.values.byName } ?? [:]),
                "contacts": site.flatMap { view.contacts[$0] }.map(contactsJSON) ?? .array([]),
                "status": status.map { .string($0.stage.rawValue) } ?? .null,
                "overdue": .bool(status?.overdue ?? false),
            ])
        })
    }
}
