import BanliCore
import BanliOffice
import BanliPages
import TestSupport
import Testing

/// Issue 18: the printable 征询意见表 says which answers the proposer gave online, and a paper form says nothing of it.
@Suite struct FeedbackFormOnlineTests {
    func page(_ feedback: [(String, JSONValue)]) throws -> String {
        let f = EntityKey.feedback(item: "rd-2025-39", site: "jxj")
        let view = try OfficeSample.view("rd-2025-39", [
            (.item(id: "rd-2025-39"), "title", .string("关于增设公交线路的建议")), (.assignment(item: "rd-2025-39", site: "jxj"), "role", .string("lead")),
        ] + feedback.map { (f, $0.0, $0.1) })
        return FeedbackForm.html(item: view, site: "jxj", unitName: "市经信局")
    }

    @Test func onlineAnswersAreMarkedWithTheirTimeAndBothSatisfactions() throws {
        let online = try page([("evaluation", .string("unsatisfied")), ("workEvaluation", .string("basic")), ("resultEvaluation", .string("unsatisfied")),
                               ("source", .string("online")), ("answeredAt", .string("2026-12-01T16:20:05+08:00"))])
        #expect(online.contains("以上意见由建议人或提案人通过网上征询链接填写（2026-12-01T16:20:05+08:00）：对办理工作基本满意，对办理结果不满意。"))
        #expect(online.contains("不满意 ☑"))
        let paper = try page([("evaluation", .string("satisfied")), ("source", .string("paper"))])
        #expect(!paper.contains("网上征询") && paper.contains("满意 ☑"))
    }
}
