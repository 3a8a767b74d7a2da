import BanliPages
import Mustache

extension PageTemplates {
    /// One step's form, folded until opened (a phone shows the record first).
    static let stepForm = #"""
        <details class="step" id="step-{{id}}"><summary>{{label}}</summary>
        <form method="post" action="{{action}}" data-confirm="{{confirm}}"><input type="hidden" name="_csrf" value="{{csrf}}">
        {{#inputs}}<label>{{label}}{{#required}} *{{/required}}
        {{#isText}}<input name="{{name}}" value="{{value}}"{{#required}} required{{/required}}>{{/isText}}{{!
        }}{{#isDate}}<input type="date" name="{{name}}" value="{{value}}"{{#required}} required{{/required}}>{{/isDate}}{{!
        }}{{#isTextarea}}<textarea name="{{name}}"{{#required}} required{{/required}}>{{value}}</textarea>{{/isTextarea}}{{!
        }}{{#isSelect}}<select name="{{name}}">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}{{!
        }}</select>{{/isSelect}}
        </label>{{/inputs}}
        <button type="submit">{{button}}</button></form></details>
        """#

    static let item = HTML.template(#"""
        <h1><span class="tag">{{kind}}</span> {{id}} {{title}}</h1>
        {{#showOffice}}<p class="meta">{{t.office}}：{{officeName}}</p>{{/showOffice}}
        {{#conflicts}}
        <section class="card conflict" id="conflict-{{anchor}}"><h2>{{t.conflict}}：{{label}}</h2>
        <p class="meta">{{entity}} · {{t.conflictHint}}</p>
        <div class="sides">{{#sides}}<form method="post" action="{{action}}"><input type="hidden" name="_csrf" value="{{csrf}}">{{!
        }}<input type="hidden" name="entity" value="{{entity}}"><input type="hidden" name="field" value="{{field}}">{{!
        }}<input type="hidden" name="value" value="{{json}}">
        <p class="meta">{{source}}{{#visible}} · {{t.shown}}{{/visible}}</p><p class="value">{{value}}</p>
        {{#canSettle}}<button type="submit" class="settle">{{t.keep}}</button>{{/canSettle}}</form>{{/sides}}</div>
        </section>
        {{/conflicts}}
        <section class="card" id="item-fields"><dl class="fields">{{#fields}}<dt>{{label}}</dt><dd>{{value}}</dd>{{/fields}}</dl>
        {{#itemSteps}}
        """# + stepForm + #"""
        {{/itemSteps}}
        </section>
        {{#assignments}}
        <section class="card assignment" id="unit-{{site}}"><h2>{{unitName}} <span class="tag">{{role}}</span> {{stage}}{{!
        }}{{#overdue}} <span class="tag bad">{{t.overdue}}</span>{{/overdue}} <span class="meta">{{t.due}} {{due}}</span></h2>
        <dl class="fields">{{#fields}}<dt>{{label}}</dt><dd>{{value}}</dd>{{/fields}}</dl>
        {{#anyContacts}}<h3>{{t.contacts}}</h3><ul>{{#contacts}}<li>#{{n}} {{at}} {{method}} <span class="value">{{note}}</span></li>{{/contacts}}</ul>{{!
        }}{{/anyContacts}}
        {{#hasForm}}<p class="noprint"><a class="feedback-form" href="{{formHref}}">{{t.form}}</a></p>{{/hasForm}}
        {{#anyFeedback}}<h3>{{t.feedback}}</h3><dl class="fields">{{#feedback}}<dt>{{label}}</dt><dd>{{value}}</dd>{{/feedback}}</dl>{{/anyFeedback}}
        {{#steps}}
        """# + stepForm + #"""
        {{/steps}}
        </section>
        {{/assignments}}
        <section class="card" id="timeline"><h2>{{t.timeline}}</h2><ol class="timeline">
        {{#timeline}}<li class="{{cls}}"><span class="meta">{{at}} · {{who}} · {{origin}}</span><br>{{label}}：<span class="value">{{value}}</span></li>{{!
        }}{{/timeline}}
        </ol></section>
        """#)
}
