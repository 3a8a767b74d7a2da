import BanliPages
import Mustache

/// 统计, its print view, and 排名. Data goes only through `{{value}}` tags (escaped); `{{{…Chart}}}` is SVG that
/// `Charts` drew with every text escaped.
enum StatsTemplates {
    /// The report's body, shared by the page and the print view.
    static let body = #"""
        <h1 id="report-title">{{title}}</h1>
        <p class="prose" id="prose">{{prose}}</p>
        <section class="card chart-box" id="rates"><h2>{{t.rates}}</h2>
        {{{ratesChart}}}
        <div class="scroll"><table><thead><tr><th>{{t.rate}}</th><th>{{t.num}}</th><th>{{t.den}}</th><th>{{t.percent}}</th></tr></thead><tbody>
        {{#rates}}<tr data-rate="{{key}}"><td>{{name}}</td><td class="num">{{num}}</td><td class="num">{{den}}</td>{{!
        }}<td class="num">{{percent}}</td></tr>{{/rates}}
        </tbody></table></div></section>
        <section class="card chart-box" id="categories"><h2>{{t.categories}}</h2>
        {{{categoriesChart}}}
        <div class="scroll"><table><thead><tr><th>{{t.category}}</th><th>{{t.count}}</th></tr></thead><tbody>
        {{#categories}}<tr data-category="{{key}}"><td>{{label}}</td><td class="num">{{count}}</td></tr>{{/categories}}
        </tbody></table></div></section>
        <section class="card chart-box" id="monthly"><h2>{{t.monthly}}</h2>
        <p class="meta">{{t.monthlyHint}}</p>
        {{{monthlyChart}}}
        <div class="scroll"><table><thead><tr><th>{{t.month}}</th><th>{{t.onTime}}</th><th>{{t.late}}</th><th>{{t.openOverdue}}</th>{{!
        }}<th>{{t.open}}</th><th>{{t.total}}</th></tr></thead><tbody>
        {{#months}}<tr><td>{{month}}</td><td class="num">{{onTime}}</td><td class="num">{{late}}</td><td class="num">{{openOverdue}}</td>{{!
        }}<td class="num">{{open}}</td><td class="num">{{total}}</td></tr>{{/months}}
        {{#anyElsewhere}}{{#elsewhere}}<tr><td>{{month}}</td><td class="num">{{onTime}}</td><td class="num">{{late}}</td>{{!
        }}<td class="num">{{openOverdue}}</td><td class="num">{{open}}</td><td class="num">{{total}}</td></tr>{{/elsewhere}}{{/anyElsewhere}}
        {{#anyNoDeadline}}{{#noDeadline}}<tr><td>{{month}}</td><td class="num">{{onTime}}</td><td class="num">{{late}}</td><td class="num">—</td>{{!
        }}<td class="num">{{open}}</td><td class="num">{{total}}</td></tr>{{/noDeadline}}{{/anyNoDeadline}}
        </tbody></table></div></section>
        <section class="card" id="figures"><h2>{{t.figures}}</h2>
        <div class="scroll"><table><tbody>
        {{#figures}}<tr data-figure="{{key}}"><td>{{label}}</td><td class="num">{{count}}</td></tr>{{/figures}}
        </tbody></table></div></section>
        """#

    static let report = HTML.template(#"""
        <form class="filters noprint" method="get" action="/report" id="report-filters">
        <label>{{t.year}}<select name="year">{{#years}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/years}}{{!
        }}</select></label>
        {{#isHub}}<label>{{t.unit}}<select name="unit">{{#units}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/units}}{{!
        }}</select></label>{{/isHub}}
        <button type="submit">{{t.show}}</button> <a href="{{printHref}}" id="print-view">{{t.print}}</a>
        </form>
        """# + body)

    /// A clean A4 page: no menu, no forms, the same body.
    static let print = HTML.template(#"""
        <!doctype html>
        <html lang="{{lang}}"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}}</title>
        <link rel="stylesheet" href="/static/banli.css">
        </head><body class="print">
        <main>
        <p class="noprint"><a href="{{screenHref}}">{{t.back}}</a></p>
        """# + body + #"""
        </main>
        </body></html>
        """#)

    static let ranking = HTML.template(#"""
        <h1>{{t.heading}}</h1>
        <form class="filters" method="get" action="/ranking">
        <label>{{t.year}}<select name="year">{{#years}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/years}}{{!
        }}</select></label>
        <input type="hidden" name="sort" value="{{sort}}">
        <button type="submit">{{t.show}}</button>
        </form>
        <p class="meta">{{t.hint}}</p>
        <div class="scroll"><table id="ranking"><thead><tr><th>{{t.rank}}</th><th>{{t.unit}}</th><th>{{t.assigned}}</th>{{!
        }}{{#columns}}<th class="{{cls}}" data-sort="{{key}}"><a href="{{href}}">{{name}}</a></th>{{/columns}}</tr></thead><tbody>
        {{#rows}}<tr data-site="{{site}}"><td class="num">{{rank}}</td><td><a href="{{href}}">{{name}}</a></td><td class="num">{{assigned}}</td>{{!
        }}{{#cells}}<td class="num">{{percent}} <span class="meta">{{num}}/{{den}}</span></td>{{/cells}}</tr>{{/rows}}
        {{^rows}}<tr><td colspan="9" class="meta">{{t.none}}</td></tr>{{/rows}}
        </tbody></table></div>
        """#)
}
