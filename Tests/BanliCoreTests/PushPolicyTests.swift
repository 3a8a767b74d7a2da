import BanliCore
import TestSupport
import Testing

/// The trust rule checked as invariants over seeded hostile pushes: whatever a unit sends, a state the
/// policy accepts, once joined, keeps every value the unit may not remove, claims no other site's
/// unseen writes, and adds no value the unit may not add.
struct PushPolicyTests {
    static let hub = "hub", now: UInt64 = 1_790_000_000_000
    static let sites = ["hub", "jxj", "swj", "evil", "ghost"]

    /// Hub writes are "tagged" by a sig naming their entity, field and counter.
    static func tag(_ e: EntityKey, _ f: String, _ c: UInt64) -> String { "ok:\(e):\(f):\(c)" }
    static func policy(_ unit: String) -> PushPolicy {
        PushPolicy(unit: unit, hubSite: hub, nowMilliseconds: now, hubClock: HybridLogicalClock.pack(milliseconds: now)) { e, f, s in
            s.sig == tag(e, f, s.counter)
        }
    }

    struct Case {
        var entity: EntityKey
        var spec: FieldSpec
        var current: FieldState
        var incoming: FieldState
    }

    static let entities: [EntityKey] = [
        .item(id: "rd-1"), .assignment(item: "rd-1", site: "jxj"), .assignment(item: "rd-1", site: "swj"),
        .assignment(item: "rd-1", site: "evil"), .contact(item: "rd-1", site: "evil", n: 1), .feedback(item: "rd-1", site: "evil"), .unit(site: "evil"),
    ]

