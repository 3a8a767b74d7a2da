import BanliCore

/// Why `Workflow` refuses a step, before anything is written: one case per reason, with the values the sentence
/// names. The sentence is Chinese, one line, saying what is wrong and how to fix it; only the remedy depends on
/// where the clerk reads it (a command on the terminal, a button or form on the workbench).
public enum WorkflowRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where a refusal is read.
    public enum Surface: Sendable, Hashable, CaseIterable {
        /// `banli item …` on a terminal: the remedy names the command.
        case cli
        /// The workbench (`banli web`): the remedy names the button or form on the page.
        case web
    }

    /// A reason the office's steps ask for (kept in the history with the change).
    public enum ReasonFor: Sendable, Hashable, CaseIterable {
        case adjustment, `extension`, correction, reopening
    }

    /// Text a step needs that came empty.
    public enum TextOf: Sendable, Hashable, CaseIterable {
        case opinion, reply, title
    }

    /// A date of the unit's work that may not precede 交办.
    public enum DateOf: Sendable, Hashable, CaseIterable {
        case contact, due
    }

    case notAssigned(item: String, unit: String)
    case reassignedAway(item: String, unit: String)
    case closed(item: String, closedAt: ISODate)
    /// `before` names what waits for 签收 (a step's label such as 答复, or a field's label).
    case notSignedFor(item: String, unit: String, before: String)
    case alreadySignedFor(item: String, at: ISODate)
    case adjustmentAfterAnswer(item: String, unit: String)
    case extensionAfterReply(item: String, unit: String)
    case missingReason(item: String, ReasonFor)
    case missingText(item: String, TextOf)
    case noHandlerDetails(item: String)
    case opinionFromReplyingUnit(item: String, unit: String, role: Role?)
    case replyFromCooperatingUnit(item: String, unit: String, role: Role?)
    case alreadyReplied(item: String, unit: String, at: ISODate)
    case answerBeforeSigning(item: String, date: ISODate, signedFor: ISODate)
    case trackBeforeReply(item: String)
    case trackNotCategoryB(item: String, unit: String, category: ReplyCategory?)
    case alreadyAssigned(item: String, unit: String)
    case dueNotLater(item: String, unit: String, due: ISODate, current: ISODate)
    case feedbackForCooperating(item: String, unit: String)
    case feedbackBeforeReply(item: String, unit: String)
    case categoryBeforeReply(item: String, unit: String)
    case rehandleWithoutUnsatisfied(item: String, unit: String, evaluation: Evaluation?)
    /// A link would rate the reply the office already sent back (重新办理): the new reply is the one to rate.
    case linkWhileRehandling(item: String, unit: String)
    case alreadyClosed(item: String, at: ISODate)
    case closeWithoutAssignment(item: String)
    case closeBeforeReply(item: String, unit: String, stage: AssignmentStatus.Stage?)
    case closeBeforeOpinion(item: String, unit: String)
    case dateBeforeAssignment(item: String, DateOf, date: ISODate, assignedAt: ISODate)
    case secondLead(item: String, unit: String, lead: String, leadRole: Role)
    case kindContradictsId(item: String, byId: ItemKind, given: ItemKind)
    case roleChangeNotAsked(item: String, unit: String, old: Role, new: Role)
    case roleSetDirectly(item: String, unit: String, old: Role)
    case directoryNotItemField
    case closedAtIsAStep(item: String)
    case correctionNoteWritten(item: String)
    case assignedAfterDue(item: String, date: ISODate, due: ISODate)
    case notClosed(item: String)
    case itemExists(item: String)

    /// The terminal's sentence, as `banli` prints it.
    public var description: String { sentence(.cli) }

    /// The refusal as the error every command reports (its code decides the exit status).
    public var error: BanliError { BanliError(.workflow, sentence(.cli)) }

    /// One line: what is wrong, then how to fix it where the clerk is.
    public func sentence(_ surface: Surface) -> String { clause(surface) + "。" }

    /// The sentence without its final 。, for a list that joins several (the ledger's refused cells).
    func clause(_ surface: Surface) -> String {
        let (problem, cli, web) = parts
        return "\(problem)；\(surface == .cli ? cli : web)"
    }

    /// A value taken from input (an id, a unit) as the sentence shows it: one line, nothing a terminal acts on.
    static func shown(_ s: String) -> String { TerminalText.escaped(String(s.prefix(80))) }

    /// The problem, the terminal's remedy and the workbench's remedy, without the final 。.
    var parts: (String, String, String) {
        let show = "banli item show"
        switch self {
        case .notAssigned(let item, let unit):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("事项 \(i) 没有交办给单位 \(u)", "请核对事项编号和单位（交办机关用 banli item assign \(i) 单位 --role 承办方式 交办）",
                    "请核对事项和单位（交办机关在事项页的「增加承办单位」里交办）")
        case .reassignedAway(let item, let unit):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 已被调整出事项 \(i)，不需要再办理", "现在的承办单位见 \(show) \(i)", "请在本页查看现在的承办单位")
        case .closed(let item, let closedAt):
            let i = Self.shown(item)
            return ("事项 \(i) 已于 \(closedAt) 办结", "要继续办理，须先由交办机关用 banli item reopen \(i) --reason 理由 重新打开",
                    "要继续办理，须先由交办机关在事项页点击「重新打开」")
        case .notSignedFor(let item, let unit, let before):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 尚未签收事项 \(i)，「\(Self.shown(before))」要在签收之后", "请先用 banli item accept \(i) 签收", "请先在本页点击「签收」")
        case .alreadySignedFor(let item, let at):
            let i = Self.shown(item)
            return ("事项 \(i) 已于 \(at) 签收，不必再签收", "办理情况见 \(show) \(i)", "请在本页继续办理后面的步骤")
        case .adjustmentAfterAnswer(let item, let unit):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 已经答复事项 \(i)（或已提出会办意见），申请调整只能在答复之前", "答复如有错误，请交办机关用 banli item correct 更正",
                    "答复如有错误，请联系交办机关更正")
        case .extensionAfterReply(let item, let unit):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 已经答复事项 \(i)，不需要再申请延期", "答复情况见 \(show) \(i)", "请在本页查看答复情况")
        case .missingReason(let item, let why):
            return Self.missingReason(Self.shown(item), why)
        case .missingText(let item, let what):
            return Self.missingText(Self.shown(item), what)
        case .noHandlerDetails(let item):
            let i = Self.shown(item)
            return ("承办股室、责任人、联系人、电话一项也没有填写", "请至少给出一项，例如 banli item handler \(i) --handler 姓名",
                    "请在「承办股室/责任人」表单里至少填写一项")
        case .opinionFromReplyingUnit(let item, let unit, let role):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 是事项 \(i) 的\(role?.label ?? "")单位，应当答复，不提出会办意见", "请用 banli item reply \(i) 答复",
                    "请在本页点击「答复」")
        case .replyFromCooperatingUnit(let item, let unit, let role):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 是事项 \(i) 的\(role?.label ?? "")单位，提出会办意见，由主办单位答复", "请用 banli item opinion \(i) 提出会办意见",
                    "请在本页点击「会办意见」")
        case .alreadyReplied(let item, let unit, let at):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 已于 \(at) 答复事项 \(i)，再次答复须先由交办机关决定重新办理", "重新办理由交办机关用 banli item rehandle \(i) \(u) 办理",
                    "重新办理由交办机关在事项页点击「重新办理」")
        case .answerBeforeSigning(let item, let date, let signedFor):
            let i = Self.shown(item)
            return ("答复日期 \(date) 早于事项 \(i) 的签收日期 \(signedFor)", "请改用 \(signedFor) 或之后的日期，例如 banli item reply \(i) --at 日期",
                    "请把日期改为 \(signedFor) 或之后")
        case .trackBeforeReply(let item):
            let i = Self.shown(item)
            return ("事项 \(i) 尚未答复，B类跟踪落实在答复之后", "请先用 banli item reply \(i) 答复", "请先在本页点击「答复」")
        case .trackNotCategoryB(let item, let unit, let category):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("B类跟踪落实只用于B类答复（正在解决或列入计划），这份答复是\(category?.rawValue ?? "未定")类",
                    "类别如有错误，请交办机关用 banli item category \(i) \(u) B 审定", "类别如有错误，请交办机关在「审定答复类别」里审定")
        case .alreadyAssigned(let item, let unit):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 已经是事项 \(i) 的承办单位", "请改调给其他单位：banli item reassign \(i) 原单位 新单位", "请在「调整承办单位」里选择其他单位")
        case .dueNotLater(let item, let unit, let due, let current):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("新的办理时限 \(due) 不晚于现在的时限 \(current)", "请给出晚于 \(current) 的日期：banli item extend \(i) \(u) --due 日期",
                    "请在「批准延期」里填写晚于 \(current) 的日期")
        case .feedbackForCooperating(let item, let unit):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 是事项 \(i) 的会办或协办单位，征询意见表只录入给答复的单位", "请为答复单位录入：banli item feedback \(i) 答复单位 --evaluation 评价",
                    "请在答复单位的「录入征询意见」里录入")
        case .feedbackBeforeReply(let item, let unit):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 尚未答复事项 \(i)，征询意见表要在答复之后录入", "答复后再用 banli item feedback \(i) \(u) 录入", "答复后再在「录入征询意见」里录入")
        case .categoryBeforeReply(let item, let unit):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 尚未答复事项 \(i)，还没有可审定的答复类别", "答复后再用 banli item category \(i) \(u) 类别 审定", "答复后再在「审定答复类别」里审定")
        case .rehandleWithoutUnsatisfied(let item, let unit, let evaluation):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            let recorded = evaluation.map { "评价是「\($0.label)」" } ?? "还没有录入评价"
            return ("重新办理只在评价为不满意之后，单位 \(u) 对事项 \(i) 的答复\(recorded)",
                    "请先用 banli item feedback \(i) \(u) --evaluation 评价 录入征询意见表", "请先在「录入征询意见」里录入评价")
        case .linkWhileRehandling(let item, let unit):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 对事项 \(i) 的答复已退回重新办理，重新答复之前不能请代表委员评价",
                    "单位重新答复后再用 banli item feedback-link \(i) --unit \(u) 生成链接", "单位重新答复后再在本页生成征询意见链接")
        case .alreadyClosed(let item, let at):
            let i = Self.shown(item)
            return ("事项 \(i) 已于 \(at) 办结", "如需改动，请用 banli item reopen \(i) --reason 理由 重新打开", "如需改动，请在本页点击「重新打开」")
        case .closeWithoutAssignment(let item):
            let i = Self.shown(item)
            return ("事项 \(i) 没有在办的承办单位，不能办结", "请先用 banli item assign \(i) 单位 --role 承办方式 交办", "请先在「增加承办单位」里交办")
        case .closeBeforeReply(let item, let unit, let stage):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 尚未答复事项 \(i)（\(stage?.label ?? "状态不明")），答复都到齐后才能办结", "各单位的办理情况见 \(show) \(i)",
                    "请在本页查看各单位的办理情况")
        case .closeBeforeOpinion(let item, let unit):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("会办单位 \(u) 尚未提出对事项 \(i) 的会办意见，会办意见都到齐后才能办结", "各单位的办理情况见 \(show) \(i)", "请在本页查看各单位的办理情况")
        case .dateBeforeAssignment(let item, let what, let date, let assignedAt):
            let i = Self.shown(item)
            let name = what == .contact ? "沟通日期" : "办理时限"
            return ("\(name) \(date) 早于事项 \(i) 的交办日期 \(assignedAt)", "请改为 \(assignedAt) 或之后的日期（交办日期见 \(show) \(i)）",
                    "请改为 \(assignedAt) 或之后的日期")
        case .secondLead(let item, let unit, let lead, let leadRole):
            let (i, u, l) = (Self.shown(item), Self.shown(unit), Self.shown(lead))
            return ("事项 \(i) 已有\(leadRole.label)单位 \(l)，一件事项只有一个主办或独办单位",
                    "请把 \(u) 交办为会办或协办：banli item assign \(i) \(u) --role cooperating", "请把 \(u) 的承办方式选为会办或协办")
        case .kindContradictsId(let item, let byId, let given):
            let i = Self.shown(item)
            return ("按编号，事项 \(i) 是\(byId.label)（rd- 为建议，zx- 为提案），不是\(given.label)", "请核对 banli item new 的 --kind 或事项编号",
                    "请核对「类别」或编号")
        case .roleChangeNotAsked(let item, let unit, let old, let new):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 已是事项 \(i) 的\(old.label)单位", "要改为\(new.label)，请加上 --change-role：banli item assign \(i) \(u) --role \(new.rawValue) --change-role",
                    "同一单位只能有一种承办方式，请核对承办单位；要改变承办方式，请在事项页的「调整承办单位」里办理")
        case .roleSetDirectly(let item, let unit, let old):
            let (i, u) = (Self.shown(item), Self.shown(unit))
            return ("单位 \(u) 是事项 \(i) 的\(old.label)单位，承办方式不能直接填写", "请用 banli item assign \(i) \(u) --role 承办方式 --change-role 修改",
                    "请在事项页的「调整承办单位」里修改")
        case .directoryNotItemField:
            return ("单位名录不是事项的字段", "请用 banli hub add-unit 或 banli hub settings 修改", "请联系交办机关修改单位名录")
        case .closedAtIsAStep(let item):
            let i = Self.shown(item)
            return ("办结是一个办理步骤，不能直接填写", "请用 banli item close \(i) 办结，或用 banli item reopen \(i) --reason 理由 重新打开",
                    "请在事项页点击「办结」或「重新打开」")
        case .correctionNoteWritten(let item):
            let i = Self.shown(item)
            return ("更正说明随所更正的字段一起写入，不能单独填写", "请用 banli item correct \(i) 字段 取值 --reason 理由 更正", "请联系交办机关更正")
        case .assignedAfterDue(let item, let date, let due):
            let i = Self.shown(item)
            return ("交办日期 \(date) 晚于事项 \(i) 的办理时限 \(due)", "请先修改办理时限：banli item set \(i) dueAt 日期", "请先修改办理时限")
        case .notClosed(let item):
            let i = Self.shown(item)
            return ("事项 \(i) 尚未办结，不需要重新打开", "办理情况见 \(show) \(i)", "请在本页查看办理情况")
        case .itemExists(let item):
            let i = Self.shown(item)
            return ("事项 \(i) 已经存在", "要修改它的字段，请用 banli item set \(i) 字段 取值", "请打开该事项的页面办理，或换一个编号")
        }
    }

    static func missingReason(_ i: String, _ why: ReasonFor) -> (String, String, String) {
        switch why {
        case .adjustment:
            ("申请调整没有写明理由", "请用 banli item return \(i) --reason 理由 写明", "请在「申请调整」表单的“申请调整理由”里写明")
        case .extension:
            ("申请延期没有写明理由", "请用 banli item request-extension \(i) --reason 理由 写明", "请在「申请延期」表单的“延期理由”里写明")
        case .correction:
            ("更正没有写明理由，历史记录要把理由和更正一起保存", "请用 banli item correct \(i) 字段 取值 --reason 理由 写明", "请写明更正的理由")
        case .reopening:
            ("重新打开没有写明理由，历史记录要把理由和改动一起保存", "请用 banli item reopen \(i) --reason 理由 写明", "请在「重新打开」表单的“理由”里写明")
        }
    }

    static func missingText(_ i: String, _ what: TextOf) -> (String, String, String) {
        switch what {
        case .opinion: ("会办意见的内容是空的", "请用 banli item opinion \(i) --text 内容（或 --file 文件）给出", "请在「会办意见」表单里填写意见内容")
        case .reply: ("答复的内容是空的", "请用 banli item reply \(i) --text 内容（或 --file 文件）给出", "请在「答复」表单里填写答复内容")
        case .title: ("事项 \(i) 的标题是空的", "请用 banli item new \(i) --title 标题 给出", "请填写「标题」")
        }
    }
}
