// Figures 3p, 4p, 5p and 7bp: the bench's SQLite hub copied into a PostgreSQL database with `banli hub migrate` (as an
// office moving to PostgreSQL would), then served by one and by two `banli hub serve` processes. Each figure's baseline
// is the SQLite figure of the same run.
import BanliStore
import BanliSync
import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The PostgreSQL server's side of the run, for the figures and the capacity estimate.
struct PostgresFacts {
    var costs = BackendCosts()
    /// No-op exchanges a second with two hub processes on the database, and their CPU-seconds per exchange.
    var twoProcessCapacity: Double?
    var twoProcessCPUPerExchange: Double?
    /// `banli hub migrate` from the SQLite hub: seconds.
    var migrateSeconds = 0.0
    /// Rows in the database.
    var fieldRows = 0, historyRows = 0
    /// The server's processes after /v1/status: how many, the sum of their proportional set sizes and of their RSS, KB.
    var serverProcesses = 0, serverPssKB = 0, serverRssKB = 0
    /// Long-polls held while the hub's RSS was measured, and how many answered at once instead.
    var waitsHeld = 0
}

/// Runs figures 3p, 4p, 5p and 7bp; `sqliteHub` is stopped first (`banli hub migrate` needs the store to itself).
@MainActor
func postgresFigures(sqliteHub: Hub, hubPath: String, tokens: [String], hubSeq: Int64, sqlite: BackendCosts,
                     capacityBureaus: Int, capacitySeconds: Double) throws -> (figures: [Figure], facts: PostgresFacts) {
    var out: [Figure] = []
    var facts = PostgresFacts()
    facts.costs.items = sqlite.items
    let server = try PostgresServer()
    try server.start()
    defer {
        try? server.stop()
        try? FileManager.default.removeItem(atPath: server.directory)
    }
    let database = try server.createDatabase("banli_bench")
    let url = server.url(database: database)
    sqliteHub.stop()
    facts.migrateSeconds = try seconds { try runBanli(["hub", "migrate", "--store", hubPath, "--to", url]) }
    let counts = try server.psql(database: database, sql: """
        SELECT pg_database_size(current_database()), (SELECT count(*) FROM field), (SELECT count(*) FROM history)
        """).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").compactMap { Int($0) }
    guard counts.count == 3 else { throw BenchError("cannot read the database's size and rows: \(counts)") }
    facts.costs.storeBytes = counts[0]
    facts.fieldRows = counts[1]
    facts.historyRows = counts[2]
    log("hub migrate to PostgreSQL: \(fmt(facts.migrateSeconds, 1)) s; \(counts[0] / 1_048_576) MB, \(counts[1]) field rows, \(counts[2]) history rows")

    let postmaster = try postmasterPid(server)
    let first = try Hub(store: url)
    defer { first.stop() }
    let hubPid = first.process.processIdentifier
    func hubSide(_ hubs: [Hub]) -> [Int32] { hubs.map(\.process.processIdentifier) + processTree(postmaster) }

    // 4p. A new bureau's initial sync from the database: three rounds, the median.
    var rounds: [(t: Double, pulled: Int, cpu: Double)] = []
    for round in 0..<3 {
        let store = try Store.create(at: dir + "/u0-pg-\(round).db", site: "u0", name: "x", hubSite: "hub", isHub: false)
        let engine = SyncEngine(store: store, transport: CurlTransport(baseURL: first.url, token: tokens[0]), limit: 2_000)
        var pulled = 0
        let cpu = hubSide([first]).reduce(0) { $0 + cpuSeconds($1) }
        let t = try seconds { pulled = try engine.syncOnce().pulled }
        rounds.append((t, pulled, hubSide([first]).reduce(0) { $0 + cpuSeconds($1) } - cpu))
        log("initial sync from PostgreSQL, round \(round): \(fmt(t, 2)) s, \(pulled) states")
    }
    let r = rounds.sorted { $0.t < $1.t }[1]
    facts.costs.initialSync = r.t
    facts.costs.initialStates = r.pulled
    facts.costs.cpuPerState = r.cpu / Double(max(1, r.pulled))
    let sqliteSync = sqlite.initialSync.map { "SQLite hub (figure 4): \(fmt($0, 2)) s" } ?? "—"
    out.append(Figure(name: "4p. Initial sync of a new bureau from the hub on PostgreSQL: \(r.pulled) states over HTTP (median of 3 rounds)",
                      value: "\(fmt(r.t, 2)) s (\(fmt(Double(r.pulled) / r.t)) states/s)", baseline: sqliteSync,
                      ratio: sqlite.initialSync.map { fmt(r.t / $0, 2) } ?? "—", target: "—", met: nil))

    // 3p. No-op exchange latency; the ratio is to the SQLite hub's (what moving to PostgreSQL costs a bureau), and the
    // baseline cell also gives this hub's own GET /healthz (the HTTP stack alone, answered without the database).
    let noop = try measureNoop(hub: first, token: tokens[1], storePath: dir + "/u1-pg.db")
    facts.costs.noopP50 = noop.p50
    facts.costs.noopP99 = noop.p99
    out.append(Figure(name: "3p. No-op sync exchange on loopback, hub on PostgreSQL (p50 / p99)",
                      value: "\(fmt(noop.p50 * 1000, 2)) / \(fmt(noop.p99 * 1000, 2)) ms",
                      baseline: (sqlite.noopP50.map { "SQLite hub p50 (figure 3): \(fmt($0 * 1000, 2)) ms; " } ?? "")
                          + "this hub's GET /healthz p50: \(fmt(noop.healthP50 * 1000, 2)) ms",
                      ratio: fmt(noop.p50 / (sqlite.noopP50 ?? noop.healthP50), 2), target: "p50 < 2 ms", met: noop.p50 < 0.002))

    // 5p. Capacity with one process, then with two on the same database (the bureaus alternate between the ports).
    let requests = try captureNoopRequests(hub: first, tokens: tokens, units: 2..<(2 + capacityBureaus), storePrefix: dir + "/cap-pg")
    let one = try loadWithCPU(ports: [first.port], requests: requests, duration: capacitySeconds) { hubSide([first]) }
    facts.costs.capacity = one.load.rate
    facts.costs.cpuPerExchange = one.cpu / Double(max(1, one.load.completed))
    log("capacity on PostgreSQL, one process: \(one.load); hub and server CPU \(fmt(one.cpu, 2)) s")
    let second = try Hub(store: url)
    defer { second.stop() }
    let two = try loadWithCPU(ports: [first.port, second.port], requests: requests, duration: capacitySeconds) { hubSide([first, second]) }
    facts.twoProcessCapacity = two.load.rate
    facts.twoProcessCPUPerExchange = two.cpu / Double(max(1, two.load.completed))
    log("capacity on PostgreSQL, two processes: \(two.load); hubs and server CPU \(fmt(two.cpu, 2)) s")
    second.stop()
    for (label, run) in [("one `banli hub serve` process", one), ("two `banli hub serve` processes on one database", two)] {
        out.append(Figure(name: "5p. Hub capacity on PostgreSQL, \(label): no-op exchanges/s, \(capacityBureaus) simulated bureaus",
                          value: "\(fmt(run.load.rate))/s (\(run.load.failures) failed; \(fmt(run.cpu / Double(max(1, run.load.completed)) * 1e6)) "
                              + "µs CPU of hub and database per exchange)",
                          baseline: sqlite.capacity.map { "SQLite hub (figure 5): \(fmt($0))/s" } ?? "—",
                          ratio: sqlite.capacity.map { fmt(run.load.rate / $0, 2) } ?? "—",
                          target: "≥ 5,000/s", met: run.load.rate >= 5_000 && run.load.failures == 0))
    }

    // 7bp. Hub memory after /v1/status, and the database server's.
    _ = try CurlTransport(baseURL: "http://127.0.0.1:\(first.adminPort)", token: "x").get("/v1/status", extraTimeout: 0, cancel: nil)
    let rss = rssKB(hubPid)
    facts.costs.hubRSSKB = rss
    let serverPids = processTree(postmaster)
    facts.serverProcesses = serverPids.count
    facts.serverPssKB = serverPids.reduce(0) { $0 + rssKB($1, key: "Pss", file: "smaps_rollup") }
    facts.serverRssKB = serverPids.reduce(0) { $0 + rssKB($1) }
    out.append(Figure(name: "7bp. Hub memory (RSS) on PostgreSQL, \(tokens.count) units, \(sqlite.items) items, after /v1/status",
                      value: "\(rss / 1024) MB (PostgreSQL server: \(facts.serverProcesses) processes, PSS \(facts.serverPssKB / 1024) MB)",
                      baseline: sqlite.hubRSSKB.map { "SQLite hub (figure 7b): \($0 / 1024) MB" } ?? "—",
                      ratio: sqlite.hubRSSKB.map { fmt(Double(rss) / Double($0), 2) } ?? "—", target: "< 200 MB", met: rss < 200 * 1024))
    log("PostgreSQL server: \(facts.serverProcesses) processes, PSS \(facts.serverPssKB) KB, RSS sum \(facts.serverRssKB) KB")

    // The memory of held long-polls (after 7bp, so that figure is measured as 7b is): one per unit (up to 500), each waiting
    // past the hub's last change.
    let waiters = min(500, tokens.count - 1)
    let rssBefore = rssKB(hubPid)
    var fds: [Int32] = []
    defer { for fd in fds { close(fd) } }
    for unit in 1...waiters {
        let fd = try connectLoopback(port: first.port)
        fds.append(fd)
        let request = httpGet(path: "/v1/wait?cursor=\(hubSeq)&timeout=60", port: first.port, token: tokens[unit])
        guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else { throw BenchError("cannot send a long-poll") }
    }
    Thread.sleep(forTimeInterval: 2)
    var polls = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    let answered = Int(poll(&polls, nfds_t(polls.count), 0))
    facts.waitsHeld = waiters - max(0, answered)
    facts.costs.waitKB = Double(rssKB(hubPid) - rssBefore) / Double(max(1, facts.waitsHeld))
    log("\(facts.waitsHeld) long-polls held (\(answered) answered at once): hub RSS \(rssBefore) → \(rssKB(hubPid)) KB")
    for fd in fds { close(fd) }
    fds = []
    return (out, facts)
}

/// The postmaster's pid: the first line of postmaster.pid in the data directory.
func postmasterPid(_ server: PostgresServer) throws -> Int32 {
    let text = try String(contentsOfFile: server.dataDirectory + "/postmaster.pid", encoding: .utf8)
    guard let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }) else { throw BenchError("postmaster.pid holds no pid") }
    return pid
}

/// Runs `banli` (no config file) and throws with its output when it fails.
func runBanli(_ arguments: [String]) throws {
    try runTool(banli, arguments)
}

/// Runs a program (without BANLI_CONFIG, so no config file of this machine is read) and throws with its output when it fails.
func runTool(_ executable: String, _ arguments: [String]) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    p.environment = env.filter { $0.key != "BANLI_CONFIG" }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    let name = (executable as NSString).lastPathComponent
    guard p.terminationStatus == 0 else { throw BenchError("\(name) \(arguments.joined(separator: " ")) failed: \(text)") }
}
