import BanliCore
import BanliHubStorage
import BanliOffice
import Foundation
import Hummingbird

/// The list of items and the item page with the forms of exactly the steps open now. Every step is the
/// `Workflow` call the CLI's verb makes, so a step out of order is refused with the same sentence.
struct ItemRoutes {
    let app: WebApp

    static func href(_ office: WebOffice, _ id: String) -> String {
        "/items/\(SessionMiddleware.percentEncoded(office.key))/\(SessionMiddleware.percentEncoded(id))"
    }

    func register(on router: Router<WebContext>) {
        router.get("/items") { request, context in try await list(request, context) }
        router.get("/items/:office/:id") { request, context in try await show(request, context) }
        router.post("/items/:office/:id/step/:step") { request, context in
            let form = try await app.form(request, context)
            guard app.mayActForUnit(context), !app.workspace.isHub else { throw WebError(.forbidden, "您的账号只能查看，不能办理。") }
            guard let step = context.parameters.get("step").flatMap(Workflow.UnitStep.init(rawValue:)) else { throw WebError(.notFound, "没有这个办理步骤。") }
            return try await act(request, context, done: step.rawValue) { office, view, today in
                try StepForms.writes(step, form: form, view: view, site: office.store.info.site, today: today)
            }
        }
        router.post("/items/:office/:id/office/:site/:step") { request, context in
            let form = try await app.form(request, context)
            guard app.mayActAsOffice(context) else { throw WebError(.forbidden, "只有交办机关的工作人员可以做这一步。") }
            guard let step = context.parameters.get("step").flatMap(Workflow.OfficeStep.init(rawValue:)),
                  let site = context.parameters.get("site") else { throw WebError(.notFound, "没有这个办理步骤。") }
            let deadlines = app.workspace.deadlines
            return try await act(request, context, done: step.rawValue) { _, view, today in
                try StepForms.writes(step, form: form, view: view, site: site, today: today, deadlines: deadlines)
            }
        }
        router.post("/items/:office/:id/office/:site/feedback-link") { request, context in
            _ = try await app.form(request, context)
            return try await feedbackLink(request, context, revoke: false)
        }
        router.post("/items/:office/:id/office/:site/feedback-link/revoke") { request, context in
            _ = try await app.form(request, context)
            return try await feedbackLink(request, context, revoke: true)
        }
        router.post("/items/:office/:id/resolve") { request, context in
            let form = try await app.form(request, context)
            guard app.mayActForUnit(context) || app.mayActAsOffice(context) else { throw WebError(.forbidden, "您的账号只能查看，不能处理冲突。") }
            let entityText = try form.required("entity", "字段"), field = try form.required("field", "字段")
            let json = try form.required("value", "取值")
            return try await act(request, context, done: "resolve") { office, view, _ in
                guard let entity = try? EntityKey(parsing: entityText), entity.itemId == view.id,
                      let current = try office.store.field(entity, field), current.state.isConflict else {
                    throw WebError(.conflict, "这个冲突已经处理过了（或已变化），请看页面上的最新情况。")
                }
                guard let chosen = current.state.siblings.first(where: { $0.value.canonicalJSON == json }) else {
                    throw WebError(.conflict, "这个取值已不在冲突中（有新的同步），请重新选择。")
                }
                return [LocalWrite(entity: entity, field: field, value: chosen.value)]
            }
        }
    }

    // MARK: Acting

    /// Reads the item, asks `writes` for the step's writes, and writes them as the signed-in person; a refusal
    /// shows the item page again with the sentence, and nothing is written.
    func act(
        _ request: Request, _ context: WebContext, done: String,
        _ writes: @escaping @Sendable (WebOffice, ItemView, ISODate) throws -> [LocalWrite]
    ) async throws -> Response {
        let (office, id) = try target(context)
        let workspace = app.workspace
        let person = context.session?.user.name
        do {
            try await offload {
                guard let view = try office.store.item(id) else { throw WebError(.notFound, "没有这个事项。") }
                try office.store.write(try writes(office, view, try workspace.today()), person: person)
            }
        } catch let e as BanliError {
            return try await show(request, context, error: e.message, status: .unprocessableContent)
        } catch let refusal as WorkflowRefusal {
            return try await show(request, context, error: refusal.sentence(.web), status: .unprocessableContent)
        }
        app.logger.info("web write", metadata: ["user": "\(person ?? "")", "item": "\(id)", "step": "\(done)"])
        return Response.redirect(to: Self.href(office, id) + "?done=" + SessionMiddleware.percentEncoded(done), type: .normal)
    }

