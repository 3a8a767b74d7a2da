import BanliCore
import BanliProtocol
import BanliSync
import Foundation
import Testing

/// What an operator meets running a hub and bureaus: each message through the real binary, as a person
/// (or a script reading the exit status) would see it.
@Suite(.serialized) struct OperatorMessagesTests {
    func write(_ text: String, _ path: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }

    func log(_ c: Cluster, _ name: String) -> String { (try? String(contentsOfFile: c.dir + "/" + name, encoding: .utf8)) ?? "" }

    func lines(_ text: String, containing s: String) -> [Substring] { text.split(separator: "\n").filter { $0.contains(s) } }

    /// Starts `banli args…` in the background, logging to `log` in the cluster's folder.
    func spawn(_ c: Cluster, _ args: [String], log: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BanliProcess.binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: c.dir)
        var env = ProcessInfo.processInfo.environment
        env["BANLI_CONFIG"] = nil
        p.environment = env
        _ = FileManager.default.createFile(atPath: c.dir + "/" + log, contents: nil)
        let handle = FileHandle(forWritingAtPath: c.dir + "/" + log)!
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    func get(_ c: Cluster, _ path: String) throws -> String {
        let r = try CurlTransport(baseURL: "http://127.0.0.1:\(c.adminPort)", token: "").get(path, extraTimeout: 0, cancel: nil)
        return String(decoding: r.body, as: UTF8.self)
    }

    @Test func hubCommandsReadTheHubsConfigByDefault() throws {
        let c = try Cluster(units: ["jxj"])
        try write("store = \"hub.db\"\n", c.dir + "/hub.toml")
        var cli = c.cli
        cli.environment["BANLI_CONFIG"] = "hub.toml"
        #expect(try cli.ok(["hub", "status", "--json"]).contains(#""site":"jxj""#), "$BANLI_CONFIG comes first")
        // Without either, hub commands name the hub's default file, bureau commands the bureau's.
        let hub = try c.cli.run(["hub", "status"])
        let bureau = try c.cli.run(["status"])
        #expect(hub.status == 2 && bureau.status == 2)
        if FileManager.default.fileExists(atPath: "/etc/banli/hub.toml") {
            #expect(!hub.stderr.contains("banli.toml") && !hub.stderr.contains("banli.db"), "\(hub.stderr)")
        } else {
            #expect(hub.stderr == "banli: No store given; pass --store PATH or set 'store' in /etc/banli/hub.toml.\n", "\(hub.stderr)")
        }
        if !FileManager.default.fileExists(atPath: "/etc/banli/banli.toml") {
            #expect(bureau.stderr == "banli: No store given; pass --store PATH or set 'store' in /etc/banli/banli.toml.\n", "\(bureau.stderr)")
        }
    }

    @Test func configErrorsNameFileLineAndKeyForEveryCheck() throws {
        let c = try Cluster(units: ["jxj"])
        try write("store = \"hub.db\"\nlisten = \"127.0.0.1:\(c.port)\"\nadmin_listen = \"nonsense\"\n", c.dir + "/hub.toml")
        let admin = try c.cli.run(["--config", "hub.toml", "hub", "serve"])
        #expect(admin.status == 2)
        #expect(admin.stderr == "banli: hub.toml line 3, key 'admin_listen': 'nonsense' is not HOST:PORT (for example 127.0.0.1:8481).\n", "\(admin.stderr)")
        let cases: [(String, String)] = [
            ("site = \"jxj\"\n\nhub_url = \"ftp://hub\"\n", "banli: b.toml line 3, key 'hub_url': must be http://HOST:PORT or https://HOST:PORT.\n"),
            ("store = \"missing.db\"\n", "banli: b.toml line 1, key 'store': no store at missing.db"),
            ("store = \"jxj.db\"\ntoken_file = \"nowhere.token\"\n", "banli: b.toml line 2, key 'token_file': cannot read the token file nowhere.token"),
            ("metrics_listen = \"9481\"\n", "banli: b.toml line 1, key 'metrics_listen': '9481' is not HOST:PORT"),
            ("[tls]\nkey_file = \"k.pem\"\n", "banli: b.toml line 2, key 'tls.key_file': [tls] needs both cert_file and key_file"),
            ("[reminders]\nto = \"刘文明\"\n", "banli: b.toml line 2, key 'reminders.to': must be an e-mail address in quotes"),
            ("[reminders.smtp]\nfrom = \"a@b.cn\"\nurl = \"http://mail\"\n",
             "banli: b.toml line 3, key 'reminders.smtp.url': reminders.smtp url 'http://mail' is not an smtp:// or smtps:// URL"),
            ("[reminders.smtp]\npassword = \"secret\"\n", "banli: b.toml line 2, key 'reminders.smtp.password': unknown key"),
            ("[reminders.webhook]\nurl = \"https://x.cn/h\"\nshape = \"xml\"\n",
             "banli: b.toml line 3, key 'reminders.webhook.shape': must be \"json\" or \"text\""),
            ("[reminders]\nlead_days = [7, -1]\n", "banli: b.toml line 2, key 'reminders.lead_days': each lead time must be a whole number"),
        ]
        for (text, expected) in cases {
            try write(text, c.dir + "/b.toml")
            let r = try c.cli.run(["--config", "b.toml", "sync"])
            #expect(r.status != 0 && r.stderr.hasPrefix(expected) && r.stderr.split(separator: "\n").count == 1, "\(text) gave: \(r.stderr)")
        }
    }

