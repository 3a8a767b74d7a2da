import BanliCore
import BanliOffice
import TestSupport
import Testing

/// The stage and deadline a clerk sees for one unit's assignment, derived from its fields.
@Suite struct AssignmentStatusTests {
    static let id = "rd-2025-1"
    static let item = EntityKey.item(id: id)
    static let jxj = EntityKey.assignment(item: id, site: "jxj")
    static let fgw = EntityKey.assignment(item: id, site: "fgw")

    /// rd-2025-1, assigned on 2025-03-20 to jxj (lead) and fgw (cooperating).
    static let base: [(EntityKey, String, JSONValue)] = [
        (Self.item, "kind", .string("suggestion")), (Self.item, "assignedAt", .string("2025-03-20")),
        (Self.jxj, "role", .string("lead")), (Self.jxj, "active", .bool(true)),
        (Self.fgw, "role", .string("cooperating")), (Self.fgw, "active", .bool(true)),
    ]

    /// The status of `site` on rd-2025-1 with `more` written after `base`.
    func status(_ site: String, _ more: [(EntityKey, String, JSONValue)] = [], today: String = "2025-05-01",
                deadlines: Deadlines = Deadlines()) throws -> AssignmentStatus? {
        try OfficeSample.view(Self.id, Self.base + more).status(site: site, today: ISODate(today)!, deadlines: deadlines)
    }

    @Test func aReplyingUnitGoesThroughEachStage() throws {
        #expect(try status("jxj")?.stage == .pending)
        #expect(try status("jxj", [(Self.jxj, "returnRequest", .string("不属于本单位职责"))])?.stage == .returnRequested)
        let accepted: [(EntityKey, String, JSONValue)] = [(Self.jxj, "acceptedAt", .string("2025-03-25"))]
        #expect(try status("jxj", accepted)?.stage == .handling)
        let replied = accepted + [(Self.jxj, "replyAt", .string("2025-05-10"))]
        #expect(try status("jxj", replied)?.stage == .replied)
        let unhappy = replied + [(.feedback(item: Self.id, site: "jxj"), "evaluation", .string("unsatisfied"))]
        #expect(try status("jxj", unhappy)?.stage == .evaluated)
        let rehandled = unhappy + [(Self.jxj, "rehandleAt", .string("2025-06-01"))]
        #expect(try status("jxj", rehandled)?.stage == .rehandling)
        // A new reply after 重新办理 answers it again.
        let answeredAgain = rehandled + [(Self.jxj, "replyAt", .string("2025-06-15"))]
        #expect(try status("jxj", answeredAgain)?.stage == .evaluated)
        #expect(try status("jxj", answeredAgain + [(Self.item, "closedAt", .string("2025-07-01"))])?.stage == .closed)
    }

