/// One allowed value of an enumerated field, with the Chinese label clerks read and type.
public struct EnumCase: Sendable, Hashable {
    /// The stored value, e.g. `satisfied`.
    public var value: String
    /// The Chinese label, e.g. `满意`.
    public var label: String

    public init(_ value: String, _ label: String) {
        self.value = value
        self.label = label
    }
}

/// The type of a field's value. Every type also accepts `null`, which clears the field.
public enum ValueType: Sendable, Hashable {
    /// One line of text, at most `ValueType.maxStringLength` characters.
    case string
    /// Free text, at most `ValueType.maxTextBytes` bytes of UTF-8.
    case text
    /// An ISO 8601 calendar date, `YYYY-MM-DD`.
    case date
    /// A whole number.
    case int
    /// true or false.
    case bool
    /// One of a fixed set of values.
    case enumeration([EnumCase])
    /// A list of names (the first is the lead proposer).
    case strings
    /// An item id (for 并案).
    case itemId
    /// `{"public": Bool, "reason": String}` (拟公开 and why).
    case publicFlag

    /// The longest one-line string accepted.
    public static let maxStringLength = 1_000
    /// The largest free text accepted: 512 KiB.
    public static let maxTextBytes = 512 * 1024
    /// The most names in a list.
    public static let maxListCount = 200

    /// Checks that `value` fits this type.
    public func validate(_ value: JSONValue, field: String) throws {
        func bad(_ what: String) -> BanliError {
            BanliError(.invalidValue, "Field '\(field)' takes \(what), not \(value.canonicalJSON.prefix(80)).")
        }
        if value == .null { return }
        switch self {
        case .string:
            guard let s = value.stringValue else { throw bad("a string") }
            // Counting characters walks grapheme clusters: only needed when the bytes could exceed the limit.
            guard s.utf8.count <= Self.maxStringLength || s.count <= Self.maxStringLength else {
                throw BanliError(.invalidValue, "Field '\(field)' is limited to \(Self.maxStringLength) characters; shorten the value.")
            }
            guard !Self.hasLineBreak(s) else { throw bad("a single line of text") }
        case .text:
            guard let s = value.stringValue else { throw bad("text") }
            guard s.utf8.count <= Self.maxTextBytes else {
                throw BanliError(.invalidValue,
                                 "Field '\(field)' is limited to \(Self.maxTextBytes / 1024) KiB of text; shorten it or attach the rest separately.")
            }
        case .date:
            guard let s = value.stringValue, ISODate(s) != nil else { throw bad("a date like 2025-04-14") }
        case .int:
            guard value.intValue != nil else { throw bad("a whole number") }
        case .bool:
            guard value.boolValue != nil else { throw bad("true or false") }
        case .enumeration(let cases):
            guard let s = value.stringValue, cases.contains(where: { $0.value == s }) else {
                throw bad("one of " + cases.map { "\($0.value) (\($0.label))" }.joined(separator: ", "))
            }
        case .strings:
            guard case .array(let a) = value, a.count <= Self.maxListCount,
                  a.allSatisfy({ ($0.stringValue.map { !$0.isEmpty && $0.count <= Self.maxStringLength }) ?? false })
            else { throw bad("a list of names") }
        case .itemId:
            guard let s = value.stringValue, Identifier.isValid(s) else { throw bad("an item id like rd-2025-39") }
        case .publicFlag:
            guard case .object(let o) = value, o["public"]?.boolValue != nil,
                  o.keys.allSatisfy({ $0 == "public" || $0 == "reason" }),
                  o["reason"].map({ $0 == .null || ($0.stringValue.map { $0.utf8.count <= Self.maxTextBytes } ?? false) }) ?? true
            else { throw bad("{\"public\": true|false, \"reason\": \"…\"}") }
        }
    }

    /// Parses what a person typed on the command line; Chinese labels are accepted for enumerations.
    public func parse(_ input: String, field: String) throws -> JSONValue {
        let trimmed = input.trimmedWhitespace
        let value: JSONValue
        switch self {
        case .date:
            // The one date parser: 2020/5/22 and 2020年5月22日 are stored as 2020-05-22.
            do {
                value = .string(try ISODate.parse(trimmed).description)
            } catch let e as BanliError {
                throw BanliError(.invalidValue, "Field '\(field)': \(e.message)")
            }
        case .string, .text, .itemId:
            value = .string(self == .string || self == .itemId ? trimmed : input)
        case .int:
            guard let i = Int64(trimmed) else {
                throw BanliError(.invalidValue, "Field '\(field)' takes a whole number, not '\(input.prefix(80))'.")
            }
            value = .int(i)
        case .bool:
            guard let b = Self.parseBool(trimmed) else {
                throw BanliError(.invalidValue, "Field '\(field)' takes true or false (是/否), not '\(input.prefix(80))'.")
            }
            value = .bool(b)
        case .enumeration(let cases):
            // Clerks write categories as 'A类' as often as 'A'.
            let bare = trimmed.hasSuffix("类") ? String(trimmed.dropLast()) : trimmed
            if let c = cases.first(where: { $0.value == trimmed || $0.label == trimmed || $0.value.lowercased() == bare.lowercased() }) {
                value = .string(c.value)
            } else {
                value = .string(trimmed)
            }
        case .strings:
            if trimmed.hasPrefix("["), let parsed = try? JSONValue.parse(trimmed) {
                value = parsed
            } else {
                let names = trimmed.split(whereSeparator: { $0 == "," || $0 == "、" || $0 == "，" })
                    .map { String($0).trimmedWhitespace }.filter { !$0.isEmpty }
                value = .array(names.map(JSONValue.string))
            }
        case .publicFlag:
            if trimmed.hasPrefix("{") {
                guard let parsed = try? JSONValue.parse(trimmed) else {
                    throw BanliError(.invalidValue,
                                     "Field '\(field)' takes true/false or {\"public\": true, \"reason\": \"…\"}; the JSON given does not parse.")
                }
                value = parsed
            } else if let b = Self.parseBool(trimmed) {
                value = .object(["public": .bool(b)])
            } else {
                throw BanliError(.invalidValue, "Field '\(field)' takes true/false (是/否) or {\"public\": true, \"reason\": \"…\"}.")
            }
        }
        try validate(value, field: field)
        return value
    }

    /// True when `s` breaks a line: LF, CR, NEL (U+0085) or the line and paragraph separators (U+2028,
    /// U+2029), which editors, browsers and log viewers also start a new line at.
    static func hasLineBreak(_ s: String) -> Bool {
        // By bytes: "\r\n" is one Character, equal to neither "\r" nor "\n". NEL is C2 85, the separators E2 80 A8/A9.
        var previous: (UInt8, UInt8) = (0, 0)
        for b in s.utf8 {
            if b == 0x0A || b == 0x0D || (previous.1 == 0xC2 && b == 0x85) || (previous == (0xE2, 0x80) && (b == 0xA8 || b == 0xA9)) {
                return true
            }
            previous = (previous.1, b)
        }
        return false
    }

    static func parseBool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "true", "yes", "y", "1", "是", "对": true
        case "false", "no", "n", "0", "否", "不": false
        default: nil
        }
    }
}

extension String {
    /// The string without leading and trailing whitespace.
    public var trimmedWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
