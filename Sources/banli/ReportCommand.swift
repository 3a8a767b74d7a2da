import ArgumentParser
import BanliCore
import BanliOffice
import BanliPages
import BanliStore
import Foundation

/// `banli report`: the yearly statistics, computed from the data.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Yearly statistics: counts, 办复率, 按期办复率, 沟通率, 面商率, 满意率, categories.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The year (default: this year).") var year: Int?
    @Option(help: "One unit (default: this bureau; at the hub, every unit).") var unit: String?
    @Option(help: "text | md | csv | json.") var format = "text"

    func run() throws {
        guard ["text", "md", "csv", "json"].contains(format) else {
            throw BanliError(.usage, "--format takes text, md, csv or json, not '\(format)'.")
        }
        let offices = try global.openOffices().offices
        let store = offices[0].store
        let today = try global.today()
        let unit = try self.unit.map(Identifier.validSite)
        let deadlines = try global.loadConfig().deadlines
        // One report across offices: each store's own rows (the bureau may have another site name at each hub), so no
        // item is merged with another office's item of the same number.
        let sites = offices.map { $0.site(unit: unit) }
        let shared = Set(sites).count == 1
        let items = try offices.flatMap { office in
            try office.store.items().map { view in office.site(unit: unit).map(view.keepingOnly(site:)) ?? view }
        }
        var stats = Statistics.compute(items: items, unit: shared ? sites[0] : nil, year: year ?? today.year, today: today, deadlines: deadlines)
        if !shared { stats.unit = sites.compactMap { $0 }.joined(separator: ",") }
        let name: String? = try shared ? sites[0].map { s in
            let n = try UnitNames(store: store)[s]
            return n.isEmpty ? s : n
        } : store.info.name
        switch format {
        case "json": Output.json(stats.json)
        case "md": Output.line(stats.markdown(unitName: name))
        case "csv": FileHandle.standardOutput.write(Data(CSV.write(stats.csvRows()).utf8))
        default:
            Output.line(stats.text(unitName: name))
            var t = TextTable(header: ["指标", "比率", "分子/分母"])
            for r in stats.namedRates { t.add([r.name, r.rate.percent, "\(r.rate.num)/\(r.rate.den)"]) }
            Output.line("\n" + t.render())
        }
    }
}
