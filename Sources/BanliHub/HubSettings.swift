import BanliCompression
import BanliCore
import BanliOffice
import BanliOps
import Foundation

/// The hub's certificate and key, and optionally the CA whose client certificates it requires (mutual TLS).
public typealias HubTLS = ServerTLS

/// How the hub runs (from hub.toml and flags).
public struct HubSettings: Sendable {
    public var listen: ListenAddress
    public var adminListen: ListenAddress
    /// The deputies' listener for the one-time feedback links (`public_listen`); nil: not served.
    public var publicListen: ListenAddress?
    /// Requests a second one client address may make there on average, and at once: a deputy opens the page and posts
    /// it, while guessing tokens (hopeless at 256 bits anyway) or hammering the store gets 429.
    public var publicRatePerSecond = 0.2
    public var publicRateBurst: Double = 10
    /// Larger bodies get 413; a compressed body is held to it once decompressed.
    public var maxBodyBytes = 8 << 20
    /// Sync answers larger than this are compressed when the bureau accepts a coding; smaller ones (a no-op exchange's)
    /// gain too little to pay for the work.
    public var compressionThreshold = Codec.threshold
    /// A unit with no contact for this many seconds is stale.
    public var staleAfterSeconds: Double = 180
    /// The deadlines for derived status.
    public var deadlines = Deadlines()
    /// Native TLS on the bureaus' listener (PEM files); with `clientCAFile`, bureaus must present a certificate it signed.
    public var tls: HubTLS?

    /// Requests a second each unit may make on average (0: no limit), and the burst it may make at once.
    public var rateLimit: Double = 0
    public var rateBurst: Double = 20

    /// Deadlines for slow, stalled and idle connections on both listeners.
    public var connections = ConnectionLimits()
    /// The office's time zone: the status page shows its times in it.
    public var timeZone = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600)!

    /// True when the admin listener is not on loopback: every admin request needs an operator token.
    public var operatorTokenRequired: Bool { !adminListen.isLoopback }

    public init(listen: ListenAddress, adminListen: ListenAddress) {
        self.listen = listen
        self.adminListen = adminListen
    }
}
