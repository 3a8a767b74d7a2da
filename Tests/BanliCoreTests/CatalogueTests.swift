import BanliCore
import BanliProtocol
import Testing

@Suite struct EntityKeyTests {
    @Test(arguments: [
        "unit/jxj", "item/rd-2025-39", "assignment/zx-2025-90/jxj", "contact/rd-2025-39/jxj/2", "feedback/zx-2025-90/fgw",
    ])
    func roundTripsValidKeys(_ text: String) throws {
        #expect(try EntityKey(parsing: text).description == text)
    }

    @Test(arguments: [
        "item/../etc", "item/RD-2025", "item/rd 2025", "item/x'; DROP TABLE field;--", "assignment/rd-2025-39",
        "contact/rd-2025-39/jxj/0", "contact/rd-2025-39/jxj/01", "bogus/x", "item/", "item/-x",
        "item/" + String(repeating: "a", count: 65), "item/a/b",
    ])
    func rejectsBadKeys(_ text: String) {
        #expect(throws: BanliError.self) { try EntityKey(parsing: text) }
    }

    @Test func ownerSiteAndItem() throws {
        let k = try EntityKey(parsing: "contact/rd-2025-39/jxj/3")
        #expect(k.itemId == "rd-2025-39" && k.site == "jxj" && k.kind == .contact)
        #expect(EntityKey.item(id: "x").site == nil)
        #expect(EntityKey.unit(site: "jxj").itemId == nil)
    }
}

@Suite struct CatalogueTests {
    @Test func everyPinnedFieldIsThere() {
        let names = Set(FieldCatalogue.all.map { "\($0.entity.rawValue).\($0.name)" })
        for f in ["item.kind", "item.proposers", "item.dueAt", "item.mergedInto", "assignment.role", "assignment.opinionDueAt",
                  "assignment.replyCategory", "assignment.publicProposal", "assignment.tracking", "contact.method",
                  "feedback.evaluation", "feedback.public", "unit.name"] {
            #expect(names.contains(f), "missing \(f)")
        }
        #expect(FieldCatalogue.all.allSatisfy { !$0.label.isEmpty })
    }

    @Test func parsesChineseLabels() throws {
        #expect(try FieldCatalogue.require(.feedback, "evaluation").type.parse("满意", field: "evaluation") == .string("satisfied"))
        #expect(try FieldCatalogue.require(.assignment, "role").type.parse("主办", field: "role") == .string("lead"))
        #expect(try FieldCatalogue.require(.contact, "method").type.parse("电话联系", field: "method") == .string("phone"))
        #expect(try FieldCatalogue.require(.item, "key").type.parse("是", field: "key") == .bool(true))
        #expect(try FieldCatalogue.require(.item, "proposers").type.parse("程玮、王秋红", field: "proposers") == .array([.string("程玮"), .string("王秋红")]))
    }

    @Test func rejectsWrongTypes() {
        #expect(throws: BanliError.self) { try FieldCatalogue.require(.item, "year").type.parse("二〇二五", field: "year") }
        #expect(throws: BanliError.self) { try FieldCatalogue.require(.item, "assignedAt").type.parse("2025-02-30", field: "assignedAt") }
        #expect(throws: BanliError.self) { try FieldCatalogue.require(.assignment, "replyCategory").type.parse("E", field: "replyCategory") }
        #expect(throws: BanliError.self) { try FieldCatalogue.require(.item, "title").type.validate(.int(3), field: "title") }
        #expect(throws: BanliError.self) {
            try FieldCatalogue.require(.assignment, "replyText").type.validate(.string(String(repeating: "字", count: 200_000)), field: "replyText")
        }
        #expect(throws: BanliError.self) { try FieldCatalogue.require(.item, "nonsense") }
    }

    @Test func permissions() throws {
        let reply = try FieldCatalogue.require(.assignment, "replyText")
        let role = try FieldCatalogue.require(.assignment, "role")
        let title = try FieldCatalogue.require(.item, "title")
        let own = EntityKey.assignment(item: "rd-2025-39", site: "jxj")
        let other = EntityKey.assignment(item: "rd-2025-39", site: "fgw")
        #expect(Permissions.denial(site: "jxj", hubSite: "hub", entity: own, field: reply) == nil)
        #expect(Permissions.denial(site: "jxj", hubSite: "hub", entity: other, field: reply) != nil)
        #expect(Permissions.denial(site: "jxj", hubSite: "hub", entity: own, field: role) != nil)
        #expect(Permissions.denial(site: "jxj", hubSite: "hub", entity: .item(id: "rd-2025-39"), field: title) != nil)
        #expect(Permissions.denial(site: "hub", hubSite: "hub", entity: other, field: reply) == nil)
        let effect = try FieldCatalogue.require(.feedback, "evaluation")
        #expect(Permissions.denial(site: "jxj", hubSite: "hub", entity: .feedback(item: "rd-2025-39", site: "jxj"), field: effect) != nil)
    }

    @Test func naturalAuthor() throws {
        let reply = try FieldCatalogue.require(.assignment, "replyText")
        #expect(reply.naturalAuthor(of: .assignment(item: "a", site: "jxj"), hubSite: "hub") == "jxj")
        #expect(try FieldCatalogue.require(.assignment, "role").naturalAuthor(of: .assignment(item: "a", site: "jxj"), hubSite: "hub") == "hub")
    }
}

