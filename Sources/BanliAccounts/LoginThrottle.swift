/// The login throttle's policy, a pure value: how many failed logins within a window lock an account, or an address,
/// and for how long.
///
/// A lock starts at the failure that made `limit` failures within `windowSeconds` and lasts `lockSeconds`. Throttled
/// attempts are not failures (their password is never checked), so a lock ends on time whatever an attacker keeps trying.
public struct LoginThrottle: Sendable, Equatable {
    /// Failures of one account name within the window that lock it (default 5).
    public var accountLimit: Int
    /// Failures from one address within the window that lock it (default 20).
    public var addressLimit: Int
    /// The window, in seconds (default 15 minutes).
    public var windowSeconds: Int
    /// How long a lock lasts from the failure that set it, in seconds (default 15 minutes).
    public var lockSeconds: Int

    /// The answer for one login attempt.
    public enum Decision: Sendable, Equatable {
        case allowed
        case retryAfter(seconds: Int)
    }

    /// Creates a policy.
    public init(accountLimit: Int = 5, addressLimit: Int = 20, windowSeconds: Int = 900, lockSeconds: Int = 900) {
        self.accountLimit = accountLimit
        self.addressLimit = addressLimit
        self.windowSeconds = windowSeconds
        self.lockSeconds = lockSeconds
    }

    /// How far back failures matter, in seconds: older ones can neither start nor extend a lock, and may be pruned.
    public var horizonSeconds: Int { windowSeconds + lockSeconds }

    /// Allowed, or how many seconds to wait, given the failure times (unix ms, any order) of the account and of the address.
    public func decide(accountFailures: [UInt64], addressFailures: [UInt64], now: UInt64) -> Decision {
        let until = max(lockedUntil(accountFailures, limit: accountLimit), lockedUntil(addressFailures, limit: addressLimit))
        guard until > now else { return .allowed }
        return .retryAfter(seconds: Int((until - now + 999) / 1000))
    }

    /// The end of the latest lock these failures set (unix ms), 0 when none.
    func lockedUntil(_ failures: [UInt64], limit: Int) -> UInt64 {
        guard limit > 0, failures.count >= limit else { return 0 }
        let sorted = failures.sorted()
        let window = UInt64(max(windowSeconds, 0)) * 1000, lock = UInt64(max(lockSeconds, 0)) * 1000
        var until: UInt64 = 0
        for i in (limit - 1)..<sorted.count where sorted[i] - sorted[i - limit + 1] <= window {
            until = max(until, sorted[i] + lock)
        }
        return until
    }
}
