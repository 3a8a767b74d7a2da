import BanliAccounts
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliStore
@testable import BanliWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The 台账 pages in process over a temporary SQLite hub store: a refused upload names its line and column and writes
/// nothing; a clean one is previewed, confirmed and written; the export downloads in both encodings; forms need the
/// CSRF token; viewers export but do not import.
final class LedgerPagesTests: Sendable {
    let dir: String
    let store: Store
    let app: WebApp
    static let boundary = "----WebKitFormBoundaryLedgerPagesTests"
    static let header = "编号,类别,年度,标题,建议人,主办单位,会办单位"
    static let good = header + "\r\nrd-2025-39,建议,2025,关于加快老旧小区改造的建议,张三,市经信局,\r\nrd-2025-40,建议,2025,\"=HYPERLINK(\"\"x\"\")\",李四,jxj,mzj\r\n"

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("banli-ledger-pages-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try Store.create(at: dir + "/hub.db", site: "hub", name: "督查室", hubSite: "hub", isHub: true)
        _ = try store.addUnit(site: "jxj", name: "市经信局")
        _ = try store.addUnit(site: "mzj", name: "市民政局")
        let workspace = Workspace(offices: [WebOffice(key: "hub", name: "督查室", store: store)], deadlines: Deadlines(),
                                  today: { ISODate("2025-05-20")! })
        let accounts = Accounts(store: try AccountDatabase.open(at: dir + "/web.db"))
        let now = HybridLogicalClock.wallMilliseconds()
        try accounts.addUser("wang", role: .office, password: "办理-2025-password", now: now)
        try accounts.addUser("zhao", role: .viewer, password: "办理-2025-password", now: now)
        app = WebApp(workspace: workspace, accounts: accounts,
                     settings: WebSettings(listen: try .init(parsing: "127.0.0.1:8490", option: "listen")), logger: Logger(label: "test"))
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// A signed-in person's cookie header and CSRF token.
    func signIn(_ name: String) throws -> (cookie: String, csrf: String) {
        guard case .signedIn(let token, let session) = try app.accounts.logIn(
            name: name, password: "办理-2025-password", address: "127.0.0.1", now: HybridLogicalClock.wallMilliseconds()) else {
            throw BanliError(.unauthorized, "\(name) could not sign in")
        }
        return ("\(SessionMiddleware.cookieName)=\(token)", session.csrfToken)
    }

    /// An upload as Chromium sends it: the CSRF field (unless nil), the file and the encoding.
    static func upload(_ file: [UInt8], csrf: String?, encoding: String = "utf-8") -> ByteBuffer {
        var body = ""
        func part(_ disposition: String, _ type: String?, _ content: String) -> String {
            "--\(boundary)\r\nContent-Disposition: form-data; \(disposition)\r\n" + (type.map { "Content-Type: \($0)\r\n" } ?? "") + "\r\n\(content)\r\n"
        }
        if let csrf { body += part(#"name="_csrf""#, nil, csrf) }
        var bytes = Array(body.utf8)
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"交办清单.csv\"\r\nContent-Type: text/csv\r\n\r\n".utf8)
        bytes += file + Array("\r\n".utf8)
        bytes += Array((part(#"name="encoding""#, nil, encoding) + "--\(boundary)--\r\n").utf8)
        return ByteBuffer(bytes: bytes)
    }

    func headers(_ cookie: String, multipart: Bool) -> HTTPFields {
        [.cookie: cookie, .contentType: multipart ? "multipart/form-data; boundary=\(Self.boundary)" : "application/x-www-form-urlencoded"]
    }

    func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: app.router()).test(.router, body)
    }

    @Test func aBadCellIsShownOnItsLineAndColumnAndNothingIsWritten() async throws {
        let (cookie, csrf) = try signIn("wang")
        let before = try store.allFields()
        let bad = Self.header + "\r\nrd-2025-39,建议,2025,关于加快老旧小区改造的建议,张三,市经信局,\r\nrd-2025-40,意见,2025,关于中小企业融资的建议,李四,jxj,\r\n"
        try await test { client in
            let r = try await client.execute(uri: "/ledger/preview", method: .post, headers: self.headers(cookie, multipart: true),
                                             body: Self.upload(Array(bad.utf8), csrf: csrf))
            let html = String(buffer: r.body)
            #expect(r.status == .unprocessableContent)
            let row = try #require(html.range(of: #"<tr class="refused" data-line="3">"#), "line 3 is marked: \(html)")
            let rowText = String(html[row.lowerBound...].prefix { $0 != "\n" })
            #expect(rowText.contains("line 3, column B (类别)"), "the sentence names the line and the column: \(rowText)")
            #expect(rowText.contains(#"<td class="bad">意见</td>"#), "the offending cell is highlighted: \(rowText)")
            #expect(!html.contains(#"<tr class="refused" data-line="2">"#), "the good line is not marked")
            #expect(!html.contains("ledger-confirm"), "a refused file offers no confirmation")
        }
        #expect(try store.allFields() == before, "the preview wrote nothing")
    }

    @Test func aCleanFileIsPreviewedThenConfirmedAndWritten() async throws {
        let (cookie, csrf) = try signIn("wang")
        let before = try store.allFields()
        try await test { client in
            let r = try await client.execute(uri: "/ledger/preview", method: .post, headers: self.headers(cookie, multipart: true),
                                             body: Self.upload(Array(Self.good.utf8), csrf: csrf))
            let html = String(buffer: r.body)
            #expect(r.status == .ok, "\(html)")
            #expect(html.contains("id=\"ledger-plan\"") && html.contains(#"<td class="num">2</td>"#), "two items planned: \(html)")
            #expect(try self.store.allFields() == before, "a preview writes nothing")
            let payload = try #require(html.firstMatch(of: /name="text" value="([^"]*)"/)?.1)
            let form = "_csrf=\(Self.encoded(csrf))&filename=x.csv&text=\(Self.encoded(String(payload)))"
            let done = try await client.execute(uri: "/ledger/confirm", method: .post, headers: self.headers(cookie, multipart: false),
                                                body: ByteBuffer(string: form))
            #expect(done.status == .ok)
            #expect(String(buffer: done.body).contains("已导入 2 项事项、3 个承办单位"), "\(String(buffer: done.body))")
        }
        #expect(try store.item("rd-2025-39")?.title == "关于加快老旧小区改造的建议")
        #expect(try store.item("rd-2025-40")?.assignments["mzj"]?.role == .cooperating)
    }

    @Test func theExportDownloadsInBothEncodingsWithTheSameRows() async throws {
        let (cookie, _) = try signIn("zhao")
        let plan = try LedgerImportPlanFixture.write(Self.good, into: store)
        #expect(plan > 0)
        try await test { client in
            var tables: [[[String]]] = []
            for (encoding, charset) in [(TextEncoding.utf8, "utf-8"), (.gb18030, "gb18030")] {
                let r = try await client.execute(uri: "/ledger/export?encoding=\(charset)", method: .get, headers: [.cookie: cookie])
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/csv; charset=\(charset)")
                let disposition = r.headers[.contentDisposition] ?? ""
                #expect(disposition.hasPrefix("attachment;") && disposition.contains("filename*=UTF-8''%E5%8F%B0%E8%B4%A6-2025-05-20.csv"), "\(disposition)")
                let bytes = Array(r.body.readableBytesView)
                #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]) == (encoding == .utf8), "a BOM in UTF-8 only")
                let text = try TextEncoding.decode(bytes, as: encoding)
                #expect(text.contains("\r\nrd-2025-40,") && text.contains("'=HYPERLINK"), "the formula-like title is neutralised: \(text)")
                tables.append(try CSV.parse(text))
            }
            #expect(tables[0] == tables[1], "both encodings hold the same rows")
            #expect(tables[0].count == 4 && tables[0].contains { $0.contains("=HYPERLINK(\"x\")") }, "\(tables[0])")
        }
    }

    @Test func aFormWithoutItsCSRFTokenIsRefused() async throws {
        let (cookie, _) = try signIn("wang")
        let before = try store.allFields()
        try await test { client in
            let upload = try await client.execute(uri: "/ledger/preview", method: .post, headers: self.headers(cookie, multipart: true),
                                                  body: Self.upload(Array(Self.good.utf8), csrf: nil))
            #expect(upload.status == .forbidden)
            let forged = try await client.execute(uri: "/ledger/preview", method: .post, headers: self.headers(cookie, multipart: true),
                                                  body: Self.upload(Array(Self.good.utf8), csrf: "not-the-token"))
            #expect(forged.status == .forbidden)
            let text = Data(Self.good.utf8).base64EncodedString()
            let confirm = try await client.execute(uri: "/ledger/confirm", method: .post, headers: self.headers(cookie, multipart: false),
                                                   body: ByteBuffer(string: "text=\(Self.encoded(text))"))
            #expect(confirm.status == .forbidden)
        }
        #expect(try store.allFields() == before)
    }

    @Test func aViewerExportsButDoesNotImport() async throws {
        let (cookie, csrf) = try signIn("zhao")
        let before = try store.allFields()
        try await test { client in
            let page = try await client.execute(uri: "/ledger", method: .get, headers: [.cookie: cookie])
            let html = String(buffer: page.body)
            #expect(page.status == .ok && html.contains("export-gb18030") && !html.contains("ledger-upload"), "\(html)")
            let upload = try await client.execute(uri: "/ledger/preview", method: .post, headers: self.headers(cookie, multipart: true),
                                                  body: Self.upload(Array(Self.good.utf8), csrf: csrf))
            #expect(upload.status == .forbidden)
        }
        #expect(try store.allFields() == before)
    }

    @Test func aGB18030UploadChosenAsUTF8IsToldToChooseGB18030() async throws {
        let (cookie, csrf) = try signIn("wang")
        let file = try TextEncoding.encode(Self.good, as: .gb18030)
        try await test { client in
            let wrong = try await client.execute(uri: "/ledger/preview", method: .post, headers: self.headers(cookie, multipart: true),
                                                 body: Self.upload(file, csrf: csrf))
            #expect(wrong.status == .unprocessableContent && String(buffer: wrong.body).contains("请在“编码”里选 GB18030"))
            let right = try await client.execute(uri: "/ledger/preview", method: .post, headers: self.headers(cookie, multipart: true),
                                                 body: Self.upload(file, csrf: csrf, encoding: "gb18030"))
            #expect(right.status == .ok && String(buffer: right.body).contains("关于加快老旧小区改造的建议"))
        }
    }

    @Test func atABureauOnlyTheUnitsOwnColumnsAreImported() async throws {
        // The office's item reaches the bureau's store as a sync would bring it.
        try store.write([
            LocalWrite(.item(id: "rd-2025-39"), "kind", .string("suggestion")), LocalWrite(.item(id: "rd-2025-39"), "year", .int(2025)),
            LocalWrite(.item(id: "rd-2025-39"), "number", .int(39)), LocalWrite(.item(id: "rd-2025-39"), "title", .string("关于加快老旧小区改造的建议")),
            LocalWrite(.assignment(item: "rd-2025-39", site: "jxj"), "role", .string("lead")),
            LocalWrite(.assignment(item: "rd-2025-39", site: "jxj"), "active", .bool(true)),
        ])
        let bureau = try Store.create(at: dir + "/jxj.db", site: "jxj", name: "市经信局", hubSite: "hub", isHub: false)
        _ = try bureau.apply(try store.fields(ofItem: "rd-2025-39"), via: "hub")
        let accounts = Accounts(store: try AccountDatabase.open(at: dir + "/jxj-web.db"))
        try accounts.addUser("li", role: .clerk, password: "办理-2025-password", now: HybridLogicalClock.wallMilliseconds())
        guard case .signedIn(let token, let session) = try accounts.logIn(
            name: "li", password: "办理-2025-password", address: "127.0.0.1", now: HybridLogicalClock.wallMilliseconds()) else {
            throw BanliError(.unauthorized, "li could not sign in")
        }
        let workspace = Workspace(offices: [WebOffice(key: "hub", name: "督查室", store: bureau)], deadlines: Deadlines(), today: { ISODate("2025-05-20")! })
        let web = WebApp(workspace: workspace, accounts: accounts, settings: app.settings, logger: Logger(label: "test"))
        let cookie = "\(SessionMiddleware.cookieName)=\(token)"
        let header = "编号,类别,年度,标题,承办单位,承办方式,承办股室\r\n"
        let changed = header + "rd-2025-39,建议,2025,改过的标题,jxj,主办,产业科\r\n"
        let before = try bureau.allFields()
        try await Application(router: web.router()).test(.router) { client in
            let refused = try await client.execute(uri: "/ledger/preview", method: .post, headers: self.headers(cookie, multipart: true),
                                                   body: Self.upload(Array(changed.utf8), csrf: session.csrfToken))
            let html = String(buffer: refused.body)
            #expect(refused.status == .unprocessableContent)
            #expect(html.contains("line 2, column D (标题)") && html.contains(#"<td class="bad">改过的标题</td>"#), "the office's column is refused: \(html)")
            #expect(try bureau.allFields() == before)

            let own = changed.replacingOccurrences(of: "改过的标题", with: "关于加快老旧小区改造的建议")
            let clean = try await client.execute(uri: "/ledger/preview", method: .post, headers: self.headers(cookie, multipart: true),
                                                 body: Self.upload(Array(own.utf8), csrf: session.csrfToken))
            let payload = try #require(String(buffer: clean.body).firstMatch(of: /name="text" value="([^"]*)"/)?.1)
            let form = "_csrf=\(Self.encoded(session.csrfToken))&text=\(Self.encoded(String(payload)))"
            let done = try await client.execute(uri: "/ledger/confirm", method: .post, headers: self.headers(cookie, multipart: false),
                                                body: ByteBuffer(string: form))
            #expect(String(buffer: done.body).contains("写入 1 个字段"), "only 承办股室 is written: \(String(buffer: done.body))")
        }
        #expect(try bureau.item("rd-2025-39")?.assignments["jxj"]?.values["section"] == .string("产业科"))
        #expect(try bureau.item("rd-2025-39")?.title == "关于加快老旧小区改造的建议")
    }

    static func encoded(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

/// Writes a ledger through the same plan the pages and the CLI use, for tests that need items in the store.
enum LedgerImportPlanFixture {
    static func write(_ text: String, into store: Store) throws -> Int {
        let plan = try LedgerImportPlan.make(text: text, offices: [LedgerOffice(key: "hub", name: "督查室", store: store)], deadlines: Deadlines(),
                                             needsOneOffice: BanliError(.usage, "one office"))
        try plan.write()
        return plan.shares.reduce(0) { $0 + $1.plan.writes.count }
    }
}
