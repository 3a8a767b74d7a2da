import BanliCore
import Foundation
import GRDB
import Testing
import TestSupport

/// The 办理工作台 in a real browser (Debian's Chromium through chromedriver), over real stores, a real hub and real
/// syncs: what a clerk and the office's staff do by clicking, and what an attacker in the same browser cannot do.
@Suite(.serialized) struct WorkbenchBrowserTests {
    static let item = "rd-2025-39"
    static let reply = "已将该小区纳入2026年老旧小区改造计划，年内完成雨污分流和加装电梯，并已与代表当面沟通。"
    static let secondReply = "经重新办理，改造方案已征求居民意见并调整，计划于2026年6月底前开工。"
    static let hostileReply = #"已列入2026年改造计划。<script>window.__banli_xss = 1</script><img src=x onerror="window.__banli_xss = 2">"#

    func logIn(_ browser: Browser, _ bench: Workbench, _ name: String, password: String = Workbench.password, refused: Bool = false) throws {
        try browser.open(bench.url + "/login")
        try browser.find("input[name=name]").type(name)
        try browser.find("input[name=password]").type(password)
        try browser.submit("#login")
        if !refused, try browser.currentURL.contains("/login") {
            Issue.record("\(name) was not let in: \(try browser.visibleText)")
        }
    }

    /// Opens a folded step's form on the item page, fills it, and submits it (accepting a confirmation).
    func step(_ browser: Browser, _ id: String, confirm: Bool = false, fill: (WebElement) throws -> Void = { _ in }) throws {
        let details = try browser.find("#step-\(id)")
        try details.find("summary").click()
        try fill(details)
        // Marks this page, so that the wait below sees the answer's page and not this one (which may say done= already).
        _ = try browser.execute("window.__banli_before_step = true; return true")
        try details.find("button[type=submit]").click()
        if confirm { try browser.acceptAlert() }
        try browser.waitUntil("the step's answer") {
            try browser.execute("return window.__banli_before_step === undefined") == .bool(true)
                && (try browser.currentURL.contains("done=") || !(try browser.findAll("p.error").isEmpty))
        }
    }

    /// `BANLI_SCREENSHOTS=DIR` keeps a full-page screenshot of the page as DIR/NAME (the README's pictures in docs/).
    func keep(_ browser: Browser, as name: String) throws {
        guard let dir = ProcessInfo.processInfo.environment["BANLI_SCREENSHOTS"], !dir.isEmpty else { return }
        _ = try browser.screenshot(to: dir + "/" + name, fullPage: true)
    }

    /// The day `n` days before today at the office (UTC+8), as a date input takes it.
    static func daysAgo(_ n: Int) -> String { ISODate(unixMilliseconds: UInt64(HybridLogicalClock.wallMilliseconds())).addingDays(-n).description }

    /// Sets a date input (typing into one depends on the browser's locale).
    func setDate(_ browser: Browser, _ css: String, daysAgo n: Int) throws {
        _ = try browser.execute("document.querySelector(arguments[0]).value = arguments[1]; return true", .string(css), .string(Self.daysAgo(n)))
    }

    /// 交办 on the office's /new page: the item, with jxj as its lead unit, `daysAgo` days ago.
    func assignNewItem(_ browser: Browser, _ office: Workbench, daysAgo: Int) throws {
        try browser.open(office.url + "/new")
        try browser.select("select[name=kind]", value: "suggestion")
        try browser.find("input[name=year]").type("2025")
        try browser.find("input[name=number]").type("39")
        try browser.find("input[name=title]").type("关于加快老旧小区改造的建议")
        try browser.find("input[name=proposers]").type("张三、李四")
        try browser.select("select[name=unit1]", value: "jxj")
        try browser.select("select[name=role1]", value: "lead")
        try setDate(browser, "input[name=assignedAt]", daysAgo: daysAgo)
        try browser.submit("#create")
        try browser.waitUntil { try browser.currentURL.contains("/items/hub/\(Self.item)") }
        #expect(try browser.find("h1").text.contains("关于加快老旧小区改造的建议"))
        #expect(try browser.find("#unit-jxj h2").text.contains("待签收"))
    }

