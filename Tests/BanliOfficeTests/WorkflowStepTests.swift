import BanliCore
import BanliOffice
import TestSupport
import Testing

/// Each workflow step on its own, without the binary: what it writes, and what it refuses before writing.
@Suite struct WorkflowStepTests {
    static let id = "rd-2025-1"
    static let item = EntityKey.item(id: id)
    static let jxj = EntityKey.assignment(item: id, site: "jxj")
    static let fgw = EntityKey.assignment(item: id, site: "fgw")
    static let today = ISODate("2025-05-01")!

    /// An item on a clerk's desk: its fields so far, and each step's writes applied as the store would.
    struct Desk {
        var fields: [(EntityKey, String, JSONValue)] = [
            (WorkflowStepTests.item, "kind", .string("suggestion")), (WorkflowStepTests.item, "title", .string("关于整治农村网线的建议")),
            (WorkflowStepTests.item, "assignedAt", .string("2025-03-20")),
            (WorkflowStepTests.jxj, "role", .string("lead")), (WorkflowStepTests.jxj, "active", .bool(true)),
            (WorkflowStepTests.fgw, "role", .string("cooperating")), (WorkflowStepTests.fgw, "active", .bool(true)),
        ]

        var view: ItemView {
            get throws { try OfficeSample.view(WorkflowStepTests.id, fields) }
        }

        /// Runs a step on the current view and applies what it returns.
        @discardableResult
        mutating func step(_ body: (ItemView) throws -> [LocalWrite]) throws -> [LocalWrite] {
            let writes = try body(try view)
            fields += writes.map { ($0.entity, $0.field, $0.value) }
            return writes
        }

        mutating func set(_ entity: EntityKey, _ field: String, _ value: JSONValue) {
            fields.append((entity, field, value))
        }
    }

    func refusal(_ body: () throws -> Any) -> String? { workflowRefusal(body) }

    func day(_ s: String) -> ISODate { ISODate(s)! }

    func reply(_ text: String = "答复全文", number: String = "冶经信函〔2025〕12号", category: ReplyCategory = .a,
               at: String = "2025-05-01") -> Workflow.Reply {
        Workflow.Reply(number: number, category: category, text: text, at: day(at), signer: "张三", publicProposal: nil)
    }

