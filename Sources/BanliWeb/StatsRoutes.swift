import BanliCore
import BanliHubStorage
import BanliOffice
import BanliPages
import BanliSecrets
import Foundation
import Hummingbird

/// 统计 (the yearly report with server-drawn charts, and its print view), 排名 (units ranked by the report's rates,
/// at the hub) and the printable 征询意见表. Every figure is `YearReport`'s, the code `banli report` runs.
struct StatsRoutes {
    let app: WebApp

    func register(on router: Router<WebContext>) {
        router.get("/report") { request, context in try await report(request, context) }
        router.get("/items/:office/:id/form/:site") { request, context in try await feedbackForm(request, context) }
        if app.workspace.isHub { router.get("/ranking") { request, context in try await ranking(request, context) } }
    }

    // MARK: 统计

    struct ReportTexts {
        let heading, year, unit, allUnits, show, print, back, rates, rate, num, den, percent, categories, category, count, monthly: String
        let month, onTime, late, openOverdue, open, total, figures, items, suggestions, proposals, key, overdue, noDeadline: String
        let elsewhere, jian, monthlyHint: String
        init(_ l: Language) {
            heading = l.t("统计", "Statistics"); year = l.t("年度", "Year"); unit = l.t("承办单位", "Unit"); allUnits = l.t("全部单位", "All units")
            show = l.t("查看", "Show"); print = l.t("打印", "Print"); back = l.t("返回", "Back"); rates = l.t("办理指标", "Rates")
            rate = l.t("指标", "Rate"); num = l.t("分子", "Numerator"); den = l.t("分母", "Denominator"); percent = l.t("比率", "Percentage")
            categories = l.t("答复类别", "Reply categories"); category = l.t("类别", "Category"); count = l.t("件数", "Count")
            monthly = l.t("按办理时限逐月统计", "Month by month against deadlines"); month = l.t("时限月份", "Deadline month")
            onTime = l.t("按期答复", "Answered on time"); late = l.t("逾期答复", "Answered late"); openOverdue = l.t("逾期未答复", "Open, overdue")
            open = l.t("未到期", "Open, not yet due"); total = l.t("合计", "Total"); figures = l.t("承办情况", "Counts")
            items = l.t("承办件数", "Items"); suggestions = l.t("人大代表建议", "Deputies' suggestions"); proposals = l.t("政协提案", "CPPCC proposals")
            key = l.t("重点件", "Key items"); overdue = l.t("逾期未办复", "Overdue"); noDeadline = l.t("无办理时限", "No deadline")
            elsewhere = l.t("其他月份", "Other months"); jian = l.t("件", "")
            monthlyHint = l.t("按各承办单位的办理时限所在月份归类；会办、协办单位按会办意见时限。",
                              "By the month of each unit's deadline; cooperating units by their opinion deadline.")
        }
    }
    struct Option { let value: String, label: String, selected: Bool }
    struct RateRow { let key: String, name: String, num: Int, den: Int, percent: String }
    struct CountRow { let key: String, label: String, count: Int }
    struct MonthRow { let month: String, onTime: Int, late: Int, openOverdue: Int, open: Int, total: Int }
    struct ReportContext {
        let t: ReportTexts, title: String, prose: String, year: Int, unit: String, isHub: Bool, years: [Option], units: [Option]
        let printHref: String, screenHref: String
        let ratesChart: String, rates: [RateRow], categoriesChart: String, categories: [CountRow], monthlyChart: String, months: [MonthRow]
        let figures: [CountRow], anyNoDeadline: Bool, noDeadline: MonthRow, anyElsewhere: Bool, elsewhere: MonthRow
        let lang: String
    }

