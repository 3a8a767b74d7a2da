import BanliCore
/// The handling workflow (交办 → 签收 → 办理 → 答复 → 征询意见 → 办结): which step makes sense when,
/// and what it writes. Pure: a step out of order is refused with a `WorkflowRefusal` before anything is written.
public enum Workflow {
    /// The unit's assignment, which must exist (with a role) and be active, on an item still open.
    public static func activeAssignment(_ view: ItemView, site: String) throws -> AssignmentView {
        guard let a = view.assignments[site], a.role != nil else {
            throw WorkflowRefusal.notAssigned(item: view.id, unit: site)
        }
        guard a.isActive else {
            throw WorkflowRefusal.reassignedAway(item: view.id, unit: site)
        }
        if let closed = view.closedAt {
            throw WorkflowRefusal.closed(item: view.id, closedAt: closed)
        }
        return a
    }

    /// `before` names what waits for 签收, as a clerk reads it (答复, or a field's label).
    static func requireAccepted(_ view: ItemView, _ a: AssignmentView, before: String) throws {
        guard a.acceptedAt != nil else {
            throw WorkflowRefusal.notSignedFor(item: view.id, unit: a.site, before: before)
        }
    }

    // MARK: Bureau steps

    /// 签收.
    public static func accept(_ view: ItemView, site: String, at: ISODate) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        if let when = a.acceptedAt { throw WorkflowRefusal.alreadySignedFor(item: view.id, at: when) }
        return [LocalWrite(.assignment(item: view.id, site: site), "acceptedAt", .string(at.description))]
    }

    /// 申请调整: the unit asks the office to assign the item elsewhere.
    public static func requestReturn(_ view: ItemView, site: String, reason: String) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        guard a.replyAt == nil && a.opinionAt == nil else {
            throw WorkflowRefusal.adjustmentAfterAnswer(item: view.id, unit: site)
        }
        guard !reason.trimmedWhitespace.isEmpty else { throw WorkflowRefusal.missingReason(item: view.id, .adjustment) }
        return [LocalWrite(.assignment(item: view.id, site: site), "returnRequest", .string(reason))]
    }

    /// 申请延期.
    public static func requestExtension(_ view: ItemView, site: String, reason: String, until: ISODate?) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        try requireAccepted(view, a, before: UnitStep.requestExtension.label)
        guard a.replyAt == nil else { throw WorkflowRefusal.extensionAfterReply(item: view.id, unit: site) }
        guard !reason.trimmedWhitespace.isEmpty else { throw WorkflowRefusal.missingReason(item: view.id, .extension) }
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
        guard !writes.isEmpty else { throw WorkflowRefusal.noHandlerDetails(item: view.id) }
        return writes
    }

    /// 沟通: a record of contact with the proposer.
    public static func contact(_ view: ItemView, site: String, at: ISODate, method: ContactMethod, note: String?) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        try requireAccepted(view, a, before: UnitStep.contact.label)
        try requireNotBeforeAssignment(view, at, .contact)
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
            throw WorkflowRefusal.opinionFromReplyingUnit(item: view.id, unit: site, role: a.role)
        }
        try requireAccepted(view, a, before: UnitStep.opinion.label)
        guard !text.trimmedWhitespace.isEmpty else { throw WorkflowRefusal.missingText(item: view.id, .opinion) }
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
            throw WorkflowRefusal.replyFromCooperatingUnit(item: view.id, unit: site, role: a.role)
        }
        try requireAccepted(view, a, before: UnitStep.reply.label)
        let rehandling = a.rehandleAt != nil && view.feedback[site]?.evaluation == .unsatisfied
        if let when = a.replyAt, !rehandling {
            throw WorkflowRefusal.alreadyReplied(item: view.id, unit: site, at: when)
        }
        guard !r.text.trimmedWhitespace.isEmpty else { throw WorkflowRefusal.missingText(item: view.id, .reply) }
        let number = r.number?.trimmedWhitespace ?? ""
        if let accepted = a.acceptedAt, r.at < accepted {
            throw WorkflowRefusal.answerBeforeSigning(item: view.id, date: r.at, signedFor: accepted)
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
            throw WorkflowRefusal.trackBeforeReply(item: view.id)
        }
        guard a.category == .b else {
            throw WorkflowRefusal.trackNotCategoryB(item: view.id, unit: site, category: a.category)
        }
        return [LocalWrite(.assignment(item: view.id, site: site), "tracking", .string(text))]
    }

    // MARK: Office steps

    /// 调整: deactivates one unit's assignment and assigns another.
    public static func reassign(_ view: ItemView, from: String, to: String, role: Role) throws -> [LocalWrite] {
        _ = try activeAssignment(view, site: from)
        if let b = view.assignments[to], b.isActive, b.role != nil {
            throw WorkflowRefusal.alreadyAssigned(item: view.id, unit: to)
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
            throw WorkflowRefusal.dueNotLater(item: view.id, unit: site, due: due, current: current)
        }
        let field = a.isCooperating ? "opinionDueAt" : "dueAt"
        return [LocalWrite(.assignment(item: view.id, site: site), field, .string(due.description))]
    }

    /// The proposer's evaluation, as recorded from the 征询意见表 (paper) or given online through a one-time link.
    public struct Feedback: Sendable {
        public var evaluation: Evaluation
        public var effect: Effect?
        public var isPublic: Bool?
        public var comment: String?
        public var receivedAt: ISODate
        /// Satisfaction with the handling work and with its result, when the form asks them apart.
        public var workEvaluation: Evaluation?
        public var resultEvaluation: Evaluation?
        /// 沟通方式 as the proposer answered it.
        public var contactMethod: FeedbackContact?
        /// online (with `answeredAt`, an ISO 8601 time) or paper; nil leaves the source unrecorded.
        public var source: FeedbackSource?
        public var answeredAt: String?

        public init(evaluation: Evaluation, effect: Effect?, isPublic: Bool?, comment: String?, receivedAt: ISODate) {
            self.evaluation = evaluation
            self.effect = effect
            self.isPublic = isPublic
            self.comment = comment
            self.receivedAt = receivedAt
        }

        /// The answer a deputy gave online at `answeredAt`: the single `evaluation` every rate counts is the lower of
        /// the two satisfactions, so 不满意 with either the work or the result sends the reply back (重新办理).
        public static func online(
            work: Evaluation, result: Evaluation, effect: Effect, contact: FeedbackContact, isPublic: Bool, comment: String?,
            answeredAt: String, day: ISODate
        ) -> Feedback {
            let order: [Evaluation] = [.unsatisfied, .basic, .satisfied]
            let lower = order.first { $0 == work || $0 == result } ?? work
            var f = Feedback(evaluation: lower, effect: effect, isPublic: isPublic, comment: comment, receivedAt: day)
            f.workEvaluation = work
            f.resultEvaluation = result
            f.contactMethod = contact
            f.source = .online
            f.answeredAt = answeredAt
            return f
        }
    }

    /// The reply that a 征询意见 rates (paper or online, through a one-time link): a replying unit's, once it replied.
    public static func requireReplyToRate(_ view: ItemView, site: String) throws {
        let a = try activeAssignment(view, site: site)
        guard !a.isCooperating else {
            throw WorkflowRefusal.feedbackForCooperating(item: view.id, unit: site)
        }
        guard a.replyAt != nil else {
            throw WorkflowRefusal.feedbackBeforeReply(item: view.id, unit: site)
        }
    }

    /// A reply a deputy may rate through a link: one to rate (`requireReplyToRate`) that the office has not sent back;
    /// a link issued before 重新办理 would otherwise rate the old reply after the unit's new one.
    public static func requireReplyToRateOnline(_ view: ItemView, site: String) throws {
        try requireReplyToRate(view, site: site)
        guard view.assignments[site]?.isRehandlePending != true else {
            throw WorkflowRefusal.linkWhileRehandling(item: view.id, unit: site)
        }
    }

    /// 录入征询意见表.
    public static func feedback(_ view: ItemView, site: String, _ f: Feedback) throws -> [LocalWrite] {
        try requireReplyToRate(view, site: site)
        let e = EntityKey.feedback(item: view.id, site: site)
        var writes = [
            LocalWrite(e, "evaluation", .string(f.evaluation.rawValue)), LocalWrite(e, "receivedAt", .string(f.receivedAt.description)),
        ]
        if let x = f.effect { writes.append(LocalWrite(e, "effect", .string(x.rawValue))) }
        if let x = f.isPublic { writes.append(LocalWrite(e, "public", .bool(x))) }
        if let x = f.comment {
            writes.append(LocalWrite(e, "comment", .string(x)))
        } else if f.source == .online, view.feedback[site]?.comment != nil {
            // An online answer is a whole sheet: no comment in it clears the earlier sheet's, which it does not repeat.
            writes.append(LocalWrite(e, "comment", .null))
        }
        // A paper form typed in over an online answer replaces it whole: nothing of the online answer stays marked online.
        let replacesOnline = f.source == nil && view.feedback[site]?.source == .online
        let extra: [(String, String?)] = [
            ("workEvaluation", f.workEvaluation?.rawValue), ("resultEvaluation", f.resultEvaluation?.rawValue),
            ("contactMethod", f.contactMethod?.rawValue), ("source", (replacesOnline ? .paper : f.source)?.rawValue),
            ("answeredAt", f.answeredAt),
        ]
        for (field, value) in extra {
            if let value { writes.append(LocalWrite(e, field, .string(value))) } else if replacesOnline { writes.append(LocalWrite(e, field, .null)) }
        }
        return writes
    }

    /// 重新办理 after 不满意.
    public static func rehandle(_ view: ItemView, site: String, at: ISODate) throws -> [LocalWrite] {
        _ = try activeAssignment(view, site: site)
        let evaluation = view.feedback[site]?.evaluation
        guard evaluation == .unsatisfied else {
            throw WorkflowRefusal.rehandleWithoutUnsatisfied(item: view.id, unit: site, evaluation: evaluation)
        }
        return [LocalWrite(.assignment(item: view.id, site: site), "rehandleAt", .string(at.description))]
    }

    /// Reviews a reply's category (A/B/C/D).
    public static func category(_ view: ItemView, site: String, category: ReplyCategory) throws -> [LocalWrite] {
        let a = try activeAssignment(view, site: site)
        guard a.replyAt != nil else { throw WorkflowRefusal.categoryBeforeReply(item: view.id, unit: site) }
        return [LocalWrite(.assignment(item: view.id, site: site), "finalCategory", .string(category.rawValue))]
    }

    /// 办结: every replying unit has replied and none is being re-handled.
    public static func close(_ view: ItemView, at: ISODate, today: ISODate, deadlines: Deadlines) throws -> [LocalWrite] {
        if let when = view.closedAt { throw WorkflowRefusal.alreadyClosed(item: view.id, at: when) }
        let active = view.assignments.filter { $0.value.isActive && $0.value.role != nil }
        guard !active.isEmpty else { throw WorkflowRefusal.closeWithoutAssignment(item: view.id) }
        for (site, a) in active.sorted(by: { $0.key < $1.key }) {
            let st = view.status(site: site, today: today, deadlines: deadlines)?.stage
            if !a.isCooperating {
                guard a.replyAt != nil, st != .rehandling else {
                    throw WorkflowRefusal.closeBeforeReply(item: view.id, unit: site, stage: st)
                }
            } else if !a.hasOpinion {
                throw WorkflowRefusal.closeBeforeOpinion(item: view.id, unit: site)
            }
        }
        return [LocalWrite(.item(id: view.id), "closedAt", .string(at.description))]
    }
}
