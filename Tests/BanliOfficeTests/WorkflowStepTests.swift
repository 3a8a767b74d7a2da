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
                == "事项 rd-2025-1 已于 2025-03-25 签收，不必再签收；办理情况见 banli item show rd-2025-1。")
    }

    @Test func onlyAnActiveAssignmentOfAnOpenItemMayAct() throws {
        var desk = Desk()
        #expect(refusal { try Workflow.accept(try desk.view, site: "swj", at: Self.today) }?
            .hasPrefix("事项 rd-2025-1 没有交办给单位 swj；") == true)
        desk.set(Self.fgw, "active", .bool(false))
        #expect(refusal { try Workflow.accept(try desk.view, site: "fgw", at: Self.today) }?
            .hasPrefix("单位 fgw 已被调整出事项 rd-2025-1，") == true)
        desk.set(Self.item, "closedAt", .string("2025-07-01"))
        #expect(refusal { try Workflow.accept(try desk.view, site: "jxj", at: Self.today) }
                == "事项 rd-2025-1 已于 2025-07-01 办结；要继续办理，须先由交办机关用 banli item reopen rd-2025-1 --reason 理由 重新打开。")
    }

    @Test func replyNeedsSigningTheRightRoleAndAllItsParts() throws {
        var desk = Desk()
        #expect(refusal { try Workflow.reply(try desk.view, site: "jxj", reply()) }?.hasPrefix("单位 jxj 尚未签收事项 rd-2025-1，「答复」要在签收之后；") == true)
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        try desk.step { try Workflow.accept($0, site: "fgw", at: day("2025-03-26")) }
        #expect(refusal { try Workflow.reply(try desk.view, site: "fgw", reply()) }
                == "单位 fgw 是事项 rd-2025-1 的会办单位，提出会办意见，由主办单位答复；请用 banli item opinion rd-2025-1 提出会办意见。")
        #expect(refusal { try Workflow.reply(try desk.view, site: "jxj", reply(" \n")) }?.hasPrefix("答复的内容是空的；") == true)
        // Issue 15: a reply without a 文号 is accepted (seed 001's reply letter has none).
        #expect(try Workflow.reply(try desk.view, site: "jxj", reply(number: "")).allSatisfy { $0.field != "replyNumber" })
        #expect(refusal { try Workflow.reply(try desk.view, site: "jxj", reply(at: "2025-03-24")) }
                == "答复日期 2025-03-24 早于事项 rd-2025-1 的签收日期 2025-03-25；请改用 2025-03-25 或之后的日期，例如 banli item reply rd-2025-1 --at 日期。")

        let writes = try desk.step { try Workflow.reply($0, site: "jxj", reply(category: .b)) }
        #expect(Set(writes) == [
            LocalWrite(Self.jxj, "replyNumber", .string("冶经信函〔2025〕12号")), LocalWrite(Self.jxj, "replyCategory", .string("B")),
            LocalWrite(Self.jxj, "replyText", .string("答复全文")), LocalWrite(Self.jxj, "replyAt", .string("2025-05-01")),
            LocalWrite(Self.jxj, "replySigner", .string("张三")),
        ])
        #expect(try desk.view.status(site: "jxj", today: Self.today)?.stage == .replied)
        #expect(refusal { try Workflow.reply(try desk.view, site: "jxj", reply()) }?
            .hasPrefix("单位 jxj 已于 2025-05-01 答复事项 rd-2025-1，再次答复须先由交办机关决定重新办理；") == true)
    }

    @Test func aNewReplyIsAllowedOnlyAfterUnsatisfiedAndRehandling() throws {
        var desk = Desk()
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        try desk.step { try Workflow.reply($0, site: "jxj", reply()) }
        #expect(refusal { try Workflow.rehandle(try desk.view, site: "jxj", at: Self.today) }
                == "重新办理只在评价为不满意之后，单位 jxj 对事项 rd-2025-1 的答复还没有录入评价；请先用 banli item feedback rd-2025-1 jxj --evaluation 评价 录入征询意见表。")
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
                == "单位 jxj 是事项 rd-2025-1 的主办单位，应当答复，不提出会办意见；请用 banli item reply rd-2025-1 答复。")
        #expect(refusal { try Workflow.opinion(try desk.view, site: "fgw", text: "同意", at: Self.today) }?
            .hasPrefix("单位 fgw 尚未签收事项 rd-2025-1，「会办意见」要在签收之后；") == true)
        try desk.step { try Workflow.accept($0, site: "fgw", at: day("2025-03-26")) }
        #expect(refusal { try Workflow.opinion(try desk.view, site: "fgw", text: "", at: Self.today) }?.hasPrefix("会办意见的内容是空的；") == true)
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
            .hasPrefix("单位 jxj 尚未签收事项 rd-2025-1，「申请延期」要在签收之后；") == true)
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        #expect(try Workflow.requestExtension(try desk.view, site: "jxj", reason: "需要调研", until: day("2025-08-01"))
                == [LocalWrite(Self.jxj, "extensionRequest", .string("申请延期至2025-08-01：需要调研"))])
        try desk.step { try Workflow.reply($0, site: "jxj", reply()) }
        #expect(refusal { try Workflow.requestReturn(try desk.view, site: "jxj", reason: "不属于本单位职责") }?
            .hasPrefix("单位 jxj 已经答复事项 rd-2025-1（或已提出会办意见），申请调整只能在答复之前；") == true)
        #expect(refusal { try Workflow.requestExtension(try desk.view, site: "jxj", reason: "需要调研", until: nil) }?
            .hasPrefix("单位 jxj 已经答复事项 rd-2025-1，不需要再申请延期；") == true)
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
            .hasPrefix("承办股室、责任人、联系人、电话一项也没有填写；") == true)
        #expect(try Workflow.handler(try desk.view, site: "jxj", section: nil, handler: "王科长", contactPerson: nil, phone: "0714-1")
                == [LocalWrite(Self.jxj, "handler", .string("王科长")), LocalWrite(Self.jxj, "phone", .string("0714-1"))])
    }

    @Test func followUpIsForCategoryBAsReviewed() throws {
        var desk = Desk()
        #expect(refusal { try Workflow.track(try desk.view, site: "jxj", text: "进展") }?.hasPrefix("事项 rd-2025-1 尚未答复，B类跟踪落实在答复之后；") == true)
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        try desk.step { try Workflow.reply($0, site: "jxj", reply(category: .a)) }
        #expect(refusal { try Workflow.track(try desk.view, site: "jxj", text: "进展") }?.contains("这份答复是A类；") == true)
        // The office reviews the category to B: the review counts.
        let review = try desk.step { try Workflow.category($0, site: "jxj", category: .b) }
        #expect(review == [LocalWrite(Self.jxj, "finalCategory", .string("B"))])
        #expect(try Workflow.track(try desk.view, site: "jxj", text: "已落实") == [LocalWrite(Self.jxj, "tracking", .string("已落实"))])
        #expect(refusal { try Workflow.category(try Desk().view, site: "jxj", category: .a) }?.contains("还没有可审定的答复类别；") == true)
    }

    @Test func reassignMovesTheAssignmentOnce() throws {
        let desk = Desk()
        let writes = try Workflow.reassign(try desk.view, from: "fgw", to: "swj", role: .assisting)
        #expect(writes == [
            LocalWrite(Self.fgw, "active", .bool(false)),
            LocalWrite(.assignment(item: Self.id, site: "swj"), "role", .string("assisting")),
            LocalWrite(.assignment(item: Self.id, site: "swj"), "active", .bool(true)),
        ])
        #expect(refusal { try Workflow.reassign(try desk.view, from: "fgw", to: "jxj", role: .lead) }
                == "单位 jxj 已经是事项 rd-2025-1 的承办单位；请改调给其他单位：banli item reassign rd-2025-1 原单位 新单位。")
    }

    @Test func extendMovesTheDeadlineThatAppliesToTheUnit() throws {
        let view = try Desk().view
        #expect(try Workflow.extend(view, site: "jxj", due: day("2025-07-31"), today: Self.today, deadlines: Deadlines())
                == [LocalWrite(Self.jxj, "dueAt", .string("2025-07-31"))])
        #expect(try Workflow.extend(view, site: "fgw", due: day("2025-05-20"), today: Self.today, deadlines: Deadlines())
                == [LocalWrite(Self.fgw, "opinionDueAt", .string("2025-05-20"))])
        #expect(refusal { try Workflow.extend(view, site: "jxj", due: day("2025-06-20"), today: Self.today, deadlines: Deadlines()) }
                == "新的办理时限 2025-06-20 不晚于现在的时限 2025-06-20；请给出晚于 2025-06-20 的日期：banli item extend rd-2025-1 jxj --due 日期。")
    }

    @Test func feedbackIsRecordedOnlyForAReply() throws {
        var desk = Desk()
        let form = Workflow.Feedback(evaluation: .satisfied, effect: nil, isPublic: nil, comment: nil, receivedAt: day("2025-06-01"))
        #expect(refusal { try Workflow.feedback(try desk.view, site: "fgw", form) }?.contains("征询意见表只录入给答复的单位；") == true)
        #expect(refusal { try Workflow.feedback(try desk.view, site: "jxj", form) }?.hasPrefix("单位 jxj 尚未答复事项 rd-2025-1，征询意见表要在答复之后录入；") == true)
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
        #expect(refusal { try close() } == "会办单位 fgw 尚未提出对事项 rd-2025-1 的会办意见，会办意见都到齐后才能办结；各单位的办理情况见 banli item show rd-2025-1。")
        try desk.step { try Workflow.accept($0, site: "fgw", at: day("2025-03-26")) }
        try desk.step { try Workflow.opinion($0, site: "fgw", text: "同意", at: day("2025-04-10")) }
        #expect(refusal { try close() } == "单位 jxj 尚未答复事项 rd-2025-1（待签收），答复都到齐后才能办结；各单位的办理情况见 banli item show rd-2025-1。")
        try desk.step { try Workflow.accept($0, site: "jxj", at: day("2025-03-25")) }
        try desk.step { try Workflow.reply($0, site: "jxj", reply()) }
        // A unit reassigned away is not waited for.
        desk.set(.assignment(item: Self.id, site: "swj"), "role", .string("cooperating"))
        desk.set(.assignment(item: Self.id, site: "swj"), "active", .bool(false))
        let writes = try close()
        for w in writes { desk.set(w.entity, w.field, w.value) }
        #expect(writes == [LocalWrite(Self.item, "closedAt", .string("2025-07-01"))])
        #expect(refusal { try close() } == "事项 rd-2025-1 已于 2025-07-01 办结；如需改动，请用 banli item reopen rd-2025-1 --reason 理由 重新打开。")

        var empty = Desk()
        empty.fields = [(Self.item, "kind", .string("suggestion"))]
        #expect(refusal { try Workflow.close(try empty.view, at: Self.today, today: Self.today, deadlines: Deadlines()) }?
            .hasPrefix("事项 rd-2025-1 没有在办的承办单位，不能办结；") == true)
    }
}
