import Foundation
import Synchronization
import TestSupport

/// A listening TCP socket on a free loopback port, for the tests' own little servers: the socket and its port.
func loopbackListener() -> (socket: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    listen(fd, 64)
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}

/// A TCP proxy between bureaus and the hub that injects network faults: refused connections,
/// requests cut mid-way, answers cut mid-way, stalls, and 502/503 answers. Loopback only.
final class FaultProxy: @unchecked Sendable {
    enum Fault: CaseIterable { case pass, refuse, cutRequest, cutResponse, stall, badGateway, unavailable }

    let port: Int
    let upstream: Int
    private let listener: Int32
    private let state: Mutex<(rng: SplitMix64, faulty: Bool, counts: [String: Int])>
    private let stopped = Atomic<Bool>(false)

    init(upstream: Int, seed: UInt64) {
        self.upstream = upstream
        state = Mutex((SplitMix64(seed: seed), true, [:]))
        let bound = loopbackListener()
        listener = bound.socket
        port = bound.port
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// Turns fault injection on or off (off: a plain proxy).
    func setFaulty(_ on: Bool) { state.withLock { $0.faulty = on } }

    /// How many of each fault were injected.
    var counts: [String: Int] { state.withLock { $0.counts } }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { if stopped.load(ordering: .relaxed) { return }; continue }
            let fault = state.withLock { s -> Fault in
                let f = s.faulty ? Fault.allCases.randomElement(using: &s.rng)! : .pass
                s.counts["\(f)", default: 0] += 1
                return f
            }
            Thread.detachNewThread { [self] in handle(client, fault) }
        }
    }

    private func connectUpstream() -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(upstream).bigEndian
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if ok != 0 { close(fd); return -1 }
        return fd
    }

    private func handle(_ client: Int32, _ fault: Fault) {
        defer { close(client) }
        switch fault {
        case .refuse:
            return
        case .badGateway, .unavailable:
            var buf = [UInt8](repeating: 0, count: 65536)
            _ = recv(client, &buf, buf.count, 0)
            let code = fault == .badGateway ? "502 Bad Gateway" : "503 Service Unavailable"
            let body = "{\"error\":\"injected \(code)\"}"
            let text = "HTTP/1.1 \(code)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            _ = text.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            return
        case .stall:
            Thread.sleep(forTimeInterval: 4)
        default:
            break
        }
        let server = connectUpstream()
        guard server >= 0 else { return }
        defer { close(server) }
        var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: server, events: Int16(POLLIN), revents: 0)]
        var buf = [UInt8](repeating: 0, count: 65536)
        var sentUp = 0, sentDown = 0
        while !stopped.load(ordering: .relaxed) {
            guard poll(&fds, 2, 5000) > 0 else { return }
            for (i, from) in [client, server].enumerated() where fds[i].revents != 0 {
                let to = i == 0 ? server : client
                let n = recv(from, &buf, buf.count, 0)
                guard n > 0 else { return }
                var count = n
                if i == 0, fault == .cutRequest { count = max(1, n / 2) }
                if i == 1, fault == .cutResponse { count = max(1, n / 2) }
                guard send(to, buf, count, Int32(MSG_NOSIGNAL)) == count else { return }
                if i == 0 { sentUp += count } else { sentDown += count }
                if count < n { return }  // the injected cut: close both sides
            }
        }
    }
}
