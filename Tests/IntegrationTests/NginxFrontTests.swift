import Foundation
import Testing

extension TestTool {
    static let nginx = TestTool(
        name: "nginx", variable: "BANLI_NGINX", install: "run `make test` as root, which installs it (or `apt-get install nginx`)")
}

/// The shipped `config/nginx-banli-hub.conf`, run by a real nginx on loopback: only its addresses, certificate and
/// upstreams are replaced, so what is tested is the file an administrator installs.
final class NginxFront: @unchecked Sendable {
    let dir: String
    let port: Int
    private let process: Process

    /// Reads the shipped file, points it at `upstreams` (hub processes' ports) and the PEM files, and starts nginx.
    init(dir: String, upstreams: [Int], certFile: String, keyFile: String) throws {
        self.dir = dir
        port = freePort()
        let shipped = try String(contentsOf: repositoryRoot.appendingPathComponent("config/nginx-banli-hub.conf"), encoding: .utf8)
        var lines: [String] = []
        var upstreamWritten = false
        for line in shipped.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("server 127.0.0.1:") {
                // The shipped upstream lines keep their parameters; one line per test upstream.
                guard !upstreamWritten else { continue }
                upstreamWritten = true
                let parameters = t.split(separator: " ").dropFirst(2).joined(separator: " ")
                lines += upstreams.map { "    server 127.0.0.1:\($0) \(parameters)" }
            } else if t == "listen 443 ssl;" {
                lines.append("    listen 127.0.0.1:\(port) ssl;")
            } else if t == "listen [::]:443 ssl;" {
                continue
            } else if t.hasPrefix("ssl_certificate ") {
                lines.append("    ssl_certificate \(certFile);")
            } else if t.hasPrefix("ssl_certificate_key ") {
                lines.append("    ssl_certificate_key \(keyFile);")
            } else {
                lines.append(line)
            }
        }
        #expect(upstreamWritten && lines.contains("    listen 127.0.0.1:\(port) ssl;"), "the shipped nginx file changed shape; update NginxFront")
        try lines.joined(separator: "\n").write(toFile: dir + "/banli-hub.conf", atomically: true, encoding: .utf8)
        // What Debian's /etc/nginx/nginx.conf gives the sites it includes, in this folder.
        let main = """
            \(geteuid() == 0 ? "user root root;" : "")
            worker_processes 1;
            pid \(dir)/nginx.pid;
            events { worker_connections 256; }
            http {
                access_log \(dir)/nginx-access.log;
                client_body_temp_path \(dir)/nginx-body;
                proxy_temp_path \(dir)/nginx-proxy;
                fastcgi_temp_path \(dir)/nginx-fastcgi;
                uwsgi_temp_path \(dir)/nginx-uwsgi;
                scgi_temp_path \(dir)/nginx-scgi;
                include \(dir)/banli-hub.conf;
            }
            """
        try main.write(toFile: dir + "/nginx.conf", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try TestTool.nginx.path())
        p.arguments = ["-p", dir, "-e", dir + "/nginx-error.log", "-c", dir + "/nginx.conf", "-g", "daemon off; error_log \(dir)/nginx-error.log info;"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let up = Date()
        while Date().timeIntervalSince(up) < 10, !Self.accepts(port) { Thread.sleep(forTimeInterval: 0.05) }
        #expect(Self.accepts(port), "nginx did not start: \(log)")
    }

