import BanliCore
import BanliHubStorage
import BanliOffice
import BanliOps
import BanliProtocol
import BanliStore
import Foundation
import Hummingbird
import NIOCore

/// The operator's listener: health, the status API and page, and metrics. Loopback by default;
/// on any other address every request needs an operator token (`banli hub add-operator`).
struct AdminRoutes: Sendable {
    let storage: any HubStorage
    let settings: HubSettings
    let metrics: HubMetrics

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in JSONResponse.ok("{\"status\":\"ok\"}\n") }
        router.head("/healthz") { _, _ in JSONResponse.ok("") }
        router.get("/v1/status") { request, _ in
            try await authorize(request)
            return JSONResponse.ok(try await report().json.canonicalJSON + "\n")
        }
        router.get("/status") { request, _ in
            try await authorize(request)
            let lang = request.uri.queryParameters["lang"].map(String.init) == "en" ? StatusPage.Language.en : .zh
            let html = StatusPage.render(try await report().json, language: lang, refreshSeconds: 10)
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.get("/metrics") { request, _ in
            try await authorize(request)
            let text = try await metrics.scrape(report())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    func report() async throws -> HubStatusReport {
        try await HubStatusReport.build(
            storage: storage, nowMilliseconds: Store.nowMilliseconds(), staleAfterSeconds: settings.staleAfterSeconds, deadlines: settings.deadlines)
    }

    /// Off loopback, requires an operator token: `Authorization: Bearer <token>`, or HTTP Basic with the token as password (for browsers).
    func authorize(_ request: Request) async throws {
        guard settings.operatorTokenRequired else { return }
        let header = request.headers[.authorization] ?? ""
        var token: String?
        if header.hasPrefix("Bearer ") {
            token = String(header.dropFirst(7)).trimmedWhitespace
        } else if header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6))),
                  let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") {
            token = String(text[text.index(after: colon)...])
        }
        let hashes = (try? await storage.operatorTokenHashes()) ?? []
        let hash = Store.tokenHash(token ?? "")
        var ok = false
        for h in hashes where ConstantTime.equal(h, hash) { ok = true }
        guard token != nil, ok else {
            throw APIError(.unauthorized,
                           "The admin listener needs an operator token (banli hub add-operator); send it as a Bearer token or as the Basic password.",
                           challenge: "Basic realm=\"banli-admin\", charset=\"UTF-8\"")
        }
    }
}

/// Every unit's sync health and workload, as the hub sees it.
public struct HubStatusReport: Sendable {
    public var json: JSONValue

