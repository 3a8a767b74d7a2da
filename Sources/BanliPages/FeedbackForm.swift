import BanliCore
import BanliOffice

/// The 征询意见表 (feedback form) a unit attaches to its written reply, as a printable page.
///
/// It reproduces the paper form (seed 001): the proposer ticks effect, evaluation and 是否公开, signs,
/// and the office records the answers as `feedback/{id}/{site}`. Boxes already recorded print ticked,
/// so a reprint matches what was filed.
public enum FeedbackForm {
    /// The form's title as printed.
    public static let title = "市人大代表建议政协委员提案办理情况征询意见表"

    /// The note printed under the form, copied from the paper form.
    public static let note = """
        注: 请各单位向代表委员书面答复时附上此表, 并负责收集代表委员填写的意见表, \
        分别送市人大、政协签收后, 送市政府督查室 (代表室或提案委签收人签名件)。
        """

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

        public init(
            number: String, itemTitle: String, proposers: [String], unitName: String, contactMethods: Set<ContactMethod>,
            effect: Effect?, evaluation: Evaluation?, isPublic: Bool?, comment: String
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
        }

        /// `site`'s form of `item`: the one place the form reads an `ItemView`.
        public init(item: ItemView, site: String, unitName: String) {
            let feedback = item.feedback[site]
            self.init(
                number: FeedbackForm.documentNumber(item), itemTitle: item.title, proposers: item.proposers, unitName: unitName,
                contactMethods: Set((item.contacts[site] ?? [:]).values.compactMap(\.method)),
                effect: feedback?.effect, evaluation: feedback?.evaluation, isPublic: feedback?.isPublic, comment: feedback?.comment ?? "")
        }
    }

    /// The printed number, e.g. `委员提案〔2025〕90号` or `代表建议〔2025〕39号`; the item id when
    /// kind, year or number is missing.
    public static func documentNumber(_ item: ItemView) -> String {
        guard let kind = item.kind, let year = item.year, let number = item.number else { return item.id }
        return (kind == .proposal ? "委员提案" : "代表建议") + "〔\(year)〕\(number)号"
    }

    /// `site`'s form of `item` as a whole page.
    public static func html(item: ItemView, site: String, unitName: String) -> String {
        html(Sheet(item: item, site: site, unitName: unitName))
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

        init(_ s: Sheet) {
            func box(_ ticked: Bool) -> String { ticked ? "☑" : "☐" }
            func options<E: CatalogueEnum>(_: E.Type, ticked: (E) -> Bool) -> [Option] {
                E.allCases.map { Option(label: $0.label, box: box(ticked($0))) }
            }
            title = FeedbackForm.title
            note = FeedbackForm.note
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
        }
    }
}
