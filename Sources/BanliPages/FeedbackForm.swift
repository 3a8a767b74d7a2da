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
    public static let note = "注: 请各单位向代表委员书面答复时附上此表, 并负责收集代表委员填写的意见表, 分别送市人大、政协签收后, 送市政府督查室 (代表室或提案委签收人签名件)。"

    /// The printed number, e.g. `委员提案〔2025〕90号` or `代表建议〔2025〕39号`; the item id when
    /// kind, year or number is missing.
    public static func documentNumber(_ item: ItemView) -> String {
        guard let kind = item.kind, let year = item.year, let number = item.number else { return item.id }
        return (kind == .proposal ? "委员提案" : "代表建议") + "〔\(year)〕\(number)号"
    }

    /// The whole page: UTF-8 HTML with inline CSS, A4 print layout, no scripts and no external assets.
    public static func html(item: ItemView, site: String, unitName: String) -> String {
        let feedback = item.feedback[site]
        let methods = Set((item.contacts[site] ?? [:]).values.compactMap { $0.method?.rawValue })
        let effect = feedback?.effect?.rawValue
        let evaluation = feedback?.evaluation?.rawValue
        let isPublic = feedback?.isPublic

        func boxes(_ cases: [EnumCase], ticked: (String) -> Bool) -> String {
            cases.map { "<span class=\"opt\">\(HTML.escape($0.label)) \(ticked($0.value) ? "☑" : "☐")</span>" }.joined(separator: " ")
        }
        let comment = feedback?.comment ?? ""
        let number = documentNumber(item)

        return """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <title>\(HTML.escape(title))（\(HTML.escape(number))）</title>
        <style>
        body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; font-size: 15px; color: #000; margin: 24px auto; max-width: 760px; }
        h1 { font-size: 22px; text-align: center; letter-spacing: 1px; margin: 0 0 18px; }
        table { width: 100%; border-collapse: collapse; table-layout: fixed; }
        th, td { border: 1px solid #000; padding: 8px 10px; vertical-align: middle; word-wrap: break-word; }
        th { font-weight: normal; width: 8em; text-align: center; }
        .opt { display: inline-block; margin-right: 1.2em; white-space: nowrap; }
        .small { font-size: 12px; }
        .comment { height: 12em; vertical-align: top; }
        .comment-text { text-align: center; font-size: 1.1em; margin-top: 10px; white-space: pre-wrap; }
        .sign { text-align: right; margin-top: 2em; }
        .blank { display: inline-block; min-width: 8em; border-bottom: 1px solid #000; }
        .date span { display: inline-block; min-width: 2.5em; }
        .note { font-size: 13px; line-height: 1.6; margin-top: 12px; }
        @page { size: A4; margin: 20mm 18mm; }
        @media print {
          body { margin: 0; max-width: none; font-size: 14pt; }
          h1 { font-size: 18pt; }
          .note { font-size: 11pt; }
          tr, td, th { page-break-inside: avoid; }
        }
        </style>
        </head>
        <body>
        <h1>\(HTML.escape(title))</h1>
        <table>
        <tr><th>代表姓名</th><td>\(HTML.escape(item.proposers.joined(separator: "、")))</td><th>承办单位</th><td>\(HTML.escape(unitName))</td></tr>
        <tr><th>建议提案标题</th><td colspan="3">\(HTML.escape(item.title))</td></tr>
        <tr><th>建议提案编号</th><td colspan="3">\(HTML.escape(number))</td></tr>
        <tr><th>沟通方式</th><td colspan="3">\(boxes(FieldCatalogue.contactMethods) { methods.contains($0) })</td></tr>
        <tr><th>办理效果</th><td colspan="3">\(boxes(FieldCatalogue.effects) { $0 == effect })</td></tr>
        <tr><th>办理评价</th><td colspan="3">\(boxes(FieldCatalogue.evaluations) { $0 == evaluation })</td></tr>
        <tr><th>是否公开<br><span class="small">（由建议人或提案人勾选）</span></th><td colspan="3"><span class="opt">是 \(isPublic == true ? "☑" : "☐")</span> <span class="opt">否 \(isPublic == false ? "☑" : "☐")</span></td></tr>
        <tr><td colspan="4" class="comment">对办理情况的意见：<div class="comment-text">\(HTML.escape(comment))</div><div class="sign">建议人或提案人签名：<span class="blank"></span></div></td></tr>
        <tr><td colspan="2">人大代表室或政协提案委签收人签名：<span class="blank"></span></td><td colspan="2" class="date">签收时间：<span></span>年<span></span>月<span></span>日</td></tr>
        </table>
        <p class="note">\(HTML.escape(note))</p>
        </body>
        </html>

        """
    }

}
