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
