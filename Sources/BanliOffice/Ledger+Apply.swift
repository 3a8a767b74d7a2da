import BanliCore
/// What an import writes into one store once compared with what the store holds.
public struct LedgerPlan: Sendable, Hashable {
    /// The values that differ from the store's, in file order: the only writes.
    public var writes: [LocalWrite]
    /// The values the store already holds, left alone (no history row, no new dot).
    public var unchanged: Int
}

/// Comparing an import with the store: unchanged values are left out; at a bureau, the office's columns must
/// match and the unit's own columns follow the workflow's rules.
extension Ledger {
    /// Unit fields a bureau may fill in before it has signed for an item (签收 itself, 申请调整, who handles it).
    static let beforeAcceptance: Set<String> = ["acceptedAt", "returnRequest", "section", "handler", "contactPerson", "phone"]
    /// Fields only a replying (lead, sole, split) unit writes.
    static let replyFields: Set<String> = ["replyNumber", "replyText", "replyCategory", "replyAt", "replySigner", "publicProposal", "tracking"]
    /// Fields only a cooperating or assisting unit writes.
    static let opinionFields: Set<String> = ["opinion", "opinionAt"]

    /// The writes an import makes in a store of `site` holding `items`. Values equal to the store's are left out, so
    /// importing a file twice writes nothing the second time. At the hub everything else is written. At a bureau
    /// (`site` is not `hubSite`) every value it may not write (the office's columns, other units' rows) must equal the
    /// store's, every item must be one assigned to it, and its own values follow the rules of the workflow verbs
    /// (an active assignment on an open item; 签收 before 答复, 沟通 and 会办意见; a reply only from a replying unit).
    /// A 时限 equal to the deadline derived from 交办 (as the export fills it in) counts as unchanged.
    /// Throws one error naming every refused cell, so nothing is imported.
    public static func plan(
        _ imported: LedgerImport, items: [String: ItemView], site: String, hubSite: String, deadlines: Deadlines
    ) throws -> LedgerPlan {
        do {
            return try planImport(imported, items: items, site: site, hubSite: hubSite, deadlines: deadlines)
        } catch let refusal as LedgerRefusal {
            throw refusal.error
        }
    }

    /// Like `plan`, refusing with a `LedgerRefusal` that holds every refused cell with its line and column.
    public static func planImport(
        _ imported: LedgerImport, items: [String: ItemView], site: String, hubSite: String, deadlines: Deadlines
    ) throws -> LedgerPlan {
        var writes: [LocalWrite] = []
        var unchanged = 0
        var problems: [LedgerProblem] = []
        var reported = Set<String>()
        func refuse(_ key: String, _ problem: LedgerProblem) {
            if reported.insert(key).inserted { problems.append(problem) }
        }
        let isHub = site == hubSite
        let importedValues = Dictionary(imported.writes.map { (FieldKey($0.entity, $0.field), $0.value) }, uniquingKeysWith: { a, _ in a })
        // Signing for an item in the same file counts as signed for the steps after it.
        let signedHere = Set(imported.writes.filter { $0.field == "acceptedAt" }.compactMap { $0.entity.itemId })
        for w in imported.writes {
            let key = FieldKey(w.entity, w.field)
            let cell = imported.origins[key]
            let place = cell?.place ?? "\(w.entity) \(w.field)"
            // The problem at the cell it was read from; without one (never, from a file) its place leads the message.
            func at(_ text: String) -> LedgerProblem { cell.map { LedgerProblem($0, text) } ?? LedgerProblem(message: "\(place): \(text)") }
            let current = currentValue(w.entity, w.field, in: items)
            // A deadline the export filled in from 交办 is what the store holds in effect (交办 read from the file or the store).
            let derived = current == nil ? derivedDeadline(w.entity, w.field, deadlines: deadlines) { e, f in
                importedValues[FieldKey(e, f)] ?? currentValue(e, f, in: items)
            } : nil
            // A bureau imports only items the office assigned to it, even rows that match.
            if !isHub, items[w.entity.itemId ?? ""]?.assignments[site]?.role == nil {
                let id = w.entity.itemId ?? w.entity.description
                refuse("held " + id, LedgerProblem(line: cell?.line ?? 0, message: "this store holds no item \(id) assigned to unit '\(site)'; "
                    + "a bureau imports only its own items (run banli sync first, or remove the row)"))
                continue
            }
            if (current ?? derived) == w.value {
                unchanged += 1
                continue
            }
            guard !isHub, let id = w.entity.itemId, let view = items[id] else {
                writes.append(w)
                continue
            }
            guard let spec = FieldCatalogue.spec(w.entity.kind, w.field) else { continue }
            if let denial = Permissions.denial(site: site, hubSite: hubSite, entity: w.entity, field: spec) {
                let was = (current ?? derived).map { "'\(shortText($0))'" } ?? "empty"
                refuse(place, at("'\(shortText(w.value))' differs from the store's value (\(was)) and \(denial); "
                    + "write it back as the office sent it"))
                continue
            }
            if let reason = workflowRefusal(w, view: view, site: site, signedHere: signedHere.contains(id)) {
                refuse(place + reason, at(reason))
                continue
            }
            writes.append(w)
        }
        if isHub {
            for (key, problem) in officeRefusals(imported, items: items) { refuse(key, problem) }
        }
        guard problems.isEmpty else {
            let what = problems.count == 1 ? "1 cell was refused" : "\(problems.count) cells were refused"
            throw LedgerRefusal(problems, message: "\(what): " + problems.map(\.sentence).joined(separator: "; ") + ".")
        }
        return LedgerPlan(writes: writes, unchanged: unchanged)
    }

