import BanliCore
import BanliHubStorage
import BanliOffice
import BanliPages
import BanliSecrets
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A request on the deputies' listener: where it came from, for the rate limit.
public struct FeedbackContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's address.
    public var remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "local"
    }

    /// A posted answer is a few short fields and a comment.
    public var maxUploadSize: Int { 64 << 10 }
}

/// The deputies' listener (`public_listen`, issue 18): `GET` and `POST /f/{token}` and nothing else. No account: the
/// link's token is the only key. Unknown, used, expired and revoked links all get the same page, so the answer tells
/// nothing about which links exist, and no path lists them.
struct FeedbackRoutes: Sendable {
    let storage: any HubStorage
    let settings: HubSettings
    let metrics: HubMetrics
    let limiter: RateLimiter
    let logger: Logger

    init(storage: any HubStorage, settings: HubSettings, metrics: HubMetrics, logger: Logger) {
        self.storage = storage
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        limiter = RateLimiter(perSecond: settings.publicRatePerSecond, burst: settings.publicRateBurst)
    }

    /// A link's token: 32 random bytes in base64url (43 characters).
    static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 43 && token.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
        }
    }

    /// The form's CSRF token, bound to the link: an HMAC under the link's own token, so only a page served for that link
    /// carries it, whichever hub process served it, and nothing about it needs storing.
    static func csrf(for token: String) -> String {
        Digest.hex(Digest.hmacSHA256(key: Array(token.utf8), message: Array("banli-feedback-form".utf8)))
    }

    func register(on router: Router<FeedbackContext>) {
        router.add(middleware: FeedbackFallback(logger: logger))
        router.get("/f/:token") { request, context in try await page(request, context) }
        router.post("/f/:token") { request, context in try await answer(request, context) }
    }

    /// The client the rate limit counts: the peer's address, or behind a proxy on this machine the last `X-Forwarded-For`
    /// entry it appended; an IPv6 client by its /64 (`RateLimiter.clientKey`).
    func client(_ request: Request, _ context: FeedbackContext) -> String {
        let peer = RateLimiter.clientKey(context.remoteAddress)
        guard peer == "127.0.0.1" || context.remoteAddress == "::1", let forwarded = request.headers[.init("X-Forwarded-For")!] else { return peer }
        return RateLimiter.clientKey(forwarded.split(separator: ",").last.map { String($0).trimmedWhitespace } ?? peer)
    }

    /// The link a request names, if it is still usable now.
    func openLink(_ context: FeedbackContext, now: Int64) async throws -> (token: String, link: FeedbackLink)? {
        guard let token = context.parameters.get("token"), Self.isWellFormed(token),
              let link = try await storage.feedbackLink(tokenHash: Digest.tokenHash(token)), link.isUsable(at: now) else { return nil }
        return (token, link)
    }

    /// The item and the sheet of an open link, or nil when its reply can no longer be rated (reassigned, closed, sent back).
    func sheet(_ token: String, _ link: FeedbackLink) async throws -> (ItemView, DeputyFeedbackPage.Sheet)? {
        let view = ItemView(id: link.item, fields: try await storage.itemFields(link.item), hubSite: storage.hubSite)
        guard (try? Workflow.requireReplyToRateOnline(view, site: link.unit)) != nil else { return nil }
        let directory = try await storage.directoryFields()
        func unitValue(_ site: String, _ field: String) -> String? {
            directory.first { $0.entity == .unit(site: site) && $0.field == field }?.visibleValue(hubSite: storage.hubSite).stringValue
        }
        let sheet = DeputyFeedbackPage.Sheet(
            item: view, site: link.unit, unitName: unitValue(link.unit, "name") ?? link.unit, action: "/f/\(token)",
            csrf: Self.csrf(for: token), jurisdiction: unitValue(storage.hubSite, "jurisdiction") ?? OfficeSettings.defaultJurisdiction)
        return (view, sheet)
    }

    func page(_ request: Request, _ context: FeedbackContext) async throws -> Response {
        guard limiter.allow(client(request, context)) else { return Self.tooMany(metrics) }
        let now = Int64(HybridLogicalClock.wallMilliseconds())
        guard let open = try await openLink(context, now: now), let shown = try await sheet(open.token, open.link) else { return Self.invalid }
        return Self.html(.ok, DeputyFeedbackPage.form(shown.1))
    }

    func answer(_ request: Request, _ context: FeedbackContext) async throws -> Response {
        guard limiter.allow(client(request, context)) else { return Self.tooMany(metrics) }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let fields = Self.formFields(String(buffer: body))
        let now = Int64(HybridLogicalClock.wallMilliseconds())
        guard let open = try await openLink(context, now: now), let shown = try await sheet(open.token, open.link) else { return Self.invalid }
        let (token, link) = open
        let (view, sheet) = shown
        guard let csrf = fields["_csrf"], ConstantTime.equal(csrf, Self.csrf(for: token)) else {
            return Self.html(.forbidden, DeputyFeedbackPage.message("页面已失效", "页面已失效，请重新打开链接后再提交。"))
        }
        let offset = settings.timeZone.secondsFromGMT()
        let day = ISODate(unixMilliseconds: UInt64(now), utcOffsetHours: offset / 3600)
        let writes: [LocalWrite], feedback: Workflow.Feedback
        do {
            feedback = try OnlineFeedback.read({ fields[$0] }, answeredAt: Self.time(now, zone: settings.timeZone), day: day)
            writes = try OnlineFeedback.writes(view, site: link.unit, feedback)
        } catch let e as BanliError {
            return Self.html(.badRequest, DeputyFeedbackPage.form(sheet, .init(fields: fields, error: e.message)))
        } catch let refusal as WorkflowRefusal {
            logger.notice("feedback link refused by the workflow", metadata: ["item": "\(link.item)", "unit": "\(link.unit)", "reason": "\(refusal)"])
            return Self.invalid
        }
        guard try await storage.useFeedbackLink(tokenHash: link.tokenHash, nowMilliseconds: now, writes: writes) else { return Self.invalid }
        logger.info("feedback answered online", metadata: ["item": "\(link.item)", "unit": "\(link.unit)"])
        return Self.html(.ok, DeputyFeedbackPage.thanks(unsatisfied: feedback.evaluation == .unsatisfied))
    }

    /// An `application/x-www-form-urlencoded` body's fields; a repeated name keeps its first value.
    static func formFields(_ body: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            let name = decode(parts[0])
            if out[name] == nil { out[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return out
    }

    /// `now` as an ISO 8601 time in the office's zone, e.g. `2026-12-01T16:20:05+08:00`.
    static func time(_ ms: Int64, zone: TimeZone) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = zone
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// Headers of every page: no caching, no referrer (the link is in the URL), nothing but its own inline style.
    static func html(_ status: HTTPResponse.Status, _ page: String) -> Response {
        Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .init("Referrer-Policy")!: "no-referrer",
            .init("X-Content-Type-Options")!: "nosniff",
            .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// The one answer for every link that opens nothing.
    static var invalid: Response { html(.notFound, DeputyFeedbackPage.invalid) }

    static func tooMany(_ metrics: HubMetrics) -> Response {
        metrics.refused(reason: "rate")
        var r = html(.tooManyRequests, DeputyFeedbackPage.tooMany)
        r.headers[.retryAfter] = "10"
        return r
    }
}

/// Every other path and method on the deputies' listener is the same "not valid" page; a failing store is a plain
/// "try later" page (503), never an English sentence or a stack of details.
struct FeedbackFallback: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: FeedbackContext, next: (Request, FeedbackContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as HTTPError where e.status == .contentTooLarge {
            return FeedbackRoutes.html(.contentTooLarge, DeputyFeedbackPage.message("内容过长", "提交的内容过长，请删减意见后再提交。"))
        } catch is HTTPError {
            return FeedbackRoutes.invalid
        } catch let e as BanliError {
            logger.error("feedback page failed", metadata: ["error": "\(e.message)"])
            var r = FeedbackRoutes.html(.serviceUnavailable, DeputyFeedbackPage.message("请稍后再试", "服务暂时不可用，请稍后再试。"))
            r.headers[.retryAfter] = "30"
            return r
        }
    }
}
