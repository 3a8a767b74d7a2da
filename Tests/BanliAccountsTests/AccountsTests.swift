import BanliAccounts
import BanliCore
import BanliSecrets
import Testing

/// The workbench's accounts: who gets in, for how long, and who is kept out.
@Suite struct AccountsTests {
    let t0: UInt64 = 1_764_547_200_000
    let minute: UInt64 = 60_000

    func accounts(_ store: MemoryAccountStore = MemoryAccountStore()) throws -> Accounts {
        let a = Accounts(store: store)
        try a.addUser("王芳", role: .clerk, password: "correct horse", now: t0)
        return a
    }

    func signIn(_ a: Accounts, _ name: String = "王芳", _ password: String = "correct horse", address: String = "10.0.0.1",
                at now: UInt64) throws -> (String, WebSession) {
        guard case .signedIn(let token, let session) = try a.logIn(name: name, password: password, address: address, now: now) else {
            Issue.record("\(name) could not sign in")
            throw BanliError(.unauthorized, "not signed in")
        }
        return (token, session)
    }

    @Test func rolesAndTheirLabels() throws {
        #expect(WebRole.allCases.filter(\.canWrite) == [.clerk, .office, .admin])
        #expect(WebRole.allCases.map(\.label) == ["承办人员", "只读", "交办机关工作人员", "管理员"])
        #expect(try WebRole(parsing: "viewer") == .viewer && WebRole(parsing: "管理员") == .admin)
        let e = #expect(throws: BanliError.self) { try WebRole(parsing: "boss") }
        #expect(e?.exitCode == 2 && e?.message.contains("clerk") == true)
    }

    @Test func signInGivesASessionWithTokensAndTheSessionIsFoundByToken() throws {
        let a = try accounts()
        let (token, session) = try signIn(a, at: t0 + minute)
        #expect(token.count == 64 && session.csrfToken.count == 64 && token != session.csrfToken)
        #expect(session.user.name == "王芳" && session.user.role == .clerk && session.createdAt == t0 + minute)
        let found = try #require(try a.session(token: token, now: t0 + 2 * minute))
        #expect(found.user == session.user && found.csrfToken == session.csrfToken && found.lastSeenAt == t0 + 2 * minute)
        #expect(try a.session(token: String(repeating: "0", count: 64), now: t0 + 2 * minute) == nil)
        #expect(try a.session(token: "not a token", now: t0 + 2 * minute) == nil)
        try a.logOut(token: token)
        #expect(try a.session(token: token, now: t0 + 3 * minute) == nil)
    }

    @Test func theStoreKeepsOnlyTheTokensHash() throws {
        let store = MemoryAccountStore()
        let a = try accounts(store)
        let (token, _) = try signIn(a, at: t0)
        let rows = store.rows.withLock { Array($0.sessions.values) }
        #expect(rows.count == 1 && rows[0].tokenHash == Digest.tokenHash(token) && rows[0].tokenHash != token)
        #expect(try store.user(named: "王芳")?.passwordHash.contains("correct horse") == false)
    }

