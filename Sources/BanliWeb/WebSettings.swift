import BanliAccounts
import BanliOps

/// How the workbench runs (from the `[web]` section of banli.toml or hub.toml, and flags).
public struct WebSettings: Sendable {
    public var listen: ListenAddress
    /// Native TLS; off loopback the workbench needs it or `behindProxy`.
    public var tls: ServerTLS?
    /// A reverse proxy in front terminates TLS and appends the client's address to `X-Forwarded-For`.
    public var behindProxy: Bool
    public var sessions: SessionPolicy
    /// The hub's status page (its admin listener), linked from the office's menu; nil at a bureau.
    public var statusPageURL: String?
    /// The largest form body accepted (a reply's text is the largest field).
    public var maxFormBytes: Int
    /// How long a connection may take over a request's head, its body and the wait for the next one (`[connections]`),
    /// so that slow or stalled clients cannot hold the workbench's connections.
    public var connections: ConnectionLimits

    public init(listen: ListenAddress, tls: ServerTLS? = nil, behindProxy: Bool = false, sessions: SessionPolicy = SessionPolicy(),
                statusPageURL: String? = nil, maxFormBytes: Int = 2 << 20, connections: ConnectionLimits = ConnectionLimits()) {
        self.listen = listen
        self.tls = tls
        self.behindProxy = behindProxy
        self.sessions = sessions
        self.statusPageURL = statusPageURL
        self.maxFormBytes = maxFormBytes
        self.connections = connections
    }
}
