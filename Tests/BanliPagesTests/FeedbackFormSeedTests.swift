import BanliCore
import BanliOffice
import BanliPages
import TestSupport
import Testing

/// Seed 001's filled-in 征询意见表, printed from the record: its number in brackets, the 签收时间 from the date
/// the office received it, the office's level in the title and note, and one tick under 办理评价.
@Suite struct FeedbackFormSeedTests {
    static let id = "zx-2021-110"

    static func seedView(receivedAt: String? = "2021-09-10") throws -> ItemView {
        let e = EntityKey.item(id: id), a = EntityKey.assignment(item: id, site: "jxj"), f = EntityKey.feedback(item: id, site: "jxj")
        var w: [(EntityKey, String, JSONValue)] = [
            (e, "kind", .string("proposal")), (e, "number", .int(110)), (e, "year", .int(2021)),
            (e, "title", .string("关于促进黄石市中小企业健康快速发展的提案")), (e, "proposers", .array([.string("程玮")])),
            (a, "role", .string("lead")), (a, "active", .bool(true)), (a, "replyAt", .string("2021-09-06")),
            (.contact(item: id, site: "jxj", n: 1), "method", .string("visit")),
            (f, "effect", .string("solved")), (f, "evaluation", .string("satisfied")), (f, "comment", .string("工作已推进 措施得力")),
        ]
        if let receivedAt { w.append((f, "receivedAt", .string(receivedAt))) }
        return try OfficeSample.view(id, w)
    }

    @Test func theSeedFormPrintsAsFiled() throws {
        let html = FeedbackForm.html(item: try Self.seedView(), site: "jxj", unitName: "市经信局")
        #expect(html.contains(#"<th>建议提案编号</th><td colspan="3">(委员提案〔2021〕110号)</td>"#))
        #expect(html.contains("签收时间：<span>2021</span>年<span>9</span>月<span>10</span>日"))
        #expect(html.contains("<h1>市人大代表建议政协委员提案办理情况征询意见表</h1>"))
        #expect(html.contains("分别送市人大、政协签收后, 送市政府督查室"))
        // One evaluation is recorded, so one is ticked (the seed's paper form ticks two: see `doubleTickRule`).
        #expect(html.contains(#"<span class="opt">满意 ☑</span> <span class="opt">基本满意 ☐</span> <span class="opt">不满意 ☐</span>"#))
        #expect(html.contains("上门走访 ☑") && html.contains("解决或基本解决 ☑"))
        let blank = FeedbackForm.html(item: try Self.seedView(receivedAt: nil), site: "jxj", unitName: "市经信局")
        #expect(blank.contains("签收时间：<span></span>年<span></span>月<span></span>日"))
    }

    @Test func aCountyOfficePrintsItsOwnLevel() throws {
        let html = FeedbackForm.html(item: try Self.seedView(), site: "jxj", unitName: "县经信局", settings: OfficeSettings(jurisdiction: "县"))
        #expect(html.contains("<h1>县人大代表建议政协委员提案办理情况征询意见表</h1>"))
        #expect(html.contains("分别送县人大、政协签收后, 送县政府督查室"))
        #expect(!html.contains("市人大") && !html.contains("市政府"))
    }

    @Test func aDoubleTickGivesNoEvaluation() {
        #expect(FeedbackForm.doubleTickRule.contains("ask the proposer"))
        #expect(OfficeSettings(jurisdiction: " ").jurisdiction == "市")
    }
}
