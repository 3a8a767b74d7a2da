import BanliAccounts
import Synchronization

/// An `AccountStore` in memory, for the rules' tests; it counts sessions so tests can see that they ended.
final class MemoryAccountStore: AccountStore {
    struct Rows {
        var users: [String: StoredUser] = [:]
        var sessions: [String: StoredSession] = [:]
        var failures: [(account: String?, address: String, at: UInt64)] = []
    }

    let rows = Mutex(Rows())

    func user(named name: String) throws -> StoredUser? { rows.withLock { $0.users[name] } }

    func allUsers() throws -> [StoredUser] { rows.withLock { Array($0.users.values) } }

    func insertUser(_ user: StoredUser) throws -> Bool {
        rows.withLock { r in
            guard r.users[user.user.name] == nil else { return false }
            r.users[user.user.name] = user
            return true
        }
    }

    func updateUser(named name: String, passwordHash: String?, disabled: Bool?, endingSessions: Bool) throws -> Bool {
        rows.withLock { r in
            guard var u = r.users[name] else { return false }
            if let passwordHash { u.passwordHash = passwordHash }
            if let disabled { u.user.disabled = disabled }
            r.users[name] = u
            if endingSessions { r.sessions = r.sessions.filter { $0.value.userName != name } }
            return true
        }
    }

    func insertSession(_ session: StoredSession) throws { rows.withLock { $0.sessions[session.tokenHash] = session } }

    func session(tokenHash: String) throws -> StoredSession? { rows.withLock { $0.sessions[tokenHash] } }

    func touchSession(tokenHash: String, at time: UInt64) throws { rows.withLock { $0.sessions[tokenHash]?.lastSeenAt = time } }

    func deleteSession(tokenHash: String) throws { _ = rows.withLock { $0.sessions.removeValue(forKey: tokenHash) } }

    func deleteSessions(lastSeenBefore: UInt64, createdBefore: UInt64) throws {
        rows.withLock { r in r.sessions = r.sessions.filter { s in s.value.lastSeenAt >= lastSeenBefore && s.value.createdAt >= createdBefore } }
    }

    func recordFailure(account: String?, address: String, at time: UInt64) throws {
        rows.withLock { $0.failures.append((account, address, time)) }
    }

    func recentFailures(account: String?, address: String, since: UInt64) throws -> (account: [UInt64], address: [UInt64]) {
        rows.withLock { r in
            r.failures.removeAll { $0.at < since }
            return (r.failures.filter { account != nil && $0.account == account }.map(\.at), r.failures.filter { $0.address == address }.map(\.at))
        }
    }

    func clearFailures(account: String) throws { rows.withLock { $0.failures.removeAll { $0.account == account } } }

    var sessionCount: Int { rows.withLock { $0.sessions.count } }
}
