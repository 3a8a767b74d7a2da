import BanliCore
import Foundation
import Logging
import Synchronization

/// Log lines for requests refused for their token: at most one a minute per claimed unit, in bounded memory.
/// The unit is named from `X-Banli-Site`, an unverified claim the bureau sends: it is logged (quoted and
/// escaped by the log handler) and used as a rate-limit key here, and nowhere else.
final class RefusalLog: Sendable {
    static let interval: Double = 60
    /// Keys remembered at once; past it, every new claim shares one key.
    static let capacity = 1024
    private let state = Mutex<[String: (at: Double, suppressed: Int)]>([:])
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Notes one refusal; logs it unless this claim was logged within the last minute.
    func refused(claim: String?, reason: String, now: Double = Date().timeIntervalSince1970) {
        let key: String
        switch claim {
        case nil: key = "(none)"
        case let c? where Identifier.isValid(c): key = c
        default: key = "(invalid)"
        }
        let suppressed: Int? = state.withLock { seen in
            if seen[key] == nil, seen.count >= Self.capacity {
                seen = seen.filter { now - $0.value.at < Self.interval }
            }
            let k = seen[key] == nil && seen.count >= Self.capacity ? "(many)" : key
            if let last = seen[k], now - last.at < Self.interval {
                seen[k]?.suppressed += 1
                return nil
            }
            let before = seen[k]?.suppressed ?? 0
            seen[k] = (now, 0)
            return before
        }
        guard let suppressed else { return }
        var metadata: Logger.Metadata = ["reason": "\(reason)", "claimed_unit": "\(claim.map { String($0.prefix(80)) } ?? "(no X-Banli-Site header)")"]
        if suppressed > 0 { metadata["refused_since_last_line"] = "\(suppressed)" }
        logger.warning("refused a request without a valid token (the unit named is the request's unverified claim)", metadata: metadata)
    }
}

/// Units whose last exchange failed, so the hub can log once when one succeeds again.
/// Keyed by authenticated units only, so it holds at most one entry per registered unit.
final class UnitFailures: Sendable {
    private let state = Mutex<[String: (since: Double, count: Int)]>([:])

    init(failing: [String: Double] = [:]) {
        state.withLock { s in for (unit, since) in failing { s[unit] = (since, 0) } }
    }

    func failed(_ unit: String, now: Double = Date().timeIntervalSince1970) {
        state.withLock { s in
            let old = s[unit] ?? (now, 0)
            s[unit] = (old.since, old.count + 1)
        }
    }

    /// The failure a success ends, if any: since when, and how many failed requests this process saw.
    func succeeded(_ unit: String) -> (since: Double, count: Int)? {
        state.withLock { $0.removeValue(forKey: unit) }
    }
}
