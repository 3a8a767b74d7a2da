import BanliCore
import BanliOffice
import BanliPages
import TestSupport
import Testing

@Suite struct FeedbackFormSheetTests {
    static func sheet(_ text: () -> String, isPublic: Bool? = false) -> FeedbackForm.Sheet {
        FeedbackForm.Sheet(number: text(), itemTitle: text(), proposers: [text(), text()], unitName: text(),
                           contactMethods: [.meeting, .letter], effect: .later, evaluation: .unsatisfied, isPublic: isPublic, comment: text())
    }

    @Test func recordedAnswersPrintTicked() {
        let html = FeedbackForm.html(Self.sheet { "x" })
        #expect(html.contains(#"<span class="opt">上门走访 ☐</span> <span class="opt">约见 ☑</span> <span class="opt">电话联系 ☐</span>"#))
        #expect(html.contains("信函 ☑") && html.contains("以后解决 ☑") && html.contains("解决或基本解决 ☐") && html.contains("不满意 ☑"))
        #expect(html.contains(#"<span class="opt">是 ☐</span> <span class="opt">否 ☑</span>"#))
        #expect(html.components(separatedBy: "☑").count - 1 == 5)
        let unanswered = FeedbackForm.html(FeedbackForm.Sheet(number: "n", itemTitle: "t", proposers: [], unitName: "u", contactMethods: [],
                                                              effect: nil, evaluation: nil, isPublic: nil, comment: ""))
        #expect(!unanswered.contains("☑") && unanswered.contains(#"<span class="opt">是 ☐</span> <span class="opt">否 ☐</span>"#))
    }

    @Test func chineseLabelsTitleAndNumber() {
        let html = FeedbackForm.html(Self.sheet { "x" })
        for label in ["<title>市人大代表建议政协委员提案办理情况征询意见表（x）</title>", "<h1>市人大代表建议政协委员提案办理情况征询意见表</h1>",
                      "<th>代表姓名</th><td>x、x</td><th>承办单位</th><td>x</td>", "<th>建议提案标题</th><td colspan=\"3\">x</td>",
                      "<th>建议提案编号</th><td colspan=\"3\">x</td>", "<th>沟通方式</th>", "<th>办理效果</th>", "<th>办理评价</th>", "是否公开",
                      "对办理情况的意见：<div class=\"comment-text\">x</div>", "建议人或提案人签名：", "签收时间：", "<p class=\"note\">" + FeedbackForm.note] {
            #expect(html.contains(label), "\(label)")
        }
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"zh-CN\">") && html.hasSuffix("</body>\n</html>\n"))
    }

    @Test func hostileTextInEverySlotStaysText() {
        let expected = PageMarkup(FeedbackForm.html(Self.sheet { "x" }))
        #expect(expected.problems.isEmpty && expected.tags.count > 60)
        for seed in UInt64(1)...300 {
            var slots = PageSlots(seed: seed)
            var used: [String] = []
            let html = FeedbackForm.html(Self.sheet {
                let s = slots.next()
                used.append(s)
                return s
            })
            let markup = PageMarkup(html)
            #expect(markup.problems.isEmpty, "seed \(seed): \(markup.problems)")
            #expect(markup == expected, "seed \(seed): \(html)")
            #expect(!html.lowercased().contains("<script"), "seed \(seed)")
            let page = PageScalars(html)
            for s in used { #expect(page.shows(s), "seed \(seed): \(s.debugDescription) missing") }
        }
    }
}
