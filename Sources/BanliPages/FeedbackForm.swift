import BanliCore
import BanliOffice

/// The 征询意见表 (feedback form) a unit attaches to its written reply, as a printable page.
///
/// It reproduces the paper form (seed 001): the proposer ticks effect, evaluation and 是否公开, signs,
/// and the office records the answers as `feedback/{id}/{site}`. Boxes already recorded print ticked,
/// so a reprint matches what was filed.
public enum FeedbackForm {
    /// The form's title as printed, for an office of `jurisdiction` (市, 县, 省: the hub's settings).
    public static func title(jurisdiction: String) -> String {
        "\(jurisdiction)人大代表建议政协委员提案办理情况征询意见表"
    }

    /// The note printed under the form, after the paper form, naming the office's level.
    public static func note(jurisdiction j: String) -> String {
        "注: 请各单位向代表委员书面答复时附上此表, 并负责收集代表委员填写的意见表, "
            + "分别送\(j)人大、政协签收后, 送\(j)政府督查室 (代表室或提案委签收人签名件)。"
    }

    /// The title of a city's office (seed 001), when no jurisdiction is set.
    public static var title: String { title(jurisdiction: OfficeSettings.defaultJurisdiction) }
    /// The note of a city's office (seed 001), when no jurisdiction is set.
    public static var note: String { note(jurisdiction: OfficeSettings.defaultJurisdiction) }

    /// What a form ticking two 办理评价 means (seed 001 ticks both 满意 and 不满意): it gives no evaluation. The
    /// record holds one (`evaluation`), and a guess either way would move 满意率; the office asks the proposer which
    /// one is meant and records that answer. Until it does, the form is not entered, and a reprint shows one tick.
    public static let doubleTickRule =
        "A 征询意见表 ticks one 办理评价; a form with two ticked gives none, so ask the proposer which one is meant and record that one."

    /// What one unit's form shows: the item, the unit, and the answers already recorded.
    public struct Sheet: Sendable, Hashable {
        /// The printed number (`documentNumber`).
        public var number: String
        /// The item's title.
        public var itemTitle: String
        /// The proposers, lead first.
        public var proposers: [String]
        /// The replying unit's name.
        public var unitName: String
        /// Contact methods the unit recorded, ticked under 沟通方式.
        public var contactMethods: Set<ContactMethod>
        /// The recorded 办理效果, if any.
        public var effect: Effect?
        /// The recorded 办理评价, if any.
        public var evaluation: Evaluation?
        /// The recorded 是否公开, if any.
        public var isPublic: Bool?
        /// The proposer's comment on the handling (empty when none).
        public var comment: String
        /// The date the office received the filled-in form (签收时间), if recorded.
        public var receivedAt: ISODate?
        /// The office's settings: the level printed in the title and the note.
        public var settings: OfficeSettings
        /// When the proposer answered online through a one-time link (nil: a paper form, or no answer yet), and the two
        /// satisfactions that form asks apart.
        public var answeredOnlineAt: String?
        public var workEvaluation: Evaluation?
        public var resultEvaluation: Evaluation?

        public init(
            number: String, itemTitle: String, proposers: [String], unitName: String, contactMethods: Set<ContactMethod>,
            effect: Effect?, evaluation: Evaluation?, isPublic: Bool?, comment: String,
            receivedAt: ISODate? = nil, settings: OfficeSettings = OfficeSettings()
        ) {
            self.number = number
            self.itemTitle = itemTitle
            self.proposers = proposers
            self.unitName = unitName
            self.contactMethods = contactMethods
            self.effect = effect
            self.evaluation = evaluation
            self.isPublic = isPublic
            self.comment = comment
            self.receivedAt = receivedAt
            self.settings = settings
        }

