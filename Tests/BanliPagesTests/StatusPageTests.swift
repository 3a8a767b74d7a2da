import BanliCore
import BanliOffice
import BanliPages
import TestSupport
import Testing

@Suite struct StatusPageTests {
    typealias Report = HubStatusReport

    /// A report with one unit in each state, chases and a conflict; every text slot comes from `text`.
    static func report(_ text: () -> String) -> Report {
        func unit(_ site: String, lastSyncAt: Int64?, lastError: UnitFailure?, stale: Bool) -> Report.Unit {
            Report.Unit(site: site, name: text(), lastSyncAt: lastSyncAt, lastSuccessAt: lastSyncAt, lastError: lastError, stale: stale,
                        backlog: 2, rejected: 1, clockOffsetMs: lastSyncAt.map { _ in -40 }, clientVersion: text(), items: 3, overdue: 1)
        }
        let units = [
            unit(text(), lastSyncAt: 1_740_816_000_000, lastError: nil, stale: false),
            unit(text(), lastSyncAt: 1_740_816_000_000, lastError: nil, stale: true),
            unit(text(), lastSyncAt: nil, lastError: nil, stale: true),
            unit(text(), lastSyncAt: 1_740_816_000_000, lastError: .recorded(text()), stale: false),
        ]
        let due = ISODate(year: 2025, month: 3, day: 1)
        func chases() -> [Report.Chase] {
            [.init(id: text(), title: text(), dueAt: due, overdue: true, stage: .handling, role: "lead"),
             .init(id: text(), title: text(), dueAt: due, overdue: false, stage: .pending, role: nil)]
        }
        // The hub id and the roles are not on the page; every other string is.
        var report = Report(
            hub: .init(site: text(), hubId: "hub-store", timeMilliseconds: 1_740_816_000_000, version: text()),
            units: units,
            totals: .init(units: 4, stale: 2, items: 7, overdue: 1, conflicts: 1, failing: 1),
            attention: [units[0].site: chases(), "zz-" + text(): chases()],
            conflicts: [.init(entity: .item(id: text()), field: text(), label: text(),
                              values: [.init(site: text(), value: .string(text())), .init(site: text(), value: .string(text()))])])
        report.reminders = .init(failing: 2, lastError: text(), lastFailureAt: 1_740_815_940_000)
        return report
    }

    /// The query that opens `site`'s 督办 list.
    static func listOf(_ site: String) -> StatusQuery {
        var q = StatusQuery()
        q.unit = site
        return q
    }

    @Test func unitRowsCarryTheirStateClassAndSiteWhatIsWrongFirst() {
        let page = StatusPage.render(Self.report { "x" }, language: .zh, refreshSeconds: 10)
        let report = Self.report { "x" }
        #expect(report.units.map(\.state) == [.ok, .stale, .neverSynced, .failing(reason: .recorded("x"))])
        let rows = page.split(separator: "\n").filter { $0.hasPrefix("<tr class=\"unit") }
        #expect(rows.count == 4)
        #expect(rows[0].hasPrefix(#"<tr class="unit failing" data-site="x"><td>x</td><td>x</td><td class="state">同步失败：x</td>"#))
        #expect(rows[1].contains(#"<tr class="unit stale" data-site="x">"#) && rows[1].contains("失联：超过预期同步间隔未联系"))
        #expect(rows[2].contains(#"<tr class="unit stale" data-site="x">"#) && rows[2].contains("从未同步") && rows[2].contains("<td>—</td>"))
        #expect(rows[3].hasPrefix(#"<tr class="unit ok" data-site="x"><td>x</td><td>x</td><td class="state">正常</td>"#))
        // Beijing time, with the age against the report's time.
        #expect(rows[3].contains("<td>2025-03-01 16:00（刚刚）</td>") && rows[3].contains(#"<td class="num">-40</td>"#))
    }

    @Test func labelsInChineseAndInEnglish() {
        let zh = StatusPage.render(Self.report { "x" }, language: .zh, refreshSeconds: 10, query: Self.listOf("x"))
        for label in ["<html lang=\"zh-CN\">", "Banli 建议提案办理同步状态", "交办机关 x · banli x", "每10秒自动刷新", "承办单位", "最近同步",
                      "督办：逾期及7日内到期", "未解决冲突", "<span class=\"bad\">同步失败 1</span>", "<span class=\"warn\">失联 2</span>",
                      "<span>建议提案 7</span>", "时限 2025-03-01，办理中 <strong>逾期</strong>", "时限 2025-03-01，待签收</li>",
                      "<a href=\"?lang=en\">English</a>", "<meta http-equiv=\"refresh\" content=\"10\">", "<td>item/x</td><td>x x</td><td>x：x<br>x：x</td>",
                      "更新于 2025-03-01 16:00", ">全部 4</a>", ">同步失败 1</a>", ">正常 1</a>", "查找单位"] {
            #expect(zh.contains(label), "\(label)")
        }
        let en = StatusPage.render(Self.report { "x" }, language: .en, refreshSeconds: 30, query: Self.listOf("x"))
        for label in ["<html lang=\"en\">", "Failing: x", "Stale: no contact", "Never synced", "refreshes every 30 s", "due 2025-03-01，handling",
                      "<strong>overdue</strong>", "<a href=\"?lang=zh\">中文</a>", "Open conflicts", "（just now）",
                      "href=\"?state=failing&amp;unit=x&amp;lang=en\""] {
            #expect(en.contains(label), "\(label)")
        }
        #expect(!en.contains("失联") && !en.contains("同步失败"))
    }

