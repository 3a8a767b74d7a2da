import BanliPages
import Mustache

/// The 台账 pages: the upload form with the export links, and the preview of an upload with each refusal on its row.
extension PageTemplates {
    static let ledger = HTML.template(#"""
        <h1>{{t.heading}}</h1>
        {{#mayImport}}
        <form class="card" method="post" action="/ledger/preview" enctype="multipart/form-data" id="ledger-upload">{{!
        }}<input type="hidden" name="_csrf" value="{{csrf}}">
        <h2>{{t.importHeading}}</h2>
        <p class="meta">{{t.importHint}}</p>
        <p><label>{{t.file}} <input type="file" name="file" accept=".csv,text/csv" required></label></p>
        <p><label>{{t.encoding}} <select name="encoding"><option value="utf-8">UTF-8</option>{{!
        }}<option value="gb18030">{{t.gb18030}}</option></select></label></p>
        <p><button type="submit" id="preview">{{t.preview}}</button></p>
        </form>
        {{/mayImport}}
        <section class="card" id="ledger-export"><h2>{{t.exportHeading}}</h2>
        <p class="meta">{{t.exportHint}}</p>
        <p><a href="/ledger/export?encoding=utf-8" id="export-utf8">{{t.utf8}}</a> · {{!
        }}<a href="/ledger/export?encoding=gb18030" id="export-gb18030">{{t.gb18030}}</a></p>
        </section>
        """#)

    static let ledgerPreview = HTML.template(#"""
        <h1>{{t.previewHeading}}：{{filename}}</h1>
        {{#refused}}<section class="card" id="ledger-refused"><p class="error" role="alert">{{summary}}</p>
        {{#fileProblems}}<p class="error">{{.}}</p>{{/fileProblems}}
        <p><a href="/ledger">{{t.again}}</a></p></section>{{/refused}}
        {{#clean}}<section class="card" id="ledger-plan"><h2>{{t.planHeading}}</h2>
        <div class="scroll"><table><thead><tr><th>{{t.office}}</th><th>{{t.items}}</th><th>{{t.assignments}}</th><th>{{t.written}}</th>{{!
        }}<th>{{t.unchanged}}</th></tr></thead><tbody>
        {{#shares}}<tr><td>{{office}}</td><td class="num">{{items}}</td><td class="num">{{assignments}}</td><td class="num">{{written}}</td>{{!
        }}<td class="num">{{unchanged}}</td></tr>{{/shares}}
        </tbody></table></div>
        <form method="post" action="/ledger/confirm" id="ledger-confirm"><input type="hidden" name="_csrf" value="{{csrf}}">{{!
        }}<input type="hidden" name="text" value="{{payload}}"><input type="hidden" name="filename" value="{{filename}}">
        <p class="meta">{{t.confirmHint}}</p>
        <p><button type="submit" id="confirm">{{t.confirm}}</button> <a href="/ledger">{{t.cancel}}</a></p></form>
        </section>{{/clean}}
        {{#anyRows}}<h2>{{t.rowsHeading}}</h2>
        <div class="scroll"><table id="ledger-rows"><tbody>
        {{#rows}}<tr class="{{cls}}" data-line="{{line}}"><th>{{line}}</th>{{#cells}}<td class="{{cls}}">{{text}}</td>{{/cells}}{{!
        }}{{#refused}}<td class="problem">{{#problems}}<p>{{.}}</p>{{/problems}}</td>{{/refused}}</tr>{{/rows}}
        </tbody></table></div>
        {{#hasMore}}<p class="meta">{{more}}</p>{{/hasMore}}{{/anyRows}}
        """#)
}
