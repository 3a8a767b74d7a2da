/// An account as stored: the person and their password hash (`PasswordHash`'s stored form).
public struct StoredUser: Sendable, Equatable {
    public var user: WebUser
    public var passwordHash: String

    /// Creates a stored account.
    public init(user: WebUser, passwordHash: String) {
        self.user = user
        self.passwordHash = passwordHash
    }
}

/// A session as stored: never the token itself, only its SHA-256 (`Digest.tokenHash`).
public struct StoredSession: Sendable, Equatable {
    public var tokenHash: String
    public var userName: String
    public var csrfToken: String
    /// Unix milliseconds.
    public var createdAt: UInt64
    /// Unix milliseconds.
    public var lastSeenAt: UInt64

    /// Creates a stored session.
    public init(tokenHash: String, userName: String, csrfToken: String, createdAt: UInt64, lastSeenAt: UInt64) {
        self.tokenHash = tokenHash
        self.userName = userName
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }
}

/// The raw persistence of web accounts: users, sessions by token hash, and failed logins.
///
/// It decides nothing (`Accounts` does); each method is one atomic step, so several web processes may share one store.
/// Errors are `BanliError`s that say what to do.
public protocol AccountStore: Sendable {
    /// The account named `name`, or nil.
    func user(named name: String) throws -> StoredUser?
    /// Every account, in any order.
    func allUsers() throws -> [StoredUser]
    /// Adds an account; false (and nothing written) when the name is taken.
    func insertUser(_ user: StoredUser) throws -> Bool
    /// Changes an account's password hash and/or disabled flag (nil: unchanged) and, when `endingSessions`, deletes its
    /// sessions, all in one transaction; false when there is no such account.
    func updateUser(named name: String, passwordHash: String?, disabled: Bool?, endingSessions: Bool) throws -> Bool

    /// Adds a session.
    func insertSession(_ session: StoredSession) throws
    /// The session whose token has this hash, or nil.
    func session(tokenHash: String) throws -> StoredSession?
    /// Sets a session's last use.
    func touchSession(tokenHash: String, at time: UInt64) throws
    /// Deletes a session (nothing when there is none).
    func deleteSession(tokenHash: String) throws
    /// Deletes every session last used before `lastSeenBefore` or made before `createdBefore` (unix ms): expired ones.
    func deleteSessions(lastSeenBefore: UInt64, createdBefore: UInt64) throws

    /// Records a failed login from `address`, for `account` too unless nil.
    func recordFailure(account: String?, address: String, at time: UInt64) throws
    /// The times of the failures of `account` and of `address` since `since` (unix ms), after deleting every failure older
    /// than `since`.
    func recentFailures(account: String?, address: String, since: UInt64) throws -> (account: [UInt64], address: [UInt64])
    /// Forgets the failures of `account` (after a successful login).
    func clearFailures(account: String) throws
}
