import BanliCore
import CCurl
import Foundation
import Synchronization

// A W3C WebDriver client for the browser tests: Debian's `chromedriver` (package chromium-driver) drives Debian's
// Chromium, headless. The API is synchronous: each call is one blocking HTTP request to chromedriver on loopback
// (libcurl, as Banli's own transport), so it composes with the synchronous `Cluster` and `BanliProcess` helpers and
// can be called as it is from an `async` test (the tests run one at a time).

/// What went wrong with the browser, in one sentence: WebDriver's `error` code and its message, or a test's expectation
/// (an element that never appeared, a condition never met) with where the page was.
public struct WebDriverError: Error, CustomStringConvertible, Sendable {
    /// The W3C error code (`no such element`, `invalid argument`, …), or nil for failures of the client itself.
    public let code: String?
    public let description: String

    public init(code: String? = nil, _ description: String) {
        self.code = code
        self.description = description
    }
}

/// A running `chromedriver`: one process (and every Chromium it starts) in a session of its own, on a loopback port it
/// chose itself, with its log in a temporary folder. It serves any number of `Browser`s.
///
/// Nothing outlives it: `quit()` (or deinit) kills the whole process group and waits until it is gone. A test process
/// that dies without quitting closes the lifeline that the group's keeper shell reads, and the keeper then kills
/// the group, so a crashed test leaves no chromedriver or Chromium behind either.
public final class ChromeDriver: @unchecked Sendable {
    // Unchecked: `state` is behind its Mutex; the rest is set once in init.
    /// The port chromedriver listens on (127.0.0.1).
    public let port: Int
    /// The temporary folder holding the log and the browsers' profiles; removed by `quit()`.
    public let directory: String
    /// chromedriver's own log (`--log-path`), for a failure's details.
    public let logPath: String
    /// The keeper shell's pid, which is also the process group (and session) of chromedriver and every Chromium.
    public let processGroup: pid_t
    let http: WebDriverHTTP
    private let state: Mutex<(lifeline: Int32, quit: Bool, profiles: Int)>

    /// The chromedriver binary: `$BANLI_CHROMEDRIVER`, else /usr/bin/chromedriver.
    public static var binary: String { environment("BANLI_CHROMEDRIVER") ?? "/usr/bin/chromedriver" }

