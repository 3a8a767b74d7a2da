import Synchronization

/// An HTTP answer: status and body.
public struct HTTPResult: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// A flag another thread sets to abort a request in flight (a long-poll when local work arrives or at shutdown).
public final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)

    public init() {}

    public func cancel() { value.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { value.load(ordering: .relaxed) }
}

/// How the sync engine reaches the hub. `CurlTransport` is the real one.
public protocol Transport: Sendable {
    /// The hub's base URL, for messages.
    var baseURL: String { get }
    /// POSTs a JSON body.
    func post(_ path: String, json: String) throws -> HTTPResult
    /// GETs a path; `extraTimeout` seconds are added to the request timeout (long-poll).
    func get(_ path: String, extraTimeout: Double, cancel: CancelFlag?) throws -> HTTPResult
}
