import BanliCore
import BanliOffice

/// The page a deputy or member opens from a one-time link (issue 18): the item, the unit's reply, and the 征询意见表 as a
/// phone-first form. No script, no external asset; every value goes through the template's escaping.
public enum DeputyFeedbackPage {
    /// What the form shows.
    public struct Sheet: Sendable {
        /// The printed number, e.g. `(代表建议〔2025〕39号)`.
        public var number: String
        public var itemTitle: String
        public var proposers: [String]
        public var unitName: String
        public var replyText: String
        public var replyAt: ISODate?
        /// The form's target (`/f/{token}`) and its CSRF token, bound to the link.
        public var action: String
        public var csrf: String
        /// The office's level (市, 县, 省), for the title.
        public var jurisdiction: String

        public init(item: ItemView, site: String, unitName: String, action: String, csrf: String, jurisdiction: String) {
            number = FeedbackForm.documentNumber(item)
            itemTitle = item.title
            proposers = item.proposers
            self.unitName = unitName
            replyText = item.assignments[site]?.values.string("replyText") ?? ""
            replyAt = item.assignments[site]?.replyAt
            self.action = action
            self.csrf = csrf
            self.jurisdiction = jurisdiction
        }
    }

    /// The posted answers, shown again with `error` when they were refused (nothing was recorded).
    public struct Answers: Sendable {
        public var fields: [String: String]
        public var error: String?

        public init(fields: [String: String] = [:], error: String? = nil) {
            self.fields = fields
            self.error = error
        }
    }

    /// The form, with the answers given so far.
    public static func form(_ sheet: Sheet, _ answers: Answers = Answers()) -> String {
        formTemplate.render(Context(sheet, answers))
    }

    /// The page after the answer was recorded.
    public static func thanks(unsatisfied: Bool) -> String {
        message("感谢您的评价", unsatisfied ? "您的意见已记录。您对答复不满意，承办单位将重新办理并再次答复。" : "您的意见已记录，感谢您对建议提案办理工作的监督。")
    }

    /// The one page for an unknown, used, expired or revoked link: it says nothing of which.
    public static let invalid = message("链接无效", "此链接无效或已失效。如需填写征询意见，请与交办机关联系。")

    /// The page when a client asks too often.
    public static let tooMany = message("请稍后再试", "请求过于频繁，请稍后再试。")

    /// A page of one title and one sentence.
    public static func message(_ title: String, _ text: String) -> String {
        messageTemplate.render(["title": title, "text": text])
    }

    struct Context {
        struct Option { let name: String, value: String, label: String, checked: Bool }
        struct Question { let name: String, title: String, options: [Option] }

        let title: String, number: String, itemTitle: String, proposers: String, unitName: String
        let replyText: String, replyAt: String, hasReplyAt: Bool
        let action: String, csrf: String
        let error: String, hasError: Bool
        let questions: [Question]
        let publicYes: Bool, publicNo: Bool
        let comment: String
        let maxComment: Int

        init(_ s: Sheet, _ a: Answers) {
            func question<E: CatalogueEnum>(_ name: String, _ title: String, _: E.Type) -> Question {
                Question(name: name, title: title, options: E.allCases.map {
                    Option(name: name, value: $0.rawValue, label: $0.label, checked: a.fields[name] == $0.rawValue)
                })
            }
            typealias N = OnlineFeedback.Name
            title = FeedbackForm.title(jurisdiction: s.jurisdiction)
            number = s.number
            itemTitle = s.itemTitle
            proposers = s.proposers.joined(separator: "、")
            unitName = s.unitName
            replyText = s.replyText
            replyAt = s.replyAt?.description ?? ""
            hasReplyAt = s.replyAt != nil
            action = s.action
            csrf = s.csrf
            error = a.error ?? ""
            hasError = a.error != nil
            questions = [
                question(N.contact, "承办单位与您的沟通方式", FeedbackContact.self), question(N.effect, "办理效果", Effect.self),
                question(N.work, "对办理工作的评价", Evaluation.self), question(N.result, "对办理结果的评价", Evaluation.self),
            ]
            publicYes = a.fields[N.isPublic] == "yes"
            publicNo = a.fields[N.isPublic] == "no"
            comment = a.fields[N.comment] ?? ""
            maxComment = OnlineFeedback.maxComment
        }
    }

    static let style = """
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body { font-family: system-ui, "PingFang SC", "Noto Sans CJK SC", sans-serif; font-size: 17px; line-height: 1.6; color: #1a1a1a;
               margin: 0; padding: 16px; max-width: 640px; margin-inline: auto; background: #fafafa; }
        h1 { font-size: 20px; margin: 0 0 12px; }
        .card { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 12px 14px; margin-bottom: 14px; }
        .meta { color: #555; font-size: 15px; }
        .reply { white-space: pre-wrap; word-wrap: break-word; }
        fieldset { border: 1px solid #ddd; border-radius: 8px; background: #fff; margin: 0 0 14px; padding: 8px 14px 12px; }
        legend { font-weight: 600; padding: 0 4px; }
        label.opt { display: flex; align-items: center; gap: 10px; min-height: 44px; }
        input[type=radio] { width: 22px; height: 22px; margin: 0; }
        textarea { width: 100%; box-sizing: border-box; min-height: 7em; font: inherit; padding: 8px; }
        button { width: 100%; min-height: 48px; font: inherit; font-weight: 600; color: #fff; background: #b0281f; border: 0; border-radius: 8px; }
        .error { color: #a00; background: #fff0f0; border: 1px solid #e5b5b5; border-radius: 8px; padding: 10px 14px; margin-bottom: 14px; }
        </style>
        """

    static let formTemplate = HTML.template(#"""
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <title>征询意见表</title>
        """# + style + #"""
        </head>
        <body>
        <h1>{{title}}</h1>
        <div class="card">
        <div><strong>{{itemTitle}}</strong></div>
        <div class="meta">{{number}}　{{proposers}}</div>
        <div class="meta">承办单位：{{unitName}}{{#hasReplyAt}}　答复日期：{{replyAt}}{{/hasReplyAt}}</div>
        </div>
        <div class="card"><div class="meta">答复内容</div><div class="reply">{{replyText}}</div></div>
        {{#hasError}}<div class="error" role="alert">{{error}}</div>{{/hasError}}
        <form method="post" action="{{action}}">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        {{#questions}}<fieldset><legend>{{title}}</legend>{{#options}}{{!
        }}<label class="opt"><input type="radio" name="{{name}}" value="{{value}}" required{{#checked}} checked{{/checked}}> {{label}}</label>{{!
        }}{{/options}}</fieldset>
        {{/questions}}
        <fieldset><legend>答复是否可以公开</legend>{{!
        }}<label class="opt"><input type="radio" name="public" value="yes" required{{#publicYes}} checked{{/publicYes}}> 可以公开</label>{{!
        }}<label class="opt"><input type="radio" name="public" value="no" required{{#publicNo}} checked{{/publicNo}}> 不公开</label></fieldset>
        <fieldset><legend>对办理情况的意见（可不填）</legend><textarea name="comment" maxlength="{{maxComment}}">{{comment}}</textarea></fieldset>
        <button type="submit">提交</button>
        </form>
        </body>
        </html>

        """#)

    static let messageTemplate = HTML.template(#"""
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <title>{{title}}</title>
        """# + style + #"""
        </head>
        <body>
        <h1>{{title}}</h1>
        <div class="card">{{text}}</div>
        </body>
        </html>

        """#)
}
