import BanliCore
import BanliSecrets

/// The web workbench's accounts and sessions: the rules, over an `AccountStore` that only keeps rows.
public final class Accounts: Sendable {
    let store: any AccountStore
    /// Idle and absolute expiry of sessions.
    public let policy: SessionPolicy
    /// When failed logins lock an account or an address.
    public let throttle: LoginThrottle

    /// The shortest password accepted.
    public static let minimumPasswordLength = 10
    /// The longest login name accepted.
    public static let maximumNameLength = 64

    /// Creates the accounts over `store`.
    public init(store: any AccountStore, policy: SessionPolicy = .init(), throttle: LoginThrottle = .init()) {
        self.store = store
        self.policy = policy
        self.throttle = throttle
    }

    /// Adds an account; refuses a bad name, a short password or a name already taken, writing nothing.
    public func addUser(_ name: String, role: WebRole, password: String, now: UInt64) throws {
        try Self.checkName(name)
        try Self.checkPassword(password)
        let stored = StoredUser(user: WebUser(name: name, role: role, disabled: false, createdAt: now), passwordHash: PasswordHash.make(password))
        guard try store.insertUser(stored) else {
            throw BanliError(.invalidValue, "已有名为“\(name)”的账号；请换一个名字，或用 'banli user passwd' 修改它的密码。")
        }
    }

    /// Sets an account's password and ends its sessions (whoever knew the old one is signed out).
    public func setPassword(_ name: String, password: String, now: UInt64) throws {
        try Self.checkPassword(password)
        guard try store.updateUser(named: name, passwordHash: PasswordHash.make(password), disabled: nil, endingSessions: true) else {
            throw Self.unknownUser(name)
        }
    }

    /// Disables or enables an account; disabling ends its sessions.
    public func setDisabled(_ name: String, _ disabled: Bool) throws {
        guard try store.updateUser(named: name, passwordHash: nil, disabled: disabled, endingSessions: disabled) else {
            throw Self.unknownUser(name)
        }
    }

    /// The account named `name`, or nil.
    public func user(named name: String) throws -> WebUser? {
        try store.user(named: name)?.user
    }

    /// Every account, sorted by name.
    public func users() throws -> [WebUser] {
        try store.allUsers().map(\.user).sorted { $0.name < $1.name }
    }

    /// Checks a login. Throttled attempts are answered before the password is looked at; an unknown name costs one
    /// password check too, and gets the same `.refused` as a wrong password or a disabled account.
    public func logIn(name: String, password: String, address: String, now: UInt64) throws -> LoginResult {
        // Only well-formed names get a row of failures: anything else cannot be an account.
        let account = (try? Self.checkName(name)) != nil ? name : nil
        let recent = try store.recentFailures(account: account, address: address, since: Self.before(now, seconds: throttle.horizonSeconds))
        if case .retryAfter(let seconds) = throttle.decide(accountFailures: recent.account, addressFailures: recent.address, now: now) {
            return .throttled(retryAfterSeconds: seconds)
        }
        let found = try account.flatMap { try store.user(named: $0) }
        let matches = PasswordHash.verify(password, against: found?.passwordHash ?? PasswordHash.dummy)
        guard let stored = found, matches, !stored.user.disabled else {
            try store.recordFailure(account: account, address: address, at: now)
            return .refused
        }
        try store.clearFailures(account: stored.user.name)
        // Sessions nobody came back to would stay forever: each login clears the expired ones.
        try store.deleteSessions(lastSeenBefore: Self.before(now, seconds: policy.idleSeconds),
                                 createdBefore: Self.before(now, seconds: policy.absoluteSeconds))
        let token = Digest.randomHex(bytes: 32)
        let session = StoredSession(tokenHash: Digest.tokenHash(token), userName: stored.user.name, csrfToken: Digest.randomHex(bytes: 32),
                                    createdAt: now, lastSeenAt: now)
        try store.insertSession(session)
        return .signedIn(token: token, session: WebSession(user: stored.user, csrfToken: session.csrfToken, createdAt: now, lastSeenAt: now))
    }

    /// The live session of `token`, its last use moved to `now`; nil when unknown, expired or its account is disabled
    /// (an expired one is deleted).
    public func session(token: String, now: UInt64) throws -> WebSession? {
        guard Self.isToken(token) else { return nil }
        let hash = Digest.tokenHash(token)
        guard let s = try store.session(tokenHash: hash) else { return nil }
        guard policy.isLive(createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, now: now),
              let stored = try store.user(named: s.userName), !stored.user.disabled
        else {
            try store.deleteSession(tokenHash: hash)
            return nil
        }
        let seen = max(now, s.lastSeenAt)
        try store.touchSession(tokenHash: hash, at: seen)
        return WebSession(user: stored.user, csrfToken: s.csrfToken, createdAt: s.createdAt, lastSeenAt: seen)
    }

    /// Ends the session of `token` (nothing when there is none).
    public func logOut(token: String) throws {
        guard Self.isToken(token) else { return }
        try store.deleteSession(tokenHash: Digest.tokenHash(token))
    }

    /// Refuses a login name that is empty, longer than 64 characters, or holds whitespace or control characters.
    public static func checkName(_ name: String) throws {
        // Counted as the history counts a person's name (PersonName), so an account's writes are never refused for it.
        guard !name.isEmpty, name.unicodeScalars.count <= maximumNameLength else {
            throw BanliError(.invalidValue, "账号名须为 1 到 \(maximumNameLength) 个字符（现为 \(name.unicodeScalars.count) 个）；请换一个名字。")
        }
        let bad = name.unicodeScalars.contains { u in
            u.properties.isWhitespace || [.control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator]
                .contains(u.properties.generalCategory)
        }
        guard !bad else {
            throw BanliError(.invalidValue, "账号名不能含空格、换行或控制字符；请换一个名字（汉字、字母、数字都可以）。")
        }
    }

    /// Refuses a password shorter than `minimumPasswordLength` characters.
    public static func checkPassword(_ password: String) throws {
        guard password.count >= minimumPasswordLength else {
            throw BanliError(.invalidValue, "密码太短：至少要 \(minimumPasswordLength) 个字符；请换一个更长的密码。")
        }
    }

    /// A session token as `logIn` makes them: 64 lowercase hex digits. Anything else cannot match, so no lookup.
    static func isToken(_ token: String) -> Bool {
        token.utf8.count == 64 && token.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// `seconds` before `now`, in unix ms (0 at the earliest).
    static func before(_ now: UInt64, seconds: Int) -> UInt64 {
        let span = UInt64(max(seconds, 0)) * 1000
        return now > span ? now - span : 0
    }

    /// The error for a name that has no account.
    public static func unknownUser(_ name: String) -> BanliError {
        BanliError(.notFound, "没有名为“\(name)”的账号；用 'banli user list' 查看现有账号。")
    }
}
