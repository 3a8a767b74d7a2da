import BanliCore

/// What a person may do in the web workbench.
public enum WebRole: String, Sendable, CaseIterable {
    /// A bureau's clerk (承办人员): handles items.
    case clerk
    /// A leader or anyone who only reads (只读).
    case viewer
    /// The office's staff (交办机关工作人员): assigns, reviews, closes.
    case office
    /// Manages the workbench (管理员).
    case admin

    /// True for the roles whose people may write through the web.
    public var canWrite: Bool { self != .viewer }

    /// The role's name as people in the offices say it.
    public var label: String {
        switch self {
        case .clerk: "承办人员"
        case .viewer: "只读"
        case .office: "交办机关工作人员"
        case .admin: "管理员"
        }
    }

    /// The role named `text` (`clerk`, or its Chinese label); a clear error otherwise.
    public init(parsing text: String) throws {
        guard let role = WebRole(rawValue: text) ?? WebRole.allCases.first(where: { $0.label == text }) else {
            let names = WebRole.allCases.map { "\($0.rawValue)（\($0.label)）" }.joined(separator: "、")
            throw BanliError(.invalidValue, "没有“\(text)”这个角色；请从 \(names) 中选一个。")
        }
        self = role
    }
}

/// One account of the web workbench.
public struct WebUser: Sendable, Equatable {
    /// The login name (also what the history records for the person's writes).
    public var name: String
    public var role: WebRole
    /// A disabled account cannot log in and has no live session.
    public var disabled: Bool
    /// When the account was made, unix milliseconds.
    public var createdAt: UInt64

    /// Creates an account value.
    public init(name: String, role: WebRole, disabled: Bool = false, createdAt: UInt64) {
        self.name = name
        self.role = role
        self.disabled = disabled
        self.createdAt = createdAt
    }
}

/// A signed-in person's server-side session.
public struct WebSession: Sendable, Equatable {
    public var user: WebUser
    /// The session's CSRF token: every form carries it, every POST must send it back.
    public var csrfToken: String
    /// Unix milliseconds.
    public var createdAt: UInt64
    /// Unix milliseconds of the last request that used the session.
    public var lastSeenAt: UInt64

    /// Creates a session value.
    public init(user: WebUser, csrfToken: String, createdAt: UInt64, lastSeenAt: UInt64) {
        self.user = user
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }
}

/// How long a session lives: idle expiry and absolute expiry.
public struct SessionPolicy: Sendable, Equatable {
    /// A session not used for this long ends (default 30 minutes).
    public var idleSeconds: Int = 1800
    /// A session ends this long after login, however busy (default 12 hours).
    public var absoluteSeconds: Int = 43_200

    /// Creates a policy.
    public init(idleSeconds: Int = 1800, absoluteSeconds: Int = 43_200) {
        self.idleSeconds = idleSeconds
        self.absoluteSeconds = absoluteSeconds
    }

    /// True when a session made at `createdAt` and last used at `lastSeenAt` is still live at `now` (all unix ms).
    public func isLive(createdAt: UInt64, lastSeenAt: UInt64, now: UInt64) -> Bool {
        elapsed(since: lastSeenAt, now: now) <= UInt64(max(idleSeconds, 0)) * 1000
            && elapsed(since: createdAt, now: now) <= UInt64(max(absoluteSeconds, 0)) * 1000
    }

    /// Milliseconds from `start` to `now`; 0 when the clock stepped back.
    private func elapsed(since start: UInt64, now: UInt64) -> UInt64 { now >= start ? now - start : 0 }
}

/// The outcome of a login.
public enum LoginResult: Sendable, Equatable {
    /// Signed in: `token` goes into the cookie and is never stored (the store keeps its SHA-256).
    case signedIn(token: String, session: WebSession)
    /// Wrong name, wrong password or disabled account: one answer for all three.
    case refused
    /// Too many failures for the account or the address: try again after this many seconds.
    case throttled(retryAfterSeconds: Int)
}