    /// Issue 18: makes a one-time link for the deputy to rate `site`'s reply, shown on the page this once (the store keeps
    /// only its hash), or revokes the unit's open links.
    func feedbackLink(_ request: Request, _ context: WebContext, revoke: Bool) async throws -> Response {
        guard app.mayActAsOffice(context) else { throw WebError(.forbidden, "只有交办机关的工作人员可以做这一步。") }
        let (office, id) = try target(context)
        guard let base = app.workspace.feedbackLinkBase, let site = context.parameters.get("site") else {
            throw WebError(.notFound, "交办机关未开放网上征询意见（hub.toml 未设置 public_listen）。")
        }
        let storage = try office.store.hubStorage()
        let now = Int64(HybridLogicalClock.wallMilliseconds())
        let person = context.session?.user.name ?? ""
        if revoke {
            let n = try await storage.revokeFeedbackLinks(item: id, unit: site, nowMilliseconds: now)
            app.logger.info("feedback links revoked", metadata: ["user": "\(person)", "item": "\(id)", "unit": "\(site)", "count": "\(n)"])
            return try await show(request, context, notice: "已作废 \(n) 个未使用的征询意见链接。")
        }
        do {
            guard let view = try await offload({ try office.store.item(id) }) else { throw WebError(.notFound, "没有这个事项。") }
            let token = try await storage.issueFeedbackLink(view, site: site, days: FeedbackLink.defaultDays, nowMilliseconds: now)
            app.logger.info("feedback link made", metadata: ["user": "\(person)", "item": "\(id)", "unit": "\(site)"])
            return try await show(request, context, notice: "征询意见链接（只显示这一次，\(FeedbackLink.defaultDays) 天内有效、仅可使用一次，请发给代表委员）：\(base)/f/\(token)")
        } catch let refusal as WorkflowRefusal {
            return try await show(request, context, error: refusal.sentence(.web), status: .unprocessableContent)
        }
    }

    /// The notice after a step: only the workbench's own step names, so a crafted link cannot put words on the page.
    static func doneLabel(_ key: String) -> String? {
        Workflow.UnitStep(rawValue: key)?.label ?? Workflow.OfficeStep(rawValue: key)?.label ?? OfficeRoutes.ItemStep(rawValue: key)?.label
            ?? (key == "resolve" ? "处理冲突" : nil)
    }

    func target(_ context: WebContext) throws -> (WebOffice, String) {
        guard let key = context.parameters.get("office"), let office = app.workspace.office(key), let id = context.parameters.get("id") else {
            throw WebError(.notFound, "没有这个事项，请从办理事项列表进入。")
        }
        return (office, id)
    }

    // MARK: The list

    struct SelectBox {
        struct Option { let value: String, label: String, selected: Bool }
        let name: String, label: String, options: [Option]
    }
    struct ListContext { let t: PageTexts, count: Int, q: String, year: String, overdue: Bool, selects: [SelectBox], table: RowsTable }

    func list(_ request: Request, _ context: WebContext) async throws -> Response {
        let q = request.uri.queryParameters
        func param(_ name: String) -> String? { q.get(name).map(\.trimmedWhitespace).flatMap { $0.isEmpty ? nil : $0 } }
        var filter = ListingFilter()
        filter.stage = param("status").flatMap(AssignmentStatus.Stage.init(rawValue:))
        filter.overdue = param("overdue") != nil
        filter.dueWithin = param("due").flatMap(Int.init)
        filter.role = param("role").flatMap(Role.init(rawValue:))
        filter.year = param("year").flatMap(Int.init)
        filter.kind = param("kind").flatMap(ItemKind.init(rawValue:))
        filter.unit = param("unit")
        filter.query = param("q")
        let workspace = app.workspace, chosen = filter
        let (rows, today, units) = try await offload {
            let today = try workspace.today()
            var units: [(String, String)] = []
            if workspace.isHub, let store = workspace.offices.first?.store {
                let names = try UnitNames(store: store)
                units = try store.registeredUnits().map { ($0, names[$0].isEmpty ? $0 : names[$0]) }
            }
            return (try Listing.rows(workspace, today: today).filter { chosen.admits($0, today: today) }, today, units)
        }
        let l = Language(request)
        let t = PageTexts(l)
        func box(_ name: String, _ label: String, _ options: [(String, String)], _ selected: String?) -> SelectBox {
            SelectBox(name: name, label: label, options: ([("", l.t("全部", "All"))] + options).map {
                SelectBox.Option(value: $0.0, label: $0.1, selected: $0.0 == (selected ?? ""))
            })
        }
        var selects = [
            box("status", t.stage, AssignmentStatus.Stage.allCases.map { ($0.rawValue, $0.label) }, filter.stage?.rawValue),
            box("due", l.t("到期", "Due"), [("7", l.t("7日内", "within 7 days")), ("30", l.t("30日内", "within 30 days"))], filter.dueWithin.map(String.init)),
            box("kind", t.kind, ItemKind.allCases.map { ($0.rawValue, $0.label) }, filter.kind?.rawValue),
            box("role", t.role, Role.allCases.map { ($0.rawValue, $0.label) }, filter.role?.rawValue),
        ]
        if !units.isEmpty { selects.append(box("unit", t.unit, units, filter.unit)) }
        let c = ListContext(t: t, count: rows.count, q: filter.query ?? "", year: filter.year.map(String.init) ?? "", overdue: filter.overdue,
                            selects: selects, table: RowsTable(rows, t: t, showOffice: workspace.offices.count > 1, today: today))
        return WebPages.page(app, request, context, title: t.items, current: "/items", body: PageTemplates.list.render(c))
    }

