import BanliCore
import Foundation
import Synchronization
import Testing
import TestSupport

/// The WebDriver client the browser tests stand on, proved against a small page served on loopback: what a person does
/// in a form reaches the server intact, links and cookies behave, waiting works, failures say where the page was, a
/// phone's screenshot has a phone's width, and nothing of chromedriver or Chromium outlives `quit()`.
@Suite(.serialized) struct WebDriverTests {
    static let reply = "关于加强老旧小区改造的答复（第39号）：已列入2026年计划"

    @Test func aFormReachesTheServerIntact() throws {
        let server = PageServer(respond: Self.pages)
        defer { server.stop() }
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ledger = dir + "/台账.csv"
        try "编号,标题\nrd-2025-39,老旧小区改造\n".write(toFile: ledger, atomically: true, encoding: .utf8)
        let browser = try Browser.start()
        defer { browser.quit() }

        try browser.open(server.url("/"))
        #expect(try browser.title == "办理答复")
        let title = try browser.find("#title")
        #expect(try title.property("value") == .string("旧的标题"))
        try title.type(Self.reply)
        #expect(try title.property("value") == .string(Self.reply), "typing clears the field first and keeps every character")
        try browser.select("#category", optionText: "B 正在解决")
        try browser.select("#method", value: "phone")
        let wrong = #expect(throws: WebDriverError.self) { try browser.select("#category", optionText: "E") }
        #expect(wrong?.description.contains(#"offers "A 已解决或基本解决", "B 正在解决""#) == true, "\(String(describing: wrong))")
        try browser.upload("#ledger", filePath: ledger)
        try browser.submit("#send")

        #expect(try browser.currentURL == server.url("/submit"))
        #expect(try browser.find("#received").text == "已收到")
        let posts = server.requests.filter { $0.method == "POST" && $0.path == "/submit" }
        try #require(posts.count == 1, "one submission reached the server: \(server.requests.map(\.path))")
        let body = posts[0].bodyText
        #expect(body.contains("name=\"title\"\r\n\r\n\(Self.reply)\r\n"), "\(body)")
        #expect(body.contains("name=\"category\"\r\n\r\nB\r\n"))
        #expect(body.contains("name=\"method\"\r\n\r\nphone\r\n"))
        #expect(body.contains("filename=\"台账.csv\""))
        #expect(body.contains("编号,标题\nrd-2025-39,老旧小区改造\n"), "the file's bytes arrive as they are")
        #expect(server.requests.first?.header("Accept-Language")?.hasPrefix("zh-CN") == true, "the browser asks for Chinese first")
    }

    @Test func linksCookiesAlertsAndWaiting() throws {
        let server = PageServer(respond: Self.pages)
        defer { server.stop() }
        let browser = try Browser.start()
        defer { browser.quit() }
        try browser.open(server.url("/"))

        // Cookies set by the server (HttpOnly) and by the page's script, read back; one deleted, one added.
        let session = try #require(try browser.cookie("session"))
        #expect(session.value == "s3cr3t" && session.httpOnly && session.sameSite == .strict && session.path == "/")
        #expect(try browser.cookie("script")?.value == "from-script")
        #expect(try browser.cookie("script")?.httpOnly == false)
        try browser.deleteCookie("session")
        try browser.addCookie(BrowserCookie(name: "added", value: "by-test"))
        #expect(try browser.cookie("session") == nil)
        #expect(try browser.cookies().map(\.name).sorted() == ["added", "script"])

        // What a reader sees.
        #expect(try browser.find("#hidden").isDisplayed == false)
        let link = try browser.find("#next")
        #expect(try link.isDisplayed)
        #expect(try link.attribute("data-unit") == "jxj")
        #expect(try link.attribute("data-nothing") == nil)
        #expect(try browser.execute("return arguments[0].textContent + arguments[1];", link.json, .int(1)) == .string("下一页1"))

        // An element that appears 300 ms after the click: `find` waits for it.
        let clicked = Date()
        try browser.find("#later").click()
        let late = try browser.find("#late")
        #expect(Date().timeIntervalSince(clicked) >= 0.3)
        #expect(try late.text == "三百毫秒后出现")
        try browser.waitUntil(timeout: 5, "the title to change") { try browser.title == "已更新" }
        let never = #expect(throws: WebDriverError.self) {
            try browser.waitUntil(timeout: 0.3, "the moon to rise") { try browser.title == "月亮" }
        }
        #expect(never?.description.contains("the moon to rise") == true && never?.description.contains(server.url("/")) == true)

        // An alert, read and accepted; the page answers commands again afterwards.
        try browser.find("#close").click()
        #expect(try browser.alertText == "确认办结？")
        try browser.acceptAlert()
        #expect(try browser.execute("return window.closedAnswer;") == .bool(true))

