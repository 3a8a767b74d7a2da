import BanliCore
import TestSupport
import Testing

/// The causal rule stated directly, with explicit dot sets and no version-vector compression:
/// a replica knows a causally closed set of writes; its siblings are the known writes that no
/// other known write has seen.
struct CausalModel {
    struct Write { var value: JSONValue; var past: Set<Dot> }
    var writes: [Dot: Write] = [:]

    func siblings(known: Set<Dot>) -> [Sibling] {
        known.filter { d in !known.contains { other in writes[other]!.past.contains(d) } }
            .map { Sibling(value: writes[$0]!.value, site: $0.site, counter: $0.counter) }
            .sorted { $0.dot < $1.dot }
    }
}

/// One simulated site: its field state, the dots it knows, and its clock.
struct Replica {
    var site: String
    var state = FieldState()
    var known: Set<Dot> = []
    var clock = HybridLogicalClock()
}

/// Random histories of writes and state exchanges among `sites`, checked against the model.
struct History {
    var replicas: [Replica]
    var model = CausalModel()
    var sent: [(Int, FieldState, Set<Dot>)] = []  // every message ever sent, for duplicates and late delivery
    var rng: SplitMix64
    var wall: UInt64 = 1_700_000_000_000

    init(siteCount: Int, seed: UInt64) {
        replicas = (0..<siteCount).map { Replica(site: $0 == 0 ? "hub" : "s\($0)") }
        rng = SplitMix64(seed: seed)
    }

    mutating func write(at i: Int) {
        wall += UInt64.random(in: 0...3, using: &rng)  // clocks may stand still
        let counter = replicas[i].clock.tick(nowMilliseconds: wall - UInt64.random(in: 0...2, using: &rng))
        let dot = Dot(site: replicas[i].site, counter: counter)
        let value = JSONValue.string("v\(Int.random(in: 0..<5, using: &rng))")
        model.writes[dot] = .init(value: value, past: replicas[i].known)
        replicas[i].state.write(value, dot: dot)
        replicas[i].known.insert(dot)
    }

    mutating func deliver(_ state: FieldState, known: Set<Dot>, to j: Int) {
        replicas[j].state.join(state)
        replicas[j].known.formUnion(known)
        replicas[j].clock.observe(state.context.maxCounter)
    }

    /// One random step: a write, a send (the receiver may relay it later), or a duplicate/old message.
    mutating func step() {
        let n = replicas.count
        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<4:
            write(at: Int.random(in: 0..<n, using: &rng))
        case 4..<8:
            let i = Int.random(in: 0..<n, using: &rng), j = Int.random(in: 0..<n, using: &rng)
            sent.append((i, replicas[i].state, replicas[i].known))
            deliver(replicas[i].state, known: replicas[i].known, to: j)
        default:
            guard !sent.isEmpty else { return }
            let m = sent[Int.random(in: 0..<sent.count, using: &rng)]
            deliver(m.1, known: m.2, to: Int.random(in: 0..<n, using: &rng))
        }
    }

    /// Everyone sends to everyone, twice: afterwards all replicas know everything.
    mutating func fullExchange() {
        for _ in 0..<2 {
            for i in replicas.indices {
                for j in replicas.indices where i != j {
                    deliver(replicas[i].state, known: replicas[i].known, to: j)
                }
            }
        }
    }

    func matchesModel() -> Bool {
        replicas.allSatisfy { r in
            r.state.siblings == model.siblings(known: r.known)
        }
    }
}

@Suite struct JoinPropertyTests {
    static let cases = 10_000

    /// Random reachable states of one field, from a random history.
    static func randomStates(seed: UInt64, count: Int) -> [FieldState] {
        var h = History(siteCount: 4, seed: seed)
        for _ in 0..<Int.random(in: 1...25, using: &h.rng) { h.step() }
        return (0..<count).map { h.replicas[$0 % h.replicas.count].state }
    }

    @Test func joinIsCommutative() {
        for seed in 0..<UInt64(Self.cases) {
            var h = History(siteCount: 4, seed: seed)
            for _ in 0..<Int.random(in: 1...25, using: &h.rng) { h.step() }
            let a = h.replicas[1].state, b = h.replicas[2].state
            #expect(a.joined(with: b) == b.joined(with: a), "seed \(seed)")
        }
    }

    @Test func joinIsAssociative() {
        for seed in 0..<UInt64(Self.cases) {
            var h = History(siteCount: 4, seed: seed &+ 1_000_000)
            for _ in 0..<Int.random(in: 1...25, using: &h.rng) { h.step() }
            let a = h.replicas[1].state, b = h.replicas[2].state, c = h.replicas[3].state
            #expect(a.joined(with: b).joined(with: c) == a.joined(with: b.joined(with: c)), "seed \(seed)")
        }
    }

