import BanliCore
import BanliOffice

/// The hub operator's status page: units (stale and failing ones highlighted, with the reason),
/// the items to chase (督办), and open conflicts. Self-contained HTML that refreshes itself.
public enum StatusPage {
    /// The page's language: Chinese by default, English with `?lang=en`.
    public enum Language: Sendable { case zh, en }

    /// The whole page for `report`, reloading itself every `refreshSeconds`: the units `query` asks for (what is wrong
    /// first, then by code in natural order, a page at a time), the 督办 counts per unit, and one unit's 督办 list.
    /// Times are local to the office (`utcOffsetSeconds`), with their age.
    public static func render(
        _ report: HubStatusReport, language: Language, refreshSeconds: Int, query: StatusQuery = StatusQuery(), utcOffsetSeconds: Int = 8 * 3600
    ) -> String {
        template.render(Context(report, language: language, refreshSeconds: refreshSeconds, query: query,
                                clock: OfficeClock(nowMilliseconds: Int64(report.hub.timeMilliseconds), utcOffsetSeconds: utcOffsetSeconds)))
    }

    /// How wrong a unit is, most first: the order of the unit table.
    static func severity(_ state: HubStatusReport.UnitState) -> Int {
        switch state {
        case .failing: 0
        case .stale: 1
        case .neverSynced: 2
        case .ok: 3
        }
    }

    static func matches(_ u: HubStatusReport.Unit, _ filter: StatusQuery.Filter) -> Bool {
        switch (filter, u.state) {
        case (.all, _), (.failing, .failing), (.stale, .stale), (.never, .neverSynced), (.ok, .ok): true
        default: false
        }
    }

    /// What the template reads, made from the report in one place. Mustache looks fields up by name
    /// (`Mirror`), so every field is stored and none is optional: a nil would make it read an outer one.
    struct Context {
        struct UnitRow {
            let cls: String, site: String, name: String, state: String
            let lastSyncAt: String, lastSuccessAt: String, backlog: Int, rejected: Int
            let clockOffsetMs: String, clientVersion: String, items: Int, overdue: Int, trend: String
        }
        struct Link { let label: String, href: String, cls: String }
        struct AttentionRow { let site: String, name: String, overdue: Int, dueSoon: Int, href: String }
        struct ChaseRow { let cls: String, id: String, title: String, dueAt: String, stage: String, overdue: Bool }
        struct Group { let site: String, name: String, chases: [ChaseRow], more: String }
        struct ValueRow { let site: String, value: String }
        struct ConflictRow { let entity: String, field: String, label: String, values: [ValueRow] }

        let t: Labels
        let lang: String, otherLang: String, refreshSeconds: Int
        let hubSite: String, version: String, reportTime: String
        let totals: HubStatusReport.Totals
        let failingClass: String, staleClass: String, overdueClass: String, conflictsClass: String
        let filters: [Link]
        let search: String, searchLang: String, isEnglish: Bool
        let units: [UnitRow]
        let unitsNote: String
        let unitPages: [Link]
        let attention: [AttentionRow]
        let anyAttention: Bool
        let attentionPages: [Link]
        let detail: [Group]
        let anyConflicts: Bool
        let conflicts: [ConflictRow]
        let conflictsNote: String
        let remindersClass: String, remindersLine: String, reminderError: String, anyReminderError: Bool

