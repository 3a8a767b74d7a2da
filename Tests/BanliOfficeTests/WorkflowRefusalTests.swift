import BanliCore
import BanliOffice
import TestSupport
import Testing

/// A step out of order is refused with a `WorkflowRefusal`, whose sentence a clerk reads: Chinese, one line, ending
/// with 。, naming the command on the terminal and never a command or a flag on the workbench.
@Suite struct WorkflowRefusalTests {
    /// Ids and units as they come, hostile ones included (a flag, a line break, a bidi override, markup, 。).
    static let hostile = [
        "rd-2025-1", "jxj", "a--b", "--reason", "x\ny", "\u{202E}evil", "<b>办</b>", "。；", "", String(repeating: "z", count: 90),
    ]

    func text(_ rng: inout SplitMix64) -> String { Self.hostile[Int(rng.next() % UInt64(Self.hostile.count))] }
    func date(_ rng: inout SplitMix64) -> ISODate {
        ISODate(year: 2020 + Int(rng.next() % 6), month: 1 + Int(rng.next() % 12), day: 1 + Int(rng.next() % 28))
    }
    func pick<T: CaseIterable>(_ rng: inout SplitMix64, _: T.Type) -> T {
        let all = Array(T.allCases)
        return all[Int(rng.next() % UInt64(all.count))]
    }

    /// One refusal of every case, its values drawn from `rng`; `number` (an exhaustive switch) keeps the list complete.
    func everyCase(_ rng: inout SplitMix64) -> [WorkflowRefusal] {
        func t() -> String { text(&rng) }
        func d() -> ISODate { date(&rng) }
        let role = pick(&rng, Role.self), role2 = pick(&rng, Role.self), kind = pick(&rng, ItemKind.self)
        return [
            .notAssigned(item: t(), unit: t()), .reassignedAway(item: t(), unit: t()), .closed(item: t(), closedAt: d()),
            .notSignedFor(item: t(), unit: t(), before: t()), .alreadySignedFor(item: t(), at: d()),
            .adjustmentAfterAnswer(item: t(), unit: t()), .extensionAfterReply(item: t(), unit: t()),
            .missingReason(item: t(), pick(&rng, WorkflowRefusal.ReasonFor.self)), .missingText(item: t(), pick(&rng, WorkflowRefusal.TextOf.self)),
            .noHandlerDetails(item: t()), .opinionFromReplyingUnit(item: t(), unit: t(), role: rng.next() % 2 == 0 ? role : nil),
            .replyFromCooperatingUnit(item: t(), unit: t(), role: role), .alreadyReplied(item: t(), unit: t(), at: d()),
            .answerBeforeSigning(item: t(), date: d(), signedFor: d()), .trackBeforeReply(item: t()),
            .trackNotCategoryB(item: t(), unit: t(), category: rng.next() % 2 == 0 ? pick(&rng, ReplyCategory.self) : nil),
            .alreadyAssigned(item: t(), unit: t()), .dueNotLater(item: t(), unit: t(), due: d(), current: d()),
            .feedbackForCooperating(item: t(), unit: t()), .feedbackBeforeReply(item: t(), unit: t()), .categoryBeforeReply(item: t(), unit: t()),
            .rehandleWithoutUnsatisfied(item: t(), unit: t(), evaluation: rng.next() % 2 == 0 ? pick(&rng, Evaluation.self) : nil),
            .linkWhileRehandling(item: t(), unit: t()), .alreadyClosed(item: t(), at: d()), .closeWithoutAssignment(item: t()),
            .closeBeforeReply(item: t(), unit: t(), stage: rng.next() % 2 == 0 ? pick(&rng, AssignmentStatus.Stage.self) : nil),
            .closeBeforeOpinion(item: t(), unit: t()),
            .dateBeforeAssignment(item: t(), pick(&rng, WorkflowRefusal.DateOf.self), date: d(), assignedAt: d()),
            .secondLead(item: t(), unit: t(), lead: t(), leadRole: role), .kindContradictsId(item: t(), byId: kind, given: kind),
            .roleChangeNotAsked(item: t(), unit: t(), old: role, new: role2), .roleSetDirectly(item: t(), unit: t(), old: role),
            .directoryNotItemField, .closedAtIsAStep(item: t()), .correctionNoteWritten(item: t()),
            .assignedAfterDue(item: t(), date: d(), due: d()), .notClosed(item: t()), .itemExists(item: t()),
        ]
    }

