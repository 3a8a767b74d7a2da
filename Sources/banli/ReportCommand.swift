import ArgumentParser
import BanliCore
import BanliHubStorage
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
    @Option(help: "One unit, by site or name (default: this bureau; at the hub, every unit).") var unit: String?
    @Option(help: "text | md | csv | json.") var format = "text"

    func run() throws {
        guard ["text", "md", "csv", "json"].contains(format) else {
            throw BanliError(.usage, "--format takes text, md, csv or json, not '\(format)'.")
        }
        let offices = try global.openOffices().offices
        let today = try global.today()
        let unit = try self.unit.map { text in try OfficeSet.site(named: text, in: offices) }
        let report = try YearReport.compute(
            stores: offices.map(\.store), unit: unit, year: year ?? today.year, today: today, deadlines: global.loadConfig().deadlines)
        let (stats, name, jurisdiction) = (report.statistics, report.unitName, report.jurisdiction)
        switch format {
        case "json": Output.json(stats.json)
        case "md": Output.line(stats.markdown(unitName: name, jurisdiction: jurisdiction))
        case "csv": FileHandle.standardOutput.write(Data(CSV.write(stats.csvRows()).utf8))
        default:
            Output.line(stats.text(unitName: name, jurisdiction: jurisdiction))
            var t = TextTable(header: ["指标", "比率", "分子/分母"])
            for r in stats.namedRates { t.add([r.name, r.rate.percent, "\(r.rate.num)/\(r.rate.den)"]) }
            Output.line("\n" + t.render())
        }
    }
}

/// `banli hub settings`: the office's jurisdiction and name, kept on the hub's directory entry so that bureaus
/// print the same words (reports, the 征询意见表).
struct HubSettingsCommand: ParsableCommand, HubSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "settings", abstract: "Show or set the office's jurisdiction (市/县/省) and name, used in reports and forms.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The level of the office's jurisdiction: 市, 县, 省 … (全县, 县人大).") var jurisdiction: String?
    @Option(name: .customLong("office-name"), help: "The office's name, e.g. 县政协提案委.") var officeName: String?

    func run() throws {
        let store = try global.openStore()
        let hub = EntityKey.unit(site: store.info.hubSite)
        var writes: [LocalWrite] = []
        if let jurisdiction { writes.append(LocalWrite(hub, "jurisdiction", .string(try OfficeSettings.validJurisdiction(jurisdiction)))) }
        if let officeName { writes.append(LocalWrite(hub, "name", try fieldValue(.unit, "name", officeName))) }
        if !writes.isEmpty {
            guard store.info.isHub else {
                throw BanliError(.permissionDenied, "Refused: only the office (the hub's store) sets its settings; bureaus receive them.")
            }
            Output.writes(try store.write(writes))
        }
        let s = try store.officeSettings()
        Output.line("辖区: \(s.jurisdiction)  交办机关: \(s.officeName ?? "")")
    }
}