    func report(_ request: Request, _ context: WebContext) async throws -> Response {
        let q = request.uri.queryParameters
        let workspace = app.workspace
        let stores = workspace.offices.map(\.store)
        guard !stores.isEmpty else { throw WebError(.notFound, "没有库。") }
        let yearText = q.get("year").map(\.trimmedWhitespace).flatMap { $0.isEmpty ? nil : $0 }
        let unitText = q.get("unit").map(\.trimmedWhitespace).flatMap { $0.isEmpty ? nil : $0 }
        let chosenYear = try yearText.map { text -> Int in
            guard let y = Int(text), (1949...9999).contains(y) else { throw WebError(.badRequest, "年度应为四位数字，如 2025。") }
            return y
        }
        let (report, years, units) = try await offload {
            let today = try workspace.today()
            let unit = try unitText.map { try UnitNames(store: stores[0]).site(named: $0) }
            let year = chosenYear ?? today.year
            let report = try YearReport.compute(stores: stores, unit: unit, year: year, today: today, deadlines: workspace.deadlines)
            var units: [(String, String)] = []
            if stores[0].info.isHub {
                let names = try UnitNames(store: stores[0])
                units = try stores[0].registeredUnits().map { ($0, names[$0].isEmpty ? $0 : names[$0]) }
            }
            return (report, try YearReport.years(stores: stores), units)
        }
        let l = Language(request)
        let t = ReportTexts(l)
        let s = report.statistics
        let place = report.unitName ?? l.t("全\(report.jurisdiction)", "all units")
        let title = l.t("\(s.year)年建议提案办理情况（\(place)）", "\(s.year): suggestions and proposals (\(place))")
        let rates = s.namedRates.map { RateRow(key: $0.key, name: $0.name, num: $0.rate.num, den: $0.rate.den, percent: $0.rate.percent) }
        let categories = ReplyCategory.allCases.map { CountRow(key: $0.rawValue, label: "\($0.rawValue)类 \($0.label)", count: s.categories[$0] ?? 0) }
        let monthLabel = { (m: YearMonth) in m.year == s.year ? l.t("\(m.month)月", "\(m.month)") : l.t("\(m.year)年\(m.month)月", "\(m)") }
        let months = report.monthly.months.map {
            MonthRow(month: monthLabel($0.month), onTime: $0.onTime, late: $0.late, openOverdue: $0.openOverdue, open: $0.open, total: $0.total)
        }
        let series = [Charts.Series(label: t.onTime, key: "onTime", color: "#2e7d32"), Charts.Series(label: t.late, key: "late", color: "#e6a23c"),
                      Charts.Series(label: t.openOverdue, key: "openOverdue", color: "#a3211c")]
        var figures = [CountRow(key: "items", label: t.items, count: s.items),
                       CountRow(key: "suggestion", label: t.suggestions, count: s.byKind[.suggestion] ?? 0),
                       CountRow(key: "proposal", label: t.proposals, count: s.byKind[.proposal] ?? 0)]
        figures += Role.allCases.map { CountRow(key: $0.rawValue, label: $0.label, count: s.byRole[$0] ?? 0) }
        figures += [CountRow(key: "key", label: t.key, count: s.keyItems), CountRow(key: "overdue", label: t.overdue, count: s.overdue)]
        let unitSite = unitText == nil ? "" : (s.unit ?? "")
        func href(print: Bool) -> String {
            "/report?year=\(s.year)" + (unitSite.isEmpty ? "" : "&unit=" + SessionMiddleware.percentEncoded(unitSite)) + (print ? "&print=1" : "")
        }
        let elsewhere = report.monthly.elsewhere, m = report.monthly
        let without = MonthRow(month: t.noDeadline, onTime: m.onTimeWithoutDeadline, late: m.lateWithoutDeadline, openOverdue: 0,
                               open: m.openWithoutDeadline, total: m.onTimeWithoutDeadline + m.lateWithoutDeadline + m.openWithoutDeadline)
        let c = ReportContext(
            t: t, title: title, prose: s.text(unitName: report.unitName, jurisdiction: report.jurisdiction), year: s.year, unit: unitSite,
            isHub: workspace.isHub,
            years: Set(years + [s.year]).sorted(by: >).map { Option(value: "\($0)", label: "\($0)", selected: $0 == s.year) },
            units: [Option(value: "", label: t.allUnits, selected: unitSite.isEmpty)]
                + units.map { Option(value: $0.0, label: $0.1, selected: $0.0 == unitSite) },
            printHref: href(print: true), screenHref: href(print: false),
            ratesChart: Charts.rates(s.namedRates.map { Charts.RateBar(label: $0.name, key: $0.key, rate: $0.rate) }, title: "\(t.rates) · \(place)"),
            rates: rates,
            categoriesChart: Charts.counts(categories.map { ("\($0.key)类", $0.key, $0.count) }, unit: t.jian, title: "\(t.categories) · \(place)"),
            categories: categories,
            monthlyChart: Charts.grouped(months: report.monthly.months.map { m in
                                             // The next year's months keep short labels, under a mark naming the year.
                                             let mark = m.month.month == 1 && m.month.year != s.year ? "\(m.month.year)" : nil
                                             return (l.t("\(m.month.month)月", "\(m.month.month)"), mark)
                                         }, series: series,
                                         values: report.monthly.months.map { [$0.onTime, $0.late, $0.openOverdue] }, title: "\(t.monthly) · \(place)"),
            months: months, figures: figures,
            anyNoDeadline: without.total > 0, noDeadline: without,
            anyElsewhere: elsewhere.total > 0,
            elsewhere: MonthRow(month: t.elsewhere, onTime: elsewhere.onTime, late: elsewhere.late, openOverdue: elsewhere.openOverdue,
                                open: elsewhere.open, total: elsewhere.total),
            lang: l.htmlLang)
        if q.get("print") == "1" { return WebPages.html(StatsTemplates.print.render(c), language: request) }
        return WebPages.page(app, request, context, title: t.heading, current: "/report", body: StatsTemplates.report.render(c))
    }

