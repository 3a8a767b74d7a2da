import BanliPages
import TestSupport

/// The markup of a page as a browser's tokenizer sees it, scalar by scalar: each tag's name and its
/// attributes, in order. Text between tags is skipped. A raw `<` from data would show up as a tag.
struct PageMarkup: Equatable, CustomStringConvertible {
    struct Tag: Equatable {
        var name: String
        var attributes: [(name: String, value: String)]

        static func == (a: Tag, b: Tag) -> Bool {
            a.name == b.name && a.attributes.map(\.name) == b.attributes.map(\.name) && a.attributes.map(\.value) == b.attributes.map(\.value)
        }
    }

    var tags: [Tag] = []
    /// Problems a browser would not report but a test should: a bare `&`, an unterminated tag or value.
    var problems: [String] = []

    var description: String { tags.map { "<\($0.name) \($0.attributes.map { "\($0.name)=\($0.value)" })>" }.joined(separator: " ") }

    init(_ html: String) {
        let s = Array(html.unicodeScalars)
        var i = 0
        func word(_ stop: (Unicode.Scalar) -> Bool) -> String {
            var w = ""
            while i < s.count, !stop(s[i]) { w.unicodeScalars.append(s[i]); i += 1 }
            return w
        }
        while i < s.count {
            let c = s[i]
            if c == "&" {
                let rest = s[i...]
                if !["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains(where: { rest.starts(with: $0.unicodeScalars) }) {
                    problems.append("bare & at \(i): \(String(String.UnicodeScalarView(rest.prefix(6))).debugDescription)")
                }
                i += 1
            } else if c == "<" {
                i += 1
                var tag = Tag(name: word { $0 == " " || $0 == ">" || $0 == "\n" }.lowercased(), attributes: [])
                while i < s.count, s[i] != ">" {
                    if s[i] == " " || s[i] == "\n" { i += 1; continue }
                    let name = word { $0 == "=" || $0 == " " || $0 == ">" }
                    var value = ""
                    if i < s.count, s[i] == "=" {
                        i += 1
                        guard i < s.count, s[i] == "\"" else { problems.append("unquoted value of \(name)"); break }
                        i += 1
                        value = word { $0 == "\"" }
                        i += 1
                    }
                    tag.attributes.append((name, value))
                }
                if i >= s.count { problems.append("unterminated <\(tag.name)") }
                i += 1
                tags.append(tag)
            } else {
                i += 1
            }
        }
    }

    /// The same markup with the values of `attribute` left out (they carry data, like `data-site`).
    func without(valuesOf attribute: String) -> PageMarkup {
        var m = self
        for t in m.tags.indices {
            for a in m.tags[t].attributes.indices where m.tags[t].attributes[a].name == attribute { m.tags[t].attributes[a].value = "" }
        }
        return m
    }
}

/// Strings for every text slot of a page: `HostileStrings`, plus marks that merge with a quote or a bracket into one
/// Swift `Character` (a combining accent, a zero-width joiner, a variation selector), which an HTML tokenizer still
/// reads as the bare quote or bracket.
struct PageSlots {
    var hostile: HostileStrings
    var rng: SplitMix64

    init(seed: UInt64) {
        hostile = HostileStrings(seed: seed)
        rng = SplitMix64(seed: seed ^ 0x5eed)
    }

    static let markup = ["<script>alert(1)</script>", "\" onmouseover=\"alert(1)", "' x='", "<img src=x onerror=alert(1)>", "&amp;", "&#x3c;", "</td>"]
    static let joiners: [String] = ["\u{301}", "\u{200D}", "\u{FE0F}", "\u{20DD}"]

    mutating func next() -> String {
        var s = hostile.next()
        if Bool.random(using: &rng) { s += Self.markup.randomElement(using: &rng)! }
        var out = ""
        for c in s.unicodeScalars {
            out.unicodeScalars.append(c)
            if "<>\"'&".unicodeScalars.contains(c), Int.random(in: 0..<3, using: &rng) == 0 { out += Self.joiners.randomElement(using: &rng)! }
        }
        return out
    }
}

/// The scalars of a page, to look for the escaped text of each slot scalar by scalar: a slot may end in a mark that
/// merges with the next character into one `Character`, so `String.contains` could miss it.
struct PageScalars {
    let scalars: [Unicode.Scalar]

    init(_ page: String) { scalars = Array(page.unicodeScalars) }

    /// True when the page holds `text`, escaped.
    func shows(_ text: String) -> Bool {
        text.isEmpty || scalars.firstRange(of: Array(HTML.escape(text).unicodeScalars)) != nil
    }
}