    /// Starts chromedriver and waits until `/status` says it is ready. Throws (never skips) when the binary is missing.
    public static func start(binary: String = ChromeDriver.binary, timeout: Double = 20) throws -> ChromeDriver {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw WebDriverError("chromedriver is not installed at \(binary) ($BANLI_CHROMEDRIVER): run `make test` as root, "
                                 + "which installs it, or `apt-get install chromium-driver`.")
        }
        removeAbandonedFolders()
        return try ChromeDriver(binary: binary, timeout: timeout)
    }

    /// Removes the folders of drivers whose test process died: older than a minute, and named by no live process (a
    /// running driver's chromedriver names its folder in `--log-path`, its Chromium in `--user-data-dir`).
    public static func removeAbandonedFolders() {
        let fm = FileManager.default
        let temporary = fm.temporaryDirectory.path
        let names = ((try? fm.contentsOfDirectory(atPath: temporary)) ?? []).filter { $0.hasPrefix("banli-webdriver-") }
        guard !names.isEmpty else { return }
        let live = LiveProcess.all()
        for name in names {
            let path = "\(temporary)/\(name)"
            guard let modified = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified.timeIntervalSinceNow < -60,
                  !live.contains(where: { $0.commandLine.contains(path) }) else { continue }
            try? fm.removeItem(atPath: path)
        }
    }

    private init(binary: String, timeout: Double) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("banli-webdriver-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        logPath = directory + "/chromedriver.log"
        var fds: [Int32] = [0, 0]
        // A socket pair rather than a pipe: it is made close-on-exec atomically (pipe2 is hidden from Swift), so no other
        // child the tests start holds the lifeline open.
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw WebDriverError("Cannot make a socket pair for chromedriver: errno \(errno).")
        }
        // The keeper: starts chromedriver in the background, then waits for end of file on the lifeline (quit, or the
        // test process's death) and kills its whole process group, itself included.
        let keeper = #""$0" "$@" </dev/null & read -r _; kill -KILL 0"#
        let pid: pid_t
        do {
            pid = try Self.spawnInNewSession(
                ["/bin/sh", "-c", keeper, binary, "--port=0", "--log-path=\(logPath)"], stdin: fds[0], output: directory + "/chromedriver.out")
        } catch {
            close(fds[0]); close(fds[1])
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        close(fds[0])
        processGroup = pid
        state = Mutex((fds[1], false, 0))
        do {
            port = try Self.waitForPort(log: logPath, keeper: pid, timeout: timeout)
        } catch {
            close(fds[1])
            Self.stop(group: pid)
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        http = WebDriverHTTP(base: "http://127.0.0.1:\(port)")
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = try? http.request("GET", "/status"), status["ready"] == .bool(true) { break }
            guard Date() < deadline else {
                let log = logTail()
                quit()
                throw WebDriverError("chromedriver on port \(port) did not say it was ready within \(Int(timeout)) s; its log: \(log).")
            }
            usleep(50_000)
        }
    }

    deinit { quit() }

    /// Opens a new browser (one WebDriver session) on this driver.
    public func browser(_ options: Browser.Options = Browser.Options()) throws -> Browser {
        try Browser(driver: self, options: options, ownsDriver: false)
    }

    /// Kills chromedriver and every Chromium it started (without ending their sessions: `Browser.quit()` does that), waits
    /// until none is left, and removes the temporary folder. Safe to call twice.
    public func quit() {
        guard state.withLock({ s in
            defer { s.quit = true }
            return !s.quit
        }) else { return }
        stopProcesses()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// What a test process that dies does to its driver: the lifeline closes and nothing else happens. The keeper must
    /// then kill the group on its own (the test of that guarantee calls this).
    public func dropLifeline() {
        state.withLock { s in
            if s.lifeline >= 0 { close(s.lifeline) }
            s.lifeline = -1
        }
    }

    /// The processes of the group still alive (zombies do not count).
    public var livingProcesses: [LiveProcess] { LiveProcess.all().filter { $0.processGroup == processGroup } }

    /// A new folder for one browser's profile, inside `directory`.
    func newProfile() throws -> String {
        let n = state.withLock { s in
            s.profiles += 1
            return s.profiles
        }
        let path = "\(directory)/profile-\(n)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        return path
    }

    /// The last lines of chromedriver's log, for error messages.
    func logTail(_ lines: Int = 12) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log at \(logPath))"
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    private func stopProcesses() {
        dropLifeline()
        Self.stop(group: processGroup)
    }

    /// Kills the keeper's group, reaps the keeper, and returns once no process of the group is left (or after 10 s).
    private static func stop(group: pid_t) {
        // The keeper kills the group when it reads end of file; SIGKILL to the group as well in case it cannot.
        kill(-group, SIGKILL)
        var status: Int32 = 0
        while waitpid(group, &status, 0) == -1 && errno == EINTR {}
        // chromedriver and Chromium were children of the keeper: init reaps them.
        let deadline = Date().addingTimeInterval(10)
        while LiveProcess.all().contains(where: { $0.processGroup == group }) && Date() < deadline {
            kill(-group, SIGKILL)
            usleep(20_000)
        }
    }

    /// posix_spawn with a new session (so the group can be killed as one) and default signal handling.
    private static func spawnInNewSession(_ argv: [String], stdin: Int32, output: String) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // POSIX_SPAWN_SETSID (0x80, glibc 2.26) is hidden from Swift behind _GNU_SOURCE.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | 0x80)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let args = argv.map { strdup($0) } + [nil]
        defer { for a in args { free(a) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, args, environ)
        guard spawned == 0 else { throw WebDriverError("Cannot start \(argv[0]) for chromedriver: error \(spawned).") }
        return pid
    }

    /// Reads the port chromedriver chose (`--port=0`) from its log: no race with another process for a free port.
    private static func waitForPort(log: String, keeper: pid_t, timeout: Double) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        let marker = "started successfully on port "
        while Date() < deadline {
            if let text = try? String(contentsOfFile: log, encoding: .utf8), let range = text.range(of: marker),
               let port = Int(text[range.upperBound...].prefix { $0.isNumber }) {
                return port
            }
            var status: Int32 = 0
            if waitpid(keeper, &status, WNOHANG) == keeper {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? "none"
                throw WebDriverError("chromedriver exited at once (wait status \(status)); its log: \(text).")
            }
            usleep(20_000)
        }
        throw WebDriverError("chromedriver did not report its port within \(Int(timeout)) s; see \(log).")
    }

    static func environment(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}

