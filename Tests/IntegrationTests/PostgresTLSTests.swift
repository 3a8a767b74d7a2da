import BanliCore
import Foundation
import Testing
import TestSupport

/// TLS between the hub and its database, through the real binary: a server of the test's own with `ssl=on` and a
/// pg_hba.conf that takes TCP logins only over TLS (`hostssl`), and certificates made with openssl in the test.
@Suite(.serialized) struct PostgresTLSTests {
    /// A hub with unit jxj and one item in a database of a TLS-only server; the PKI (TLSTests' CA in ca.pem, an unrelated
    /// CA in other-ca.pem) is in the cluster's folder. The server's certificate, signed by ca.pem, names localhost and
    /// 127.0.0.1; the server also listens on 127.0.0.2, an address the certificate does not hold.
    func setUp() throws -> (PostgresHubCluster, PostgresServer, port: Int) {
        _ = try TestTool.openssl.path()  // fails the test, with how to install it, before any setup
        let pki = try BanliProcess.temporaryDirectory()
        let tls = TLSTests()
        try tls.makePKI(pki)
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: pki + "/db.ext", atomically: true, encoding: .utf8)
        try tls.openssl(pki, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "db.key", "-out", "db.csr", "-subj", "/CN=localhost"])
        try tls.openssl(pki, ["x509", "-req", "-in", "db.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "db.pem",
                              "-days", "2", "-extfile", "db.ext"])
        let port = freePort()
        let server = try PostgresServer(
            tcpPort: port, settings: ["ssl=on", "ssl_cert_file=server.pem", "ssl_key_file=server.key", "listen_addresses=127.0.0.1,127.0.0.2"],
            files: ["server.pem": pki + "/db.pem", "server.key": pki + "/db.key"],
            hba: ["local all all trust", "hostssl all all 127.0.0.0/8 trust", "hostssl all all ::1/128 trust"])
        try server.start()
        // Set up through the Unix socket (hub.toml); the tests reach the database over TCP with their own configs.
        let c = try PostgresHubCluster(server: server, units: ["jxj"])
        for file in ["ca.pem", "other-ca.pem"] { try FileManager.default.copyItem(atPath: pki + "/" + file, toPath: c.dir + "/" + file) }
        try c.hub(["item", "new", "zx-2025-70", "--kind", "proposal", "--number", "70", "--year", "2025", "--title", "提案70"])
        try c.hub(["item", "assign", "zx-2025-70", "jxj", "--role", "lead"])
        return (c, server, port)
    }

    /// Writes `NAME.toml` whose store is the cluster's database on `host`, over TCP, with `query` after the database name.
    func config(_ c: PostgresHubCluster, _ name: String, host: String, port: Int, _ query: String) throws {
        try "store = \"postgresql://\(c.server.user)@\(host):\(port)/\(c.database)\(query)\"\nkey_file = \"\(c.dir)/hub.key\"\n"
            .write(toFile: c.dir + "/\(name).toml", atomically: true, encoding: .utf8)
    }

    @Test func requireEncryptsAndVerifyFullTrustsTheOfficesOwnCA() throws {
        let (c, server, port) = try setUp()
        defer { try? server.stop() }
        try config(c, "require", host: "127.0.0.1", port: port, "?sslmode=require")
        let hubPort = freePort()
        try c.startHub(port: hubPort, config: "require.toml")
        defer { c.stopHub(hubPort) }
        try c.bureau("jxj", ports: [hubPort])
        try c.cli.ok(["sync", "--store", "jxj.db"])
        #expect(try c.line("jxj", containing: "提案70"))
        // Every TCP session of the hub process is encrypted, as the server itself reports.
        let sessions = try server.psql(database: "postgres", sql: """
            SELECT count(*) FILTER (WHERE s.ssl) || ',' || count(*) FILTER (WHERE NOT s.ssl) FROM pg_stat_ssl s
            JOIN pg_stat_activity a USING (pid) WHERE a.datname = '\(c.database)' AND a.client_addr IS NOT NULL
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        let counts = sessions.split(separator: ",").compactMap { Int($0) }
        #expect(counts.count == 2 && counts[0] >= 1 && counts[1] == 0, "encrypted,plain sessions: \(sessions)")

        // verify-full with the office's CA in sslrootcert, and a name, or an address, that the certificate holds.
        try config(c, "verify", host: "localhost", port: port, "?sslmode=verify-full&sslrootcert=ca.pem")
        try c.cli.ok(["--config", "verify.toml", "item", "set", "zx-2025-70", "title", "关于加强校园安全的提案"])
        try config(c, "verifyip", host: "127.0.0.1", port: port, "?sslmode=verify-full&sslrootcert=ca.pem")
        #expect(try c.cli.ok(["--config", "verifyip.toml", "item", "show", "zx-2025-70"]).contains("关于加强校园安全的提案"))
        try c.cli.ok(["sync", "--store", "jxj.db"])
        #expect(try c.line("jxj", containing: "关于加强校园安全的提案"))
    }

    @Test func anUntrustedServerAPlainLoginAndABadCAFileAreRefusedInOneSentence() throws {
        let (c, server, port) = try setUp()
        defer { try? server.stop() }
        let before = try c.hub(["dump", "--json"])
        /// Runs `item set` through `name`.toml: it must fail with one sentence holding every one of `phrases`.
        func refused(_ name: String, _ phrases: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
            let r = try c.cli.run(["--config", "\(name).toml", "item", "set", "zx-2025-70", "title", "不该写入"])
            let sentence = r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            // The sentence follows the config file's line ("NAME.toml line 1, key 'store': "), its first letter lowered.
            #expect(r.status != 0 && !sentence.contains("\n") && phrases.allSatisfy { sentence.lowercased().contains($0.lowercased()) },
                    "\(name): \(r.stderr)",
                    sourceLocation: sourceLocation)
        }
        // A certificate signed by another authority than sslrootcert's.
        try config(c, "wrongca", host: "localhost", port: port, "?sslmode=verify-full&sslrootcert=other-ca.pem")
        try refused("wrongca", ["TLS handshake with the database", "not signed by an authority in other-ca.pem"])
        // The system's roots (no sslrootcert) do not know the office's CA either.
        try config(c, "systemroots", host: "localhost", port: port, "?sslmode=verify-full")
        try refused("systemroots", ["TLS handshake with the database", "not signed by an authority the system trusts", "sslrootcert"])
        // The right authority, but an address the certificate does not hold.
        try config(c, "wronghost", host: "127.0.0.2", port: port, "?sslmode=verify-full&sslrootcert=ca.pem")
        try refused("wronghost", ["TLS handshake with the database", "does not name the host 127.0.0.2"])
        // No TLS to a server whose pg_hba.conf takes TCP logins only over TLS.
        try config(c, "plain", host: "127.0.0.1", port: port, "")
        try refused("plain", ["refused the login", "no encryption", "pg_hba.conf"])
        // A CA file that is missing, or not PEM; and sslrootcert without verify-full.
        try config(c, "missing", host: "localhost", port: port, "?sslmode=verify-full&sslrootcert=absent.pem")
        try refused("missing", ["Cannot read the CA file absent.pem (sslrootcert"])
        try "not a certificate\n".write(toFile: c.dir + "/junk.pem", atomically: true, encoding: .utf8)
        try config(c, "junk", host: "localhost", port: port, "?sslmode=verify-full&sslrootcert=junk.pem")
        try refused("junk", ["The CA file junk.pem (sslrootcert", "holds no PEM certificate"])
        try config(c, "requireroot", host: "localhost", port: port, "?sslmode=require&sslrootcert=ca.pem")
        try refused("requireroot", ["sslrootcert applies only with sslmode=verify-full"])
        #expect(try c.hub(["dump", "--json"]) == before, "nothing was written")
    }

    @Test func sslmodeRequireToAServerWithoutTLSSaysSo() throws {
        let port = freePort()
        let server = try PostgresServer(tcpPort: port)
        try server.start()
        defer { try? server.stop() }
        let c = try PostgresHubCluster(server: server, units: ["jxj"])
        try config(c, "require", host: "127.0.0.1", port: port, "?sslmode=require")
        let r = try c.cli.run(["--config", "require.toml", "hub", "status"])
        #expect(r.status != 0 && r.stderr.contains("does not offer TLS (sslmode=require); turn ssl on in its postgresql.conf")
                && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
