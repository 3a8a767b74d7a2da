/// What the operator asked the status page for: which units (by state and a search), which page of them, and whose
/// 督办 list. At a province's scale (1,000 units, 100,000 items) the page shows what is wrong first and pages the rest.
public struct StatusQuery: Sendable, Hashable {
    /// Which units the table lists.
    public enum Filter: String, Sendable, CaseIterable {
        case all, failing, stale, never, ok
    }

    public var filter: Filter = .all
    /// A unit code or a part of its name; case-insensitive.
    public var search: String = ""
    /// The page of the unit table, from 1.
    public var page: Int = 1
    /// The page of the 督办 counts, from 1.
    public var attentionPage: Int = 1
    /// The unit whose 督办 list is shown in full.
    public var unit: String?

    /// Rows per page of the unit table and of the 督办 counts.
    public static let pageSize = 100
    /// The most chases one unit's list shows.
    public static let chaseLimit = 500

    public init() {}

    /// Reads the page's query parameters; anything unknown or malformed falls back to the default, never to an error.
    public init(parameters: (String) -> String?) {
        filter = parameters("state").flatMap(Filter.init(rawValue:)) ?? .all
        search = String((parameters("q") ?? "").trimmedWhitespace.prefix(64))
        page = parameters("page").flatMap(Int.init).map { max(1, min($0, 100_000)) } ?? 1
        attentionPage = parameters("apage").flatMap(Int.init).map { max(1, min($0, 100_000)) } ?? 1
        unit = parameters("unit").map { String($0.prefix(64)) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The query string for these choices with `change` applied (`?state=failing&q=jxj`), for the page's links.
    func link(_ change: (inout StatusQuery) -> Void = { _ in }, language: String) -> String {
        var q = self
        change(&q)
        var parts: [(String, String)] = []
        if q.filter != .all { parts.append(("state", q.filter.rawValue)) }
        if !q.search.isEmpty { parts.append(("q", q.search)) }
        if q.page != 1 { parts.append(("page", String(q.page))) }
        if q.attentionPage != 1 { parts.append(("apage", String(q.attentionPage))) }
        if let u = q.unit { parts.append(("unit", u)) }
        if language == "en" { parts.append(("lang", "en")) }
        return "?" + parts.map { "\($0.0)=\(HTML.percentEncoded($0.1))" }.joined(separator: "&")
    }
}

/// Unit codes in the order people count them: `u2` before `u10`, `u10` before `u100`.
public enum NaturalOrder {
    /// True when `a` comes before `b`: runs of digits compare as numbers, the rest as text.
    public static func precedes(_ a: String, _ b: String) -> Bool { precedes(Key(a), Key(b)) }

    /// A code cut into its runs once, for sorting many.
    struct Key {
        let text: String, chunks: [Chunk]
        init(_ text: String) {
            self.text = text
            chunks = NaturalOrder.chunks(text)
        }
    }

    static func precedes(_ a: Key, _ b: Key) -> Bool {
        let x = a.chunks, y = b.chunks
        for (p, q) in zip(x, y) where p != q {
            switch (p, q) {
            case (.number(let m, let ms), .number(let n, let ns)):
                // Values without leading zeros: the shorter is smaller; equal values put fewer leading zeros first.
                if m != n { return m.count != n.count ? m.count < n.count : m < n }
                return ms.count < ns.count
            case (.number, .text): return true
            case (.text, .number): return false
            case (.text(let s), .text(let t)): return s < t
            }
        }
        return x.count != y.count ? x.count < y.count : a.text < b.text
    }

    enum Chunk: Equatable {
        /// The digits' value without leading zeros (compared by length, then text), and the digits as written.
        case number(String, String)
        case text(String)
    }

    static func chunks(_ s: String) -> [Chunk] {
        var out: [Chunk] = [], run = "", digits = false
        func flush() {
            guard !run.isEmpty else { return }
            if digits {
                let value = String(run.drop { $0 == "0" })
                out.append(.number(value.isEmpty ? "0" : value, run))
            } else {
                out.append(.text(run))
            }
            run = ""
        }
        for ch in s {
            let isDigit = ch.isASCII && ch.isNumber
            if isDigit != digits { flush(); digits = isDigit }
            run.append(ch)
        }
        flush()
        return out
    }
}
