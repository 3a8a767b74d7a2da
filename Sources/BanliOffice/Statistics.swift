import BanliCore
/// A rate shown with its numerator and denominator, never as a bare percentage.
public struct Rate: Sendable, Hashable {
    public var num: Int
    public var den: Int

    public init(_ num: Int, _ den: Int) {
        self.num = num
        self.den = den
    }

    /// `100%`, `66.7%`, or `—` when nothing was counted.
    public var percent: String {
        guard den > 0 else { return "—" }
        let tenths = (num * 1000 + den / 2) / den
        return tenths % 10 == 0 ? "\(tenths / 10)%" : "\(tenths / 10).\(tenths % 10)%"
    }

    public var json: JSONValue { .object(["num": .int(Int64(num)), "den": .int(Int64(den))]) }
}

/// The yearly figures of DESIGN §6, computed from the data (pinned JSON shape).
public struct Statistics: Sendable, Hashable {
    public var unit: String?
    public var year: Int
    /// Distinct items.
    public var items = 0
    /// Items of each kind (every kind present, zero included).
    public var byKind = Dictionary(uniqueKeysWithValues: ItemKind.allCases.map { ($0, 0) })
    /// Assignments in each role (every role present, zero included).
    public var byRole = Dictionary(uniqueKeysWithValues: Role.allCases.map { ($0, 0) })
    /// 办复率: replied (cooperating units: opinion sent) ÷ assigned.
    public var reply = Rate(0, 0)
    /// 按期办复率: answered by the due date ÷ assigned.
    public var onTime = Rate(0, 0)
    /// 沟通率: replied with a contact before the reply ÷ replied.
    public var communication = Rate(0, 0)
    /// 面商率: replied with a visit, meeting or forum ÷ replied.
    public var faceToFace = Rate(0, 0)
    /// 满意率: (satisfied + basic) ÷ evaluated.
    public var satisfaction = Rate(0, 0)
    /// 满意 alone ÷ evaluated.
    public var satisfied = Rate(0, 0)
    /// 对办理工作满意率: (satisfied + basic) ÷ the forms that rated the handling work apart (issue 18).
    public var workSatisfaction = Rate(0, 0)
    /// 对办理结果满意率: (satisfied + basic) ÷ the forms that rated the result apart.
    public var resultSatisfaction = Rate(0, 0)
    /// Replies in each category (the office's review first), every category present.
    public var categories = Dictionary(uniqueKeysWithValues: ReplyCategory.allCases.map { ($0, 0) })
    /// Open assignments past their deadline.
    public var overdue = 0
    /// Items by how they are handled: each item once, under the first role of the catalogue's order among its
    /// counted assignments (独办, 主办, 分办, then 会办/协办 when no lead is counted), so the parts add up to `items`.
    public var itemsByRole = Dictionary(uniqueKeysWithValues: Role.allCases.map { ($0, 0) })
    /// 重点 items.
    public var keyItems = 0
    /// B类 follow-up: replies that were ever in category B (纳入B类), and of those the ones now in category A.
    public var followUp = FollowUp()

    /// B类跟踪落实: how many B replies were followed up until they became A (seed 003's report).
    public struct FollowUp: Sendable, Hashable {
        /// Replies in category B now or at some time before.
        public var wasB = 0
        /// Of those, the replies now in category A.
        public var nowA = 0

        public init(wasB: Int = 0, nowA: Int = 0) {
            self.wasB = wasB
            self.nowA = nowA
        }
    }

