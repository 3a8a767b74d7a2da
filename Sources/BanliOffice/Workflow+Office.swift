import BanliCore

/// The office's own steps beyond the handling workflow: creating and assigning items, the rules `item set`
/// obeys, explicit corrections with a reason, and reopening a closed item. Pure, like the rest of `Workflow`.
extension Workflow {
    // MARK: Shared guards

    /// A date of the unit's work (contact, due date) may not precede 交办.
    static func requireNotBeforeAssignment(_ view: ItemView, _ date: ISODate, _ what: WorkflowRefusal.DateOf) throws {
        if let assigned = view.assignedAt, date < assigned {
            throw WorkflowRefusal.dateBeforeAssignment(item: view.id, what, date: date, assignedAt: assigned)
        }
    }

    /// An item has at most one replying lead: one 主办 or 独办 unit among its active assignments.
    static func requireOneReplyingLead(_ view: ItemView, site: String, role: Role, ignoring: String? = nil) throws {
        guard role == .lead || role == .sole else { return }
        let other = view.assignedSites.first { s in
            guard s != site, s != ignoring, let a = view.assignments[s], a.isActive else { return false }
            return a.role == .lead || a.role == .sole
        }
        if let other, let otherRole = view.assignments[other]?.role {
            throw WorkflowRefusal.secondLead(item: view.id, unit: site, lead: other, leadRole: otherRole)
        }
    }

    /// The kind an item id's prefix names: `rd-` a deputy's suggestion, `zx-` a member's proposal; nil for other ids.
    public static func kindNamed(byId id: String) -> ItemKind? {
        if id.hasPrefix("rd-") { return .suggestion }
        if id.hasPrefix("zx-") { return .proposal }
        return nil
    }

    /// Refuses a kind that contradicts the item id (`--kind 提案` on `rd-2025-1`).
    public static func requireKind(_ kind: ItemKind, matches id: String) throws {
        if let named = kindNamed(byId: id), named != kind {
            throw WorkflowRefusal.kindContradictsId(item: id, byId: named, given: kind)
        }
    }

    // MARK: 交办

    /// What the office gives when it assigns a unit.
    public struct Assignment: Sendable {
        public var site: String
        public var role: Role
        /// This unit's own deadline (the 会办意见 deadline for cooperating and assisting units).
        public var due: ISODate?
        /// The date of 交办; nil keeps the item's, or takes `today` on the first assignment.
        public var at: ISODate?
        /// The office means to change the role of a unit already assigned.
        public var changeRole: Bool

        public init(site: String, role: Role, due: ISODate?, at: ISODate?, changeRole: Bool) {
            self.site = site
            self.role = role
            self.due = due
            self.at = at
            self.changeRole = changeRole
        }
    }

    /// 交办: assigns `a.site`. A unit already assigned in another role changes role only when asked to, and
    /// then loses the deadline override of its old role (it no longer applies).
    public static func assign(_ view: ItemView, _ a: Assignment, today: ISODate) throws -> [LocalWrite] {
        if let closed = view.closedAt {
            throw WorkflowRefusal.closed(item: view.id, closedAt: closed)
        }
        let e = EntityKey.assignment(item: view.id, site: a.site)
        let existing = view.assignments[a.site].flatMap { $0.isActive && $0.role != nil ? $0 : nil }
        if let old = existing?.role, old != a.role, !a.changeRole {
            throw WorkflowRefusal.roleChangeNotAsked(item: view.id, unit: a.site, old: old, new: a.role)
        }
        try requireOneReplyingLead(view, site: a.site, role: a.role)
        let assignedAt = a.at ?? view.assignedAt ?? today
        if let due = a.due, due < assignedAt {
            throw WorkflowRefusal.dateBeforeAssignment(item: view.id, .due, date: due, assignedAt: assignedAt)
        }
        var writes = [LocalWrite(e, "role", .string(a.role.rawValue)), LocalWrite(e, "active", .bool(true))]
        let dueField = a.role.givesOpinion ? "opinionDueAt" : "dueAt"
        if let old = existing, old.role != a.role {
            // The override of the old role's deadline would linger unseen; clear it (the writes print "was …").
            if a.role.givesOpinion, old.dueAt != nil { writes.append(LocalWrite(e, "dueAt", .null)) }
            if !a.role.givesOpinion, old.opinionDueAt != nil { writes.append(LocalWrite(e, "opinionDueAt", .null)) }
        }
        if let due = a.due { writes.append(LocalWrite(e, dueField, .string(due.description))) }
        if view.assignedAt == nil || a.at != nil {
            writes.append(LocalWrite(.item(id: view.id), "assignedAt", .string(assignedAt.description)))
        }
        return writes
    }

