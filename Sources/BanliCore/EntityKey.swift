/// The kinds of replicated entity.
public enum EntityKind: String, Sendable, CaseIterable {
    case unit, item, assignment, contact, feedback
}

/// The key of one entity, e.g. `assignment/rd-2025-39/jxj` (pinned shapes, DESIGN §2).
public enum EntityKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    case unit(site: String)
    case item(id: String)
    case assignment(item: String, site: String)
    case contact(item: String, site: String, n: Int)
    case feedback(item: String, site: String)

    /// The highest contact number accepted.
    public static let maxContactNumber = 999_999

    /// Parses and validates a key such as `contact/zx-2025-90/jxj/2`.
    public init(parsing text: String) throws {
        // By bytes: splitting by Characters (grapheme clusters) costs more than the rest of decoding a row.
        let parts = text.utf8.split(separator: 0x2F, omittingEmptySubsequences: false).map { String(Substring($0)) }
        func fail() -> BanliError {
            BanliError(.invalidEntity, "'\(text.prefix(120))' is not an entity key; "
                       + "use unit/SITE, item/ID, assignment/ID/SITE, contact/ID/SITE/N or feedback/ID/SITE.")
        }
        guard let kind = parts.first.flatMap(EntityKind.init(rawValue:)) else { throw fail() }
        switch (kind, parts.count) {
        case (.unit, 2):
            self = .unit(site: try Identifier.validSite(parts[1]))
        case (.item, 2):
            self = .item(id: try Identifier.validItemId(parts[1]))
        case (.assignment, 3):
            self = .assignment(item: try Identifier.validItemId(parts[1]), site: try Identifier.validSite(parts[2]))
        case (.feedback, 3):
            self = .feedback(item: try Identifier.validItemId(parts[1]), site: try Identifier.validSite(parts[2]))
        case (.contact, 4):
            guard let n = Int(parts[3]), n >= 1, n <= Self.maxContactNumber, String(n) == parts[3] else {
                throw BanliError(.invalidEntity, "'\(parts[3].prefix(40))' is not a contact number; use a whole number from 1 to \(Self.maxContactNumber).")
            }
            self = .contact(item: try Identifier.validItemId(parts[1]), site: try Identifier.validSite(parts[2]), n: n)
        default:
            throw fail()
        }
    }

    /// The kind of entity.
    public var kind: EntityKind {
        switch self {
        case .unit: .unit
        case .item: .item
        case .assignment: .assignment
        case .contact: .contact
        case .feedback: .feedback
        }
    }

    /// The item this entity belongs to; nil for units of the directory.
    public var itemId: String? {
        switch self {
        case .unit: nil
        case .item(let id), .assignment(let id, _), .contact(let id, _, _), .feedback(let id, _): id
        }
    }

    /// The unit this row belongs to (assignment, contact, feedback, unit), nil for items.
    public var site: String? {
        switch self {
        case .item: nil
        case .unit(let s), .assignment(_, let s), .contact(_, let s, _), .feedback(_, let s): s
        }
    }

    public var description: String {
        switch self {
        case .unit(let s): "unit/\(s)"
        case .item(let id): "item/\(id)"
        case .assignment(let id, let s): "assignment/\(id)/\(s)"
        case .contact(let id, let s, let n): "contact/\(id)/\(s)/\(n)"
        case .feedback(let id, let s): "feedback/\(id)/\(s)"
        }
    }

    /// The order of `description` (byte order: keys are ASCII), compared piece by piece without building either string:
    /// sorting a store's fields by entity spent more time building descriptions than decoding the fields.
    public static func < (a: EntityKey, b: EntityKey) -> Bool {
        var x = DescriptionBytes(a), y = DescriptionBytes(b)
        while true {
            switch (x.next(), y.next()) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case let (p?, q?) where p != q: return p < q
            default: continue
            }
        }
    }

    /// The UTF-8 bytes of `description`, one at a time.
    private struct DescriptionBytes {
        private let pieces: (String, String, String, String)
        private let count: Int
        private var piece = 0
        private var index: String.Index

        init(_ key: EntityKey) {
            switch key {
            case .unit(let s): (pieces, count) = (("unit", s, "", ""), 2)
            case .item(let id): (pieces, count) = (("item", id, "", ""), 2)
            case .assignment(let id, let s): (pieces, count) = (("assignment", id, s, ""), 3)
            case .contact(let id, let s, let n): (pieces, count) = (("contact", id, s, String(n)), 4)
            case .feedback(let id, let s): (pieces, count) = (("feedback", id, s, ""), 3)
            }
            index = pieces.0.utf8.startIndex
        }

        private var current: String {
            switch piece {
            case 0: pieces.0
            case 1: pieces.1
            case 2: pieces.2
            default: pieces.3
            }
        }

        mutating func next() -> UInt8? {
            guard piece < count else { return nil }
            let utf8 = current.utf8
            if index < utf8.endIndex {
                defer { index = utf8.index(after: index) }
                return utf8[index]
            }
            piece += 1
            guard piece < count else { return nil }
            index = current.utf8.startIndex
            return 0x2F
        }
    }
}

/// Validation of site names and item ids: `[a-z0-9][a-z0-9._-]{0,63}`.
public enum Identifier {
    /// True when `s` is a valid id or site name.
    public static func isValid(_ s: String) -> Bool {
        guard (1...64).contains(s.utf8.count) else { return false }
        for (i, b) in s.utf8.enumerated() {
            let alnum = (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
            if i == 0 ? !alnum : !(alnum || b == 0x2E || b == 0x5F || b == 0x2D) { return false }
        }
        return true
    }

    /// Returns `s` if it is a valid site name, else throws a clear error.
    public static func validSite(_ s: String) throws -> String {
        guard isValid(s) else {
            throw BanliError(.invalidId, "'\(s.prefix(80))' is not a valid site name; "
                             + "use 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.")
        }
        return s
    }

    /// Returns `s` if it is a valid item id, else throws a clear error.
    public static func validItemId(_ s: String) throws -> String {
        guard isValid(s) else {
            throw BanliError(.invalidId, "'\(s.prefix(80))' is not a valid item id; use 1 to 64 lowercase letters, digits, '.', '_' or '-', "
                             + "starting with a letter or digit (for example rd-2025-39).")
        }
        return s
    }
}