    static func number(_ r: WorkflowRefusal) -> Int {
        switch r {
        case .notAssigned: 0
        case .reassignedAway: 1
        case .closed: 2
        case .notSignedFor: 3
        case .alreadySignedFor: 4
        case .adjustmentAfterAnswer: 5
        case .extensionAfterReply: 6
        case .missingReason: 7
        case .missingText: 8
        case .noHandlerDetails: 9
        case .opinionFromReplyingUnit: 10
        case .replyFromCooperatingUnit: 11
        case .alreadyReplied: 12
        case .answerBeforeSigning: 13
        case .trackBeforeReply: 14
        case .trackNotCategoryB: 15
        case .alreadyAssigned: 16
        case .dueNotLater: 17
        case .feedbackForCooperating: 18
        case .feedbackBeforeReply: 19
        case .categoryBeforeReply: 20
        case .rehandleWithoutUnsatisfied: 21
        case .alreadyClosed: 22
        case .closeWithoutAssignment: 23
        case .closeBeforeReply: 24
        case .closeBeforeOpinion: 25
        case .dateBeforeAssignment: 26
        case .secondLead: 27
        case .kindContradictsId: 28
        case .roleChangeNotAsked: 29
        case .roleSetDirectly: 30
        case .directoryNotItemField: 31
        case .closedAtIsAStep: 32
        case .correctionNoteWritten: 33
        case .assignedAfterDue: 34
        case .notClosed: 35
        case .itemExists: 36
        case .linkWhileRehandling: 37
        }
    }

    /// The sentence with the values it names taken out, so a hostile value cannot pass or fail a check for the text around it.
    func frame(_ sentence: String) -> String {
        Self.hostile.filter { !$0.isEmpty }.map { TerminalText.escaped(String($0.prefix(80))) }
            .sorted { $0.count > $1.count }.reduce(sentence) { $0.replacingOccurrences(of: $1, with: "·") }
    }

    @Test func everySentenceIsOneChineseLineWithTheRemedyOfItsSurface() {
        var rng = SplitMix64(seed: 23)
        for _ in 0..<40 {
            let all = everyCase(&rng)
            #expect(Set(all.map(Self.number)).count == 38, "one of every case")
            for r in all {
                for surface in WorkflowRefusal.Surface.allCases {
                    let s = r.sentence(surface)
                    #expect(s.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "\(s)")
                    #expect(s.hasSuffix("。") && !s.contains("\n") && !s.contains("\r") && !s.contains("\u{202E}"), "\(s)")
                    #expect(s.unicodeScalars.allSatisfy { ![.control, .format].contains($0.properties.generalCategory) }, "\(s)")
                }
                let web = frame(r.sentence(.web)), cli = frame(r.sentence(.cli))
                #expect(!web.contains("--") && !web.contains("banli"), "a command on the workbench: \(r.sentence(.web))")
                #expect(cli.contains("banli "), "no command on the terminal: \(r.sentence(.cli))")
                #expect(r.error == BanliError(.workflow, r.sentence(.cli)) && r.error.exitCode == 2)
            }
        }
    }

