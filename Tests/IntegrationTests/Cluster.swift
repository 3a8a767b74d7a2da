import BanliCore
import BanliStore
import BanliSync
import Foundation
import Testing

/// A free TCP port on loopback (bound, then released).
func freePort() -> Int {
    let bound = loopbackListener()
    close(bound.socket)
    return bound.port
}

/// A real hub process and bureau stores in a temporary folder, on loopback ports.
final class Cluster: @unchecked Sendable {
    let cli: BanliProcess
    let port: Int
    let adminPort: Int
    private(set) var hub: Process?
    var daemons: [String: Process] = [:]
    /// Extra environment for the hub and daemons (e.g. NOTIFY_SOCKET).
    var environment: [String: String] = [:]
    var dir: String { cli.directory }
    var hubURL: String { "http://127.0.0.1:\(port)" }

    init(units: [String], hubConfig: String? = nil) throws {
        cli = BanliProcess(directory: try BanliProcess.temporaryDirectory())
        port = freePort()
        adminPort = freePort()
        try cli.ok(["hub", "init", "--store", "hub.db", "--name", "市政府督查室"])
        for u in units {
            try cli.ok(["hub", "add-unit", u, "--name", "单位\(u)", "--store", "hub.db", "--token-file", "\(u).token"])
            try cli.ok(["init", "--site", u, "--name", "单位\(u)", "--store", "\(u).db", "--hub-url", hubURL, "--token-file", "\(u).token"])
        }
        if let hubConfig { try hubConfig.write(toFile: dir + "/hub.toml", atomically: true, encoding: .utf8) }
    }

    deinit {
        for p in daemons.values where p.isRunning { p.terminate() }
        if let hub, hub.isRunning { hub.terminate() }
    }

    /// Starts the hub and waits until it answers.
    func startHub() throws {
        try launchHub()
        let health = CurlTransport(baseURL: hubURL, token: "none")
        for _ in 0..<200 {
            if let r = try? health.get("/healthz", extraTimeout: 0, cancel: nil), r.status == 200 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("the hub did not start: \(hubLog())")
    }

    /// Starts the hub without checking it (TLS, or a start expected to fail).
    func startHubWithoutWaiting() { try? launchHub() }

    private func launchHub() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BanliProcess.binary)
        var args = ["hub", "serve", "--store", "hub.db", "--listen", "127.0.0.1:\(port)", "--admin-listen", "127.0.0.1:\(adminPort)"]
        if FileManager.default.fileExists(atPath: dir + "/hub.toml") { args = ["--config", "hub.toml"] + args }
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = FileHandle(forWritingAtPath: dir + "/hub.log") ?? {
            _ = FileManager.default.createFile(atPath: dir + "/hub.log", contents: nil)
            return FileHandle(forWritingAtPath: dir + "/hub.log")!
        }()
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        hub = p
    }

    /// Stops the hub with SIGTERM and waits for it.
    @discardableResult
    func stopHub() -> Int32 {
        guard let hub else { return -1 }
        hub.terminate()
        hub.waitUntilExit()
        self.hub = nil
        return hub.terminationStatus
    }

    /// Forgets a hub process that was killed outside `stopHub`.
    func forgetHub() { hub = nil }

    /// The running hub's process id.
    var hubPid: Int32? { hub.map(\.processIdentifier) }

    func hubLog() -> String { (try? String(contentsOfFile: dir + "/hub.log", encoding: .utf8)) ?? "" }

    /// Runs `banli sync` for a unit, requiring success.
    @discardableResult
    func sync(_ unit: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try cli.ok(["sync", "--store", "\(unit).db"], sourceLocation: sourceLocation)
    }

    /// A unit's raw token.
    func token(_ unit: String) throws -> String {
        try String(contentsOfFile: dir + "/\(unit).token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Opens a store in-process (read-mostly; WAL lets the processes keep writing).
    func store(_ name: String) throws -> Store {
        try Store.open(at: dir + "/\(name).db")
    }

    /// The visible value of a field at a store.
    func value(_ store: String, _ entity: String, _ field: String) throws -> JSONValue? {
        try self.store(store).field(EntityKey(parsing: entity), field)?.visibleValue(hubSite: "hub")
    }

    /// Every field line of a store whose entity belongs to `item`.
    func dump(_ store: String, item: String? = nil) throws -> [String] {
        try cli.ok(["dump", "--json", "--store", "\(store).db"]).split(separator: "\n").map(String.init).filter { line in
            guard let item else { return true }
            return line.contains("/\(item)\"") || line.contains("/\(item)/")
        }
    }

    /// Starts `banli daemon` for a unit.
    func startDaemon(_ unit: String, interval: Double) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BanliProcess.binary)
        p.arguments = ["daemon", "--store", "\(unit).db", "--interval", String(interval)]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: dir + "/\(unit).daemon.log", contents: nil)
        let log = FileHandle(forWritingAtPath: dir + "/\(unit).daemon.log")!
        p.standardOutput = log
        p.standardError = log
        try p.run()
        daemons[unit] = p
        return p
    }

    /// Waits until `condition` holds, up to `timeout` seconds; returns the seconds it took, or nil.
    func waitFor(timeout: Double, _ condition: () throws -> Bool) rethrows -> Double? {
        try waitUntil(timeout: timeout, condition)
    }
}

/// Waits until `condition` holds, up to `timeout` seconds; returns the seconds it took, or nil.
func waitUntil(timeout: Double, _ condition: () throws -> Bool) rethrows -> Double? {
    let start = Date()
    while Date().timeIntervalSince(start) < timeout {
        if try condition() { return Date().timeIntervalSince(start) }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return nil
}
