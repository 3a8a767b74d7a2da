import BanliCore
import BanliStore
import Foundation
import Hummingbird

/// The operator's listener: health and the status API (loopback by default).
struct AdminRoutes: Sendable {
    let store: Store
    let settings: HubSettings

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in JSONResponse.ok("{\"status\":\"ok\"}\n") }
        router.get("/v1/status") { _, _ in
            let store = self.store, settings = self.settings
            let status = try await Blocking.run {
                try HubStatusReport.build(store: store, nowMilliseconds: Store.nowMilliseconds(), staleAfterSeconds: settings.staleAfterSeconds, deadlines: settings.deadlines)
            }
            return JSONResponse.ok(status.json.canonicalJSON + "\n")
        }
    }
}

/// Every unit's sync health and workload, as the hub sees it.
public struct HubStatusReport: Sendable {
    public var json: JSONValue

    /// Builds the report from the hub's store.
    public static func build(store: Store, nowMilliseconds: UInt64, staleAfterSeconds: Double, deadlines: Deadlines) throws -> HubStatusReport {
        let names = Dictionary(uniqueKeysWithValues: try store.directoryFields().compactMap { f -> (String, String)? in
            guard f.field == "name", let site = f.entity.site, let n = f.visibleValue(hubSite: store.info.hubSite).stringValue else { return nil }
            return (site, n)
        })
        let today = ISODate(unixMilliseconds: nowMilliseconds)
        var items: [String: Int] = [:], overdue: [String: Int] = [:]
        for view in try store.items() {
            for site in view.assignments.keys {
                guard let st = view.status(site: site, today: today, deadlines: deadlines), st.stage != .withdrawn else { continue }
                items[site, default: 0] += 1
                if st.overdue { overdue[site, default: 0] += 1 }
            }
        }
        let rows = try store.unitStatuses()
        var units: [JSONValue] = []
        for site in try store.registeredUnits() {
            let r = rows[site]
            let last = r?.lastContactAt
            let stale = last.map { Double(Int64(nowMilliseconds) - $0) / 1000 > staleAfterSeconds } ?? true
            func ms(_ v: Int64?) -> JSONValue { v.map { .string(Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601)) } ?? .null }
            units.append(.object([
                "site": .string(site), "name": .string(names[site] ?? ""),
                "lastSyncAt": ms(r?.lastContactAt), "lastSuccessAt": ms(r?.lastSuccessAt),
                "lastError": r?.lastError.map(JSONValue.string) ?? .null, "stale": .bool(stale),
                "backlog": .int(Int64(r?.backlog ?? 0)), "rejected": .int(Int64(r?.rejected ?? 0)),
                "clockOffsetMs": r?.clockOffsetMs.map(JSONValue.int) ?? .null,
                "clientVersion": r?.clientVersion.map(JSONValue.string) ?? .null,
                "items": .int(Int64(items[site] ?? 0)), "overdue": .int(Int64(overdue[site] ?? 0)),
            ]))
        }
        let totals: JSONValue = .object([
            "units": .int(Int64(units.count)),
            "stale": .int(Int64(units.filter { if case .object(let o) = $0 { return o["stale"] == .bool(true) }; return false }.count)),
            "items": .int(Int64(try store.itemIds().count)),
            "overdue": .int(Int64(overdue.values.reduce(0, +))),
            "conflicts": .int(Int64(try store.conflicts().count)),
        ])
        return HubStatusReport(json: .object([
            "hub": .object(["site": .string(store.info.hubSite), "hubId": .string(store.info.storeId), "time": .int(Int64(nowMilliseconds))]),
            "units": .array(units), "totals": totals,
        ]))
    }
}
