// A closed-loop HTTP/1.1 load generator: many keep-alive connections, one polling thread, requests
// prepared once. It costs the 2-core machine far less than one curl handle per simulated bureau.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct LoadResult {
    var completed = 0
    var failures = 0
    var seconds = 0.0
    var rate: Double { Double(completed) / seconds }
}

/// Sends each connection's request again as soon as its answer is complete, for `duration` seconds.
/// `requests[i]` is the whole HTTP request of connection i (keep-alive, Content-Length bodies); connection i goes to
/// `ports[i % ports.count]`, so several hub processes share the simulated bureaus evenly.
func runLoad(ports: [Int], requests: [[UInt8]], duration: Double) throws -> LoadResult {
    var fds: [Int32] = []
    defer { for fd in fds { close(fd) } }
    for i in requests.indices { fds.append(try connectLoopback(port: ports[i % ports.count])) }
    var inbound = Array(repeating: [UInt8](), count: fds.count)
    var result = LoadResult()
    var buffer = [UInt8](repeating: 0, count: 65_536)
    func send(_ i: Int) -> Bool {
        requests[i].withUnsafeBytes { write(fds[i], $0.baseAddress, $0.count) } == requests[i].count
    }
    for i in fds.indices where !send(i) { throw BenchError("cannot send the first request") }
    let start = DispatchTime.now().uptimeNanoseconds
    let end = start + UInt64(duration * 1e9)
    var polls = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    while DispatchTime.now().uptimeNanoseconds < end {
        guard poll(&polls, nfds_t(polls.count), 100) >= 0 else { throw BenchError("poll failed") }
        for i in polls.indices where polls[i].revents != 0 {
            let n = buffer.withUnsafeMutableBytes { read(fds[i], $0.baseAddress, $0.count) }
            guard n > 0 else { throw BenchError("the hub closed a connection") }
            inbound[i].append(contentsOf: buffer[0..<n])
            while let (status, length) = completeResponse(inbound[i]) {
                if status == 200 { result.completed += 1 } else {
                    if result.failures == 0 { log("load: first failure: " + String(decoding: inbound[i].prefix(300), as: UTF8.self)) }
                    result.failures += 1
                }
                inbound[i].removeFirst(length)
                guard send(i) else { throw BenchError("cannot send a request") }
            }
        }
    }
    result.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return result
}

/// A TCP connection to 127.0.0.1:`port` with Nagle off.
func connectLoopback(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard fd >= 0, ok == 0 else {
        if fd >= 0 { close(fd) }
        throw BenchError("cannot connect to 127.0.0.1:\(port)")
    }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    return fd
}

/// The status and total length of the first complete response in `bytes`, nil while incomplete.
func completeResponse(_ bytes: [UInt8]) -> (status: Int, length: Int)? {
    guard bytes.count >= 12 else { return nil }
    var headerEnd: Int?
    for i in 3..<bytes.count where bytes[i] == 10 && bytes[i - 1] == 13 && bytes[i - 2] == 10 && bytes[i - 3] == 13 {
        headerEnd = i + 1
        break
    }
    guard let headerEnd else { return nil }
    let head = String(decoding: bytes[0..<headerEnd], as: UTF8.self).lowercased()
    let status = Int(head.dropFirst(9).prefix(3)) ?? 0
    guard let range = head.range(of: "content-length:") else { return (status, headerEnd) }
    let length = Int(head[range.upperBound...].drop { $0 == " " }.prefix { $0.isWholeNumber }) ?? 0
    return headerEnd + length <= bytes.count ? (status, headerEnd + length) : nil
}

/// A keep-alive HTTP/1.1 POST with a JSON body.
func httpPost(path: String, port: Int, token: String, json: String) -> [UInt8] {
    let body = Array(json.utf8)
    let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\n"
        + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
    return Array(head.utf8) + body
}

/// A keep-alive HTTP/1.1 GET, with the bearer token when given.
func httpGet(path: String, port: Int, token: String? = nil) -> [UInt8] {
    Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(token.map { "Authorization: Bearer \($0)\r\n" } ?? "")\r\n".utf8)
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