    /// What `item new` and `item assign` refuse, for the items of an office's assignment list as they would stand after
    /// the import: a kind its id contradicts (rd- 建议, zx- 提案), more than one 主办 or 独办 unit, a deadline before 交办.
    static func officeRefusals(_ imported: LedgerImport, items: [String: ItemView]) -> [(key: String, problem: LedgerProblem)] {
        let written = Dictionary(imported.writes.map { (FieldKey($0.entity, $0.field), $0.value) }, uniquingKeysWith: { a, _ in a })
        func value(_ e: EntityKey, _ f: String) -> JSONValue? { written[FieldKey(e, f)] ?? currentValue(e, f, in: items) }
        func date(_ e: EntityKey, _ f: String) -> ISODate? { value(e, f)?.stringValue.flatMap(ISODate.init) }
        func at(_ e: EntityKey, _ f: String, _ text: String) -> LedgerProblem {
            imported.origins[FieldKey(e, f)].map { LedgerProblem($0, text) } ?? LedgerProblem(message: "\(e) \(f): \(text)")
        }
        var out: [(key: String, problem: LedgerProblem)] = []
        for id in imported.items {
            let item = EntityKey.item(id: id)
            if let kind = value(item, "kind")?.stringValue.flatMap(ItemKind.init(rawValue:)) {
                do { try Workflow.requireKind(kind, matches: id) } catch let refusal as WorkflowRefusal {
                    out.append(("kind " + id, at(item, "kind", refusal.clause(.cli))))
                } catch {}
            }
            var sites = Set(items[id]?.assignedSites ?? [])
            for w in imported.writes { if case .assignment(id, let site) = w.entity { sites.insert(site) } }
            let leads = sites.sorted().filter { site in
                let row = EntityKey.assignment(item: id, site: site)
                let role = value(row, "role")?.stringValue.flatMap(Role.init(rawValue:))
                return value(row, "active") != .bool(false) && (role == .lead || role == .sole)
            }
            if leads.count > 1 {
                out.append(("leads " + id, at(.assignment(item: id, site: leads[1]), "role", "item \(id) would have \(leads.count) "
                    + "主办 or 独办 units (\(leads.joined(separator: ", "))); an item has one, so make the others 会办 or 协办")))
            }
            guard let assigned = date(item, "assignedAt") else { continue }
            let deadlines = [(item, "dueAt")] + sites.sorted().flatMap { site in
                [(EntityKey.assignment(item: id, site: site), "dueAt"), (EntityKey.assignment(item: id, site: site), "opinionDueAt")]
            }
            for (entity, field) in deadlines where written[FieldKey(entity, field)] != nil || written[FieldKey(item, "assignedAt")] != nil {
                if let due = date(entity, field), due < assigned {
                    out.append(("due \(entity) \(field)", at(entity, field, "the deadline \(due) is before 交办 (\(assigned))")))
                }
            }
        }
        return out
    }

    /// Why the workflow refuses a bureau's changed value of its own row, or nil.
    static func workflowRefusal(_ w: LocalWrite, view: ItemView, site: String, signedHere: Bool) -> String? {
        let a: AssignmentView
        do {
            a = try Workflow.activeAssignment(view, site: site)
            if !beforeAcceptance.contains(w.field) && !signedHere {
                try Workflow.requireAccepted(view, a, before: FieldCatalogue.spec(w.entity.kind, w.field)?.label ?? w.field)
            }
        } catch let refusal as WorkflowRefusal {
            return refusal.clause(.cli)
        } catch {
            return "\(error)"
        }
        guard case .assignment = w.entity else { return nil }
        let label = FieldCatalogue.spec(.assignment, w.field)?.label ?? w.field
        if replyFields.contains(w.field) && a.isCooperating {
            return "unit '\(site)' is a \(a.role?.label ?? "") unit of \(view.id): it gives a 会办意见, not \(label); the lead unit replies."
        }
        if opinionFields.contains(w.field) && !a.isCooperating {
            return "unit '\(site)' is the \(a.role?.label ?? "") unit of \(view.id): it replies, it does not give a 会办意见."
        }
        if w.field == "acceptedAt", let when = a.acceptedAt {
            return "item \(view.id) was already signed for on \(when); the 签收 date does not change."
        }
        let rehandling = a.rehandleAt != nil && view.feedback[site]?.evaluation == .unsatisfied
        if w.field == "replyAt", let when = a.replyAt, !rehandling {
            return "item \(view.id) was already replied to on \(when); a new reply needs 重新办理 by the office first."
        }
        return nil
    }

    /// The value the store holds for one field of an item's rows (nil when unset).
    static func currentValue(_ entity: EntityKey, _ field: String, in items: [String: ItemView]) -> JSONValue? {
        guard let id = entity.itemId, let view = items[id] else { return nil }
        let value: JSONValue? = switch entity {
        case .item: view.values[field]
        case .assignment(_, let s): view.assignments[s]?.values[field]
        case .feedback(_, let s): view.feedback[s]?.values[field]
        case .contact(_, let s, let n): view.contacts[s]?[n]?.values[field]
        case .unit: nil
        }
        return value == .null ? nil : value
    }
}
