import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliHub
import BanliOffice
import BanliPages
import BanliStore
import BanliSync
import Foundation

/// `banli status`: this bureau's sync health, or at the hub every unit's.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show sync health: last sync, backlog, refused writes, conflicts, clock offset.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    /// Exit status while the last sync failed (a bureau) or any unit is failing (the hub): 3, as for other network trouble.
    static let failingExitCode: Int32 = 3

    func run() async throws {
        let config = try global.loadConfig()
        let set = try global.openOffices()
        if let store = set.offices.first?.store, store.info.isHub {
            let report = try await HubStatusReport.build(
                storage: store.hubStorage(), nowMilliseconds: HybridLogicalClock.wallMilliseconds(),
                staleAfterSeconds: config.staleAfterIntervals * config.unitInterval, deadlines: config.deadlines)
            if json { Output.json(canonical: report.canonicalJSON) } else { Output.line(HubStatusText.render(report)) }
            if report.totals.failing > 0 { throw ExitCode(Self.failingExitCode) }
            return
        }
        var failing = false
        var sections: [JSONValue] = []
        for (i, office) in set.offices.enumerated() {
            let store = try office.bureauStore()
            let health = try store.syncHealth()
            let backlog = try store.backlog()
            let rejected = try store.rejectedWrites()
            let conflicts = try store.conflicts()
            let state = try store.syncState()
            var object: [String: JSONValue] = [
                "site": .string(store.info.site), "storeId": .string(store.info.storeId),
                "hubId": state.hubId.map(JSONValue.string) ?? .null, "cursor": .int(state.cursor),
                "lastAttemptAt": time(health.lastAttemptAt), "lastSuccessAt": time(health.lastSuccessAt),
                "lastError": health.lastError.map { .string($0.detail) } ?? .null,
                "reason": health.lastError.map { .string($0.chinese) } ?? .null,
                "backlog": .int(Int64(backlog.count)),
                "oldestUnsyncedAt": backlog.oldestAt.map { .string($0.formatted(.iso8601)) } ?? .null,
                "rejected": .array(rejected.map {
                    .object(["entity": .string($0.entity), "field": .string($0.field), "reason": .string($0.reason), "at": time($0.atMilliseconds),
                              "kind": $0.kind.map { .string($0.rawValue) } ?? .null, "meaning": $0.kind.map { .string($0.chinese) } ?? .null])
                }),
                "conflicts": .int(Int64(conflicts.count)),
                "clockOffsetMs": health.clockOffsetMs.map(JSONValue.int) ?? .null,
                "hubUrl": try store.setting(SyncEngine.hubURLInUseSetting).map(JSONValue.string) ?? .null,
            ]
            if health.lastError != nil { failing = true }
            if set.hasEntries {
                object["office"] = .string(office.key)
                object["officeName"] = .string(office.name)
                sections.append(.object(object))
                if !json {
                    Output.line((i > 0 ? "\n" : "") + "交办机关 \(office.label)")
                    printText(store: store, health: health, backlog: backlog, conflicts: conflicts.count, rejected: rejected)
                }
            } else if json {
                Output.json(.object(object))
            } else {
                printText(store: store, health: health, backlog: backlog, conflicts: conflicts.count, rejected: rejected)
            }
        }
        // Several offices: one object with a section per office.
        if set.hasEntries, json { Output.json(.object(["offices": .array(sections)])) }
        if failing { throw ExitCode(Self.failingExitCode) }
    }

    private func time(_ ms: Int64?) -> JSONValue { ms.map { .string(Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601)) } ?? .null }

    private func printText(store: Store, health: SyncHealth, backlog: (count: Int, oldestAt: Date?), conflicts: Int, rejected: [RejectedWrite]) {
        Output.line("Unit \(store.info.site) (\(store.info.name)), store \(store.path)")
        Output.line("  last sync attempt: \(time(health.lastAttemptAt).displayText.isEmpty ? "never" : time(health.lastAttemptAt).displayText)")
        Output.line("  last success:      \(time(health.lastSuccessAt).displayText.isEmpty ? "never" : time(health.lastSuccessAt).displayText)")
        if let e = health.lastError {
            Output.line("  last error:        \(e.detail)")
            Output.line("  原因:              \(e.chinese)")
        }
        if let url = try? store.setting(SyncEngine.hubURLInUseSetting) { Output.line("  hub URL in use:    \(url) (the last that answered)") }
        let oldest = backlog.oldestAt.map { ", the oldest written \(Int(Date().timeIntervalSince($0)))s ago" } ?? ""
        Output.line("  waiting to push:   \(backlog.count) field states" + oldest)
        Output.line("  open conflicts:    \(conflicts)")
        if let o = health.clockOffsetMs { Output.line("  clock offset:      \(o) ms (hub minus this machine)") }
        if !rejected.isEmpty {
            Output.line("  refused by the hub (the local value is kept):")
            for r in rejected {
                Output.line("    \(r.entity) \(r.field): \(r.reason)")
                if let kind = r.kind { Output.line("      \(kind.chinese)") }
            }
        }
    }
}

