import Synchronization

/// An HTTP answer: status and body (decoded when it came compressed).
public struct HTTPResult: Sendable {
    public var status: Int
    public var body: [UInt8]
    /// The answer's header fields, names lowercased, repeated fields joined with ", ".
    public var headers: [String: String]
    /// Body bytes as they crossed the wire: the request's as sent (compressed or not), the answer's as received.
    public var bytesSent: Int
    public var bytesReceived: Int

    public init(status: Int, body: [UInt8], headers: [String: String] = [:], bytesSent: Int = 0, bytesReceived: Int? = nil) {
        self.status = status
        self.body = body
        self.headers = headers
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived ?? body.count
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
