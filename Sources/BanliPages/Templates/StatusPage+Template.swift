extension StatusPage {
    /// The page's markup. Data goes only through `{{value}}` tags, which escape (`HTML.template`); the labels
    /// and the row classes come from `StatusPage.Context`; `{{{trend}}}` is
    /// SVG that `Charts.trend` built, escaping its one text. Inline CSS, no script, no external asset.
    static let template = HTML.template(#"""
        <!doctype html>
        <html lang="{{lang}}"><head><meta charset="utf-8">
        <meta http-equiv="refresh" content="{{refreshSeconds}}">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{t.title}}</title>
        <style>
        body{font-family:"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;margin:24px;color:#222;background:#fafafa}
        h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:24px 0 8px} h3{font-size:15px;margin:12px 0 4px}
        .meta{color:#666;font-size:13px} .meta a{color:#2a5db0}
        .summary span{display:inline-block;margin:8px 12px 0 0;padding:4px 10px;border-radius:4px;background:#e8eef8}
        .summary .bad{background:#fde2e1;color:#a3211c} .summary .warn{background:#fff1d6;color:#8a5a00}
        table{border-collapse:collapse;width:100%;background:#fff;font-size:14px}
        th,td{border:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top} th{background:#f0f0f0}
        tr.failing td{background:#fde2e1} tr.stale td{background:#fff1d6}
        td.state{font-weight:600} tr.failing td.state{color:#a3211c} tr.stale td.state{color:#8a5a00}
        td.num{text-align:right} li.overdue{color:#a3211c} .empty{color:#888}
        .filters a,a.page{display:inline-block;margin:0 6px 8px 0;padding:3px 9px;border:1px solid #ccd;border-radius:4px;color:#2a5db0;text-decoration:none}
        .filters a.current,a.page.current{background:#2a5db0;color:#fff} .search{margin:0 0 8px} .search input{padding:3px 6px}
        @media print{meta{display:none}}
        </style></head><body>
        <h1>{{t.heading}}</h1>
        <p class="meta">{{t.hub}} {{hubSite}} · banli {{version}} · {{t.time}} {{reportTime}} ·
        {{t.refreshBefore}}{{refreshSeconds}}{{t.refreshAfter}} ·
        <a href="?lang={{otherLang}}">{{t.otherLanguage}}</a></p>
        <p class="summary"><span>{{t.units}} {{totals.units}}</span><span class="{{failingClass}}">{{t.failing}} {{totals.failing}}</span>{{!
        }}<span class="{{staleClass}}">{{t.stale}} {{totals.stale}}</span><span>{{t.items}} {{totals.items}}</span>{{!
        }}<span class="{{overdueClass}}">{{t.overdue}} {{totals.overdue}}</span>{{!
        }}<span class="{{conflictsClass}}">{{t.conflicts}} {{totals.conflicts}}</span></p>
        <h2>{{t.unitsHeading}}</h2>
        <nav class="filters">{{#filters}}<a class="{{cls}}" href="{{href}}">{{label}}</a>{{/filters}}</nav>
        <form class="search" method="get"><label>{{t.searchLabel}} <input name="q" value="{{search}}" maxlength="64"></label>{{!
        }}{{#isEnglish}}<input type="hidden" name="lang" value="{{searchLang}}">{{/isEnglish}}<button type="submit">{{t.searchButton}}</button></form>
        <table id="units"><thead><tr><th>{{t.site}}</th><th>{{t.name}}</th><th>{{t.state}}</th><th>{{t.lastContact}}</th>{{!
        }}<th>{{t.lastSuccess}}</th><th>{{t.backlog}}</th><th>{{t.refused}}</th><th>{{t.clockOffset}}</th><th>{{t.version}}</th>{{!
        }}<th>{{t.itemsColumn}}</th><th>{{t.overdueColumn}}</th><th>{{t.trend}}</th></tr></thead><tbody>
        {{#units}}
        <tr class="{{cls}}" data-site="{{site}}"><td>{{site}}</td><td>{{name}}</td><td class="state">{{state}}</td>{{!
        }}<td>{{lastSyncAt}}</td><td>{{lastSuccessAt}}</td><td class="num">{{backlog}}</td><td class="num">{{rejected}}</td>{{!
        }}<td class="num">{{clockOffsetMs}}</td><td>{{clientVersion}}</td><td class="num">{{items}}</td><td class="num">{{overdue}}</td>{{!
        }}<td class="trend">{{{trend}}}</td></tr>
        {{/units}}
        </tbody></table>
        <p class="meta">{{unitsNote}}</p>{{#unitPages}}<a class="page {{cls}}" href="{{href}}">{{label}}</a>{{/unitPages}}
        <h2 id="attention">{{t.attentionHeading}}</h2>
        {{#anyAttention}}
        <table id="attention-counts"><thead><tr><th>{{t.site}}</th><th>{{t.name}}</th><th>{{t.overdueCount}}</th><th>{{t.dueSoonCount}}</th>{{!
        }}<th>{{t.listOf}}</th></tr></thead><tbody>{{#attention}}<tr data-site="{{site}}"><td>{{site}}</td><td>{{name}}</td>{{!
        }}<td class="num">{{overdue}}</td><td class="num">{{dueSoon}}</td><td><a href="{{href}}">{{t.listOf}}</a></td></tr>{{/attention}}</tbody></table>
        {{#attentionPages}}<a class="page {{cls}}" href="{{href}}">{{label}}</a>{{/attentionPages}}
        {{/anyAttention}}
        {{^anyAttention}}<p class="empty">{{t.none}}</p>{{/anyAttention}}
        <div id="detail">{{#detail}}<h3>{{site}} {{name}} {{t.listOf}}</h3><ul>{{#chases}}<li class="{{cls}}">{{id}} {{title}} — {{!
        }}{{t.due}} {{dueAt}}，{{stage}}{{#overdue}} <strong>{{t.overdueMark}}</strong>{{/overdue}}</li>{{/chases}}</ul>{{!
        }}<p class="meta">{{more}}</p>{{/detail}}</div>
        <h2 id="reminders">{{t.remindersHeading}}</h2>
        <p class="summary"><span class="{{remindersClass}}">{{remindersLine}}</span></p>{{!
        }}{{#anyReminderError}}<p class="meta reminder-error">{{t.lastFailure}}{{reminderError}}</p>{{/anyReminderError}}
        <h2>{{t.conflictsHeading}}</h2>
        {{#anyConflicts}}
        <table id="conflicts"><thead><tr><th>{{t.entity}}</th><th>{{t.field}}</th><th>{{t.values}}</th></tr></thead><tbody>{{!
        }}{{#conflicts}}<tr><td>{{entity}}</td><td>{{field}} {{label}}</td><td>{{!
        }}{{#values}}{{^first()}}<br>{{/first()}}{{site}}：{{value}}{{/values}}</td></tr>{{/conflicts}}</tbody></table>
        {{/anyConflicts}}
        <p class="meta">{{conflictsNote}}</p>
        {{^anyConflicts}}
        <p class="empty">{{t.none}}</p>
        {{/anyConflicts}}
        </body></html>

        """#)
}
