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
    @Test func faultyNetworkLosesNothingAndAppliesNothingTwice() throws {
        let c = try Cluster(units: ["jxj", "fgw"])
        try c.cli.ok(["item", "new", "zx-2025-90", "--kind", "proposal", "--number", "90", "--year", "2025", "--title", "t", "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "zx-2025-90", "jxj", "--role", "lead", "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "zx-2025-90", "fgw", "--role", "cooperating", "--store", "hub.db"])
        try c.startHub()
        defer { c.stopHub() }
        let proxy = FaultProxy(upstream: c.port, seed: 42)
        defer { proxy.stop() }
        for u in ["jxj", "fgw"] {
            try "site = \"\(u)\"\nhub_url = \"http://127.0.0.1:\(proxy.port)\"\ntoken_file = \"\(u).token\"\nbatch_limit = 3\n[network]\nrequest_timeout = 2\nconnect_timeout = 1\n"
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
        let received = try c.store("hub").history(ofItem: "zx-2025-90").filter { $0.origin == "received" }
        let dots = received.map { "\($0.entity) \($0.field) \($0.site) \($0.counter)" }
        #expect(Set(dots).count == dots.count, "a write was applied twice")
    }

    /// A clerk writing in a loop while the daemon syncs: nothing fails with "database is locked", nothing is lost.
    @Test func clerkWritesWhileTheDaemonSyncs() throws {
        let c = try Cluster(units: ["jxj"])
        try c.cli.ok(["item", "new", "rd-2025-1", "--kind", "建议", "--number", "1", "--year", "2025", "--title", "t", "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "rd-2025-1", "jxj", "--role", "lead", "--store", "hub.db"])
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

    /// 200 bureaus syncing at once against one hub, for a bounded time: no errors, all converge.
    @Test func twoHundredBureausAtOnce() throws {
        let n = Int(ProcessInfo.processInfo.environment["BANLI_LOAD_UNITS"] ?? "") ?? 200
        let c = try Cluster(units: [])
        let hub = try c.store("hub")
        var tokens: [String: String] = [:]
        for i in 0..<n {
            let site = "u\(i)"
            tokens[site] = try hub.addUnit(site: site, name: "单位\(i)")
            try hub.write([
                LocalWrite(.item(id: "rd-2025-\(i)"), "title", .string("建议\(i)")),
                LocalWrite(.assignment(item: "rd-2025-\(i)", site: site), "role", .string("sole")),
                LocalWrite(.assignment(item: "rd-2025-\(i)", site: site), "active", .bool(true)),
            ])
        }
        try c.startHub()
        defer { c.stopHub() }
        let tokenOf = tokens
        let stores = try (0..<n).map { i in try Store.create(at: c.dir + "/u\(i).db", site: "u\(i)", name: "单位\(i)", hubSite: "hub", isHub: false) }
        let errors = Mutex<[String]>([])
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: n) { i in
            let engine = SyncEngine(store: stores[i], transport: CurlTransport(baseURL: c.hubURL, token: tokenOf["u\(i)"]!))
            do {
                _ = try engine.syncOnce()
                try stores[i].write(.assignment(item: "rd-2025-\(i)", site: "u\(i)"), "acceptedAt", .string("2025-04-01"))
                _ = try engine.syncOnce()
                _ = try engine.syncOnce()
            } catch {
                errors.withLock { $0.append("u\(i): \(error)") }
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print("load: \(n) bureaus × 3 syncs in \(String(format: "%.1f", seconds)) s")
        #expect(errors.withLock { $0 }.isEmpty, "\(errors.withLock { $0 }.prefix(3))")
        #expect(seconds < 120)
        for i in stride(from: 0, to: n, by: 17) {
            #expect(try hub.field(.assignment(item: "rd-2025-\(i)", site: "u\(i)"), "acceptedAt")?.visibleValue(hubSite: "hub") == .string("2025-04-01"))
            #expect(try stores[i].field(.item(id: "rd-2025-\(i)"), "title")?.visibleValue(hubSite: "hub") == .string("建议\(i)"))
            #expect(try stores[i].item("rd-2025-\((i + 1) % n)") == nil, "a unit sees only its own item")
        }
    }

    /// One unit over its rate gets 429; another unit is still served.
    @Test func rateLimitIsPerUnit() throws {
        let c = try Cluster(units: ["jxj", "fgw"], hubConfig: "rate_limit = 1\nrate_burst = 3\n")
        try c.startHub()
        defer { c.stopHub() }
        let jxj = CurlTransport(baseURL: c.hubURL, token: try c.token("jxj"))
        let statuses = try (0..<8).map { _ in try jxj.get("/v1/wait?cursor=0&timeout=0", extraTimeout: 0, cancel: nil).status }
        #expect(statuses.prefix(3).allSatisfy { $0 == 200 } && statuses.contains(429), "\(statuses)")
        #expect(try CurlTransport(baseURL: c.hubURL, token: try c.token("fgw")).get("/v1/wait?cursor=0&timeout=0", extraTimeout: 0, cancel: nil).status == 200)
    }
}
