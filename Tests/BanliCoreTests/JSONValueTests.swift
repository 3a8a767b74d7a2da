import BanliCore
import Testing

@Suite struct JSONValueTests {
    @Test func integersStayExact() throws {
        let v = try JSONValue.parse(#"{"c":114819465543434241,"d":1.5,"n":-3}"#)
        #expect(v == .object(["c": .int(114_819_465_543_434_241), "d": .double(1.5), "n": .int(-3)]))
    }

    @Test func canonicalFormSortsKeysAndEscapes() throws {
        let v = JSONValue.object(["b": .string("引号\"\n/"), "a": .array([.null, .bool(true)])])
        #expect(v.canonicalJSON == #"{"a":[null,true],"b":"引号\"\n/"}"#)
        #expect(try JSONValue.parse(v.canonicalJSON) == v)
    }

    @Test(arguments: [
        #"{"a":1,"a":2}"#,            // duplicate key
        #"{"a":1"#,                   // truncated
        #"[1,]"#,                     // trailing comma
        #""\ud800""#,                 // lone surrogate
        #"01"#,                       // leading zero
        #"{"a":1} x"#,                // trailing text
        "\"tab\there\"",              // raw control character
        #"NaN"#,
    ])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: BanliError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: BanliError.self) { try JSONValue.parse(utf8: bytes) }
    }

    @Test func rejectsDeepNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: BanliError.self) { try JSONValue.parse(deep) }
        let ok = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect((try? JSONValue.parse(ok)) != nil)
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude00 \u4e2d""#) == .string("😀 中"))
    }
}
