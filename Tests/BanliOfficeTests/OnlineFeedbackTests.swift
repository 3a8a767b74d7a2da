import BanliCore
import BanliOffice
import TestSupport
import Testing

/// Issue 18: the deputy's posted answer, read into the office's 录入征询意见 step.
@Suite struct OnlineFeedbackTests {
    static let id = "rd-2025-1"
    static let jxj = EntityKey.assignment(item: id, site: "jxj")
    static let form = EntityKey.feedback(item: id, site: "jxj")
    static let day = ISODate("2025-06-01")!
    static let answer = ["contact": "none", "effect": "solving", "work": "satisfied", "result": "basic", "public": "yes", "comment": " 好 "]

    func view(_ more: [(EntityKey, String, JSONValue)] = []) throws -> ItemView {
        try OfficeSample.view(Self.id, [
            (.item(id: Self.id), "kind", .string("suggestion")), (Self.jxj, "role", .string("lead")),
            (Self.jxj, "acceptedAt", .string("2025-04-01")), (Self.jxj, "replyAt", .string("2025-06-01")),
        ] + more)
    }

    func read(_ fields: [String: String]) throws -> Workflow.Feedback {
        try OnlineFeedback.read({ fields[$0] }, answeredAt: "2025-06-01T10:00:00+08:00", day: Self.day)
    }

    @Test func everyQuestionMustBeAnsweredWithOneOfItsChoices() throws {
        for (name, sentence) in [("contact", "请选择“沟通方式”的一项后再提交。"), ("work", "请选择“对办理工作的评价”的一项后再提交。"),
                                 ("public", "请选择答复是否可以公开后再提交。")] {
            for bad in [nil, "maybe"] as [String?] {
                var fields = Self.answer
                fields[name] = bad
                #expect(throws: BanliError(.invalidValue, sentence)) { try read(fields) }
            }
        }
        let long = Self.answer.merging(["comment": String(repeating: "长", count: OnlineFeedback.maxComment + 1)]) { $1 }
        #expect(throws: BanliError.self) { try read(long) }
    }

    @Test func theSingleEvaluationIsTheLowerAndNotSatisfiedSendsTheReplyBack() throws {
        let happy = try OnlineFeedback.writes(try view(), site: "jxj", try read(Self.answer))
        #expect(happy.contains(LocalWrite(Self.form, "evaluation", .string("basic"))))
        #expect(happy.contains(LocalWrite(Self.form, "comment", .string("好"))) && happy.contains(LocalWrite(Self.form, "source", .string("online"))))
        #expect(!happy.contains { $0.field == "rehandleAt" })
        let unhappy = try OnlineFeedback.writes(try view(), site: "jxj", try read(Self.answer.merging(["work": "unsatisfied"]) { $1 }))
        #expect(unhappy.contains(LocalWrite(Self.form, "evaluation", .string("unsatisfied"))))
        #expect(unhappy.contains(LocalWrite(Self.jxj, "rehandleAt", .string("2025-06-01"))))
    }

    @Test func aPaperFormTypedOverAnOnlineAnswerReplacesIt() throws {
        let online = try view([(Self.form, "source", .string("online")), (Self.form, "workEvaluation", .string("satisfied")),
                               (Self.form, "answeredAt", .string("2025-06-01T10:00:00+08:00"))])
        let paper = Workflow.Feedback(evaluation: .satisfied, effect: nil, isPublic: nil, comment: nil, receivedAt: Self.day)
        let writes = try Workflow.feedback(online, site: "jxj", paper)
        #expect(writes.contains(LocalWrite(Self.form, "source", .string("paper"))))
        #expect(writes.contains(LocalWrite(Self.form, "answeredAt", .null)) && writes.contains(LocalWrite(Self.form, "workEvaluation", .null)))
        // A paper form with no online answer before it writes what it always wrote.
        #expect(try Workflow.feedback(try view(), site: "jxj", paper).map(\.field) == ["evaluation", "receivedAt"])
    }

    @Test func anOnlineAnswerWithoutACommentClearsTheEarlierOne() throws {
        let earlier = try view([(Self.form, "comment", .string("上次的意见")), (Self.form, "evaluation", .string("basic"))])
        let writes = try OnlineFeedback.writes(earlier, site: "jxj", try read(Self.answer.merging(["comment": "   "]) { $1 }))
        #expect(writes.contains(LocalWrite(Self.form, "comment", .null)))
        // Nothing to clear: no write for the comment at all.
        let first = try OnlineFeedback.writes(try view(), site: "jxj", try read(Self.answer.merging(["comment": ""]) { $1 }))
        #expect(!first.contains { $0.field == "comment" })
    }

    @Test func noLinkRatesAReplySentBackUntilTheUnitRepliesAgain() throws {
        let sentBack = try view([(Self.form, "evaluation", .string("unsatisfied")), (Self.jxj, "rehandleAt", .string("2025-06-10"))])
        #expect(throws: WorkflowRefusal.linkWhileRehandling(item: Self.id, unit: "jxj")) {
            try Workflow.requireReplyToRateOnline(sentBack, site: "jxj")
        }
        let repliedAgain = try view([(Self.form, "evaluation", .string("unsatisfied")), (Self.jxj, "rehandleAt", .string("2025-06-10")),
                                     (Self.jxj, "replyAt", .string("2025-06-20"))])
        try Workflow.requireReplyToRateOnline(repliedAgain, site: "jxj")
    }
}