    /// Builds the report from the hub's storage.
    public static func build(
        storage: any HubStorage, nowMilliseconds: UInt64, staleAfterSeconds: Double, deadlines: Deadlines
    ) async throws -> HubStatusReport {
        let hubSite = storage.hubSite
        let names = Dictionary(uniqueKeysWithValues: try await storage.directoryFields().compactMap { f -> (String, String)? in
            guard f.field == "name", let site = f.entity.site, let n = f.visibleValue(hubSite: hubSite).stringValue else { return nil }
            return (site, n)
        })
        let today = ISODate(unixMilliseconds: nowMilliseconds)
        typealias Workload = (items: [String: Int], overdue: [String: Int], attention: [String: [JSONValue]])
        let (items, overdue, attention) = try await storage.reduceItems(into: (items: [:], overdue: [:], attention: [:]) as Workload) { w, fields in
            let view = ItemView(id: fields.id, fields: fields.fields, hubSite: hubSite)
            for site in view.assignments.keys.sorted() {
                guard let st = view.status(site: site, today: today, deadlines: deadlines), st.stage != .withdrawn else { continue }
                w.items[site, default: 0] += 1
                if st.overdue { w.overdue[site, default: 0] += 1 }
                // 督办: overdue, or due within a week and still open.
                let open: Set<AssignmentStatus.Stage> = [.pending, .returnRequested, .handling, .rehandling]
                if let due = st.dueAt, open.contains(st.stage), st.overdue || due <= today.addingDays(7) {
                    w.attention[site, default: []].append(.object([
                        "id": .string(view.id), "title": .string(view.title), "dueAt": .string(due.description),
                        "overdue": .bool(st.overdue), "stage": .string(st.stage.rawValue), "label": .string(st.stage.label),
                        "role": view.assignments[site]?["role"] ?? .null,
                    ]))
                }
            }
        }
        let rows = try await storage.unitStatuses()
        var units: [JSONValue] = []
        for site in try await storage.registeredUnits() {
            let r = rows[site]
            let last = r?.lastContactAt
            let stale = last.map { Double(Int64(nowMilliseconds) - $0) / 1000 > staleAfterSeconds } ?? true
            func ms(_ v: Int64?) -> JSONValue { v.map { .string(Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601)) } ?? .null }
            units.append(.object([
                "site": .string(site), "name": .string(names[site] ?? ""),
                "lastSyncAt": ms(r?.lastContactAt), "lastSuccessAt": ms(r?.lastSuccessAt),
                "lastError": (r?.lastError ?? r?.clockOffsetMs.flatMap(Self.clockProblem)).map(JSONValue.string) ?? .null, "stale": .bool(stale),
                "backlog": .int(Int64(r?.backlog ?? 0)), "rejected": .int(Int64(r?.rejected ?? 0)),
                "clockOffsetMs": r?.clockOffsetMs.map(JSONValue.int) ?? .null,
                "clientVersion": r?.clientVersion.map(JSONValue.string) ?? .null,
                "items": .int(Int64(items[site] ?? 0)), "overdue": .int(Int64(overdue[site] ?? 0)),
            ]))
        }
        let conflictFields = try await storage.conflicts()
        let totals: JSONValue = .object([
            "units": .int(Int64(units.count)),
            "stale": .int(Int64(units.filter { if case .object(let o) = $0 { return o["stale"] == .bool(true) }; return false }.count)),
            "items": .int(Int64(try await storage.itemCount())),
            "overdue": .int(Int64(overdue.values.reduce(0, +))),
            "conflicts": .int(Int64(conflictFields.count)),
            "failing": .int(Int64(units.filter { if case .object(let o) = $0 { return o["lastError"] != .null }; return false }.count)),
        ])
        let conflicts = conflictFields.map { f -> JSONValue in
            .object([
                "entity": .string(f.entity.description), "field": .string(f.field), "label": .string(f.spec.label),
                "values": .array(f.state.siblings.map { .object(["site": .string($0.site), "value": $0.value]) }),
            ])
        }
        return HubStatusReport(json: .object([
            "hub": .object([
                "site": .string(hubSite), "hubId": .string(storage.hubId), "time": .int(Int64(nowMilliseconds)),
                "version": .string(banliVersion),
            ]),
            "units": .array(units), "totals": totals,
            "attention": .object(attention.mapValues(JSONValue.array)), "conflicts": .array(conflicts),
        ]))
    }

    /// The failure a unit's clock offset causes, if any: the hub refuses a unit's writes dated more than
    /// `PushPolicy.unitSkewMilliseconds` ahead, and a bureau refuses states more than 5 minutes ahead of its own clock.
    static func clockProblem(_ offsetMs: Int64) -> String? {
        let seconds = offsetMs / 1000
        if offsetMs > Int64(PushPolicy.unitSkewMilliseconds) {
            return "The unit's clock is \(seconds) s ahead of the hub's; its writes are refused until that machine's clock is fixed (NTP)."
        }
        if offsetMs < -Int64(HybridLogicalClock.maximumSkewMilliseconds - PushPolicy.unitSkewMilliseconds) {
            return "The unit's clock is \(-seconds) s behind the hub's; it may refuse the hub's states until that machine's clock is fixed (NTP)."
        }
        return nil
    }
}