    deinit {
        if process.isRunning {
            // Fast shutdown: a graceful one (SIGQUIT) would wait for the daemons' long-polls.
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }

    var url: String { "https://127.0.0.1:\(port)" }
    var log: String { (try? String(contentsOfFile: dir + "/nginx-error.log", encoding: .utf8)) ?? "" }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

/// Bureaus through the shipped nginx front: TLS ends at nginx, a dead hub process is skipped, the long-poll is held,
/// and the limits are the hub's.
@Suite(.serialized) struct NginxFrontTests {
    /// A hub with jxj and one assigned item, a CA and a certificate for 127.0.0.1, and jxj's config for `front`.
    func setUp() throws -> Cluster {
        _ = try TestTool.nginx.path()
        _ = try TestTool.openssl.path()
        let c = try Cluster(units: ["jxj"])
        try TLSTests().makePKI(c.dir)
        try c.cli.ok(["item", "new", "rd-2025-39", "--kind", "建议", "--number", "39", "--year", "2025", "--title", "建议39", "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "rd-2025-39", "jxj", "--role", "主办", "--store", "hub.db"])
        return c
    }

    func bureauConfig(_ c: Cluster, _ front: NginxFront) throws {
        try "site = \"jxj\"\nhub_url = \"\(front.url)\"\ntoken_file = \"jxj.token\"\n[tls]\nca_file = \"ca.pem\"\n"
            .write(toFile: c.dir + "/jxj.toml", atomically: true, encoding: .utf8)
    }

    /// curl through the front, for what `banli` never sends (an oversized body): status, headers and body.
    func curl(_ c: Cluster, _ args: [String]) throws -> String {
        try DebPackageTests.run(["/usr/bin/curl", "-s", "-i", "--cacert", c.dir + "/ca.pem"] + args, in: c.dir).out
    }

    @Test func bureausSyncThroughTheFrontPastADeadHubProcess() throws {
        let c = try setUp()
        try c.startHub()
        defer { c.stopHub() }
        // The first upstream has no process behind it: nginx moves on to the live one, within the same request.
        let front = try NginxFront(dir: c.dir, upstreams: [freePort(), c.port], certFile: c.dir + "/hub.pem", keyFile: c.dir + "/hub.key")
        try bureauConfig(c, front)
        for _ in 0..<3 {
            let r = try c.cli.run(["--config", "jxj.toml", "sync", "--store", "jxj.db"])
            #expect(r.status == 0, "\(r.stderr)\n\(front.log)")
        }
        #expect(try c.value("jxj", "item/rd-2025-39", "title") == .string("建议39"))

        // The daemon's long-poll is held through nginx and woken by the office's write; its periodic sync is 5 minutes away.
        let before = try c.store("jxj").syncHealth().lastAttemptAt ?? 0
        c.environment["BANLI_CONFIG"] = c.dir + "/jxj.toml"
        _ = try c.startDaemon("jxj", interval: 300)
        let first = try c.waitFor(timeout: 30) { try c.store("jxj").syncHealth().lastAttemptAt.map { $0 > before } == true }
        try #require(first != nil, "the daemon made its first sync through nginx")
        try c.cli.ok(["item", "set", "rd-2025-39", "title", "建议39（修改）", "--store", "hub.db"])
        let seen = c.waitFor(timeout: 30) { (try? c.value("jxj", "item/rd-2025-39", "title")) == .string("建议39（修改）") }
        #expect(seen != nil, "the long-poll through nginx did not bring the office's write: \(front.log)")
    }

    @Test func theFrontKeepsTheHubsLimitsAndAnswersInJSON() throws {
        let c = try setUp()
        try c.startHub()
        defer { c.stopHub() }
        let front = try NginxFront(dir: c.dir, upstreams: [c.port], certFile: c.dir + "/hub.pem", keyFile: c.dir + "/hub.key")
        // One byte over the hub's default max_body_bytes: refused by nginx as the hub would, before any hub process sees it.
        let hubLimit = 8_388_608
        try Data(count: hubLimit + 1).write(to: URL(fileURLWithPath: c.dir + "/big.bin"))
        let big = try curl(c, ["-X", "POST", "-H", "Authorization: Bearer \(try c.token("jxj"))", "--data-binary", "@big.bin", front.url + "/v1/sync"])
        #expect(big.hasPrefix("HTTP/1.1 413") && big.contains("application/json") && big.contains("lower batch_limit"), "\(big.prefix(400))")
        let atLimit = try curl(c, ["-X", "POST", "-H", "Authorization: Bearer \(try c.token("jxj"))", "-H", "Content-Type: application/json",
                                   "--data-binary", "{}", front.url + "/v1/sync"])
        #expect(atLimit.hasPrefix("HTTP/1.1 400"), "a small body reaches the hub, which answers for itself: \(atLimit.prefix(300))")

        // The long-poll's read timeout outlasts the longest wait a bureau may ask for (60 s).
        let conf = try String(contentsOf: repositoryRoot.appendingPathComponent("config/nginx-banli-hub.conf"), encoding: .utf8)
        let wait = conf.components(separatedBy: "location = /v1/wait")[1]
        let timeout = wait.split(separator: "\n").first { $0.contains("proxy_read_timeout") }
            .flatMap { Int($0.filter(\.isNumber)) }
        #expect((timeout ?? 0) > 60, "proxy_read_timeout for /v1/wait: \(String(describing: timeout))")
        let held = try curl(c, ["-H", "Authorization: Bearer \(try c.token("jxj"))", front.url + "/v1/wait?cursor=100000&timeout=1"])
        #expect(held.hasPrefix("HTTP/1.1 200"), "\(held.prefix(300))")

        // Every hub process gone: 503 with Retry-After and one sentence, which bureaus treat as "try again".
        c.stopHub()
        let down = try curl(c, ["-X", "POST", "-H", "Authorization: Bearer \(try c.token("jxj"))", "--data-binary", "{}", front.url + "/v1/sync"])
        #expect(down.hasPrefix("HTTP/1.1 503") && down.lowercased().contains("retry-after: 30") && down.contains("{\"error\":"), "\(down.prefix(400))")
    }
}