    /// 答复 on the item page: category A and `text`, `daysAgo` days ago.
    func reply(_ browser: Browser, _ text: String, daysAgo: Int = 0) throws {
        try step(browser, "reply") { form in
            try setDate(browser, "#step-reply input[name=at]", daysAgo: daysAgo)
            try browser.select("#step-reply select[name=category]", value: "A")
            try form.find("textarea[name=text]").type(text)
        }
        try expectNotice(browser, "已完成：答复")
    }

    func notice(_ browser: Browser) throws -> String { try browser.findAll("p.notice, p.error").map { try $0.text }.joined(separator: " ") }

    func expectNotice(_ browser: Browser, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let shown = try notice(browser)
        #expect(shown.contains(text), "the page says: \(shown)", sourceLocation: sourceLocation)
    }

    @Test func oneItemsWholeLifeByClicking() throws {
        let cluster = try Cluster(units: ["jxj", "fgw"], names: ["jxj": "市经济和信息化局", "fgw": "市发展和改革委员会"])
        try cluster.startHub()
        let office = Workbench(cluster, store: "hub"), bureau = Workbench(cluster, store: "jxj")
        try office.addUser("wang", role: "office")
        try bureau.addUser("li", role: "clerk")
        try office.start()
        try bureau.start()
        let browser = try Browser.start()
        defer { browser.quit() }

        // 交办 at the office: a new item with its lead unit, days ago, so that the order of reply, 重新办理 and the new
        // reply is in their dates.
        try logIn(browser, office, "wang")
        try assignNewItem(browser, office, daysAgo: 4)

        // At the bureau: sync now, then 签收 and 答复 on the item page.
        try logIn(browser, bureau, "li")
        #expect(try browser.find("#sync-now").isDisplayed)
        try browser.submit("#sync-now")
        try expectNotice(browser, "同步完成")
        try keep(browser, as: "workbench-dashboard.png")
        try browser.open(bureau.url + "/items")
        try browser.find("a[href='/items/hub/\(Self.item)']").click()
        try step(browser, "accept") { _ in try setDate(browser, "#step-accept input[name=at]", daysAgo: 4) }
        try expectNotice(browser, "已完成：签收")
        #expect(try browser.findAll("#step-accept").isEmpty, "signed for: the form is gone")
        try reply(browser, Self.reply, daysAgo: 3)
        try browser.open(bureau.url + "/")
        try browser.submit("#sync-now")

        // At the office: the reply arrived; 不满意, so 重新办理.
        try browser.deleteCookie("banli_session")
        try logIn(browser, office, "wang")
        try browser.open(office.url + "/items/hub/\(Self.item)")
        #expect(try browser.find("#unit-jxj").text.contains(Self.reply))
        try step(browser, "feedback-jxj") { _ in try browser.select("#step-feedback-jxj select[name=evaluation]", value: "unsatisfied") }
        try expectNotice(browser, "已完成：录入征询意见")
        try step(browser, "rehandle-jxj", confirm: true) { _ in try setDate(browser, "#step-rehandle-jxj input[name=at]", daysAgo: 2) }
        try expectNotice(browser, "已完成：重新办理")
        #expect(try browser.findAll("#step-close").isEmpty, "being handled again: 办结 is not offered")

        // The bureau answers again after its sync, on a phone.
        try cluster.sync("jxj")
        let phone = try Browser.start(.phone())
        defer { phone.quit() }
        try logIn(phone, bureau, "li")
        try phone.open(bureau.url + "/items/hub/\(Self.item)")
        #expect(try phone.execute("return document.documentElement.scrollWidth <= window.innerWidth;") == .bool(true), "no sideways scrolling")
        try reply(phone, Self.secondReply)
        try cluster.sync("jxj")

        // At the office: 满意, then 办结.
        try browser.open(office.url + "/items/hub/\(Self.item)")
        #expect(try browser.find("#unit-jxj").text.contains(Self.secondReply))
        try step(browser, "feedback-jxj") { _ in try browser.select("#step-feedback-jxj select[name=evaluation]", value: "satisfied") }
        try expectNotice(browser, "已完成：录入征询意见")
        try keep(browser, as: "workbench-item.png")
        try step(browser, "close", confirm: true)
        try expectNotice(browser, "已完成：办结")
        #expect(try browser.find("#unit-jxj h2").text.contains("办结"))

        // The bureau sees it closed after its next sync; the history names the people who clicked.
        try cluster.sync("jxj")
        #expect(try cluster.value("jxj", "item/\(Self.item)", "closedAt") != nil)
        let history = try cluster.cli.ok(["history", Self.item, "--store", "jxj.db"])
        #expect(history.contains("li"), "the bureau's history names its clerk: \(history)")
        let hubHistory = try cluster.cli.ok(["history", Self.item, "--store", "hub.db"])
        #expect(hubHistory.contains("wang"), "the office's history names its staff: \(hubHistory)")
    }

