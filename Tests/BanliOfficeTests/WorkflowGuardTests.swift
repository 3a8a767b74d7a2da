import BanliCore
import BanliOffice
import TestSupport
import Testing

/// Issue 15's guards, without the binary: `item set` under the verbs' rules, corrections with a reason,
/// reopening, and the assignment rules (one lead, due dates, role changes, the id's kind).
@Suite struct WorkflowGuardTests {
    static let id = "zx-2020-7"
    static let item = EntityKey.item(id: id)
    static let jxj = EntityKey.assignment(item: id, site: "jxj")
    static let fgw = EntityKey.assignment(item: id, site: "fgw")
    static let today = ISODate("2020-06-01")!

    /// 交办 on 2020-03-20: jxj leads (signed for, replied), fgw cooperates.
    var fields: [(EntityKey, String, JSONValue)] = [
        (WorkflowGuardTests.item, "kind", .string("proposal")), (WorkflowGuardTests.item, "assignedAt", .string("2020-03-20")),
        (WorkflowGuardTests.jxj, "role", .string("lead")), (WorkflowGuardTests.jxj, "active", .bool(true)),
        (WorkflowGuardTests.jxj, "acceptedAt", .string("2020-03-25")), (WorkflowGuardTests.jxj, "replyAt", .string("2020-05-10")),
        (WorkflowGuardTests.jxj, "replyCategory", .string("B")), (WorkflowGuardTests.jxj, "dueAt", .string("2020-06-30")),
        (WorkflowGuardTests.fgw, "role", .string("cooperating")), (WorkflowGuardTests.fgw, "active", .bool(true)),
    ]

    func view(_ more: [(EntityKey, String, JSONValue)] = []) throws -> ItemView {
        try OfficeSample.view(Self.id, fields + more)
    }

    var closed: [(EntityKey, String, JSONValue)] { [(Self.item, "closedAt", .string("2020-07-01"))] }

    func refusal(_ body: () throws -> Any) -> String? { workflowRefusal(body) }

