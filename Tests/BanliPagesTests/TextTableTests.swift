import BanliCore
import BanliPages
import Testing

@Suite struct TextTableTests {
    @Test func tablesEscapeEveryCellAndKeepOneLinePerRow() {
        var t = TextTable(header: ["单位", "名称"])
        t.add(["jxj", "\u{1b}]0;pwned\u{7}市经信局\nforged"])
        let out = t.render()
        #expect(out.split(separator: "\n").count == 2)
        #expect(!out.unicodeScalars.contains { $0 != "\n" && TerminalText.isUnsafe($0) })
    }
}