    @Test func versionOnTheCommandLineTheStatusPageAndMetrics() throws {
        #expect(try BanliProcess(directory: NSTemporaryDirectory()).ok(["--version"]) == "banli \(banliVersion)\n")
        let c = try Cluster(units: ["jxj"])
        try c.startHub()
        defer { c.stopHub() }
        let status = try JSONValue.parse(get(c, "/v1/status"))
        guard case .object(let o) = status, case .object(let hub)? = o["hub"] else { Issue.record("no hub in \(status)"); return }
        #expect(hub["version"] == .string(banliVersion))
        #expect(try get(c, "/status").contains("banli \(banliVersion)"))
        #expect(try get(c, "/metrics").contains("banli_build_info{version=\"\(banliVersion)\"} 1"))
        // One "listening" line per listener, through the logger only.
        #expect(lines(c.hubLog(), containing: "listening").count == 2, "\(c.hubLog())")
    }

    @Test func statusExitsThreeWhileSyncFailsAndRecoveriesAreLogged() throws {
        let c = try Cluster(units: ["jxj"])
        #expect(try c.cli.run(["sync", "--store", "jxj.db"]).status == 3)
        let failing = try c.cli.run(["status", "--store", "jxj.db"])
        #expect(failing.status == 3 && failing.stdout.contains("last error:        The hub at"), "\(failing)")
        #expect(failing.stdout.contains("原因:              连不上交办机关的服务器；本单位的修改都已保存"), "and what it means, in Chinese: \(failing)")
        #expect(try c.cli.run(["status", "--json", "--store", "jxj.db"]).status == 3)
        try c.startHub()
        defer { c.stopHub() }
        try c.sync("jxj")
        #expect(try c.cli.run(["status", "--store", "jxj.db"]).status == 0)

        // At the hub: a unit whose last exchange failed makes `hub status` exit 3, and its recovery is one line.
        let bad = try CurlTransport(baseURL: c.hubURL, token: c.token("jxj")).post("/v1/sync", json: "{")
        #expect(bad.status == 400)
        let hubFailing = try c.cli.run(["hub", "status", "--store", "hub.db"])
        #expect(hubFailing.status == 3 && hubFailing.stdout.contains("失败"), "\(hubFailing)")
        try c.sync("jxj")
        // `hub status` reads the store, where the hub writes a quiet exchange within a second.
        #expect(try c.waitFor(timeout: 5) { try c.cli.run(["hub", "status", "--store", "hub.db"]).status == 0 } != nil)
        #expect(lines(c.hubLog(), containing: "unit 'jxj' recovered after").count == 1, "\(c.hubLog())")
    }