    // MARK: item set

    /// Assignment fields that belong to a reply (lead, sole and split units).
    static let replyFields: Set<String> = ["replyNumber", "replyText", "replyCategory", "replyAt", "replySigner", "publicProposal", "tracking"]
    /// Assignment fields that belong to a 会办意见 (cooperating and assisting units).
    static let opinionFields: Set<String> = ["opinion", "opinionAt"]

    /// The rules `item set` obeys: the same as the verbs'. Anything beyond them is a correction (`correct`).
    public static func set(_ view: ItemView, _ entity: EntityKey, _ field: String, _ value: JSONValue) throws -> [LocalWrite] {
        let date = value.stringValue.flatMap(ISODate.init)
        switch entity {
        case .item:
            try setItemField(view, field, value, date: date)
        case .assignment(_, let site):
            try setAssignmentField(view, site: site, field, date: date)
            if field == "role", let role = value.stringValue.flatMap(Role.init(rawValue:)) { try requireOneReplyingLead(view, site: site, role: role) }
        case .contact(_, let site, _):
            let a = try activeAssignment(view, site: site)
            try requireAccepted(view, a, before: UnitStep.contact.label)
            if field == "at", let date { try requireNotBeforeAssignment(view, date, .contact) }
        case .feedback(_, let site):
            let a = try activeAssignment(view, site: site)
            guard !a.isCooperating else {
                throw WorkflowRefusal.feedbackForCooperating(item: view.id, unit: site)
            }
            guard a.replyAt != nil else {
                throw WorkflowRefusal.feedbackBeforeReply(item: view.id, unit: site)
            }
        case .unit:
            throw WorkflowRefusal.directoryNotItemField
        }
        return [LocalWrite(entity, field, value)]
    }

    static func setItemField(_ view: ItemView, _ field: String, _ value: JSONValue, date: ISODate?) throws {
        switch field {
        case "closedAt":
            throw WorkflowRefusal.closedAtIsAStep(item: view.id)
        case "correction":
            throw WorkflowRefusal.correctionNoteWritten(item: view.id)
        case "kind":
            if let kind = value.stringValue.flatMap(ItemKind.init(rawValue:)) { try requireKind(kind, matches: view.id) }
        case "dueAt":
            if let date { try requireNotBeforeAssignment(view, date, .due) }
        case "assignedAt":
            if let date, let due = view.dueAt, due < date {
                throw WorkflowRefusal.assignedAfterDue(item: view.id, date: date, due: due)
            }
        default: break
        }
    }

    static func setAssignmentField(_ view: ItemView, site: String, _ field: String, date: ISODate?) throws {
        // 'active' stays the office's switch (false = reassigned away); a role changes as 'item assign' changes it.
        if field == "active" { return }
        if field == "role" {
            guard let old = view.assignments[site]?.role, view.assignments[site]?.isActive ?? true else { return }
            throw WorkflowRefusal.roleSetDirectly(item: view.id, unit: site, old: old)
        }
        let a = try activeAssignment(view, site: site)
        if replyFields.contains(field), a.isCooperating {
            throw WorkflowRefusal.replyFromCooperatingUnit(item: view.id, unit: site, role: a.role)
        }
        if opinionFields.contains(field), !a.isCooperating {
            throw WorkflowRefusal.opinionFromReplyingUnit(item: view.id, unit: site, role: a.role)
        }
        switch field {
        case "dueAt", "opinionDueAt":
            if let date { try requireNotBeforeAssignment(view, date, .due) }
        case "replyAt", "opinionAt":
            if let date, let accepted = a.acceptedAt, date < accepted {
                throw WorkflowRefusal.answerBeforeSigning(item: view.id, date: date, signedFor: accepted)
            }
        case "rehandleAt":
            guard view.feedback[site]?.evaluation == .unsatisfied else {
                throw WorkflowRefusal.rehandleWithoutUnsatisfied(item: view.id, unit: site, evaluation: view.feedback[site]?.evaluation)
            }
        default: break
        }
    }

