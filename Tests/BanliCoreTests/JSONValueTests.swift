import BanliCore
import TestSupport
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

    /// The parser's own UTF-8 check agrees with the standard library's on the classic traps
    /// (overlong forms, surrogates, beyond U+10FFFF, truncation) and on random bytes.
    @Test func utf8CheckAgreesWithTheStandardLibrary() {
        func parses(_ bytes: [UInt8]) -> Bool { (try? JSONValue.parse(utf8: [0x22] + bytes + [0x22])) != nil }
        func valid(_ bytes: [UInt8]) -> Bool { String(validating: bytes, as: UTF8.self) != nil }
        let traps: [[UInt8]] = [
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0x9F, 0xBF],
            [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0xE4, 0xBD], [0xE4, 0xBD, 0xA0], [0x80], [0xFF], Array("办理 ✓ 𝄞".utf8),
        ]
        for t in traps { #expect(parses(t) == valid(t), "\(t)") }
        var rng = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let n = Int(rng.next() % 6) + 1
            // Bytes a JSON string may hold raw: no quote, backslash or control character.
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }.map { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C ? 0x41 : $0 }
            #expect(parses(bytes) == valid(bytes), "\(bytes)")
        }
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
