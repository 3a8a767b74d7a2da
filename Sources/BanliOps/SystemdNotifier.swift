import BanliCore
import Foundation

/// Sends sd_notify messages (READY=1, WATCHDOG=1, STATUS=…) to systemd through `$NOTIFY_SOCKET`.
/// Outside systemd it does nothing.
public final class SystemdNotifier: Sendable {
    let socketPath: String?
    /// How often to ping the watchdog (half of `WatchdogSec`), if enabled.
    public let watchdogInterval: Double?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        if let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0,
           environment["WATCHDOG_PID"].map({ $0 == String(getpid()) }) ?? true {
            watchdogInterval = usec / 2_000_000
        } else {
            watchdogInterval = nil
        }
    }

    /// Sends one notification; errors are ignored, as systemd's own sd_notify does.
    public func notify(_ message: String) {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard path.count < capacity else { return }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let bytes = Array(message.utf8)
        _ = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                sendto(fd, bytes, bytes.count, 0, sa, length)
            }
        }
    }

    // A status may quote the hub's error text: escaped, so a line break cannot add a variable (MAINPID=…).
    public func ready(status: String) { notify("READY=1\nSTATUS=\(TerminalText.escaped(status))") }
    public func watchdog() { notify("WATCHDOG=1") }
    public func status(_ s: String) { notify("STATUS=\(TerminalText.escaped(s))") }
    public func stopping() { notify("STOPPING=1") }
}
