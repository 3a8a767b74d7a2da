import BanliAccounts
import BanliCore
import BanliSecrets
import BanliStore
import Foundation
import GRDB
import Testing

/// The web accounts file: private, durable, shared by processes, and never mistaken for a store.
@Suite struct AccountDatabaseTests {
    let t0: UInt64 = 1_764_547_200_000

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func theFileIsPrivateAndItsRowsSurviveReopening() throws {
        let path = try temporaryDirectory() + "/web.db"
        let accounts = Accounts(store: try AccountDatabase.open(at: path))
        try accounts.addUser("王芳", role: .clerk, password: "correct horse", now: t0)
        try accounts.addUser("li", role: .admin, password: "battery staple", now: t0 + 1)
        try accounts.setDisabled("li", true)
        guard case .signedIn(let token, _) = try accounts.logIn(name: "王芳", password: "correct horse", address: "10.0.0.1", now: t0) else {
            Issue.record("could not sign in")
            return
        }
        #expect(try mode(path) == 0o600)
        for extra in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + extra) {
            #expect(try mode(path + extra) == 0o600, "\(extra)")
        }
        // A second process (another open of the file) sees everything.
        let again = Accounts(store: try AccountDatabase.open(at: path))
        #expect(try again.users() == [WebUser(name: "li", role: .admin, disabled: true, createdAt: t0 + 1),
                                      WebUser(name: "王芳", role: .clerk, disabled: false, createdAt: t0)])
        #expect(try again.session(token: token, now: t0 + 1000)?.user.name == "王芳")
        try again.logOut(token: token)
        #expect(try accounts.session(token: token, now: t0 + 2000) == nil)
    }

    @Test func sessionsAreKeptByTheTokensHashOnly() throws {
        let path = try temporaryDirectory() + "/web.db"
        let db = try AccountDatabase.open(at: path)
        let accounts = Accounts(store: db)
        try accounts.addUser("王芳", role: .clerk, password: "correct horse", now: t0)
        guard case .signedIn(let token, let session) = try accounts.logIn(name: "王芳", password: "correct horse", address: "a", now: t0) else {
            Issue.record("could not sign in")
            return
        }
        let stored = try #require(try db.session(tokenHash: Digest.tokenHash(token)))
        #expect(stored.userName == "王芳" && stored.csrfToken == session.csrfToken && stored.createdAt == t0)
        #expect(try db.session(tokenHash: token) == nil)
        // Neither the token nor the password is anywhere in the file.
        try DatabaseQueue(path: path).read { d in
            let rows = try Row.fetchAll(d, sql: "SELECT * FROM web_session").map(\.description)
                + Row.fetchAll(d, sql: "SELECT * FROM web_user").map(\.description)
            #expect(!rows.contains { $0.contains(token) || $0.contains("correct horse") })
        }
    }

    @Test func everyRowKindRoundTrips() throws {
        let db = try AccountDatabase.open(at: try temporaryDirectory() + "/web.db")
        let user = StoredUser(user: WebUser(name: "zhao", role: .office, createdAt: t0), passwordHash: "h1")
        #expect(try db.insertUser(user) && !db.insertUser(user))
        #expect(try db.user(named: "zhao") == user && db.user(named: "nobody") == nil)
        #expect(try db.updateUser(named: "zhao", passwordHash: "h2", disabled: nil, endingSessions: false))
        #expect(try db.user(named: "zhao")?.passwordHash == "h2" && db.user(named: "zhao")?.user.disabled == false)
        #expect(try !db.updateUser(named: "nobody", passwordHash: "h3", disabled: true, endingSessions: true))

        try db.insertSession(StoredSession(tokenHash: "s1", userName: "zhao", csrfToken: "c1", createdAt: t0, lastSeenAt: t0))
        try db.insertSession(StoredSession(tokenHash: "s2", userName: "zhao", csrfToken: "c2", createdAt: t0 - 10, lastSeenAt: t0 - 10))
        try db.touchSession(tokenHash: "s1", at: t0 + 5)
        try db.touchSession(tokenHash: "s1", at: t0 + 1)  // never moves back
        #expect(try db.session(tokenHash: "s1")?.lastSeenAt == t0 + 5)
        try db.deleteSessions(lastSeenBefore: t0, createdBefore: 0)
        #expect(try db.session(tokenHash: "s2") == nil && db.session(tokenHash: "s1") != nil)
        #expect(try db.updateUser(named: "zhao", passwordHash: nil, disabled: true, endingSessions: true))
        #expect(try db.session(tokenHash: "s1") == nil && db.user(named: "zhao")?.user.disabled == true)

        try db.recordFailure(account: "zhao", address: "10.0.0.1", at: t0)
        try db.recordFailure(account: nil, address: "10.0.0.1", at: t0 + 1)
        try db.recordFailure(account: "zhao", address: "10.0.0.2", at: t0 + 2)
        var recent = try db.recentFailures(account: "zhao", address: "10.0.0.1", since: t0)
        #expect(recent.account.sorted() == [t0, t0 + 2] && recent.address.sorted() == [t0, t0 + 1])
        // Older failures are pruned as they age out.
        recent = try db.recentFailures(account: "zhao", address: "10.0.0.1", since: t0 + 1)
        #expect(recent.account == [t0 + 2] && recent.address == [t0 + 1])
        #expect(try db.recentFailures(account: "zhao", address: "10.0.0.1", since: 0).account == [t0 + 2])
        try db.clearFailures(account: "zhao")
        recent = try db.recentFailures(account: "zhao", address: "10.0.0.2", since: 0)
        #expect(recent.account.isEmpty && recent.address.isEmpty)
    }

    @Test func aStoreOrAnyOtherFileIsRefusedInOneSentenceAndLeftAlone() throws {
        let dir = try temporaryDirectory()
        _ = try Store.create(at: dir + "/bureau.db", site: "jxj", name: "市经信局", hubSite: "hub", isHub: false)
        let e = #expect(throws: BanliError.self) { try AccountDatabase.open(at: dir + "/bureau.db") }
        #expect(e?.message.contains("not a Banli accounts file") == true && e?.message.contains("[web] accounts") == true, "\(e?.message ?? "")")
        #expect(e?.message.contains("\n") == false && e?.exitCode == 2)
        let tables = try DatabaseQueue(path: dir + "/bureau.db").read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name LIKE 'web_%' OR name LIKE 'login_%'")
        }
        #expect(tables.isEmpty, "\(tables)")
        #expect(try Store.open(at: dir + "/bureau.db").info.site == "jxj")

        try "not a database at all, just text\n".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        let text = #expect(throws: BanliError.self) { try AccountDatabase.open(at: dir + "/notes.txt") }
        #expect(text?.message.contains("not a Banli accounts file") == true, "\(text?.message ?? "")")

        let missing = #expect(throws: BanliError.self) { try AccountDatabase.open(at: dir + "/no/such/folder/web.db") }
        #expect(missing?.message.contains("mkdir -p") == true)
    }
}
