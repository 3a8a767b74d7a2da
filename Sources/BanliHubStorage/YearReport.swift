import BanliCore
import BanliOffice

/// The yearly report over the stores of one workspace (a bureau's offices, or the hub's store): what `banli report`
/// prints and the workbench's 统计 page draws, read and counted in this one place.
public struct YearReport: Sendable {
    /// The figures of DESIGN §6.
    public var statistics: Statistics
    /// The same assignments month by month against their deadlines.
    public var monthly: MonthlyDeadlines
    /// The unit's name as printed (its site when it has none); the first store's name when a bureau is registered
    /// under different sites at its offices; nil for every unit at the hub.
    public var unitName: String?
    /// The office's level (市, 县, 省), from the first store's settings.
    public var jurisdiction: String

    /// Counts `unit` (a site; nil: this bureau, or every unit at the hub) on items of `year` across `stores`.
    ///
    /// Each store's own rows are counted (the bureau may have another site name at each hub), so no item is merged
    /// with another office's item of the same number.
    public static func compute(stores: [any RecordStore], unit: String?, year: Int, today: ISODate, deadlines: Deadlines) throws -> YearReport {
        precondition(!stores.isEmpty, "a workspace has at least one store")
        let sites = stores.map { unit ?? ($0.info.isHub ? nil : $0.info.site) }
        let shared = Set(sites).count == 1
        var items: [ItemView] = []
        for (store, site) in zip(stores, sites) {
            items += try store.itemsWithCategoryHistory(year: year).map { view in site.map(view.keepingOnly(site:)) ?? view }
        }
        let counted = shared ? sites[0] : nil
        var stats = Statistics.compute(items: items, unit: counted, year: year, today: today, deadlines: deadlines)
        if !shared { stats.unit = sites.compactMap { $0 }.joined(separator: ",") }
        let first = stores[0]
        let name: String? = try shared ? sites[0].map { s in
            let n = try UnitNames(store: first)[s]
            return n.isEmpty ? s : n
        } : first.info.name
        return YearReport(
            statistics: stats, monthly: MonthlyDeadlines.compute(items: items, unit: counted, year: year, today: today, deadlines: deadlines),
            unitName: name, jurisdiction: try first.officeSettings().jurisdiction)
    }

    /// The years that items in `stores` belong to (as the report counts them), newest first.
    public static func years(stores: [any RecordStore]) throws -> [Int] {
        var years = Set<Int>()
        for store in stores { try store.forEachItem { if let y = Statistics.itemYear($0) { years.insert(y) } } }
        return years.sorted(by: >)
    }
}
