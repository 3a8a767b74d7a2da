import BanliSync
import Foundation
import Testing

extension TestTool {
    static let aiosmtpd = TestTool(
        name: "aiosmtpd", variable: "BANLI_AIOSMTPD", install: "run `make test`, which installs it into .build/venv (or `pip install aiosmtpd`)")
}

/// Deadline reminders (督办提醒) end to end: the real `banli daemon` and hub, a real SMTP server (aiosmtpd) and a webhook
/// receiver, with "today" moved across a deadline by `BANLI_TODAY`. Each reminder arrives once, also after a restart.
@Suite(.serialized) struct ReminderTests {
    /// One received e-mail: its envelope recipient and its decoded plain-text body.
    struct Mail: Hashable {
        var to: String
        var body: String
    }

    /// The messages aiosmtpd's Mailbox handler wrote into the maildir.
    func mails(_ dir: String) -> [Mail] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/new")) ?? []
        return files.compactMap { name -> Mail? in
            guard let text = try? String(contentsOfFile: dir + "/new/" + name, encoding: .utf8),
                  let split = text.range(of: "\n\n") else { return nil }
            let head = text[..<split.lowerBound].split(separator: "\n")
            let to = head.first { $0.hasPrefix("X-RcptTo: ") }.map { String($0.dropFirst(10)) } ?? ""
            let base64 = text[split.upperBound...].filter { !$0.isWhitespace }
            return Mail(to: to, body: String(decoding: Data(base64Encoded: String(base64)) ?? Data(), as: UTF8.self))
        }.sorted { ($0.to, $0.body) < ($1.to, $1.body) }
    }

    /// The webhook bodies received, one JSON document a line.
    func posts(_ file: String) -> [String] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func launch(_ executable: String, _ args: [String], log: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: log)
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        return p
    }

    func count(_ text: String, in file: String) -> Int {
        (((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").components(separatedBy: text).count) - 1
    }

    @Test func remindersArriveOnceEachAcrossDaysAndRestarts() throws {
        let aiosmtpd = try TestTool.aiosmtpd.path()
        let python = URL(fileURLWithPath: aiosmtpd).deletingLastPathComponent().appendingPathComponent("python3").path
        let (smtpPort, hookPort) = (freePort(), freePort())
        let c = try Cluster(units: ["jxj"], names: ["jxj": "市教育局"], hubConfig: """
            log_level = "debug"
            [reminders]
            to = ["office@rd.example.org"]
            [reminders.smtp]
            url = "smtp://127.0.0.1:\(smtpPort)"
            from = "banli@rd.example.org"
            [reminders.webhook]
            url = "http://127.0.0.1:\(hookPort)/robot/send?key=secret"
            shape = "text"
            """)
        let maildir = c.dir + "/maildir", hookFile = c.dir + "/webhook.jsonl"
        let smtp = try launch(aiosmtpd, ["-n", "-l", "127.0.0.1:\(smtpPort)", "-c", "aiosmtpd.handlers.Mailbox", maildir], log: c.dir + "/smtp.log")
        defer { smtp.terminate() }
        let receiver = """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                    with open(sys.argv[2], 'ab') as f: f.write(body + b'\\n')
                    self.send_response(200); self.end_headers(); self.wfile.write(b'{"errcode":0}')
                def log_message(self, *a): pass
            http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """
        let hook = try launch(python, ["-c", receiver, String(hookPort), hookFile], log: c.dir + "/hook.log")
        defer { hook.terminate() }
        for port in [smtpPort, hookPort] {
            #expect(waitUntil(timeout: 20) { (try? RawConnection(port: port)) != nil } != nil, "a test server did not start on \(port)")
        }

        // rd-2025-7: jxj (lead) must reply by 2025-06-20; its handler gave an e-mail address.
        try c.cli.ok(["item", "new", "rd-2025-7", "--kind", "suggestion", "--number", "7", "--year", "2025", "--title", "关于增设公交站点的建议"]
                     + c.atHub)
        try c.cli.ok(["item", "assign", "rd-2025-7", "jxj", "--role", "lead", "--at", "2025-03-20", "--due", "2025-06-20"] + c.atHub)
        // Nothing is due on 06-12, at the hub either.
        c.environment["BANLI_TODAY"] = "2025-06-12"
        try c.startHub()
        try c.sync("jxj")
        try c.cli.ok(["item", "set", "rd-2025-7", "handler", "liu@jxj.example.org", "--store", "jxj.db"])
        try c.sync("jxj")
        c.stopHub()
        try """
            site = "jxj"
            log_level = "debug"
            [reminders]
            to = ["duban@jxj.example.org"]
            [reminders.smtp]
            url = "smtp://127.0.0.1:\(smtpPort)"
            from = "banli@jxj.example.org"
            """.write(toFile: c.dir + "/jxj.toml", atomically: true, encoding: .utf8)
        c.environment["BANLI_CONFIG"] = c.dir + "/jxj.toml"
        let daemonLog = c.dir + "/jxj.daemon.log"

        /// Runs the daemon (its log starts empty) until it has made one pass of reminders, then stops it.
        func daemonPass(_ today: String) throws {
            c.environment["BANLI_TODAY"] = today
            let d = try c.startDaemon("jxj", interval: 60)
            let passed = waitUntil(timeout: 30) { count("reminders checked", in: daemonLog) >= 1 }
            d.terminate()
            d.waitUntilExit()
            #expect(passed != nil, "no reminder pass on \(today): \(((try? String(contentsOfFile: daemonLog, encoding: .utf8)) ?? "").suffix(2000))")
        }

        // A week before: nothing yet on 06-12; on 06-13 the unit's address and the handler get one e-mail each.
        try daemonPass("2025-06-12")
        #expect(mails(maildir).isEmpty && posts(hookFile).isEmpty)
        try daemonPass("2025-06-13")
        try daemonPass("2025-06-13")
        var got = mails(maildir)
        #expect(got.map(\.to) == ["duban@jxj.example.org", "liu@jxj.example.org"], "\(got)")
        #expect(got.allSatisfy { $0.body.contains("1. rd-2025-7《关于增设公交站点的建议》 市教育局（jxj）：答复时限2025-06-20，还有7天到期") }, "\(got)")

        // The hub reminds the office by e-mail and the robot, on the same day.
        c.environment["BANLI_TODAY"] = "2025-06-13"
        try c.startHub()
        #expect(waitUntil(timeout: 30) { mails(maildir).count == 3 && posts(hookFile).count == 1 } != nil, "\(mails(maildir)) \(posts(hookFile))")
        let metrics = try CurlTransport(baseURL: "http://127.0.0.1:\(c.adminPort)", token: "").get("/metrics", extraTimeout: 0, cancel: nil)
        let exposed = String(decoding: metrics.body, as: UTF8.self)
        #expect(exposed.contains("banli_reminders_sent_total 2") && exposed.contains("banli_reminders_failed_total 0"), "\(exposed)")
        c.stopHub()

        // Overdue: one more e-mail each, also after a restart on the same day.
        try daemonPass("2025-06-21")
        try daemonPass("2025-06-21")
        c.environment["BANLI_TODAY"] = "2025-06-21"
        try c.startHub()
        #expect(waitUntil(timeout: 30) { mails(maildir).count == 6 && posts(hookFile).count == 2 } != nil, "\(mails(maildir)) \(posts(hookFile))")
        c.stopHub()
        got = mails(maildir)
        #expect(got.map(\.to) == ["duban@jxj.example.org", "duban@jxj.example.org", "liu@jxj.example.org", "liu@jxj.example.org",
                                  "office@rd.example.org", "office@rd.example.org"], "\(got)")
        #expect(got.filter { $0.body.contains("已超期1天") }.count == 3, "\(got)")
        let hooks = posts(hookFile)
        #expect(hooks.allSatisfy { $0.hasPrefix(#"{"msgtype":"text","text":{"content":"【督办提醒】2025-06-"#) }, "\(hooks)")
        #expect(hooks.last?.contains("已超期1天") == true, "\(hooks)")
        // STARTTLS required, and this server offers none: the send fails, is recorded, and nothing goes out in clear.
        let config = try String(contentsOfFile: c.dir + "/jxj.toml", encoding: .utf8)
        try config.replacingOccurrences(of: "[reminders.smtp]\n", with: "[reminders.smtp]\nstarttls = true\n")
            .write(toFile: c.dir + "/jxj.toml", atomically: true, encoding: .utf8)
        try daemonPass("2025-06-22")
        #expect(mails(maildir).count == 6)
        #expect(try c.store("jxj").reminderTotals() == (sent: 4, failed: 2))
        // The robot's key never reaches the log, even at debug level.
        #expect(c.hubLog().contains("reminders checked") && !c.hubLog().contains("secret"))

        // The hub's own mail fails the same way: the operator reads it on the status page, in Chinese, and in /metrics.
        let hubConfig = try String(contentsOfFile: c.dir + "/hub.toml", encoding: .utf8)
        try hubConfig.replacingOccurrences(of: "[reminders.smtp]\n", with: "[reminders.smtp]\nstarttls = true\n")
            .write(toFile: c.dir + "/hub.toml", atomically: true, encoding: .utf8)
        c.environment["BANLI_TODAY"] = "2025-06-22"
        try c.startHub()
        defer { c.stopHub() }
        let admin = CurlTransport(baseURL: "http://127.0.0.1:\(c.adminPort)", token: "")
        func text(_ path: String) -> String {
            ((try? admin.get(path, extraTimeout: 0, cancel: nil)).map { String(decoding: $0.body, as: UTF8.self) }) ?? ""
        }
        #expect(waitUntil(timeout: 30) { text("/metrics").contains("banli_reminders_failed_total 1") } != nil, "\(text("/metrics"))")
        #expect(waitUntil(timeout: 30) { posts(hookFile).count == 3 } != nil, "the robot still gets its post: \(posts(hookFile))")
        #expect(mails(maildir).count == 6, "nothing went out in clear")
        let page = text("/status")
        #expect(page.contains("最近一天发送失败 1 封") && page.contains("不支持 STARTTLS 加密"), "\(page.suffix(3000))")
        #expect(!page.contains("A reminder e-mail was not sent"), "no English sentence on the Chinese page")
        let json = text("/v1/status")
        #expect(json.contains("\"failing\":1") && json.contains("A reminder e-mail was not sent: smtp://127.0.0.1:\(smtpPort)"), "\(json)")
    }
}
