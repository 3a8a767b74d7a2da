import BanliCore
import TestSupport
import Testing

/// The binary form a store keeps of each field state.
@Suite struct StoredFormTests {
    static func decode(_ bytes: [UInt8], visible: JSONValue) throws -> FieldState {
        try bytes.withUnsafeBytes { try FieldState(storedForm: $0) { visible } }
    }

    @Test func everyStateRoundTripsWhicheverSiblingIsVisible() throws {
        var rng = SplitMix64(seed: 11)
        for (n, base) in (0..<UInt64(500)).flatMap({ JoinPropertyTests.randomStates(seed: $0, count: 4) }).enumerated() {
            // Tags, values that are not text and sites outside the context all have to survive.
            let siblings = base.siblings.map { s in
                Sibling(value: n % 3 == 0 ? .object(["n": .int(Int64(n)), "t": .string("进展\n\"\(s.site)\"")]) : s.value,
                        site: n % 7 == 0 ? s.site + "x" : s.site, counter: s.counter,
                        sig: n % 2 == 0 ? "tag\(s.counter % 97)==" : nil)
            }
            let state = FieldState(siblings: siblings, context: base.context)
            let visible = state.siblings.isEmpty ? nil : Int.random(in: 0..<state.siblings.count, using: &rng)
            let bytes = state.storedForm(visibleIndex: visible)
            let decoded = try Self.decode(bytes, visible: visible.map { state.siblings[$0].value } ?? .null)
            #expect(decoded == state)
        }
    }

    @Test func theCommonStateCostsFewBytes() {
        var state = FieldState()
        state.write(.string("已走访企业12家"), dot: Dot(site: "jxj", counter: 117_662_900_365_885_440))
        // Version, one context entry (site, 9-byte counter), one sibling pointing at both: no value, no repeated dot.
        // The JSON form of the same metadata took 82 bytes.
        #expect(state.storedForm(visibleIndex: 0).count == 18)
    }

    @Test func damagedBytesAreRefusedNeverMisread() throws {
        var state = FieldState()
        state.write(.string("a"), dot: Dot(site: "hub", counter: 99), sig: "c2lnbmF0dXJl")
        state.join(FieldState(siblings: [Sibling(value: .int(7), site: "jxj", counter: 5)], context: VersionVector(["jxj": 5])))
        let bytes = state.storedForm(visibleIndex: 0)
        #expect(try Self.decode(bytes, visible: .string("a")) == state)
        for cut in 0..<bytes.count {
            #expect(throws: BanliError.self) { try Self.decode(Array(bytes.prefix(cut)), visible: .string("a")) }
        }
        #expect(throws: BanliError.self) { try Self.decode(bytes + [0], visible: .string("a")) }
        #expect(throws: BanliError.self) { try Self.decode([9] + bytes.dropFirst(), visible: .string("a")) }
        #expect(throws: BanliError.self) { try Self.decode([1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], visible: .null) }
    }
}
