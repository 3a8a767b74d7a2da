import BanliAccounts
import BanliCore
import BanliPages
import Foundation
import Hummingbird

/// Renders pages in the layout and answers with them.
enum WebPages {
    struct MenuEntry { let href: String, label: String, cls: String }

    struct LayoutTexts {
        let appName: String, logout: String, otherLanguage: String, login: String, userName: String, password: String
        init(_ l: Language) {
            appName = l.t("办理工作台", "Banli workbench")
            logout = l.t("退出", "Log out")
            otherLanguage = l.t("English", "中文")
            login = l.t("登录", "Log in")
            userName = l.t("用户名", "User name")
            password = l.t("密码", "Password")
        }
    }

    struct LayoutContext {
        let lang: String, otherLang: String, title: String, t: LayoutTexts, unitName: String
        let menu: [MenuEntry]
        let signedIn: Bool, userName: String, roleLabel: String, csrf: String
        let notices: [String], errors: [String], body: String
    }

    /// The menu for this store and role; `current` marks the page.
    static func menu(_ app: WebApp, _ l: Language, current: String) -> [MenuEntry] {
        var entries: [(String, String)] = [("/", l.t("工作台", "Dashboard")), ("/items", l.t("办理事项", "Items"))]
        entries.append(("/ledger", l.t("台账", "Ledger")))
        entries.append(("/report", l.t("统计", "Statistics")))
        if app.workspace.isHub {
            entries += [("/new", l.t("交办", "Assign")), ("/supervise", l.t("督办", "Supervision")), ("/ranking", l.t("排名", "Ranking"))]
            if let status = app.settings.statusPageURL { entries.append((status, l.t("运行状态", "Sync status"))) }
        }
        return entries.map { MenuEntry(href: $0.0, label: $0.1, cls: $0.0 == current ? "current" : "") }
    }

    /// A signed-in page: `body` is already rendered (escaped by its own template).
    static func page(
        _ app: WebApp, _ request: Request, _ context: WebContext, title: String, current: String, body: String,
        notice: String? = nil, error: String? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        let l = Language(request)
        let s = context.session
        let c = LayoutContext(
            lang: l.htmlLang, otherLang: l == .zh ? "en" : "zh", title: title, t: LayoutTexts(l), unitName: app.unitName,
            menu: menu(app, l, current: current), signedIn: s != nil, userName: s?.user.name ?? "", roleLabel: s?.user.role.label ?? "",
            csrf: s?.csrfToken ?? "", notices: notice.map { [$0] } ?? [], errors: error.map { [$0] } ?? [], body: body)
        return html(LayoutTemplate.page.render(c), status: status, language: request)
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok, language request: Request? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        // `?lang=` chosen once stays chosen.
        if let request, let q = request.uri.queryParameters.get("lang"), let l = Language(rawValue: q) {
            headers[.setCookie] = Cookie(name: Language.cookieName, value: l.rawValue, path: "/", httpOnly: true, sameSite: .strict).description
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    struct ErrorContext { let title: String, message: String }

    /// A bare page with one sentence, for refusals before any layout applies.
    static func errorResponse(_ status: HTTPResponse.Status, _ message: String, request: Request) -> Response {
        html(LayoutTemplate.error.render(ErrorContext(title: "办理工作台", message: message)), status: status)
    }

    /// A history time as stored (UTC, `2025-05-20T06:03:09Z`) as Beijing time, `2025-05-20 14:03`; anything else as it is.
    static func time(utc text: String) -> String {
        let parts = text.split(separator: "T")
        guard parts.count == 2, let day = ISODate(String(parts[0])) else { return text }
        let clock = parts[1].prefix(5).split(separator: ":").compactMap { Int($0) }
        guard clock.count == 2, (0..<24).contains(clock[0]), (0..<60).contains(clock[1]) else { return text }
        let seconds = Int64(day.daysSinceEpoch) * 86_400 + Int64(clock[0] * 3600 + clock[1] * 60)
        return time(seconds * 1000)
    }

    /// Milliseconds since the epoch as Beijing time, `2025-05-20 14:03`.
    static func time(_ ms: Int64?) -> String {
        guard let ms, ms >= 0 else { return "—" }
        return OfficeClock.local(ms)
    }
}
