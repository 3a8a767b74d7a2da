import BanliCore
/// The visible values of one entity by catalogue field name, `null` left out.
///
/// This is the one generic path, for what lists every field (`item show`, its JSON, the ledger export);
/// domain code reads the typed properties of the views below, which are all read through here.
public struct FieldValues: Sendable, Hashable {
    /// Every visible value, by field name.
    public var byName: [String: JSONValue]

    public init(_ byName: [String: JSONValue] = [:]) {
        self.byName = byName
    }

    /// The visible value of `field`, nil when unset.
    public subscript(_ field: String) -> JSONValue? {
        get { byName[field] }
        set { byName[field] = newValue }
    }

    /// True when no field is set.
    public var isEmpty: Bool { byName.isEmpty }

    // The catalogue has validated every value (local writes and received states alike), so a value of
    // the field's type is what is stored; these read it as that type.
    public func string(_ field: String) -> String? { byName[field]?.stringValue }
    public func date(_ field: String) -> ISODate? { byName[field]?.stringValue.flatMap(ISODate.init) }
    public func bool(_ field: String) -> Bool? { byName[field]?.boolValue }
    func int(_ field: String) -> Int? { byName[field]?.intValue.map(Int.init) }
    public func value<E: CatalogueEnum>(_ field: String) -> E? { byName[field]?.stringValue.flatMap(E.init(rawValue:)) }
}

/// One unit's assignment (`assignment/{id}/{site}`).
public struct AssignmentView: Sendable, Hashable {
    /// The unit's site.
    public var site: String
    /// Every visible value (generic path).
    public var values = FieldValues()
    /// The reply's category was B at some time (read from the history by the store, not a field): for the B类 follow-up.
    public var wasCategoryB = false
    /// The write counter (HLC) of each field's visible value: tells which of two writes came later, which dates alone
    /// cannot when a reply and its 重新办理 fall on one day, and an office's answer to an extension request comes after
    /// the request, since every site's clock is pushed past what it received (empty for a view built in memory).
    public var writtenAt: [String: UInt64] = [:]

    public init(site: String, values: FieldValues = FieldValues()) {
        self.site = site
        self.values = values
    }

    /// 承办方式; nil until the office assigns a role.
    public var role: Role? { values.value("role") }
    /// 有效: false once the office reassigned the item away (调整); nil counts as active.
    public var active: Bool? { values.bool("active") }
    /// True unless the office reassigned the item away.
    public var isActive: Bool { active != false }
    /// Cooperating and assisting units give an opinion instead of replying.
    public var isCooperating: Bool { role?.givesOpinion ?? false }
    /// This unit's own reply deadline (after an extension), overriding the item's.
    public var dueAt: ISODate? { values.date("dueAt") }
    /// The 会办意见 deadline of a cooperating unit.
    public var opinionDueAt: ISODate? { values.date("opinionDueAt") }
    /// 审定类别: the office's review of the reply's category.
    public var finalCategory: ReplyCategory? { values.value("finalCategory") }
    /// 重新办理日期.
    public var rehandleAt: ISODate? { values.date("rehandleAt") }
    /// The office sent the reply back (重新办理) and no new reply came after it: an earlier reply date says so, and on
    /// the same day the write order does (every store's clock passes the counters it has seen, so the order is causal).
    public var isRehandlePending: Bool {
        guard let rehandleAt else { return false }
        guard let replyAt, replyAt >= rehandleAt else { return true }
        guard replyAt == rehandleAt, let reply = writtenAt["replyAt"], let rehandle = writtenAt["rehandleAt"] else { return false }
        return rehandle > reply
    }
    /// 签收日期.
    public var acceptedAt: ISODate? { values.date("acceptedAt") }
    /// 申请调整理由.
    public var returnRequest: String? { values.string("returnRequest") }
    /// 会办意见.
    public var opinion: String? { values.string("opinion") }
    /// 会办意见日期.
    public var opinionAt: ISODate? { values.date("opinionAt") }
    /// 答复日期.
    public var replyAt: ISODate? { values.date("replyAt") }
    /// 答复类别 as the unit gave it.
    public var replyCategory: ReplyCategory? { values.value("replyCategory") }
    /// The category that counts: the office's review, else the unit's own.
    public var category: ReplyCategory? { finalCategory ?? replyCategory }
    /// A cooperating unit has given its opinion (dated or not).
    public var hasOpinion: Bool { opinionAt != nil || opinion != nil }
    /// The unit has answered: replied, or for a cooperating unit given its opinion.
    public var hasAnswered: Bool { isCooperating ? hasOpinion : replyAt != nil }
    /// The date of the answer that counts for this unit's role.
    public var answeredAt: ISODate? { isCooperating ? opinionAt : replyAt }
}

/// One contact record (`contact/{id}/{site}/{n}`).
public struct ContactView: Sendable, Hashable {
    /// The record's number within the unit's contacts.
    public var n: Int
    /// Every visible value (generic path).
    public var values = FieldValues()

    public init(n: Int, values: FieldValues = FieldValues()) {
        self.n = n
        self.values = values
    }

    /// 沟通日期.
    public var at: ISODate? { values.date("at") }
    /// 沟通方式.
    public var method: ContactMethod? { values.value("method") }
    /// 沟通情况.
    public var note: String? { values.string("note") }
}

/// The proposer's feedback form on one unit's reply (`feedback/{id}/{site}`).
public struct FeedbackView: Sendable, Hashable {
    /// Every visible value (generic path).
    public var values = FieldValues()