    @Test func refusedTokensAreLoggedOnceAMinutePerClaimedUnitAndTouchNoUnit() throws {
        let c = try Cluster(units: ["jxj", "fgw"])
        try c.startHub()
        defer { c.stopHub() }
        // The real bureau names itself: a wrong token file makes one line naming jxj.
        try write("bnl_wrongwrongwrong\n", c.dir + "/wrong.token")
        #expect(chmod(c.dir + "/wrong.token", 0o600) == 0)
        #expect(try c.cli.run(["sync", "--store", "jxj.db", "--token-file", "wrong.token"]).status == 3)
        func claim(_ site: String) throws {
            _ = try CurlTransport(baseURL: c.hubURL, token: "bnl_wrongwrongwrong", site: site).get("/v1/wait?cursor=0", extraTimeout: 0, cancel: nil)
        }
        for _ in 0..<4 { try claim("jxj") }
        try claim("fgw")
        try claim("evil name\"=x")
        let log = c.hubLog()
        let refused = lines(log, containing: "refused a request without a valid token")
        #expect(refused.count == 3, "\(log)")
        #expect(refused.filter { $0.contains("claimed_unit=jxj ") }.count == 1, "at most one line a minute for jxj: \(log)")
        #expect(refused.filter { $0.contains("claimed_unit=fgw ") }.count == 1)
        #expect(refused.contains { $0.contains(#"claimed_unit="evil name\"=x""#) }, "an invalid claim is quoted: \(log)")
        #expect(!log.contains("bnl_wrongwrongwrong"), "the token is never logged")
        // The claim touched no unit's bookkeeping.
        let status = try get(c, "/v1/status")
        #expect(status.contains(#""failing":0"#) && !status.contains("lastSyncAt\":\"2"), "\(status)")
    }

    @Test func aBusyPortAndABusyStoreAreOneSentence() throws {
        let c = try Cluster(units: ["jxj"])
        try c.startHub()
        defer { c.stopHub() }
        // The same store: refused, naming the hub holding it.
        let other = freePort(), otherAdmin = freePort()
        let second = try c.cli.run(["hub", "serve", "--store", "hub.db", "--listen", "127.0.0.1:\(other)", "--admin-listen", "127.0.0.1:\(otherAdmin)"])
        #expect(second.status != 0)
        func busyStore(_ pid: Int32, _ store: String) -> String {
            "banli: Another banli daemon or hub (PID \(pid)) is already running on the store \(store); stop it first, or use another store.\n"
        }
        #expect(second.stderr == busyStore(c.hubPid!, "hub.db"), "\(second.stderr)")
        // Another store on the same port: the address is named.
        try c.cli.ok(["hub", "init", "--store", "hub2.db"])
        let busy = try c.cli.run(["hub", "serve", "--store", "hub2.db", "--listen", "127.0.0.1:\(c.port)", "--admin-listen", "127.0.0.1:\(otherAdmin)"])
        #expect(busy.status == 2)
        #expect(busy.stderr == "banli: Cannot listen on 127.0.0.1:\(c.port): the address is already in use (another banli hub or another program); "
                + "stop it or change listen in hub.toml.\n", "\(busy.stderr)")