    /// Every step, driven out of order on random desks with empty and odd inputs, refuses only with a
    /// `WorkflowRefusal`, and each refuses at least once.
    @Test func everyStepRefusesWithAWorkflowRefusal() throws {
        typealias Desk = WorkflowStepTests.Desk
        let id = WorkflowStepTests.id, today = WorkflowStepTests.today
        var rng = SplitMix64(seed: 29)
        var refused: Set<String> = []
        func attempt(_ step: String, _ body: () throws -> Any) {
            guard let sentence = workflowRefusal(body) else { return }
            #expect(!sentence.hasPrefix("unexpected"), "\(step) threw something else than a WorkflowRefusal: \(sentence)")
            refused.insert(step)
        }
        for _ in 0..<200 {
            var desk = Desk()
            let site = ["jxj", "fgw", "swj"][Int(rng.next() % 3)]
            let at = ISODate(year: 2025, month: 3, day: 10 + Int(rng.next() % 15))
            if rng.next() % 2 == 0 { _ = try? desk.step { try Workflow.accept($0, site: site, at: ISODate("2025-03-25")!) } }
            if rng.next() % 2 == 0 {
                let first = Workflow.Reply(number: nil, category: .a, text: "答复", at: today, signer: nil, publicProposal: nil)
                _ = try? desk.step { try Workflow.reply($0, site: site, first) }
            }
            if rng.next() % 4 == 0 { desk.set(WorkflowStepTests.item, "closedAt", .string("2025-04-30")) }
            if rng.next() % 5 == 0 { desk.set(.assignment(item: id, site: site), "active", .bool(false)) }
            let v = try desk.view
            let words = ["", " ", "意见"][Int(rng.next() % 3)]
            let reply = Workflow.Reply(number: nil, category: .b, text: words, at: at, signer: nil, publicProposal: nil)
            let feedback = Workflow.Feedback(evaluation: .satisfied, effect: nil, isPublic: nil, comment: nil, receivedAt: today)
            attempt("accept") { try Workflow.accept(v, site: site, at: at) }
            attempt("requestReturn") { try Workflow.requestReturn(v, site: site, reason: words) }
            attempt("requestExtension") { try Workflow.requestExtension(v, site: site, reason: words, until: nil) }
            let name = words.isEmpty ? nil : words
            attempt("handler") { try Workflow.handler(v, site: site, section: nil, handler: name, contactPerson: nil, phone: nil) }
            attempt("contact") { try Workflow.contact(v, site: site, at: at, method: .phone, note: nil) }
            attempt("opinion") { try Workflow.opinion(v, site: site, text: words, at: at) }
            attempt("reply") { try Workflow.reply(v, site: site, reply) }
            attempt("track") { try Workflow.track(v, site: site, text: words) }
            let to = ["jxj", "fgw"][Int(rng.next() % 2)]
            attempt("reassign") { try Workflow.reassign(v, from: site, to: to, role: .lead) }
            attempt("extend") { try Workflow.extend(v, site: site, due: at, today: today, deadlines: Deadlines()) }
            attempt("feedback") { try Workflow.feedback(v, site: site, feedback) }
            attempt("rehandle") { try Workflow.rehandle(v, site: site, at: today) }
            attempt("category") { try Workflow.category(v, site: site, category: .a) }
            attempt("close") { try Workflow.close(v, at: today, today: today, deadlines: Deadlines()) }
            let assignment = Workflow.Assignment(site: site, role: pick(&rng, Role.self), due: at, at: nil, changeRole: false)
            attempt("assign") { try Workflow.assign(v, assignment, today: today) }
            let field = ["replyAt", "opinion", "role", "rehandleAt"][Int(rng.next() % 4)]
            attempt("set") { try Workflow.set(v, .assignment(item: id, site: site), field, .string(at.description)) }
            let corrected = rng.next() % 2 == 0 ? "correction" : "title"
            attempt("correct") { try Workflow.correct(v, .item(id: id), corrected, .string("x"), reason: words) }
            attempt("reopen") { try Workflow.reopen(v, reason: words) }
            let new = Workflow.NewItem(id: id, kind: pick(&rng, ItemKind.self), number: 1, year: 2025, title: words, proposers: [], session: nil,
                                       category: nil, body: nil)
            let existing = rng.next() % 2 == 0 ? v : nil
            attempt("create") { try Workflow.create(new, existing: existing) }
        }
        let steps = ["accept", "requestReturn", "requestExtension", "handler", "contact", "opinion", "reply", "track", "reassign", "extend",
                     "feedback", "rehandle", "category", "close", "assign", "set", "correct", "reopen", "create"]
        #expect(refused == Set(steps), "never refused: \(Set(steps).subtracting(refused).sorted())")
    }
}