        // A link, clicked: the next request carries the cookies as they now are.
        try link.click()
        #expect(try browser.find("#here").text == "这里是下一页")
        #expect(try browser.currentURL == server.url("/next"))
        #expect(try browser.title == "下一页")
        let cookieHeader = server.requests.last { $0.path == "/next" }?.header("Cookie") ?? ""
        #expect(cookieHeader.contains("added=by-test") && cookieHeader.contains("script=from-script"), "\(cookieHeader)")
        #expect(!cookieHeader.contains("session="), "\(cookieHeader)")
    }

    @Test func failuresSayWhatAndWhere() throws {
        let server = PageServer(respond: Self.pages)
        defer { server.stop() }
        let browser = try Browser.start()
        defer { browser.quit() }
        try browser.open(server.url("/long"))

        let started = Date()
        let missing = #expect(throws: WebDriverError.self) { try browser.find("#nowhere .reply", timeout: 1) }
        #expect(Date().timeIntervalSince(started) >= 1, "it waited")
        let message = missing?.description ?? ""
        #expect(missing?.code == "no such element")
        #expect(message.contains("#nowhere .reply"), "\(message)")
        #expect(message.contains(server.url("/long")), "\(message)")
        #expect(message.contains("开头的段落"), "the page's visible text: \(message)")
        #expect(!message.contains("结尾的段落"), "only the first 2,000 characters of it")
        #expect(!message.contains("<p"), "text, not markup")

        // chromedriver's own refusals arrive as WebDriver's code and message.
        let refused = #expect(throws: WebDriverError.self) { try browser.open("not a url") }
        #expect(refused?.code == "invalid argument")
        #expect(refused?.description.contains("invalid argument") == true, "\(String(describing: refused))")

        // A missing driver fails with the package to install.
        let absent = #expect(throws: WebDriverError.self) { _ = try ChromeDriver.start(binary: "/nonexistent/chromedriver") }
        #expect(absent?.description.contains("apt-get install chromium-driver") == true, "\(String(describing: absent))")
    }

    @Test func aPhoneScreenshotHasAPhonesWidth() throws {
        let server = PageServer(respond: Self.pages)
        defer { server.stop() }
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let browser = try Browser.start(.phone(pixelRatio: 2))
        defer { browser.quit() }
        try browser.open(server.url("/"))
        #expect(try browser.execute("return window.innerWidth;") == .int(390))
        #expect(try browser.execute("return navigator.maxTouchPoints > 0 && /iPhone/.test(navigator.userAgent);") == .bool(true))

        let png = try browser.screenshot(to: dir + "/phone.png")
        let size = try pngSize(png)
        #expect(size.width == 780 && size.height == 1688, "390×844 CSS pixels at 2 device pixels each: \(size)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/phone.png")) == png)

        try browser.open(server.url("/long"))
        let whole = try pngSize(try browser.screenshot(to: dir + "/long.png", fullPage: true))
        #expect(whole.width == 780 && whole.height > 1688, "the whole page, taller than the screen: \(whole)")
    }

    @Test func nothingOutlivesQuit() throws {
        let server = PageServer(respond: Self.pages)
        defer { server.stop() }
        let driver = try ChromeDriver.start()
        let browser = try driver.browser()
        try browser.open(server.url("/"))
        let profile = browser.profileDirectory
        #expect(LiveProcess.matching(profile).count >= 2, "Chromium runs with the browser's own profile")
        #expect(driver.livingProcesses.contains { $0.commandLine.contains("chromedriver") })
        browser.quit()
        driver.quit()
        #expect(LiveProcess.matching(profile).isEmpty, "\(LiveProcess.matching(profile))")
        #expect(driver.livingProcesses.isEmpty, "\(driver.livingProcesses)")
        #expect(!FileManager.default.fileExists(atPath: driver.directory), "the profile and the log are removed")

        // A test process that dies says nothing: its end of the lifeline closes, and the keeper kills the group.
        let orphaned = try ChromeDriver.start()
        defer { orphaned.quit() }
        let abandoned = try orphaned.browser()
        try abandoned.open(server.url("/"))
        let itsProfile = abandoned.profileDirectory
        #expect(!LiveProcess.matching(itsProfile).isEmpty)
        orphaned.dropLifeline()
        let deadline = Date().addingTimeInterval(5)
        while (!orphaned.livingProcesses.isEmpty || !LiveProcess.matching(itsProfile).isEmpty) && Date() < deadline { usleep(50_000) }
        #expect(orphaned.livingProcesses.isEmpty, "\(orphaned.livingProcesses)")
        #expect(LiveProcess.matching(itsProfile).isEmpty, "\(LiveProcess.matching(itsProfile))")

        // Its folder stays behind; the next driver removes it once it is a minute old.
        #expect(FileManager.default.fileExists(atPath: orphaned.directory))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-120)], ofItemAtPath: orphaned.directory)
        ChromeDriver.removeAbandonedFolders()
        #expect(!FileManager.default.fileExists(atPath: orphaned.directory), "an abandoned driver's profile and log are removed")
    }

    // MARK: The pages

    static func pages(_ request: PageServer.Request) -> PageServer.Response {
        switch (request.method, request.path) {
        case ("GET", "/"):
            return .init(html: formPage, headers: ["Set-Cookie": "session=s3cr3t; Path=/; HttpOnly; SameSite=Strict"])
        case ("POST", "/submit"):
            return .init(html: #"<!doctype html><meta charset="utf-8"><title>已收到</title><h1 id="received">已收到</h1>"#)
        case ("GET", "/next"):
            return .init(html: #"<!doctype html><meta charset="utf-8"><title>下一页</title><h1 id="here">这里是下一页</h1>"#)
        case ("GET", "/long"):
            let middle = String(repeating: "办理工作台的说明文字。", count: 300)
            let head = #"<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>长页</title>"#
            return .init(html: head + "<p>开头的段落</p><p>\(middle)</p><p>结尾的段落</p>")
        default:
            return .init(status: 404, html: "<!doctype html><title>404</title>")
        }
    }

    static let formPage = #"""
        <!doctype html>
        <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <title>办理答复</title></head><body>
        <form method="post" action="/submit" enctype="multipart/form-data">
          <label>答复标题 <input id="title" name="title" value="旧的标题"></label>
          <select id="category" name="category">
            <option value="A">A 已解决或基本解决</option><option value="B">B 正在解决</option>
          </select>
          <select id="method" name="method"><option value="visit">上门走访</option><option value="phone">电话联系</option></select>
          <input type="file" id="ledger" name="ledger">
          <button type="submit" id="send">提交</button>
        </form>
        <p><a id="next" href="/next" data-unit="jxj">下一页</a></p>
        <p id="hidden" style="display:none">看不见</p>
        <button type="button" id="later">稍后</button> <button type="button" id="close">办结</button>
        <div id="slot"></div>
        <script>
          document.cookie = "script=from-script; path=/";
          document.getElementById("later").onclick = function () {
            setTimeout(function () {
              var p = document.createElement("p");
              p.id = "late";
              p.textContent = "三百毫秒后出现";
              document.getElementById("slot").appendChild(p);
              document.title = "已更新";
            }, 300);
          };
          document.getElementById("close").onclick = function () { alert("确认办结？"); window.closedAnswer = true; };
        </script>
        </body></html>
        """#

    // MARK: Helpers

    func temporaryFolder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("banli-wd-test-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        return dir
    }

    /// The width and height a PNG's header gives, after checking its signature.
    func pngSize(_ png: Data) throws -> (width: Int, height: Int) {
        let bytes = [UInt8](png)
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        try #require(bytes.count > 24 && Array(bytes[0..<8]) == signature && String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR",
                     "not a PNG: \(bytes.prefix(16))")
        let word = { (at: Int) in bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (word(16), word(20))
    }
}

/// A tiny HTTP/1.1 server on loopback for the client's tests: one thread per connection, `Connection: close`, every
/// request kept for the test to read.
final class PageServer: @unchecked Sendable {
    // Unchecked: `received` and `stopped` are synchronized; the rest is set once in init.
    struct Request: Sendable {
        let method: String
        let path: String
        let headers: [(name: String, value: String)]
        let body: [UInt8]

        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
        var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    struct Response: Sendable {
        var status = 200
        var html: String
        var headers: [String: String] = [:]
    }

    let port: Int
    private let listener: Int32
    private let respond: @Sendable (Request) -> Response
    private let received = Mutex<[Request]>([])
    private let stopped = Atomic<Bool>(false)

    init(respond: @escaping @Sendable (Request) -> Response) {
        self.respond = respond
        let bound = loopbackListener()
        listener = bound.socket
        port = bound.port
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Every request so far, in arrival order.
    var requests: [Request] { received.withLock { $0 } }

    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { if stopped.load(ordering: .relaxed) { return }; continue }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        // A browser opens spare connections it may never use: give up on a silent one.
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        var expected = Int.max
        while data.count < expected {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return }
            data.append(contentsOf: buffer[0..<n])
            if headEnd == nil, let end = data.indices.dropLast(3).first(where: { Array(data[$0..<($0 + 4)]) == separator }) {
                headEnd = end + 4
                let head = String(decoding: data[0..<end], as: UTF8.self)
                let length = head.split(separator: "\r\n").dropFirst().first { $0.lowercased().hasPrefix("content-length:") }
                expected = end + 4 + (length.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0)
            }
        }
        guard let headEnd else { return }
        let lines = String(decoding: data[0..<(headEnd - 4)], as: UTF8.self).components(separatedBy: "\r\n")
        let start = lines[0].split(separator: " ")
        guard start.count == 3 else { return }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let request = Request(method: String(start[0]), path: String(start[1]), headers: headers, body: Array(data[headEnd...]))
        if request.path != "/favicon.ico" { received.withLock { $0.append(request) } }
        let response = respond(request)
        let body = Array(response.html.utf8)
        var head = "HTTP/1.1 \(response.status) \(response.status == 200 ? "OK" : "Not Found")\r\n"
            + "Content-Type: text/html; charset=utf-8\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + body
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