    /// Issue 18: a deputy who answers online the day the reply came can send it back the same day; the write order,
    /// not the dates, tells that the 重新办理 came after the reply (and the new reply after the 重新办理).
    @Test func aSameDayRehandleIsSeenAndSoIsASameDayNewReply() throws {
        let replied: [(EntityKey, String, JSONValue)] = [
            (Self.jxj, "acceptedAt", .string("2025-03-25")), (Self.jxj, "replyAt", .string("2025-05-10")),
            (.feedback(item: Self.id, site: "jxj"), "evaluation", .string("unsatisfied")),
        ]
        let rehandled = replied + [(Self.jxj, "rehandleAt", .string("2025-05-10"))]
        #expect(try status("jxj", rehandled)?.stage == .rehandling)
        // 办结 is refused while the unit re-handles (the cooperating unit has given its opinion).
        let view = try OfficeSample.view(Self.id, Self.base + rehandled + [(Self.fgw, "opinion", .string("同意"))])
        let day = ISODate("2025-05-10")!
        #expect(throws: WorkflowRefusal.closeBeforeReply(item: Self.id, unit: "jxj", stage: .rehandling)) {
            try Workflow.close(view, at: day, today: day, deadlines: Deadlines())
        }
        #expect(try status("jxj", rehandled + [(Self.jxj, "replyAt", .string("2025-05-10"))])?.stage == .evaluated)
    }

    @Test func aCooperatingUnitIsDoneOnceItGivesItsOpinion() throws {
        #expect(try status("fgw", [(Self.fgw, "acceptedAt", .string("2025-03-25"))])?.stage == .handling)
        #expect(try status("fgw", [(Self.fgw, "opinion", .string("同意"))])?.stage == .opinionSent)
        #expect(try status("fgw", [(Self.fgw, "opinionAt", .string("2025-04-01"))])?.stage == .opinionSent)
        // A reply field on a cooperating unit's row does not count as its answer.
        #expect(try status("fgw", [(Self.fgw, "replyAt", .string("2025-04-01"))])?.stage == .pending)
    }

    @Test func aReassignedUnitIsWithdrawnEvenOnAClosedItem() throws {
        let away: [(EntityKey, String, JSONValue)] = [(Self.fgw, "active", .bool(false)), (Self.item, "closedAt", .string("2025-07-01"))]
        let st = try status("fgw", away, today: "2025-12-01")
        #expect(st?.stage == .withdrawn)
        #expect(st?.overdue == false)
        #expect(try status("swj") == nil)
    }

    @Test func deadlinesCountFromAssignmentAndMayBeOverridden() throws {
        #expect(try status("jxj")?.dueAt == ISODate("2025-06-20"))
        #expect(try status("fgw")?.dueAt == ISODate("2025-04-20"))
        let local = Deadlines(replyMonths: 2, opinionMonths: 0)
        #expect(try status("jxj", deadlines: local)?.dueAt == ISODate("2025-05-20"))
        #expect(try status("fgw", deadlines: local)?.dueAt == ISODate("2025-03-20"))
        // The item's deadline replaces the default; the unit's own (an approved extension) replaces both.
        let itemDue: [(EntityKey, String, JSONValue)] = [(Self.item, "dueAt", .string("2025-06-30"))]
        #expect(try status("jxj", itemDue)?.dueAt == ISODate("2025-06-30"))
        #expect(try status("jxj", itemDue + [(Self.jxj, "dueAt", .string("2025-08-31"))])?.dueAt == ISODate("2025-08-31"))
        // The item's reply deadline is not the cooperating unit's.
        #expect(try status("fgw", itemDue + [(Self.fgw, "opinionDueAt", .string("2025-05-15"))])?.dueAt == ISODate("2025-05-15"))
        // 31 March plus three months is the last day of June.
        let march31: [(EntityKey, String, JSONValue)] = [(Self.item, "assignedAt", .string("2025-03-31"))]
        #expect(try status("jxj", march31)?.dueAt == ISODate("2025-06-30"))
    }

    @Test func overdueOnlyAfterTheDueDayAndOnlyWhileOpen() throws {
        #expect(try status("jxj", today: "2025-06-20")?.overdue == false)
        #expect(try status("jxj", today: "2025-06-21")?.overdue == true)
        let accepted: [(EntityKey, String, JSONValue)] = [(Self.jxj, "acceptedAt", .string("2025-03-25"))]
        #expect(try status("jxj", accepted, today: "2025-06-21")?.overdue == true)
        // Replied late: no longer overdue, it is answered.
        #expect(try status("jxj", accepted + [(Self.jxj, "replyAt", .string("2025-07-01"))], today: "2025-08-01")?.overdue == false)
        #expect(try status("fgw", today: "2025-04-21")?.overdue == true)
        #expect(try status("fgw", [(Self.fgw, "opinion", .string("同意"))], today: "2025-04-21")?.overdue == false)
    }

    @Test func stagesHaveTheClerksLabels() {
        #expect(AssignmentStatus.Stage.pending.label == "待签收")
        #expect(AssignmentStatus.Stage.rehandling.label == "重新办理")
        #expect(AssignmentStatus.Stage.allCases.filter(\.isOpen) == [.pending, .returnRequested, .handling, .rehandling])
    }
}
