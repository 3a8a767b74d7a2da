import BanliCore
import BanliOffice
import Foundation
import Testing
import TestSupport

/// 台账 in a real browser (Debian's Chromium through chromedriver) over a real hub store: an upload with a wrong cell is
/// shown with the sentence on its row and nothing is written; the fixed file is confirmed and its items are in the store.
@Suite(.serialized) struct WorkbenchLedgerBrowserTests {
    static let header = "编号,类别,年度,标题,建议人,主办单位"

    func logIn(_ browser: Browser, _ bench: Workbench, _ name: String) throws {
        try browser.open(bench.url + "/login")
        try browser.find("input[name=name]").type(name)
        try browser.find("input[name=password]").type(Workbench.password)
        try browser.submit("#login")
    }

    @Test func aWrongCellIsShownOnItsLineThenTheFixedFileIsImported() throws {
        let cluster = try Cluster(units: ["jxj"])
        let office = Workbench(cluster, store: "hub")
        try office.addUser("wang", role: "office")
        try office.start()
        let browser = try Browser.start()
        defer { browser.quit() }
        try logIn(browser, office, "wang")

        // Line 3 names a unit the directory does not hold; saved as Excel in China saves CSV (GB18030).
        let wrong = Self.header + "\r\nrd-2025-39,建议,2025,关于加快老旧小区改造的建议,张三,单位jxj\r\nrd-2025-40,建议,2025,关于中小企业融资的建议,李四,经信委\r\n"
        let wrongFile = cluster.dir + "/交办清单.csv"
        try Data(TextEncoding.encode(wrong, as: .gb18030)).write(to: URL(fileURLWithPath: wrongFile))
        let before = try cluster.dump("hub")
        try browser.open(office.url + "/ledger")
        try browser.upload("input[name=file]", filePath: wrongFile)
        try browser.select("select[name=encoding]", value: "gb18030")
        try browser.submit("#preview")

        let marked = try browser.findAll("#ledger-rows tr.refused")
        #expect(marked.count == 1, "one row is marked")
        #expect(try marked.first?.attribute("data-line") == "3")
        let sentence = try marked.first?.find("td.problem").text ?? ""
        #expect(sentence.contains("line 3, column F (主办单位)") && sentence.contains("经信委"), "the sentence names the column: \(sentence)")
        #expect(try marked.first?.find("td.bad").text == "经信委", "the wrong cell is highlighted")
        #expect(try browser.findAll("#confirm").isEmpty, "a refused file cannot be confirmed")
        #expect(try cluster.dump("hub") == before, "nothing was written")

        // The fixed file: previewed, confirmed, written.
        let fixedFile = cluster.dir + "/交办清单-改.csv"
        try wrong.replacingOccurrences(of: "经信委", with: "单位jxj").write(toFile: fixedFile, atomically: true, encoding: .utf8)
        try browser.open(office.url + "/ledger")
        try browser.upload("input[name=file]", filePath: fixedFile)
        try browser.submit("#preview")
        #expect(try browser.findAll("#ledger-rows tr.refused").isEmpty)
        #expect(try cluster.dump("hub") == before, "a preview writes nothing")
        try browser.submit("#confirm")
        let notice = try browser.find("p.notice").text
        #expect(notice.contains("已导入 2 项事项"), "\(notice)")
        #expect(try cluster.value("hub", "item/rd-2025-40", "title") == .string("关于中小企业融资的建议"))
        #expect(try cluster.value("hub", "assignment/rd-2025-40/jxj", "role") == .string("lead"))
    }
}
