import BanliPages
import Mustache

extension PageTemplates {
    static let newItem = HTML.template(#"""
        <h1>{{t.heading}}</h1>
        <form class="card" method="post" action="/new" id="new-item"><input type="hidden" name="_csrf" value="{{csrf}}">
        <dl class="fields">
        <dt>{{t.kind}} *</dt><dd><select name="kind">{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{!
        }}{{/kinds}}</select></dd>
        <dt>{{t.year}} *</dt><dd><input name="year" value="{{year}}" inputmode="numeric" required></dd>
        <dt>{{t.number}} *</dt><dd><input name="number" inputmode="numeric" required></dd>
        <dt>{{t.id}}</dt><dd><input name="id" placeholder="{{t.idHint}}"></dd>
        <dt>{{t.title}} *</dt><dd><input name="title" required size="60"></dd>
        <dt>{{t.proposers}}</dt><dd><input name="proposers" size="60" placeholder="{{t.proposersHint}}"></dd>
        <dt>{{t.session}}</dt><dd><input name="session"></dd>
        <dt>{{t.category}}</dt><dd><input name="category"></dd>
        <dt>{{t.body}}</dt><dd><textarea name="body"></textarea></dd>
        <dt>{{t.assignedAt}}</dt><dd><input type="date" name="assignedAt" value="{{today}}"></dd>
        </dl>
        <h2>{{t.units}}</h2>
        <div class="scroll"><table><thead><tr><th>{{t.unit}}</th><th>{{t.role}}</th><th>{{t.due}}</th></tr></thead><tbody>
        {{#slots}}<tr><td><select name="unit{{n}}"><option value="">—</option>{{#units}}<option value="{{value}}">{{label}}</option>{{/units}}</select></td>{{!
        }}<td><select name="role{{n}}">{{#roles}}<option value="{{value}}">{{label}}</option>{{/roles}}</select></td>{{!
        }}<td><input type="date" name="due{{n}}"></td></tr>{{/slots}}
        </tbody></table></div>
        <p><button type="submit" id="create">{{t.create}}</button></p>
        </form>
        """#)

    static let supervise = HTML.template(#"""
        <h1>{{t.heading}}</h1>
        <div class="scroll"><table id="board"><thead><tr><th>{{t.unit}}</th><th>{{t.overdue}}</th><th>{{t.dueSoon}}</th><th>{{t.pending}}</th>{{!
        }}<th>{{t.open}}</th></tr></thead><tbody>
        {{#units}}<tr class="{{cls}}" data-site="{{site}}"><td><a href="/items?unit={{site}}">{{name}}</a></td><td class="num">{{overdue}}</td>{{!
        }}<td class="num">{{dueSoon}}</td><td class="num">{{pending}}</td><td class="num">{{open}}</td></tr>{{/units}}
        {{^units}}<tr><td colspan="5" class="meta">{{t.none}}</td></tr>{{/units}}
        </tbody></table></div>
        {{#groups}}<details class="step" id="chase-{{site}}"><summary>{{name}}：{{t.overdue}} {{overdue}}，{{t.dueSoon}} {{dueSoon}}，{{!
        }}{{t.pending}} {{pending}}</summary>
        <ul>{{#items}}<li class="{{cls}}"><a href="{{href}}">{{id}}</a> {{title}} · {{stage}} · {{t.due}} {{due}}</li>{{/items}}</ul></details>{{/groups}}
        """#)
}
