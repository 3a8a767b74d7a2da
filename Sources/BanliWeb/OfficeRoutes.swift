import BanliCore
import BanliHubStorage
import BanliOffice
import Hummingbird

/// The office's pages on the hub's store: 交办 (a new item and its units), the 督办 board, and the item-level
/// steps on the item page (another unit, 办结, reopening).
struct OfficeRoutes {
    let app: WebApp

    /// Steps on the whole item.
    enum ItemStep: String, CaseIterable {
        case assign, close, reopen
        var label: String {
            switch self {
            case .assign: "增加承办单位"
            case .close: "办结"
            case .reopen: "重新打开"
            }
        }
    }

    static func itemSteps(_ view: ItemView, base: String, units: [(String, String)], today: ISODate, deadlines: Deadlines, _ l: Language) -> [StepForm] {
        var steps: [StepForm] = []
        if view.closedAt == nil {
            steps.append(StepForm(id: "assign", label: ItemStep.assign.label, action: "\(base)/assign", button: ItemStep.assign.label, confirm: "", inputs: [
                .select("unit", "承办单位", units), .choice("role", "承办方式", Role.self, selected: view.assignments.isEmpty ? "lead" : "cooperating"),
                .date("due", "办理时限（不填按规定期限）"),
            ]))
        }
        if Workflow.canClose(view, today: today, deadlines: deadlines) {
            steps.append(StepForm(id: "close", label: ItemStep.close.label, action: "\(base)/close", button: ItemStep.close.label,
                                  confirm: l.t("确定办结？", "Close this item?"), inputs: [.date("at", "办结日期", today.description, required: true)]))
        }
        if view.closedAt != nil {
            steps.append(StepForm(id: "reopen", label: ItemStep.reopen.label, action: "\(base)/reopen", button: ItemStep.reopen.label, confirm: "",
                                  inputs: [.textarea("reason", "理由", required: true)]))
        }
        return steps
    }

    func register(on router: Router<WebContext>) {
        let items = ItemRoutes(app: app)
        let deadlines = app.workspace.deadlines
        router.post("/items/:office/:id/:itemStep") { request, context in
            let form = try await app.form(request, context)
            guard app.mayActAsOffice(context) else { throw WebError(.forbidden, "只有交办机关的工作人员可以做这一步。") }
            guard let step = context.parameters.get("itemStep").flatMap(ItemStep.init(rawValue:)) else { throw WebError(.notFound, "没有这个办理步骤。") }
            return try await items.act(request, context, done: step.rawValue) { office, view, today in
                switch step {
                case .assign:
                    let names = try UnitNames(store: office.store)
                    let site = try names.site(named: form.required("unit", "承办单位"))
                    let due = try form["due"].map { _ in try form.date("due", "办理时限", or: today) }
                    let role: Role = try form.choice(.assignment, "role", "承办方式")
                    return try Workflow.assign(view, Workflow.Assignment(site: site, role: role, due: due, at: nil, changeRole: false), today: today)
                case .close: return try Workflow.close(view, at: form.date("at", "办结日期", or: today), today: today, deadlines: deadlines)
                case .reopen: return try Workflow.reopen(view, reason: form.required("reason", "理由"))
                }
            }
        }
        router.get("/new") { request, context in try await newItemPage(request, context) }
        router.post("/new") { request, context in
            let form = try await app.form(request, context)
            guard app.mayActAsOffice(context) else { throw WebError(.forbidden, "只有交办机关的工作人员可以交办。") }
            guard let office = app.workspace.offices.first else { throw WebError(.notFound, "没有库。") }
            let workspace = app.workspace
            do {
                let person = context.session?.user.name
                let id = try await offload { try create(form, office: office, today: workspace.today(), person: person) }
                return Response.redirect(to: ItemRoutes.href(office, id) + "?done=assign", type: .normal)
            } catch let e as BanliError {
                return try await newItemPage(request, context, error: e.message, status: .unprocessableContent)
            } catch let refusal as WorkflowRefusal {
                return try await newItemPage(request, context, error: refusal.sentence(.web), status: .unprocessableContent)
            }
        }
        router.get("/supervise") { request, context in try await supervise(request, context) }
    }

