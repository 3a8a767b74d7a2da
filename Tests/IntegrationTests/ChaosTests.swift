import BanliCore
import BanliStore
import Foundation
import TestSupport
import Testing

/// kill -9 of `banli sync`, of daemons and of the hub at random moments, while clerks keep
/// writing. Afterwards every write made anywhere has been seen by the hub (held, or superseded
/// by a write made after it was seen) and every store converges. `make chaos` runs many rounds;
/// the default suite runs a short seeded version.
@Suite(.serialized) struct ChaosTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["BANLI_CHAOS_ROUNDS"] ?? "") ?? 8
    static let seed = UInt64(ProcessInfo.processInfo.environment["BANLI_CHAOS_SEED"] ?? "") ?? 20251122

    struct Write { var store: String; var entity: EntityKey; var field: String; var dot: Dot }

    @Test(arguments: HubBackend.allCases) func killNineAnywhereLosesNothingAndConverges(backend: HubBackend) throws {
        let units = ["jxj", "fgw", "swj"]
        let c = try Cluster(units: units, backend: backend)
        let items = ["zx-2025-90", "rd-2025-39"]
        for (n, id) in items.enumerated() {
            let kind = id.hasPrefix("rd-") ? "suggestion" : "proposal"  // the kind the id names (issue 15)
            try c.cli.ok(["item", "new", id, "--kind", kind, "--number", "\(90 + n)", "--year", "2025", "--title", "题\(id)"] + c.atHub)
            try c.cli.ok(["item", "assign", id, "jxj", "--role", "lead", "--at", "2025-03-20"] + c.atHub)
            try c.cli.ok(["item", "assign", id, "fgw", "--role", "cooperating", "--at", "2025-03-20"] + c.atHub)
            try c.cli.ok(["item", "assign", id, "swj", "--role", "cooperating", "--at", "2025-03-20"] + c.atHub)
        }
        try c.startHub()
        for u in units { try c.sync(u) }
        var daemons: [String: Process] = [:]
        for u in ["fgw", "swj"] { daemons[u] = try c.startDaemon(u, interval: 1) }

        var rng = SplitMix64(seed: Self.seed)
        var writes: [Write] = []
        try #require(Self.rounds >= 3, "BANLI_CHAOS_ROUNDS must be at least 3: one round for each kind of kill")
        var syncKills = 0, daemonKills = 0, hubKills = 0, syncsDoneBeforeKill = 0, failedSyncs = 0
        for round in 0..<Self.rounds {
            // Clerks write at random stores (their own fields) and at the hub.
            for k in 0..<Int.random(in: 1...4, using: &rng) {
                let store = (units + ["hub"]).randomElement(using: &rng)!
                let item = items.randomElement(using: &rng)!
                let field = ["progress", "handler", "phone"].randomElement(using: &rng)!
                let site = store == "hub" ? units.randomElement(using: &rng)! : store
                var args = ["item", "set", item, field, "r\(round)-\(k)-\(store)"] + c.at(store)
                if store == "hub" { args += ["--unit", site] }
                try c.cli.ok(args)
                let entity = EntityKey.assignment(item: item, site: site)
                let writer = store == "hub" ? "hub" : store
                let dot = try c.records(store).field(entity, field)!.state.siblings.filter { $0.site == writer }.map(\.dot).max { $0.counter < $1.counter }!
                writes.append(Write(store: store, entity: entity, field: field, dot: dot))
            }
            // One fault: the first three rounds take one kind each, so a short run has all three.
            let fault = Int.random(in: 0..<3, using: &rng)
            switch round < 3 ? round : fault {
            case 0:  // kill -9 a one-shot sync mid-exchange; one that finished first is run again, killed sooner
                var delay = Double.random(in: 0...0.12, using: &rng)
                for _ in 0..<4 {
                    let p = Process()
                    p.executableURL = URL(fileURLWithPath: BanliProcess.binary)
                    p.arguments = ["sync", "--store", "jxj.db"]
                    p.currentDirectoryURL = URL(fileURLWithPath: c.dir)
                    p.standardOutput = FileHandle.nullDevice
                    p.standardError = FileHandle.nullDevice
                    try p.run()
                    Thread.sleep(forTimeInterval: delay)
                    let killed = p.isRunning && kill(p.processIdentifier, SIGKILL) == 0
                    p.waitUntilExit()
                    if killed && p.terminationReason == .uncaughtSignal { syncKills += 1; break }
                    syncsDoneBeforeKill += 1
                    delay /= 2
                }
            case 1:  // kill -9 a daemon and start it again
                let u = ["fgw", "swj"].randomElement(using: &rng)!
                Thread.sleep(forTimeInterval: Double.random(in: 0...0.3, using: &rng))
                kill(daemons[u]!.processIdentifier, SIGKILL)
                daemons[u]!.waitUntilExit()
                daemonKills += 1
                daemons[u] = try c.startDaemon(u, interval: 1)
            default:  // kill -9 the hub while a sync is in flight, then restart it
                let p = Process()
                p.executableURL = URL(fileURLWithPath: BanliProcess.binary)
                p.arguments = ["sync", "--store", "jxj.db"]
                p.currentDirectoryURL = URL(fileURLWithPath: c.dir)
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                Thread.sleep(forTimeInterval: Double.random(in: 0...0.08, using: &rng))
                if let hub = c.hub { kill(hub.processIdentifier, SIGKILL); hub.waitUntilExit(); hubKills += 1 }
                p.waitUntilExit()
                if p.terminationStatus != 0 { failedSyncs += 1 }
                c.forgetHub()
                try c.startHub()
            }
        }
        // Calm: stop the daemons cleanly, then sync everyone until quiet.
        for p in daemons.values { p.terminate(); p.waitUntilExit() }
        for _ in 0..<2 { for u in units { try c.sync(u) } }
        c.stopHub()

        let hub = try c.records("hub")
        var lost = 0
        for w in writes {
            let state = try hub.field(w.entity, w.field)?.state
            if state?.context.covers(w.dot) != true {
                lost += 1
                Issue.record("write \(w.dot) to \(w.entity) \(w.field) made at \(w.store) never reached the hub")
            }
        }
        for u in units {
            for item in items {
                #expect(try c.dump(u, item: item) == c.dump("hub", item: item), "\(u) converged on \(item)")
            }
        }
        print("chaos (\(backend.rawValue)): rounds=\(Self.rounds) seed=\(Self.seed) kills: sync=\(syncKills) daemon=\(daemonKills) hub=\(hubKills)"
              + " (syncs done before their kill=\(syncsDoneBeforeKill)) hub-interrupted-syncs=\(failedSyncs) writes=\(writes.count) lost=\(lost)")
        #expect(syncKills > 0, "no sync was killed mid-exchange (\(syncsDoneBeforeKill) finished first)")
        #expect(daemonKills > 0 && hubKills > 0, "daemon kills=\(daemonKills), hub kills=\(hubKills)")
        #expect(!writes.isEmpty)
        #expect(lost == 0)
    }
}
