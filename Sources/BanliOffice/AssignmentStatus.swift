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
    }

    public var stage: Stage
    /// The deadline that applies now: the reply deadline, or the opinion deadline for cooperating units.
    public var dueAt: ISODate?
    /// Past the deadline and not yet answered.
    public var overdue: Bool

    /// True for cooperating and assisting units, who give an opinion instead of replying.
    public static func isCooperating(role: String?) -> Bool {
        role == "cooperating" || role == "assisting"
    }

    /// Derives the status from the visible values.
    public static func derive(
        item: [String: JSONValue], assignment a: [String: JSONValue], contacts: [Int: [String: JSONValue]],
        feedback: [String: JSONValue], today: ISODate, deadlines: Deadlines
    ) -> AssignmentStatus {
        func date(_ v: JSONValue?) -> ISODate? { v?.stringValue.flatMap(ISODate.init) }
        let role = a["role"]?.stringValue
        let cooperating = isCooperating(role: role)
        let assignedAt = date(item["assignedAt"])
        let due: ISODate?
        if cooperating {
            due = date(a["opinionDueAt"]) ?? assignedAt?.addingMonths(deadlines.opinionMonths)
        } else {
            due = date(a["dueAt"]) ?? date(item["dueAt"]) ?? assignedAt?.addingMonths(deadlines.replyMonths)
        }
        let replyAt = date(a["replyAt"])
        let rehandleAt = date(a["rehandleAt"])
        let answered = cooperating ? a["opinionAt"] != nil || a["opinion"] != nil : replyAt != nil
        let stage: Stage
        if a["active"]?.boolValue == false {
            stage = .withdrawn
        } else if item["closedAt"] != nil {
            stage = .closed
        } else if let rehandleAt, replyAt.map({ $0 < rehandleAt }) ?? true {
            stage = .rehandling
        } else if feedback["evaluation"] != nil && answered {
            stage = .evaluated
        } else if answered {
            stage = cooperating ? .opinionSent : .replied
        } else if a["returnRequest"] != nil {
            stage = .returnRequested
        } else if a["acceptedAt"] != nil {
            stage = .handling
        } else {
            stage = .pending
        }
        let open: Set<Stage> = [.pending, .returnRequested, .handling, .rehandling]
        let overdue = open.contains(stage) && (due.map { today > $0 } ?? false)
        return AssignmentStatus(stage: stage, dueAt: due, overdue: overdue)
    }
}