    /// The office's workbench over a hub whose store is PostgreSQL: 交办 reaches the database and the bureau, and the
    /// 督办 board shows the unit.
    @Test func theOfficeWorkbenchRunsOnAPostgreSQLHub() throws {
        let cluster = try Cluster(units: ["jxj"], names: ["jxj": "市经济和信息化局"], backend: .postgres)
        try cluster.startHub()
        let office = Workbench(cluster, store: "hub")
        try office.addUser("wang", role: "office")
        try office.start()
        let browser = try Browser.start()
        defer { browser.quit() }
        try logIn(browser, office, "wang")
        try assignNewItem(browser, office, daysAgo: 0)
        #expect(try cluster.value("hub", "assignment/\(Self.item)/jxj", "role") == .string("lead"))
        try cluster.sync("jxj")
        #expect(try cluster.value("jxj", "item/\(Self.item)", "title") == .string("关于加快老旧小区改造的建议"))
        try browser.open(office.url + "/supervise")
        #expect(try browser.visibleText.contains("市经济和信息化局"), "the 督办 board lists the unit")
    }

    @Test func aConflictIsSettledOnTheItemPage() throws {
        let cluster = try Cluster(units: ["jxj"])
        try cluster.startHub()
        let hub = cluster.at("hub")
        try cluster.cli.ok(["item", "new", Self.item, "--kind", "suggestion", "--number", "39", "--year", "2025", "--title", "关于加快老旧小区改造的建议"] + hub)
        try cluster.cli.ok(["item", "assign", Self.item, "jxj", "--role", "lead"] + hub)
        try cluster.sync("jxj")
        // The office records a handler for the bureau (代录) while the bureau writes its own: two values at once.
        try cluster.cli.ok(["item", "handler", Self.item, "--unit", "jxj", "--handler", "王五"] + hub)
        try cluster.cli.ok(["item", "handler", Self.item, "--handler", "李四", "--store", "jxj.db"])
        try cluster.sync("jxj")
        let bureau = Workbench(cluster, store: "jxj")
        try bureau.addUser("li", role: "clerk")
        try bureau.start()
        let browser = try Browser.start()
        defer { browser.quit() }
        try logIn(browser, bureau, "li")
        try browser.open(bureau.url + "/items/hub/\(Self.item)")

        let box = try browser.find("section.conflict")
        #expect(try box.text.contains("责任人"))
        let sides = try box.findAll(".sides form")
        #expect(sides.count == 2, "both values side by side")
        let texts = try sides.map { try $0.text }
        #expect(texts.contains { $0.contains("王五") } && texts.contains { $0.contains("李四") }, "\(texts)")
        let keep = try #require(sides.first { (try? $0.text.contains("李四")) == true })
        try keep.find("button.settle").click()
        try browser.waitUntil { try browser.currentURL.contains("done=resolve") }
        #expect(try browser.findAll("section.conflict").isEmpty, "settled with one click")
        try cluster.sync("jxj")
        #expect(try cluster.value("hub", "assignment/\(Self.item)/jxj", "handler") == .string("李四"))
        #expect(try cluster.cli.ok(["conflicts"] + hub).contains("No open conflicts"))
    }

