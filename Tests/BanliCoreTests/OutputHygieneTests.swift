import BanliCore
import TestSupport
import Testing

@Suite struct TerminalTextTests {
    @Test func escapedTextHoldsNothingATerminalActsOnAndJSONStaysExact() throws {
        var gen = HostileStrings(seed: 0x7E2A)
        for _ in 0..<5000 {
            let s = gen.next()
            let shown = TerminalText.escaped(s)
            #expect(!shown.unicodeScalars.contains(where: TerminalText.isUnsafe), "\(s.debugDescription) → \(shown.debugDescription)")
            let multiLine = TerminalText.escaped(s, keepingNewlines: true)
            let kept = Array(multiLine.unicodeScalars)
            #expect(!kept.indices.contains { i in
                kept[i] != "\n" && TerminalText.isUnsafe(kept[i]) && !(kept[i] == "\r" && i + 1 < kept.count && kept[i + 1] == "\n")
            })
            #expect(multiLine.unicodeScalars.filter { $0 == "\n" }.count == s.unicodeScalars.filter { $0 == "\n" }.count)
            #expect(TerminalText.escaped(shown) == shown, "escaping twice changes nothing")
            let json = JSONValue.object(["v": .string(s), "list": .array([.string(s)])])
            let safe = TerminalText.escapedJSON(json.canonicalJSON)
            #expect(!safe.unicodeScalars.contains(where: TerminalText.isUnsafe))
            #expect(try JSONValue.parse(safe) == json, "still exactly the same JSON")
        }
        #expect(TerminalText.escaped("\u{1b}[2J办理\u{7}") == "\\u{1b}[2J办理\\u{7}")
        #expect(TerminalText.escaped("一\r\n二\r三", keepingNewlines: true) == "一\r\n二\\u{d}三")
        #expect(TerminalText.escaped("关于“民营经济”… — 第2段") == "关于“民营经济”… — 第2段", "ordinary punctuation is left alone")
    }
}

@Suite struct SingleLineTests {
    @Test func unicodeLineBreaksAreRefusedInOneLineFields() throws {
        for brk in ["\u{2028}", "\u{2029}", "\u{85}", "\n", "\r"] {
            let e = #expect(throws: BanliError.self) { try ValueType.string.validate(.string("冶经信函\(brk)12号"), field: "replyNumber") }
            #expect(e?.message.contains("a single line of text") == true, "\(brk.debugDescription): \(e?.message ?? "")")
            #expect(throws: Never.self) { try ValueType.text.validate(.string("第一段\(brk)第二段"), field: "replyText") }
        }
        #expect(throws: Never.self) { try ValueType.string.validate(.string("关于“民营经济”… — 〔2025〕12号"), field: "replyNumber") }
    }
}

@Suite struct StoredChecksumTests {
    @Test func everyFlippedBitOfAStoredStateOrItsValueIsCaught() throws {
        var state = FieldState()
        state.write(.string("冶经信函〔2025〕12号 甲方"), dot: Dot(site: "jxj", counter: 1 << 40))
        state.join(FieldState(siblings: [Sibling(value: .string("乙"), site: "hub", counter: 1 << 41, sig: "c2ln")],
                              context: VersionVector(["hub": 1 << 41])))
        let value = state.siblings[0].value.canonicalJSON
        let stored = state.checkedStoredForm(visibleIndex: 0, valueJSON: value)
        func decode(_ bytes: [UInt8], _ json: String) throws -> FieldState {
            try bytes.withUnsafeBytes { try FieldState(storedForm: $0, valueJSON: json) { try JSONValue.parse(json) } }
        }
        #expect(try decode(stored, value) == state)
        for bit in 0..<(stored.count * 8) {
            var b = stored
            b[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(throws: BanliError.self) { try decode(b, value) }
        }
        var jsonBytes = Array(value.utf8)
        for bit in 0..<(jsonBytes.count * 8) {
            jsonBytes[bit / 8] ^= 1 << UInt8(bit % 8)
            let flipped = String(decoding: jsonBytes, as: UTF8.self)
            jsonBytes[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(throws: BanliError.self) { try decode(stored, flipped) }
        }
        // A version 1 form (before schema v4) is sealed into the same checked form.
        #expect(FieldState.checked(state.storedForm(visibleIndex: 0), valueJSON: value) == stored)
    }
}
