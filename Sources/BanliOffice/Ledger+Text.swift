import BanliCore
/// The spreadsheet text helpers: names and numbers as clerks type them, and ids in natural order.
extension Ledger {
    /// Names in one cell, separated by 、 , ， ; or ；.
    static func splitNames(_ s: String) -> [String] {
        s.split(whereSeparator: { "、,，;；".contains($0) }).map { String($0).trimmedWhitespace }.filter { !$0.isEmpty }
    }

    /// The number in a bare 编号 cell (`39`, `39号`, `第39号`), nil for anything else.
    static func bareNumber(_ s: String) -> Int? {
        var t = Substring(s)
        if t.hasPrefix("第") { t = t.dropFirst() }
        if t.hasSuffix("号") { t = t.dropLast() }
        guard !t.isEmpty, t.count <= 9, t.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(t), n > 0 else { return nil }
        return n
    }

    /// (kind, year, number) of an id in the hub's own shape `rd-2025-39` / `zx-2025-90`.
    static func conventionalId(_ id: String) -> (ItemKind, Int, Int)? {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].count == 4, let year = Int(parts[1]), let n = bareNumber(String(parts[2])) else { return nil }
        guard let kind = ItemKind.allCases.first(where: { $0.idPrefix == parts[0] }) else { return nil }
        return (kind, year, n)
    }

    /// The registered units for an error message: `jxj (市经信局)`, at most 30.
    static func unitList(_ units: [String: String]) -> String {
        var nameOf: [String: String] = [:]
        for (k, site) in units where k != site {
            if nameOf[site].map({ k < $0 }) ?? true { nameOf[site] = k }
        }
        let sites = Set(units.values).sorted()
        if sites.isEmpty { return "(no units are registered yet)" }
        let shown = sites.prefix(30).map { s in nameOf[s].map { "\(s) (\($0))" } ?? s }
        return shown.joined(separator: ", ") + (sites.count > 30 ? ", …" : "")
    }

    static func shortText(_ v: JSONValue) -> String {
        let t = v.displayText
        return t.count > 40 ? String(t.prefix(40)) + "…" : t
    }

    /// Orders ids as people count: digit runs compare by value, so rd-2025-9 comes before rd-2025-10.
    public static func naturalLess(_ a: String, _ b: String) -> Bool {
        let ca = chunks(a), cb = chunks(b)
        for (x, y) in zip(ca, cb) where x != y {
            let dx = x.first?.isNumber == true && x.allSatisfy(\.isASCII), dy = y.first?.isNumber == true && y.allSatisfy(\.isASCII)
            if dx && dy {
                let tx = x.drop { $0 == "0" }, ty = y.drop { $0 == "0" }
                if tx.count != ty.count { return tx.count < ty.count }
                if tx != ty { return tx < ty }
                continue
            }
            return x < y
        }
        return ca.count != cb.count ? ca.count < cb.count : a < b
    }

    private static func chunks(_ s: String) -> [Substring] {
        var out: [Substring] = []
        var start = s.startIndex
        var i = s.startIndex
        while i < s.endIndex {
            let next = s.index(after: i)
            if next < s.endIndex, (s[i].isASCII && s[i].isNumber) != (s[next].isASCII && s[next].isNumber) {
                out.append(s[start..<next])
                start = next
            }
            i = next
        }
        if start < s.endIndex { out.append(s[start...]) }
        return out
    }
}

extension ItemKind {
    /// The prefix of ids in the hub's own shape: `rd-2025-39` (人大), `zx-2025-90` (政协).
    public var idPrefix: String {
        switch self {
        case .suggestion: "rd"
        case .proposal: "zx"
        }
    }
}