    public init(values: FieldValues = FieldValues()) {
        self.values = values
    }

    /// 收到日期.
    public var receivedAt: ISODate? { values.date("receivedAt") }
    /// 办理效果.
    public var effect: Effect? { values.value("effect") }
    /// 办理评价.
    public var evaluation: Evaluation? { values.value("evaluation") }
    /// 是否公开.
    public var isPublic: Bool? { values.bool("public") }
    /// 意见.
    public var comment: String? { values.string("comment") }
    /// 对办理工作的评价.
    public var workEvaluation: Evaluation? { values.value("workEvaluation") }
    /// 对办理结果的评价.
    public var resultEvaluation: Evaluation? { values.value("resultEvaluation") }
    /// 沟通方式, as the proposer answered it.
    public var contactMethod: FeedbackContact? { values.value("contactMethod") }
    /// 意见来源: online through a one-time link, or a paper form.
    public var source: FeedbackSource? { values.value("source") }
    /// When the proposer answered online (ISO 8601 time).
    public var answeredAt: String? { values.string("answeredAt") }
}

/// The visible values of one item and everything attached to it, read from its replicated fields.
public struct ItemView: Sendable, Hashable {
    /// The item id, e.g. `rd-2025-39`.
    public var id: String
    /// Visible values of the item's own fields (generic path).
    public var values = FieldValues()
    /// Each unit's assignment, by site.
    public var assignments: [String: AssignmentView] = [:]
    /// Each unit's contact records, by site then number.
    public var contacts: [String: [Int: ContactView]] = [:]
    /// Each unit's feedback form, by site.
    public var feedback: [String: FeedbackView] = [:]
    /// Fields of this item with two or more concurrent values.
    public var conflicts: [ReplicatedField] = []

    /// Builds the view from an item's fields.
    public init(id: String, fields: [ReplicatedField], hubSite: String) {
        self.id = id
        for f in fields {
            let v = f.visibleValue(hubSite: hubSite)
            if f.state.isConflict { conflicts.append(f) }
            guard v != .null else { continue }
            switch f.entity {
            case .item: values[f.field] = v
            case .assignment(_, let s):
                assignments[s, default: AssignmentView(site: s)].values[f.field] = v
                assignments[s]?.writtenAt[f.field] = f.visibleIndex(hubSite: hubSite).map { f.state.siblings[$0].counter }
            case .contact(_, let s, let n): contacts[s, default: [:]][n, default: ContactView(n: n)].values[f.field] = v
            case .feedback(_, let s): feedback[s, default: FeedbackView()].values[f.field] = v
            case .unit: break
            }
        }
    }

    /// 标题, empty when unset.
    public var title: String { values.string("title") ?? "" }
    /// 类别.
    public var kind: ItemKind? { values.value("kind") }
    /// 年度.
    public var year: Int? { values.int("year") }
    /// 编号 (the number within its year and kind).
    public var number: Int? { values.int("number") }
    /// 建议人/提案人, the lead proposer first.
    public var proposers: [String] {
        if case .array(let a)? = values["proposers"] { return a.compactMap(\.stringValue) }
        return []
    }
    /// 交办日期.
    public var assignedAt: ISODate? { values.date("assignedAt") }
    /// 办理时限 of the whole item.
    public var dueAt: ISODate? { values.date("dueAt") }
    /// 办结日期.
    public var closedAt: ISODate? { values.date("closedAt") }
    /// 重点: the office marked the item as a key item.
    public var isKey: Bool { values.bool("key") ?? false }

    /// Orders ids as clerks count them: the digit runs by value, so `zx-2020-2` comes before `zx-2020-15`.
    public static func naturalOrder(_ a: String, _ b: String) -> Bool {
        func parts(_ s: String) -> [(text: String, number: Int?)] {
            var out: [(String, Int?)] = [], run = "", digits = false
            for c in s {
                if !run.isEmpty, c.isASCII && c.isNumber != digits { out.append((run, digits ? Int(run) : nil)); run = "" }
                digits = c.isASCII && c.isNumber
                run.append(c)
            }
            if !run.isEmpty { out.append((run, digits ? Int(run) : nil)) }
            return out
        }
        for (x, y) in zip(parts(a), parts(b)) where x.text != y.text {
            if let m = x.number, let n = y.number, m != n { return m < n }
            return x.text < y.text
        }
        return parts(a).count < parts(b).count
    }

    /// Sites with an assignment, sorted: lead and sole units first, then by site.
    public var assignedSites: [String] {
        assignments.keys.sorted { a, b in
            let ra = Self.roleOrder(assignments[a]?.role), rb = Self.roleOrder(assignments[b]?.role)
            return ra != rb ? ra < rb : a < b
        }
    }

    /// The order units are listed in: the catalogue's role order, units without a role last.
    static func roleOrder(_ role: Role?) -> Int {
        role.flatMap { Role.allCases.firstIndex(of: $0) } ?? Role.allCases.count
    }

    /// The next free contact number for `site`.
    public func nextContactNumber(site: String) -> Int {
        (contacts[site]?.keys.max() ?? 0) + 1
    }

    /// The derived status of `site`'s assignment on `today`.
    public func status(site: String, today: ISODate, deadlines: Deadlines = Deadlines()) -> AssignmentStatus? {
        guard let a = assignments[site] else { return nil }
        return AssignmentStatus.derive(item: self, assignment: a, feedback: feedback[site], today: today, deadlines: deadlines)
    }
}
