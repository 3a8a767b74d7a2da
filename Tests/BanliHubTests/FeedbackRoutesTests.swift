@testable import BanliHub
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliOps
import BanliPages
import BanliStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import Testing
import TestSupport

/// The deputies' listener (issue 18) served in process over a temporary SQLite hub store: rd-2025-39, replied by jxj.
final class FeedbackRoutesTests: Sendable {
    let dir: String
    let store: Store
    let storage: SQLiteHubStorage
    static let id = "rd-2025-39"
    static let title = "关于加快老旧小区改造的建议\"><script>alert(1)</script>e\u{301}\"\u{301}<\u{200d}"
    let now = Int64(HybridLogicalClock.wallMilliseconds())

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("banli-feedback-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try Store.create(at: dir + "/hub.db", site: "hub", name: "督查室", hubSite: "hub", isHub: true)
        _ = try store.addUnit(site: "jxj", name: "市经信局")
        let a = EntityKey.assignment(item: Self.id, site: "jxj")
        var hostile = HostileStrings(seed: 18)
        try store.write([
            LocalWrite(.item(id: Self.id), "kind", .string("suggestion")), LocalWrite(.item(id: Self.id), "title", .string(Self.title)),
            LocalWrite(a, "role", .string("lead")), LocalWrite(a, "acceptedAt", .string("2025-04-01")),
            LocalWrite(a, "replyAt", .string("2025-05-10")), LocalWrite(a, "replyText", .string("答复正文：" + hostile.next())),
        ])
        storage = try SQLiteHubStorage(store)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func routes(burst: Double = 10) throws -> Router<FeedbackContext> {
        var settings = HubSettings(listen: try ListenAddress(parsing: "127.0.0.1:8480", option: "listen"),
                                   adminListen: try ListenAddress(parsing: "127.0.0.1:8481", option: "admin_listen"))
        settings.publicRateBurst = burst
        let router = Router(context: FeedbackContext.self)
        FeedbackRoutes(storage: storage, settings: settings, metrics: HubMetrics(registry: PrometheusCollectorRegistry()), logger: Logger(label: "test"))
            .register(on: router)
        return router
    }

    func link(days: Int = 30, at: Int64? = nil) async throws -> String {
        let view = try #require(try store.item(Self.id))
        return try await storage.issueFeedbackLink(view, site: "jxj", days: days, nowMilliseconds: at ?? now)
    }

    func form(_ token: String, _ answers: [String: String]) -> ByteBuffer {
        var all = answers
        if all["_csrf"] == nil { all["_csrf"] = FeedbackRoutes.csrf(for: token) }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(string: all.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    static let answer = ["contact": "phone", "effect": "later", "work": "satisfied", "result": "unsatisfied", "public": "no", "comment": "希望尽快落实"]
    static let post: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    func feedback(_ field: String) throws -> JSONValue? {
        try store.field(.feedback(item: Self.id, site: "jxj"), field)?.visibleValue(hubSite: "hub")
    }

    @Test func theAnswerIsRecordedOnceAsTheOfficesAndNotSatisfiedSendsTheReplyBack() async throws {
        let token = try await link()
        let invalid = DeputyFeedbackPage.invalid
        try await Application(router: try routes()).test(.router) { client in
            let page = try await client.execute(uri: "/f/\(token)", method: .get)
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("市经信局") && html.contains("答复正文") && html.contains(FeedbackRoutes.csrf(for: token)))
            // The hostile title stays text; the page carries no script and loads nothing from elsewhere.
            #expect(html.contains(HTML.escape(Self.title)) && !html.contains("<script") && !html.contains("src="))
            #expect(page.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true && page.headers[.init("Referrer-Policy")!] == "no-referrer")

            let done = try await client.execute(uri: "/f/\(token)", method: .post, headers: Self.post, body: form(token, Self.answer))
            #expect(done.status == .ok)
            #expect(String(buffer: done.body).contains("重新办理"))
            // Used once: the same page as a link that never existed, and nothing written again.
            let head = try await storage.headChangeNumber()
            let again = try await client.execute(uri: "/f/\(token)", method: .post, headers: Self.post, body: form(token, Self.answer))
            #expect(again.status == .notFound && String(buffer: again.body) == invalid)
            #expect(try await storage.headChangeNumber() == head)
            let reopened = try await client.execute(uri: "/f/\(token)", method: .get)
            #expect(reopened.status == .notFound && String(buffer: reopened.body) == invalid)
        }
        #expect(try feedback("evaluation") == .string("unsatisfied"), "the lower of the two satisfactions")
        #expect(try feedback("workEvaluation") == .string("satisfied") && feedback("resultEvaluation") == .string("unsatisfied"))
        #expect(try feedback("source") == .string("online") && feedback("contactMethod") == .string("phone") && feedback("public") == .bool(false))
        #expect(try feedback("answeredAt")?.stringValue?.contains("T") == true)
        // Written by the hub (a unit could never have), and the same day's 重新办理 is seen: handling is open again.
        let state = try #require(try store.field(.feedback(item: Self.id, site: "jxj"), "evaluation")).state
        #expect(state.siblings.map(\.site) == ["hub"])
        let view = try #require(try store.item(Self.id))
        #expect(view.status(site: "jxj", today: ISODate(unixMilliseconds: UInt64(now)))?.stage == .rehandling)
    }

    @Test func forgedExpiredRevokedAndOtherPathsAllGetTheSamePage() async throws {
        let expired = try await link(days: 1, at: now - 2 * 86_400_000)
        let revoked = try await link()
        #expect(try await storage.revokeFeedbackLinks(item: Self.id, unit: "jxj", nowMilliseconds: now) == 1)
        let forged = String(revoked.reversed())
        try await Application(router: try routes()).test(.router) { client in
            for path in ["/f/\(expired)", "/f/\(revoked)", "/f/\(forged)", "/f/short", "/f/", "/f", "/", "/v1/status", "/healthz"] {
                let r = try await client.execute(uri: path, method: .get)
                #expect(r.status == .notFound && String(buffer: r.body) == DeputyFeedbackPage.invalid, "\(path)")
            }
            let posted = try await client.execute(uri: "/f/\(revoked)", method: .post, headers: Self.post, body: form(revoked, Self.answer))
            #expect(posted.status == .notFound)
        }
        #expect(try feedback("evaluation") == nil)
    }

    @Test func aPostWithoutTheLinksCSRFTokenOrAnAnswerChangesNothing() async throws {
        let token = try await link()
        let other = try await link()
        let head = try await storage.headChangeNumber()
        try await Application(router: try routes()).test(.router) { client in
            for csrf in ["", FeedbackRoutes.csrf(for: other)] {
                let body = form(token, Self.answer.merging(["_csrf": csrf]) { $1 })
                let r = try await client.execute(uri: "/f/\(token)", method: .post, headers: Self.post, body: body)
                #expect(r.status == .forbidden)
            }
            var missing = Self.answer
            missing["result"] = nil
            missing["comment"] = "<b>未选结果</b>"
            let r = try await client.execute(uri: "/f/\(token)", method: .post, headers: Self.post, body: form(token, missing))
            let html = String(buffer: r.body)
            #expect(r.status == .badRequest && html.contains("请选择“对办理结果的评价”的一项后再提交。"))
            // The answers given so far come back, escaped.
            #expect(html.contains("&lt;b&gt;未选结果&lt;/b&gt;") && html.contains(#"value="phone" required checked"#))
            let unknown = form(token, Self.answer.merging(["work": "great"]) { $1 })
            let bad = try await client.execute(uri: "/f/\(token)", method: .post, headers: Self.post, body: unknown)
            #expect(bad.status == .badRequest)
            #expect(try await storage.headChangeNumber() == head)
            // The link was not used up by the refused posts.
            let good = try await client.execute(uri: "/f/\(token)", method: .post, headers: Self.post, body: form(token, Self.answer))
            #expect(good.status == .ok)
        }
    }

    @Test func oneClientAskingTooOftenIsTurnedAway() async throws {
        let token = try await link()
        try await Application(router: try routes(burst: 2)).test(.router) { client in
            for _ in 0..<2 { #expect(try await client.execute(uri: "/f/\(token)", method: .get).status == .ok) }
            let third = try await client.execute(uri: "/f/\(token)", method: .get)
            #expect(third.status == .tooManyRequests && third.headers[.retryAfter] != nil)
        }
    }
}
