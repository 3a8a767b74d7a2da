import BanliCore
import BanliProtocol
import Testing

/// Reading and writing the pinned FieldState line.
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
        let shuffled = #"{"context":{"hub":5},"extra":{"n":[1,2.5e3,null]},"siblings":[{"counter":5,"site":"hub","value":"x"}],"#
            + #""value":"not the value","field":"title","entity":"item/a"}"#
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