@Suite struct WireTests {
    @Test func jsonLineRoundTrips() throws {
        let spec = try FieldCatalogue.require(.assignment, "replyText")
        var s = FieldState()
        s.write(.string("已答复"), dot: Dot(site: "jxj", counter: 114_819_465_543_434_241))
        var other = FieldState()
        other.write(.string("代录"), dot: Dot(site: "hub", counter: 114_819_465_543_434_300))
        s.join(other)
        let f = ReplicatedField(entity: .assignment(item: "rd-2025-39", site: "jxj"), spec: spec, state: s)
        let line = f.jsonLine(hubSite: "hub")
        #expect(line.hasPrefix(#"{"entity":"assignment/rd-2025-39/jxj","field":"replyText","value":"已答复","siblings":["#))
        #expect(try ReplicatedField(jsonLine: line) == f)
    }

    @Test(arguments: [
        #"{"entity":"item/a","field":"title","siblings":[{"value":"x","site":"hub","counter":-1}],"context":{"hub":5}}"#,
        #"{"entity":"item/a","field":"title","siblings":[{"value":"x","site":"hub","counter":18446744073709551615}],"context":{"hub":18446744073709551615}}"#,
        #"{"entity":"item/a","field":"title","siblings":[{"value":"x","site":"hub","counter":9}],"context":{"hub":5}}"#,
        #"{"entity":"item/a","field":"title","siblings":[{"value":3,"site":"hub","counter":5}],"context":{"hub":5}}"#,
        #"{"entity":"item/a","field":"nope","siblings":[],"context":{}}"#,
        #"{"entity":"item/A","field":"title","siblings":[],"context":{}}"#,
        #"{"entity":"item/a","field":"title","siblings":[{"value":"x","site":"Hub!","counter":5}],"context":{"Hub!":5}}"#,
        #"{"entity":"item/a","field":"title","siblings":[{"value":"x","site":"hub","counter":5},{"value":"x","site":"hub","counter":5}],"context":{"hub":5}}"#,
        #"{"entity":"item/a","field":"title","siblings":"x","context":{}}"#,
        #"[1,2]"#,
    ])
    func rejectsMalformedStates(_ line: String) throws {
        // The streaming reader (sync answers) and the parsed-value path (files) refuse alike.
        let streamed = #expect(throws: BanliError.self) { try ReplicatedField(jsonLine: line) }
        let parsed = #expect(throws: BanliError.self) { try ReplicatedField(json: JSONValue.parse(line)) }
        #expect(streamed?.code == parsed?.code)
    }

    @Test func readsMembersInAnyOrderAndIgnoresTheDerivedValue() throws {
        let canonical = #"{"entity":"item/a","field":"title","value":"x","siblings":[{"value":"x","site":"hub","counter":5}],"context":{"hub":5}}"#
        let shuffled = #"{"context":{"hub":5},"extra":{"n":[1,2.5e3,null]},"siblings":[{"counter":5,"site":"hub","value":"x"}],"value":"not the value","field":"title","entity":"item/a"}"#
        #expect(try ReplicatedField(jsonLine: shuffled) == ReplicatedField(jsonLine: canonical))
    }

    @Test(arguments: [
        // A duplicate member, even one the decoder ignores, is refused as the strict parser refuses it.
        #"{"entity":"item/a","entity":"item/b","field":"title","siblings":[],"context":{}}"#,
        #"{"entity":"item/a","field":"title","value":1,"value":2,"siblings":[],"context":{}}"#,
        #"{"entity":"item/a","field":"title","siblings":[],"context":{"hub":1,"hub":2}}"#,
        // Skipped members are still checked: bad escapes, bad numbers, unterminated text.
        #"{"entity":"item/a","field":"title","value":"\q","siblings":[],"context":{}}"#,
        #"{"entity":"item/a","field":"title","value":01,"siblings":[],"context":{}}"#,
        #"{"entity":"item/a","field":"title","value":"x,"siblings":[],"context":{}}"#,
        #"{"entity":"item/a","field":"title","siblings":[],"context":{}} x"#,
    ])
    func refusesWhatTheStrictParserRefuses(_ line: String) {
        #expect(throws: BanliError.self) { try JSONValue.parse(line) }
        #expect(throws: BanliError.self) { try ReplicatedField(jsonLine: line) }
    }

    @Test func refusesInvalidUTF8InASkippedValue() {
        var bytes = Array(#"{"entity":"item/a","field":"title","value":"#.utf8)
        bytes += [0x22, 0xED, 0xA0, 0x80, 0x22]  // a UTF-16 surrogate encoded in UTF-8
        bytes += Array(#","siblings":[],"context":{}}"#.utf8)
        #expect(throws: BanliError.self) { try ReplicatedField(jsonLine: bytes) }
    }

    @Test func capsSiblings() {
        let sibs = (1...65).map { #"{"value":"v","site":"s\#($0)","counter":\#($0)}"# }.joined(separator: ",")
        let ctx = (1...65).map { #""s\#($0)":\#($0)"# }.joined(separator: ",")
        let line = #"{"entity":"item/a","field":"title","siblings":[\#(sibs)],"context":{\#(ctx)}}"#
        #expect(throws: BanliError.self) { try ReplicatedField(jsonLine: line) }
    }
}
