import BanliCore
import BanliOffice

/// The hub operator's status page: units (stale and failing ones highlighted, with the reason),
/// the items to chase (督办), and open conflicts. Self-contained HTML that refreshes itself.
public enum StatusPage {
    /// The page's language: Chinese by default, English with `?lang=en`.
    public enum Language: Sendable { case zh, en }

    /// The whole page for `report`, reloading itself every `refreshSeconds`.
    public static func render(_ report: HubStatusReport, language: Language, refreshSeconds: Int) -> String {
        template.render(Context(report, language: language, refreshSeconds: refreshSeconds))
    }

    /// What the template reads, made from the report in one place. Mustache looks fields up by name
    /// (`Mirror`), so every field is stored and none is optional: a nil would make it read an outer one.
    struct Context {
        struct UnitRow {
            let cls: String, site: String, name: String, state: String
            let lastSyncAt: String, lastSuccessAt: String, backlog: Int, rejected: Int
            let clockOffsetMs: String, clientVersion: String, items: Int, overdue: Int
        }
        struct ChaseRow { let cls: String, id: String, title: String, dueAt: String, stage: String, overdue: Bool }
        struct Group { let site: String, name: String, chases: [ChaseRow] }
        struct ValueRow { let site: String, value: String }
        struct ConflictRow { let entity: String, field: String, label: String, values: [ValueRow] }

        let t: Labels
        let lang: String, otherLang: String, refreshSeconds: Int
        let hubSite: String, version: String
        let totals: HubStatusReport.Totals
        let failingClass: String, staleClass: String, overdueClass: String, conflictsClass: String
        let units: [UnitRow]
        let attention: [Group]
        let anyConflicts: Bool
        let conflicts: [ConflictRow]

        init(_ r: HubStatusReport, language: Language, refreshSeconds: Int) {
            let t = language == .zh ? Labels.zh : Labels.en
            self.t = t
            lang = language == .zh ? "zh-CN" : "en"
            otherLang = language == .zh ? "en" : "zh"
            self.refreshSeconds = refreshSeconds
            hubSite = r.hub.site
            version = r.hub.version
            totals = r.totals
            failingClass = r.totals.failing > 0 ? "bad" : ""
            staleClass = r.totals.stale > 0 ? "warn" : ""
            overdueClass = r.totals.overdue > 0 ? "bad" : ""
            conflictsClass = r.totals.conflicts > 0 ? "warn" : ""
            func time(_ ms: Int64?) -> String { ms.map { HubStatusReport.isoTime(milliseconds: $0) } ?? "—" }
            units = r.units.map { u in
                let (cls, state) = switch u.state {
                case .failing(let reason): ("unit failing", t.stateFailing + reason)
                case .neverSynced: ("unit stale", t.stateNeverSynced)
                case .stale: ("unit stale", t.stateStale)
                case .ok: ("unit ok", t.stateOK)
                }
                return UnitRow(
                    cls: cls, site: u.site, name: u.name, state: state, lastSyncAt: time(u.lastSyncAt), lastSuccessAt: time(u.lastSuccessAt),
                    backlog: u.backlog, rejected: u.rejected, clockOffsetMs: u.clockOffsetMs.map(String.init) ?? "—",
                    clientVersion: u.clientVersion ?? "—", items: u.items, overdue: u.overdue)
            }
            let names = Dictionary(r.units.map { ($0.site, $0.name) }, uniquingKeysWith: { a, _ in a })
            attention = r.attention.keys.sorted().map { site in
                Group(site: site, name: names[site] ?? "", chases: (r.attention[site] ?? []).map { c in
                    ChaseRow(cls: c.overdue ? "overdue" : "due-soon", id: c.id, title: c.title, dueAt: c.dueAt.description,
                             stage: language == .zh ? c.stage.label : c.stage.rawValue, overdue: c.overdue)
                })
            }
            anyConflicts = !r.conflicts.isEmpty
            conflicts = r.conflicts.map { c in
                ConflictRow(entity: c.entity.description, field: c.field, label: c.label,
                            values: c.values.map { ValueRow(site: $0.site, value: $0.value.displayText) })
            }
        }
    }

    /// The page's words in each language.
    struct Labels {
        let title, heading, hub, refreshBefore, refreshAfter, otherLanguage: String
        let units, failing, stale, items, overdue, conflicts: String
        let unitsHeading, site, name, state, lastContact, lastSuccess: String
        let backlog, refused, clockOffset, version, itemsColumn, overdueColumn: String
        let stateOK, stateStale, stateNeverSynced, stateFailing: String
        let attentionHeading, due, overdueMark, none: String
        let conflictsHeading, entity, field, values: String

        static let zh = Labels(
            title: "Banli 同步状态", heading: "Banli 建议提案办理同步状态", hub: "交办机关",
            refreshBefore: "每", refreshAfter: "秒自动刷新", otherLanguage: "English",
            units: "单位", failing: "同步失败", stale: "失联", items: "建议提案", overdue: "逾期", conflicts: "未解决冲突",
            unitsHeading: "承办单位", site: "代码", name: "单位", state: "状态", lastContact: "最近同步", lastSuccess: "最近成功",
            backlog: "待推送", refused: "被拒写入", clockOffset: "时钟偏差(ms)", version: "版本", itemsColumn: "承办", overdueColumn: "逾期",
            stateOK: "正常", stateStale: "失联：超过预期同步间隔未联系", stateNeverSynced: "从未同步", stateFailing: "同步失败：",
            attentionHeading: "督办：逾期及7日内到期", due: "时限", overdueMark: "逾期", none: "无",
            conflictsHeading: "未解决冲突", entity: "对象", field: "字段", values: "并存的值")

        static let en = Labels(
            title: "Banli sync status", heading: "Banli: suggestions and proposals sync status", hub: "Hub",
            refreshBefore: "refreshes every ", refreshAfter: " s", otherLanguage: "中文",
            units: "Units", failing: "Failing", stale: "Stale", items: "Items", overdue: "Overdue", conflicts: "Open conflicts",
            unitsHeading: "Units", site: "Site", name: "Name", state: "State", lastContact: "Last contact", lastSuccess: "Last success",
            backlog: "Backlog", refused: "Refused", clockOffset: "Clock offset (ms)", version: "Version", itemsColumn: "Items", overdueColumn: "Overdue",
            stateOK: "OK", stateStale: "Stale: no contact within its sync interval", stateNeverSynced: "Never synced", stateFailing: "Failing: ",
            attentionHeading: "To chase: overdue and due within 7 days", due: "due", overdueMark: "overdue", none: "None",
            conflictsHeading: "Open conflicts", entity: "Entity", field: "Field", values: "Concurrent values")
    }
}
