import BanliCore
import BanliSync
import Foundation
import Testing

/// A `banli web` process over one of a cluster's stores, with its own accounts file, on a free loopback port.
final class Workbench: @unchecked Sendable {
    let cluster: Cluster
    let store: String
    let port: Int
    let accounts: String
    private(set) var process: Process?
    /// Extra environment (e.g. libfaketime's, to move the server's clock).
    var environment: [String: String] = [:]
    var url: String { "http://127.0.0.1:\(port)" }
    var logPath: String { cluster.dir + "/web-\(store).log" }

    /// The workbench over `store` ("hub" or a unit's site).
    init(_ cluster: Cluster, store: String) {
        self.cluster = cluster
        self.store = store
        port = freePort()
        accounts = cluster.dir + "/web-\(store).accounts.db"
    }

    deinit { stop() }

    /// Adds an account with `password` through `banli user add`.
    func addUser(_ name: String, role: String, password: String = Workbench.password) throws {
        let file = cluster.dir + "/pw-\(UUID().uuidString)"
        try password.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        try cluster.cli.ok(["user", "add", name, "--role", role, "--password-file", file, "--accounts", accounts])
    }

    static let password = "办理-2025-password"

    /// Starts `banli web` and waits until it answers.
    func start(extraArguments: [String] = []) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BanliProcess.binary)
        p.arguments = ["web"] + cluster.at(store) + ["--accounts", accounts, "--listen", "127.0.0.1:\(port)"] + extraArguments
        p.currentDirectoryURL = URL(fileURLWithPath: cluster.dir)
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        env["BANLI_CONFIG"] = nil
        p.environment = env
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let output = FileHandle(forWritingAtPath: logPath)!
        p.standardOutput = output
        p.standardError = output
        try p.run()
        process = p
        let health = CurlTransport(baseURL: url, token: "none")
        for _ in 0..<200 {
            if let r = try? health.get("/healthz", extraTimeout: 0, cancel: nil), r.status == 200 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("banli web did not start: \(log())")
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func stop() {
        guard let p = process, p.isRunning else { return }
        p.terminate()
        p.waitUntilExit()
        process = nil
    }
}