    @Test func anAttackerInTheBrowserGetsNowhere() throws {
        let cluster = try Cluster(units: ["jxj"])
        let hub = cluster.at("hub")
        try cluster.cli.ok(["item", "new", Self.item, "--kind", "suggestion", "--number", "39", "--year", "2025", "--title", "关于加快老旧小区改造的建议"] + hub)
        try cluster.cli.ok(["item", "assign", Self.item, "jxj", "--role", "lead"] + hub)
        try cluster.startHub()
        try cluster.sync("jxj")
        let bureau = Workbench(cluster, store: "jxj")
        try bureau.addUser("li", role: "clerk")
        try bureau.addUser("zhao", role: "viewer")
        try bureau.start()
        let browser = try Browser.start()
        defer { browser.quit() }

        // Not signed in: every page leads to the login.
        try browser.open(bureau.url + "/items/hub/\(Self.item)")
        #expect(try browser.currentURL.contains("/login"))

        // A POST without the form's CSRF token, from the signed-in browser itself, is refused and writes nothing.
        try logIn(browser, bureau, "li")
        try browser.open(bureau.url + "/items/hub/\(Self.item)")
        _ = try browser.execute("""
            const f = document.createElement('form'); f.method = 'post'; f.action = '/items/hub/\(Self.item)/step/accept';
            const i = document.createElement('input'); i.name = 'at'; i.value = '2025-05-01'; f.appendChild(i);
            document.body.appendChild(f); f.submit(); return true
            """)
        try browser.waitUntil("the refusal") { try browser.currentURL.hasSuffix("/step/accept") }
        #expect(try browser.find("p.error").text.contains("安全令牌"), "refused with the sentence about the page's token")
        #expect(try cluster.value("jxj", "assignment/\(Self.item)/jxj", "acceptedAt") == nil, "nothing written")

        // A viewer sees no forms, and markup in a reply stays text: no script of it runs.
        let jxj = ["--store", "jxj.db"]
        try cluster.cli.ok(["item", "accept", Self.item] + jxj)
        try cluster.cli.ok(["item", "reply", Self.item, "--category", "A", "--text", Self.hostileReply] + jxj)
        try browser.deleteCookie("banli_session")
        try logIn(browser, bureau, "zhao")
        try browser.open(bureau.url + "/items/hub/\(Self.item)")
        #expect(try browser.findAll("details.step").isEmpty)
        let reply = try browser.find("#unit-jxj").text
        #expect(reply.contains("<script>window.__banli_xss = 1</script>"), "the reply's markup is shown as text: \(reply)")
        #expect(try browser.execute("return window.__banli_xss === undefined") == .bool(true), "no script of the reply ran")

        // Wrong passwords are throttled: after five, even the right one waits.
        try browser.deleteCookie("banli_session")
        for _ in 0..<5 { try logIn(browser, bureau, "li", password: "wrong-password-123", refused: true) }
        #expect(try browser.find("p.error").text.contains("用户名或密码不正确") || (try browser.find("p.error").text.contains("登录失败次数过多")))
        try logIn(browser, bureau, "li", refused: true)
        let refusal = try browser.find("p.error").text
        #expect(refusal.contains("登录失败次数过多"), "\(refusal)")
        #expect(try browser.cookie("banli_session") == nil)

        // An idle session ends: its last page was 31 minutes ago (the accounts file says so), and the next page asks to log in.
        try logIn(browser, bureau, "zhao")
        try browser.open(bureau.url + "/items")
        #expect(try browser.currentURL.hasSuffix("/items"))
        let queue = try DatabaseQueue(path: bureau.accounts)
        let idle = Int64(HybridLogicalClock.wallMilliseconds()) - 31 * 60_000
        try queue.write { db in try db.execute(sql: "UPDATE web_session SET lastSeenAt = ?", arguments: [idle]) }
        try browser.open(bureau.url + "/items")
        #expect(try browser.currentURL.contains("/login"))
        #expect(try browser.find("p.notice").text.contains("登录已过期"))
    }
}