    // MARK: 排名

    struct Ranked: Sendable {
        let site: String, name: String, assigned: Int, rates: [Rate]
    }

    /// Ranks `rows` by the rate at `index`: the higher share first (compared exactly, num₁·den₂ against num₂·den₁);
    /// a unit with nothing to divide by last; ties share a rank, broken for display by the larger denominator, then
    /// the site. Returns each row with its rank.
    static func rank(_ rows: [Ranked], by index: Int) -> [(rank: Int, row: Ranked)] {
        func share(_ r: Ranked) -> Rate { r.rates[index] }
        func sameShare(_ a: Rate, _ b: Rate) -> Bool { (a.den == 0) == (b.den == 0) && a.num * b.den == b.num * a.den }
        func higher(_ a: Rate, _ b: Rate) -> Bool {
            if a.den == 0 || b.den == 0 { return a.den != 0 && b.den == 0 }
            return a.num * b.den > b.num * a.den
        }
        let sorted = rows.sorted { a, b in
            let x = share(a), y = share(b)
            if !sameShare(x, y) { return higher(x, y) }
            if x.den != y.den { return x.den > y.den }
            return ItemView.naturalOrder(a.site, b.site)
        }
        var out: [(rank: Int, row: Ranked)] = []
        for (i, row) in sorted.enumerated() {
            let rank = i > 0 && sameShare(share(sorted[i - 1]), share(row)) ? out[i - 1].rank : i + 1
            out.append((rank, row))
        }
        return out
    }

    struct RankTexts {
        let heading, year, show, rank, unit, assigned, none, hint: String
        init(_ l: Language) {
            heading = l.t("排名：各承办单位办理指标", "Ranking of units by the report's rates"); year = l.t("年度", "Year"); show = l.t("查看", "Show")
            rank = l.t("名次", "Rank"); unit = l.t("承办单位", "Unit"); assigned = l.t("承办件次", "Assignments")
            none = l.t("这一年没有交办给任何单位的事项。", "Nothing was assigned to any unit this year.")
            hint = l.t("点击指标名称按该指标排序；没有承办事项的单位不参加排名，分母为 0 的指标记为“—”并排在最后。",
                       "Choose a rate to order by; units with nothing assigned are not ranked, and a rate with nothing to count shows “—” and comes last.")
        }
    }
    struct Column { let key: String, name: String, href: String, cls: String }
    struct Cell { let percent: String, num: Int, den: Int }
    struct RankRow { let rank: Int, site: String, name: String, href: String, assigned: Int, cells: [Cell] }
    struct RankContext { let t: RankTexts, year: Int, sort: String, years: [Option], columns: [Column], rows: [RankRow] }

