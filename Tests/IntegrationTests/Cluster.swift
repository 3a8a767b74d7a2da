import BanliCore
import BanliHubStorage
import BanliPostgres
import BanliStore
import BanliSync
import Foundation
import Logging
import Synchronization
import Testing
import TestSupport

/// A free TCP port on loopback (bound, then released), never one this process handed out before: the kernel may
/// give a released port again at once, and a hub given the same port twice for its two listeners does not start.
func freePort() -> Int {
    while true {
        let bound = loopbackListener()
        close(bound.socket)
        if handedOutPorts.withLock({ $0.insert(bound.port).inserted }) { return bound.port }
    }
}

private let handedOutPorts = Mutex<Set<Int>>([])

/// Where a test hub keeps its records: a SQLite file beside the bureaus' (the default), or a database of its own on the
/// tests' PostgreSQL server, named by hub.toml.
enum HubBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A real hub process and bureau stores in a temporary folder, on loopback ports.
final class Cluster: @unchecked Sendable {
    let cli: BanliProcess
    let backend: HubBackend
    /// The hub's database on the shared server (PostgreSQL only).
    let database: String?
    let port: Int
    let adminPort: Int
    private(set) var hub: Process?
    var daemons: [String: Process] = [:]
    /// Extra environment for the hub and daemons (e.g. NOTIFY_SOCKET).
    var environment: [String: String] = [:]
    var dir: String { cli.directory }
    var hubURL: String { "http://127.0.0.1:\(port)" }

    /// What names the hub's store to a command: the SQLite file, or hub.toml, which names the database and the key file.
    var atHub: [String] { backend == .sqlite ? ["--store", "hub.db"] : ["--config", "hub.toml"] }

    /// `names` gives units their Chinese names (by default 单位 and the code).
    init(units: [String], names: [String: String] = [:], hubConfig: String? = nil, backend: HubBackend = .sqlite) throws {
        cli = BanliProcess(directory: try BanliProcess.temporaryDirectory())
        self.backend = backend
        port = freePort()
        adminPort = freePort()
        switch backend {
        case .sqlite:
            database = nil
        case .postgres:
            let server = try PostgresServer.shared()
            let name = try server.createDatabase()
            database = name
            try ("store = \"\(server.url(database: name))\"\nkey_file = \"\(cli.directory)/hub.key\"\n" + (hubConfig ?? ""))
                .write(toFile: cli.directory + "/hub.toml", atomically: true, encoding: .utf8)
        }
        try cli.ok(["hub", "init", "--name", "市政府督查室"] + atHub)
        for u in units {
            let name = names[u] ?? "单位\(u)"
            try cli.ok(["hub", "add-unit", u, "--name", name, "--token-file", "\(u).token"] + atHub)
            try cli.ok(["init", "--site", u, "--name", name, "--store", "\(u).db", "--hub-url", hubURL, "--token-file", "\(u).token"])
        }
        if backend == .sqlite, let hubConfig { try hubConfig.write(toFile: dir + "/hub.toml", atomically: true, encoding: .utf8) }
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
        var args = ["hub", "serve", "--listen", "127.0.0.1:\(port)", "--admin-listen", "127.0.0.1:\(adminPort)"] + atHub
        if backend == .sqlite, FileManager.default.fileExists(atPath: dir + "/hub.toml") { args = ["--config", "hub.toml"] + args }
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

    /// What names a store to a command: the hub's (`atHub`), or a bureau's SQLite file.
    func at(_ store: String) -> [String] { store == "hub" ? atHub : ["--store", "\(store).db"] }

    /// Opens a SQLite store in-process (read-mostly; WAL lets the processes keep writing).
    func store(_ name: String) throws -> Store {
        precondition(name != "hub" || backend == .sqlite, "the hub's records are in PostgreSQL: use records(\"hub\")")
        return try Store.open(at: dir + "/\(name).db")
    }

    /// Opens a store's records in-process: a bureau's SQLite file, or the hub's on either backend (one client to the
    /// database, kept until the database is replaced).
    func records(_ name: String) throws -> any RecordStore {
        guard name == "hub", let database else { return try store(name) }
        if let open = hubRecords { return open }
        let url = try PostgresServer.shared().url(database: database)
        let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let open = try PostgresRecords.open(PostgresLocation(parsing: url), keyFile: dir + "/hub.key", logger: quiet)
        hubRecords = open
        return open
    }
    private var hubRecords: PostgresRecords?

    /// The visible value of a field at a store.
    func value(_ store: String, _ entity: String, _ field: String) throws -> JSONValue? {
        try records(store).field(EntityKey(parsing: entity), field)?.visibleValue(hubSite: "hub")
    }

    /// Every field line of a store whose entity belongs to `item`.
    func dump(_ store: String, item: String? = nil) throws -> [String] {
        try cli.ok(["dump", "--json"] + at(store)).split(separator: "\n").map(String.init).filter { line in
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

    /// Keeps a copy of the hub's store as `name` (the hub stopped): its SQLite file with the WAL, or a pg_dump.
    func backUpHub(as name: String) throws {
        if let database { return try PostgresServer.shared().pgDump(database: database, to: dir + "/\(name).sql") }
        for ext in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: dir + "/hub.db\(ext)") {
            try? FileManager.default.removeItem(atPath: dir + "/\(name)\(ext)")
            try FileManager.default.copyItem(atPath: dir + "/hub.db\(ext)", toPath: dir + "/\(name)\(ext)")
        }
    }

    /// Puts the copy `name` back in place of the hub's store (the hub stopped), as an operator restoring a backup does.
    func restoreHub(from name: String) throws {
        try loseHub()
        if let database {
            try PostgresServer.shared().psql(database: database, sql: "\\i \(dir)/\(name).sql")
            return
        }
        for ext in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: dir + "/\(name)\(ext)") {
            try FileManager.default.copyItem(atPath: dir + "/\(name)\(ext)", toPath: dir + "/hub.db\(ext)")
        }
    }

    /// The hub's store is gone (the hub stopped): the SQLite file deleted, or the database dropped and created empty.
    func loseHub() throws {
        if let database {
            hubRecords = nil
            let server = try PostgresServer.shared()
            try server.psql(database: "postgres", sql: "DROP DATABASE \(database) WITH (FORCE)")
            try server.createDatabase(database)
            return
        }
        for ext in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dir + "/hub.db\(ext)") }
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
