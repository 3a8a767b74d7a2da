import BanliCore
import BanliOffice
import Hummingbird

/// 工作台: counts by stage, what is overdue or due within 7 days, and at a bureau the sync state with "sync now".
struct DashboardRoutes {
    let app: WebApp

    struct Card { let key: String, label: String, count: Int, href: String, cls: String }
    struct SyncRow { let cls: String, office: String, lastAttempt: String, lastSuccess: String, backlog: Int, lastError: String }
    struct Refused { let at: String, office: String, entity: String, field: String, reason: String }
    struct Context {
        let t: PageTexts, csrf: String, bureau: Bool
        let cards: [Card]
        let syncRows: [SyncRow], anyRefused: Bool, refused: [Refused]
        let overdueCount: Int, dueSoonCount: Int
        let overdueTable: RowsTable, dueSoonTable: RowsTable
    }

    func register(on router: Router<WebContext>) {
        router.get("/") { request, context in try await dashboard(request, context) }
        router.post("/sync") { request, context in
            _ = try await app.form(request, context)
            guard app.mayActForUnit(context), let sync = app.workspace.syncNow else {
                throw WebError(.forbidden, "只有本单位的承办人员可以发起同步。")
            }
            let lines = try await offload { sync() }
            return try await dashboard(request, context, notice: lines.joined(separator: " "))
        }
    }

    func dashboard(_ request: Request, _ context: WebContext, notice: String? = nil) async throws -> Response {
        let workspace = app.workspace
        let l = Language(request)
        let t = PageTexts(l)
        let (rows, today, sync) = try await offload {
            let today = try workspace.today()
            return (try Listing.rows(workspace, today: today), today, try workspace.syncState())
        }
        var byStage: [AssignmentStatus.Stage: Int] = [:]
        for r in rows { if let s = r.status?.stage { byStage[s, default: 0] += 1 } }
        let overdue = rows.filter { $0.status?.overdue == true }
        let dueSoon = rows.filter { r in
            guard let st = r.status, st.stage.isOpen, !st.overdue, let due = st.dueAt else { return false }
            return due <= today.addingDays(7)
        }.sorted { ($0.status?.dueAt ?? today) < ($1.status?.dueAt ?? today) }
        var cards = AssignmentStatus.Stage.allCases.filter { byStage[$0] != nil || $0.isOpen }.map { s in
            Card(key: s.rawValue, label: s.label, count: byStage[s] ?? 0, href: "/items?status=\(s.rawValue)",
                 cls: s == .pending && (byStage[s] ?? 0) > 0 ? "warn" : "")
        }
        cards.append(Card(key: "overdue", label: t.overdue, count: overdue.count, href: "/items?overdue=1", cls: overdue.isEmpty ? "" : "bad"))
        let showOffice = workspace.offices.count > 1
        let refused = sync.flatMap { s in
            s.refused.map { Refused(at: WebPages.time($0.atMilliseconds), office: s.office, entity: $0.entity, field: $0.field, reason: $0.reason) }
        }
        let c = Context(
            t: t, csrf: context.session?.csrfToken ?? "", bureau: !workspace.isHub && workspace.syncNow != nil, cards: cards,
            syncRows: sync.map {
                SyncRow(cls: $0.lastError == nil ? "" : "overdue", office: $0.office, lastAttempt: WebPages.time($0.lastAttemptAt),
                        lastSuccess: WebPages.time($0.lastSuccessAt), backlog: $0.backlog, lastError: $0.lastError ?? "")
            },
            anyRefused: !refused.isEmpty, refused: refused, overdueCount: overdue.count, dueSoonCount: dueSoon.count,
            overdueTable: RowsTable(overdue, t: t, showOffice: showOffice, today: today),
            dueSoonTable: RowsTable(dueSoon, t: t, showOffice: showOffice, today: today))
        return WebPages.page(app, request, context, title: t.dashboard, current: "/", body: PageTemplates.dashboard.render(c), notice: notice)
    }
}