        init(_ r: HubStatusReport, language: Language, refreshSeconds: Int, query: StatusQuery, clock: OfficeClock) {
            let t = language == .zh ? Labels.zh : Labels.en
            let en = language == .en
            self.t = t
            lang = en ? "en" : "zh-CN"
            otherLang = en ? "zh" : "en"
            isEnglish = en
            searchLang = en ? "en" : ""
            self.refreshSeconds = refreshSeconds
            hubSite = r.hub.site
            version = r.hub.version
            reportTime = clock.local(Int64(r.hub.timeMilliseconds))
            totals = r.totals
            failingClass = r.totals.failing > 0 ? "bad" : ""
            staleClass = r.totals.stale > 0 ? "warn" : ""
            overdueClass = r.totals.overdue > 0 ? "bad" : ""
            conflictsClass = r.totals.conflicts > 0 ? "warn" : ""
            remindersClass = r.reminders.failing > 0 ? "bad" : ""
            remindersLine = t.reminders(r.reminders.failing)
            reminderError = r.reminders.failing == 0 ? "" : r.reminders.lastError.map { e in
                (r.reminders.lastFailureAt.map { "\(clock.local($0))（\(clock.ago($0, english: en))）" } ?? "") + " "
                    + (en ? ReminderFailure(stored: e).english : ReminderFailure(stored: e).chinese)
            } ?? ""
            anyReminderError = !reminderError.isEmpty
            let langCode = en ? "en" : ""

            // The unit table: the state's filter and the search, what is wrong first, codes in natural order, a page at a time.
            let needle = query.search.lowercased()
            let searched = r.units.filter { needle.isEmpty || $0.site.lowercased().contains(needle) || $0.name.lowercased().contains(needle) }
            let counts = Dictionary(grouping: searched) { u in StatusQuery.Filter.allCases.first { $0 != .all && matches(u, $0) } ?? .all }
            let filterLabels: [(StatusQuery.Filter, String)] = [
                (.all, t.filterAll), (.failing, t.failing), (.stale, t.stale), (.never, t.stateNeverSynced), (.ok, t.stateOK),
            ]
            filters = filterLabels.map { f, label in
                let n = f == .all ? searched.count : counts[f]?.count ?? 0
                return Link(label: "\(label) \(n)", href: query.link({ $0.filter = f; $0.page = 1 }, language: langCode),
                            cls: f == query.filter ? "current" : "")
            }
            search = query.search
            let chosen = searched.filter { matches($0, query.filter) }.map { (unit: $0, severity: severity($0.state), key: NaturalOrder.Key($0.site)) }
                .sorted { a, b in a.severity != b.severity ? a.severity < b.severity : NaturalOrder.precedes(a.key, b.key) }.map(\.unit)
            let size = StatusQuery.pageSize
            let pages = max(1, (chosen.count + size - 1) / size)
            let page = min(query.page, pages)
            func time(_ ms: Int64?) -> String { ms.map { "\(clock.local($0))（\(clock.ago($0, english: en))）" } ?? "—" }
            units = chosen.dropFirst((page - 1) * size).prefix(size).map { u in
                let (cls, state) = switch u.state {
                case .failing(let reason): ("unit failing", t.stateFailing + (en ? reason.english : reason.chinese))
                case .neverSynced: ("unit stale", t.stateNeverSynced)
                case .stale: ("unit stale", t.stateStale)
                case .ok: ("unit ok", t.stateOK)
                }
                return UnitRow(
                    cls: cls, site: u.site, name: u.name, state: state, lastSyncAt: time(u.lastSyncAt), lastSuccessAt: time(u.lastSuccessAt),
                    backlog: u.backlog, rejected: u.rejected, clockOffsetMs: u.clockOffsetMs.map(String.init) ?? "—",
                    clientVersion: u.clientVersion ?? "—", items: u.items, overdue: u.overdue,
                    trend: Charts.trend(u.trend, english: en))
            }
            unitsNote = chosen.isEmpty ? "" : t.shown(chosen.count, (page - 1) * size + 1, min(page * size, chosen.count))
            unitPages = pages == 1 ? [] : Self.pager(current: page, pages: pages) { n in query.link({ $0.page = n }, language: langCode) }

            // 督办: counts per unit (most overdue first), each opening its own list.
            let names = Dictionary(r.units.map { ($0.site, $0.name) }, uniquingKeysWith: { a, _ in a })
            let rows: [AttentionCount] = r.attention.map { site, chases in
                let overdue = chases.filter(\.overdue).count
                return AttentionCount(site: site, overdue: overdue, dueSoon: chases.count - overdue)
            }.sorted(by: AttentionCount.precedes)
            let attentionPageCount = max(1, (rows.count + size - 1) / size)
            let attentionPage = min(query.attentionPage, attentionPageCount)
            attention = rows.dropFirst((attentionPage - 1) * size).prefix(size).map { row in
                AttentionRow(site: row.site, name: names[row.site] ?? "", overdue: row.overdue, dueSoon: row.dueSoon,
                             href: query.link({ $0.unit = row.site }, language: langCode) + "#detail")
            }
            anyAttention = !rows.isEmpty
            attentionPages = attentionPageCount == 1 ? [] : Self.pager(current: attentionPage, pages: attentionPageCount) { n in
                query.link({ $0.attentionPage = n }, language: langCode) + "#attention"
            }
            detail = query.unit.flatMap { site in r.attention[site].map { (site, $0) } }.map { site, chases in
                let sorted = chases.sorted { a, b in a.overdue != b.overdue ? a.overdue : a.dueAt != b.dueAt ? a.dueAt < b.dueAt : a.id < b.id }
                return [Group(site: site, name: names[site] ?? "", chases: sorted.prefix(StatusQuery.chaseLimit).map { c in
                    ChaseRow(cls: c.overdue ? "overdue" : "due-soon", id: c.id, title: c.title, dueAt: c.dueAt.description,
                             stage: en ? c.stage.rawValue : c.stage.label, overdue: c.overdue)
                }, more: sorted.count > StatusQuery.chaseLimit ? t.more(sorted.count - StatusQuery.chaseLimit) : "")]
            } ?? []

            anyConflicts = !r.conflicts.isEmpty
            conflicts = r.conflicts.prefix(StatusQuery.pageSize).map { c in
                ConflictRow(entity: c.entity.description, field: c.field, label: c.label,
                            values: c.values.map { ValueRow(site: $0.site, value: $0.value.displayText) })
            }
            conflictsNote = r.conflicts.count > StatusQuery.pageSize ? t.more(r.conflicts.count - StatusQuery.pageSize) : ""
        }

        /// One unit's 督办 counts; the most overdue first, then the most due soon, then by code.
        struct AttentionCount {
            let site: String, overdue: Int, dueSoon: Int

