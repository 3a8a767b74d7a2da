import BanliCore
import Foundation

/// A `HOST:PORT` to listen on.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// Parses `HOST:PORT` (IPv6 as `[::1]:8480`).
    public init(parsing s: String, option: String) throws {
        let bad = BanliError(.usage, "\(option) '\(s)' is not HOST:PORT (for example 127.0.0.1:8481).")
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else { throw bad }
        var host = String(s[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw bad }
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// True for loopback addresses.
    public var isLoopback: Bool { Self.isLoopback(host: host) }

    /// Why this process could not listen here now, or nil: binds a socket as the hub would and closes it.
    public func bindProblem() -> (reason: String, inUse: Bool)? {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            return ("'\(host)' is not an address of this machine", false)
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 else { return nil }
        switch errno {
        case EADDRINUSE: return ("the address is already in use (another banli hub or another program)", true)
        case EADDRNOTAVAIL: return ("'\(host)' is not an address of this machine", false)
        case EACCES: return ("permission denied (ports below 1024 need privileges)", false)
        default: return (BanliError.systemText(errno), false)
        }
    }

    /// True for loopback host names and addresses.
    public static func isLoopback(host: String) -> Bool { host == "localhost" || host.hasPrefix("127.") || host == "::1" }
}
