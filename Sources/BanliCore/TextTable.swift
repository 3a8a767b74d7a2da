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

/// Text made safe to print on a terminal. Stored values come from other units and may hold escape
/// sequences (clear the screen, retitle the window), bidi overrides that reorder what follows, or line
/// breaks that forge a line of a log; each such character is shown as `\u{1b}` instead.
public enum TerminalText {
    /// `s` with every C0 control (newlines kept when `keepingNewlines`, for multi-line text: LF, and CR
    /// right before LF, which cannot move the cursor back over a line), DEL, C1 control, line or paragraph
    /// separator and bidi embedding, override or isolate escaped as `\u{…}`.
    public static func escaped(_ s: String, keepingNewlines: Bool = false) -> String {
        guard mayNeedEscaping(s) else { return s }
        var out = String.UnicodeScalarView()
        let scalars = Array(s.unicodeScalars)
        for (i, u) in scalars.enumerated() {
            let newline = u == "\n" || (u == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n")
            if isUnsafe(u), !(keepingNewlines && newline) {
                out.append(contentsOf: "\\u{\(String(u.value, radix: 16))}".unicodeScalars)
            } else {
                out.append(u)
            }
        }
        return String(out)
    }

    /// JSON text whose strings hold no character a terminal acts on: DEL, C1, separators and bidi controls
    /// become `\uXXXX` escapes (C0 already is), so the JSON still parses to exactly the same values.
    /// Outside strings canonical JSON holds none of them.
    public static func escapedJSON(_ json: String) -> String {
        guard mayNeedEscaping(json) else { return json }
        var out = String.UnicodeScalarView()
        for u in json.unicodeScalars {
            if u.value >= 0x20, isUnsafe(u) {
                let hex = String(u.value, radix: 16)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
            } else {
                out.append(u)
            }
        }
        return String(out)
    }

    /// True for the characters `escaped` shows as escapes (newline included).
    public static func isUnsafe(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// A quick byte scan: every unsafe character is an ASCII control or starts with byte C2 or E2, and
    /// most text (ASCII, Chinese) has neither.
    static func mayNeedEscaping(_ s: String) -> Bool {
        s.utf8.contains { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 }
    }
}
