import BanliCore
/// How long units have to answer, counted from 交办; localities differ, so both are configurable.
public struct Deadlines: Sendable, Hashable {
    /// Months from 交办 to the reply deadline (default 3).
    public var replyMonths: Int
    /// Months from 交办 to the 会办意见 deadline for cooperating units (default 1).
    public var opinionMonths: Int

    public init(replyMonths: Int = 3, opinionMonths: Int = 1) {
        self.replyMonths = replyMonths
        self.opinionMonths = opinionMonths
    }
}

/// The handling stage of one unit's assignment, derived from its fields (never stored, so it cannot conflict).
public struct AssignmentStatus: Sendable, Hashable {
    /// The stages of DESIGN §2.
    public enum Stage: String, Sendable, CaseIterable {
        case withdrawn, pending, returnRequested, handling, opinionSent, replied, evaluated, rehandling, closed

        /// The Chinese label.
        public var label: String {
            switch self {
            case .withdrawn: "已调整"
            case .pending: "待签收"
            case .returnRequested: "申请调整"
            case .handling: "办理中"
            case .opinionSent: "已会办"
            case .replied: "已答复"
            case .evaluated: "已评价"
            case .rehandling: "重新办理"
            case .closed: "办结"
            }
        }

        /// Still waiting on the unit: the stages a deadline can pass in.
        public var isOpen: Bool { [.pending, .returnRequested, .handling, .rehandling].contains(self) }
    }

    public var stage: Stage
    /// The deadline that applies now: the reply deadline, or the opinion deadline for cooperating units.
    public var dueAt: ISODate?
    /// Past the deadline and not yet answered.
    public var overdue: Bool

    /// Derives the status from the visible values.
    public static func derive(
        item: ItemView, assignment a: AssignmentView, feedback: FeedbackView?, today: ISODate, deadlines: Deadlines
    ) -> AssignmentStatus {
        let due: ISODate?
        if a.isCooperating {
            due = a.opinionDueAt ?? item.assignedAt?.addingMonths(deadlines.opinionMonths)
        } else {
            due = a.dueAt ?? item.dueAt ?? item.assignedAt?.addingMonths(deadlines.replyMonths)
        }
        let stage: Stage
        if !a.isActive {
            stage = .withdrawn
        } else if item.closedAt != nil {
            stage = .closed
        } else if a.isRehandlePending {
            stage = .rehandling
        } else if feedback?.evaluation != nil && a.hasAnswered {
            stage = .evaluated
        } else if a.hasAnswered {
            stage = a.isCooperating ? .opinionSent : .replied
        } else if a.returnRequest != nil {
            stage = .returnRequested
        } else if a.acceptedAt != nil {
            stage = .handling
        } else {
            stage = .pending
        }
        let overdue = stage.isOpen && (due.map { today > $0 } ?? false)
        return AssignmentStatus(stage: stage, dueAt: due, overdue: overdue)
    }
}
