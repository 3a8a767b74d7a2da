import BanliCore
/// The visible values of one item and everything attached to it, read from its replicated fields.
public struct ItemView: Sendable, Hashable {
    /// The item id, e.g. `rd-2025-39`.
    public var id: String
    /// Visible values of the item's own fields.
    public var item: [String: JSONValue] = [:]
    /// Visible values of each unit's assignment, by site.
    public var assignments: [String: [String: JSONValue]] = [:]
    /// Visible values of each contact record, by site then number.
    public var contacts: [String: [Int: [String: JSONValue]]] = [:]
    /// Visible values of each unit's feedback form, by site.
    public var feedback: [String: [String: JSONValue]] = [:]
    /// Fields of this item with two or more concurrent values.
    public var conflicts: [ReplicatedField] = []

    /// Builds the view from an item's fields.
    public init(id: String, fields: [ReplicatedField], hubSite: String) {
        self.id = id
        for f in fields {
            let v = f.visibleValue(hubSite: hubSite)
            if f.state.isConflict { conflicts.append(f) }
            guard v != .null else { continue }
            switch f.entity {
            case .item: item[f.field] = v
            case .assignment(_, let s): assignments[s, default: [:]][f.field] = v
            case .contact(_, let s, let n): contacts[s, default: [:]][n, default: [:]][f.field] = v
            case .feedback(_, let s): feedback[s, default: [:]][f.field] = v
            case .unit: break
            }
        }
    }

    public var title: String { item["title"]?.stringValue ?? "" }
    public var kind: String? { item["kind"]?.stringValue }
    public var year: Int? { item["year"]?.intValue.map(Int.init) }
    public var number: Int? { item["number"]?.intValue.map(Int.init) }
    public var proposers: [String] {
        if case .array(let a)? = item["proposers"] { return a.compactMap(\.stringValue) }
        return []
    }

    /// Sites with an assignment, sorted: lead and sole units first, then by site.
    public var assignedSites: [String] {
        assignments.keys.sorted { a, b in
            let ra = Self.roleOrder(assignments[a]?["role"]?.stringValue), rb = Self.roleOrder(assignments[b]?["role"]?.stringValue)
            return ra != rb ? ra < rb : a < b
        }
    }

    static func roleOrder(_ role: String?) -> Int {
        ["sole", "lead", "split", "cooperating", "assisting"].firstIndex(of: role ?? "") ?? 9
    }

    /// The next free contact number for `site`.
    public func nextContactNumber(site: String) -> Int {
        (contacts[site]?.keys.max() ?? 0) + 1
    }

    /// The derived status of `site`'s assignment on `today`.
    public func status(site: String, today: ISODate, deadlines: Deadlines = Deadlines()) -> AssignmentStatus? {
        guard let a = assignments[site] else { return nil }
        return AssignmentStatus.derive(item: item, assignment: a, contacts: contacts[site] ?? [:], feedback: feedback[site] ?? [:], today: today, deadlines: deadlines)
    }
}