    // MARK: Corrections and reopening (office only)

    /// The reason of a correction or a reopening, checked once.
    static func reasonText(_ reason: String, item: String, for purpose: WorkflowRefusal.ReasonFor) throws -> String {
        let r = reason.trimmedWhitespace
        guard !r.isEmpty else { throw WorkflowRefusal.missingReason(item: item, purpose) }
        return r
    }

    /// An explicit correction beyond the workflow's rules: the field's new value, and the item's `correction`
    /// note naming the field and the reason, written together so the history shows them side by side.
    public static func correct(_ view: ItemView, _ entity: EntityKey, _ field: String, _ value: JSONValue, reason: String) throws -> [LocalWrite] {
        let why = try reasonText(reason, item: view.id, for: .correction)
        guard field != "correction" else { throw WorkflowRefusal.correctionNoteWritten(item: view.id) }
        let note = "更正 \(entity) \(field)：\(why)"
        return [LocalWrite(entity, field, value), LocalWrite(.item(id: view.id), "correction", .string(note))]
    }

    /// 重新打开: clears 办结 so the units can act again; the reason goes into the item's `correction` note.
    public static func reopen(_ view: ItemView, reason: String) throws -> [LocalWrite] {
        let why = try reasonText(reason, item: view.id, for: .reopening)
        guard let closed = view.closedAt else { throw WorkflowRefusal.notClosed(item: view.id) }
        return [
            LocalWrite(.item(id: view.id), "closedAt", .null),
            LocalWrite(.item(id: view.id), "correction", .string("重新打开（原办结 \(closed)）：\(why)")),
        ]
    }
}

// MARK: 新建

extension Workflow {
    /// A new item as the office registers it (`item new`, the workbench's 交办 page).
    public struct NewItem: Sendable {
        public var id: String
        public var kind: ItemKind
        public var number: Int64
        public var year: Int64
        public var title: String
        /// Lead proposer (领衔人) first.
        public var proposers: [String]
        public var session: String?
        public var category: String?
        public var body: String?

        public init(
            id: String, kind: ItemKind, number: Int64, year: Int64, title: String, proposers: [String],
            session: String?, category: String?, body: String?
        ) {
            self.id = id
            self.kind = kind
            self.number = number
            self.year = year
            self.title = title
            self.proposers = proposers
            self.session = session
            self.category = category
            self.body = body
        }
    }

    /// The writes that create `item`; refuses an id that exists already or whose prefix names the other kind.
    public static func create(_ item: NewItem, existing: ItemView?) throws -> [LocalWrite] {
        if existing?.kind != nil {
            throw WorkflowRefusal.itemExists(item: item.id)
        }
        try requireKind(item.kind, matches: item.id)
        guard !item.title.trimmedWhitespace.isEmpty else { throw WorkflowRefusal.missingText(item: item.id, .title) }
        let e = EntityKey.item(id: item.id)
        var writes = [
            LocalWrite(e, "kind", .string(item.kind.rawValue)), LocalWrite(e, "number", .int(item.number)),
            LocalWrite(e, "year", .int(item.year)), LocalWrite(e, "title", .string(item.title)),
        ]
        let proposers = item.proposers.map(\.trimmedWhitespace).filter { !$0.isEmpty }
        if !proposers.isEmpty { writes.append(LocalWrite(e, "proposers", .array(proposers.map(JSONValue.string)))) }
        if let s = item.session { writes.append(LocalWrite(e, "session", .string(s))) }
        if let s = item.category { writes.append(LocalWrite(e, "category", .string(s))) }
        if let s = item.body { writes.append(LocalWrite(e, "body", .string(s))) }
        return writes
    }
}