    /// An honest history at the hub: the hub and the row's own unit write in turn, each superseding what it saw.
    static func current(_ e: EntityKey, _ spec: FieldSpec, _ rng: inout SplitMix64) -> FieldState {
        var state = FieldState()
        var t = now - 100_000
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            t += UInt64.random(in: 1...20_000, using: &rng)
            let c = HybridLogicalClock.pack(milliseconds: t)
            let writer = spec.author == .unit && Bool.random(using: &rng) ? (e.site ?? hub) : hub
            var fresh = FieldState()
            fresh.write(.string("v\(c)"), dot: Dot(site: writer, counter: c), sig: writer == hub ? tag(e, spec.name, c) : nil)
            // Sometimes concurrent (no supersession), sometimes a write that saw everything.
            if Bool.random(using: &rng) {
                state.write(.string("v\(c)"), dot: Dot(site: writer, counter: c), sig: fresh.siblings[0].sig)
            } else {
                state.join(fresh)
            }
        }
        return state
    }

    static func counter(_ current: FieldState, _ rng: inout SplitMix64) -> UInt64 {
        let known = Array(current.context.entries.values)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0 where !known.isEmpty: return known.randomElement(using: &rng)!
        case 1 where !known.isEmpty: return known.randomElement(using: &rng)! + 1
        case 2: return HybridLogicalClock.pack(milliseconds: now + UInt64.random(in: 0...400_000, using: &rng))
        case 3: return HybridLogicalClock.pack(milliseconds: now - UInt64.random(in: 0...400_000, using: &rng))
        case 4: return UInt64.random(in: 1...UInt64.max >> 1, using: &rng)
        default: return HybridLogicalClock.pack(milliseconds: now)
        }
    }

    static func hostile(_ e: EntityKey, _ spec: FieldSpec, _ current: FieldState, _ rng: inout SplitMix64) -> FieldState {
        var siblings: [Sibling] = []
        var context = VersionVector()
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            let site = sites.randomElement(using: &rng)!
            let c = counter(current, &rng)
            let sig: String? = switch Int.random(in: 0..<3, using: &rng) {
            case 0: tag(e, spec.name, c)  // a real hub write the unit holds (it may relay those)
            case 1: current.siblings.first?.sig
            default: nil
            }
            if let held = current.siblings.randomElement(using: &rng), Int.random(in: 0..<4, using: &rng) == 0 {
                // A held dot with another value (or the same one).
                siblings.append(Sibling(value: Bool.random(using: &rng) ? held.value : .string("zzz"), site: held.site, counter: held.counter, sig: held.sig))
                context.add(held.dot)
                continue
            }
            siblings.append(Sibling(value: .string("x\(c)"), site: site, counter: c, sig: sig))
            context.add(Dot(site: site, counter: c))
        }
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            context.add(Dot(site: sites.randomElement(using: &rng)!, counter: counter(current, &rng)))
        }
        var seen = Set<Dot>()
        return FieldState(siblings: siblings.filter { seen.insert($0.dot).inserted }, context: context)
    }

    @Test func acceptedPushesKeepEveryValueTheUnitMayNotTouch() {
        var rng = SplitMix64(seed: 12)
        var accepted = 0, refused = 0
        for _ in 0..<40_000 {
            let unit = ["jxj", "evil"].randomElement(using: &rng)!
            let e = Self.entities.randomElement(using: &rng)!
            let spec = FieldCatalogue.fields(of: e.kind).randomElement(using: &rng)!
            let current = Self.current(e, spec, &rng)
            let incoming = Self.hostile(e, spec, current, &rng)
            let field = ReplicatedField(entity: e, spec: spec, state: incoming)
            guard Self.policy(unit).rejection(of: field, current: current, access: .active) == nil else { refused += 1; continue }
            accepted += 1
            let joined = current.joined(with: incoming)
            let mayWrite = Permissions.denial(site: unit, hubSite: Self.hub, entity: e, field: spec) == nil
            let newHub = incoming.siblings.filter { $0.site == Self.hub && !current.context.covers($0.dot) }
            let tagged = newHub.allSatisfy { $0.sig == Self.tag(e, spec.name, $0.counter) }
            #expect(tagged, "an untagged hub value was accepted: \(incoming)")
            for s in joined.siblings where !current.siblings.contains(s) {
                #expect(s.site == Self.hub || (s.site == unit && mayWrite), "\(unit) added \(s) to \(e) \(spec.name)")
            }
            for s in current.siblings {
                if let kept = joined.siblings.first(where: { $0.dot == s.dot }) { #expect(kept == s, "\(unit) rewrote \(s) as \(kept)") }
            }
            if !mayWrite {
                for s in current.siblings where !joined.siblings.contains(s) {
                    #expect(newHub.contains { $0.counter > s.counter }, "\(unit) removed \(s) from \(e) \(spec.name)")
                }
            }
            let pendingLimit = newHub.map(\.counter).max() ?? 0
            for (site, c) in joined.context.entries where c > current.context[site] {
                switch site {
                case unit:
                    #expect(mayWrite && HybridLogicalClock.milliseconds(of: c) <= Self.now + PushPolicy.unitSkewMilliseconds)
                case Self.hub:
                    #expect(c <= pendingLimit || (mayWrite && c <= HybridLogicalClock.pack(milliseconds: Self.now)))
                default:
                    Issue.record("\(unit) claimed unseen writes of \(site) on \(e) \(spec.name): \(incoming)")
                }
            }
        }
        // The generator reaches both sides of the rule.
        #expect(accepted > 2_000 && refused > 2_000, "accepted \(accepted), refused \(refused)")
    }

    @Test func accessComesOnlyFromTheOfficesAuthenticWrites() throws {
        let e = EntityKey.assignment(item: "rd-1", site: "evil")
        let role = try FieldCatalogue.require(.assignment, "role"), handler = try FieldCatalogue.require(.assignment, "handler")
        let c = HybridLogicalClock.pack(milliseconds: Self.now)
        let policy = Self.policy("evil")
        // Finding: an empty `role` state with the unit's own dot in its context granted access.
        let grab = FieldState(siblings: [], context: VersionVector(["evil": c]))
        #expect(policy.rejection(of: ReplicatedField(entity: e, spec: role, state: grab), current: FieldState(), access: .none) != nil)
        var own = FieldState()
        own.write(.string("张三"), dot: Dot(site: "evil", counter: c))
        #expect(policy.rejection(of: ReplicatedField(entity: e, spec: handler, state: own), current: FieldState(), access: .none) != nil)
        #expect(policy.rejection(of: ReplicatedField(entity: e, spec: handler, state: own), current: FieldState(), access: .revoked) != nil)
        // A hub restored from a backup learns the assignment back from the unit: the office's tagged write.
        var restored = FieldState()
        restored.write(.string("lead"), dot: Dot(site: Self.hub, counter: c), sig: Self.tag(e, "role", c))
        #expect(policy.rejection(of: ReplicatedField(entity: e, spec: role, state: restored), current: FieldState(), access: .none) == nil)
    }

    @Test func aUnitsFastClockIsRefusedWithItsOffset() throws {
        let e = EntityKey.assignment(item: "rd-1", site: "jxj"), spec = try FieldCatalogue.require(.assignment, "progress")
        var ahead = FieldState()
        ahead.write(.string("x"), dot: Dot(site: "jxj", counter: HybridLogicalClock.pack(milliseconds: Self.now + 240_000)))
        let refusal = Self.policy("jxj").refusal(of: ReplicatedField(entity: e, spec: spec, state: ahead), current: FieldState(), access: .active)
        #expect(refusal?.kind == .clock)
        #expect(refusal?.reason.contains("240 s ahead") == true, "\(refusal?.reason ?? "")")
        var close = FieldState()
        close.write(.string("x"), dot: Dot(site: "jxj", counter: HybridLogicalClock.pack(milliseconds: Self.now + 120_000)))
        #expect(Self.policy("jxj").refusal(of: ReplicatedField(entity: e, spec: spec, state: close), current: FieldState(), access: .active) == nil)
    }
}

