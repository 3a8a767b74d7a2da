// The measurements figures 3–5 and 7b make on a running hub, whatever its store: the SQLite figures and the
// PostgreSQL ones (PostgresFigures.swift) run the same code, so their ratios compare like with like.
import BanliStore
import BanliSync
import Foundation

/// What one backend's run measured: the PostgreSQL figures' baselines and the capacity estimate's inputs.
struct BackendCosts {
    /// No-op exchange latency, seconds (figure 3).
    var noopP50: Double?
    var noopP99: Double?
    /// A new bureau's initial sync (figure 4): seconds, states pulled, CPU-seconds of the hub side per state.
    var initialSync: Double?
    var initialStates = 0
    var cpuPerState: Double?
    /// No-op exchanges a second with one hub process (figure 5), and the hub side's CPU-seconds per exchange.
    var capacity: Double?
    var cpuPerExchange: Double?
    /// Hub RSS after the initial syncs and the no-op exchanges (figures 4 and 3), KB: the cost curves' memory.
    var hubRSSAfterNoopKB: Int?
    /// Hub RSS after /v1/status, KB (figure 7b).
    var hubRSSKB: Int?
    /// Hub RSS added per long-poll held, KB (measured on PostgreSQL's first process).
    var waitKB: Double?
    /// Bytes the store takes on disk, and the items in it.
    var storeBytes: Int?
    var items = 0
}

/// A no-op exchange's latency and bodies against `GET /healthz` on the same connection.
struct NoopMeasure {
    var p50: Double, p99: Double, healthP50: Double
    var up: Double, down: Double
}

/// Times 400 no-op exchanges of a new bureau store at `storePath` for the unit holding `token`, then 400 GET /healthz.
func measureNoop(hub: Hub, token: String, storePath: String) throws -> NoopMeasure {
    let store = try Store.create(at: storePath, site: "u1", name: "x", hubSite: "hub", isHub: false)
    let counting = CountingTransport(CurlTransport(baseURL: hub.url, token: token))
    let engine = SyncEngine(store: store, transport: counting)
    _ = try engine.syncOnce()
    _ = try engine.syncOnce()
    counting.sent = 0
    counting.received = 0
    let n = 400
    var lat: [Double] = []
    for _ in 0..<n { lat.append(try seconds { _ = try engine.syncOnce() }) }
    var base: [Double] = []
    for _ in 0..<n { base.append(try seconds { _ = try counting.inner.get("/healthz", extraTimeout: 0, cancel: nil) }) }
    return NoopMeasure(p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), healthP50: percentile(base, 0.5),
                       up: Double(counting.sent) / Double(n), down: Double(counting.received) / Double(n))
}

/// Each unit's last real no-op request (a new bureau store synced twice), for the load generator to replay.
func captureNoopRequests(hub: Hub, tokens: [String], units: Range<Int>, storePrefix: String) throws -> [[UInt8]] {
    try units.map { unit in
        let store = try Store.create(at: "\(storePrefix)\(unit).db", site: "u\(unit)", name: "x", hubSite: "hub", isHub: false)
        let capture = CountingTransport(CurlTransport(baseURL: hub.url, token: tokens[unit]))
        let engine = SyncEngine(store: store, transport: capture)
        _ = try engine.syncOnce()
        _ = try engine.syncOnce()
        return httpPost(path: "/v1/sync", port: hub.port, token: tokens[unit], json: capture.lastRequest)
    }
}

/// Runs the load and counts the CPU time the processes `pids()` used meanwhile (the hub side; the generator excluded).
func loadWithCPU(ports: [Int], requests: [[UInt8]], duration: Double, pids: () -> [Int32]) throws -> (load: LoadResult, cpu: Double) {
    let before = pids().reduce(0) { $0 + cpuSeconds($1) }
    let load = try runLoad(ports: ports, requests: requests, duration: duration)
    let after = pids().reduce(0) { $0 + cpuSeconds($1) }
    return (load, after - before)
}

/// User plus system CPU time of a live process, in seconds (0 when it is gone).
func cpuSeconds(_ pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return 0 }
    // After the command's closing parenthesis: state is field 3, utime 14 and stime 15 (proc(5)).
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// A process's parent pid, nil when it is gone.
func parentPid(_ pid: Int32) -> Int32? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    return fields.count > 1 ? Int32(fields[1]) : nil
}

/// `pid` and its direct children.
func processTree(_ pid: Int32) -> [Int32] {
    let all = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    return [pid] + all.filter { parentPid($0) == pid }
}

/// Bytes of a file and its SQLite companions (-wal, -shm), 0 for those missing.
func fileBytes(_ path: String) -> Int {
    ["", "-wal", "-shm"].reduce(0) { sum, suffix in
        sum + (((try? FileManager.default.attributesOfItem(atPath: path + suffix))?[.size] as? NSNumber)?.intValue ?? 0)
    }
}