        /// `site`'s form of `item`: the one place the form reads an `ItemView`.
        public init(item: ItemView, site: String, unitName: String, settings: OfficeSettings = OfficeSettings()) {
            let feedback = item.feedback[site]
            self.init(
                number: FeedbackForm.documentNumber(item), itemTitle: item.title, proposers: item.proposers, unitName: unitName,
                contactMethods: Set((item.contacts[site] ?? [:]).values.compactMap(\.method)),
                effect: feedback?.effect, evaluation: feedback?.evaluation, isPublic: feedback?.isPublic, comment: feedback?.comment ?? "",
                receivedAt: feedback?.receivedAt, settings: settings)
            if feedback?.source == .online {
                answeredOnlineAt = feedback?.answeredAt ?? ""
                workEvaluation = feedback?.workEvaluation
                resultEvaluation = feedback?.resultEvaluation
            }
        }
    }

    /// The printed number in its brackets, as the paper form has it: `(委员提案〔2021〕110号)` or
    /// `(代表建议〔2025〕39号)`; the item id when kind, year or number is missing.
    public static func documentNumber(_ item: ItemView) -> String {
        guard let kind = item.kind, let year = item.year, let number = item.number else { return item.id }
        return "(" + (kind == .proposal ? "委员提案" : "代表建议") + "〔\(year)〕\(number)号)"
    }

    /// `site`'s form of `item` as a whole page.
    public static func html(item: ItemView, site: String, unitName: String, settings: OfficeSettings = OfficeSettings()) -> String {
        html(Sheet(item: item, site: site, unitName: unitName, settings: settings))
    }

    /// The whole page: UTF-8 HTML with inline CSS, A4 print layout, no scripts and no external assets.
    public static func html(_ sheet: Sheet) -> String {
        template.render(Context(sheet))
    }

    /// What the template reads, made from the sheet in one place (stored, non-optional fields: see `StatusPage.Context`).
    struct Context {
        struct Option { let label: String, box: String }

        let title: String, note: String
        let number: String, itemTitle: String, proposers: String, unitName: String
        let methods: [Option], effects: [Option], evaluations: [Option]
        let publicYes: String, publicNo: String
        let comment: String
        let receivedYear: String, receivedMonth: String, receivedDay: String
        /// The line saying the answers came online, empty for a paper form.
        let online: String, isOnline: Bool

        init(_ s: Sheet) {
            func box(_ ticked: Bool) -> String { ticked ? "☑" : "☐" }
            func options<E: CatalogueEnum>(_: E.Type, ticked: (E) -> Bool) -> [Option] {
                E.allCases.map { Option(label: $0.label, box: box(ticked($0))) }
            }
            title = FeedbackForm.title(jurisdiction: s.settings.jurisdiction)
            note = FeedbackForm.note(jurisdiction: s.settings.jurisdiction)
            number = s.number
            itemTitle = s.itemTitle
            proposers = s.proposers.joined(separator: "、")
            unitName = s.unitName
            methods = options(ContactMethod.self) { s.contactMethods.contains($0) }
            effects = options(Effect.self) { $0 == s.effect }
            evaluations = options(Evaluation.self) { $0 == s.evaluation }
            publicYes = box(s.isPublic == true)
            publicNo = box(s.isPublic == false)
            comment = s.comment
            receivedYear = s.receivedAt.map { "\($0.year)" } ?? ""
            receivedMonth = s.receivedAt.map { "\($0.month)" } ?? ""
            receivedDay = s.receivedAt.map { "\($0.day)" } ?? ""
            isOnline = s.answeredOnlineAt != nil
            var line = s.answeredOnlineAt.map { "以上意见由建议人或提案人通过网上征询链接填写" + ($0.isEmpty ? "" : "（\($0)）") } ?? ""
            let apart = [("对办理工作", s.workEvaluation), ("对办理结果", s.resultEvaluation)].compactMap { q, e in e.map { "\(q)\($0.label)" } }
            if isOnline && !apart.isEmpty { line += "：" + apart.joined(separator: "，") }
            online = line + (isOnline ? "。" : "")
        }
    }
}
