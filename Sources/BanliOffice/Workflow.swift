import BanliCore
/// The handling workflow (交办 → 签收 → 办理 → 答复 → 征询意见 → 办结): which step makes sense when,
/// and what it writes. Pure: a step out of order is refused before anything is written.
public enum Workflow {
    static func refuse(_ s: String) -> BanliError { BanliError(.workflow, s) }

    /// The unit's assignment, which must exist (with a role) and be active, on an item still open.
    public static func activeAssignment(_ view: ItemView, site: String) throws -> AssignmentView {
        guard let a = view.assignments[site], a.role != nil else {
            throw refuse("Item \(view.id) is not assigned to unit '\(site)'; check the item id and the unit (the office assigns with 'banli item assign').")
        }
        guard a.isActive else {
            throw refuse("Unit '\(site)' was reassigned away from item \(view.id); nothing more is needed from it.")
        }
        if let closed = view.closedAt {
            throw refuse("Item \(view.id) is closed (办结 \(closed)); the office reopens it first with 'banli item reopen \(view.id) --reason …'.")
        }
        return a
    }

    static func requireAccepted(_ view: ItemView, _ a: AssignmentView, doing: String) throws {
        guard a.acceptedAt != nil else {
            throw refuse("Sign for item \(view.id) first (签收: banli item accept \(view.id)) before \(doing).")
        }
    }

    // MARK: Bureau steps