    // MARK: The item page

    struct Row { let label: String, value: String }
    struct Side { let source: String, value: String, json: String, visible: Bool }
    struct ConflictBox { let anchor: String, label: String, entity: String, field: String, canSettle: Bool, action: String, sides: [Side] }
    struct Contact { let n: Int, at: String, method: String, note: String }
    struct Box {
        let site: String, unitName: String, role: String, stage: String, overdue: Bool, due: String
        let fields: [Row], anyContacts: Bool, contacts: [Contact], anyFeedback: Bool, feedback: [Row], steps: [StepForm]
        /// The printable 征询意见表 (a replying unit's; none for a cooperating one).
        let hasForm: Bool, formHref: String
    }
    struct Moment { let cls: String, at: String, who: String, origin: String, label: String, value: String }
    struct ItemTexts {
        let office, conflict, conflictHint, shown, keep, overdue, due, contacts, feedback, timeline, form: String
        init(_ l: Language) {
            office = l.t("交办机关", "Office")
            conflict = l.t("冲突", "Conflict")
            conflictHint = l.t("几个单位同时改了这一项，选择要保留的值。", "Units changed this at the same time; choose the value to keep.")
            shown = l.t("当前显示", "shown now")
            keep = l.t("保留此值", "Keep this value")
            overdue = l.t("逾期", "overdue")
            due = l.t("时限", "due")
            contacts = l.t("沟通记录", "Contacts")
            feedback = l.t("征询意见", "Feedback")
            timeline = l.t("办理过程", "Timeline")
            form = l.t("征询意见表", "Feedback form")
        }
    }
    struct ItemContext {
        let t: ItemTexts, csrf: String, id: String, title: String, kind: String, showOffice: Bool, officeName: String
        let fields: [Row], itemSteps: [StepForm], conflicts: [ConflictBox], assignments: [Box], timeline: [Moment]
    }