    @Test func joinIsIdempotent() {
        for seed in 0..<UInt64(Self.cases) {
            var h = History(siteCount: 4, seed: seed &+ 2_000_000)
            for _ in 0..<Int.random(in: 1...25, using: &h.rng) { h.step() }
            let a = h.replicas[0].state, b = h.replicas[3].state
            #expect(a.joined(with: a) == a, "seed \(seed)")
            let ab = a.joined(with: b)
            #expect(ab.joined(with: b) == ab && ab.joined(with: a) == ab, "seed \(seed)")
        }
    }

    /// Random histories across 4 to 6 sites, with random order, duplicates and relays: every replica
    /// holds exactly the siblings the causal rule predicts at every step, and all converge.
    @Test func randomHistoriesMatchTheCausalRuleAndConverge() {
        for seed in 0..<UInt64(Self.cases) {
            var h = History(siteCount: 4 + Int(seed % 3), seed: seed &+ 3_000_000)
            let steps = Int.random(in: 5...40, using: &h.rng)
            for _ in 0..<steps {
                h.step()
                guard h.matchesModel() else {
                    Issue.record("seed \(seed): a replica's siblings differ from the causal rule")
                    break
                }
            }
            h.fullExchange()
            let first = h.replicas[0].state
            #expect(h.replicas.allSatisfy { $0.state == first }, "seed \(seed): replicas did not converge")
            #expect(h.matchesModel(), "seed \(seed)")
            let visible = Set(h.replicas.map { $0.state.visible(naturalAuthor: "s1")?.value })
            #expect(visible.count == 1, "seed \(seed): visible values differ")
        }
    }

    /// The case that breaks a plain "value + vector clock" register: a causally later write of lower
    /// rank meets an earlier concurrent write of higher rank. Both must survive, in every delivery order.
    @Test func laterLowRankWriteMeetsEarlierHighRankWrite() {
        // jxj (the natural author, rank 1) writes x. Concurrently the hub writes h; fgw sees h and writes f.
        var jxj = FieldState(), hub = FieldState(), fgw = FieldState()
        jxj.write(.string("x"), dot: Dot(site: "jxj", counter: 10))
        hub.write(.string("h"), dot: Dot(site: "hub", counter: 20))
        fgw.join(hub)
        fgw.write(.string("f"), dot: Dot(site: "fgw", counter: 30))

        let orders: [[FieldState]] = [[jxj, hub, fgw], [jxj, fgw, hub], [hub, jxj, fgw], [hub, fgw, jxj], [fgw, jxj, hub], [fgw, hub, jxj]]
        var results: [FieldState] = []
        for order in orders {
            var r = FieldState()
            for s in order { r.join(s) }
            results.append(r)
        }
        // A replica that first merged x with h, then learns f.
        var relay = jxj
        relay.join(hub)
        relay.join(fgw)
        results.append(relay)

        for r in results {
            #expect(r == results[0])
            #expect(r.siblings.map(\.value) == [.string("f"), .string("x")])  // h was superseded by f
            #expect(r.visible(naturalAuthor: "jxj")?.value == .string("x"))     // rank beats the later counter
            #expect(r.isConflict)
        }
        // A new write that has seen both resolves the conflict everywhere.
        var resolved = results[0]
        resolved.write(.string("final"), dot: Dot(site: "hub", counter: 40))
        var late = fgw
        late.join(resolved)
        #expect(late.siblings.map(\.value) == [.string("final")])
    }

    @Test func visibleValueRule() {
        var s = FieldState()
        s.write(.string("bureau"), dot: Dot(site: "jxj", counter: 5))
        var t = FieldState()
        t.write(.string("proxy"), dot: Dot(site: "hub", counter: 9))
        let m = s.joined(with: t)
        #expect(m.visible(naturalAuthor: "jxj")?.value == .string("bureau"))
        #expect(m.visible(naturalAuthor: "hub")?.value == .string("proxy"))
        #expect(m.visible(naturalAuthor: "nobody")?.value == .string("proxy"))  // then the higher counter
        var u = FieldState(), v = FieldState()
        u.write(.string("a"), dot: Dot(site: "aa", counter: 7))
        v.write(.string("b"), dot: Dot(site: "bb", counter: 7))
        #expect(u.joined(with: v).visible(naturalAuthor: "hub")?.value == .string("b"))  // then the site
    }
}