/// A process seen in /proc.
public struct LiveProcess: Sendable, Equatable {
    public let pid: pid_t
    public let processGroup: pid_t
    /// The arguments, joined by spaces.
    public let commandLine: String

    /// Every live (not zombie) process on the machine.
    public static func all() -> [LiveProcess] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        return pids.compactMap { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
                return nil
            }
            // After the command's closing parenthesis: state, ppid, pgrp (proc(5)).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", fields[0] != "X", let group = pid_t(fields[2]) else { return nil }
            let arguments = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            let line = String(decoding: arguments.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            return LiveProcess(pid: pid, processGroup: group, commandLine: line)
        }
    }

    /// Live processes whose command line contains `text` (a profile folder, say).
    public static func matching(_ text: String) -> [LiveProcess] { all().filter { $0.commandLine.contains(text) } }
}

/// One WebDriver session: a headless Chromium with a fresh profile of its own.
public final class Browser: @unchecked Sendable {
    // Unchecked: `closed` is behind its Mutex; the rest is set once in init.
    /// What the browser looks like to a page.
    public struct Options: Sendable {
        /// The page's viewport, in CSS pixels (ignored for a phone, whose size is its device metrics).
        public var width = 1280
        public var height = 900
        /// Emulate a phone: 390×844 CSS pixels, touch, a phone's user agent, `pixelRatio` device pixels per CSS pixel.
        public var phone = false
        public var pixelRatio = 2.0
        /// The browser's language (`--lang` and Accept-Language).
        public var language = "zh-CN"
        /// Seconds a page may take to load, and a script to run.
        public var pageLoadTimeout = 30.0
        /// Seconds `find` and `waitUntil` wait when not told otherwise.
        public var timeout = 10.0

        public init() {}

        /// A phone of 390×844 CSS pixels (an iPhone 12 to 15) at `pixelRatio`.
        public static func phone(pixelRatio: Double = 2) -> Options {
            var options = Options()
            options.phone = true
            options.pixelRatio = pixelRatio
            return options
        }
    }

    /// The phone's size in CSS pixels.
    public static let phoneSize = (width: 390, height: 844)
    static let phoneUserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        + "Version/17.5 Mobile/15E148 Safari/604.1"

    public let driver: ChromeDriver
    public let options: Options
    /// The session's id at chromedriver.
    public let session: String
    /// Chromium's profile folder (`--user-data-dir`); every Chromium process of this browser names it.
    public let profileDirectory: String
    private let ownsDriver: Bool
    private let closed = Mutex(false)

    /// Starts a chromedriver of its own and one browser on it; `quit()` stops both.
    public static func start(_ options: Options = Options()) throws -> Browser {
        let driver = try ChromeDriver.start()
        do {
            return try Browser(driver: driver, options: options, ownsDriver: true)
        } catch {
            driver.quit()
            throw error
        }
    }

    /// The Chromium binary: `$BANLI_CHROMIUM`, else /usr/bin/chromium.
    public static var chromium: String { ChromeDriver.environment("BANLI_CHROMIUM") ?? "/usr/bin/chromium" }

