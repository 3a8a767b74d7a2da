// TEMPORARY stub of helper wt-acct's API; removed at merge.
import BanliCore
import Foundation
import Synchronization

public enum WebRole: String, Sendable, CaseIterable {
    case clerk, viewer, office, admin
    public var canWrite: Bool { self != .viewer }
    public var label: String { switch self { case .clerk: "承办人员"; case .viewer: "只读"; case .office: "交办机关工作人员"; case .admin: "管理员" } }
}
public struct WebUser: Sendable, Equatable { public var name: String; public var role: WebRole; public var disabled: Bool; public var createdAt: UInt64 }
public struct WebSession: Sendable, Equatable { public var user: WebUser; public var csrfToken: String; public var createdAt: UInt64; public var lastSeenAt: UInt64 }
public struct SessionPolicy: Sendable, Equatable {
    public var idleSeconds: Int; public var absoluteSeconds: Int
    public init(idleSeconds: Int = 1800, absoluteSeconds: Int = 43_200) { self.idleSeconds = idleSeconds; self.absoluteSeconds = absoluteSeconds }
}
public struct LoginThrottle: Sendable, Equatable { public init() {} }
public enum LoginResult: Sendable, Equatable { case signedIn(token: String, session: WebSession); case refused; case throttled(retryAfterSeconds: Int) }
public protocol AccountStore: Sendable {}
public final class Accounts: Sendable {
    let sessions = Mutex<[String: WebSession]>([:])
    let people = Mutex<[String: (WebRole, String)]>([:])
    public init(store: any AccountStore, policy: SessionPolicy = .init(), throttle: LoginThrottle = .init()) {}
    public func addUser(_ name: String, role: WebRole, password: String, now: UInt64) throws { people.withLock { $0[name] = (role, password) } }
    public func users() throws -> [WebUser] { [] }
    public func logIn(name: String, password: String, address: String, now: UInt64) throws -> LoginResult {
        guard let (role, pw) = people.withLock({ $0[name] }), pw == password else { return .refused }
        let s = WebSession(user: WebUser(name: name, role: role, disabled: false, createdAt: now), csrfToken: UUID().uuidString,
                           createdAt: now, lastSeenAt: now)
        let t = UUID().uuidString
        sessions.withLock { $0[t] = s }
        return .signedIn(token: t, session: s)
    }
    public func session(token: String, now: UInt64) throws -> WebSession? { sessions.withLock { $0[token] } }
    public func logOut(token: String) throws { _ = sessions.withLock { $0.removeValue(forKey: token) } }
}
public final class AccountDatabase: AccountStore { public static func open(at path: String) throws -> AccountDatabase { AccountDatabase() } }
