import Foundation

/// A real PostgreSQL 15 server for tests: `initdb` into a new temporary folder, `pg_ctl start` on a Unix socket in
/// that folder (and a loopback TCP port when asked), `fsync=off`. As root (CI runs as root) it runs them as the
/// `postgres` user, the folder owned by it with mode 0700. Share one per test process (`shared`) and give each test
/// its own database (`createDatabase`).
public final class PostgresServer: @unchecked Sendable {
    // Unchecked: `running` is touched only under `lock`; everything else is set once in init.
    /// The folder holding the data directory and the socket.
    public let directory: String
    /// The loopback TCP port, if the server listens on one.
    public let tcpPort: Int?
    /// The superuser the tests connect as (trust authentication on the socket and loopback).
    public let user = "banli"
    public static let port = 5432
    static let bin = "/usr/lib/postgresql/15/bin"

    /// Settings given to the server after Banli's test defaults (`-c NAME=VALUE`; later ones win), for example `ssl=on`.
    public let settings: [String]

    private let lock = NSLock()
    private var running = false

    /// The server every test of this process shares, started on first use.
    public static func shared() throws -> PostgresServer {
        try sharedLock.withLock {
            if let server = sharedServer { return server }
            let server = try PostgresServer()
            try server.start()
            sharedServer = server
            // Statics are never deinitialized: stop the server and remove its folder when the test process exits.
            atexit {
                try? PostgresServer.sharedServer?.stop()
                if let dir = PostgresServer.sharedServer?.directory { try? FileManager.default.removeItem(atPath: dir) }
            }
            return server
        }
    }

    private static let sharedLock = NSLock()
    nonisolated(unsafe) private static var sharedServer: PostgresServer?

    /// Creates the cluster (not started); `tcpPort` also makes it listen on 127.0.0.1.
    ///
    /// `settings` are `NAME=VALUE` server settings without spaces or quotes (`ssl=on`, `ssl_cert_file=server.pem`);
    /// `files` are copied into the data directory (name there: source path), mode 0600 and owned by the server's user,
    /// as it requires of a TLS key; `hba` replaces pg_hba.conf (which trusts every local and loopback login).
    public init(tcpPort: Int? = nil, settings: [String] = [], files: [String: String] = [:], hba: [String]? = nil) throws {
        for tool in ["initdb", "pg_ctl", "postgres", "psql", "pg_dump", "createdb"] where !FileManager.default.isExecutableFile(atPath: "\(Self.bin)/\(tool)") {
            throw PostgresServerError("\(Self.bin)/\(tool) is missing; install Debian's postgresql package: apt-get install postgresql")
        }
        self.tcpPort = tcpPort
        self.settings = settings
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("banli-pg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        if getuid() == 0 {
            try Self.run("/usr/bin/chown", ["postgres:postgres", directory])
        }
        try runAsOwner("initdb", ["-D", dataDirectory, "-U", user, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])
        for (name, source) in files {
            try ownedFile(name, contents: try Data(contentsOf: URL(fileURLWithPath: source)))
        }
        if let hba { try ownedFile("pg_hba.conf", contents: Data((hba.joined(separator: "\n") + "\n").utf8)) }
    }

    /// Writes `name` into the data directory, mode 0600, owned by the user the server runs as.
    private func ownedFile(_ name: String, contents: Data) throws {
        let path = dataDirectory + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        guard FileManager.default.createFile(atPath: path, contents: contents, attributes: [.posixPermissions: 0o600]) else {
            throw PostgresServerError("Cannot write \(path).")
        }
        if getuid() == 0 { try Self.run("/usr/bin/chown", ["postgres:postgres", path]) }
    }

    deinit { try? stop() }

    public var dataDirectory: String { directory + "/data" }

    /// Starts the server and waits until it accepts connections.
    public func start() throws {
        let listen = tcpPort == nil ? "''" : "127.0.0.1"
        // fsync=off loses data only when the machine crashes; `stop()` (an immediate shutdown) keeps every commit.
        var options = "-c listen_addresses=\(listen) -c unix_socket_directories=\(directory) -c fsync=off -c max_connections=200 -p \(Self.port)"
        if let tcpPort { options += " -c port=\(tcpPort)" }
        for setting in settings { options += " -c \(setting)" }
        try runAsOwner("pg_ctl", ["-D", dataDirectory, "-l", directory + "/server.log", "-w", "-t", "30", "-o", options, "start"])
        lock.withLock { running = true }
    }

    /// Stops the server at once (`-m immediate`: as if it crashed; connections drop).
    public func stop() throws {
        guard lock.withLock({ running }) else { return }
        try runAsOwner("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
        lock.withLock { running = false }
    }

    /// Stops and starts the server again.
    public func restart() throws {
        try stop()
        try start()
    }

    /// The socket's port: the TCP port when it listens on one, else the default.
    var socketPort: Int { tcpPort ?? Self.port }

    /// A new, empty database; names are letters, digits and underscores.
    @discardableResult
    public func createDatabase(_ name: String = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "_")) throws -> String {
        try psql(database: "postgres", sql: "CREATE DATABASE \(name)")
        return name
    }

    /// The URL of `database` on the server's Unix socket (or on its TCP port with `tcp`).
    public func url(database: String, tcp: Bool = false) -> String {
        if tcp, let tcpPort { return "postgresql://\(user)@127.0.0.1:\(tcpPort)/\(database)" }
        return "postgresql://\(user)@:\(socketPort)/\(database)?host=\(directory)"
    }

    /// Dumps `database` into `file` (plain SQL).
    public func pgDump(database: String, to file: String) throws {
        try Self.run("\(Self.bin)/pg_dump", ["-h", directory, "-p", String(socketPort), "-U", user, "-f", file, database])
    }

    /// Runs `sql` in `database` and returns psql's unaligned, tuples-only output.
    @discardableResult
    public func psql(database: String, sql: String) throws -> String {
        try Self.run("\(Self.bin)/psql", ["-h", directory, "-p", String(socketPort), "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1",
                                          "-X", "-q", "-A", "-t", "-c", sql])
    }

    /// Runs a server tool as the folder's owner: `postgres` when the tests run as root (PostgreSQL refuses root).
    private func runAsOwner(_ tool: String, _ arguments: [String]) throws {
        if getuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(Self.bin)/\(tool)"] + arguments)
        } else {
            try Self.run("\(Self.bin)/\(tool)", arguments)
        }
    }

    /// Runs a program; throws with its output when it fails. With posix_spawn and waitpid rather than `Process`,
    /// whose `waitUntilExit` was seen here never to notice a child's exit (a zombie `runuser`, the test hung).
    @discardableResult
    static func run(_ path: String, _ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("banli-pg-out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw PostgresServerError("Cannot start \(path): error \(spawned).") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        // Exited normally with status 0 (WIFEXITED and WEXITSTATUS, which Swift does not import).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw PostgresServerError("\(path) \(arguments.joined(separator: " ")) failed (wait status \(status)): \(text)")
        }
        return text
    }
}

/// A test server that could not be set up: what failed, in one sentence.
public struct PostgresServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