    @Test func emptyReportSaysNone() {
        let report = Report(hub: .init(site: "hub", hubId: "h", timeMilliseconds: 0, version: "0.2.0"), units: [],
                            totals: .init(units: 0, stale: 0, items: 0, overdue: 0, conflicts: 0, failing: 0), attention: [:], conflicts: [])
        let page = StatusPage.render(report, language: .zh, refreshSeconds: 10)
        #expect(page.components(separatedBy: "<p class=\"empty\">无</p>").count == 3)
        #expect(!page.contains("<table id=\"conflicts\">") && !page.contains("<tr class=\"unit"))
        #expect(page.contains("<span class=\"\">同步失败 0</span>"))
        #expect(page.contains("<span class=\"\">最近一天没有发送失败</span>") && !page.contains("reminder-error"))
    }

    @Test func failingRemindersShowWithTheirLastError() {
        let page = StatusPage.render(Self.report { "x" }, language: .zh, refreshSeconds: 10)
        #expect(page.contains("<span class=\"bad\">最近一天发送失败 2 封，正按退避间隔重试</span>"))
        #expect(page.contains("<p class=\"meta reminder-error\">最近一次失败：2025-03-01 15:59（1分钟前） x</p>"), "\(page)")
        // A failure the channel typed is said in Chinese on the Chinese page and in English on the English one.
        let failure = ReminderFailure(.mail, .loginDenied, target: "smtps://mail.example.gov.cn:465", detail: "Login denied")
        func line(_ page: String) -> Substring {
            page.split(separator: "\n").first { $0.contains("reminder-error") } ?? ""
        }
        let zh = line(StatusPage.render(Self.report { failure.stored }, language: .zh, refreshSeconds: 10))
        #expect(zh.contains("（1分钟前） 督办提醒邮件没有发出：邮件服务器 smtps://mail.example.gov.cn:465 拒绝了用户名或密码；") && !zh.contains("Login"), "\(zh)")
        let en = line(StatusPage.render(Self.report { failure.stored }, language: .en, refreshSeconds: 10))
        #expect(en.contains("A reminder e-mail was not sent: smtps://mail.example.gov.cn:465 (Login denied)"), "\(en)")
    }

    @Test func hostileTextInEverySlotStaysText() {
        // Two pages per report: each opens one of the two units' 督办 lists, so that every text slot is on one of them.
        func pages(_ r: Report, _ language: StatusPage.Language) -> [String] {
            r.attention.keys.sorted().map { StatusPage.render(r, language: language, refreshSeconds: 10, query: Self.listOf($0)) }
        }
        let reference = Self.report { "x" }
        let expected = [StatusPage.Language.zh, .en].map { pages(reference, $0).map(PageMarkup.init) }
        #expect(expected.joined().allSatisfy { $0.problems.isEmpty && $0.tags.count > 100 })
        for seed in UInt64(1)...50 {
            var slots = PageSlots(seed: seed)
            var used: [String] = []
            let report = Self.report {
                let s = slots.next()
                used.append(s)
                return s
            }
            for (language, expected) in zip([StatusPage.Language.zh, .en], expected) {
                let htmls = pages(report, language)
                for (html, expected) in zip(htmls, expected) {
                    let markup = PageMarkup(html)
                    #expect(markup.problems.isEmpty, "seed \(seed): \(markup.problems)")
                    #expect(markup.without(valuesOf: "data-site").without(valuesOf: "href").without(valuesOf: "value")
                        == expected.without(valuesOf: "data-site").without(valuesOf: "href").without(valuesOf: "value"), "seed \(seed): \(html)")
                    #expect(!html.lowercased().contains("<script") && !html.contains("<img"), "seed \(seed)")
                }
                let shown = htmls.map(PageScalars.init)
                for s in used { #expect(shown.contains { $0.shows(s) }, "seed \(seed): \(s.debugDescription) missing") }
            }
        }
    }
}
