import BanliCore
import BanliProtocol
import TestSupport
import Testing

/// The one encoder of the pinned line, fed by a decoded field or by a stored row.
@Suite struct FieldLineTests {
    /// The line as `ReplicatedField.jsonLine` wrote it before there was one encoder: the pinned bytes.
    static func reference(_ f: ReplicatedField, hubSite: String) -> String {
        var out = "{\"entity\":"
        JSONValue.writeString(f.entity.description, to: &out)
        out += ",\"field\":"
        JSONValue.writeString(f.spec.name, to: &out)
        out += ",\"value\":"
        f.visibleValue(hubSite: hubSite).write(to: &out)
        out += ",\"siblings\":["
        for (i, s) in f.state.siblings.enumerated() {
            if i > 0 { out += "," }
            out += "{\"value\":"
            s.value.write(to: &out)
            out += ",\"site\":"
            JSONValue.writeString(s.site, to: &out)
            out += ",\"counter\":" + String(s.counter)
            if let sig = s.sig {
                out += ",\"sig\":"
                JSONValue.writeString(sig, to: &out)
            }
            out += "}"
        }
        out += "],\"context\":{"
        for (i, site) in f.state.context.entries.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            JSONValue.writeString(site, to: &out)
            out += ":" + String(f.state.context[site])
        }
        out += "}}"
        return out
    }

    /// A random state: up to five siblings from sites in and outside the context, tags, text with escapes
    /// and non-ASCII, numbers, objects.
    static func randomState(_ rng: inout SplitMix64, strings: inout HostileStrings) -> FieldState {
        let sites = ["hub", "jxj", "fgw", "s-9", "zz"]
        var context: [String: UInt64] = [:]
        for site in sites where Bool.random(using: &rng) { context[site] = UInt64.random(in: 1...UInt64(1) << 60, using: &rng) }
        var siblings: [Sibling] = []
        for _ in 0..<Int.random(in: 0...5, using: &rng) {
            let site = sites.randomElement(using: &rng)!
            let top = context[site] ?? 0
            // The context's own counter for its site, an older one, or a site the context does not name.
            let counter = top > 0 && Bool.random(using: &rng) ? top : UInt64.random(in: 1...UInt64(1) << 62, using: &rng)
            guard !siblings.contains(where: { $0.site == site && $0.counter == counter }) else { continue }
            let value: JSONValue
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: value = .string(strings.next() + "进展\n\"\\\u{1}\u{2028}")
            case 1: value = .int(Int64.random(in: Int64.min...Int64.max, using: &rng))
            case 2: value = .object(["说明": .string(strings.next()), "n": .array([.bool(true), .null])])
            default: value = .string("已走访企业12家")
            }
            siblings.append(Sibling(value: value, site: site, counter: counter, sig: Bool.random(using: &rng) ? "dGFn\(counter % 97)==" : nil))
        }
        return FieldState(siblings: siblings, context: VersionVector(context))
    }

    /// The row a store keeps for `f`: its visible value's JSON and checked stored form, read back.
    static func storedRow(_ f: ReplicatedField, hubSite: String) throws -> StoredFieldRow {
        let visible = f.visibleIndex(hubSite: hubSite)
        let value = visible.map { f.state.siblings[$0].value.canonicalJSON } ?? "null"
        let bytes = f.state.checkedStoredForm(visibleIndex: visible, valueJSON: value)
        let entries = try bytes.withUnsafeBytes { try StoredFormEntries(storedForm: $0, valueJSON: value) }
        return StoredFieldRow(entity: f.entity.description, field: f.field, valueJSON: value, state: entries)
    }

    @Test func storedRowsAndDecodedFieldsWriteTheSameBytesAsBefore() throws {
        var rng = SplitMix64(seed: 14)
        var strings = HostileStrings(seed: 14)
        let specs = [("progress", EntityKey.assignment(item: "rd-2025-39", site: "jxj")), ("title", .item(id: "zx-2025-90")),
                     ("name", .unit(site: "fgw"))]
        var severalSiblings = 0, tagged = 0
        for n in 0..<2_000 {
            let (name, entity) = specs[n % specs.count]
            let f = ReplicatedField(entity: entity, spec: FieldCatalogue.spec(entity.kind, name)!, state: Self.randomState(&rng, strings: &strings))
            let expected = Self.reference(f, hubSite: "hub")
            #expect(f.jsonLine(hubSite: "hub") == expected)
            var line = ""
            FieldLine.write(try Self.storedRow(f, hubSite: "hub"), to: &line)
            #expect(line == expected)
            if f.state.siblings.count > 1 { severalSiblings += 1 }
            if f.state.siblings.contains(where: { $0.sig != nil }) { tagged += 1 }
        }
        #expect(severalSiblings > 500 && tagged > 500)
    }

    @Test func aStoredRowKnowsWhoseValuesItHolds() throws {
        var s = FieldState()
        s.write(.string("已答复"), dot: Dot(site: "jxj", counter: 5))
        s.join(FieldState(siblings: [Sibling(value: .string("代录"), site: "hub", counter: 7, sig: "dGFn")], context: VersionVector(["hub": 7])))
        let f = ReplicatedField(entity: .assignment(item: "rd-2025-39", site: "jxj"), spec: FieldCatalogue.spec(.assignment, "replyText")!, state: s)
        let row = try Self.storedRow(f, hubSite: "hub")
        #expect(row.holdsValue(of: "jxj") && row.holdsValue(of: "hub") && !row.holdsValue(of: "fgw"))
        #expect(row.key == f.key)
        var line = ""
        FieldLine.write(row, to: &line)
        #expect(line == #"{"entity":"assignment/rd-2025-39/jxj","field":"replyText","value":"已答复","siblings":["#
            + #"{"value":"代录","site":"hub","counter":7,"sig":"dGFn"},{"value":"已答复","site":"jxj","counter":5}],"context":{"hub":7,"jxj":5}}"#)
        #expect(try ReplicatedField(jsonLine: line) == f)
    }

    @Test func aDamagedStoredFormIsRefused() throws {
        var s = FieldState()
        s.write(.string("a"), dot: Dot(site: "hub", counter: 99))
        let bytes = s.checkedStoredForm(visibleIndex: 0, valueJSON: "\"a\"")
        #expect(throws: BanliError.self) { try bytes.withUnsafeBytes { try StoredFormEntries(storedForm: $0, valueJSON: "\"b\"") } }
        for cut in 0..<bytes.count {
            #expect(throws: BanliError.self) { try Array(bytes.prefix(cut)).withUnsafeBytes { try StoredFormEntries(storedForm: $0, valueJSON: "\"a\"") } }
        }
    }
}
