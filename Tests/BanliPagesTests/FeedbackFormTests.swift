import BanliCore
import BanliOffice
import BanliPages
import TestSupport
import Testing

@Suite struct FeedbackFormTests {
    @Test func feedbackFormTicksVisitAndEscapes() throws {
        var source = OfficeSample.writes.filter { $0.1 != "comment" }
        source.append((.feedback(item: "rd-2025-39", site: "jxj"), "comment", .string("<script>alert('x')</script> & 好")))
        let view = try OfficeSample.views(source).first { $0.id == "rd-2025-39" }!
        let html = FeedbackForm.html(item: view, site: "jxj", unitName: "市经信局")
        #expect(html.contains("上门走访 ☑"))
        #expect(html.contains("电话联系 ☑"))
        #expect(html.contains("约见 ☐"))
        #expect(html.contains("满意 ☑") && html.contains("不满意 ☐"))
        #expect(html.contains("代表建议〔2025〕39号"))
        #expect(html.contains("曹建平、李四"))
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 好"))
        #expect(html.contains("请各单位向代表委员书面答复时附上此表"))
        // The cooperating unit has no contact: nothing ticked for it.
        #expect(!FeedbackForm.html(item: view, site: "fgw", unitName: "市发改委").contains("☑"))
    }
}
