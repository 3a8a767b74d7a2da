import BanliCore
import BanliHubStorage
import BanliOffice

/// One row of the lists and the 工作台: an assignment (or an item not yet assigned) with its status today.
struct ListingRow: Sendable {
    let office: WebOffice
    let view: ItemView
    let site: String?
    let unitName: String
    let status: AssignmentStatus?
}

/// The filters of `banli item list`, plus a search, read from a page's query.
struct ListingFilter: Sendable {
    var stage: AssignmentStatus.Stage?
    var overdue = false
    var dueWithin: Int?
    var role: Role?
    var year: Int?
    var kind: ItemKind?
    var unit: String?
    /// Matched, case-insensitively and as a substring (which suits Chinese, where words have no spaces), against the
    /// id, title, proposers, reply texts and opinions.
    var query: String?

    func admits(_ r: ListingRow, today: ISODate) -> Bool {
        if let year, r.view.year != year { return false }
        if let kind, r.view.kind != kind { return false }
        if let stage, r.status?.stage != stage { return false }
        if overdue, r.status?.overdue != true { return false }
        if let dueWithin {
            guard let st = r.status, st.stage.isOpen, let due = st.dueAt, due <= today.addingDays(dueWithin) else { return false }
        }
        if let role, r.site.flatMap({ r.view.assignments[$0]?.role }) != role { return false }
        if let unit, r.site != unit { return false }
        if let query, !Self.matches(r.view, query) { return false }
        return true
    }

    static func matches(_ v: ItemView, _ query: String) -> Bool {
        let q = query.lowercased()
        let texts = [v.id, v.title] + v.proposers + v.assignments.values.flatMap { a in
            [a.values.string("replyText"), a.opinion, a.values.string("replyNumber")].compactMap { $0 }
        }
        return texts.contains { $0.lowercased().contains(q) }
    }
}

enum Listing {
    /// Every row of the workspace: at a bureau its own assignments (a clerk's work), at the hub every unit's.
    static func rows(_ workspace: Workspace, today: ISODate) throws -> [ListingRow] {
        var rows: [ListingRow] = []
        for office in workspace.offices {
            let store = office.store
            let names = try UnitNames(store: store)
            try store.forEachItem { view in
                guard view.kind != nil || !view.assignments.isEmpty else { return }
                let sites = store.info.isHub ? view.assignedSites : view.assignedSites.filter { $0 == store.info.site }
                if sites.isEmpty {
                    rows.append(ListingRow(office: office, view: view, site: nil, unitName: "", status: nil))
                }
                for site in sites {
                    let status = view.status(site: site, today: today, deadlines: workspace.deadlines)
                    rows.append(ListingRow(office: office, view: view, site: site, unitName: names[site], status: status))
                }
            }
        }
        return rows.sorted { a, b in
            a.view.id == b.view.id ? (a.office.key, a.site ?? "") < (b.office.key, b.site ?? "") : ItemView.naturalOrder(a.view.id, b.view.id)
        }
    }
}
