import BanliCore

/// A plain-text table whose columns line up in a terminal, counting CJK characters as two cells.
public struct TextTable: Sendable {
    public var header: [String]
    public var rows: [[String]] = []

    public init(header: [String]) {
        self.header = header
    }

    /// Appends a row.
    public mutating func add(_ row: [String]) { rows.append(row) }

    /// Terminal cells taken by `s`: 2 for East Asian wide and fullwidth characters, else 1.
    public static func displayWidth(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { w, u in
            switch u.value {
            case 0x0300...0x036F, 0x200B...0x200F: return w
            case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
                 0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
                 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x20000...0x3FFFD:
                return w + 2
            default: return w + 1
            }
        }
    }

    /// `s` cut to at most `width` cells, with an ellipsis when cut.
    public static func truncate(_ s: String, width: Int) -> String {
        guard displayWidth(s) > width else { return s }
        var out = "", w = 0
        for ch in s {
            let cw = displayWidth(String(ch))
            if w + cw > width - 1 { break }
            out.append(ch)
            w += cw
        }
        return out + "…"
    }

    /// The rendered table, two spaces between columns, no trailing spaces; cells are terminal-safe
    /// (`TerminalText.escaped`, line breaks included, so a cell cannot break the layout).
    public func render() -> String {
        let all = ([header] + rows).map { $0.map { TerminalText.escaped($0) } }
        let n = all.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: n)
        for r in all { for (i, c) in r.enumerated() { widths[i] = max(widths[i], Self.displayWidth(c)) } }
        return all.map { r in
            var line = ""
            for (i, c) in r.enumerated() {
                line += c
                if i < r.count - 1 { line += String(repeating: " ", count: widths[i] - Self.displayWidth(c) + 2) }
            }
            return line
        }.joined(separator: "\n")
    }
}
