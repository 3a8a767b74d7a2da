import BanliCore
import BanliStore
import BanliSync
import Foundation
import Synchronization
import Testing

/// Bad networks, busy stores and many bureaus.
@Suite(.serialized) struct NetworkFaultTests {
    /// Through a proxy that drops, cuts, stalls and answers 502/503, bureaus retry and converge;
    /// no write is lost and none is applied twice.
    @Test(arguments: HubBackend.allCases) func faultyNetworkLosesNothingAndAppliesNothingTwice(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj", "fgw"], backend: backend)
        try c.cli.ok(["item", "new", "zx-2025-90", "--kind", "proposal", "--number", "90", "--year", "2025", "--title", "t"] + c.atHub)
        try c.cli.ok(["item", "assign", "zx-2025-90", "jxj", "--role", "lead"] + c.atHub)
        try c.cli.ok(["item", "assign", "zx-2025-90", "fgw", "--role", "cooperating"] + c.atHub)
        try c.startHub()
        defer { c.stopHub() }
        // Each bureau first receives the item it writes to (since issue 15, item set needs the item, as the verbs do).
        for u in ["jxj", "fgw"] { try c.sync(u) }
        let proxy = FaultProxy(upstream: c.port, seed: 42)
        defer { proxy.stop() }
        for u in ["jxj", "fgw"] {
            try ("site = \"\(u)\"\nhub_url = \"http://127.0.0.1:\(proxy.port)\"\ntoken_file = \"\(u).token\"\nbatch_limit = 3\n"
                 + "[network]\nrequest_timeout = 2\nconnect_timeout = 1\n")
                .write(toFile: c.dir + "/\(u).toml", atomically: true, encoding: .utf8)
        }
        var failures = 0, attempts = 0
        for round in 0..<24 {
            let u = round % 2 == 0 ? "jxj" : "fgw"
            try c.cli.ok(["item", "set", "zx-2025-90", "progress", "进展\(round)", "--store", "\(u).db"])
            try c.cli.ok(["item", "set", "zx-2025-90", "phone", "0714-\(round)", "--store", "\(u).db"])
            attempts += 1
            if try c.cli.run(["--config", "\(u).toml", "sync", "--store", "\(u).db"]).status != 0 { failures += 1 }
        }
        proxy.setFaulty(false)
        for u in ["jxj", "fgw", "jxj", "fgw"] { try c.cli.ok(["--config", "\(u).toml", "sync", "--store", "\(u).db"]) }
        let faults = proxy.counts
        print("network faults: \(faults), sync attempts=\(attempts) failed=\(failures)")
        #expect(faults.filter { $0.key != "pass" }.values.reduce(0, +) >= 10, "faults were injected")
        #expect(failures > 0, "some syncs failed under faults")
        for u in ["jxj", "fgw"] {
            #expect(try c.dump(u, item: "zx-2025-90") == c.dump("hub", item: "zx-2025-90"), "\(u) converged")
        }
        #expect(try c.value("hub", "assignment/zx-2025-90/jxj", "progress") == .string("进展22"))
        #expect(try c.value("hub", "assignment/zx-2025-90/fgw", "phone") == .string("0714-23"))
        // Each pushed write was recorded once at the hub, however often it was retried.
        let received = try c.records("hub").history(ofItem: "zx-2025-90").filter { $0.origin == "received" }
        let dots = received.map { "\($0.entity) \($0.field) \($0.site) \($0.counter)" }
        #expect(Set(dots).count == dots.count, "a write was applied twice")
    }

    /// A clerk writing in a loop while the daemon syncs: nothing fails with "database is locked", nothing is lost.
    @Test(arguments: HubBackend.allCases) func clerkWritesWhileTheDaemonSyncs(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj"], backend: backend)
        try c.cli.ok(["item", "new", "rd-2025-1", "--kind", "建议", "--number", "1", "--year", "2025", "--title", "t"] + c.atHub)
        try c.cli.ok(["item", "assign", "rd-2025-1", "jxj", "--role", "lead"] + c.atHub)
        try c.startHub()
        defer { c.stopHub() }
        let daemon = try c.startDaemon("jxj", interval: 0.3)
        defer { daemon.terminate(); daemon.waitUntilExit() }
        _ = try c.waitFor(timeout: 10) { try c.value("jxj", "item/rd-2025-1", "title") != nil }
        for i in 0..<60 {
            let r = try c.cli.run(["item", "set", "rd-2025-1", "progress", "第\(i)次", "--store", "jxj.db"])
            #expect(r.status == 0, "write \(i): \(r.stderr)")
        }
        let done = try c.waitFor(timeout: 15) { try c.value("hub", "assignment/rd-2025-1/jxj", "progress") == .string("第59次") }
        #expect(done != nil)
        let log = (try? String(contentsOfFile: c.dir + "/jxj.daemon.log", encoding: .utf8)) ?? ""
        #expect(!log.contains("locked"), "\(log)")
    }