    @Test func idleExpiryEndsAQuietSessionAndUseKeepsItAlive() throws {
        let a = try accounts()
        let (token, _) = try signIn(a, at: t0)
        // Used every 29 minutes, it lives on past the idle limit…
        for k in 1...4 { #expect(try a.session(token: token, now: t0 + UInt64(29 * k) * minute) != nil) }
        // …and 31 quiet minutes end it, for good.
        #expect(try a.session(token: token, now: t0 + (29 * 4 + 31) * minute) == nil)
        #expect(try a.session(token: token, now: t0 + (29 * 4 + 32) * minute) == nil)
    }

    @Test func absoluteExpiryEndsEvenABusySession() throws {
        let a = Accounts(store: MemoryAccountStore(), policy: SessionPolicy(idleSeconds: 1800, absoluteSeconds: 3600))
        try a.addUser("li", role: .viewer, password: "0123456789", now: t0)
        let (token, _) = try signIn(a, "li", "0123456789", at: t0)
        for k in 1...6 { #expect(try a.session(token: token, now: t0 + UInt64(10 * k) * minute) != nil) }
        #expect(try a.session(token: token, now: t0 + 61 * minute) == nil)
    }

    @Test func sessionPolicyIsLiveAtItsEdges() {
        let p = SessionPolicy(idleSeconds: 60, absoluteSeconds: 600)
        #expect(p.isLive(createdAt: 0, lastSeenAt: 0, now: 60_000))
        #expect(!p.isLive(createdAt: 0, lastSeenAt: 0, now: 60_001))
        #expect(p.isLive(createdAt: 0, lastSeenAt: 590_000, now: 600_000))
        #expect(!p.isLive(createdAt: 0, lastSeenAt: 590_000, now: 600_001))
        // A clock that stepped back does not end a session.
        #expect(p.isLive(createdAt: 10_000, lastSeenAt: 10_000, now: 5000))
    }

    @Test func unknownNameWrongPasswordAndDisabledAccountGetTheSameRefusal() throws {
        let a = try accounts()
        try a.addUser("zhao", role: .office, password: "zhao's password", now: t0)
        try a.setDisabled("zhao", true)
        #expect(try a.logIn(name: "nobody", password: "correct horse", address: "10.0.0.1", now: t0) == .refused)
        #expect(try a.logIn(name: "王芳", password: "wrong horse!", address: "10.0.0.2", now: t0) == .refused)
        #expect(try a.logIn(name: "zhao", password: "zhao's password", address: "10.0.0.3", now: t0) == .refused)
        #expect(try a.logIn(name: "bad name\n", password: "zhao's password", address: "10.0.0.4", now: t0) == .refused)
    }

    @Test func disablingEndsSessionsAndEnablingLetsTheUserBackIn() throws {
        let store = MemoryAccountStore()
        let a = try accounts(store)
        let (token, _) = try signIn(a, at: t0)
        try a.setDisabled("王芳", true)
        #expect(try a.session(token: token, now: t0 + minute) == nil && store.sessionCount == 0)
        #expect(try a.users().first?.disabled == true)
        try a.setDisabled("王芳", false)
        #expect(try a.session(token: token, now: t0 + minute) == nil)
        _ = try signIn(a, at: t0 + minute)
    }

    @Test func aSessionOfAnAccountDisabledBehindItsBackEndsAtItsNextUse() throws {
        let store = MemoryAccountStore()
        let a = try accounts(store)
        let (token, _) = try signIn(a, at: t0)
        // Another process disabled the account without ending sessions (an older version, a hand edit).
        _ = try store.updateUser(named: "王芳", passwordHash: nil, disabled: true, endingSessions: false)
        #expect(try a.session(token: token, now: t0 + minute) == nil && store.sessionCount == 0)
    }

    @Test func aLoginClearsSessionsNobodyCameBackTo() throws {
        let store = MemoryAccountStore()
        let a = try accounts(store)
        _ = try signIn(a, at: t0)
        _ = try signIn(a, at: t0 + 20 * minute)
        #expect(store.sessionCount == 2)
        // 31 minutes after the first session's last use, a new login removes it; the second is still live.
        _ = try signIn(a, at: t0 + 31 * minute)
        #expect(store.sessionCount == 2)
    }

    @Test func passwordChangeEndsSessionsAndOnlyTheNewPasswordWorks() throws {
        let store = MemoryAccountStore()
        let a = try accounts(store)
        let (first, _) = try signIn(a, at: t0)
        let (second, _) = try signIn(a, address: "10.0.0.9", at: t0 + 1)
        try a.addUser("other", role: .viewer, password: "other's password", now: t0)
        let (others, _) = try signIn(a, "other", "other's password", at: t0 + 2)
        try a.setPassword("王芳", password: "battery staple", now: t0 + minute)
        #expect(try a.session(token: first, now: t0 + minute) == nil && a.session(token: second, now: t0 + minute) == nil)
        #expect(try a.session(token: others, now: t0 + minute) != nil)
        #expect(try a.logIn(name: "王芳", password: "correct horse", address: "10.0.0.1", now: t0 + 2 * minute) == .refused)
        _ = try signIn(a, "王芳", "battery staple", at: t0 + 2 * minute)
    }

    @Test func badNamesShortPasswordsAndDuplicatesAreRefusedAndWriteNothing() throws {
        let store = MemoryAccountStore()
        let a = try accounts(store)
        for name in ["", "two words", "tab\there", "new\nline", "zero\u{200B}width", String(repeating: "名", count: 65)] {
            let e = #expect(throws: BanliError.self) { try a.addUser(name, role: .clerk, password: "long enough pw", now: t0) }
            #expect(e?.exitCode == 2, "\(name)")
        }
        try a.addUser(String(repeating: "名", count: 64), role: .clerk, password: "long enough pw", now: t0)
        let short = #expect(throws: BanliError.self) { try a.addUser("short", role: .clerk, password: "123456789", now: t0) }
        #expect(short?.exitCode == 2 && short?.message.contains("10") == true)
        let dup = #expect(throws: BanliError.self) { try a.addUser("王芳", role: .admin, password: "another password", now: t0) }
        #expect(dup?.exitCode == 2)
        #expect(try a.users().map(\.name) == [String(repeating: "名", count: 64), "王芳"].sorted())
        #expect(try a.users().first { $0.name == "王芳" }?.role == .clerk)
        #expect(throws: BanliError.self) { try a.setPassword("王芳", password: "short", now: t0) }
        _ = try signIn(a, at: t0)
        let unknown = #expect(throws: BanliError.self) { try a.setPassword("nobody", password: "long enough pw", now: t0) }
        #expect(unknown?.exitCode == 2)
        #expect(throws: BanliError.self) { try a.setDisabled("nobody", true) }
    }

    @Test func usersAreSortedByName() throws {
        let a = Accounts(store: MemoryAccountStore())
        for n in ["zhang", "an", "李四", "bo"] { try a.addUser(n, role: .viewer, password: "0123456789", now: t0) }
        #expect(try a.users().map(\.name) == ["an", "bo", "zhang", "李四"])
    }

    @Test func fiveFailuresLockTheAccountFromAnyAddressWithoutCheckingThePassword() throws {
        let a = try accounts()
        for k in 0..<5 {
            #expect(try a.logIn(name: "王芳", password: "guess \(k)", address: "10.0.1.\(k)", now: t0 + UInt64(k) * 1000) == .refused)
        }
        // Locked: even the right password, from a new address, is not looked at.
        let locked = try a.logIn(name: "王芳", password: "correct horse", address: "10.9.9.9", now: t0 + 5000)
        #expect(locked == .throttled(retryAfterSeconds: 899))
        // Another account is not locked.
        try a.addUser("other", role: .viewer, password: "other's password", now: t0)
        _ = try signIn(a, "other", "other's password", address: "10.9.9.9", at: t0 + 5000)
        // When the lock ends, the right password works, and the failures are forgotten.
        _ = try signIn(a, at: t0 + 4000 + 900_000)
        for k in 0..<4 {
            #expect(try a.logIn(name: "王芳", password: "guess", address: "10.0.2.1", now: t0 + 901_000 + UInt64(k)) == .refused)
        }
        _ = try signIn(a, at: t0 + 902_000)
    }

    @Test func anUnknownNameLocksLikeAKnownOneSoLocksRevealNothing() throws {
        let a = try accounts()
        for k in 0..<5 {
            #expect(try a.logIn(name: "ghost", password: "guess", address: "10.0.3.\(k)", now: t0 + UInt64(k)) == .refused)
        }
        #expect(try a.logIn(name: "ghost", password: "guess", address: "10.0.3.9", now: t0 + 10) == .throttled(retryAfterSeconds: 900))
    }

    @Test func twentyFailuresLockTheAddressForEveryName() throws {
        let a = try accounts()
        for k in 0..<20 {
            #expect(try a.logIn(name: "user\(k)", password: "guess", address: "192.0.2.7", now: t0 + UInt64(k) * 1000) == .refused)
        }
        #expect(try a.logIn(name: "王芳", password: "correct horse", address: "192.0.2.7", now: t0 + 20_000)
                == .throttled(retryAfterSeconds: 899))
        // Another address is free.
        _ = try signIn(a, address: "192.0.2.8", at: t0 + 20_000)
        // A success elsewhere does not clear the address's failures.
        #expect(try a.logIn(name: "王芳", password: "correct horse", address: "192.0.2.7", now: t0 + 21_000)
                == .throttled(retryAfterSeconds: 898))
    }
}