            static func precedes(_ a: AttentionCount, _ b: AttentionCount) -> Bool {
                if a.overdue != b.overdue { return a.overdue > b.overdue }
                if a.dueSoon != b.dueSoon { return a.dueSoon > b.dueSoon }
                return NaturalOrder.precedes(a.site, b.site)
            }
        }

        /// Links to the first, previous, next and last pages around `current`.
        static func pager(current: Int, pages: Int, href: (Int) -> String) -> [Link] {
            var shown = Set([1, pages, current - 1, current, current + 1].filter { (1...pages).contains($0) })
            if pages <= 7 { shown = Set(1...pages) }
            return shown.sorted().map { Link(label: String($0), href: href($0), cls: $0 == current ? "current" : "") }
        }
    }

    /// The page's words in each language.
    struct Labels: Sendable {
        let title, heading, hub, refreshBefore, refreshAfter, otherLanguage: String
        let units, failing, stale, items, overdue, conflicts: String
        let unitsHeading, site, name, state, lastContact, lastSuccess: String
        let backlog, refused, clockOffset, version, itemsColumn, overdueColumn, trend: String
        let stateOK, stateStale, stateNeverSynced, stateFailing: String
        let attentionHeading, due, overdueMark, none: String
        let conflictsHeading, entity, field, values: String
        let filterAll, searchLabel, searchButton, time, overdueCount, dueSoonCount, listOf: String
        let remindersHeading, lastFailure: String
        let shownFormat: @Sendable (Int, Int, Int) -> String, moreFormat: @Sendable (Int) -> String
        let remindersFormat: @Sendable (Int) -> String

        func reminders(_ failing: Int) -> String { remindersFormat(failing) }

        func shown(_ total: Int, _ from: Int, _ to: Int) -> String { shownFormat(total, from, to) }
        func more(_ n: Int) -> String { moreFormat(n) }

        static let zh = Labels(
            title: "Banli 同步状态", heading: "Banli 建议提案办理同步状态", hub: "交办机关",
            refreshBefore: "每", refreshAfter: "秒自动刷新", otherLanguage: "English",
            units: "单位", failing: "同步失败", stale: "失联", items: "建议提案", overdue: "逾期", conflicts: "未解决冲突",
            unitsHeading: "承办单位", site: "代码", name: "单位", state: "状态", lastContact: "最近同步", lastSuccess: "最近成功",
            backlog: "待推送", refused: "被拒写入", clockOffset: "时钟偏差(ms)", version: "版本", itemsColumn: "承办", overdueColumn: "逾期",
            trend: "最近一天（待推送 / 应答耗时）",
            stateOK: "正常", stateStale: "失联：超过预期同步间隔未联系", stateNeverSynced: "从未同步", stateFailing: "同步失败：",
            attentionHeading: "督办：逾期及7日内到期（按单位）", due: "时限", overdueMark: "逾期", none: "无",
            conflictsHeading: "未解决冲突", entity: "对象", field: "字段", values: "并存的值",
            filterAll: "全部", searchLabel: "查找单位（代码或名称）", searchButton: "查找", time: "更新于", overdueCount: "逾期",
            dueSoonCount: "7日内到期", listOf: "督办清单",
            remindersHeading: "督办提醒", lastFailure: "最近一次失败：",
            shownFormat: { "共 \($0) 个，显示第 \($1)–\($2) 个" }, moreFormat: { "另有 \($0) 项未显示" },
            remindersFormat: { $0 == 0 ? "最近一天没有发送失败" : "最近一天发送失败 \($0) 封，正按退避间隔重试" })

        static let en = Labels(
            title: "Banli sync status", heading: "Banli: suggestions and proposals sync status", hub: "Hub",
            refreshBefore: "refreshes every ", refreshAfter: " s", otherLanguage: "中文",
            units: "Units", failing: "Failing", stale: "Stale", items: "Items", overdue: "Overdue", conflicts: "Open conflicts",
            unitsHeading: "Units", site: "Site", name: "Name", state: "State", lastContact: "Last contact", lastSuccess: "Last success",
            backlog: "Backlog", refused: "Refused", clockOffset: "Clock offset (ms)", version: "Version", itemsColumn: "Items", overdueColumn: "Overdue",
            trend: "Last day (backlog / answer time)",
            stateOK: "OK", stateStale: "Stale: no contact within its sync interval", stateNeverSynced: "Never synced", stateFailing: "Failing: ",
            attentionHeading: "To chase: overdue and due within 7 days, by unit", due: "due", overdueMark: "overdue", none: "None",
            conflictsHeading: "Open conflicts", entity: "Entity", field: "Field", values: "Concurrent values",
            filterAll: "All", searchLabel: "Find a unit (code or name)", searchButton: "Find", time: "as of", overdueCount: "Overdue",
            dueSoonCount: "Due within 7 days", listOf: "To chase",
            remindersHeading: "Deadline reminders", lastFailure: "Last failure: ",
            shownFormat: { "\($0) units, showing \($1)–\($2)" }, moreFormat: { "\($0) more not shown" },
            remindersFormat: { $0 == 0 ? "No failed sends in the last day" : "\($0) failed in the last day, retried with backoff" })
    }
}
