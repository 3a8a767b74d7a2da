@testable import BanliWeb
import BanliAccounts
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliOps
import BanliPages
import BanliStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TestSupport

/// 统计, 排名 and the 征询意见表 served in process over a temporary hub store holding `OfficeSample`'s year, with
/// hostile unit names and a hostile title: the figures are `Statistics`', the bars are drawn to scale, and no
/// markup from the data is live anywhere.
final class StatsPagesTests: Sendable {
    static let today = ISODate("2025-11-30")!
    static let hostileUnit = "<script>alert(1)</script>经信局"
    static let hostileUnit2 = #""><svg onload=alert(2)>发改委"#
    static let hostileTitle = #"关于"><svg onload=alert(3)><script>alert(4)</script>的建议"#

    let dir: String
    let store: Store
    let accounts: Accounts

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("banli-stats-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try Store.create(at: dir + "/hub.db", site: "hub", name: "督查室", hubSite: "hub", isHub: true)
        _ = try store.addUnit(site: "jxj", name: Self.hostileUnit)
        _ = try store.addUnit(site: "fgw", name: Self.hostileUnit2)
        _ = try store.addUnit(site: "swj", name: "市商务局")
        _ = try store.addUnit(site: "mzj", name: "市民政局")
        var writes = OfficeSample.year2025.map { LocalWrite(entity: $0.0, field: $0.1, value: $0.2) }
        writes += OfficeSample.writes.map { LocalWrite(entity: $0.0, field: $0.1, value: $0.2) }
        // fgw answers zx-2025-4 late (due 06-20) and is satisfied with: first in 办复率 and 满意率, last in 按期办复率.
        writes += [LocalWrite(.assignment(item: "zx-2025-4", site: "fgw"), "replyAt", .string("2025-06-25")),
                   LocalWrite(.assignment(item: "zx-2025-4", site: "fgw"), "replyCategory", .string("B")),
                   LocalWrite(.feedback(item: "zx-2025-4", site: "fgw"), "evaluation", .string("satisfied")),
                   LocalWrite(.item(id: "rd-2025-1"), "title", .string(Self.hostileTitle))]
        try store.write(writes)
        accounts = Accounts(store: try AccountDatabase.open(at: dir + "/web.db"))
        try accounts.addUser("wang", role: .office, password: "办理-2025-password", now: 1)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func app() throws -> WebApp {
        let workspace = Workspace(offices: [WebOffice(key: "hub", name: "督查室", store: store)], deadlines: Deadlines(), today: { Self.today })
        return WebApp(workspace: workspace, accounts: accounts, settings: WebSettings(listen: try ListenAddress(parsing: "127.0.0.1:8490", option: "listen")),
                      logger: Logger(label: "test"))
    }

    /// GETs each path as the signed-in office worker.
    func get(_ paths: [String]) async throws -> [(status: HTTPResponse.Status, body: String, headers: HTTPFields)] {
        let now = HybridLogicalClock.wallMilliseconds()
        guard case .signedIn(let token, _) = try accounts.logIn(name: "wang", password: "办理-2025-password", address: "127.0.0.1", now: now) else {
            throw WebError(.forbidden, "the test user could not sign in")
        }
        return try await Application(router: try app().router()).test(.router) { client in
            var out: [(status: HTTPResponse.Status, body: String, headers: HTTPFields)] = []
            for path in paths {
                let r = try await client.execute(uri: path, method: .get, headers: [.cookie: "banli_session=\(token)"])
                out.append((r.status, String(buffer: r.body), r.headers))
            }
            return out
        }
    }

    func get(_ path: String) async throws -> String {
        let r = try await get([path])[0]
        #expect(r.status == .ok, "\(path): \(r.body.prefix(400))")
        return r.body
    }

    func statistics(unit: String?) throws -> Statistics {
        Statistics.compute(items: try store.itemsWithCategoryHistory(year: 2025), unit: unit, year: 2025, today: Self.today, deadlines: Deadlines())
    }

    /// Every match of `pattern`'s first capture groups in `text`.
    func matches(_ pattern: String, in text: String) throws -> [[String]] {
        let re = try NSRegularExpression(pattern: pattern)
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { m in
            (1..<m.numberOfRanges).map { Range(m.range(at: $0), in: text).map { String(text[$0]) } ?? "" }
        }
    }

    /// The rates table's rows: key → (num, den, percent).
    func rateRows(_ page: String) throws -> [String: (Int, Int, String)] {
        let cells = #"<td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">([^<]*)</td>"#
        let rows = try matches(#"<tr data-rate="(\w+)"><td>[^<]*</td>"# + cells, in: page)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0], (Int($0[1])!, Int($0[2])!, $0[3])) })
    }

    /// The rate chart's bars: key → (num, den, width).
    func rateBars(_ page: String) throws -> [String: (Int, Int, Double)] {
        let svg = try #require(try matches(#"(<svg[^>]*class="chart rates"[\s\S]*?</svg>)"#, in: page).first?.first)
        let bars = try matches(#"<rect class="bar" data-key="(\w+)" data-num="(\d+)" data-den="(\d+)" [^>]*width="([\d.]+)""#, in: svg)
        return Dictionary(uniqueKeysWithValues: bars.map { ($0[0], (Int($0[1])!, Int($0[2])!, Double($0[3])!)) })
    }

    @Test func theRatesAreTheReportsWithBarsToScale() async throws {
        let page = try await get("/report?year=2025")
        let s = try statistics(unit: nil)
        let rows = try rateRows(page), bars = try rateBars(page)
        #expect(rows.count == 6)
        for r in s.namedRates {
            let row = try #require(rows[r.key])
            #expect(row.0 == r.rate.num && row.1 == r.rate.den && row.2 == r.rate.percent, "\(r.name)")
            let bar = try #require(bars[r.key], "\(r.name) has a bar")
            #expect(bar.0 == r.rate.num && bar.1 == r.rate.den)
            #expect(abs(bar.2 - Charts.barLength * Double(r.rate.num) / Double(r.rate.den)) <= 0.05, "\(r.name): \(bar.2)")
            #expect(page.contains("\(r.rate.percent)（\(r.rate.num)/\(r.rate.den)）"), "the chart writes \(r.name)'s figures beside its bar")
        }
        // The figures the page shows are the CLI's text, word for word.
        #expect(page.contains(HTML.escape(s.text(unitName: nil, jurisdiction: "市"))))
        // Categories and the month-by-month chart are drawn.
        for c in ReplyCategory.allCases {
            #expect(page.contains(#"<tr data-category="\#(c.rawValue)"><td>\#(c.rawValue)类 \#(c.label)</td><td class="num">\#(s.categories[c] ?? 0)</td>"#))
        }
        let monthly = try matches(#"<rect class="bar" data-month="(\d+)" data-key="(\w+)" data-count="(\d+)""#, in: page)
        let drawn = monthly.reduce(into: [String: Int]()) { $0[$1[1], default: 0] += Int($1[2])! }
        let m = MonthlyDeadlines.compute(items: try store.itemsWithCategoryHistory(year: 2025), unit: nil, year: 2025, today: Self.today,
                                         deadlines: Deadlines())
        #expect(drawn["onTime"] == m.months.map(\.onTime).reduce(0, +))
        #expect(drawn["late"] == m.months.map(\.late).reduce(0, +))
        #expect(drawn["openOverdue"] == m.months.map(\.openOverdue).reduce(0, +))
        #expect(page.contains(">1月</text>") && page.contains(">12月</text>"))
    }

    @Test func anEmptyDenominatorShowsADashAndDrawsNoBar() async throws {
        // swj's only assignment was reassigned away: every rate of its report is 0/0.
        let page = try await get("/report?year=2025&unit=swj")
        let s = try statistics(unit: "swj")
        #expect(s.reply.den == 0, "swj was reassigned away: nothing is counted")
        let rows = try rateRows(page), bars = try rateBars(page)
        for r in s.namedRates {
            #expect(rows[r.key].map { $0.2 } == "—", "\(r.name) shows a dash, not 0 %")
            #expect(bars[r.key] == nil, "\(r.name) draws no bar")
        }
        #expect(!page.contains("0%（0/0）") && page.contains("—（0/0）"))
        // fgw replied to zx-2025-4 with no contact before it: 沟通率 0/1 draws a bar of length 0, not no bar.
        let fgw = try await get("/report?year=2025&unit=fgw")
        let sf = try statistics(unit: "fgw")
        #expect(sf.communication == Rate(0, 1))
        #expect(try rateBars(fgw)["communication"]?.2 == 0)
    }

    @Test func hostileNamesAndTitlesAreInertInTheChartsAndTables() async throws {
        let pages = try await get(["/report?year=2025&unit=jxj", "/report?year=2025&unit=fgw", "/report?year=2025&unit=jxj&print=1",
                                   "/ranking?year=2025", "/items/hub/rd-2025-1/form/jxj"])
        for (n, page) in pages.enumerated() {
            #expect(page.status == .ok, "\(n): \(page.body.prefix(300))")
            for live in ["<script>alert", "<svg onload", "\"><svg"] { #expect(!page.body.contains(live), "page \(n) holds \(live) live") }
        }
        let jxj = pages[0].body, fgw = pages[1].body
        // Inside the SVG: the chart's title names the unit, escaped.
        let svg = try #require(try matches(#"(<svg[^>]*class="chart rates"[\s\S]*?</svg>)"#, in: jxj).first?.first)
        #expect(svg.contains("<title>办理指标 · &lt;script&gt;alert(1)&lt;/script&gt;经信局</title>"), "\(svg.prefix(400))")
        #expect(try matches("(<svg)", in: jxj).count == 3, "three charts and no other SVG")
        #expect(try matches("(<script)", in: jxj).count == 1, "only the workbench's own script")
        #expect(fgw.contains("&quot;&gt;&lt;svg onload=alert(2)&gt;发改委"))
        #expect(pages[3].body.contains("&lt;script&gt;alert(1)&lt;/script&gt;经信局"))
        #expect(pages[4].body.contains("关于&quot;&gt;&lt;svg onload=alert(3)&gt;&lt;script&gt;alert(4)&lt;/script&gt;的建议"))
        // The print view: the same report, no menu and no form.
        let print = pages[2].body
        #expect(print.contains("class=\"chart rates\"") && !print.contains("class=\"menu\"") && !print.contains("<form"))
    }

    /// The ranking's rows, top down: site and the cell texts.
    func ranking(_ page: String) throws -> [String] {
        try matches(#"<tr data-site="(\w+)">"#, in: page).map { $0[0] }
    }

    @Test func unitsAreRankedByTheChosenRate() async throws {
        let pages = try await get(["/ranking?year=2025", "/ranking?year=2025&sort=onTime", "/ranking?year=2025&sort=satisfaction",
                                   "/ranking?year=2025&sort=nonsense"])
        let jxj = try statistics(unit: "jxj"), fgw = try statistics(unit: "fgw")
        // By hand: fgw 3/3 replied, 1/3 on time, 1/1 satisfied; jxj 4/6, 3/6, 3/4.
        #expect(fgw.reply == Rate(3, 3) && fgw.onTime == Rate(1, 3) && fgw.satisfaction == Rate(1, 1))
        #expect(jxj.reply == Rate(4, 6) && jxj.onTime == Rate(3, 6) && jxj.satisfaction == Rate(3, 4))
        #expect(try ranking(pages[0].body) == ["fgw", "jxj"], "办复率 by default; swj (withdrawn) and mzj (nothing assigned) are not ranked")
        #expect(try ranking(pages[1].body) == ["jxj", "fgw"])
        #expect(try ranking(pages[2].body) == ["fgw", "jxj"])
        #expect(try ranking(pages[3].body) == ["fgw", "jxj"], "an unknown rate orders by the first")
        // Each row shows num/den, and the chosen column is marked.
        #expect(pages[1].body.contains("50% <span class=\"meta\">3/6</span>"))
        #expect(pages[1].body.contains(#"<th class="current" data-sort="onTime"><a href="/ranking?year=2025&amp;sort=onTime">"#))
    }

    @Test func tiesShareARankAndAnEmptyRateComesLast() {
        let rows = [StatsRoutes.Ranked(site: "a", name: "a", assigned: 3, rates: [Rate(2, 3)]),
                    StatsRoutes.Ranked(site: "b", name: "b", assigned: 6, rates: [Rate(4, 6)]),
                    StatsRoutes.Ranked(site: "c", name: "c", assigned: 0, rates: [Rate(0, 0)]),
                    StatsRoutes.Ranked(site: "d", name: "d", assigned: 5, rates: [Rate(5, 5)]),
                    StatsRoutes.Ranked(site: "e", name: "e", assigned: 5, rates: [Rate(0, 5)])]
        let ranked = StatsRoutes.rank(rows, by: 0)
        #expect(ranked.map(\.row.site) == ["d", "b", "a", "e", "c"])
        #expect(ranked.map(\.rank) == [1, 2, 2, 4, 5])
    }

    @Test func theFormPageIsTheCLIsFormWithItsReply() async throws {
        let r = try await get(["/items/hub/rd-2025-39/form/jxj", "/items/hub/rd-2025-39/form/fgw", "/items/hub/rd-2025-39/form/nobody",
                               "/items/hub/rd-2025-39"])
        let form = r[0]
        #expect(form.status == .ok)
        let view = try #require(try store.item("rd-2025-39"))
        #expect(form.body == FeedbackForm.html(item: view, site: "jxj", unitName: Self.hostileUnit, settings: try store.officeSettings()))
        #expect(form.body.contains("工作已推进 措施得力") && form.body.contains("满意 ☑") && form.body.contains("(代表建议〔2025〕39号)"))
        // Its own style element is allowed by hash, nothing else inline.
        let policy = try #require(form.headers[.contentSecurityPolicy])
        #expect(policy.contains("style-src 'self' 'sha256-") && policy.contains("script-src 'self';"))
        #expect(r[1].status == .unprocessableContent, "a cooperating unit has no form of its own")
        #expect(r[2].status != .ok)
        // The item page links to the lead unit's form, not to the cooperating unit's.
        #expect(r[3].body.contains(#"<a class="feedback-form" href="/items/hub/rd-2025-39/form/jxj">征询意见表</a>"#))
        #expect(!r[3].body.contains("/form/fgw"))
    }

    @Test func theYearSelectorOffersTheStoresYearsAndBadYearsAreRefused() async throws {
        let r = try await get(["/report", "/report?year=2024", "/report?year=abc", "/report?year=2025&unit=nosuchunit"])
        #expect(r[0].body.contains(#"<option value="2025" selected>2025</option>"#), "today's year by default")
        #expect(r[0].body.contains(#"<option value="2024">2024</option>"#))
        #expect(r[1].body.contains("2024年建议提案办理情况"))
        #expect(r[2].status == .badRequest && r[2].body.contains("年度应为四位数字"))
        #expect(r[3].status != .ok && r[3].body.contains("nosuchunit"))
        #expect(r[0].body.contains(#"<a href="/report" class="current">统计</a>"#) && r[0].body.contains(#"<a href="/ranking" class="">排名</a>"#))
    }

    @Test func theFaviconRequestLeavesTheLoginFormsTokenAlone() async throws {
        let r = try await Application(router: try app().router()).test(.router) { client in
            try await client.execute(uri: "/favicon.ico", method: .get)
        }
        #expect(r.status == .noContent)
        #expect(r.headers[.setCookie] == nil, "no new login token replaces the one in the form being filled")
    }
}
