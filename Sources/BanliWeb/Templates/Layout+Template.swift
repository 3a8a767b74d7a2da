import BanliPages
import Mustache

/// The frame around every signed-in page: the menu, who is signed in, the logout form, a notice or an error,
/// then the page. Data goes only through `{{value}}` tags (escaped); `{{{body}}}` is a page rendered the same way.
enum LayoutTemplate {
    static let page = HTML.template(#"""
        <!doctype html>
        <html lang="{{lang}}"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · {{t.appName}}</title>
        <link rel="stylesheet" href="/static/banli.css">
        <script src="/static/banli.js" defer></script>
        </head><body>
        <header class="top">
        <a class="brand" href="/">{{t.appName}}</a>
        <span class="where">{{unitName}}</span>
        <nav class="menu">{{#menu}}<a href="{{href}}" class="{{cls}}">{{label}}</a>{{/menu}}</nav>
        {{#signedIn}}<form class="who" method="post" action="/logout"><input type="hidden" name="_csrf" value="{{csrf}}">{{!
        }}<span>{{userName}}（{{roleLabel}}）</span> <button type="submit" class="link">{{t.logout}}</button></form>{{/signedIn}}
        <a class="lang" href="?lang={{otherLang}}">{{t.otherLanguage}}</a>
        </header>
        <main>
        {{#notices}}<p class="notice" role="status">{{.}}</p>{{/notices}}
        {{#errors}}<p class="error" role="alert">{{.}}</p>{{/errors}}
        {{{body}}}
        </main>
        </body></html>
        """#)

    static let login = HTML.template(#"""
        <!doctype html>
        <html lang="{{lang}}"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{t.login}} · {{t.appName}}</title>
        <link rel="stylesheet" href="/static/banli.css">
        </head><body class="login">
        <form class="card login" method="post" action="/login">
        <h1>{{t.appName}}</h1>
        <p class="where">{{unitName}}</p>
        {{#notices}}<p class="notice" role="status">{{.}}</p>{{/notices}}
        {{#errors}}<p class="error" role="alert">{{.}}</p>{{/errors}}
        <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="next" value="{{next}}">
        <label>{{t.userName}}<input name="name" autocomplete="username" required autofocus></label>
        <label>{{t.password}}<input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit" id="login">{{t.login}}</button>
        <p class="meta"><a href="?lang={{otherLang}}">{{t.otherLanguage}}</a></p>
        </form>
        </body></html>
        """#)

    static let error = HTML.template(#"""
        <!doctype html>
        <html lang="zh-CN"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}}</title><link rel="stylesheet" href="/static/banli.css">
        </head><body><main><p class="error" role="alert">{{message}}</p><p><a href="/">返回工作台</a></p></main></body></html>
        """#)
}
