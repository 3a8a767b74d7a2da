import BanliCore
import BanliHub
import BanliPages
import BanliProtocol

/// A province's hub as the status page sees it: `units` units (`u1`…, 5 failing, 15 stale, 20 syncing, the rest never
/// synced, each of those that synced with a day of exchanges), each holding `itemsPerUnit` assignments, a tenth of them overdue and two due within a week.
func provinceReport(units count: Int, itemsPerUnit: Int, nowMilliseconds now: Int64) -> HubStatusReport {
    let due = ISODate(unixMilliseconds: UInt64(now)).addingDays(-1)
    var units: [HubStatusReport.Unit] = [], attention: [String: [HubStatusReport.Chase]] = [:]
    for n in 1...count {
        let site = "u\(n)"
        let failing = n <= 5, stale = (6...20).contains(n), syncing = (21...40).contains(n)
        let synced: Int64? = failing || syncing ? now - 60_000 : stale ? now - 86_400_000 : nil
        let overdue = itemsPerUnit / 10
        units.append(HubStatusReport.Unit(
            site: site, name: "第\(n)单位", lastSyncAt: synced, lastSuccessAt: synced, lastError: failing ? .clockAhead(seconds: 300) : nil,
            stale: !(syncing || failing), backlog: 0, rejected: 0, clockOffsetMs: synced.map { _ in 0 }, clientVersion: synced.map { _ in "0.2.0" },
            items: itemsPerUnit, overdue: overdue))
        // A day of exchanges behind every unit that synced: each half hour for the syncing and failing ones, the morning for the stale.
        if let synced {
            var trend = SyncTrend()
            for k in stride(from: Int64(0), to: 86_400_000, by: stale ? 7_200_000 : 1_800_000) {
                trend.record(atMilliseconds: synced - k, latencyMilliseconds: 20 + Int(k % 997), backlog: Int(k / 1_800_000) % 7)
            }
            units[units.count - 1].trend = trend.lastDay(nowMilliseconds: now)
        }
        attention[site] = (0..<(overdue + 2)).map { k in
            HubStatusReport.Chase(id: "rd-2025-\(n * itemsPerUnit + k)", title: "关于第\(n * itemsPerUnit + k)号事项的建议",
                                  dueAt: k < overdue ? due : due.addingDays(5), overdue: k < overdue, stage: .handling, role: "lead")
        }
    }
    return HubStatusReport(
        hub: .init(site: "hub", hubId: "bench", timeMilliseconds: UInt64(now), version: banliVersion), units: units,
        totals: .init(units: count, stale: count - 25, items: count * itemsPerUnit, overdue: count * (itemsPerUnit / 10), conflicts: 0,
                      failing: 5),
        attention: attention, conflicts: [])
}