    /// Creates the item and assigns its units in one transaction: both land or neither does.
    func create(_ form: WebForm, office: WebOffice, today: ISODate, person: String?) throws -> String {
        let kind: ItemKind = try form.choice(.item, "kind", "类别")
        func int(_ name: String, _ label: String) throws -> Int64 {
            guard let v = Int64(try form.required(name, label)), v > 0 else { throw BanliError(.invalidValue, "“\(label)”应为正整数。") }
            return v
        }
        let year = try int("year", "年度"), number = try int("number", "编号")
        let id = try Identifier.validItemId(form["id"] ?? "\(kind == .suggestion ? "rd" : "zx")-\(year)-\(number)")
        let item = Workflow.NewItem(
            id: id, kind: kind, number: number, year: year, title: try form.required("title", "标题"),
            proposers: (form["proposers"] ?? "").split(whereSeparator: { "、,，;；".contains($0) }).map(String.init),
            session: form["session"], category: form["category"], body: form.text("body"))
        var writes = try Workflow.create(item, existing: try office.store.item(id))
        // Each unit is assigned against the view the earlier writes make, so the one-lead rule sees them all.
        var view = ItemView(id: id, fields: [], hubSite: office.store.info.hubSite)
        view.values["kind"] = .string(kind.rawValue)
        let at = try form.date("assignedAt", "交办日期", or: today)
        let names = try UnitNames(store: office.store)
        for n in 1...Self.unitSlots {
            guard let unit = form["unit\(n)"] else { continue }
            let site = try names.site(named: unit)
            let role: Role = try FieldCatalogue.choice(.assignment, "role", form.required("role\(n)", "承办方式"))
            let due = try form["due\(n)"].map { _ in try form.date("due\(n)", "办理时限", or: today) }
            let w = try Workflow.assign(view, Workflow.Assignment(site: site, role: role, due: due, at: at, changeRole: false), today: today)
            for x in w {
                if case .assignment(_, let s) = x.entity { view.assignments[s, default: AssignmentView(site: s)].values[x.field] = x.value }
                if case .item = x.entity { view.values[x.field] = x.value }
            }
            writes += w
        }
        try office.store.write(writes, person: person)
        return id
    }

    static let unitSlots = 5

    struct Option { let value: String, label: String, selected: Bool }
    struct Slot { let n: Int }
    struct NewTexts {
        let heading, kind, year, number, id, idHint, title, proposers, proposersHint, session, category, body, assignedAt: String
        let units, unit, role, due, create: String
        init(_ l: Language) {
            heading = l.t("交办：新建事项", "Assign: a new item")
            kind = l.t("类别", "Kind"); year = l.t("年度", "Year"); number = l.t("编号", "Number")
            id = l.t("事项编号", "Item id"); idHint = l.t("不填则为 rd-年度-编号 或 zx-年度-编号", "default rd-YEAR-N or zx-YEAR-N")
            title = l.t("标题", "Title"); proposers = l.t("建议人/提案人", "Proposers")
            proposersHint = l.t("领衔人在前，用顿号分隔", "lead proposer first, separated by 、")
            session = l.t("届次", "Session"); category = l.t("分类", "Category"); body = l.t("内容", "Text")
            assignedAt = l.t("交办日期", "Assigned on"); units = l.t("承办单位", "Units"); unit = l.t("单位", "Unit")
            role = l.t("承办方式", "Role"); due = l.t("办理时限（不填按规定期限）", "Due (blank: the rule)"); create = l.t("交办", "Assign")
        }
    }
    struct NewContext {
        let t: NewTexts, csrf: String, year: String, today: String, kinds: [Option], units: [Option], roles: [Option], slots: [Slot]
    }

