import BanliProtocol
import BanliSync
import Foundation
import Testing

extension TestTool {
    static let lintian = TestTool(
        name: "lintian", variable: "BANLI_LINTIAN", install: "run `make test` as root, which installs it (or `apt-get install lintian`)")
}

/// The Debian package `make test` builds (`make deb`, named in $BANLI_DEB): the only test of the release binary.
/// It is checked as Debian's tools see it, then installed on this machine and used the way the README's
/// "Running it for real" tells an administrator, line by line, for an office and a bureau on loopback.
/// It needs root and changes /etc/banli, /var/lib/banli and the user banli: CI runs it on a throwaway machine.
@Suite(.serialized) struct DebPackageTests {
    struct Output {
        var status: Int32
        var out: String
        var err: String
        var text: String { out + err }
    }

    /// What a root shell on a server has: a plain PATH, no BANLI_CONFIG.
    static let shellEnvironment = [
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root", "USER": "root",
    ]

    @discardableResult
    static func run(_ argv: [String], in dir: String = "/", environment: [String: String] = shellEnvironment) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        nonisolated(unsafe) var outData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, out: String(decoding: outData, as: UTF8.self), err: String(decoding: errData, as: UTF8.self))
    }

    /// Runs a shell line as the administrator would type it.
    @discardableResult
    static func sh(_ line: String, in dir: String = "/", sourceLocation: SourceLocation = #_sourceLocation) throws -> Output {
        let r = try run(["/bin/sh", "-c", line], in: dir)
        #expect(r.status == 0, "`\(line)` failed (\(r.status)): \(r.text)", sourceLocation: sourceLocation)
        return r
    }

    /// The package: $BANLI_DEB, which `make test` builds. Missing is a failure, never a skip.
    static func deb() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["BANLI_DEB"], !path.isEmpty else {
            throw TestTool.Missing(description: "BANLI_DEB is not set: run `make test`, which builds the package with `make deb` and names it.")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw TestTool.Missing(description: "\(path) does not exist: run `make test`, which builds it with `make deb`.")
        }
        return path
    }

    /// A field of the package's control file.
    static func field(_ control: String, _ name: String) -> String? {
        control.split(separator: "\n").first { $0.hasPrefix(name + ": ") }.map { String($0.dropFirst(name.count + 2)) }
    }

    /// The [Service] settings of a unit file, each key with all its values.
    static func serviceSection(_ text: String) -> [String: [String]] {
        var section = "", out: [String: [String]] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") { section = line; continue }
            guard section == "[Service]", !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            out[String(line[..<eq]), default: []].append(String(line[line.index(after: eq)...]))
        }
        return out
    }

    /// lintian finds no error; the control data, the conffiles and the file list are what a server needs; the
    /// binary's libraries are all covered by Depends.
    @Test func packageIsWellFormed() throws {
        let deb = try Self.deb()
        let lintian = try Self.run([try TestTool.lintian.path(), "--allow-root", deb])
        let errors = lintian.text.split(separator: "\n").filter { $0.hasPrefix("E: ") }
        #expect(errors.isEmpty, "lintian errors:\n\(errors.joined(separator: "\n"))")
        #expect(lintian.status == 0, "lintian failed (\(lintian.status)): \(lintian.text)")

        let control = try Self.run(["/usr/bin/dpkg-deb", "--field", deb]).out
        let arch = try Self.run(["/usr/bin/dpkg", "--print-architecture"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Self.field(control, "Package") == "banli")
        #expect(Self.field(control, "Version")?.hasPrefix(banliVersion + "-") == true, "Version comes from banliVersion \(banliVersion): \(control)")
        #expect(Self.field(control, "Architecture") == arch)
        #expect(URL(fileURLWithPath: deb).lastPathComponent == "banli_\(Self.field(control, "Version") ?? "")_\(arch).deb")
        for name in ["Maintainer", "Description", "Installed-Size"] {
            #expect(Self.field(control, name)?.isEmpty == false, "\(name) is set: \(control)")
        }
        let depends = Set((Self.field(control, "Depends") ?? "").split(separator: ",").map {
            String($0.trimmingCharacters(in: .whitespaces).prefix { $0 != " " && $0 != "(" && $0 != ":" })
        })
        // The libraries Banli uses (zstd and zlib for compressed exchanges), and the C and C++ runtimes the static Swift
        // runtime needs (on every Debian system: apt depends on them). Nothing Swift.
        let base: Set = ["libc6", "libgcc-s1", "libstdc++6"]
        let libraries: Set = ["libcurl4", "libssl3", "libsqlite3-0", "libzstd1", "zlib1g"]
        #expect(depends.isSuperset(of: libraries) && depends.isSubset(of: base.union(libraries)), "Depends: \(depends.sorted())")

        let conffiles = try Self.run(["/usr/bin/dpkg-deb", "--info", deb, "conffiles"]).out.split(separator: "\n").map(String.init).sorted()
        let shipped = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("config").path)
            .filter { $0.hasSuffix(".toml") }.map { "/etc/banli/" + $0 }.sorted()
        #expect(conffiles == shipped, "every config in config/ is a conffile, and nothing else")
        #expect(shipped.contains("/etc/banli/banli.toml") && shipped.contains("/etc/banli/hub.toml"))

        // "-rwxr-xr-x root/root 123 2026-01-01 00:00 ./usr/bin/banli" → path: mode owner
        var files: [String: String] = [:]
        for line in try Self.run(["/usr/bin/dpkg-deb", "--contents", deb]).out.split(separator: "\n") {
            let cols = line.split(separator: " ", omittingEmptySubsequences: true)
            guard cols.count >= 6, let path = cols.last else { continue }
            files[String(path.dropFirst())] = "\(cols[0]) \(cols[1])"
        }
        let expected = ["/usr/bin/banli": "-rwxr-xr-x root/root",
                        "/etc/banli/banli.toml": "-rw-r----- root/root", "/etc/banli/hub.toml": "-rw-r----- root/root",
                        "/lib/systemd/system/banli.service": "-rw-r--r-- root/root", "/lib/systemd/system/banli-hub.service": "-rw-r--r-- root/root",
                        "/lib/systemd/system/banli-web.service": "-rw-r--r-- root/root",
                        "/lib/systemd/system/banli-hub-web.service": "-rw-r--r-- root/root",
                        "/usr/share/doc/banli/copyright": "-rw-r--r-- root/root", "/usr/share/doc/banli/changelog.Debian.gz": "-rw-r--r-- root/root",
                        "/usr/share/doc/banli/examples/nginx-banli-hub.conf": "-rw-r--r-- root/root",
                        "/usr/share/doc/banli/examples/banli-alerts.yml": "-rw-r--r-- root/root",
                        "/usr/share/doc/banli/examples/banli-grafana.json": "-rw-r--r-- root/root"]
        for (path, mode) in expected {
            #expect(files[path] == mode, "\(path) in the package: \(files[path] ?? "missing")")
        }
        #expect(!files.keys.contains { $0.hasPrefix("/usr/local") || $0.hasPrefix("/etc/systemd") || $0.hasPrefix("/var") }, "\(files.keys.sorted())")

        // Every library the binary loads comes from a package in Depends.
        let dir = try BanliProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.run(["/usr/bin/dpkg-deb", "-x", deb, dir])
        let dynamic = try Self.run(["/usr/bin/readelf", "-d", dir + "/usr/bin/banli"]).out
        let needed = dynamic.split(separator: "\n").compactMap { line -> String? in
            guard line.contains("(NEEDED)"), let open = line.lastIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
        #expect(["libcurl.so.4", "libsqlite3.so.0", "libzstd.so.1", "libz.so.1"].allSatisfy(needed.contains), "NEEDED: \(needed)")
        #expect(!needed.contains { $0.contains("swift") || $0.contains("Foundation") }, "the Swift runtime is linked in: \(needed)")
        for lib in needed {
            let owners = try Self.run(["/usr/bin/dpkg", "-S", "*/\(lib)"]).out.split(separator: "\n").map { String($0.prefix { $0 != ":" }) }
            #expect(owners.contains { depends.contains($0) }, "\(lib) comes from \(owners), not from Depends \(depends.sorted())")
        }
    }

    /// A service started the way systemd would: its unit's ExecStart, as its User and Group, with its
    /// Environment= and UMask=, read from the installed unit file.
    final class Service {
        let process = Process()
        let log: String

        init(unit: String, logDirectory: String) throws {
            let text = try String(contentsOfFile: "/lib/systemd/system/\(unit)", encoding: .utf8)
            let service = DebPackageTests.serviceSection(text)
            let exec = (service["ExecStart"]?.first ?? "").split(separator: " ").map(String.init)
            #expect(exec.first == "/usr/bin/banli", "\(unit): ExecStart=\(exec.joined(separator: " "))")
            let user = service["User"]?.first ?? "root", group = service["Group"]?.first ?? user
            var env = ["PATH": DebPackageTests.shellEnvironment["PATH"]!, "LANG": "C.UTF-8", "HOME": "/var/lib/banli", "USER": user, "LOGNAME": user]
            for assignment in (service["Environment"] ?? []).flatMap({ $0.split(separator: " ") }) {
                let kv = assignment.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                if kv.count == 2 { env[kv[0]] = kv[1] }
            }
            log = logDirectory + "/\(unit).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            // sh sets the umask, then setpriv becomes the user and execs banli: one process, which gets our SIGTERM.
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", #"umask "$0"; exec "$@""#, service["UMask"]?.first ?? "0022",
                                 "/usr/bin/setpriv", "--reuid=\(user)", "--regid=\(group)", "--init-groups", "--"] + exec
            process.environment = env
            process.currentDirectoryURL = URL(fileURLWithPath: "/")
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// SIGTERM, as `systemctl stop` sends; the exit status.
        func stop() -> Int32 {
            guard process.isRunning else { return process.terminationStatus }
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static func waitFor(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return false
    }

    /// The README's shell blocks in a section: in "Running it for real" the office's, then the bureau's; in the
    /// workbench's the bureau's, then the office's.
    static func readmeBlocks(_ heading: String = "## Running it for real") throws -> [[String]] {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: heading) else { throw TestTool.Missing(description: "README.md has no '\(heading)'") }
        let section = readme[start.upperBound...].components(separatedBy: "\n## ").first ?? ""
        return section.components(separatedBy: "```sh\n").dropFirst().map { block in
            (block.components(separatedBy: "```").first ?? "").split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        }
    }

    /// A throwaway CA and the hub's certificate for localhost, named as the README names the files.
    static func makeCertificates(hubDir: String, bureauDir: String) throws {
        let openssl = try TestTool.openssl.path()
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: hubDir + "/san.ext", atomically: true, encoding: .utf8)
        for args in [["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Office CA"],
                     ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "hub-tls.key", "-out", "hub.csr", "-subj", "/CN=localhost"],
                     ["x509", "-req", "-in", "hub.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "hub.crt", "-days", "2",
                      "-extfile", "san.ext"]] {
            let r = try run([openssl] + args, in: hubDir)
            #expect(r.status == 0, "openssl \(args.joined(separator: " ")): \(r.err)")
        }
        try FileManager.default.copyItem(atPath: hubDir + "/ca.pem", toPath: bureauDir + "/office-ca.pem")
    }

    /// The README's install section, followed line by line for an office and a bureau on this machine (loopback,
    /// temporary ports): the services start from their installed units, an item goes to the bureau and its reply
    /// comes back; remove keeps the stores, purge removes the configs and still keeps the stores.
    @Test func readmeInstallWorksForTheOfficeAndABureau() throws {
        let deb = try Self.deb()
        let fm = FileManager.default
        guard getuid() == 0 else { throw TestTool.Missing(description: "installing the package needs root: run `make test` as root (CI does).") }
        let installed = try Self.run(["/usr/bin/dpkg-query", "-W", "-f=${Status}", "banli"]).out
        let leftovers = ["/etc/banli", "/var/lib/banli", "/tmp/jxj.token"].filter { fm.fileExists(atPath: $0) }
        guard !installed.contains("installed"), leftovers.isEmpty else {
            throw TestTool.Missing(description: "banli is already installed or left files (\(installed) \(leftovers)); this test installs and purges "
                + "the package itself and never touches an existing installation: run it on a throwaway machine, "
                + "or clean up with `dpkg --purge banli; rm -rf /etc/banli /var/lib/banli /tmp/jxj.token`.")
        }
        let userExisted = try Self.run(["/usr/bin/getent", "passwd", "banli"]).status == 0
        let dir = try BanliProcess.temporaryDirectory()
        let hubDir = dir + "/office", bureauDir = dir + "/bureau"
        try fm.createDirectory(atPath: hubDir, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: bureauDir, withIntermediateDirectories: true)
        var services: [Service] = []
        defer {
            for s in services { _ = s.stop() }
            _ = try? Self.run(["/usr/bin/dpkg", "--purge", "banli"])
            for path in ["/etc/banli", "/var/lib/banli", "/tmp/jxj.token", dir] { try? fm.removeItem(atPath: path) }
            if !userExisted {
                _ = try? Self.run(["/usr/sbin/userdel", "banli"])
                _ = try? Self.run(["/usr/sbin/groupdel", "banli"])
            }
        }
        try Self.makeCertificates(hubDir: hubDir, bureauDir: bureauDir)

        let blocks = try Self.readmeBlocks()
        try #require(blocks.count == 2, "README's 'Running it for real' has the office's block, then the bureau's: \(blocks)")
        try #require(blocks[0].contains("systemctl enable --now banli-hub") && blocks[1].contains("systemctl enable --now banli"), "\(blocks)")
        let control = try Self.run(["/usr/bin/dpkg-deb", "--field", deb]).out
        let port = freePort(), admin = freePort()
        // The only changes to the README's lines: this machine's addresses, and the package file's path.
        func adapt(_ line: String) -> String {
            line.replacingOccurrences(of: "0.0.0.0:8480", with: "127.0.0.1:\(port)")
                .replacingOccurrences(of: "hub.example.gov.cn:8480", with: "localhost:\(port)")
                .replacingOccurrences(of: "127.0.0.1:8481", with: "127.0.0.1:\(admin)")
                .replacingOccurrences(of: "scp /tmp/jxj.token root@jxj-server:jxj.token", with: "cp /tmp/jxj.token \(bureauDir)/jxj.token")
        }

        // The office.
        for line in blocks[0] {
            if line.hasPrefix("apt install ./") {
                let name = "apt install ./banli_\(Self.field(control, "Version") ?? "?")_"
                #expect(line.hasPrefix(name) && line.hasSuffix(".deb"), "the README names the package `make deb` builds: \(line)")
                try Self.sh("dpkg -i '\(deb)'")
                try checkInstalled()
            } else if line == "systemctl enable --now banli-hub" {
                services.append(try Service(unit: "banli-hub.service", logDirectory: dir))
                let health = CurlTransport(baseURL: "http://127.0.0.1:\(admin)", token: "none")
                let up = Self.waitFor(20) { (try? health.get("/healthz", extraTimeout: 0, cancel: nil))?.status == 200 }
                try #require(up, "the hub started from banli-hub.service answers: \(services.last?.output ?? "")")
            } else {
                try Self.sh(adapt(line), in: hubDir)
            }
        }
        #expect(!fm.fileExists(atPath: "/tmp/jxj.token"), "the token's copy at the office is gone")
        #expect(!fm.fileExists(atPath: "/var/lib/banli/hub.db.key") && fm.fileExists(atPath: "/var/lib/banli/hub.key"), "one key file: hub.toml's")

        // The bureau (the same machine: a second `apt install` of the same package keeps the office's edits).
        for line in blocks[1] {
            if line.hasPrefix("apt install ./") {
                try Self.sh("dpkg -i '\(deb)'")
            } else if line == "systemctl enable --now banli" {
                services.append(try Service(unit: "banli.service", logDirectory: dir))
            } else {
                try Self.sh(adapt(line), in: bureauDir)
            }
        }
        #expect(!fm.fileExists(atPath: bureauDir + "/jxj.token"), "the token's temporary copy at the bureau is gone")
        let hubToml = try String(contentsOfFile: "/etc/banli/hub.toml", encoding: .utf8)
        #expect(hubToml.contains("listen = \"127.0.0.1:\(port)\"") && hubToml.contains("cert_file = \"/etc/banli/hub.crt\""), "reinstalling kept the edits")
        let token = try fm.attributesOfItem(atPath: "/etc/banli/token")
        #expect(token[.ownerAccountName] as? String == "banli" && (token[.posixPermissions] as? Int) == 0o600, "\(token)")

        // An item assigned at the office reaches the bureau through the running services; the reply comes back.
        let office = ["/usr/sbin/runuser", "-u", "banli", "--", "/usr/bin/banli", "--config", "/etc/banli/hub.toml"]
        let bureau = ["/usr/sbin/runuser", "-u", "banli", "--", "/usr/bin/banli", "--config", "/etc/banli/banli.toml"]
        func ok(_ argv: [String]) throws -> String {
            let r = try Self.run(argv)
            #expect(r.status == 0, "\(argv.joined(separator: " ")): \(r.text)")
            return r.out
        }
        _ = try ok(office + ["item", "new", "zx-2025-90", "--kind", "提案", "--number", "90", "--year", "2025",
                             "--title", "关于促进民营经济发展的提案", "--proposer", "程玮"])
        _ = try ok(office + ["item", "assign", "zx-2025-90", "jxj", "--role", "主办", "--at", "2025-03-20", "--due", "2025-06-20"])
        let arrived = try Self.waitFor(30) {
            try Self.run(bureau + ["item", "show", "zx-2025-90", "--json"]).out.contains("关于促进民营经济发展的提案")
        }
        #expect(arrived, "the daemon brought the item: \(services.last?.output ?? "")")
        _ = try ok(bureau + ["item", "accept", "zx-2025-90"])
        _ = try ok(bureau + ["item", "reply", "zx-2025-90", "--number", "冶经信函〔2025〕12号", "--category", "B", "--text", "答复全文"])
        let replied = try Self.waitFor(30) { try Self.run(office + ["item", "show", "zx-2025-90", "--json"]).out.contains("冶经信函〔2025〕12号") }
        #expect(replied, "the reply reached the office: \(services.last?.output ?? "")")

        // The workbench as the README starts it, at the bureau and then at the office (one machine: one after the other).
        let web = try Self.readmeBlocks("## The workbench (办理工作台)")
        try #require(web.count == 2, "README's workbench section has the bureau's block, then the office's: \(web)")
        for (block, folder, name) in [(web[0], bureauDir, "li"), (web[1], hubDir, "wang")] {
            var server: Service?
            for line in block {
                if line.hasPrefix("systemctl enable --now ") {
                    let unit = line.dropFirst("systemctl enable --now ".count).split(separator: " ").first.map { "\($0).service" } ?? ""
                    server = try Service(unit: unit, logDirectory: dir)
                } else if line.contains(" user add ") {
                    try Self.sh("printf '%s\\n' '\(Self.webPassword)' | \(line)", in: folder)
                } else {
                    try Self.sh(adapt(line), in: folder)
                }
            }
            let started = try #require(server, "the block starts a service: \(block)")
            defer { _ = started.stop() }
            let health = CurlTransport(baseURL: "http://127.0.0.1:8490", token: "none")
            let up = Self.waitFor(20) { (try? health.get("/healthz", extraTimeout: 0, cancel: nil))?.status == 200 }
            try #require(up, "the workbench started from its unit answers on 127.0.0.1:8490: \(started.output)")
            let home = try Self.logIn(name, folder: folder)
            #expect(home.contains("工作台") && home.contains(name), "\(name) is signed in: \(home.prefix(400))")
            #expect(started.stop() == 0, "SIGTERM stops \(started.log) cleanly: \(started.output)")
        }

        for s in services.reversed() {
            #expect(s.stop() == 0, "SIGTERM stops \(s.log) cleanly: \(s.output)")
        }
        services = []
        // Everything in the state folder is the service user's, so the services can always open it.
        let state = try fm.contentsOfDirectory(atPath: "/var/lib/banli")
        for name in state {
            let owner = try fm.attributesOfItem(atPath: "/var/lib/banli/" + name)[.ownerAccountName] as? String
            #expect(owner == "banli", "/var/lib/banli/\(name) belongs to \(owner ?? "?")")
        }
        let stores = ["/var/lib/banli/hub.db", "/var/lib/banli/hub.key", "/var/lib/banli/banli.db"]

        try Self.sh("dpkg -r banli")
        #expect(!fm.fileExists(atPath: "/usr/bin/banli") && !fm.fileExists(atPath: "/lib/systemd/system/banli.service"))
        #expect(stores.allSatisfy { fm.fileExists(atPath: $0) }, "remove keeps the stores and the key: \(state)")
        #expect(fm.fileExists(atPath: "/etc/banli/hub.toml") && fm.fileExists(atPath: "/etc/banli/token"), "remove keeps the configs")

        try Self.sh("dpkg --purge banli")
        #expect(!fm.fileExists(atPath: "/etc/banli/hub.toml") && !fm.fileExists(atPath: "/etc/banli/banli.toml"), "purge removes the conffiles")
        #expect(stores.allSatisfy { fm.fileExists(atPath: $0) }, "purge keeps the stores and the key")
        #expect(try Self.run(["/usr/bin/getent", "passwd", "banli"]).status == 0, "the stores keep their owner")
    }

    static let webPassword = "readme-办理-2025"

    /// Signs `name` in to the workbench on 127.0.0.1:8490 as a browser does (the login page's token, then the form), and
    /// returns the page the login leads to.
    static func logIn(_ name: String, folder: String) throws -> String {
        let url = "http://127.0.0.1:8490", jar = folder + "/web-cookies"
        let page = try run(["/usr/bin/curl", "-sS", "-c", jar, "-b", jar, url + "/login"]).out
        let token = try #require(page.firstMatch(of: /name="_csrf" value="([^"]+)"/).map { String($0.1) }, "the login page has a token: \(page.prefix(400))")
        let login = try run(["/usr/bin/curl", "-sS", "-c", jar, "-b", jar, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H", "Origin: \(url)",
                             "--data-urlencode", "_csrf=\(token)", "--data-urlencode", "name=\(name)", "--data-urlencode", "password=\(webPassword)",
                             url + "/login"]).out
        #expect(login.hasPrefix("303") || login.hasPrefix("302"), "the login redirects: \(login)")
        return try run(["/usr/bin/curl", "-sS", "-b", jar, url + "/"]).out
    }

    /// Right after `dpkg -i`: the user, the folders, the configs' group and mode, the units; nothing enabled or
    /// started; the release binary runs; systemd accepts the installed units.
    func checkInstalled() throws {
        let fm = FileManager.default
        let passwd = try Self.run(["/usr/bin/getent", "passwd", "banli"]).out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":")
        #expect(passwd.count == 7 && passwd[5] == "/var/lib/banli" && passwd[6] == "/usr/sbin/nologin", "\(passwd)")
        #expect((Int(passwd.count == 7 ? passwd[2] : "") ?? 1000) < 1000, "a system user: \(passwd)")
        let state = try fm.attributesOfItem(atPath: "/var/lib/banli")
        #expect(state[.ownerAccountName] as? String == "banli" && state[.groupOwnerAccountName] as? String == "banli"
                && (state[.posixPermissions] as? Int) == 0o750, "/var/lib/banli: \(state)")
        for name in ["banli.toml", "hub.toml"] {
            let a = try fm.attributesOfItem(atPath: "/etc/banli/" + name)
            #expect(a[.ownerAccountName] as? String == "root" && a[.groupOwnerAccountName] as? String == "banli" && (a[.posixPermissions] as? Int) == 0o640,
                    "/etc/banli/\(name): \(a)")
        }
        let wants = (try? fm.contentsOfDirectory(atPath: "/etc/systemd/system/multi-user.target.wants")) ?? []
        #expect(!wants.contains { $0.hasPrefix("banli") }, "the package enables nothing: \(wants)")
        #expect(!fm.fileExists(atPath: "/etc/systemd/system/banli.service") && !fm.fileExists(atPath: "/etc/systemd/system/banli-hub.service"))
        let running = try Self.run(["/usr/bin/pgrep", "-u", "banli"])
        #expect(running.status != 0, "the package starts nothing: \(running.out)")

        let help = try Self.run(["/usr/bin/banli", "--help"])
        #expect(help.status == 0 && help.text.contains("hub"), "/usr/bin/banli runs: \(help.text)")
        let version = try Self.run(["/usr/bin/banli", "--version"])
        if version.status == 0 {
            #expect(version.text.contains(banliVersion), "--version names \(banliVersion): \(version.text)")
        }

        let units = ["banli-hub.service", "banli.service", "banli-web.service", "banli-hub-web.service"].map { "/lib/systemd/system/" + $0 }
        let analyze = try Self.run([try TestTool.systemdAnalyze.path(), "verify"] + units)
        #expect(analyze.status == 0 && !analyze.text.contains("Unknown key") && !analyze.text.contains("Invalid"), "\(analyze.text)")
    }
}
