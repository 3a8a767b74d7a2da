import BanliCore
import BanliSync
import Foundation
import Testing
import TestSupport

/// Issue 18: the deputy rates a reply through a one-time link that the real `banli` binary makes and a real hub serves
/// on its public listener; the answer reaches the lead unit's store through the ordinary sync, and 不满意 reopens handling.
@Suite(.serialized) struct FeedbackLinkTests {
    @Test(arguments: HubBackend.allCases)
    func aDeputysOnlineAnswerReachesTheLeadUnitAndNotSatisfiedReopensHandling(_ backend: HubBackend) throws {
        let publicPort = freePort()
        let c = try Cluster(units: ["jxj"], names: ["jxj": "市经信局"], hubConfig: "public_listen = \"127.0.0.1:\(publicPort)\"\n", backend: backend)
        let cli = c.cli
        // hub.toml names the public listener (and, on PostgreSQL, the database).
        let hub = (backend == .sqlite ? ["--config", "hub.toml"] : []) + c.atHub, jxj = ["--store", "jxj.db"]
        try cli.ok(["item", "new", "rd-2025-39", "--kind", "suggestion", "--number", "39", "--year", "2025", "--title", "关于增设公交线路的建议"] + hub)
        try cli.ok(["item", "assign", "rd-2025-39", "jxj", "--role", "lead"] + hub)
        // No reply yet: no link, and one Chinese sentence says why.
        let early = try cli.run(["item", "feedback-link", "rd-2025-39", "--unit", "jxj"] + hub)
        #expect(early.status != 0 && early.stderr.contains("尚未答复事项 rd-2025-39"), "\(early.stderr)")
        try c.startHub()
        try c.sync("jxj")
        try cli.ok(["item", "accept", "rd-2025-39"] + jxj)
        try cli.ok(["item", "reply", "rd-2025-39", "--category", "B", "--text", "已列入明年计划"] + jxj)
        try c.sync("jxj")

        let printed = try cli.ok(["item", "feedback-link", "rd-2025-39", "--unit", "jxj", "--days", "7"] + hub)
        let url = try #require(printed.split(separator: "\n").first.map(String.init))
        let prefix = "http://127.0.0.1:\(publicPort)/f/"
        #expect(url.hasPrefix(prefix) && url.count == prefix.count + 43, "\(printed)")
        let path = String(url.dropFirst(prefix.count - 3))
        let deputy = CurlTransport(baseURL: "http://127.0.0.1:\(publicPort)", token: "none")
        let page = try deputy.get(path, extraTimeout: 0, cancel: nil)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(page.status == 200 && html.contains("已列入明年计划") && html.contains("市经信局"))
        let csrf = try #require(html.firstMatch(of: /name="_csrf" value="([0-9a-f]{64})"/).map { String($0.1) })
        let answer = "_csrf=\(csrf)&contact=none&effect=solving&work=basic&result=unsatisfied&public=yes&comment=%E5%B8%8C%E6%9C%9B%E5%8A%A0%E5%BF%AB"
        let done = try deputy.post(path, bytes: Array(answer.utf8))
        #expect(done.status == 200, "\(String(decoding: done.body, as: UTF8.self))")
        // A second use, and a forged token, open nothing.
        #expect(try deputy.post(path, bytes: Array(answer.utf8)).status == 404)
        #expect(try deputy.get("/f/" + String(path.dropFirst(3).reversed()), extraTimeout: 0, cancel: nil).status == 404)

        try c.sync("jxj")
        let feedback = "feedback/rd-2025-39/jxj"
        #expect(try c.value("jxj", feedback, "evaluation") == .string("unsatisfied"))
        #expect(try c.value("jxj", feedback, "source") == .string("online") && c.value("jxj", feedback, "contactMethod") == .string("none"))
        #expect(try c.value("jxj", feedback, "comment") == .string("希望加快"))
        #expect(try c.value("jxj", "assignment/rd-2025-39/jxj", "rehandleAt") != nil)
        // Handling is open again at the unit: it replies anew, which a unit could not do before 重新办理.
        #expect(try cli.ok(["item", "show", "rd-2025-39", "--json"] + jxj).contains(#""stage":"rehandling""#))
        try cli.ok(["item", "reply", "rd-2025-39", "--category", "A", "--text", "已提前实施"] + jxj)
        // The office cannot reuse the link, and may revoke what is left: nothing is.
        #expect(try cli.ok(["item", "feedback-link", "rd-2025-39", "--unit", "jxj", "--revoke"] + hub).contains("没有未使用的征询意见链接"))
        c.stopHub()
    }

    /// The Done-when of issue 18: a deputy fills in the form from the link on a phone and submits it; the link then opens nothing.
    @Test func aDeputyAnswersOnAPhone() throws {
        let publicPort = freePort()
        let c = try Cluster(units: ["jxj"], names: ["jxj": "市经信局"], hubConfig: "public_listen = \"127.0.0.1:\(publicPort)\"\n")
        let hub = ["--config", "hub.toml"] + c.atHub
        try c.cli.ok(["item", "new", "rd-2025-39", "--kind", "suggestion", "--number", "39", "--year", "2025", "--title", "关于增设公交线路的建议"] + hub)
        try c.cli.ok(["item", "assign", "rd-2025-39", "jxj", "--role", "lead"] + hub)
        try c.cli.ok(["item", "accept", "rd-2025-39", "--unit", "jxj"] + hub)
        try c.cli.ok(["item", "reply", "rd-2025-39", "--unit", "jxj", "--category", "A", "--text", "已开通新线路"] + hub)
        let url = try #require(try c.cli.ok(["item", "feedback-link", "rd-2025-39", "--unit", "jxj"] + hub).split(separator: "\n").first.map(String.init))
        try c.startHub()
        let phone = try Browser.start(.phone())
        defer { phone.quit() }
        try phone.open(url)
        #expect(try phone.execute("return document.documentElement.scrollWidth <= window.innerWidth;") == .bool(true), "no sideways scrolling")
        for (name, value) in [("contact", "visit"), ("effect", "solved"), ("work", "satisfied"), ("result", "basic"), ("public", "yes")] {
            try phone.find("input[name=\(name)][value=\(value)]").click()
        }
        try phone.find("textarea[name=comment]").type("线路方便了群众出行")
        try phone.find("button[type=submit]").click()
        try phone.waitUntil("the thanks page") { try phone.visibleText.contains("感谢您的评价") }
        #expect(try c.value("hub", "feedback/rd-2025-39/jxj", "evaluation") == .string("basic"))
        try phone.open(url)
        #expect(try phone.visibleText.contains("此链接无效或已失效"))
        c.stopHub()
    }
}
