import Foundation
import Testing

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let path: String
    let fd: Int32

    init(directory: String) {
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Messages received within `seconds`, until one contains `until`.
    func receive(for seconds: Double, until: String) -> [String] {
        var out: [String] = []
        let end = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < end {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                out.append(String(decoding: buffer[0..<n], as: UTF8.self))
                if out.last!.contains(until) { break }
            }
        }
        return out
    }
}

@Suite(.serialized) struct SystemdTests {
    /// Every unit in systemd/ (from the listing, so a new one is covered) is one systemd accepts, with
    /// the settings the services rely on.
    @Test func unitFilesVerify() throws {
        let analyze = try TestTool.systemdAnalyze.path()
        let dir = try BanliProcess.temporaryDirectory()
        let units = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("systemd").path)
            .filter { $0.hasSuffix(".service") }.sorted()
        #expect(units == ["banli-hub-web.service", "banli-hub.service", "banli-web.service", "banli.service"], "the units `make install` installs")
        var files: [String] = []
        for name in units {
            let text = try String(contentsOf: repositoryRoot.appendingPathComponent("systemd/\(name)"), encoding: .utf8)
            let service = DebPackageTests.serviceSection(text)
            #expect(service["Type"] == ["notify"] && service["WatchdogSec"]?.count == 1 && service["ProtectSystem"] == ["strict"], "\(name)")
            // Every bureau's long-poll is an open connection at the hub: 1024 descriptors are not enough.
            #expect(service["LimitNOFILE"] == ["65536"], "\(name): LimitNOFILE=65536")
            // The config it starts with is one that `make install` ships from config/.
            let exec = service["ExecStart"]?.first ?? ""
            let config = exec.range(of: #"--config /etc/banli/[^ ]+"#, options: .regularExpression).map { String(exec[$0].dropFirst(20)) }
            #expect(config.map { FileManager.default.fileExists(atPath: repositoryRoot.appendingPathComponent("config/\($0)").path) } == true,
                    "\(name): ExecStart=\(exec)")
            try text.replacingOccurrences(of: "/usr/local/bin/banli", with: BanliProcess.binary)
                .write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            files.append(dir + "/" + name)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: analyze)
        p.arguments = ["verify"] + files
        let err = Pipe()
        p.standardError = err
        p.standardOutput = err
        try p.run()
        let output = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(output)")
        #expect(!output.contains("Unknown key") && !output.contains("Invalid"), "\(output)")
    }

    @Test func hubAndDaemonTalkToSystemd() throws {
        let c = try Cluster(units: ["jxj"])
        let notify = NotifySocket(directory: c.dir)
        c.environment = ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"]
        try c.startHub()
        let hubMessages = notify.receive(for: 5, until: "WATCHDOG=1")
        #expect(hubMessages.contains { $0.contains("READY=1") }, "\(hubMessages)")
        #expect(hubMessages.contains { $0.contains("WATCHDOG=1") }, "\(hubMessages)")
        let daemon = try c.startDaemon("jxj", interval: 60)
        let daemonMessages = notify.receive(for: 5, until: "in sync")
        #expect(daemonMessages.contains { $0.contains("READY=1") })
        #expect(daemonMessages.contains { $0.contains("STATUS=in sync") }, "\(daemonMessages)")
        daemon.terminate()
        let stopping = notify.receive(for: 5, until: "STOPPING=1")
        #expect(stopping.contains { $0.contains("STOPPING=1") }, "\(stopping)")
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        #expect(c.stopHub() == 0)
    }
}
