@testable import BanliWeb
import BanliAccounts
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliOps
import BanliStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// Issue 18 on the office's item page: a button makes the deputy's one-time link and shows it once, another revokes it.
final class FeedbackLinkPageTests: Sendable {
    static let item = "rd-2025-39"
    let dir: String
    let store: Store
    let app: WebApp

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("banli-web-link-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try Store.create(at: dir + "/hub.db", site: "hub", name: "市政府督查室", hubSite: "hub", isHub: true)
        _ = try store.addUnit(site: "jxj", name: "市经信局")
        let a = EntityKey.assignment(item: Self.item, site: "jxj")
        try store.write([
            LocalWrite(.item(id: Self.item), "kind", .string("suggestion")), LocalWrite(.item(id: Self.item), "title", .string("关于加快老旧小区改造的建议")),
            LocalWrite(.item(id: Self.item), "assignedAt", .string("2025-03-20")), LocalWrite(a, "role", .string("lead")),
            LocalWrite(a, "acceptedAt", .string("2025-03-25")),
        ])
        let accounts = Accounts(store: try AccountDatabase.open(at: dir + "/web.db"))
        try accounts.addUser("wang", role: .office, password: WebRoutesTests.password, now: HybridLogicalClock.wallMilliseconds())
        var workspace = Workspace(offices: [WebOffice(key: "hub", name: "市政府督查室", store: store)], deadlines: Deadlines(),
                                  today: { ISODate("2025-05-01")! })
        workspace.feedbackLinkBase = "https://yijian.example.gov.cn"
        app = WebApp(workspace: workspace, accounts: accounts, settings: WebSettings(listen: try ListenAddress(parsing: "127.0.0.1:8490", option: "t")),
                     logger: Logger(label: "test"))
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    @Test func theOfficeMakesALinkOnceTheUnitRepliedAndRevokesIt() async throws {
        try await Application(router: app.router()).test(.router) { client in
            let login = try await client.execute(uri: "/login", method: .get)
            let loginCookie = try #require(WebRoutesTests.cookies(login)["banli_login"])
            let token = try #require(WebRoutesTests.csrf(in: String(buffer: login.body)))
            let password = WebRoutesTests.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let r = try await client.execute(uri: "/login", method: .post, headers: [.cookie: "banli_login=\(loginCookie)",
                                             .contentType: "application/x-www-form-urlencoded"],
                                             body: ByteBuffer(string: "_csrf=\(token)&name=wang&password=\(password)&next=/items"))
            let session = try #require(WebRoutesTests.cookies(r)["banli_session"])
            let headers: HTTPFields = [.cookie: "banli_session=\(session)", .contentType: "application/x-www-form-urlencoded"]
            let before = String(buffer: try await client.execute(uri: "/items/hub/\(Self.item)", method: .get, headers: headers).body)
            #expect(!before.contains("生成征询意见链接"), "no reply yet: no link to offer")
            let csrf = try #require(WebRoutesTests.csrf(in: before))
            try self.store.write([LocalWrite(.assignment(item: Self.item, site: "jxj"), "replyAt", .string("2025-04-20"))])
            let page = String(buffer: try await client.execute(uri: "/items/hub/\(Self.item)", method: .get, headers: headers).body)
            #expect(page.contains("生成征询意见链接") && page.contains("/items/hub/\(Self.item)/office/jxj/feedback-link"))

            let made = try await client.execute(uri: "/items/hub/\(Self.item)/office/jxj/feedback-link", method: .post, headers: headers,
                                                body: ByteBuffer(string: "_csrf=\(csrf)"))
            let shown = String(buffer: made.body)
            let link = try #require(shown.firstMatch(of: /https:\/\/yijian\.example\.gov\.cn\/f\/([A-Za-z0-9_-]{43})/).map { String($0.1) })
            let storage = try self.store.hubStorage()
            let view = try #require(try self.store.item(Self.item))
            // A second link for the same reply (the office may send another), then both revoked at once.
            let other = try await storage.issueFeedbackLink(view, site: "jxj", days: 1, nowMilliseconds: Int64(HybridLogicalClock.wallMilliseconds()))
            #expect(other != link)
            let revoked = try await client.execute(uri: "/items/hub/\(Self.item)/office/jxj/feedback-link/revoke", method: .post, headers: headers,
                                                   body: ByteBuffer(string: "_csrf=\(csrf)"))
            #expect(String(buffer: revoked.body).contains("已作废 2 个未使用的征询意见链接。"))
            let forged = try await client.execute(uri: "/items/hub/\(Self.item)/office/jxj/feedback-link", method: .post, headers: headers,
                                                  body: ByteBuffer(string: "_csrf=wrong"))
            #expect(forged.status == .forbidden)
        }
    }
}
