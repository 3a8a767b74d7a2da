import BanliCore
import Logging
import Synchronization

/// Which of a hub's URLs to use: the current one until it fails as "not there", then the next, round the list once.
/// It stays on a URL that works and never goes back to the first just because it is first. A pure value, driven by
/// `FailoverTransport` one request at a time.
public struct HubURLRotation: Sendable, Equatable {
    /// Why a request failed in a way that says "this hub is not there".
    public enum Failure: Sendable, Equatable {
        /// No answer: connection refused, timeout, TLS failure, DNS.
        case unreachable
        /// A proxy or a hub without its database answered 502, 503 or 504.
        case unavailable(status: Int)
    }

    /// What to do after a failure.
    public enum Next: Sendable, Equatable {
        /// Send the same request to the URL at this index now, without a pause.
        case tryURL(Int)
        /// Every URL failed in a row: give up this attempt (the caller backs off); the next one starts at `current`.
        case allFailed
    }

    /// How many URLs there are.
    public let count: Int
    /// The index of the URL to use now.
    public private(set) var current: Int
    /// URLs that failed since the last answer, the current one's predecessors included.
    public private(set) var failedInRow = 0
    /// The last failure seen, for status lines.
    public private(set) var lastFailure: Failure?

    /// A rotation over `count` URLs starting at `start` (the one that last worked, say).
    public init(count: Int, start: Int = 0) {
        precondition(count > 0, "a hub needs at least one URL")
        self.count = count
        current = (0..<count).contains(start) ? start : 0
    }

    /// The answer status that means "not there" (a proxy without its hub, or a hub without its database), or nil.
    public static func failure(status: Int) -> Failure? {
        [502, 503, 504].contains(status) ? .unavailable(status: status) : nil
    }

    /// The current URL failed with `failure`: moves on, or says every URL failed in a row.
    public mutating func failed(_ failure: Failure) -> Next {
        failedInRow += 1
        lastFailure = failure
        current = (current + 1) % count
        guard failedInRow < count else {
            // Round the whole list: back where this round started, which is the URL that worked last.
            failedInRow = 0
            return .allFailed
        }
        return .tryURL(current)
    }

    /// The current URL answered (any answer but 502/503/504: a 401 or 409 is the hub speaking): stay on it.
    public mutating func succeeded() {
        failedInRow = 0
    }
}

/// A transport over several URLs of one hub, one `CurlTransport` (or test double) each. A request that fails as
/// "not there" goes to the next URL at once; the last error is thrown only when every URL failed in a row. With one
/// URL it behaves exactly as that URL's transport.
public final class FailoverTransport: Transport, Sendable {
    /// The URLs in the configured order.
    public let urls: [String]
    private let transports: [any Transport]
    private let rotation: Mutex<HubURLRotation>
    private let logger: Logger?

    /// A transport over `urls`, starting at `start` (an index into `urls`), each URL reached through `make`.
    public init(urls: [String], start: Int = 0, logger: Logger? = nil, make: (String) -> any Transport) {
        self.urls = urls
        transports = urls.map(make)
        rotation = Mutex(HubURLRotation(count: urls.count, start: start))
        self.logger = logger
    }

    /// The URL in use now.
    public var baseURL: String { urls[rotation.withLock { $0.current }] }

    public func post(_ path: String, json: String) throws -> HTTPResult {
        try send(cancel: nil) { try $0.post(path, json: json) }
    }

    public func get(_ path: String, extraTimeout: Double, cancel: CancelFlag?) throws -> HTTPResult {
        try send(cancel: cancel) { try $0.get(path, extraTimeout: extraTimeout, cancel: cancel) }
    }

    /// Sends through the current URL, moving on while it is not there. A switch is logged once, when another URL
    /// has answered: a hub down at every URL gives the caller's one failure line, not a switch per attempt.
    private func send(cancel: CancelFlag?, _ request: (any Transport) throws -> HTTPResult) throws -> HTTPResult {
        var firstFailure: String?
        let start = rotation.withLock { $0.current }
        while true {
            let index = rotation.withLock { $0.current }
            let answer: HTTPResult
            do {
                answer = try request(transports[index])
            } catch let e as BanliError where e.code == .unreachable && cancel?.isCancelled != true {
                firstFailure = firstFailure ?? e.message
                guard moveOn(from: index, .unreachable) else {
                    guard urls.count > 1 else { throw e }
                    throw BanliError(.unreachable, "None of the \(urls.count) hub URLs answered; the last: \(e.message)")
                }
                continue
            }
            guard let unavailable = HubURLRotation.failure(status: answer.status) else {
                rotation.withLock { $0.succeeded() }
                if let firstFailure, index != start { logger?.notice("switched to hub URL \(urls[index]): the previous one failed: \(firstFailure)") }
                return answer
            }
            firstFailure = firstFailure ?? "\(urls[index]) answered HTTP \(answer.status)"
            // Every URL unavailable: the last answer goes back as it is, so its own message reaches the operator.
            guard moveOn(from: index, unavailable) else { return answer }
        }
    }

    /// Records the failure of `urls[index]`; false when every URL failed in a row.
    private func moveOn(from index: Int, _ failure: HubURLRotation.Failure) -> Bool {
        rotation.withLock { r in
            // Another thread (a prefetch) moved on already: follow it.
            guard r.current == index else { return true }
            return r.failed(failure) != .allFailed
        }
    }
}