    /// Counts the assignments of `unit` (or of every unit) on items of `year`. An assignment whose category was B at
    /// some time (`AssignmentView.wasCategoryB`, from the history) counts in the B类 follow-up.
    public static func compute(items views: [ItemView], unit: String?, year: Int, today: ISODate, deadlines: Deadlines) -> Statistics {
        var s = Statistics(unit: unit, year: year)
        var replied = 0, contacted = 0, faced = 0, evaluated = 0, content = 0, happy = 0
        var answered = 0, answeredOnTime = 0, assigned = 0
        var work = (content: 0, rated: 0), result = (content: 0, rated: 0)
        for view in views where itemYear(view) == year {
            var counted = false
            var mode: Role?
            for (site, a, role, st) in countedAssignments(view, unit: unit, today: today, deadlines: deadlines) {
                counted = true
                if mode.map({ ItemView.roleOrder(role) < ItemView.roleOrder($0) }) ?? true { mode = role }
                assigned += 1
                s.byRole[role, default: 0] += 1
                if st.overdue { s.overdue += 1 }
                if a.hasAnswered {
                    answered += 1
                    if Self.answeredOnTime(a, due: st.dueAt) { answeredOnTime += 1 }
                }
                guard !a.isCooperating, let replyAt = a.replyAt else { continue }
                replied += 1
                let contacts = (view.contacts[site] ?? [:]).values
                if contacts.contains(where: { c in c.at.map { $0 <= replyAt } ?? false }) { contacted += 1 }
                if contacts.contains(where: { $0.method?.isFaceToFace ?? false }) { faced += 1 }
                if let c = a.category { s.categories[c, default: 0] += 1 }
                if a.category == .b || a.replyCategory == .b || a.wasCategoryB {
                    s.followUp.wasB += 1
                    if a.category == .a { s.followUp.nowA += 1 }
                }
                if let e = view.feedback[site]?.evaluation {
                    evaluated += 1
                    if e == .satisfied || e == .basic { content += 1 }
                    if e == .satisfied { happy += 1 }
                }
                if let e = view.feedback[site]?.workEvaluation {
                    work.rated += 1
                    if e != .unsatisfied { work.content += 1 }
                }
                if let e = view.feedback[site]?.resultEvaluation {
                    result.rated += 1
                    if e != .unsatisfied { result.content += 1 }
                }
            }
            if counted {
                s.items += 1
                if let k = view.kind { s.byKind[k, default: 0] += 1 }
                if let mode { s.itemsByRole[mode, default: 0] += 1 }
                if view.isKey { s.keyItems += 1 }
            }
        }
        s.reply = Rate(answered, assigned)
        s.onTime = Rate(answeredOnTime, assigned)
        s.communication = Rate(contacted, replied)
        s.faceToFace = Rate(faced, replied)
        s.satisfaction = Rate(content, evaluated)
        s.satisfied = Rate(happy, evaluated)
        s.workSatisfaction = Rate(work.content, work.rated)
        s.resultSatisfaction = Rate(result.content, result.rated)
        return s
    }

    /// The year an item is counted in: its own `year`, else the year it was assigned.
    public static func itemYear(_ view: ItemView) -> Int? { view.year ?? view.assignedAt?.year }

    /// On time: answered by the deadline, or dated with no deadline to miss (an answer with no date is not on time).
    static func answeredOnTime(_ a: AssignmentView, due: ISODate?) -> Bool {
        guard a.hasAnswered, let d = a.answeredAt else { return false }
        return due.map { d <= $0 } ?? true
    }

    /// The assignments of `view` that the report counts: active, with a role, of `unit` (or of every unit).
    static func countedAssignments(
        _ view: ItemView, unit: String?, today: ISODate, deadlines: Deadlines
    ) -> [(site: String, assignment: AssignmentView, role: Role, status: AssignmentStatus)] {
        view.assignedSites.compactMap { site in
            guard unit == nil || site == unit, let a = view.assignments[site], let role = a.role, a.isActive,
                  let st = view.status(site: site, today: today, deadlines: deadlines) else { return nil }
            return (site, a, role, st)
        }
    }

    /// The pinned JSON shape.
    public var json: JSONValue {
        .object([
            "unit": unit.map(JSONValue.string) ?? .null,
            "year": .int(Int64(year)),
            "items": .int(Int64(items)),
            "byKind": Self.counts(byKind),
            "byRole": Self.counts(byRole),
            "rates": .object([
                "reply": reply.json, "onTime": onTime.json, "communication": communication.json,
                "faceToFace": faceToFace.json, "satisfaction": satisfaction.json, "satisfied": satisfied.json,
            ]),
            "categories": Self.counts(categories),
            "overdue": .int(Int64(overdue)),
            // Extensions of the pinned shape.
            "itemsByRole": Self.counts(itemsByRole),
            "key": .int(Int64(keyItems)),
            "followUp": .object(["wasB": .int(Int64(followUp.wasB)), "nowA": .int(Int64(followUp.nowA))]),
            "satisfactionApart": .object(["work": workSatisfaction.json, "result": resultSatisfaction.json]),
        ])
    }