    init(driver: ChromeDriver, options: Options, ownsDriver: Bool) throws {
        let chromium = Self.chromium
        guard FileManager.default.isExecutableFile(atPath: chromium) else {
            throw WebDriverError("Chromium is not installed at \(chromium) ($BANLI_CHROMIUM): run `make test` as root, which installs it, "
                                 + "or `apt-get install chromium fonts-wqy-zenhei`.")
        }
        self.driver = driver
        self.options = options
        self.ownsDriver = ownsDriver
        profileDirectory = try driver.newProfile()
        var arguments: [JSONValue] = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=\(options.language)",
            "--user-data-dir=\(profileDirectory)", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--password-store=basic",
        ].map { .string($0) }
        var chrome: [String: JSONValue] = [
            "binary": .string(chromium),
            "prefs": .object(["intl": .object(["accept_languages": .string(options.language)])]),
        ]
        if options.phone {
            chrome["mobileEmulation"] = .object([
                "deviceMetrics": .object([
                    "width": .int(Int64(Self.phoneSize.width)), "height": .int(Int64(Self.phoneSize.height)),
                    "pixelRatio": .double(options.pixelRatio), "touch": .bool(true), "mobile": .bool(true),
                ]),
                "userAgent": .string(Self.phoneUserAgent),
            ])
        } else {
            arguments.append(.string("--window-size=\(options.width),\(options.height)"))
        }
        chrome["args"] = .array(arguments)
        let milliseconds = JSONValue.int(Int64(options.pageLoadTimeout * 1000))
        let capabilities: JSONValue = .object(["capabilities": .object(["alwaysMatch": .object([
            "browserName": .string("chrome"),
            "goog:chromeOptions": .object(chrome),
            "timeouts": .object(["implicit": .int(0), "pageLoad": milliseconds, "script": milliseconds]),
        ])])])
        do {
            let created = try driver.http.request("POST", "/session", capabilities)
            guard let id = created["sessionId"]?.stringValue else {
                throw WebDriverError("chromedriver answered a new session without an id: \(created.canonicalJSON.prefix(300)).")
            }
            session = id
        } catch let error as WebDriverError {
            try? FileManager.default.removeItem(atPath: profileDirectory)
            throw WebDriverError(code: error.code, "Chromium did not start: \(error.description) chromedriver's log ends: \(driver.logTail(6))")
        }
        guard !options.phone else { return }
        // The window's size includes a frame, even headless: fix the page's viewport to the size asked for, so that layouts
        // and screenshots are what the options say (a phone's device metrics do the same).
        do {
            try command("POST", "/goog/cdp/execute", .object([
                "cmd": .string("Emulation.setDeviceMetricsOverride"),
                "params": .object([
                    "width": .int(Int64(options.width)), "height": .int(Int64(options.height)), "deviceScaleFactor": .int(1), "mobile": .bool(false),
                ]),
            ]))
        } catch {
            quit()
            throw error
        }
    }

    deinit { quit() }

    /// Ends the session (Chromium closes), removes the profile, and stops the driver if this browser started it.
    public func quit() {
        guard closed.withLock({ c in
            defer { c = true }
            return !c
        }) else { return }
        _ = try? driver.http.request("DELETE", "/session/\(session)")
        if ownsDriver { driver.quit() } else { try? FileManager.default.removeItem(atPath: profileDirectory) }
    }

    /// One command of this session: `path` is relative to /session/{id}.
    @discardableResult
    func command(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue {
        try driver.http.request(method, "/session/\(session)\(path)", body ?? (method == "POST" ? .object([:]) : nil))
    }

    // MARK: Navigation and the page

    /// Loads `url` and waits for it to load.
    public func open(_ url: String) throws { try command("POST", "/url", .object(["url": .string(url)])) }

    public var currentURL: String { get throws { try command("GET", "/url").stringValue ?? "" } }
    public var title: String { get throws { try command("GET", "/title").stringValue ?? "" } }
    /// The page's current DOM, serialized.
    public var pageSource: String { get throws { try command("GET", "/source").stringValue ?? "" } }
    /// The text a reader sees (`innerText` of the body).
    public var visibleText: String {
        get throws { try execute("return document.body ? document.body.innerText : document.documentElement.innerText;").stringValue ?? "" }
    }

    public func back() throws { try command("POST", "/back") }
    public func refresh() throws { try command("POST", "/refresh") }

    // MARK: Elements

    /// The first element matching `css`, waiting up to `timeout` (default `options.timeout`) for it to appear. Fails with
    /// the CSS, the page's URL and the beginning of its visible text.
    public func find(_ css: String, timeout: Double? = nil) throws -> WebElement {
        let wait = timeout ?? options.timeout
        let deadline = Date().addingTimeInterval(wait)
        while true {
            do {
                return try element(css, in: nil)
            } catch let error as WebDriverError where error.code == "no such element" {
                guard Date() < deadline else { throw try missing(css, waited: wait) }
            }
            usleep(50_000)
        }
    }

    /// Every element matching `css` now (no waiting), in document order.
    public func findAll(_ css: String) throws -> [WebElement] { try elements(css, in: nil) }

    /// Chooses the option of the `<select>` at `css` whose visible text is `optionText` (surrounding spaces ignored).
    public func select(_ css: String, optionText: String) throws {
        try choose(css, described: "text \"\(optionText)\"") { try $0.text.trimmingCharacters(in: .whitespacesAndNewlines) == optionText }
    }

    /// Chooses the option of the `<select>` at `css` whose `value` is `value`.
    public func select(_ css: String, value: String) throws {
        try choose(css, described: "value \"\(value)\"") { try $0.property("value") == .string(value) }
    }

    /// Puts the file at `filePath` into the file input at `css` (the file must exist; it is read when the form is sent).
    public func upload(_ css: String, filePath: String) throws {
        guard FileManager.default.fileExists(atPath: filePath) else {
            throw WebDriverError("Cannot upload \(filePath) into \(css): no such file.")
        }
        let input = try find(css)
        try command("POST", "/element/\(input.id)/value", .object(["text": .string(filePath)]))
    }

    /// Clicks the button at `css` and waits until the next page has replaced this one and finished loading: a form's
    /// submission, a link. Fails, with the page, when no new page comes within `timeout`.
    public func submit(_ css: String, timeout: Double? = nil) throws {
        let button = try find(css, timeout: timeout)
        let mark = "banli-\(UUID().uuidString)"
        try execute("window.__banliPage = arguments[0];", .string(mark))
        try button.click()
        try waitUntil(timeout: timeout, "a new page to load after clicking \(css)") {
            try execute("return document.readyState === 'complete' && window.__banliPage !== arguments[0];", .string(mark)) == .bool(true)
        }
    }

    // MARK: Scripts and waiting

    /// Runs `script` as a function body in the page (`arguments[i]` are `arguments`, a `WebElement` as its `json`) and
    /// returns what it returns.
    @discardableResult
    public func execute(_ script: String, _ arguments: JSONValue...) throws -> JSONValue {
        try command("POST", "/execute/sync", .object(["script": .string(script), "args": .array(arguments)]))
    }

    /// Polls `condition` every 50 ms until it holds, for up to `timeout` seconds (default `options.timeout`). Errors
    /// thrown meanwhile (an element replaced by a new page) count as "not yet"; on time-out the failure names `what`,
    /// the page and the last error.
    public func waitUntil(timeout: Double? = nil, _ what: String = "the condition", _ condition: () throws -> Bool) throws {
        let wait = timeout ?? options.timeout
        let deadline = Date().addingTimeInterval(wait)
        var lastError: (any Error)?
        while true {
            do {
                if try condition() { return }
                lastError = nil
            } catch {
                lastError = error
            }
            guard Date() < deadline else {
                let why = lastError.map { " (last error: \($0))" } ?? ""
                throw WebDriverError("Waited \(formatted(wait)) s for \(what) in vain\(why); \(try whereAmI()).")
            }
            usleep(50_000)
        }
    }

    // MARK: Cookies

    /// The cookies the browser holds for the current page, `HttpOnly` ones included.
    public func cookies() throws -> [BrowserCookie] {
        guard case .array(let all) = try command("GET", "/cookie") else { return [] }
        return all.compactMap(BrowserCookie.init(json:))
    }

    /// The current page's cookie named `name`, if any.
    public func cookie(_ name: String) throws -> BrowserCookie? { try cookies().first { $0.name == name } }

    public func deleteCookie(_ name: String) throws {
        try command("DELETE", "/cookie/\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name)")
    }

    /// Sets a cookie for the current page's site (open a page of that site first).
    public func addCookie(_ cookie: BrowserCookie) throws { try command("POST", "/cookie", .object(["cookie": cookie.json])) }

    // MARK: Alerts

    /// The text of the open `alert`/`confirm`/`prompt`.
    public var alertText: String { get throws { try command("GET", "/alert/text").stringValue ?? "" } }
    public func acceptAlert() throws { try command("POST", "/alert/accept") }
    public func dismissAlert() throws { try command("POST", "/alert/dismiss") }

    // MARK: Screenshots

    /// Saves a PNG of the viewport, or with `fullPage` of the whole page, to `path`; returns its bytes.
    @discardableResult
    public func screenshot(to path: String, fullPage: Bool = false) throws -> Data {
        let encoded: String?
        if fullPage {
            let metrics = try command("POST", "/goog/cdp/execute", .object(["cmd": .string("Page.getLayoutMetrics"), "params": .object([:])]))
            guard let size = metrics["cssContentSize"], let width = size["width"]?.number, let height = size["height"]?.number else {
                throw WebDriverError("Chromium gave no page size for a full-page screenshot: \(metrics.canonicalJSON.prefix(300)).")
            }
            let clip: JSONValue = .object(["x": .int(0), "y": .int(0), "width": .double(width), "height": .double(height), "scale": .int(1)])
            let shot = try command("POST", "/goog/cdp/execute", .object([
                "cmd": .string("Page.captureScreenshot"),
                "params": .object(["format": .string("png"), "captureBeyondViewport": .bool(true), "clip": clip]),
            ]))
            encoded = shot["data"]?.stringValue
        } else {
            encoded = try command("GET", "/screenshot").stringValue
        }
        guard let encoded, let png = Data(base64Encoded: encoded) else { throw WebDriverError("Chromium sent no screenshot.") }
        try png.write(to: URL(fileURLWithPath: path))
        return png
    }

    // MARK: Internals shared with WebElement

    func element(_ css: String, in parent: WebElement?) throws -> WebElement {
        let path = parent.map { "/element/\($0.id)/element" } ?? "/element"
        let found = try command("POST", path, .object(["using": .string("css selector"), "value": .string(css)]))
        guard let id = WebElement.id(in: found) else {
            throw WebDriverError("chromedriver answered \(css) with no element: \(found.canonicalJSON.prefix(300)).")
        }
        return WebElement(browser: self, id: id, css: css)
    }

    func elements(_ css: String, in parent: WebElement?) throws -> [WebElement] {
        let path = parent.map { "/element/\($0.id)/elements" } ?? "/elements"
        guard case .array(let found) = try command("POST", path, .object(["using": .string("css selector"), "value": .string(css)])) else { return [] }
        return found.compactMap { WebElement.id(in: $0).map { WebElement(browser: self, id: $0, css: css) } }
    }

    private func choose(_ css: String, described: String, _ matches: (WebElement) throws -> Bool) throws {
        let select = try find(css)
        let options = try select.findAll("option")
        guard let option = try options.first(where: matches) else {
            let offered = try options.map { "\"\(try $0.text.trimmingCharacters(in: .whitespacesAndNewlines))\"" }.joined(separator: ", ")
            throw WebDriverError("The select \(css) has no option with \(described); it offers \(offered.isEmpty ? "none" : offered).")
        }
        try option.click()
    }

    private func missing(_ css: String, waited: Double) throws -> WebDriverError {
        WebDriverError(code: "no such element", "No element matches \(css) after \(formatted(waited)) s; \(try whereAmI()).")
    }

    /// The page's URL and the first 2,000 characters of its visible text, for failures.
    private func whereAmI() throws -> String {
        let url = (try? currentURL) ?? "(unknown)"
        let text = ((try? visibleText) ?? "(unreadable)").prefix(2000)
        return "the page is \(url), whose visible text begins: \(text)"
    }

    private func formatted(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}

/// An element of the page, found by CSS. It goes stale when the page is replaced.
public struct WebElement: Sendable {
    /// W3C's key for an element reference in JSON.
    static let key = "element-6066-11e4-a52e-4f735466cecf"

    public let browser: Browser
    /// chromedriver's reference.
    public let id: String
    /// The CSS it was found by, for messages.
    public let css: String

    /// The element as a script argument (`Browser.execute`).
    public var json: JSONValue { .object([Self.key: .string(id)]) }

    static func id(in value: JSONValue) -> String? { value[key]?.stringValue }

    /// Clicks the element's centre, as a person would (it must be visible and not covered).
    public func click() throws { try browser.command("POST", "/element/\(id)/click") }

    /// Clears the field, then types `text` into it (any Unicode, CJK included).
    public func type(_ text: String) throws {
        try clear()
        try browser.command("POST", "/element/\(id)/value", .object(["text": .string(text)]))
    }

    public func clear() throws { try browser.command("POST", "/element/\(id)/clear") }

    /// The rendered text, as a reader sees it.
    public var text: String { get throws { try browser.command("GET", "/element/\(id)/text").stringValue ?? "" } }

    /// The HTML attribute `name` (nil when absent).
    public func attribute(_ name: String) throws -> String? {
        try browser.command("GET", "/element/\(id)/attribute/\(name)").stringValue
    }

    /// The DOM property `name` (`value`, `checked`, …).
    public func property(_ name: String) throws -> JSONValue { try browser.command("GET", "/element/\(id)/property/\(name)") }

    /// Whether a person would see it (not hidden by CSS, nor of zero size).
    public var isDisplayed: Bool { get throws { try browser.command("GET", "/element/\(id)/displayed") == .bool(true) } }

    public var isSelected: Bool { get throws { try browser.command("GET", "/element/\(id)/selected") == .bool(true) } }

    /// The first element matching `css` inside this one (no waiting).
    public func find(_ css: String) throws -> WebElement { try browser.element(css, in: self) }

    /// Every element matching `css` inside this one.
    public func findAll(_ css: String) throws -> [WebElement] { try browser.elements(css, in: self) }
}

/// A cookie as WebDriver shows it.
public struct BrowserCookie: Sendable, Equatable {
    public enum SameSite: String, Sendable { case strict = "Strict", lax = "Lax", none = "None" }

    public var name: String
    public var value: String
    public var path: String?
    public var domain: String?
    public var secure: Bool
    public var httpOnly: Bool
    public var sameSite: SameSite?
    /// Seconds since 1970; nil for a session cookie.
    public var expiry: Int64?

    public init(name: String, value: String, path: String? = "/", domain: String? = nil, secure: Bool = false, httpOnly: Bool = false,
                sameSite: SameSite? = nil, expiry: Int64? = nil) {
        self.name = name
        self.value = value
        self.path = path
        self.domain = domain
        self.secure = secure
        self.httpOnly = httpOnly
        self.sameSite = sameSite
        self.expiry = expiry
    }

    init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue, let value = json["value"]?.stringValue else { return nil }
        self.init(name: name, value: value, path: json["path"]?.stringValue, domain: json["domain"]?.stringValue,
                  secure: json["secure"]?.boolValue ?? false, httpOnly: json["httpOnly"]?.boolValue ?? false,
                  sameSite: json["sameSite"]?.stringValue.flatMap(SameSite.init(rawValue:)), expiry: json["expiry"]?.number.map { Int64($0) })
    }

    var json: JSONValue {
        var fields: [String: JSONValue] = ["name": .string(name), "value": .string(value), "secure": .bool(secure), "httpOnly": .bool(httpOnly)]
        if let path { fields["path"] = .string(path) }
        if let domain { fields["domain"] = .string(domain) }
        if let sameSite { fields["sameSite"] = .string(sameSite.rawValue) }
        if let expiry { fields["expiry"] = .int(expiry) }
        return .object(fields)
    }
}

