import BanliCore
import BanliHubStorage
import BanliProtocol
import BanliStore
import BanliSync
import Foundation
import TestSupport
import Testing

/// A unit with a valid token sends seeded hostile pushes (random entities, fields, sibling sets, contexts,
/// clocks and tags, built from the real dots it could learn) while the office and honest bureaus write and
/// sync through the real binary. After every round: no honest write is missing from the hub or from its
/// author's store, and the hostile unit's store holds nothing outside its assignments.
/// `make adversary` runs it long (BANLI_ADVERSARY_ROUNDS, BANLI_ADVERSARY_SEED).
@Suite(.serialized) struct AdversaryTests {
    static let environment = ProcessInfo.processInfo.environment
    static let rounds = Int(environment["BANLI_ADVERSARY_ROUNDS"] ?? "") ?? 120

    /// The rounds against a hub on `backend`. The rule is the hub's, above its storage, so the PostgreSQL hub gets a
    /// quarter of the budget: enough to reach every kind of hostile state through its storage (`make adversary` runs 2,000 and 500).
    static func rounds(on backend: HubBackend) -> Int { backend == .sqlite ? rounds : max(rounds / 4, 20) }
    static let seed = UInt64(environment["BANLI_ADVERSARY_SEED"] ?? "") ?? 20_261_130

    /// Items: who is assigned, and whether `evil` was ever assigned by the office.
    static let items: [(id: String, units: [(String, String)])] = [
        ("rd-2025-1", [("jxj", "lead"), ("swj", "cooperating"), ("evil", "assisting")]),
        ("rd-2025-2", [("swj", "sole")]),
        ("rd-2025-3", [("evil", "lead"), ("jxj", "cooperating")]),
        ("rd-2025-4", [("evil", "sole")]),
        ("rd-2025-5", [("jxj", "sole")]),
    ]
    static let evilItems: Set<String> = ["rd-2025-1", "rd-2025-3", "rd-2025-4"]
    static let sites = ["hub", "jxj", "swj", "evil", "ghost"]

    /// One honest write: who wrote which field, and the value it must still show.
    struct HonestWrite {
        var author: String
        var entity: String
        var field: String
        var value: String
        var synced: Bool
    }

    @Test(arguments: HubBackend.allCases) func aHostileUnitNeverReachesBeyondItsItemsAndFields(backend: HubBackend) throws {
        let c = try Cluster(units: ["jxj", "swj", "evil"], backend: backend)
        for (n, item) in Self.items.enumerated() {
            try c.cli.ok(["item", "new", item.id, "--kind", "建议", "--number", "\(n + 1)", "--year", "2025", "--title", "建议\(n + 1)"]
                         + c.atHub)
            for (unit, role) in item.units { try c.cli.ok(["item", "assign", item.id, unit, "--role", role] + c.atHub) }
        }
        try c.cli.ok(["item", "set", "rd-2025-4", "active", "false", "--unit", "evil"] + c.atHub)
        try c.startHub()
        defer { c.stopHub() }
        for u in ["jxj", "swj", "evil"] { try c.sync(u) }

        var rng = SplitMix64(seed: Self.seed)
        var ledger: [String: HonestWrite] = [:]
        var accepted = 0, refused = 0, malformed = 0
        let evil = CurlTransport(baseURL: c.hubURL, token: try c.token("evil"))
        // Honest writers and the fields each writes.
        let honest: [(author: String, store: String, writes: [(id: String, field: String, unit: String?)])] = [
            ("hub", "hub", [("rd-2025-1", "title", nil), ("rd-2025-3", "supervisor", nil), ("rd-2025-1", "finalCategory", "jxj"),
                            ("rd-2025-3", "opinionDueAt", "jxj"), ("rd-2025-2", "body", nil)]),
            ("jxj", "jxj", [("rd-2025-1", "progress", "jxj"), ("rd-2025-1", "handler", "jxj"), ("rd-2025-3", "opinion", "jxj"), ("rd-2025-5", "phone", "jxj")]),
            ("swj", "swj", [("rd-2025-1", "opinion", "swj"), ("rd-2025-2", "replyText", "swj"), ("rd-2025-2", "handler", "swj")]),
        ]

        let rounds = Self.rounds(on: backend)
        for round in 0..<rounds {
            // 1. An honest write, not yet synced.
            let writer = honest.randomElement(using: &rng)!
            let w = writer.writes.randomElement(using: &rng)!
            let value = w.field == "finalCategory" ? ["A", "B", "C", "D"].randomElement(using: &rng)!
                : w.field == "opinionDueAt" ? "2099-0\(Int.random(in: 1...9, using: &rng))-1\(round % 10)" : "r\(round)-\(writer.author)"
            var args = ["item", "set", w.id, w.field, value] + c.at(writer.store)
            if let unit = w.unit { args += ["--unit", unit] }
            try c.cli.ok(args)
            let entity = w.unit.map { "assignment/\(w.id)/\($0)" } ?? "item/\(w.id)"
            ledger["\(entity) \(w.field)"] = HonestWrite(author: writer.author, entity: entity, field: w.field, value: value, synced: writer.author == "hub")

            // 2. A hostile push built from what the hub holds now.
            let known = try c.records("hub").allFields()
            let changes = (0..<Int.random(in: 1...6, using: &rng)).map { _ in Self.hostileState(known: known, rng: &rng) }
            let body = #"{"protocol":1,"site":"evil","cursor":0,"limit":50,"changes":[\#(changes.joined(separator: ","))]}"#
            let r = try evil.post("/v1/sync", json: body)
            #expect(r.status == 200 || r.status == 400, "round \(round): status \(r.status) \(String(decoding: r.body, as: UTF8.self))")
            if r.status == 200 {
                let response = try SyncResponse(bytes: r.body)
                accepted += response.accepted
                refused += response.rejected.count
            } else {
                malformed += 1
            }

            // 3. Honest units sync now and then; the hostile unit's own client too.
            for unit in ["jxj", "swj"] where Bool.random(using: &rng) {
                try c.sync(unit)
                for key in ledger.keys where ledger[key]!.author == unit { ledger[key]!.synced = true }
            }
            if round % 10 == 9 { try c.sync("evil") }

            // 4. The invariants.
            try Self.checkHonestWrites(c, ledger, round: round)
            if round % 10 == 9 { try Self.checkHostileStore(c, round: round) }
        }
        for unit in ["jxj", "swj", "evil"] { try c.sync(unit) }
        for key in ledger.keys { ledger[key]!.synced = true }
        try Self.checkHonestWrites(c, ledger, round: rounds)
        try Self.checkHostileStore(c, round: rounds)
        print("adversary (\(backend.rawValue)): seed \(Self.seed), \(rounds) rounds: \(accepted) hostile states accepted (its own fields), \(refused) refused, "
            + "\(malformed) requests refused as malformed; no honest write lost, nothing leaked")
        #expect(refused > rounds && accepted > 0, "the generator reaches both sides of the rule: \(accepted) accepted, \(refused) refused")
    }