    func newItemPage(_ request: Request, _ context: WebContext, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let office = app.workspace.offices.first else { throw WebError(.notFound, "没有库。") }
        let workspace = app.workspace
        let (units, today) = try await offload {
            let names = try UnitNames(store: office.store)
            return (try office.store.registeredUnits().map { ($0, names[$0].isEmpty ? $0 : "\(names[$0])（\($0)）") }, try workspace.today())
        }
        let l = Language(request)
        let c = NewContext(
            t: NewTexts(l), csrf: context.session?.csrfToken ?? "", year: String(today.year), today: today.description,
            kinds: ItemKind.allCases.map { Option(value: $0.rawValue, label: $0.label, selected: false) },
            units: units.map { Option(value: $0.0, label: $0.1, selected: false) },
            roles: Role.allCases.map { Option(value: $0.rawValue, label: $0.label, selected: false) }, slots: (1...Self.unitSlots).map(Slot.init))
        return WebPages.page(app, request, context, title: NewTexts(l).heading, current: "/new", body: PageTemplates.newItem.render(c),
                             error: error, status: status)
    }

    // MARK: 督办

    struct BoardTexts {
        let heading, unit, overdue, dueSoon, pending, open, due, none: String
        init(_ l: Language) {
            heading = l.t("督办：各承办单位", "Supervision by unit"); unit = l.t("承办单位", "Unit"); overdue = l.t("已逾期", "Overdue")
            dueSoon = l.t("7日内到期", "Due in 7 days"); pending = l.t("未签收", "Not signed for"); open = l.t("在办", "Open")
            due = l.t("时限", "due"); none = l.t("没有在办事项。", "Nothing open.")
        }
    }
    struct BoardUnit { let cls: String, site: String, name: String, overdue: Int, dueSoon: Int, pending: Int, open: Int }
    struct Chase { let cls: String, href: String, id: String, title: String, stage: String, due: String }
    struct Group { let site: String, name: String, overdue: Int, dueSoon: Int, pending: Int, items: [Chase] }
    struct BoardContext { let t: BoardTexts, units: [BoardUnit], groups: [Group] }

    func supervise(_ request: Request, _ context: WebContext) async throws -> Response {
        let workspace = app.workspace
        let (rows, today) = try await offload { let today = try workspace.today(); return (try Listing.rows(workspace, today: today), today) }
        var bySite: [String: [ListingRow]] = [:]
        for r in rows { if let s = r.site, let st = r.status, st.stage.isOpen { bySite[s, default: []].append(r) } }
        func soon(_ r: ListingRow) -> Bool { r.status.map { !$0.overdue && ($0.dueAt.map { $0 <= today.addingDays(7) } ?? false) } ?? false }
        var units: [BoardUnit] = [], groups: [Group] = []
        for (site, list) in bySite {
            let overdue = list.filter { $0.status?.overdue == true }, dueSoon = list.filter(soon), pending = list.filter { $0.status?.stage == .pending }
            let name = list.first.map { $0.unitName.isEmpty ? site : $0.unitName } ?? site
            units.append(BoardUnit(cls: overdue.isEmpty ? (dueSoon.isEmpty ? "" : "due-soon") : "overdue", site: site, name: name,
                                   overdue: overdue.count, dueSoon: dueSoon.count, pending: pending.count, open: list.count))
            let chased = (overdue + dueSoon + pending.filter { !($0.status?.overdue ?? false) && !soon($0) })
            groups.append(Group(site: site, name: name, overdue: overdue.count, dueSoon: dueSoon.count, pending: pending.count, items: chased.map { r in
                Chase(cls: r.status?.overdue == true ? "overdue" : "", href: ItemRoutes.href(r.office, r.view.id), id: r.view.id, title: r.view.title,
                      stage: r.status?.stage.label ?? "", due: r.status?.dueAt?.description ?? "—")
            }))
        }
        // Most overdue first: what the office chases today.
        units.sort { ($0.overdue, $0.dueSoon, $0.pending) != ($1.overdue, $1.dueSoon, $1.pending)
            ? ($0.overdue, $0.dueSoon, $0.pending) > ($1.overdue, $1.dueSoon, $1.pending) : ItemView.naturalOrder($0.site, $1.site) }
        let order = Dictionary(uniqueKeysWithValues: units.enumerated().map { ($1.site, $0) })
        groups.sort { order[$0.site] ?? 0 < order[$1.site] ?? 0 }
        let l = Language(request)
        let c = BoardContext(t: BoardTexts(l), units: units, groups: groups.filter { !$0.items.isEmpty })
        return WebPages.page(app, request, context, title: BoardTexts(l).heading, current: "/supervise", body: PageTemplates.supervise.render(c))
    }
}
