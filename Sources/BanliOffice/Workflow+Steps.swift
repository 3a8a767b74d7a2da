import BanliCore

/// Which steps are open now, for pages that offer exactly those: each is asked of the step itself with a
/// plausible input, so a page can never offer a step the workflow would refuse, nor hide one it would take.
extension Workflow {
    /// A unit's step (a bureau acts for itself; the office records it for a unit, 代录).
    public enum UnitStep: String, Sendable, CaseIterable {
        case accept, requestReturn, requestExtension, handler, contact, opinion, reply, track

        /// The Chinese name on the button.
        public var label: String {
            switch self {
            case .accept: "签收"
            case .requestReturn: "申请调整"
            case .requestExtension: "申请延期"
            case .handler: "承办股室/责任人"
            case .contact: "沟通记录"
            case .opinion: "会办意见"
            case .reply: "答复"
            case .track: "B类跟踪落实"
            }
        }
    }

    /// The office's steps on one unit's assignment.
    public enum OfficeStep: String, Sendable, CaseIterable {
        case extend, category, feedback, rehandle, reassign

        public var label: String {
            switch self {
            case .extend: "批准延期"
            case .category: "审定答复类别"
            case .feedback: "录入征询意见"
            case .rehandle: "重新办理"
            case .reassign: "调整承办单位"
            }
        }
    }

    /// The unit steps `site` may take on `view` today, in workflow order.
    public static func openSteps(_ view: ItemView, site: String, today: ISODate) -> [UnitStep] {
        guard let a = try? activeAssignment(view, site: site) else { return [] }
        let day = max(today, a.acceptedAt ?? today, view.assignedAt ?? today)
        return UnitStep.allCases.filter { step in
            let probe: () throws -> [LocalWrite] = switch step {
            case .accept: { try accept(view, site: site, at: day) }
            case .requestReturn: { try requestReturn(view, site: site, reason: "x") }
            case .requestExtension: { try requestExtension(view, site: site, reason: "x", until: nil) }
            case .handler: { try handler(view, site: site, section: "x", handler: nil, contactPerson: nil, phone: nil) }
            case .contact: { try contact(view, site: site, at: day, method: .phone, note: nil) }
            case .opinion: { try opinion(view, site: site, text: "x", at: day) }
            case .reply: { try reply(view, site: site, Reply(number: nil, category: .a, text: "x", at: day, signer: nil, publicProposal: nil)) }
            case .track: { try track(view, site: site, text: "x") }
            }
            return (try? probe()) != nil
        }
    }

    /// The office steps open on `site`'s assignment of `view` today.
    public static func openOfficeSteps(_ view: ItemView, site: String, today: ISODate, deadlines: Deadlines) -> [OfficeStep] {
        guard (try? activeAssignment(view, site: site)) != nil else { return [] }
        let due = view.status(site: site, today: today, deadlines: deadlines)?.dueAt ?? today
        let feedbackDay = max(today, view.assignments[site]?.replyAt ?? today)
        return OfficeStep.allCases.filter { step in
            let probe: () throws -> [LocalWrite] = switch step {
            case .extend: { try extend(view, site: site, due: due.addingDays(30), today: today, deadlines: deadlines) }
            case .category: { try category(view, site: site, category: .a) }
            case .feedback: {
                try feedback(view, site: site, Feedback(evaluation: .satisfied, effect: nil, isPublic: nil, comment: nil, receivedAt: feedbackDay))
            }
            case .rehandle: { try rehandle(view, site: site, at: today) }
            case .reassign: { _ = try activeAssignment(view, site: site); return [] }
            }
            return (try? probe()) != nil
        }
    }

    /// True when 办结 would be taken today.
    public static func canClose(_ view: ItemView, today: ISODate, deadlines: Deadlines) -> Bool {
        (try? close(view, at: today, today: today, deadlines: deadlines)) != nil
    }
}