    /// Every honest write is the only value of its field at its author's store, and at the hub once synced.
    static func checkHonestWrites(_ c: Cluster, _ ledger: [String: HonestWrite], round: Int) throws {
        let hub = try c.records("hub")
        var stores: [String: any RecordStore] = [:]
        for w in ledger.values {
            let entity = try EntityKey(parsing: w.entity)
            let author = w.author == "hub" ? hub : try stores[w.author] ?? c.records(w.author)
            stores[w.author] = author
            var places = [(w.author, author)]
            if w.synced, w.author != "hub" { places.append(("hub", hub)) }
            for (name, store) in places {
                let state = try store.field(entity, w.field)?.state
                let values = state?.siblings.map { $0.value.stringValue ?? "\($0.value)" } ?? []
                #expect(values == [w.value] && state?.siblings.first?.site == w.author,
                        "round \(round): \(w.author)'s write \(w.entity) \(w.field) = \(w.value) at \(name): \(values)")
            }
        }
    }

    /// The hostile unit's store holds the directory and its own items only; the hub grants it nothing more.
    static func checkHostileStore(_ c: Cluster, round: Int) throws {
        for f in try c.store("evil").allFields() {
            guard let item = f.entity.itemId else { continue }
            #expect(evilItems.contains(item), "round \(round): the hostile unit holds \(f.entity) \(f.field)")
        }
        for f in try c.records("hub").allFields() {
            if f.entity.site == "evil", let item = f.entity.itemId {
                #expect(evilItems.contains(item), "round \(round): the hub holds \(f.entity) \(f.field) for the hostile unit")
            }
            #expect(f.entity.site != "ghost" && !f.state.context.entries.keys.contains("ghost"), "round \(round): a made-up site in \(f.entity)")
        }
    }

    /// One hostile change line: a random target (a field the hub holds, or any catalogue field of any
    /// entity), random siblings (any site, real or made-up dots, far clocks, copied or forged tags) and a
    /// random context (real dots of other sites, just past them, far ahead), sometimes malformed.
    static func hostileState(known: [ReplicatedField], rng: inout SplitMix64) -> String {
        let target: (entity: String, spec: FieldSpec, state: FieldState?)
        if Int.random(in: 0..<4, using: &rng) == 0 {
            // Its own rows, where some of what it sends is its right: the rule must let that through.
            let entity: EntityKey = [.assignment(item: "rd-2025-1", site: "evil"), .assignment(item: "rd-2025-3", site: "evil"),
                                     .contact(item: "rd-2025-3", site: "evil", n: 1)].randomElement(using: &rng)!
            let spec = FieldCatalogue.fields(of: entity.kind).filter { $0.author == .unit }.randomElement(using: &rng)!
            target = (entity.description, spec, known.first { $0.entity == entity && $0.field == spec.name }?.state)
            if Bool.random(using: &rng) {
                // A write it may make: its own dot over what the hub holds of the field.
                let n = HybridLogicalClock.pack(milliseconds: HybridLogicalClock.wallMilliseconds()) + UInt64.random(in: 0...1000, using: &rng)
                var context = target.state?.context.entries ?? [:]
                context["evil"] = n
                let ctx = context.map { #""\#($0.key)":\#($0.value)"# }.joined(separator: ",")
                return #"{"entity":"\#(target.entity)","field":"\#(spec.name)","#
                    + #""siblings":[{"value":\#(value(spec, &rng)),"site":"evil","counter":\#(n)}],"context":{\#(ctx)}}"#
            }
        } else if Bool.random(using: &rng), let f = known.randomElement(using: &rng) {
            target = (f.entity.description, f.spec, f.state)
        } else {
            let item = (items.map(\.id) + ["rd-2025-9"]).randomElement(using: &rng)!
            let site = sites.randomElement(using: &rng)!
            let entity: EntityKey = [.item(id: item), .assignment(item: item, site: site), .contact(item: item, site: site, n: 1),
                                     .feedback(item: item, site: site), .unit(site: site)].randomElement(using: &rng)!
            target = (entity.description, FieldCatalogue.fields(of: entity.kind).randomElement(using: &rng)!, nil)
        }
        let now = HybridLogicalClock.pack(milliseconds: HybridLogicalClock.wallMilliseconds())
        let realDots = known.flatMap { $0.state.context.entries.values }
        func counter() -> UInt64 {
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: return target.state?.context.entries.values.randomElement(using: &rng) ?? now
            case 1: return (target.state?.context.entries.values.randomElement(using: &rng) ?? now) + 1
            case 2: return realDots.randomElement(using: &rng) ?? now
            case 3: return now + (UInt64.random(in: 60...900, using: &rng) * 1000) << 16
            case 4: return now - (UInt64.random(in: 1...900, using: &rng) * 1000) << 16
            case 5: return UInt64.random(in: 1...(UInt64.max >> 1), using: &rng)
            default: return now + UInt64.random(in: 0...100, using: &rng)
            }
        }
        let realSigs = known.flatMap { $0.state.siblings.compactMap(\.sig) }
        var siblings: [String] = []
        var context: [String: UInt64] = [:]
        var used: Set<String> = []
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            let site = ["evil", "evil", "hub", "jxj", "swj", "ghost"].randomElement(using: &rng)!
            let n = counter()
            guard used.insert("\(site)@\(n)").inserted else { continue }
            var sibling = #"{"value":\#(value(target.spec, &rng)),"site":"\#(site)","counter":\#(n)"#
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: if let s = realSigs.randomElement(using: &rng) { sibling += #","sig":"\#(s)""# }
            case 1: sibling += #","sig":"\#(String(repeating: "ab", count: 32))""#
            default: break
            }
            siblings.append(sibling + "}")
            // Siblings are normally covered by their own context (else the request is malformed: 400).
            if Int.random(in: 0..<10, using: &rng) > 0 { context[site] = max(context[site] ?? 0, n) }
        }
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            let site = sites.randomElement(using: &rng)!
            context[site] = max(context[site] ?? 0, counter())
        }
        let ctx = context.map { #""\#($0.key)":\#($0.value)"# }.joined(separator: ",")
        return #"{"entity":"\#(target.entity)","field":"\#(target.spec.name)","siblings":[\#(siblings.joined(separator: ","))],"context":{\#(ctx)}}"#
    }

    /// A value of the field's type, or now and then of a wrong one.
    static func value(_ spec: FieldSpec, _ rng: inout SplitMix64) -> String {
        if Int.random(in: 0..<10, using: &rng) == 0 { return ["1", "null", #"{"x":1}"#, #""\u001b[2J""#].randomElement(using: &rng)! }
        switch spec.type {
        case .string, .text: return #""攻击\#(rng.next() % 1000)""#
        case .date: return #""2025-0\#(Int.random(in: 1...9, using: &rng))-01""#
        case .int: return "\(Int.random(in: 1...99, using: &rng))"
        case .bool: return Bool.random(using: &rng) ? "true" : "false"
        case .enumeration(let cases): return #""\#(cases.randomElement(using: &rng)!.value)""#
        case .strings: return #"["某某"]"#
        case .itemId: return #""rd-2025-1""#
        case .publicFlag: return #"{"public":true}"#
        }
    }
}