    /// 200 bureaus at the same moment, as 200 daemons would be: each on its own thread and its own
    /// connection, released together. They sync (pull, push, confirm) all at once, then all 200 hold a
    /// long-poll at the hub at the same time; one office write wakes every one, and every unit receives it.
    /// On PostgreSQL half as many: its hub (a debug build here) answers a burst several times slower, and 100 bureaus
    /// still queue six deep for its 16 pooled connections, which is what that case is about.
    @Test(arguments: HubBackend.allCases) func twoHundredBureausAtOnce(backend: HubBackend) throws {
        let units = Int(ProcessInfo.processInfo.environment["BANLI_LOAD_UNITS"] ?? "") ?? 200
        let n = backend == .sqlite ? units : units / 2
        let c = try Cluster(units: [], backend: backend)
        let hub = try c.records("hub")
        var tokens: [String: String] = [:]
        for i in 0..<n { tokens["u\(i)"] = try hub.addUnit(site: "u\(i)", name: "单位\(i)") }
        try hub.write((0..<n).flatMap { i in [
            LocalWrite(.item(id: "rd-2025-\(i)"), "title", .string("建议\(i)")),
            LocalWrite(.assignment(item: "rd-2025-\(i)", site: "u\(i)"), "role", .string("sole")),
            LocalWrite(.assignment(item: "rd-2025-\(i)", site: "u\(i)"), "active", .bool(true)),
        ] })
        try c.startHub()
        defer { c.stopHub() }
        let tokenOf = tokens
        let stores = try (0..<n).map { i in try Store.create(at: c.dir + "/u\(i).db", site: "u\(i)", name: "单位\(i)", hubSite: "hub", isHub: false) }
        // Threads outlive this scope's borrows, so the counters live in a class.
        final class Progress: Sendable {
            let errors = Mutex<[String]>([])
            let inWait = Atomic<Int>(0)
            let woken = Atomic<Int>(0)
        }
        let progress = Progress()
        let barrier = Barrier(count: n)
        let done = DispatchGroup()
        for i in 0..<n {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                let engine = SyncEngine(store: stores[i], transport: CurlTransport(baseURL: c.hubURL, token: tokenOf["u\(i)"]!))
                barrier.wait()
                do {
                    _ = try engine.syncOnce()
                    try stores[i].write(.assignment(item: "rd-2025-\(i)", site: "u\(i)"), "acceptedAt", .string("2025-04-01"))
                    _ = try engine.syncOnce()
                    _ = try engine.syncOnce()
                    progress.inWait.add(1, ordering: .sequentiallyConsistent)
                    // A wait that times out before the office writes is simply renewed, as the daemon does.
                    var changed = false
                    let deadline = Date().addingTimeInterval(240)
                    while !changed && Date() < deadline { changed = try engine.waitForHub(timeoutSeconds: 60, cancel: nil) }
                    progress.inWait.subtract(1, ordering: .sequentiallyConsistent)
                    guard changed else { throw BanliError(.protocolError, "the long-poll never reported the office's write") }
                    progress.woken.add(1, ordering: .sequentiallyConsistent)
                    _ = try engine.syncOnce()
                } catch {
                    progress.errors.withLock { $0.append("u\(i): \(error)") }
                }
            }
            thread.start()
        }
        // The hub itself counts the requests it holds open; this scrape of /metrics is one of them.
        let admin = CurlTransport(baseURL: "http://127.0.0.1:\(c.adminPort)", token: "")
        var held = 0.0
        let start = Date()
        let allWaiting = c.waitFor(timeout: 180) {
            guard progress.errors.withLock({ $0.isEmpty }), progress.inWait.load(ordering: .sequentiallyConsistent) == n,
                  let r = try? admin.get("/metrics", extraTimeout: 0, cancel: nil), r.status == 200 else { return false }
            held = String(decoding: r.body, as: UTF8.self).split(separator: "\n")
                .filter { $0.hasPrefix("http_server_active_requests{") && $0.contains(#"="GET""#) }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
            return held >= Double(n + 1)
        }
        print("load: \(n) bureaus synced and all held a long-poll after \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        #expect(allWaiting != nil, "the hub never held \(n) long-polls at once (last saw \(held) open GETs)")
        try hub.write(.unit(site: "hub"), "name", .string("市政府督查室（新）"))
        #expect(done.wait(timeout: .now() + 300) == .success, "every bureau finished")
        #expect(progress.errors.withLock { $0 }.isEmpty, "\(progress.errors.withLock { $0 }.prefix(3))")
        #expect(progress.woken.load(ordering: .sequentiallyConsistent) == n, "every long-poll was woken by the office's write")
        for i in 0..<n {
            #expect(try hub.field(.assignment(item: "rd-2025-\(i)", site: "u\(i)"), "acceptedAt")?.visibleValue(hubSite: "hub") == .string("2025-04-01"))
            #expect(try stores[i].field(.item(id: "rd-2025-\(i)"), "title")?.visibleValue(hubSite: "hub") == .string("建议\(i)"))
            #expect(try stores[i].field(.unit(site: "hub"), "name")?.visibleValue(hubSite: "hub") == .string("市政府督查室（新）"), "u\(i)")
            #expect(try stores[i].item("rd-2025-\((i + 1) % n)") == nil, "a unit sees only its own item")
        }
    }

    /// One unit over its rate gets 429; another unit is still served.
    @Test(arguments: HubBackend.allCases) func rateLimitIsPerUnit(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj", "fgw"], hubConfig: "rate_limit = 1\nrate_burst = 3\n", backend: backend)
        try c.startHub()
        defer { c.stopHub() }
        let jxj = CurlTransport(baseURL: c.hubURL, token: try c.token("jxj"))
        let statuses = try (0..<8).map { _ in try jxj.get("/v1/wait?cursor=0&timeout=0", extraTimeout: 0, cancel: nil).status }
        #expect(statuses.prefix(3).allSatisfy { $0 == 200 } && statuses.contains(429), "\(statuses)")
        #expect(try CurlTransport(baseURL: c.hubURL, token: try c.token("fgw")).get("/v1/wait?cursor=0&timeout=0", extraTimeout: 0, cancel: nil).status == 200)
    }
}

/// Holds threads until `count` of them have arrived, then lets them all go at once.
final class Barrier: @unchecked Sendable {
    private let condition = NSCondition()
    private var arrived = 0
    private let count: Int

    init(count: Int) { self.count = count }

    func wait() {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        if arrived == count { condition.broadcast() }
        while arrived < count { condition.wait() }
    }
}
