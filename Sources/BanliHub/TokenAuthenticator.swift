import BanliCore
import BanliStore
import Foundation
import Synchronization

/// Maps bearer tokens to units. Tokens are kept only as SHA-256 hashes and compared in constant
/// time against every registered hash. The table is reloaded when it is over a second old, so
/// `hub add-unit`, `hub rotate-token` and `hub remove-unit` take effect within a second, without a restart.
final class TokenAuthenticator: Sendable {
    private let store: Store
    private let state = Mutex<(hashes: [(site: String, hash: String)], loadedAt: Double)>(([], 0))

    init(store: Store) throws {
        self.store = store
        try reload()
    }

    private func reload() throws {
        let hashes = try store.tokenHashes()
        state.withLock { $0 = (hashes, Date().timeIntervalSince1970) }
    }

    /// The unit a token belongs to, or nil.
    func site(for token: String) -> String? {
        let hash = Store.tokenHash(token)
        let stale = state.withLock { Date().timeIntervalSince1970 - $0.loadedAt > 1 }
        if stale { try? reload() }
        return match(hash)
    }

    /// Looks at every entry without an early exit, so timing reveals nothing about the tokens.
    private func match(_ hash: String) -> String? {
        let hashes = state.withLock { $0.hashes }
        var found: String?
        for entry in hashes where ConstantTime.equal(entry.hash, hash) {
            found = entry.site
        }
        return found
    }

    /// Forces a reload (tests, rotate-token in process).
    func refresh() throws { try reload() }
}