    /// 签收.
    public static func accept(_ view: ItemView, site: String, at: ISODate) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        if let when = a.acceptedAt { throw refuse("Item \(view.id) was already signed for on \(when).") }
        return [LocalWrite(.assignment(item: view.id, site: site), "acceptedAt", .string(at.description))]
    }

    /// 申请调整: the unit asks the office to assign the item elsewhere.
    public static func requestReturn(_ view: ItemView, site: String, reason: String) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        guard a.replyAt == nil && a.opinionAt == nil else {
            throw refuse("Item \(view.id) has already been answered; an adjustment can only be requested before answering.")
        }
        guard !reason.trimmedWhitespace.isEmpty else { throw refuse("Give the reason for the adjustment with --reason.") }
        return [LocalWrite(.assignment(item: view.id, site: site), "returnRequest", .string(reason))]
    }

    /// 申请延期.
    public static func requestExtension(_ view: ItemView, site: String, reason: String, until: ISODate?) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        try requireAccepted(view, a, doing: "asking for an extension")
        guard a.replyAt == nil else { throw refuse("Item \(view.id) has already been replied to; no extension is needed.") }
        guard !reason.trimmedWhitespace.isEmpty else { throw refuse("Give the reason for the extension with --reason.") }
        let text = until.map { "申请延期至\($0)：\(reason)" } ?? reason
        return [LocalWrite(.assignment(item: view.id, site: site), "extensionRequest", .string(text))]
    }

    /// 承办股室、责任人、联系人、电话.
    public static func handler(
        _ view: ItemView, site: String, section: String?, handler: String?, contactPerson: String?, phone: String?
    ) throws -> [LocalWrite] {
        _ = try activeAssignment(view, site: site)
        let e = EntityKey.assignment(item: view.id, site: site)
        let writes = [("section", section), ("handler", handler), ("contactPerson", contactPerson), ("phone", phone)]
            .compactMap { f, v in v.map { LocalWrite(e, f, .string($0)) } }
        guard !writes.isEmpty else { throw refuse("Give at least one of --section, --handler, --contact-person, --phone.") }
        return writes
    }

    /// 沟通: a record of contact with the proposer.
    public static func contact(_ view: ItemView, site: String, at: ISODate, method: ContactMethod, note: String?) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        try requireAccepted(view, a, doing: "recording contacts")
        try requireNotBeforeAssignment(view, at, what: "contact date")
        let n = view.nextContactNumber(site: site)
        let e = EntityKey.contact(item: view.id, site: site, n: n)
        var writes = [LocalWrite(e, "at", .string(at.description)), LocalWrite(e, "method", .string(method.rawValue))]
        if let note { writes.append(LocalWrite(e, "note", .string(note))) }
        return writes
    }

    /// 会办意见 (cooperating and assisting units).
    public static func opinion(_ view: ItemView, site: String, text: String, at: ISODate) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        guard a.isCooperating else {
            throw refuse("Unit '\(site)' is the \(a.role?.label ?? "") unit of \(view.id): it replies (banli item reply), it does not give a 会办意见.")
        }
        try requireAccepted(view, a, doing: "giving an opinion")
        guard !text.trimmedWhitespace.isEmpty else { throw refuse("The opinion text is empty; give it with --text or --file.") }
        let e = EntityKey.assignment(item: view.id, site: site)
        return [LocalWrite(e, "opinion", .string(text)), LocalWrite(e, "opinionAt", .string(at.description))]
    }

    /// The content of a reply (答复).
    public struct Reply: Sendable {
        /// 文号; nil when the reply has none (seed 001's reply letter carries no document number).
        public var number: String?
        public var category: ReplyCategory
        public var text: String
        public var at: ISODate
        public var signer: String?
        public var publicProposal: JSONValue?

        public init(number: String?, category: ReplyCategory, text: String, at: ISODate, signer: String?, publicProposal: JSONValue?) {
            self.number = number
            self.category = category
            self.text = text
            self.at = at
            self.signer = signer
            self.publicProposal = publicProposal
        }
    }

    /// 答复 (lead, sole and split units).
    public static func reply(_ view: ItemView, site: String, _ r: Reply) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        guard !a.isCooperating else {
            throw refuse("Unit '\(site)' is a \(a.role?.label ?? "") unit of \(view.id): it gives a 会办意见 (banli item opinion), the lead unit replies.")
        }
        try requireAccepted(view, a, doing: "replying")
        let rehandling = a.rehandleAt != nil && view.feedback[site]?.evaluation == .unsatisfied
        if let when = a.replyAt, !rehandling {
            throw refuse("Item \(view.id) was already replied to on \(when); a new reply needs 重新办理 by the office first.")
        }
        guard !r.text.trimmedWhitespace.isEmpty else { throw refuse("The reply text is empty; give it with --text or --file.") }
        let number = r.number?.trimmedWhitespace ?? ""
        if let accepted = a.acceptedAt, r.at < accepted {
            throw refuse("The reply date \(r.at) is before the item was signed for (\(accepted)).")
        }
        let e = EntityKey.assignment(item: view.id, site: site)
        var writes = [
            LocalWrite(e, "replyCategory", .string(r.category.rawValue)),
            LocalWrite(e, "replyText", .string(r.text)), LocalWrite(e, "replyAt", .string(r.at.description)),
        ]
        // A reply without a 文号 clears any number left from an earlier reply (重新办理).
        if !number.isEmpty || a.values["replyNumber"] != nil {
            writes.insert(LocalWrite(e, "replyNumber", number.isEmpty ? .null : .string(number)), at: 0)
        }
        if let s = r.signer { writes.append(LocalWrite(e, "replySigner", .string(s))) }
        if let p = r.publicProposal { writes.append(LocalWrite(e, "publicProposal", p)) }
        return writes
    }

    /// B类跟踪落实: follow-up of a reply in category B.
    public static func track(_ view: ItemView, site: String, text: String) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        guard a.replyAt != nil else {
            throw refuse("Item \(view.id) has not been replied to yet; follow-up (跟踪落实) comes after a category B reply.")
        }
        guard a.category == .b else {
            let category = a.category?.rawValue ?? "?"
            throw refuse("Follow-up (跟踪落实) is for category B replies (正在解决或列入计划); this reply is category \(category).")
        }
        return [LocalWrite(.assignment(item: view.id, site: site), "tracking", .string(text))]
    }

    // MARK: Office steps

    /// 调整: deactivates one unit's assignment and assigns another.
    public static func reassign(_ view: ItemView, from: String, to: String, role: Role) throws -> [LocalWrite] {
        _ = try activeAssignment(view, site: from)
        if let b = view.assignments[to], b.isActive, b.role != nil {
            throw refuse("Unit '\(to)' is already assigned to \(view.id).")
        }
        try requireOneReplyingLead(view, site: to, role: role, ignoring: from)
        return [
            LocalWrite(.assignment(item: view.id, site: from), "active", .bool(false)),
            LocalWrite(.assignment(item: view.id, site: to), "role", .string(role.rawValue)),
            LocalWrite(.assignment(item: view.id, site: to), "active", .bool(true)),
        ]
    }

    /// Approves an extension: a new due date for one unit.
    public static func extend(_ view: ItemView, site: String, due: ISODate, today: ISODate, deadlines: Deadlines) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        let current = view.status(site: site, today: today, deadlines: deadlines)?.dueAt
        if let current, due <= current {
            throw refuse("The new due date \(due) is not later than the current one (\(current)).")
        }
        let field = a.isCooperating ? "opinionDueAt" : "dueAt"
        return [LocalWrite(.assignment(item: view.id, site: site), field, .string(due.description))]
    }

    /// The proposer's evaluation, as recorded from the 征询意见表.
    public struct Feedback: Sendable {
        public var evaluation: Evaluation
        public var effect: Effect?
        public var isPublic: Bool?
        public var comment: String?
        public var receivedAt: ISODate

        public init(evaluation: Evaluation, effect: Effect?, isPublic: Bool?, comment: String?, receivedAt: ISODate) {
            self.evaluation = evaluation
            self.effect = effect
            self.isPublic = isPublic
            self.comment = comment
            self.receivedAt = receivedAt
        }
    }

    /// 录入征询意见表.
    public static func feedback(_ view: ItemView, site: String, _ f: Feedback) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        guard !a.isCooperating else {
            throw refuse("Feedback forms are for the replying unit; '\(site)' is a cooperating unit of \(view.id).")
        }
        guard a.replyAt != nil else {
            throw refuse("Unit '\(site)' has not replied to \(view.id) yet; record the feedback form after the reply.")
        }
        let e = EntityKey.feedback(item: view.id, site: site)
        var writes = [
            LocalWrite(e, "evaluation", .string(f.evaluation.rawValue)), LocalWrite(e, "receivedAt", .string(f.receivedAt.description)),
        ]
        if let x = f.effect { writes.append(LocalWrite(e, "effect", .string(x.rawValue))) }
        if let x = f.isPublic { writes.append(LocalWrite(e, "public", .bool(x))) }
        if let x = f.comment { writes.append(LocalWrite(e, "comment", .string(x))) }
        return writes
    }

    /// 重新办理 after 不满意.
    public static func rehandle(_ view: ItemView, site: String, at: ISODate) throws -> [LocalWrite] {
        _ = try activeAssignment(view, site: site)
        let evaluation = view.feedback[site]?.evaluation
        guard evaluation == .unsatisfied else {
            let recorded = evaluation?.rawValue ?? "not recorded"
            throw refuse("重新办理 follows a 不满意 evaluation; the evaluation of \(site)'s reply to \(view.id) is \(recorded).")
        }
        return [LocalWrite(.assignment(item: view.id, site: site), "rehandleAt", .string(at.description))]
    }

    /// Reviews a reply's category (A/B/C/D).
    public static func category(_ view: ItemView, site: String, category: ReplyCategory) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        guard a.replyAt != nil else { throw refuse("Unit '\(site)' has not replied to \(view.id); there is no category to review.") }
        return [LocalWrite(.assignment(item: view.id, site: site), "finalCategory", .string(category.rawValue))]
    }

    /// 办结: every replying unit has replied and none is being re-handled.
    public static func close(_ view: ItemView, at: ISODate, today: ISODate, deadlines: Deadlines) throws -> [LocalWrite] {
        if let when = view.closedAt { throw refuse("Item \(view.id) was already closed on \(when).") }
        let active = view.assignments.filter { $0.value.isActive && $0.value.role != nil }
        guard !active.isEmpty else { throw refuse("Item \(view.id) has no active assignment; assign it before closing it.") }
        for (site, a) in active.sorted(by: { $0.key < $1.key }) {
            let st = view.status(site: site, today: today, deadlines: deadlines)?.stage
            if !a.isCooperating {
                guard a.replyAt != nil, st != .rehandling else {
                    throw refuse("Unit '\(site)' has not replied to \(view.id) yet (\(st?.label ?? "?")); close it after every reply is in.")
                }
            } else if !a.hasOpinion {
                throw refuse("Cooperating unit '\(site)' has not given its opinion on \(view.id) yet; close it after every opinion is in.")
            }
        }
        return [LocalWrite(.item(id: view.id), "closedAt", .string(at.description))]
    }
}