extension JSONValue {
    /// A member of an object (nil for other values or a missing key).
    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// An integer or a double, as a double.
    var number: Double? {
        switch self {
        case .int(let n): Double(n)
        case .double(let d): d
        default: nil
        }
    }
}

/// chromedriver's HTTP: JSON requests to loopback through one libcurl handle, answers unwrapped from `{"value": …}`.
/// A new client rather than Banli's `CurlTransport`, which speaks to the hub (bearer token, the hub's error sentences)
/// and has no DELETE.
final class WebDriverHTTP: @unchecked Sendable {
    // Unchecked: the handle is used only under `lock`.
    let base: String
    private let lock = Mutex<Void>(())
    private let handle: UnsafeMutableRawPointer

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    init(base: String) {
        _ = Self.globalInit
        self.base = base
        handle = curl_easy_init()
    }

    deinit { curl_easy_cleanup(handle) }

    private final class Sink {
        var body: [UInt8] = []
    }

    /// Sends one command; returns its `value`, or throws WebDriver's error as one sentence.
    @discardableResult
    func request(_ method: String, _ path: String, _ body: JSONValue? = nil, timeout: Double = 120) throws -> JSONValue {
        let (status, bytes) = try lock.withLock { _ -> (Int, [UInt8]) in
            let h = handle
            curl_easy_reset(h)
            let sink = Sink()
            var headers: UnsafeMutablePointer<curl_slist>?
            headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8")
            headers = curl_slist_append(headers, "Expect:")
            defer { curl_slist_free_all(headers) }
            let payload = body.map { Array($0.canonicalJSON.utf8) }
            _ = banli_curl_setopt_string(h, CURLOPT_URL, base + path)
            _ = banli_curl_setopt_slist(h, CURLOPT_HTTPHEADER, headers)
            _ = banli_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
            _ = banli_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, 5000)
            _ = banli_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
            _ = banli_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, method)
            _ = banli_curl_setopt_write_function(h, CURLOPT_WRITEFUNCTION) { ptr, size, n, user in
                let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
                sink.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: size * n))
                return size * n
            }
            _ = banli_curl_setopt_pointer(h, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
            let code: CURLcode = (payload ?? []).withUnsafeBufferPointer { b in
                if let start = b.baseAddress {
                    _ = banli_curl_setopt_offset(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(b.count))
                    _ = banli_curl_setopt_pointer(h, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: start))
                }
                return curl_easy_perform(h)
            }
            withExtendedLifetime(sink) {}
            guard code == CURLE_OK else {
                throw WebDriverError("chromedriver at \(base) did not answer \(method) \(path): \(String(cString: curl_easy_strerror(code))).")
            }
            var status = 0
            _ = banli_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
            return (status, sink.body)
        }
        guard let answer = try? JSONValue.parse(utf8: bytes) else {
            let text = String(decoding: bytes.prefix(300), as: UTF8.self)
            throw WebDriverError("chromedriver answered \(method) \(path) with HTTP \(status) and no JSON: \(text).")
        }
        let value = answer["value"] ?? .null
        if let code = value["error"]?.stringValue {
            // The message's first line; chromedriver appends session details and a stack on the following ones.
            let message = (value["message"]?.stringValue ?? "").split(separator: "\n").first.map(String.init) ?? ""
            let detail = message.isEmpty || message == code ? "" : " (\(message))"
            throw WebDriverError(code: code, "WebDriver refused \(method) \(Self.shortened(path)): \(code)\(detail).")
        }
        return value
    }

    /// The path without the session's long id, for messages.
    static func shortened(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count > 2, parts[1] == "session" else { return path }
        return (["", "session", "…"] + parts.dropFirst(3)).joined(separator: "/")
    }
}
