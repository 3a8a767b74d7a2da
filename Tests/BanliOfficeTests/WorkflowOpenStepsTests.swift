import BanliCore
import BanliOffice
import TestSupport
import Testing

/// The steps a page offers are exactly the ones the workflow takes: walked through an item's life, and checked
/// against the steps themselves on generated desks.
@Suite struct WorkflowOpenStepsTests {
    typealias Desk = WorkflowStepTests.Desk
    let today = ISODate("2025-05-01")!

    @Test func theLeadUnitsStepsFollowTheItemsLife() throws {
        var desk = Desk()
        #expect(Workflow.openSteps(try desk.view, site: "jxj", today: today) == [.accept, .requestReturn, .handler])
        try desk.step { try Workflow.accept($0, site: "jxj", at: ISODate("2025-03-25")!) }
        #expect(Workflow.openSteps(try desk.view, site: "jxj", today: today) == [.requestReturn, .requestExtension, .handler, .contact, .reply])
        try desk.step {
            try Workflow.reply($0, site: "jxj", Workflow.Reply(number: nil, category: .b, text: "答复", at: today, signer: nil, publicProposal: nil))
        }
        #expect(Workflow.openSteps(try desk.view, site: "jxj", today: today) == [.handler, .contact, .track])
        #expect(Workflow.openOfficeSteps(try desk.view, site: "jxj", today: today, deadlines: Deadlines()) == [.extend, .category, .feedback, .reassign])
        try desk.step {
            try Workflow.feedback($0, site: "jxj", Workflow.Feedback(evaluation: .unsatisfied, effect: nil, isPublic: nil, comment: nil, receivedAt: today))
        }
        #expect(Workflow.openOfficeSteps(try desk.view, site: "jxj", today: today, deadlines: Deadlines()).contains(.rehandle))
        #expect(!Workflow.canClose(try desk.view, today: today, deadlines: Deadlines()), "the cooperating unit has not given its opinion")
    }

    @Test func aCooperatingUnitGivesAnOpinionAndNeverReplies() throws {
        var desk = Desk()
        try desk.step { try Workflow.accept($0, site: "fgw", at: ISODate("2025-03-25")!) }
        let steps = Workflow.openSteps(try desk.view, site: "fgw", today: today)
        #expect(steps.contains(.opinion) && !steps.contains(.reply))
        #expect(Workflow.openSteps(try desk.view, site: "swj", today: today).isEmpty, "a unit not assigned has no step")
    }

    /// On random desks, a step is offered exactly when its own call (with the same plausible input) succeeds.
    @Test func offeredStepsAreExactlyTheStepsTheWorkflowTakes() throws {
        var rng = SplitMix64(seed: 17)
        for _ in 0..<300 {
            var desk = Desk()
            let site = rng.next() % 2 == 0 ? "jxj" : "fgw"
            if rng.next() % 3 != 0 { _ = try? desk.step { try Workflow.accept($0, site: site, at: ISODate("2025-03-25")!) } }
            if rng.next() % 2 == 0 {
                _ = try? desk.step {
                    try Workflow.reply($0, site: site, Workflow.Reply(number: nil, category: rng.next() % 2 == 0 ? .a : .b, text: "答复", at: today,
                                                                      signer: nil, publicProposal: nil))
                }
            }
            if rng.next() % 4 == 0 { desk.set(WorkflowStepTests.item, "closedAt", .string("2025-04-30")) }
            if rng.next() % 5 == 0 { desk.set(.assignment(item: WorkflowStepTests.id, site: site), "active", .bool(false)) }
            let view = try desk.view
            let offered = Set(Workflow.openSteps(view, site: site, today: today))
            #expect(offered.contains(.accept) == ((try? Workflow.accept(view, site: site, at: today)) != nil))
            #expect(offered.contains(.track) == ((try? Workflow.track(view, site: site, text: "落实")) != nil))
            #expect(offered.contains(.opinion) == ((try? Workflow.opinion(view, site: site, text: "意见", at: today)) != nil))
            if view.closedAt != nil || view.assignments[site]?.isActive == false { #expect(offered.isEmpty) }
        }
    }
}
