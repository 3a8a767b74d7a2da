import BanliCore

/// The deputy's answer posted from the one-time link's page (issue 18), read into the office's 录入征询意见 step.
///
/// Pure: the hub's public listener hands it the posted fields by name; each missing or unknown answer is refused with one
/// Chinese sentence saying which question to answer, and nothing is written.
public enum OnlineFeedback {
    /// The form's field names, as the page posts them.
    public enum Name {
        public static let contact = "contact", effect = "effect", work = "work", result = "result"
        public static let isPublic = "public", comment = "comment"
    }

    /// The longest comment the page takes, in characters (a paper form's box holds far less).
    public static let maxComment = 2_000

    /// Reads the answer given at `answeredAt` (an ISO 8601 time) on `day`, or throws the sentence the page shows.
    public static func read(_ field: (String) -> String?, answeredAt: String, day: ISODate) throws -> Workflow.Feedback {
        func choice<E: CatalogueEnum>(_ name: String, _: E.Type, _ question: String) throws -> E {
            guard let raw = field(name), let value = E(rawValue: raw) else {
                throw BanliError(.invalidValue, "请选择“\(question)”的一项后再提交。")
            }
            return value
        }
        let contact = try choice(Name.contact, FeedbackContact.self, "沟通方式")
        let effect = try choice(Name.effect, Effect.self, "办理效果")
        let work = try choice(Name.work, Evaluation.self, "对办理工作的评价")
        let result = try choice(Name.result, Evaluation.self, "对办理结果的评价")
        let isPublic: Bool
        switch field(Name.isPublic) {
        case "yes": isPublic = true
        case "no": isPublic = false
        default: throw BanliError(.invalidValue, "请选择答复是否可以公开后再提交。")
        }
        let comment = field(Name.comment)?.trimmedWhitespace ?? ""
        guard comment.count <= maxComment else {
            throw BanliError(.invalidValue, "意见最多 \(maxComment) 字，现有 \(comment.count) 字，请删减后再提交。")
        }
        return .online(work: work, result: result, effect: effect, contact: contact, isPublic: isPublic,
                       comment: comment.isEmpty ? nil : comment, answeredAt: answeredAt, day: day)
    }

    /// The office's writes for the answer: the feedback fields as the hub's, and 重新办理 when the answer is 不满意, so the
    /// reply goes back to the unit by the workflow's own step. Throws a `WorkflowRefusal` when the reply can no longer be rated.
    public static func writes(_ view: ItemView, site: String, _ f: Workflow.Feedback) throws -> [LocalWrite] {
        var writes = try Workflow.feedback(view, site: site, f)
        if f.evaluation == .unsatisfied {
            var rated = view
            rated.feedback[site, default: FeedbackView()].values["evaluation"] = .string(f.evaluation.rawValue)
            writes += try Workflow.rehandle(rated, site: site, at: f.receivedAt)
        }
        return writes
    }
}
