import Foundation
import BanliAccounts
import BanliCore
import BanliPages
import Hummingbird

/// Headers every answer carries: no framing, no sniffing, scripts and styles only from the workbench itself,
/// forms only to it, and pages never cached (they hold a CSRF token and people's records).
struct SecurityHeadersMiddleware: RouterMiddleware {
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        // A page may add to it for its own content (the 征询意见表 allows its one style element by hash).
        if response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Finds the signed-in person from the session cookie; a page that needs one and has none redirects to the login
/// page (saying the session ended when a cookie was sent), and a POST from another origin is refused.
struct SessionMiddleware: RouterMiddleware {
    static let cookieName = "banli_session"
    /// Pages anyone may open.
    static let publicPaths: Set<String> = assetPaths.union(["/login"])
    /// Served without looking at the session: a page's style sheet must not cost a write to the accounts file.
    static let assetPaths: Set<String> = ["/healthz", "/favicon.ico", "/static/banli.css", "/static/banli.js"]

    let accounts: Accounts
    let settings: WebSettings

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        if Self.assetPaths.contains(request.uri.path) { return try await next(request, context) }
        var context = context
        if settings.behindProxy, let forwarded = request.headers[.xForwardedFor] {
            // nginx appends the peer it saw: the last entry is the one a client cannot forge.
            context.remoteAddress = forwarded.split(separator: ",").last.map { String($0).trimmedWhitespace } ?? context.remoteAddress
        }
        let host = request.head.authority ?? request.headers[.hostHeader]
        if request.method == .post, let origin = request.headers[.origin], origin != "null", !Self.sameOrigin(origin, host: host) {
            return WebPages.errorResponse(.forbidden, "拒绝来自其他网站的提交。", request: request)
        }
        let token = request.cookies[Self.cookieName]?.value
        if let token, !token.isEmpty {
            let accounts = self.accounts
            let now = HybridLogicalClock.wallMilliseconds()
            context.session = try await offload { try accounts.session(token: token, now: now) }
            if context.session != nil { context.sessionToken = token }
        }
        let path = request.uri.path
        if Self.publicPaths.contains(path) { return try await next(request, context) }
        guard context.session != nil else {
            let expired = token != nil ? "&expired=1" : ""
            let back = request.method == .get ? Self.percentEncoded(request.uri.description) : "/"
            return Response.redirect(to: "/login?next=\(back)\(expired)", type: .found)
        }
        return try await next(request, context)
    }

    /// `Origin: http://host:port` names the host the request was sent to.
    static func sameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host, let schemeEnd = origin.range(of: "://") else { return false }
        return origin[schemeEnd.upperBound...] == host[...]
    }

    static func percentEncoded(_ s: String) -> String { HTML.percentEncoded(s) }
}
