import BanliCore
import Foundation
import Testing
import TestSupport

/// The 统计 page in a real browser (Debian's Chromium through chromedriver) over a hub store filled by the CLI: the
/// charts are drawn with real sizes, scale down to a phone's width, and a screenshot of the page is taken.
/// `BANLI_SCREENSHOTS=DIR` also copies the screenshots to DIR (the README's pictures in docs/).
@Suite(.serialized) struct WorkbenchStatsBrowserTests {
    /// A year of one office: twelve items over the months, answered on time, late, or not at all.
    func fill(_ cluster: Cluster) throws {
        let h = cluster.atHub
        for n in 1...12 {
            let id = "rd-2025-\(n)", unit = n % 3 == 0 ? "fgw" : "jxj", month = n < 10 ? "0\(n)" : "\(n)"
            try cluster.cli.ok(["item", "new", id, "--kind", "建议", "--number", "\(n)", "--year", "2025", "--title", "关于第\(n)件事的建议"] + h)
            try cluster.cli.ok(["item", "assign", id, unit, "--role", "sole", "--at", "2025-\(month)-01"] + h)
            guard n % 4 != 0 else { continue }
            try cluster.cli.ok(["item", "accept", id, "--unit", unit, "--at", "2025-\(month)-03"] + h)
            // Three months to answer: early items on time, every fifth late.
            let answered = ISODate(year: 2025, month: n, day: 1).addingMonths(n % 5 == 0 ? 4 : 2)
            try cluster.cli.ok(["item", "reply", id, "--unit", unit, "--category", n % 2 == 0 ? "A" : "B", "--text", "答复\(n)",
                                "--at", answered.description] + h)
            if n % 3 != 2 { try cluster.cli.ok(["item", "feedback", id, unit, "--evaluation", n == 7 ? "unsatisfied" : "satisfied"] + h) }
        }
    }

    func logIn(_ browser: Browser, _ bench: Workbench) throws {
        try browser.open(bench.url + "/login")
        try browser.find("input[name=name]").type("wang")
        try browser.find("input[name=password]").type(Workbench.password)
        try browser.submit("#login")
    }

    /// Each chart's rendered box, and how many of its bars have a drawn size.
    func charts(_ browser: Browser) throws -> [(width: Double, height: Double, bars: Int)] {
        let rows = try numbers(browser, """
            return Array.from(document.querySelectorAll('svg.chart')).map(function (s) {
              var r = s.getBoundingClientRect();
              var bars = Array.from(s.querySelectorAll('rect.bar')).filter(function (b) { var x = b.getBBox(); return x.width > 0 && x.height > 0; });
              return [r.width, r.height, bars.length].join(' ');
            }).join(';');
            """)
        return rows.map { ($0[0], $0[1], Int($0[2])) }
    }

    /// Runs `script`, which answers numbers as text (`1 2 3;4 5 6`), and reads them.
    func numbers(_ browser: Browser, _ script: String) throws -> [[Double]] {
        let value = try browser.execute(script)
        guard let text = value.stringValue else { throw WebDriverError("The page answered \(value.canonicalJSON.prefix(200)), not numbers.") }
        return try text.split(separator: ";").map { row in
            try row.split(separator: " ").map { cell in
                guard let n = Double(cell), n.isFinite else { throw WebDriverError("The page answered '\(text.prefix(200))', not numbers.") }
                return n
            }.padded(to: 3)
        }
    }

    func keep(_ png: String, as name: String) throws {
        guard let dir = ProcessInfo.processInfo.environment["BANLI_SCREENSHOTS"], !dir.isEmpty else { return }
        try? FileManager.default.removeItem(atPath: dir + "/" + name)
        try FileManager.default.copyItem(atPath: png, toPath: dir + "/" + name)
    }

    @Test func theStatisticsPageDrawsItsChartsOnADeskAndOnAPhone() throws {
        let cluster = try Cluster(units: ["jxj", "fgw", "swj"])
        try fill(cluster)
        let office = Workbench(cluster, store: "hub")
        try office.addUser("wang", role: "office")
        try office.start()

        let browser = try Browser.start()
        defer { browser.quit() }
        try logIn(browser, office)
        try browser.open(office.url + "/report?year=2025")
        #expect(try browser.find("#report-title").text.contains("2025年建议提案办理情况"))
        let desk = try charts(browser)
        #expect(desk.count == 3, "rates, categories, month by month")
        for c in desk { #expect(c.width > 300 && c.height > 50 && c.bars > 0, "\(c)") }
        // The reply rate's bar is drawn to scale against its track, as the page's table says.
        let reply = try numbers(browser, """
            var bar = document.querySelector('svg.rates rect.bar[data-key=reply]'), track = document.querySelector('svg.rates rect.track');
            return [bar.getBoundingClientRect().width / track.getBoundingClientRect().width, bar.getAttribute('data-num'),
                    bar.getAttribute('data-den')].join(' ');
            """)[0]
        #expect(reply[2] > 0 && abs(reply[0] - reply[1] / reply[2]) < 0.01, "\(reply[0]) against \(reply[1])/\(reply[2])")
        #expect(try browser.find("tr[data-rate=reply]").text.contains("%"))
        let shot = cluster.dir + "/workbench-stats.png"
        try browser.screenshot(to: shot, fullPage: true)
        try keep(shot, as: "workbench-stats.png")

        // The print view: the charts without the menu.
        try browser.open(office.url + "/report?year=2025&print=1")
        #expect(try browser.findAll("nav.menu").isEmpty)
        #expect(try charts(browser).count == 3)

        // On a phone the charts shrink to the screen's width and stay drawn.
        let phone = try Browser.start(.phone())
        defer { phone.quit() }
        try logIn(phone, office)
        try phone.open(office.url + "/report?year=2025")
        let small = try charts(phone)
        #expect(small.count == 3)
        for c in small { #expect(c.width > 200 && c.width <= Double(Browser.phoneSize.width) && c.bars > 0, "\(c)") }
        #expect(try phone.execute("return document.documentElement.scrollWidth <= window.innerWidth;") == .bool(true), "no sideways scrolling")
        let phoneShot = cluster.dir + "/workbench-stats-phone.png"
        try phone.screenshot(to: phoneShot)
        try keep(phoneShot, as: "workbench-stats-phone.png")

        // 排名 at the office, sortable by link.
        try browser.open(office.url + "/ranking?year=2025")
        try browser.find("th[data-sort=onTime] a").click()
        try browser.waitUntil("the ranking by 按期办复率") { try browser.currentURL.contains("sort=onTime") }
        #expect(try browser.findAll("#ranking tbody tr[data-site]").count == 2, "jxj and fgw; swj has nothing assigned")
    }
}

extension Array where Element == Double {
    /// The row with zeros appended up to `count` cells, so that a short answer fails an expectation instead of crashing.
    func padded(to count: Int) -> [Double] { self + Array(repeating: 0, count: Swift.max(0, count - self.count)) }
}
