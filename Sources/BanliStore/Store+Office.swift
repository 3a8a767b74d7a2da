import BanliCore
import BanliOffice
import GRDB

/// What the office's reports and forms read beyond the items: its settings, and the categories replies once had.
extension Store {
    /// The office's settings, from the hub's own directory entry.
    public func officeSettings() throws -> OfficeSettings {
        var values = FieldValues()
        for spec in FieldCatalogue.fields(of: .unit) {
            let v = try field(.unit(site: info.hubSite), spec.name)?.visibleValue(hubSite: info.hubSite)
            if let v, v != .null { values[spec.name] = v }
        }
        return OfficeSettings(hubEntry: values)
    }

    /// The store's items, each assignment of `year`'s items marked when its category was B at some time (read from the
    /// history in one query), so that a B reply followed up until it became A still counts in the B类 follow-up.
    public func itemsWithCategoryHistory(year: Int) throws -> [ItemView] {
        var views = try items()
        let b = ReplyCategory.b.rawValue
        let everB = try reading { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT entity FROM history
                WHERE field IN ('replyCategory', 'finalCategory') AND value = ?
                """, arguments: [JSONValue.string(b).canonicalJSON])
        }
        var marked: [String: Set<String>] = [:]
        for text in everB {
            guard case .assignment(let id, let site)? = try? EntityKey(parsing: text) else { continue }
            marked[id, default: []].insert(site)
        }
        for i in views.indices where (views[i].year ?? views[i].assignedAt?.year) == year {
            for site in marked[views[i].id] ?? [] { views[i].assignments[site]?.wasCategoryB = true }
        }
        return views
    }
}
