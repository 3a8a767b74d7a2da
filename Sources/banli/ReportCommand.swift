import ArgumentParser
import BanliCore
import BanliOffice
import BanliPages
import BanliStore
import Foundation

/// `banli report`: the yearly statistics, computed from the data.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Yearly statistics: counts, 办复率, 按期办复率, 沟通率, 面商率, 满意率, categories.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The year (default: this year).") var year: Int?
    @Option(help: "One unit (default: this bureau; at the hub, every unit).") var unit: String?
    @Option(help: "text | md | csv | json.") var format = "text"

    func run() throws {
        guard ["text", "md", "csv", "json"].contains(format) else {
            throw BanliError(.usage, "--format takes text, md, csv or json, not '\(format)'.")
        }
        let store = try global.openStore()
        let today = try global.today()
        let site = try unit.map(Identifier.validSite) ?? (store.info.isHub ? nil : store.info.site)
        let deadlines = try global.loadConfig().deadlines
        let stats = Statistics.compute(items: try store.items(), unit: site, year: year ?? today.year, today: today, deadlines: deadlines)
        let name = try site.map { try UnitNames(store: store)[$0] }.map { $0.isEmpty ? site! : $0 }
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