    /// Counts keyed by their stored values, as the pinned JSON has them.
    static func counts<E: CatalogueEnum>(_ byValue: [E: Int]) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: byValue.map { ($0.key.rawValue, JSONValue.int(Int64($0.value))) }))
    }

    /// The rates with their Chinese names, in report order.
    public var namedRates: [(name: String, key: String, rate: Rate)] {
        [("办复率", "reply", reply), ("按期办复率", "onTime", onTime), ("沟通率", "communication", communication),
         ("面商率", "faceToFace", faceToFace), ("满意率", "satisfaction", satisfaction), ("满意（不含基本满意）", "satisfied", satisfied)]
    }

    /// The satisfaction with the handling work and with its result, counted apart; only forms that asked them apart count.
    public var apartRates: [(name: String, key: String, rate: Rate)] {
        [("对办理工作满意率", "work", workSatisfaction), ("对办理结果满意率", "result", resultSatisfaction)]
    }

    /// The apart rates once any form rated them apart (older years' reports read as before).
    var apartRatesGiven: [(name: String, key: String, rate: Rate)] { apartRates.filter { $0.rate.den > 0 } }

    /// Prose in the style of the offices' yearly reports. `jurisdiction` is the office's level (市, 县, 省): a
    /// report of every unit speaks of 全市, 全县 or 全省 (the hub's settings). Each item is counted once in
    /// "其中…", so the parts never exceed the total; at the hub the units' shares in other units' items follow as 件次.
    public func text(unitName: String?, jurisdiction: String = OfficeSettings.defaultJurisdiction) -> String {
        let who = unitName ?? "全\(jurisdiction)各承办单位"
        let roles = Role.allCases.compactMap { r in itemsByRole[r].flatMap { $0 > 0 ? "\(r.label)\($0)件" : nil } }
        var out = "\(year)年，\(who)共承办人大代表建议\(byKind[.suggestion] ?? 0)件、政协提案\(byKind[.proposal] ?? 0)件"
        out += roles.isEmpty ? "" : "，其中" + roles.joined(separator: "、")
        let shares = Role.allCases.compactMap { r -> String? in
            let n = (byRole[r] ?? 0) - (itemsByRole[r] ?? 0)
            return n > 0 ? "\(r.label)\(n)件次" : nil
        }
        out += shares.isEmpty ? "" : "（另有" + shares.joined(separator: "、") + "）"
        out += keyItems > 0 ? "，重点件\(keyItems)件。" : "。"
        out += (namedRates + apartRatesGiven).map { "\($0.name)\($0.rate.percent)（\($0.rate.num)/\($0.rate.den)）" }.joined(separator: "，") + "。"
        out += "答复类别：" + ReplyCategory.allCases.map { "\($0.rawValue)类\(categories[$0] ?? 0)件" }.joined(separator: "、") + "。"
        if followUp.wasB > 0 { out += "纳入B类\(followUp.wasB)件，其中已转为A类\(followUp.nowA)件。" }
        out += overdue > 0 ? "目前逾期未办复\(overdue)件。" : "无逾期未办复件。"
        return out
    }

    /// A Markdown report: the prose, then a table of rates.
    public func markdown(unitName: String?, jurisdiction: String = OfficeSettings.defaultJurisdiction) -> String {
        let text = text(unitName: unitName, jurisdiction: jurisdiction)
        var out = "# \(year)年建议提案办理情况（\(unitName ?? "全\(jurisdiction)")）\n\n\(text)\n\n"
        out += "| 指标 | 比率 | 分子/分母 |\n|---|---|---|\n"
        for r in namedRates + apartRatesGiven { out += "| \(r.name) | \(r.rate.percent) | \(r.rate.num)/\(r.rate.den) |\n" }
        let letters = ReplyCategory.allCases.map(\.rawValue).joined(separator: " | ")
        let counts = ReplyCategory.allCases.map { "\(categories[$0] ?? 0)" }.joined(separator: " | ")
        out += "\n| 答复类别 | \(letters) |\n|---|---|---|---|---|\n| 件数 | \(counts) |\n"
        return out
    }

    /// CSV rows: metric, value or numerator, denominator, percentage.
    public func csvRows() -> [[String]] {
        var rows = [["指标", "分子", "分母", "比率"]]
        rows.append(["承办件数", "\(items)", "", ""])
        rows.append(["人大代表建议", "\(byKind[.suggestion] ?? 0)", "", ""])
        rows.append(["政协提案", "\(byKind[.proposal] ?? 0)", "", ""])
        for r in Role.allCases { rows.append([r.label, "\(byRole[r] ?? 0)", "", ""]) }
        for r in namedRates + apartRates { rows.append([r.name, "\(r.rate.num)", "\(r.rate.den)", r.rate.percent]) }
        for c in ReplyCategory.allCases { rows.append(["\(c.rawValue)类", "\(categories[c] ?? 0)", "", ""]) }
        rows.append(["重点件", "\(keyItems)", "", ""])
        rows.append(["纳入B类后转为A类", "\(followUp.nowA)", "\(followUp.wasB)", Rate(followUp.nowA, followUp.wasB).percent])
        rows.append(["逾期", "\(overdue)", "", ""])
        return rows
    }
}