    func show(
        _ request: Request, _ context: WebContext, error: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let (office, id) = try target(context)
        let workspace = app.workspace
        let (view, history, names, units, today) = try await offload {
            guard let view = try office.store.item(id), view.kind != nil || !view.assignments.isEmpty else {
                throw WebError(.notFound, "没有事项 \(id.prefix(60))；交办后要同步一次才看得到。")
            }
            let names = try UnitNames(store: office.store)
            let units = office.store.info.isHub ? try office.store.registeredUnits().map { ($0, names[$0].isEmpty ? $0 : names[$0]) } : []
            return (view, try office.store.history(ofItem: id), names, units, try workspace.today())
        }
        let l = Language(request)
        let info = office.store.info
        let base = Self.href(office, id)
        let csrf = context.session?.csrfToken ?? ""
        func rows(_ kind: EntityKind, _ values: FieldValues, skipping: Set<String> = []) -> [Row] {
            FieldCatalogue.fields(of: kind).compactMap { spec in
                guard !skipping.contains(spec.name), let v = values[spec.name] else { return nil }
                return Row(label: spec.label, value: FieldSpec.label(v, spec: spec))
            }
        }
        func unitLabel(_ site: String) -> String { names[site].isEmpty ? site : "\(names[site])（\(site)）" }
        // A bureau sees its own assignment first.
        let sites = view.assignedSites.sorted { a, b in (a == info.site ? 0 : 1, a) < (b == info.site ? 0 : 1, b) }
        let boxes = sites.map { site -> Box in
            let a = view.assignments[site] ?? AssignmentView(site: site)
            let st = view.status(site: site, today: today, deadlines: workspace.deadlines)
            var steps: [StepForm] = []
            if !info.isHub, site == info.site, app.mayActForUnit(context) {
                steps = Workflow.openSteps(view, site: site, today: today).map { step in
                    StepForm(id: step.rawValue, label: step.label, action: "\(base)/step/\(step.rawValue)", button: step.label, confirm: "",
                             inputs: StepForms.inputs(step, view: view, site: site, today: today))
                }
            }
            if app.mayActAsOffice(context) {
                steps += Workflow.openOfficeSteps(view, site: site, today: today, deadlines: workspace.deadlines).map { step in
                    StepForm(id: "\(step.rawValue)-\(site)", label: step.label, action: "\(base)/office/\(site)/\(step.rawValue)", button: step.label,
                             confirm: step == .rehandle ? l.t("确定要求重新办理？", "Send the reply back for re-handling?") : "",
                             inputs: StepForms.inputs(step, view: view, site: site, today: today, due: st?.dueAt, units: units))
                }
                // 网上征询: a one-time link for the deputy, once the unit replied (the hub must serve public_listen).
                if workspace.feedbackLinkBase != nil, (try? Workflow.requireReplyToRateOnline(view, site: site)) != nil {
                    let action = "\(base)/office/\(SessionMiddleware.percentEncoded(site))/feedback-link"
                    steps.append(StepForm(id: "feedback-link-\(site)", label: "网上征询意见", action: action, button: "生成征询意见链接", confirm: "", inputs: []))
                    steps.append(StepForm(id: "feedback-link-revoke-\(site)", label: "作废征询意见链接", action: action + "/revoke", button: "作废未使用的链接",
                                          confirm: "确定作废该单位未使用的征询意见链接？", inputs: []))
                }
            }
            let contacts = (view.contacts[site] ?? [:]).sorted { $0.key < $1.key }.map { n, c in
                Contact(n: n, at: c.at?.description ?? "", method: c.method?.label ?? "", note: c.note ?? "")
            }
            let feedback = view.feedback[site].map { rows(.feedback, $0.values) } ?? []
            return Box(site: site, unitName: unitLabel(site), role: a.role?.label ?? "", stage: st?.stage.label ?? "", overdue: st?.overdue ?? false,
                       due: st?.dueAt?.description ?? "—", fields: rows(.assignment, a.values, skipping: ["role"]), anyContacts: !contacts.isEmpty,
                       contacts: contacts, anyFeedback: !feedback.isEmpty, feedback: feedback, steps: steps,
                       hasForm: a.role != nil && !a.isCooperating, formHref: "\(base)/form/\(SessionMiddleware.percentEncoded(site))")
        }
        let conflicts = view.conflicts.map { f -> ConflictBox in
            let visible = f.state.visible(naturalAuthor: f.naturalAuthor(hubSite: info.hubSite))
            let mayWrite = Permissions.denial(site: info.site, hubSite: info.hubSite, entity: f.entity, field: f.spec) == nil
            return ConflictBox(
                anchor: "\(f.entity)-\(f.field)".replacingOccurrences(of: "/", with: "-"), label: f.spec.label, entity: f.entity.description,
                field: f.field, canSettle: mayWrite && (app.mayActForUnit(context) || app.mayActAsOffice(context)), action: "\(base)/resolve",
                sides: f.state.siblings.map { s in
                    Side(source: unitLabel(s.site), value: FieldSpec.label(s.value, spec: f.spec), json: s.value.canonicalJSON, visible: s == visible)
                })
        }
        let timeline = history.map { h -> Moment in
            let entity = try? EntityKey(parsing: h.entity)
            let spec = entity.flatMap { FieldCatalogue.spec($0.kind, h.field) }
            let value = (try? JSONValue.parse(h.value)).map { FieldSpec.label($0, spec: spec) } ?? h.value
            let whose = entity?.site.map { " · \(unitLabel($0))" } ?? ""
            let local = h.origin == "local"
            let who = unitLabel(h.site) + (h.person.map { " · \($0)" } ?? "")
            return Moment(cls: local ? "local" : "received", at: WebPages.time(utc: h.recordedAt), who: who,
                          origin: local ? l.t("本处录入", "written here") : l.t("同步收到", "received"), label: (spec?.label ?? h.field) + whose, value: value)
        }
        var itemSteps: [StepForm] = []
        if app.mayActAsOffice(context) { itemSteps = OfficeRoutes.itemSteps(view, base: base, units: units, today: today, deadlines: workspace.deadlines, l) }
        let c = ItemContext(
            t: ItemTexts(l), csrf: csrf, id: view.id, title: view.title, kind: view.kind?.label ?? "", showOffice: workspace.offices.count > 1,
            officeName: office.name, fields: rows(.item, view.values, skipping: ["title", "kind"]), itemSteps: itemSteps, conflicts: conflicts,
            assignments: boxes, timeline: timeline)
        let done = request.uri.queryParameters.get("done").flatMap(Self.doneLabel).map { l.t("已完成：\($0)", "Done: \($0)") }
        return WebPages.page(app, request, context, title: "\(view.id) \(view.title)", current: "/items", body: PageTemplates.item.render(c),
                             notice: error == nil ? notice ?? done : nil, error: error, status: status)
    }
}
