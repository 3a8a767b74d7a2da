import BanliAccounts
import BanliCore
import BanliSecrets
import Hummingbird

/// Logging in and out. The login form carries its own CSRF token (a cookie and a field that must match), so
/// another site cannot sign a browser in under its own account.
struct LoginRoutes {
    static let loginCookie = "banli_login"
    let app: WebApp

    struct LoginContext {
        let lang: String, otherLang: String, t: WebPages.LayoutTexts, unitName: String
        let csrf: String, next: String, notices: [String], errors: [String]
    }

    func register(on router: Router<WebContext>) {
        router.get("/login") { request, context in
            if context.session != nil { return Response.redirect(to: "/", type: .found) }
            let l = Language(request)
            let expired = request.uri.queryParameters.get("expired") != nil
            return loginPage(request, notice: expired ? l.t("登录已过期，请重新登录。", "Your session ended; please log in again.") : nil, error: nil)
        }
        router.post("/login") { request, context in
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            let form = WebForm(urlEncoded: String(buffer: body))
            let l = Language(request)
            guard let cookie = request.cookies[Self.loginCookie]?.value, let field = form["_csrf"], ConstantTime.equal(cookie, field) else {
                return loginPage(request, notice: nil, error: l.t("登录页面已失效，请重新输入。", "The login page expired; please try again."), status: .forbidden)
            }
            let name = form["name"] ?? "", password = form.text("password") ?? ""
            let accounts = app.accounts, address = context.remoteAddress
            let now = HybridLogicalClock.wallMilliseconds()
            let result = try await offload { try accounts.logIn(name: name, password: password, address: address, now: now) }
            switch result {
            case .signedIn(let token, _):
                app.logger.notice("web login", metadata: ["user": "\(name)", "address": "\(address)"])
                var response = Response.redirect(to: Self.safeNext(form["next"]), type: .normal)
                response.setCookie(Cookie(name: SessionMiddleware.cookieName, value: token, path: "/", secure: secure(request),
                                          httpOnly: true, sameSite: .strict))
                response.setCookie(Cookie(name: Self.loginCookie, value: "", maxAge: 0, path: "/login", secure: secure(request), httpOnly: true,
                                          sameSite: .strict))
                return response
            case .refused:
                app.logger.notice("web login refused", metadata: ["user": "\(name)", "address": "\(address)"])
                return loginPage(request, notice: nil, error: l.t("用户名或密码不正确。", "Wrong user name or password."), status: .unauthorized)
            case .throttled(let seconds):
                app.logger.warning("web login throttled", metadata: ["user": "\(name)", "address": "\(address)"])
                let minutes = max(1, (seconds + 59) / 60)
                var response = loginPage(
                    request, notice: nil, error: l.t("登录失败次数过多，请 \(minutes) 分钟后再试。", "Too many failed logins; try again in \(minutes) min."),
                    status: .tooManyRequests)
                response.headers[.retryAfter] = String(seconds)
                return response
            }
        }
        router.post("/logout") { request, context in
            _ = try await app.form(request, context)
            if let token = context.sessionToken {
                let accounts = app.accounts
                try await offload { try accounts.logOut(token: token) }
            }
            var response = Response.redirect(to: "/login", type: .normal)
            response.setCookie(Cookie(name: SessionMiddleware.cookieName, value: "", maxAge: 0, path: "/", secure: secure(request),
                                      httpOnly: true, sameSite: .strict))
            return response
        }
    }

    /// The login page with the login token in its cookie and its form: the browser's own when it has one, so that a
    /// second login tab (or a stray request that lands here) does not invalidate the first.
    func loginPage(_ request: Request, notice: String?, error: String?, status: HTTPResponse.Status = .ok) -> Response {
        let l = Language(request)
        let sent = request.cookies[Self.loginCookie]?.value ?? ""
        let token = sent.count == 64 && sent.allSatisfy(\.isHexDigit) ? sent : Digest.randomHex(bytes: 32)
        let c = LoginContext(lang: l.htmlLang, otherLang: l == .zh ? "en" : "zh", t: WebPages.LayoutTexts(l), unitName: app.unitName,
                             csrf: token, next: request.uri.queryParameters.get("next") ?? "/", notices: notice.map { [$0] } ?? [],
                             errors: error.map { [$0] } ?? [])
        var response = WebPages.html(LayoutTemplate.login.render(c), status: status, language: request)
        response.setCookie(Cookie(name: Self.loginCookie, value: token, path: "/login", secure: secure(request), httpOnly: true, sameSite: .strict))
        return response
    }

    /// Cookies are `Secure` when the browser reached us over TLS: natively, or through a proxy that says so.
    func secure(_ request: Request) -> Bool {
        app.settings.tls != nil || (app.settings.behindProxy && request.headers[.xForwardedProto] == "https")
    }

    /// Only a path on this server: never `//host` or a scheme, so the login cannot redirect elsewhere.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"), !next.contains(where: { $0.isNewline }) else { return "/" }
        return next
    }
}
