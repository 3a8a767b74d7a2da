import BanliCore
import BanliPages
import Foundation

/// The hub operator's status page: units (stale and failing ones highlighted, with the reason),
/// the items to chase (督办), and open conflicts. Self-contained HTML that refreshes itself.
enum StatusPage {
    enum Language { case zh, en }

    static func t(_ zh: String, _ en: String, _ l: Language) -> String { l == .zh ? zh : en }

    static func render(_ json: JSONValue, language l: Language, refreshSeconds: Int) -> String {
        guard case .object(let o) = json, case .array(let units)? = o["units"], case .object(let totals)? = o["totals"] else { return "" }
        func n(_ k: String) -> Int64 { totals[k]?.intValue ?? 0 }
        func hub(_ k: String) -> String { if case .object(let h)? = o["hub"] { h[k]?.stringValue ?? "" } else { "" } }
        var names: [String: String] = [:]
        var html = """
            <!doctype html>
            <html lang="\(l == .zh ? "zh-CN" : "en")"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="\(refreshSeconds)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(t("Banli 同步状态", "Banli sync status", l))</title>
            <style>
            body{font-family:"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;margin:24px;color:#222;background:#fafafa}
            h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:24px 0 8px} h3{font-size:15px;margin:12px 0 4px}
            .meta{color:#666;font-size:13px} .meta a{color:#2a5db0}
            .summary span{display:inline-block;margin:8px 12px 0 0;padding:4px 10px;border-radius:4px;background:#e8eef8}
            .summary .bad{background:#fde2e1;color:#a3211c} .summary .warn{background:#fff1d6;color:#8a5a00}
            table{border-collapse:collapse;width:100%;background:#fff;font-size:14px}
            th,td{border:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top} th{background:#f0f0f0}
            tr.failing td{background:#fde2e1} tr.stale td{background:#fff1d6}
            td.state{font-weight:600} tr.failing td.state{color:#a3211c} tr.stale td.state{color:#8a5a00}
            td.num{text-align:right} li.overdue{color:#a3211c} .empty{color:#888}
            @media print{meta{display:none}}
            </style></head><body>
            <h1>\(t("Banli 建议提案办理同步状态", "Banli: suggestions and proposals sync status", l))</h1>
            <p class="meta">\(t("交办机关", "Hub", l)) \(HTML.escape(hub("site"))) · banli \(HTML.escape(hub("version"))) ·
            \(t("每", "refreshes every ", l))\(refreshSeconds)\(t("秒自动刷新", " s", l)) ·
            <a href="?lang=\(l == .zh ? "en" : "zh")">\(l == .zh ? "English" : "中文")</a></p>
            <p class="summary"><span>\(t("单位", "Units", l)) \(n("units"))</span><span class="\(n("failing") > 0 ? "bad" : "")">\(t("同步失败", "Failing", l)) \(n("failing"))</span><span class="\(n("stale") > 0 ? "warn" : "")">\(t("失联", "Stale", l)) \(n("stale"))</span><span>\(t("建议提案", "Items", l)) \(n("items"))</span><span class="\(n("overdue") > 0 ? "bad" : "")">\(t("逾期", "Overdue", l)) \(n("overdue"))</span><span class="\(n("conflicts") > 0 ? "warn" : "")">\(t("未解决冲突", "Open conflicts", l)) \(n("conflicts"))</span></p>
            <h2>\(t("承办单位", "Units", l))</h2>
            <table id="units"><thead><tr><th>\(t("代码", "Site", l))</th><th>\(t("单位", "Name", l))</th><th>\(t("状态", "State", l))</th><th>\(t("最近同步", "Last contact", l))</th><th>\(t("最近成功", "Last success", l))</th><th>\(t("待推送", "Backlog", l))</th><th>\(t("被拒写入", "Refused", l))</th><th>\(t("时钟偏差(ms)", "Clock offset (ms)", l))</th><th>\(t("版本", "Version", l))</th><th>\(t("承办", "Items", l))</th><th>\(t("逾期", "Overdue", l))</th></tr></thead><tbody>

            """
        for u in units {
            guard case .object(let x) = u, let site = x["site"]?.stringValue else { continue }
            let name = x["name"]?.stringValue ?? ""
            names[site] = name
            let failing = x["lastError"] != .null, stale = x["stale"] == .bool(true)
            let cls = failing ? "unit failing" : stale ? "unit stale" : "unit ok"
            let state: String
            if failing {
                state = t("同步失败：", "Failing: ", l) + HTML.escape(x["lastError"]?.stringValue ?? "")
            } else if stale {
                state = x["lastSyncAt"] == .null ? t("从未同步", "Never synced", l) : t("失联：超过预期同步间隔未联系", "Stale: no contact within its sync interval", l)
            } else {
                state = t("正常", "OK", l)
            }
            func cell(_ k: String) -> String { HTML.escape(x[k].map { $0 == .null ? "—" : $0.displayText } ?? "—") }
            html += "<tr class=\"\(cls)\" data-site=\"\(HTML.escape(site))\"><td>\(HTML.escape(site))</td><td>\(HTML.escape(name))</td><td class=\"state\">\(state)</td>"
            html += "<td>\(cell("lastSyncAt"))</td><td>\(cell("lastSuccessAt"))</td><td class=\"num\">\(cell("backlog"))</td><td class=\"num\">\(cell("rejected"))</td>"
            html += "<td class=\"num\">\(cell("clockOffsetMs"))</td><td>\(cell("clientVersion"))</td><td class=\"num\">\(cell("items"))</td><td class=\"num\">\(cell("overdue"))</td></tr>\n"
        }
        html += "</tbody></table>\n<h2>\(t("督办：逾期及7日内到期", "To chase: overdue and due within 7 days", l))</h2>\n<div id=\"attention\">"
        if case .object(let attention)? = o["attention"], !attention.isEmpty {
            for site in attention.keys.sorted() {
                guard case .array(let list)? = attention[site] else { continue }
                html += "<h3>\(HTML.escape(site)) \(HTML.escape(names[site] ?? ""))</h3><ul>"
                for item in list {
                    guard case .object(let i) = item else { continue }
                    let overdue = i["overdue"] == .bool(true)
                    html += "<li class=\"\(overdue ? "overdue" : "due-soon")\">\(HTML.escape(i["id"]?.displayText ?? "")) \(HTML.escape(i["title"]?.displayText ?? "")) — "
                    html += "\(t("时限", "due", l)) \(HTML.escape(i["dueAt"]?.displayText ?? ""))，\(HTML.escape(l == .zh ? i["label"]?.displayText ?? "" : i["stage"]?.displayText ?? ""))"
                    html += overdue ? " <strong>\(t("逾期", "overdue", l))</strong>" : ""
                    html += "</li>"
                }
                html += "</ul>\n"
            }
        } else {
            html += "<p class=\"empty\">\(t("无", "None", l))</p>"
        }
        html += "</div>\n<h2>\(t("未解决冲突", "Open conflicts", l))</h2>\n"
        if case .array(let conflicts)? = o["conflicts"], !conflicts.isEmpty {
            html += "<table id=\"conflicts\"><thead><tr><th>\(t("对象", "Entity", l))</th><th>\(t("字段", "Field", l))</th><th>\(t("并存的值", "Concurrent values", l))</th></tr></thead><tbody>"
            for c in conflicts {
                guard case .object(let x) = c else { continue }
                var values = ""
                if case .array(let vs)? = x["values"] {
                    values = vs.compactMap { v -> String? in
                        guard case .object(let y) = v else { return nil }
                        return "\(HTML.escape(y["site"]?.displayText ?? ""))：\(HTML.escape(y["value"]?.displayText ?? ""))"
                    }.joined(separator: "<br>")
                }
                html += "<tr><td>\(HTML.escape(x["entity"]?.displayText ?? ""))</td><td>\(HTML.escape(x["field"]?.displayText ?? "")) \(HTML.escape(x["label"]?.displayText ?? ""))</td><td>\(values)</td></tr>"
            }
            html += "</tbody></table>\n"
        } else {
            html += "<p class=\"empty\">\(t("无", "None", l))</p>\n"
        }
        html += "</body></html>\n"
        return html
    }
}
