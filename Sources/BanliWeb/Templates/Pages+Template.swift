import BanliPages
import Mustache

/// The pages inside the layout. Data goes only through `{{value}}` tags, which escape.
enum PageTemplates {
    /// A table of listing rows, shared by the 工作台 and the list.
    static let rowsTable = #"""
        <div class="scroll"><table class="items"><thead><tr>{{#showOffice}}<th>{{t.office}}</th>{{/showOffice}}<th>{{t.id}}</th>{{!
        }}<th>{{t.kind}}</th><th>{{t.title}}</th><th>{{t.proposers}}</th><th>{{t.unit}}</th><th>{{t.role}}</th><th>{{t.stage}}</th>{{!
        }}<th>{{t.due}}</th></tr></thead><tbody>
        {{#rows}}<tr class="{{cls}}" data-item="{{id}}"><td>{{#showOffice}}{{office}}</td><td>{{/showOffice}}<a href="{{href}}">{{id}}</a></td>{{!
        }}<td>{{kind}}</td><td><a href="{{href}}">{{title}}</a>{{#key}} <span class="tag warn">重点</span>{{/key}}</td><td>{{proposers}}</td>{{!
        }}<td>{{unit}}</td><td>{{role}}</td><td>{{stage}}{{#overdue}} <span class="tag bad">{{t.overdue}}</span>{{/overdue}}</td><td>{{due}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="9" class="meta">{{t.none}}</td></tr>{{/rows}}
        </tbody></table></div>
        """#

    static let dashboard = HTML.template(#"""
        <h1>{{t.dashboard}}</h1>
        <div class="cards" id="counts">{{#cards}}<a href="{{href}}" class="{{cls}}" data-stage="{{key}}"><b>{{count}}</b>{{label}}</a>{{/cards}}</div>
        {{#bureau}}
        <section class="card" id="sync"><h2>{{t.sync}}</h2>
        <form method="post" action="/sync"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" id="sync-now">{{t.syncNow}}</button></form>
        <div class="scroll"><table><thead><tr><th>{{t.office}}</th><th>{{t.lastAttempt}}</th><th>{{t.lastSuccess}}</th><th>{{t.backlog}}</th>{{!
        }}<th>{{t.lastError}}</th></tr></thead><tbody>
        {{#syncRows}}<tr class="{{cls}}"><td>{{office}}</td><td>{{lastAttempt}}</td><td>{{lastSuccess}}</td><td class="num">{{backlog}}</td>{{!
        }}<td>{{lastError}}</td></tr>{{/syncRows}}
        </tbody></table></div>
        {{#anyRefused}}<h3>{{t.refused}}</h3><ul id="refused">{{#refused}}<li><span class="meta">{{at}}</span> {{office}} {{entity}} {{field}}：{{!
        }}{{reason}}</li>{{/refused}}</ul>{{/anyRefused}}
        </section>
        {{/bureau}}
        <h2 id="overdue">{{t.overdueHeading}}（{{overdueCount}}）</h2>
        {{#overdueTable}}
        """# + rowsTable + #"""
        {{/overdueTable}}
        <h2 id="due-soon">{{t.dueSoonHeading}}（{{dueSoonCount}}）</h2>
        {{#dueSoonTable}}
        """# + rowsTable + #"""
        {{/dueSoonTable}}
        """#)

    static let list = HTML.template(#"""
        <h1>{{t.items}}（{{count}}）</h1>
        <form class="filters" method="get" action="/items">
        <label>{{t.search}}<input name="q" value="{{q}}" placeholder="{{t.searchHint}}"></label>
        {{#selects}}<label>{{label}}<select name="{{name}}">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{!
        }}{{label}}</option>{{/options}}</select></label>{{/selects}}
        <label>{{t.year}}<input name="year" value="{{year}}" inputmode="numeric" size="6"></label>
        <label><span><input type="checkbox" name="overdue" value="1"{{#overdue}} checked{{/overdue}}> {{t.overdueOnly}}</span></label>
        <button type="submit">{{t.filter}}</button> <a href="/items">{{t.clear}}</a>
        </form>
        {{#table}}
        """# + rowsTable + #"""
        {{/table}}
        """#)
}
