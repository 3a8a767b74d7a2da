import BanliCore
import BanliHubStorage
import BanliSecrets
import Foundation
import Synchronization

/// Maps bearer tokens to units. Tokens are kept only as SHA-256 hashes. A request's hash is looked
/// up by value (its timing depends only on the digest of what the client sent, which tells it nothing
/// about any real token) and the entry found is then compared in constant time. The table is reloaded
/// when it is over a second old, so `hub add-unit`, `hub rotate-token` and `hub remove-unit` take
/// effect within a second, without a restart.
final class TokenAuthenticator: Sendable {
    private let storage: any HubStorage
    private let state = Mutex<(byHash: [String: UnitTokenHash], loadedAt: Double)>(([:], 0))

    /// An authenticator over `storage`'s tokens, loaded once before the hub serves.
    init(storage: any HubStorage) async throws {
        self.storage = storage
        try await reload()
    }

    private func reload() async throws {
        let hashes = try await storage.tokenHashes()
        let byHash = Dictionary(hashes.map { ($0.hash, $0) }, uniquingKeysWith: { a, _ in a })
        state.withLock { $0 = (byHash, Date().timeIntervalSince1970) }
    }

    /// The unit a token belongs to, or nil.
    func site(for token: String) async -> String? {
        let hash = Digest.tokenHash(token)
        let stale = state.withLock { Date().timeIntervalSince1970 - $0.loadedAt > 1 }
        if stale { try? await reload() }
        return match(hash)
    }

    private func match(_ hash: String) -> String? {
        guard let entry = state.withLock({ $0.byHash[hash] }) else { return nil }
        return ConstantTime.equal(entry.hash, hash) ? entry.site : nil
    }

    /// Forces a reload (tests, rotate-token in process).
    func refresh() async throws { try await reload() }
}
