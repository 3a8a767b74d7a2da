import BanliAccounts
import BanliStore
import Foundation
import GRDB
import Testing

/// `banli user …` through the real binary: the accounts file the web workbench signs people in with.
@Suite struct UserCommandTests {
    let passwords = ["correct horse 马", "piped password 1", "admin's own pass", "a brand new password"]

    func cli() throws -> BanliProcess {
        let dir = try BanliProcess.temporaryDirectory()
        try "store = \"data/bureau.db\"\n".write(toFile: dir + "/banli.toml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        return BanliProcess(directory: dir, environment: ["BANLI_CONFIG": dir + "/banli.toml"])
    }

    /// The accounts file's bytes, with its write-ahead log when there is one.
    func fileBytes(_ path: String) -> Data {
        [path, path + "-wal"].compactMap { FileManager.default.contents(atPath: $0) }.reduce(Data(), +)
    }

    func passwordHash(_ path: String, _ name: String) throws -> String? {
        try DatabaseQueue(path: path).read { db in try String.fetchOne(db, sql: "SELECT passwordHash FROM web_user WHERE name = ?", arguments: [name]) }
    }

    @Test func addListDisableAndPasswdThroughTheBinary() throws {
        let cli = try cli()
        let web = cli.directory + "/data/web.db"
        try (passwords[0] + "\nsecond line is ignored\n").write(toFile: cli.directory + "/pw.txt", atomically: true, encoding: .utf8)
        var outputs: [String] = []
        @discardableResult func ok(_ args: [String], stdin: String? = nil) throws -> String {
            let r = try cli.run(args, stdin: stdin)
            #expect(r.status == 0, "banli \(args.joined(separator: " ")) failed: \(r.stderr)")
            outputs += [r.stdout, r.stderr]
            return r.stdout
        }

        // The default place is web.db beside the config's store, made mode 0600.
        try ok(["user", "add", "王芳", "--role", "clerk", "--password-file", "pw.txt"])
        #expect(FileManager.default.fileExists(atPath: web))
        #expect((try FileManager.default.attributesOfItem(atPath: web)[.posixPermissions] as? Int) == 0o600)
        try ok(["user", "add", "li", "--role", "viewer"], stdin: passwords[1] + "\n")
        try ok(["user", "add", "admin", "--role", "admin"], stdin: passwords[2])

        // A duplicate is refused and changes nothing.
        let hashBefore = try passwordHash(web, "王芳")
        let dup = try cli.run(["user", "add", "王芳", "--role", "admin"], stdin: "another long password\n")
        #expect(dup.status == 2 && dup.stderr.contains("王芳") && dup.stderr.split(separator: "\n").count == 1, "\(dup.stderr)")
        #expect(try passwordHash(web, "王芳") == hashBefore)

        // A short password is refused, with exit 2 and no row.
        let short = try cli.run(["user", "add", "zhao", "--role", "office"], stdin: "short\n")
        #expect(short.status == 2 && short.stderr.contains("10"), "\(short.stderr)")
        #expect(try passwordHash(web, "zhao") == nil)
        let badRole = try cli.run(["user", "add", "zhao", "--role", "boss"], stdin: "long enough password\n")
        #expect(badRole.status == 2 && badRole.stderr.contains("clerk"), "\(badRole.stderr)")

        let list = try ok(["user", "list"])
        let rows = list.split(separator: "\n").map(String.init)
        #expect(rows.count == 4 && rows[0].hasPrefix("账号"), "\(list)")
        #expect(rows[1].hasPrefix("admin") && rows[1].contains("admin 管理员") && rows[1].contains("正常"), "\(list)")
        #expect(rows[2].hasPrefix("li") && rows[2].contains("viewer 只读"), "\(list)")
        #expect(rows[3].hasPrefix("王芳") && rows[3].contains("clerk 承办人员"), "\(list)")

        try ok(["user", "disable", "li"])
        #expect(try ok(["user", "list"]).split(separator: "\n").first { $0.hasPrefix("li") }?.contains("已停用") == true)
        try ok(["user", "enable", "li"])
        #expect(try ok(["user", "list"]).split(separator: "\n").first { $0.hasPrefix("li") }?.contains("正常") == true)
        let unknown = try cli.run(["user", "disable", "nobody"])
        #expect(unknown.status == 2 && unknown.stderr.contains("nobody"), "\(unknown.stderr)")

        // passwd: a new hash in the file; the old password no longer lets anybody in.
        let accounts = Accounts(store: try AccountDatabase.open(at: web))
        guard case .signedIn(let token, _) = try accounts.logIn(name: "王芳", password: passwords[0], address: "10.0.0.1", now: 1000) else {
            Issue.record("the added password does not sign in")
            return
        }
        try ok(["user", "passwd", "王芳"], stdin: passwords[3] + "\n")
        #expect(try passwordHash(web, "王芳") != hashBefore)
        #expect(try accounts.logIn(name: "王芳", password: passwords[0], address: "10.0.0.2", now: 2000) == .refused)
        #expect(try accounts.session(token: token, now: 2000) == nil, "a new password ends the account's sessions")
        if case .signedIn = try accounts.logIn(name: "王芳", password: passwords[3], address: "10.0.0.3", now: 3000) {} else {
            Issue.record("the new password does not sign in")
        }
        let shortPasswd = try cli.run(["user", "passwd", "王芳"], stdin: "short\n")
        #expect(shortPasswd.status == 2)

        // No password in any output, nor anywhere in the file.
        let bytes = fileBytes(web)
        for p in passwords + ["another long password", "long enough password"] {
            #expect(!outputs.contains { $0.contains(p) } && !dup.stderr.contains(p) && !short.stderr.contains(p), "\(p) printed")
            #expect(bytes.range(of: Data(p.utf8)) == nil, "\(p) stored in clear")
        }
    }

    @Test func aShortPasswordWritesNoFileAtAll() throws {
        let cli = try cli()
        let r = try cli.run(["user", "add", "王芳", "--role", "clerk"], stdin: "123456789\n")
        #expect(r.status == 2 && !r.stderr.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/data/web.db"))
        let list = try cli.run(["user", "list"])
        #expect(list.status == 2 && list.stderr.contains("banli user add"), "\(list.stderr)")
    }

    @Test func theAccountsFileIsFoundFromTheConfigOrTheOption() throws {
        let cli = try cli()
        try "long enough password\n".write(toFile: cli.directory + "/pw", atomically: true, encoding: .utf8)
        // --accounts overrides the config.
        try cli.ok(["user", "add", "a", "--role", "clerk", "--password-file", "pw", "--accounts", "elsewhere.db"])
        #expect(FileManager.default.fileExists(atPath: cli.directory + "/elsewhere.db"))
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/data/web.db"))

        // [web] accounts in the office's hub.toml.
        try """
            store = "hub.db"
            [web]
            accounts = "office-web.db"
            """.write(toFile: cli.directory + "/hub.toml", atomically: true, encoding: .utf8)
        try cli.ok(["user", "add", "b", "--role", "office", "--password-file", "pw", "--config", "hub.toml"])
        #expect(try cli.ok(["user", "list", "--config", "hub.toml"]).contains("office 交办机关工作人员"))
        #expect(FileManager.default.fileExists(atPath: cli.directory + "/office-web.db"))

        // Several offices: beside the first [[hub]] entry's store, or --office's.
        for folder in ["zx", "county"] { try FileManager.default.createDirectory(atPath: cli.directory + "/" + folder, withIntermediateDirectories: true) }
        try """
            site = "jxj"
            [[hub]]
            office = "city-zx"
            url = "https://zx.example.gov.cn:8480"
            token_file = "zx.token"
            store = "zx/city.db"
            [[hub]]
            office = "county-zx"
            url = "https://county.example.gov.cn:8480"
            token_file = "county.token"
            store = "county/county.db"
            """.write(toFile: cli.directory + "/offices.toml", atomically: true, encoding: .utf8)
        try cli.ok(["user", "add", "c", "--role", "clerk", "--password-file", "pw", "--config", "offices.toml"])
        try cli.ok(["user", "add", "d", "--role", "viewer", "--password-file", "pw", "--config", "offices.toml", "--office", "county-zx"])
        #expect(try cli.ok(["user", "list", "--config", "offices.toml"]).contains("clerk 承办人员"))
        #expect(try cli.ok(["user", "list", "--config", "offices.toml", "--office", "county-zx"]).contains("viewer 只读"))
        for file in ["zx/web.db", "county/web.db"] { #expect(FileManager.default.fileExists(atPath: cli.directory + "/" + file), "\(file)") }

        // A PostgreSQL store has no folder: [web] accounts is required, and the error says so.
        try "store = \"postgresql://banli@db.example/banli\"\npassword_file = \"pw\"\n"
            .write(toFile: cli.directory + "/pg.toml", atomically: true, encoding: .utf8)
        let pg = try cli.run(["user", "list", "--config", "pg.toml"])
        #expect(pg.status == 2 && pg.stderr.contains("[web] accounts"), "\(pg.stderr)")

        // A store given as the accounts file is refused, and stays a store.
        _ = try Store.create(at: cli.directory + "/data/bureau.db", site: "jxj", name: "市经信局", hubSite: "hub", isHub: false)
        let wrong = try cli.run(["user", "list", "--accounts", "data/bureau.db"])
        #expect(wrong.status == 2 && wrong.stderr.contains("not a Banli accounts file"), "\(wrong.stderr)")
    }
}