/// The rule's named cases (moved from BanliSyncTests: the policy is pure and lives in BanliCore).
@Suite struct PushPolicyExampleTests {
    let title = FieldCatalogue.spec(.item, "title")!
    let reply = FieldCatalogue.spec(.assignment, "replyText")!

    func policy(authentic: Bool = false) -> PushPolicy {
        PushPolicy(unit: "jxj", hubSite: "hub", nowMilliseconds: 1_000_000) { _, _, _ in authentic }
    }

    func state(_ v: String, _ site: String, _ counter: UInt64, context: [String: UInt64] = [:]) -> FieldState {
        var ctx = context
        ctx[site] = max(ctx[site] ?? 0, counter)
        return FieldState(siblings: [Sibling(value: .string(v), site: site, counter: counter)], context: VersionVector(ctx))
    }

    @Test func ownWriteOnOwnRowIsAccepted() {
        let e = EntityKey.assignment(item: "a", site: "jxj")
        let f = ReplicatedField(entity: e, spec: reply, state: state("x", "jxj", 5))
        #expect(policy().rejection(of: f, current: FieldState(), access: .active) == nil)
        #expect(policy().rejection(of: f, current: FieldState(), access: .none) != nil)
        #expect(policy().rejection(of: f, current: FieldState(), access: .revoked)?.contains("reassigned") == true)
    }

    @Test func knownDotsMayBeRelayedUnknownOnesMayNot() {
        let e = EntityKey.assignment(item: "a", site: "fgw")
        let f = ReplicatedField(entity: e, spec: reply, state: state("x", "fgw", 5))
        #expect(policy().rejection(of: f, current: FieldState(), access: .active)?.contains("only be pushed by 'fgw'") == true)
        // The hub already holds that write: relaying it is a harmless no-op.
        #expect(policy().rejection(of: f, current: state("x", "fgw", 5), access: .active) == nil)
    }

    @Test func hubWritesNeedTheirTag() {
        let f = ReplicatedField(entity: .item(id: "a"), spec: title, state: state("t", "hub", 9))
        #expect(policy(authentic: false).rejection(of: f, current: FieldState(), access: .active)?.contains("signature") == true)
        #expect(policy(authentic: true).rejection(of: f, current: state("old", "hub", 4), access: .active) == nil)
    }

    @Test func mayNotEraseWhatItMayNotWrite() {
        let erase = ReplicatedField(entity: .item(id: "a"), spec: title, state: FieldState(siblings: [], context: VersionVector(["hub": 9])))
        #expect(policy().rejection(of: erase, current: state("t", "hub", 9), access: .active)?.contains("may not change") == true)
    }

    /// Issue 18: the deputy's own answer (both satisfactions, 沟通方式, its source and time) is the office's: the lead
    /// unit it rates can never write it, not even on its own feedback row.
    @Test func aUnitCannotWriteTheDeputysOnlineAnswer() {
        for name in ["workEvaluation", "resultEvaluation", "contactMethod", "source", "answeredAt", "evaluation"] {
            let spec = FieldCatalogue.spec(.feedback, name)!
            #expect(spec.author == .hub, "\(name)")
            let f = ReplicatedField(entity: .feedback(item: "a", site: "jxj"), spec: spec, state: state("online", "jxj", 5))
            #expect(policy().refusal(of: f, current: FieldState(), access: .active)?.kind == .permission, "\(name)")
        }
    }

    @Test func futureClocksAreRefused() {
        let future = HybridLogicalClock.pack(milliseconds: 1_000_000 + 300_001)
        let f = ReplicatedField(entity: .assignment(item: "a", site: "jxj"), spec: reply, state: state("x", "jxj", future))
        #expect(policy().rejection(of: f, current: FieldState(), access: .active)?.contains("300 s ahead of the hub's") == true)
    }
}
