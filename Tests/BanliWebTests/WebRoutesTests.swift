@testable import BanliWeb
import BanliAccounts
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
import Testing
import TestSupport

/// The workbench served in process over a temporary bureau store: sign-in, the CSRF and origin checks, roles, the
/// workflow's own refusals, the headers, and hostile text on the pages.
final class WebRoutesTests: Sendable {
    static let item = "rd-2025-39"
    let dir: String
    let store: Store
    let accounts: Accounts
    let app: WebApp

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("banli-web-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try Store.create(at: dir + "/jxj.db", site: "jxj", name: "市经信局", hubSite: "hub", isHub: false)
        try Self.assign(Self.item, title: "关于加快老旧小区改造的建议", to: store)
        accounts = Accounts(store: try AccountDatabase.open(at: dir + "/web.db"))
        let now = HybridLogicalClock.wallMilliseconds()
        try accounts.addUser("li", role: .clerk, password: Self.password, now: now)
        try accounts.addUser("zhao", role: .viewer, password: Self.password, now: now)
        let workspace = Workspace(offices: [WebOffice(key: "hub", name: "市政府督查室", store: store)], deadlines: Deadlines(),
                                  today: { ISODate("2025-05-01")! })
        app = WebApp(workspace: workspace, accounts: accounts, settings: WebSettings(listen: try ListenAddress(parsing: "127.0.0.1:8490", option: "t")),
                     logger: Logger(label: "test"))
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    static let password = "办理-2025-password"

    /// An item assigned to jxj as the hub would have sent it: the hub's writes, received.
    static func assign(_ id: String, title: String, proposers: [String] = ["张三"], to store: Store) throws {
        let hub = try Store.create(at: store.path + ".hub-\(UUID().uuidString).db", site: "hub", name: "市政府督查室", hubSite: "hub", isHub: true)
        try hub.write([
            LocalWrite(.item(id: id), "kind", .string("suggestion")), LocalWrite(.item(id: id), "title", .string(title)),
            LocalWrite(.item(id: id), "proposers", .array(proposers.map(JSONValue.string))),
            LocalWrite(.item(id: id), "assignedAt", .string("2025-03-20")),
            LocalWrite(.assignment(item: id, site: "jxj"), "role", .string("lead")), LocalWrite(.assignment(item: id, site: "jxj"), "active", .bool(true)),
        ])
        _ = try store.apply(try hub.allFields().filter { $0.entity.itemId == id }, via: "hub")
    }

    func serve<T: Sendable>(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        try await Application(router: app.router()).test(.router, test)
    }

    /// A signed-in browser: its session cookie and the page's CSRF token.
    struct Browser: Sendable {
        var cookie: String
        var csrf: String
        var headers: HTTPFields { [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"] }
    }

    static func cookies(_ r: TestResponse) -> [String: String] {
        var out: [String: String] = [:]
        for line in r.headers[values: .setCookie] {
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            out[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        return out
    }

    static func csrf(in page: String) -> String? {
        guard let r = page.range(of: #"name="_csrf" value=""#) else { return nil }
        return String(page[r.upperBound...].prefix { $0 != "\"" })
    }

    func logIn(_ client: any TestClientProtocol, _ name: String, password: String = WebRoutesTests.password) async throws -> Browser? {
        let page = try await client.execute(uri: "/login", method: .get)
        let loginCookie = try #require(Self.cookies(page)["banli_login"])
        let token = try #require(Self.csrf(in: String(buffer: page.body)))
        let body = "_csrf=\(token)&name=\(name)&password=\(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&next=/items"
        let r = try await client.execute(uri: "/login", method: .post, headers: [.cookie: "banli_login=\(loginCookie)",
                                         .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: body))
        guard r.status == .seeOther, let session = Self.cookies(r)["banli_session"] else { return nil }
        #expect(r.headers[.location] == "/items")
        let set = r.headers[values: .setCookie].first { $0.hasPrefix("banli_session=") } ?? ""
        #expect(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"), "\(set)")
        let item = try await client.execute(uri: "/items/hub/\(Self.item)", method: .get, headers: [.cookie: "banli_session=\(session)"])
        return Browser(cookie: "banli_session=\(session)", csrf: try #require(Self.csrf(in: String(buffer: item.body))))
    }

    @Test func everyPageButTheLoginNeedsASession() async throws {
        try await serve { client in
            for path in ["/", "/items", "/items/hub/\(Self.item)"] {
                let r = try await client.execute(uri: path, method: .get)
                #expect(r.status == .found && r.headers[.location]?.hasPrefix("/login?next=") == true, "\(path): \(r.status)")
            }
            let forged = try await client.execute(uri: "/", method: .get, headers: [.cookie: "banli_session=0123456789abcdef"])
            #expect(forged.headers[.location]?.contains("expired=1") == true, "an unknown session is treated as ended")
            let login = try await client.execute(uri: "/login", method: .get)
            #expect(login.status == .ok)
            #expect(login.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(login.headers[.xFrameOptions] == "DENY" && login.headers[.cacheControl] == "no-store")
        }
    }

    @Test func aLoginWithoutItsOwnTokenOrWithAWrongPasswordGetsNoSession() async throws {
        try await serve { client in
            let forged = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "_csrf=x&name=li&password=\(Self.password)"))
            #expect(forged.status == .forbidden && Self.cookies(forged)["banli_session"] == nil)
            #expect(try await self.logIn(client, "li", password: "wrong-password!") == nil)
            #expect(try await self.logIn(client, "nobody") == nil)
            #expect(try await self.logIn(client, "li") != nil)
        }
    }

    @Test func aStepIsTheWorkflowsStepWithItsRefusals() async throws {
        try await serve { client in
            let b = try #require(try await self.logIn(client, "li"))
            // A browser sends its Origin with every form: this server's own is let through (in process, the authority is localhost).
            var headers = b.headers
            headers[.origin] = "http://localhost"
            let accept = try await client.execute(uri: "/items/hub/\(Self.item)/step/accept", method: .post, headers: headers,
                                                  body: ByteBuffer(string: "_csrf=\(b.csrf)&at=2025-03-25"))
            #expect(accept.status == .seeOther && accept.headers[.location] == "/items/hub/\(Self.item)?done=accept",
                    "\(accept.status): \(String(buffer: accept.body).suffix(400))")
            #expect(try self.store.item(Self.item)?.assignments["jxj"]?.acceptedAt == ISODate("2025-03-25"))
            let again = try await client.execute(uri: "/items/hub/\(Self.item)/step/accept", method: .post, headers: b.headers,
                                                 body: ByteBuffer(string: "_csrf=\(b.csrf)&at=2025-03-26"))
            #expect(again.status == .unprocessableContent)
            let page = String(buffer: again.body)
            #expect(page.contains("事项 rd-2025-39 已于 2025-03-25 签收，不必再签收；请在本页继续办理后面的步骤。"), "the workbench's sentence")
            #expect(!page.contains("banli item"), "no command on the page")
            #expect(try self.store.item(Self.item)?.assignments["jxj"]?.acceptedAt == ISODate("2025-03-25"), "nothing written")
        }
    }

    @Test func aPostWithoutTheTokenFromElsewhereOrByAViewerWritesNothing() async throws {
        try await serve { client in
            let b = try #require(try await self.logIn(client, "li"))
            let path = "/items/hub/\(Self.item)/step/accept"
            let noToken = try await client.execute(uri: path, method: .post, headers: b.headers, body: ByteBuffer(string: "at=2025-03-25"))
            #expect(noToken.status == .forbidden)
            let wrongToken = try await client.execute(uri: path, method: .post, headers: b.headers,
                                                      body: ByteBuffer(string: "_csrf=\(String(b.csrf.reversed()))&at=2025-03-25"))
            #expect(wrongToken.status == .forbidden)
            var elsewhere = b.headers
            elsewhere[.origin] = "http://evil.example"
            let crossSite = try await client.execute(uri: path, method: .post, headers: elsewhere, body: ByteBuffer(string: "_csrf=\(b.csrf)&at=2025-03-25"))
            #expect(crossSite.status == .forbidden)
            let v = try #require(try await self.logIn(client, "zhao"))
            let viewer = try await client.execute(uri: path, method: .post, headers: v.headers, body: ByteBuffer(string: "_csrf=\(v.csrf)&at=2025-03-25"))
            #expect(viewer.status == .forbidden)
            let page = try await client.execute(uri: "/items/hub/\(Self.item)", method: .get, headers: v.headers)
            #expect(!String(buffer: page.body).contains("<details class=\"step\""), "a viewer is offered no step")
            #expect(try self.store.item(Self.item)?.assignments["jxj"]?.acceptedAt == nil)
        }
    }

    /// Seeded hostile titles, proposers and replies: on the list and the item page each is shown as text, never markup.
    @Test func hostileTextIsShownAsText() async throws {
        var strings = HostileStrings(seed: 39)
        let markup = [#"<script>alert(1)</script>"#, #""><img src=x onerror=alert(1)>"#, "</textarea><svg onload=alert(1)>", "{{t.title}}",
                      "{{{body}}}", "'-alert(1)-'", "<!--", "]]>"]
        var written: [(id: String, title: String)] = []
        for n in 0..<24 {
            let id = "rd-2025-\(100 + n)"
            let title = markup[n % markup.count] + strings.nextLine()
            try Self.assign(id, title: title, proposers: [markup[(n + 3) % markup.count]], to: store)
            written.append((id, title))
        }
        let titles = written
        try await serve { client in
            let b = try #require(try await self.logIn(client, "li"))
            let list = String(buffer: try await client.execute(uri: "/items", method: .get, headers: b.headers).body)
            for (id, title) in titles {
                #expect(list.contains(HTML.escape(title)), "\(id)'s title, escaped, is on the list")
                let page = String(buffer: try await client.execute(uri: "/items/hub/\(id)", method: .get, headers: b.headers).body)
                #expect(page.contains(HTML.escape(title)))
                for m in markup where m.contains("<") { #expect(!page.contains(m), "\(id): raw \(m)") }
            }
            #expect(!list.contains("<script>alert") && !list.contains("<img src=x"))
        }
    }
}