        // A daemon holds its store for its life; a clerk's sync still goes through.
        let daemon = try c.startDaemon("jxj", interval: 60)
        #expect(c.waitFor(timeout: 20) { log(c, "jxj.daemon.log").contains("starting") } != nil)
        let twice = try c.cli.run(["daemon", "--store", "jxj.db"])
        #expect(twice.stderr == busyStore(daemon.processIdentifier, "jxj.db"), "\(twice.stderr)")
        try c.sync("jxj")
        daemon.terminate()
        daemon.waitUntilExit()
    }

    @Test func tokenFilesPermissionDeniedReplacedAndReloaded() throws {
        let c = try Cluster(units: ["jxj"])
        try c.startHub()
        defer { c.stopHub() }
        // A token file the daemon's user cannot read: the message says so, and who must own it.
        let dir = c.dir + "/nobody"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: c.dir + "/jxj.db", toPath: dir + "/jxj.db")
        try FileManager.default.copyItem(atPath: c.dir + "/jxj.token", toPath: dir + "/root.token")
        for f in ["", "/jxj.db"] { #expect(chown(dir + f, 65534, 65534) == 0) }
        var nobody = BanliProcess(directory: dir)
        nobody.wrapper = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        let denied = try nobody.run(["sync", "--store", "jxj.db", "--token-file", "root.token", "--hub-url", c.hubURL])
        #expect(denied.status == 2)
        #expect(denied.stderr == "banli: Permission denied reading the token file root.token; it must be owned by the user this runs as (nobody), "
                + "with mode 0600: chown nobody root.token\n", "\(denied.stderr)")

        // A rotated token, installed by replacing the file: the daemon picks it up at its next sync.
        let daemon = try c.startDaemon("jxj", interval: 1)
        defer { daemon.terminate(); daemon.waitUntilExit() }
        #expect(c.waitFor(timeout: 20) { log(c, "jxj.daemon.log").contains("starting") } != nil)
        try c.cli.ok(["hub", "rotate-token", "jxj", "--store", "hub.db", "--token-file", "jxj.new"])
        #expect(c.waitFor(timeout: 20) { log(c, "jxj.daemon.log").contains("refused this unit's token") } != nil, "\(log(c, "jxj.daemon.log"))")
        #expect(rename(c.dir + "/jxj.new", c.dir + "/jxj.token") == 0)
        #expect(c.waitFor(timeout: 20) { log(c, "jxj.daemon.log").contains("sync recovered after") } != nil, "\(log(c, "jxj.daemon.log"))")
        let daemonLog = log(c, "jxj.daemon.log")
        #expect(lines(daemonLog, containing: "re-read the token file jxj.token: it changed").count == 1, "\(daemonLog)")
        #expect(lines(daemonLog, containing: "sync recovered after").count == 1, "\(daemonLog)")
        // SIGHUP (systemctl reload) re-reads it too, and does not stop the daemon.
        kill(daemon.processIdentifier, SIGHUP)
        #expect(c.waitFor(timeout: 10) { log(c, "jxj.daemon.log").contains("re-read the token file jxj.token (reload)") } != nil, "\(log(c, "jxj.daemon.log"))")
        #expect(daemon.isRunning)
        #expect(!log(c, "jxj.daemon.log").contains(try c.token("jxj")), "the token is never logged")
    }

    @Test func plainHTTPOffLoopbackNeedsToBeAllowed() throws {
        let c = try Cluster(units: ["jxj"])
        let port = freePort(), admin = freePort()
        let serve = ["hub", "serve", "--store", "hub.db", "--listen", "0.0.0.0:\(port)", "--admin-listen", "127.0.0.1:\(admin)"]
        let refused = try c.cli.run(serve)
        #expect(refused.status == 2)
        #expect(refused.stderr.hasPrefix("banli: The hub would listen on 0.0.0.0:\(port) in plain HTTP, so every bureau's token would cross the network")
                && refused.stderr.hasSuffix("or set allow_plain_http = true in /etc/banli/hub.toml.\n"), "\(refused.stderr)")
        try write("allow_plain_http = true\n", c.dir + "/plain.toml")
        let hub = try spawn(c, ["--config", "plain.toml"] + serve, log: "plain.log")
        defer { hub.terminate(); hub.waitUntilExit() }
        #expect(c.waitFor(timeout: 20) { lines(log(c, "plain.log"), containing: "listening").count == 2 } != nil, "\(log(c, "plain.log"))")
        #expect(lines(log(c, "plain.log"), containing: "plain HTTP on 0.0.0.0:\(port) (allow_plain_http = true)").count == 1, "\(log(c, "plain.log"))")

        // The bureau: an http:// hub off loopback is refused unless its config allows it.
        let far = "http://192.0.2.1:8480"
        let bureau = try c.cli.run(["sync", "--store", "jxj.db", "--hub-url", far])
        #expect(bureau.status == 2)
        #expect(bureau.stderr.hasPrefix("banli: The hub URL \(far) is plain HTTP off this machine") && bureau.stderr.contains("allow_plain_http = true"),
                "\(bureau.stderr)")
        try write("allow_plain_http = true\n[network]\nconnect_timeout = 0.3\n", c.dir + "/b.toml")
        let allowed = try c.cli.run(["--config", "b.toml", "sync", "--store", "jxj.db", "--hub-url", far])
        #expect(allowed.status == 3 && allowed.stderr.hasPrefix("banli: The hub at \(far) is unreachable"), "\(allowed.stderr)")
        // https:// to a plain-HTTP hub says what is wrong.
        let https = try c.cli.run(["sync", "--store", "jxj.db", "--hub-url", "https://127.0.0.1:\(port)"])
        #expect(https.status == 3)
        #expect(https.stderr.hasPrefix("banli: The hub at https://127.0.0.1:\(port) answered plain HTTP, not TLS")
                && https.stderr.hasSuffix("use http:// in hub_url, or enable TLS at the hub.\n"), "\(https.stderr)")
    }
}