    @Test func setOnAClosedItemIsRefusedLikeTheVerbs() throws {
        let v = try view(closed)
        #expect(refusal { try Workflow.set(v, Self.jxj, "replyCategory", .string("A")) }?
            .hasPrefix("事项 zx-2020-7 已于 2020-07-01 办结；要继续办理，须先由交办机关用 banli item reopen zx-2020-7") == true)
        #expect(refusal { try Workflow.set(v, Self.jxj, "handler", .string("张三")) }?.contains("已于 2020-07-01 办结") == true)
        #expect(refusal { try Workflow.set(v, Self.item, "closedAt", .null) }?.contains("banli item reopen") == true)
        // The item's own fields stay the office's to keep (e.g. 公开 after 办结).
        #expect(try Workflow.set(v, Self.item, "publishedAt", .string("2020-08-01")) == [LocalWrite(Self.item, "publishedAt", .string("2020-08-01"))])
    }

    @Test func setKeepsTheRolesOfTheVerbs() throws {
        let v = try view()
        let f = EntityKey.feedback(item: Self.id, site: "fgw")
        #expect(refusal { try Workflow.set(v, f, "evaluation", .string("unsatisfied")) }?.contains("是事项 zx-2020-7 的会办或协办单位，征询意见表只录入给答复的单位") == true)
        #expect(refusal { try Workflow.set(v, Self.fgw, "replyCategory", .string("A")) }?.contains("提出会办意见，由主办单位答复") == true)
        #expect(refusal { try Workflow.set(v, Self.jxj, "opinion", .string("同意")) }?.contains("应当答复，不提出会办意见") == true)
        #expect(refusal { try Workflow.set(v, Self.fgw, "role", .string("lead")) }?.contains("--change-role") == true)
        #expect(refusal { try Workflow.set(v, Self.jxj, "rehandleAt", .string("2020-06-01")) }?.contains("不满意") == true)
        #expect(refusal { try Workflow.set(v, Self.jxj, "replyAt", .string("2020-03-21")) }?
            .contains("答复日期 2020-03-21 早于事项 zx-2020-7 的签收日期 2020-03-25") == true)
        #expect(refusal { try Workflow.set(v, Self.item, "kind", .string("suggestion")) }?.contains("按编号，事项 zx-2020-7 是提案") == true)
        #expect(refusal { try Workflow.set(v, Self.jxj, "dueAt", .string("2020-03-01")) }
                == "办理时限 2020-03-01 早于事项 zx-2020-7 的交办日期 2020-03-20；请改为 2020-03-20 或之后的日期（交办日期见 banli item show zx-2020-7）。")
        let contact = EntityKey.contact(item: Self.id, site: "jxj", n: 1)
        #expect(refusal { try Workflow.set(v, contact, "at", .string("2020-03-01")) }?.contains("沟通日期 2020-03-01 早于事项 zx-2020-7 的交办日期 2020-03-20") == true)
        // What the rules allow goes through as one write.
        #expect(try Workflow.set(v, Self.jxj, "progress", .string("在办")) == [LocalWrite(Self.jxj, "progress", .string("在办"))])
        #expect(try Workflow.set(v, EntityKey.feedback(item: Self.id, site: "jxj"), "evaluation", .string("satisfied")).count == 1)
    }

    @Test func aCorrectionCarriesItsReasonAndReopenClearsTheClosing() throws {
        let v = try view(closed)
        let writes = try Workflow.correct(v, Self.jxj, "replyCategory", .string("A"), reason: "纸质台账为A类，录入有误")
        #expect(writes == [
            LocalWrite(Self.jxj, "replyCategory", .string("A")),
            LocalWrite(Self.item, "correction", .string("更正 assignment/zx-2020-7/jxj replyCategory：纸质台账为A类，录入有误")),
        ])
        #expect(refusal { try Workflow.correct(v, Self.jxj, "replyCategory", .string("A"), reason: "  ") }?.contains("--reason") == true)
        #expect(try Workflow.reopen(v, reason: "代表要求补充答复") == [
            LocalWrite(Self.item, "closedAt", .null), LocalWrite(Self.item, "correction", .string("重新打开（原办结 2020-07-01）：代表要求补充答复")),
        ])
        #expect(refusal { try Workflow.reopen(try view(), reason: "x") } == "事项 zx-2020-7 尚未办结，不需要重新打开；办理情况见 banli item show zx-2020-7。")
    }

    func assignment(_ site: String, _ role: Role, due: String? = nil, at: String? = nil, change: Bool = false) -> Workflow.Assignment {
        Workflow.Assignment(site: site, role: role, due: due.flatMap(ISODate.init), at: at.flatMap(ISODate.init), changeRole: change)
    }

    @Test func assigningKeepsOneLeadAndDueDatesAfterTheAssignment() throws {
        let v = try view()
        #expect(refusal { try Workflow.assign(v, assignment("swj", .lead), today: Self.today) }
                == "事项 zx-2020-7 已有主办单位 jxj，一件事项只有一个主办或独办单位；请把 swj 交办为会办或协办：banli item assign zx-2020-7 swj --role cooperating。")
        #expect(refusal { try Workflow.assign(v, assignment("swj", .sole), today: Self.today) }?.contains("已有主办单位 jxj") == true)
        #expect(refusal { try Workflow.assign(v, assignment("swj", .cooperating, due: "2020-03-01"), today: Self.today) }
                == "办理时限 2020-03-01 早于事项 zx-2020-7 的交办日期 2020-03-20；请改为 2020-03-20 或之后的日期（交办日期见 banli item show zx-2020-7）。")
        // A new item: the due date is checked against the --at given with it.
        let fresh = try OfficeSample.view("rd-2020-1", [(.item(id: "rd-2020-1"), "kind", .string("suggestion"))])
        #expect(refusal { try Workflow.assign(fresh, assignment("jxj", .lead, due: "2020-04-01", at: "2020-05-01"), today: Self.today) }?
            .contains("早于事项 rd-2020-1 的交办日期 2020-05-01") == true)
        // A 会办 unit's --due is its 会办意见 deadline.
        #expect(try Workflow.assign(v, assignment("swj", .cooperating, due: "2020-04-20"), today: Self.today)
                .contains(LocalWrite(.assignment(item: Self.id, site: "swj"), "opinionDueAt", .string("2020-04-20"))))
    }

    @Test func changingARoleIsExplicitAndClearsTheStaleDeadline() throws {
        let v = try view()
        #expect(refusal { try Workflow.assign(v, assignment("jxj", .cooperating), today: Self.today) }
                == "单位 jxj 已是事项 zx-2020-7 的主办单位；要改为会办，请加上 --change-role：banli item assign zx-2020-7 jxj --role cooperating --change-role。")
        let writes = try Workflow.assign(v, assignment("jxj", .cooperating, change: true), today: Self.today)
        #expect(writes == [
            LocalWrite(Self.jxj, "role", .string("cooperating")), LocalWrite(Self.jxj, "active", .bool(true)), LocalWrite(Self.jxj, "dueAt", .null),
        ])
        // The same role again is no change: no flag needed.
        #expect(try Workflow.assign(v, assignment("fgw", .cooperating), today: Self.today).count == 2)
        #expect(refusal { try Workflow.assign(try view(closed), assignment("swj", .cooperating), today: Self.today) }?
            .contains("banli item reopen zx-2020-7") == true)
    }

    @Test func reassigningKeepsOneLead() throws {
        let v = try view()
        #expect(refusal { try Workflow.reassign(v, from: "fgw", to: "swj", role: .lead) }?.contains("已有主办单位 jxj，") == true)
        // Moving the lead itself is the usual 调整.
        #expect(try Workflow.reassign(v, from: "jxj", to: "swj", role: .lead).count == 3)
    }

    @Test func theIdNamesTheKind() {
        #expect(Workflow.kindNamed(byId: "rd-2025-1") == .suggestion)
        #expect(Workflow.kindNamed(byId: "zx-2025-1") == .proposal)
        #expect(Workflow.kindNamed(byId: "dc-2025-1") == nil)
        #expect(refusal { try Workflow.requireKind(.proposal, matches: "rd-2025-1") }
                == "按编号，事项 rd-2025-1 是建议（rd- 为建议，zx- 为提案），不是提案；请核对 banli item new 的 --kind 或事项编号。")
        #expect(refusal { try Workflow.requireKind(.suggestion, matches: "zx-2025-1") } != nil)
        #expect(refusal { try Workflow.requireKind(.proposal, matches: "zx-2025-1") } == nil)
    }

    @Test func aContactBeforeTheAssignmentIsRefused() throws {
        let v = try view()
        #expect(refusal { try Workflow.contact(v, site: "jxj", at: ISODate("2020-03-10")!, method: .phone, note: nil) }
                == "沟通日期 2020-03-10 早于事项 zx-2020-7 的交办日期 2020-03-20；请改为 2020-03-20 或之后的日期（交办日期见 banli item show zx-2020-7）。")
        #expect(try Workflow.contact(v, site: "jxj", at: ISODate("2020-03-20")!, method: .phone, note: nil).count == 2)
    }

    @Test func idsSortAsClerksCountThem() {
        let ids = ["zx-2020-15", "zx-2020-2", "zx-2020-1", "rd-2020-10", "zx-2020-8", "rd-2020-9"]
        #expect(ids.sorted(by: ItemView.naturalOrder) == ["rd-2020-9", "rd-2020-10", "zx-2020-1", "zx-2020-2", "zx-2020-8", "zx-2020-15"])
        #expect(ItemView.naturalOrder("zx-2020-1", "zx-2020-1a") && !ItemView.naturalOrder("zx-2020-1a", "zx-2020-1"))
    }
}