    @Test func acceptSignsForTheItemOnce() throws {
        var desk = Desk()
        let writes = try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        #expect(writes == [LocalWrite(Self.jxj, "acceptedAt", .string("2025-03-25"))])
        #expect(refusal { try Workflow.accept(try desk.view, site: "jxj", at: day("2025-03-26")) }
                == "Item rd-2025-1 was already signed for on 2025-03-25.")
    }

    @Test func onlyAnActiveAssignmentOfAnOpenItemMayAct() throws {
        var desk = Desk()
        #expect(refusal { try Workflow.accept(try desk.view, site: "swj", at: Self.today) }?
            .hasPrefix("Item rd-2025-1 is not assigned to unit 'swj'") == true)
        desk.set(Self.fgw, "active", .bool(false))
        #expect(refusal { try Workflow.accept(try desk.view, site: "fgw", at: Self.today) }?
            .hasPrefix("Unit 'fgw' was reassigned away from item rd-2025-1") == true)
        desk.set(Self.item, "closedAt", .string("2025-07-01"))
        #expect(refusal { try Workflow.accept(try desk.view, site: "jxj", at: Self.today) }
                == "Item rd-2025-1 is closed (办结 2025-07-01); the office reopens it first with 'banli item reopen rd-2025-1 --reason …'.")
    }

    @Test func replyNeedsSigningTheRightRoleAndAllItsParts() throws {
        var desk = Desk()
        #expect(refusal { try Workflow.reply(try desk.view, site: "jxj", reply()) }?.hasPrefix("Sign for item rd-2025-1 first") == true)
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        try desk.step { try Workflow.accept($0, site: "fgw", at: day("2025-03-26")) }
        #expect(refusal { try Workflow.reply(try desk.view, site: "fgw", reply()) }
                == "Unit 'fgw' is a 会办 unit of rd-2025-1: it gives a 会办意见 (banli item opinion), the lead unit replies.")
        #expect(refusal { try Workflow.reply(try desk.view, site: "jxj", reply(" \n")) }?.hasPrefix("The reply text is empty") == true)
        // Issue 15: a reply without a 文号 is accepted (seed 001's reply letter has none).
        #expect(try Workflow.reply(try desk.view, site: "jxj", reply(number: "")).allSatisfy { $0.field != "replyNumber" })
        #expect(refusal { try Workflow.reply(try desk.view, site: "jxj", reply(at: "2025-03-24")) }
                == "The reply date 2025-03-24 is before the item was signed for (2025-03-25).")

        let writes = try desk.step { try Workflow.reply($0, site: "jxj", reply(category: .b)) }
        #expect(Set(writes) == [
            LocalWrite(Self.jxj, "replyNumber", .string("冶经信函〔2025〕12号")), LocalWrite(Self.jxj, "replyCategory", .string("B")),
            LocalWrite(Self.jxj, "replyText", .string("答复全文")), LocalWrite(Self.jxj, "replyAt", .string("2025-05-01")),
            LocalWrite(Self.jxj, "replySigner", .string("张三")),
        ])
        #expect(try desk.view.status(site: "jxj", today: Self.today)?.stage == .replied)
        #expect(refusal { try Workflow.reply(try desk.view, site: "jxj", reply()) }?
            .hasPrefix("Item rd-2025-1 was already replied to on 2025-05-01; a new reply needs 重新办理") == true)
    }

    @Test func aNewReplyIsAllowedOnlyAfterUnsatisfiedAndRehandling() throws {
        var desk = Desk()
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        try desk.step { try Workflow.reply($0, site: "jxj", reply()) }
        #expect(refusal { try Workflow.rehandle(try desk.view, site: "jxj", at: Self.today) }
                == "重新办理 follows a 不满意 evaluation; the evaluation of jxj's reply to rd-2025-1 is not recorded.")
        let form = Workflow.Feedback(evaluation: .unsatisfied, effect: .later, isPublic: false, comment: "未解决", receivedAt: day("2025-05-20"))
        let feedback = try desk.step { try Workflow.feedback($0, site: "jxj", form) }
        let fb = EntityKey.feedback(item: Self.id, site: "jxj")
        #expect(Set(feedback) == [
            LocalWrite(fb, "evaluation", .string("unsatisfied")), LocalWrite(fb, "receivedAt", .string("2025-05-20")),
            LocalWrite(fb, "effect", .string("later")), LocalWrite(fb, "public", .bool(false)), LocalWrite(fb, "comment", .string("未解决")),
        ])
        #expect(refusal { try Workflow.reply(try desk.view, site: "jxj", reply(at: "2025-06-10")) } != nil)
        let rehandle = try desk.step { try Workflow.rehandle($0, site: "jxj", at: day("2025-06-01")) }
        #expect(rehandle == [LocalWrite(Self.jxj, "rehandleAt", .string("2025-06-01"))])
        #expect(try desk.view.status(site: "jxj", today: Self.today)?.stage == .rehandling)
        let again = try desk.step { try Workflow.reply($0, site: "jxj", reply("再次答复", at: "2025-06-10")) }
        #expect(again.contains(LocalWrite(Self.jxj, "replyText", .string("再次答复"))))
    }

    @Test func opinionIsForCooperatingUnits() throws {
        var desk = Desk()
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        #expect(refusal { try Workflow.opinion(try desk.view, site: "jxj", text: "同意", at: Self.today) }
                == "Unit 'jxj' is the 主办 unit of rd-2025-1: it replies (banli item reply), it does not give a 会办意见.")
        #expect(refusal { try Workflow.opinion(try desk.view, site: "fgw", text: "同意", at: Self.today) }?.hasPrefix("Sign for item") == true)
        try desk.step { try Workflow.accept($0, site: "fgw", at: day("2025-03-26")) }
        #expect(refusal { try Workflow.opinion(try desk.view, site: "fgw", text: "", at: Self.today) }?.hasPrefix("The opinion text is empty") == true)
        let writes = try desk.step { try Workflow.opinion($0, site: "fgw", text: "同意主办单位意见", at: day("2025-04-10")) }
        #expect(writes == [LocalWrite(Self.fgw, "opinion", .string("同意主办单位意见")), LocalWrite(Self.fgw, "opinionAt", .string("2025-04-10"))])
        #expect(try desk.view.status(site: "fgw", today: Self.today)?.stage == .opinionSent)
    }

    @Test func requestsAreRefusedOnceTheUnitHasAnswered() throws {
        var desk = Desk()
        #expect(refusal { try Workflow.requestReturn(try desk.view, site: "jxj", reason: "  ") }?.contains("--reason") == true)
        #expect(try Workflow.requestReturn(try desk.view, site: "jxj", reason: "不属于本单位职责")
                == [LocalWrite(Self.jxj, "returnRequest", .string("不属于本单位职责"))])
        #expect(refusal { try Workflow.requestExtension(try desk.view, site: "jxj", reason: "需要调研", until: nil) }?
            .hasPrefix("Sign for item") == true)
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        #expect(try Workflow.requestExtension(try desk.view, site: "jxj", reason: "需要调研", until: day("2025-08-01"))
                == [LocalWrite(Self.jxj, "extensionRequest", .string("申请延期至2025-08-01：需要调研"))])
        try desk.step { try Workflow.reply($0, site: "jxj", reply()) }
        #expect(refusal { try Workflow.requestReturn(try desk.view, site: "jxj", reason: "不属于本单位职责") }?
            .hasPrefix("Item rd-2025-1 has already been answered") == true)
        #expect(refusal { try Workflow.requestExtension(try desk.view, site: "jxj", reason: "需要调研", until: nil) }?
            .hasPrefix("Item rd-2025-1 has already been replied to") == true)
    }

    @Test func contactsAreNumberedOnAndHandlerNeedsSomething() throws {
        var desk = Desk()
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        let first = try desk.step { try Workflow.contact($0, site: "jxj", at: day("2025-04-01"), method: .phone, note: nil) }
        let c1 = EntityKey.contact(item: Self.id, site: "jxj", n: 1)
        #expect(first == [LocalWrite(c1, "at", .string("2025-04-01")), LocalWrite(c1, "method", .string("phone"))])
        let second = try desk.step { try Workflow.contact($0, site: "jxj", at: day("2025-04-14"), method: .visit, note: "现场踏勘") }
        #expect(second.allSatisfy { $0.entity == .contact(item: Self.id, site: "jxj", n: 2) } && second.count == 3)

        #expect(refusal { try Workflow.handler(try desk.view, site: "jxj", section: nil, handler: nil, contactPerson: nil, phone: nil) }?
            .hasPrefix("Give at least one of") == true)
        #expect(try Workflow.handler(try desk.view, site: "jxj", section: nil, handler: "王科长", contactPerson: nil, phone: "0714-1")
                == [LocalWrite(Self.jxj, "handler", .string("王科长")), LocalWrite(Self.jxj, "phone", .string("0714-1"))])
    }

    @Test func followUpIsForCategoryBAsReviewed() throws {
        var desk = Desk()
        #expect(refusal { try Workflow.track(try desk.view, site: "jxj", text: "进展") }?.hasPrefix("Item rd-2025-1 has not been replied to yet") == true)
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        try desk.step { try Workflow.reply($0, site: "jxj", reply(category: .a)) }
        #expect(refusal { try Workflow.track(try desk.view, site: "jxj", text: "进展") }?.hasSuffix("this reply is category A.") == true)
        // The office reviews the category to B: the review counts.
        let review = try desk.step { try Workflow.category($0, site: "jxj", category: .b) }
        #expect(review == [LocalWrite(Self.jxj, "finalCategory", .string("B"))])
        #expect(try Workflow.track(try desk.view, site: "jxj", text: "已落实") == [LocalWrite(Self.jxj, "tracking", .string("已落实"))])
        #expect(refusal { try Workflow.category(try Desk().view, site: "jxj", category: .a) }?.contains("there is no category to review") == true)
    }

    @Test func reassignMovesTheAssignmentOnce() throws {
        let desk = Desk()
        let writes = try Workflow.reassign(try desk.view, from: "fgw", to: "swj", role: .assisting)
        #expect(writes == [
            LocalWrite(Self.fgw, "active", .bool(false)),
            LocalWrite(.assignment(item: Self.id, site: "swj"), "role", .string("assisting")),
            LocalWrite(.assignment(item: Self.id, site: "swj"), "active", .bool(true)),
        ])
        #expect(refusal { try Workflow.reassign(try desk.view, from: "fgw", to: "jxj", role: .lead) } == "Unit 'jxj' is already assigned to rd-2025-1.")
    }

    @Test func extendMovesTheDeadlineThatAppliesToTheUnit() throws {
        let view = try Desk().view
        #expect(try Workflow.extend(view, site: "jxj", due: day("2025-07-31"), today: Self.today, deadlines: Deadlines())
                == [LocalWrite(Self.jxj, "dueAt", .string("2025-07-31"))])
        #expect(try Workflow.extend(view, site: "fgw", due: day("2025-05-20"), today: Self.today, deadlines: Deadlines())
                == [LocalWrite(Self.fgw, "opinionDueAt", .string("2025-05-20"))])
        #expect(refusal { try Workflow.extend(view, site: "jxj", due: day("2025-06-20"), today: Self.today, deadlines: Deadlines()) }
                == "The new due date 2025-06-20 is not later than the current one (2025-06-20).")
    }

    @Test func feedbackIsRecordedOnlyForAReply() throws {
        var desk = Desk()
        let form = Workflow.Feedback(evaluation: .satisfied, effect: nil, isPublic: nil, comment: nil, receivedAt: day("2025-06-01"))
        #expect(refusal { try Workflow.feedback(try desk.view, site: "fgw", form) }?.hasPrefix("Feedback forms are for the replying unit") == true)
        #expect(refusal { try Workflow.feedback(try desk.view, site: "jxj", form) }?.hasPrefix("Unit 'jxj' has not replied to rd-2025-1 yet") == true)
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        try desk.step { try Workflow.reply($0, site: "jxj", reply()) }
        let fb = EntityKey.feedback(item: Self.id, site: "jxj")
        #expect(try Workflow.feedback(try desk.view, site: "jxj", form)
                == [LocalWrite(fb, "evaluation", .string("satisfied")), LocalWrite(fb, "receivedAt", .string("2025-06-01"))])
    }

    @Test func closeWaitsForEveryReplyAndOpinion() throws {
        var desk = Desk()
        func close() throws -> [LocalWrite] {
            try Workflow.close(try desk.view, at: day("2025-07-01"), today: Self.today, deadlines: Deadlines())
        }
        #expect(refusal { try close() } == "Cooperating unit 'fgw' has not given its opinion on rd-2025-1 yet; close it after every opinion is in.")
        try desk.step { try Workflow.accept($0, site: "fgw", at: day("2025-03-26")) }
        try desk.step { try Workflow.opinion($0, site: "fgw", text: "同意", at: day("2025-04-10")) }
        #expect(refusal { try close() } == "Unit 'jxj' has not replied to rd-2025-1 yet (待签收); close it after every reply is in.")
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        try desk.step { try Workflow.reply($0, site: "jxj", reply()) }
        // A unit reassigned away is not waited for.
        desk.set(.assignment(item: Self.id, site: "swj"), "role", .string("cooperating"))
        desk.set(.assignment(item: Self.id, site: "swj"), "active", .bool(false))
        let writes = try close()
        for w in writes { desk.set(w.entity, w.field, w.value) }
        #expect(writes == [LocalWrite(Self.item, "closedAt", .string("2025-07-01"))])
        #expect(refusal { try close() } == "Item rd-2025-1 was already closed on 2025-07-01.")

        var empty = Desk()
        empty.fields = [(Self.item, "kind", .string("suggestion"))]
        #expect(refusal { try Workflow.close(try empty.view, at: Self.today, today: Self.today, deadlines: Deadlines()) }?
            .hasPrefix("Item rd-2025-1 has no active assignment") == true)
    }
}