/// The throttle policy alone, step by step.
@Suite struct LoginThrottleTests {
    let p = LoginThrottle(accountLimit: 3, addressLimit: 5, windowSeconds: 60, lockSeconds: 120)

    @Test func defaultsAreFiveAndTwentyInFifteenMinutes() {
        let d = LoginThrottle()
        #expect(d.accountLimit == 5 && d.addressLimit == 20 && d.windowSeconds == 900 && d.lockSeconds == 900 && d.horizonSeconds == 1800)
    }

    @Test func accountLocksAtItsLimitWithinTheWindowAndUnlocksOnTime() {
        #expect(p.decide(accountFailures: [], addressFailures: [], now: 0) == .allowed)
        #expect(p.decide(accountFailures: [1000, 2000], addressFailures: [], now: 3000) == .allowed)
        // The third failure within 60 s locks for 120 s from that failure.
        #expect(p.decide(accountFailures: [1000, 2000, 30_000], addressFailures: [], now: 30_000) == .retryAfter(seconds: 120))
        #expect(p.decide(accountFailures: [30_000, 1000, 2000], addressFailures: [], now: 100_500) == .retryAfter(seconds: 50))
        #expect(p.decide(accountFailures: [1000, 2000, 30_000], addressFailures: [], now: 149_999) == .retryAfter(seconds: 1))
        #expect(p.decide(accountFailures: [1000, 2000, 30_000], addressFailures: [], now: 150_000) == .allowed)
    }

