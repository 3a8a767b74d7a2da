extension FeedbackForm {
    /// The form's markup, after the paper form. Data goes only through `{{value}}` tags, which escape
    /// (`HTML.template`). Inline CSS, A4 print layout, no script, no external asset.
    static let template = HTML.template(#"""
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <title>{{title}}（{{number}}）</title>
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
        <h1>{{title}}</h1>
        <table>
        <tr><th>代表姓名</th><td>{{proposers}}</td><th>承办单位</th><td>{{unitName}}</td></tr>
        <tr><th>建议提案标题</th><td colspan="3">{{itemTitle}}</td></tr>
        <tr><th>建议提案编号</th><td colspan="3">{{number}}</td></tr>
        <tr><th>沟通方式</th><td colspan="3">{{#methods}}{{^first()}} {{/first()}}<span class="opt">{{label}} {{box}}</span>{{/methods}}</td></tr>
        <tr><th>办理效果</th><td colspan="3">{{#effects}}{{^first()}} {{/first()}}<span class="opt">{{label}} {{box}}</span>{{/effects}}</td></tr>
        <tr><th>办理评价</th><td colspan="3">{{#evaluations}}{{^first()}} {{/first()}}<span class="opt">{{label}} {{box}}</span>{{/evaluations}}</td></tr>
        <tr><th>是否公开<br><span class="small">（由建议人或提案人勾选）</span></th><td colspan="3">{{!
        }}<span class="opt">是 {{publicYes}}</span> <span class="opt">否 {{publicNo}}</span></td></tr>
        {{#isOnline}}<tr class="online"><th>网上征询</th><td colspan="3">{{online}}</td></tr>{{/isOnline}}
        <tr><td colspan="4" class="comment">对办理情况的意见：<div class="comment-text">{{comment}}</div>{{!
        }}<div class="sign">建议人或提案人签名：<span class="blank"></span></div></td></tr>
        <tr><td colspan="2">人大代表室或政协提案委签收人签名：<span class="blank"></span></td>{{!
        }}<td colspan="2" class="date">签收时间：<span>{{receivedYear}}</span>年<span>{{receivedMonth}}</span>月<span>{{receivedDay}}</span>日</td></tr>
        </table>
        <p class="note">{{note}}</p>
        </body>
        </html>

        """#)
}
