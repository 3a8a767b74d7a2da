import BanliAccounts
import Hummingbird
import NIOCore
import NIOPosix

/// A workbench request's context: who is signed in (set by `SessionMiddleware`) and where the request came from.
public struct WebContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's address (the proxy's, behind one; `SessionMiddleware` then takes the forwarded client's).
    public var remoteAddress: String
    /// The signed-in person's session, or nil on the public pages.
    public var session: WebSession?
    /// The session cookie's token, to end the session on logout.
    public var sessionToken: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "local"
    }

    /// A reply text is the largest thing a clerk posts; a ledger upload is bounded by `WebSettings.maxFormBytes`.
    public var maxUploadSize: Int { 8 << 20 }
}

/// Runs blocking work (a store's synchronous reads and writes, the password KDF) on NIO's thread pool, never on the
/// concurrency pool whose few threads serve every request.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}
