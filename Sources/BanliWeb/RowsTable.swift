import BanliCore
import BanliOffice

/// The words of the pages, in the request's language.
struct PageTexts {
    let dashboard, items, office, id, kind, title, proposers, unit, role, stage, due, overdue, none: String
    let sync, syncNow, lastAttempt, lastSuccess, backlog, lastError, refused, overdueHeading, dueSoonHeading: String
    let search, searchHint, year, overdueOnly, filter, clear: String

    init(_ l: Language) {
        dashboard = l.t("工作台", "Dashboard")
        items = l.t("办理事项", "Items")
        office = l.t("交办机关", "Office")
        id = l.t("编号", "Id")
        kind = l.t("类别", "Kind")
        title = l.t("标题", "Title")
        proposers = l.t("建议人/提案人", "Proposers")
        unit = l.t("承办单位", "Unit")
        role = l.t("承办方式", "Role")
        stage = l.t("状态", "Stage")
        due = l.t("办理时限", "Due")
        overdue = l.t("逾期", "overdue")
        none = l.t("没有事项。", "Nothing here.")
        sync = l.t("同步", "Sync")
        syncNow = l.t("立即同步", "Sync now")
        lastAttempt = l.t("最近同步", "Last attempt")
        lastSuccess = l.t("最近成功", "Last success")
        backlog = l.t("待上传", "Backlog")
        lastError = l.t("错误", "Error")
        refused = l.t("被拒绝的修改", "Refused writes")
        overdueHeading = l.t("已逾期", "Overdue")
        dueSoonHeading = l.t("7日内到期", "Due within 7 days")
        search = l.t("搜索", "Search")
        searchHint = l.t("标题、建议人、答复内容", "title, proposer, reply")
        year = l.t("年度", "Year")
        overdueOnly = l.t("只看逾期", "Overdue only")
        filter = l.t("筛选", "Filter")
        clear = l.t("清除", "Clear")
    }
}

/// A table of listing rows as the templates draw it.
struct RowsTable {
    struct Row {
        let cls: String, id: String, href: String, office: String, kind: String, title: String, key: Bool, proposers: String
        let unit: String, role: String, stage: String, overdue: Bool, due: String
    }

    let t: PageTexts
    let showOffice: Bool
    let rows: [Row]

    init(_ rows: [ListingRow], t: PageTexts, showOffice: Bool, today: ISODate) {
        self.t = t
        self.showOffice = showOffice
        self.rows = rows.map { r in
            let st = r.status
            let dueSoon = st.map { $0.stage.isOpen && !$0.overdue && ($0.dueAt.map { $0 <= today.addingDays(7) } ?? false) } ?? false
            let role = r.site.flatMap { r.view.assignments[$0]?.role }
            return Row(
                cls: st?.overdue == true ? "overdue" : dueSoon ? "due-soon" : "", id: r.view.id, href: ItemRoutes.href(r.office, r.view.id),
                office: r.office.name, kind: r.view.kind?.label ?? "", title: r.view.title, key: r.view.isKey,
                proposers: r.view.proposers.joined(separator: "、"), unit: r.unitName.isEmpty ? (r.site ?? "") : r.unitName,
                role: role?.label ?? "", stage: st?.stage.label ?? "未交办", overdue: st?.overdue ?? false, due: st?.dueAt?.description ?? "")
        }
    }
}