    @Test func failuresSpreadWiderThanTheWindowDoNotLock() {
        #expect(p.decide(accountFailures: [0, 30_000, 60_001], addressFailures: [], now: 60_001) == .allowed)
        #expect(p.decide(accountFailures: [0, 30_000, 60_000], addressFailures: [], now: 60_000) == .retryAfter(seconds: 120))
        // Three failures spread out, then two close to the third: the latest run of three sets the lock.
        #expect(p.decide(accountFailures: [0, 100_000, 200_000, 210_000, 220_000], addressFailures: [], now: 230_000)
                == .retryAfter(seconds: 110))
    }

    @Test func addressLocksAtItsOwnLimitAndTheLongerLockWins() {
        let four: [UInt64] = [1000, 2000, 3000, 4000]
        #expect(p.decide(accountFailures: [], addressFailures: four, now: 5000) == .allowed)
        #expect(p.decide(accountFailures: [], addressFailures: four + [5000], now: 5000) == .retryAfter(seconds: 120))
        #expect(p.decide(accountFailures: [1000, 2000, 3000], addressFailures: four + [50_000], now: 50_000) == .retryAfter(seconds: 120))
        #expect(p.decide(accountFailures: [10_000, 20_000, 60_000], addressFailures: four + [5000], now: 60_000) == .retryAfter(seconds: 120))
    }
}