    func ranking(_ request: Request, _ context: WebContext) async throws -> Response {
        let q = request.uri.queryParameters
        let workspace = app.workspace
        guard let store = workspace.offices.first?.store else { throw WebError(.notFound, "没有库。") }
        let yearText = q.get("year").map(\.trimmedWhitespace).flatMap { $0.isEmpty ? nil : $0 }
        let chosenYear = try yearText.map { text -> Int in
            guard let y = Int(text), (1949...9999).contains(y) else { throw WebError(.badRequest, "年度应为四位数字，如 2025。") }
            return y
        }
        let (year, ranked, years, keys, names) = try await offload {
            let today = try workspace.today()
            let year = chosenYear ?? today.year
            // One read of the year's items; each unit counted as `banli report --unit SITE` counts it at the hub.
            let views = try store.itemsWithCategoryHistory(year: year)
            let names = try UnitNames(store: store)
            let sites = Set(try store.registeredUnits() + views.flatMap(\.assignedSites)).subtracting([store.info.hubSite])
            let rows = sites.compactMap { site -> Ranked? in
                let s = Statistics.compute(items: views, unit: site, year: year, today: today, deadlines: workspace.deadlines)
                guard s.reply.den > 0 else { return nil }
                return Ranked(site: site, name: names[site].isEmpty ? site : names[site], assigned: s.reply.den, rates: s.namedRates.map(\.rate))
            }
            let empty = Statistics.compute(items: [], unit: nil, year: year, today: today, deadlines: workspace.deadlines)
            return (year, rows, try YearReport.years(stores: [store]), empty.namedRates.map(\.key), empty.namedRates.map(\.name))
        }
        let sortKey = q.get("sort").flatMap { keys.contains($0) ? $0 : nil } ?? keys[0]
        let index = keys.firstIndex(of: sortKey) ?? 0
        let l = Language(request)
        let columns = zip(keys, names).map { key, name in
            Column(key: key, name: name, href: "/ranking?year=\(year)&sort=\(key)", cls: key == sortKey ? "current" : "")
        }
        let rows = Self.rank(ranked, by: index).map { r in
            RankRow(rank: r.rank, site: r.row.site, name: r.row.name, href: "/report?year=\(year)&unit=" + SessionMiddleware.percentEncoded(r.row.site),
                    assigned: r.row.assigned, cells: r.row.rates.map { Cell(percent: $0.percent, num: $0.num, den: $0.den) })
        }
        let c = RankContext(
            t: RankTexts(l), year: year, sort: sortKey,
            years: Set(years + [year]).sorted(by: >).map { Option(value: "\($0)", label: "\($0)", selected: $0 == year) },
            columns: columns, rows: rows)
        return WebPages.page(app, request, context, title: RankTexts(l).heading, current: "/ranking", body: StatsTemplates.ranking.render(c))
    }

    // MARK: 征询意见表

    /// The form `banli item form` prints, as its own page: the same code, the same bytes.
    func feedbackForm(_ request: Request, _ context: WebContext) async throws -> Response {
        guard let key = context.parameters.get("office"), let office = app.workspace.office(key), let id = context.parameters.get("id"),
              let siteText = context.parameters.get("site") else {
            throw WebError(.notFound, "没有这个事项，请从办理事项列表进入。")
        }
        let page = try await offload {
            guard let view = try office.store.item(id) else { throw WebError(.notFound, "没有事项 \(id.prefix(60))。") }
            let names = try UnitNames(store: office.store)
            let site = try names.site(named: siteText)
            guard let a = view.assignments[site], a.role != nil else {
                throw WebError(.notFound, "事项 \(id.prefix(60)) 没有交办给这个单位，请从事项页面的承办单位处打开征询意见表。")
            }
            guard !a.isCooperating else {
                throw WebError(.unprocessableContent, "\(a.role?.label ?? "")单位不单独答复，征询意见表随主办单位的答复一起寄出。")
            }
            return FeedbackForm.html(item: view, site: site, unitName: names[site], settings: try office.store.officeSettings())
        }
        var response = WebPages.html(page, language: request)
        response.headers[.contentSecurityPolicy] = Self.policy(allowingStyleOf: page)
        return response
    }

    /// The workbench's policy, allowing exactly the form's own `<style>` element by its hash (the form is a whole
    /// page with its style inside, so that the CLI's file prints alone); every other inline style stays refused.
    static func policy(allowingStyleOf page: String) -> String {
        let base = SecurityHeadersMiddleware.contentSecurityPolicy
        guard let open = page.range(of: "<style>"), let close = page.range(of: "</style>", range: open.upperBound..<page.endIndex) else { return base }
        let hash = Data(Digest.sha256(Array(page[open.upperBound..<close.lowerBound].utf8))).base64EncodedString()
        return base.replacingOccurrences(of: "style-src 'self'", with: "style-src 'self' 'sha256-\(hash)'")
    }
}
