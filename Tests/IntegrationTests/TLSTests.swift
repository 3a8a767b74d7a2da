import BanliCore
import Foundation
import Testing

/// Native TLS on the hub, with a throwaway CA made in the test (openssl).
@Suite(.serialized) struct TLSTests {
    /// Runs openssl in `dir`.
    func openssl(_ dir: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try TestTool.openssl.path())
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "openssl \(args.joined(separator: " "))")
    }

    /// A CA, a hub certificate for 127.0.0.1 and a client certificate for jxj, and an unrelated CA.
    func makePKI(_ dir: String) throws {
        try openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Banli Test CA"])
        try openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "2",
                          "-subj", "/CN=Other CA"])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: dir + "/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: dir + "/client.ext", atomically: true, encoding: .utf8)
        for (name, ext) in [("hub", "server.ext"), ("client", "client.ext")] {
            try openssl(dir, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)"])
            try openssl(dir, ["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                              "-out", "\(name).pem", "-days", "2", "-extfile", ext])
        }
    }

    @Test func bureauVerifiesTheHubAndMutualTLSWorks() throws {
        _ = try TestTool.openssl.path()  // fails the test, with how to install it, before any setup
        let c = try Cluster(units: ["jxj"], hubConfig: "[tls]\ncert_file = \"hub.pem\"\nkey_file = \"hub.key\"\nclient_ca_file = \"ca.pem\"\n")
        try makePKI(c.dir)
        let https = "https://127.0.0.1:\(c.port)"
        try c.cli.ok(["item", "new", "rd-2025-39", "--kind", "建议", "--number", "39", "--year", "2025", "--title", "建议39", "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "rd-2025-39", "jxj", "--role", "主办", "--store", "hub.db"])
        c.startHubWithoutWaiting()
        defer { c.stopHub() }
        // No plain /healthz to poll on a TLS listener: wait for the hub's own start line.
        #expect(c.waitFor(timeout: 30) { c.hubLog().contains("sync (TLS)") } != nil, "\(c.hubLog())")

        func config(_ name: String, _ tls: String) throws {
            try "site = \"jxj\"\nhub_url = \"\(https)\"\ntoken_file = \"jxj.token\"\n[tls]\n\(tls)"
                .write(toFile: c.dir + "/\(name).toml", atomically: true, encoding: .utf8)
        }
        // Verified hub and a client certificate: works.
        try config("good", "ca_file = \"ca.pem\"\nclient_cert = \"client.pem\"\nclient_key = \"client.key\"\n")
        let ok = try c.cli.run(["--config", "good.toml", "sync", "--store", "jxj.db"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try c.value("jxj", "item/rd-2025-39", "title") == .string("建议39"))
        // The wrong CA: one clear sentence.
        try config("wrongca", "ca_file = \"other-ca.pem\"\nclient_cert = \"client.pem\"\nclient_key = \"client.key\"\n")
        let wrong = try c.cli.run(["--config", "wrongca.toml", "sync", "--store", "jxj.db"])
        #expect(wrong.status != 0 && wrong.stderr.hasPrefix("banli: TLS with the hub at \(https) failed") && wrong.stderr.contains("other-ca.pem"),
                "\(wrong.stderr)")
        #expect(wrong.stderr.split(separator: "\n").count == 1)
        // No client certificate while the hub requires one: refused.
        try config("nocert", "ca_file = \"ca.pem\"\n")
        let nocert = try c.cli.run(["--config", "nocert.toml", "sync", "--store", "jxj.db"])
        #expect(nocert.status != 0, "mutual TLS requires the client certificate")
        // http:// to the TLS listener: the hub closes without a word, and the sentence says what may be wrong.
        let plain = try c.cli.run(["sync", "--store", "jxj.db", "--hub-url", "http://127.0.0.1:\(c.port)"])
        #expect(plain.status == 3 && plain.stderr.hasPrefix("banli: The hub at http://127.0.0.1:\(c.port) closed the connection without an answer")
                && plain.stderr.contains("if the hub serves TLS, use https:// in hub_url"), "\(plain.stderr)")
    }

    @Test func badCertificatePathIsAClearError() throws {
        let c = try Cluster(units: ["jxj"], hubConfig: "[tls]\ncert_file = \"missing.pem\"\nkey_file = \"missing.key\"\n")
        let r = try c.cli.run(["--config", "hub.toml", "hub", "serve", "--store", "hub.db",
                               "--listen", "127.0.0.1:\(c.port)", "--admin-listen", "127.0.0.1:\(c.adminPort)"])
        #expect(r.status != 0 && r.stderr.contains("Cannot load the TLS certificate missing.pem"), "\(r.stderr)")
    }
}