/// The hub's status as a terminal table.
enum HubStatusText {
    static func render(_ report: HubStatusReport) -> String {
        var t = TextTable(header: ["单位", "名称", "最近同步", "状态", "待推送", "被拒", "时钟偏差ms", "承办", "逾期"])
        for u in report.units {
            let state = u.lastError.map { "失败: \($0.chinese)" } ?? (u.stale ? "失联" : "正常")
            t.add([
                u.site, u.name, u.lastSyncAt.map { HubStatusReport.isoTime(milliseconds: $0) } ?? "从未",
                TextTable.truncate(state, width: 40), String(u.backlog), String(u.rejected),
                u.clockOffsetMs.map(String.init) ?? "", String(u.items), String(u.overdue),
            ])
        }
        return t.render()
    }
}

/// The bureau daemon's metrics, in the Prometheus text format, read from its stores at each scrape.
enum BureauMetrics {
    /// Every gauge once, with a sample per office's store, labelled `office` when the config names offices.
    static func render(stores: [(office: String?, store: Store)]) throws -> String {
        var samples: [(name: String, help: String, values: [String])] = []
        var inUse: [String] = []
        for (office, store) in stores {
            let health = try store.syncHealth()
            let backlog = try store.backlog()
            let labels = "unit=\"\(store.info.site)\"" + (office.map { ",office=\"\($0)\"" } ?? "")
            let gauges: [(String, String, Double)] = [
                ("banli_backlog", "Field states waiting to be pushed to the hub.", Double(backlog.count)),
                ("banli_oldest_unsynced_seconds", "Age of the oldest write not yet pushed (0: none).",
                 backlog.oldestAt.map { max(0, Date().timeIntervalSince($0)) } ?? 0),
                ("banli_last_sync_success_timestamp_seconds", "Unix time of the last successful sync (0: never).",
                 Double(health.lastSuccessAt ?? 0) / 1000),
                ("banli_last_sync_attempt_timestamp_seconds", "Unix time of the last sync attempt (0: never).",
                 Double(health.lastAttemptAt ?? 0) / 1000),
                ("banli_sync_failing", "1 when the last sync attempt failed.", health.lastError == nil ? 0 : 1),
                ("banli_open_conflicts", "Fields with concurrent values.", Double(try store.conflicts().count)),
                ("banli_rejected_writes", "Writes the hub refused, kept locally.", Double(try store.rejectedWrites().count)),
                ("banli_clock_offset_milliseconds", "The hub's clock minus this machine's.", Double(health.clockOffsetMs ?? 0)),
            ]
            let reminders = try store.reminderTotals()
            let counters: [(String, String, Double)] = [
                ("banli_reminders_sent_total", "Deadline reminder sends that went out (each reminder to each recipient once).", Double(reminders.sent)),
                ("banli_reminders_failed_total", "Deadline reminder send attempts that failed (retried with backoff).", Double(reminders.failed)),
            ]
            for (i, (name, help, value)) in (gauges + counters).enumerated() {
                if samples.count <= i { samples.append((name, help, [])) }
                samples[i].values.append("\(name){\(labels)} \(value)")
            }
            // A URL holds no quote or backslash (HubURL.validate), so it needs no escaping as a label value.
            if let url = try store.setting(SyncEngine.hubURLInUseSetting) { inUse.append("banli_hub_url_in_use{\(labels),url=\"\(url)\"} 1") }
        }
        if !inUse.isEmpty { samples.append(("banli_hub_url_in_use", "The hub URL of the last successful sync (failover).", inUse)) }
        return samples.map {
            "# HELP \($0.name) \($0.help)\n# TYPE \($0.name) \($0.name.hasSuffix("_total") ? "counter" : "gauge")\n" + $0.values.map { $0 + "\n" }.joined()
        }.joined()
    }
}
