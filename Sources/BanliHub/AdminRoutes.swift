import BanliCore
import BanliHubStorage
import BanliOffice
import BanliOps
import BanliPages
import BanliProtocol
import BanliSecrets
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
        HealthRoutes.register(on: router, storage: storage)
        router.get("/v1/status") { request, _ in
            try await authorize(request)
            return JSONResponse.ok(try await report().canonicalJSON + "\n")
        }
        router.get("/status") { request, _ in
            try await authorize(request)
            let lang = request.uri.queryParameters["lang"].map(String.init) == "en" ? StatusPage.Language.en : .zh
            let query = StatusQuery { request.uri.queryParameters[Substring($0)].map(String.init) }
            let html = StatusPage.render(metrics.withTrends(try await report()), language: lang, refreshSeconds: 10, query: query,
                                         utcOffsetSeconds: settings.timeZone.secondsFromGMT(for: Date()))
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.get("/metrics") { request, _ in
            try await authorize(request)
            let text = try await metrics.scrape(report())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    func report() async throws -> HubStatusReport {
        let now = HybridLogicalClock.wallMilliseconds()
        var report = try await HubStatusReport.build(
            storage: storage, nowMilliseconds: now, staleAfterSeconds: settings.staleAfterSeconds, deadlines: settings.deadlines)
        if let log = storage as? any ReminderLog {
            let failures = try await log.reminderFailures(since: Int64(now) - 86_400_000)
            report.reminders = .init(failing: failures.count, lastError: failures.lastError, lastFailureAt: failures.lastFailedAt)
        }
        return report
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
        let hash = Digest.tokenHash(token ?? "")
        var ok = false
        for h in hashes where ConstantTime.equal(h, hash) { ok = true }
        guard token != nil, ok else {
            throw APIError(.unauthorized,
                           "The admin listener needs an operator token (banli hub add-operator); send it as a Bearer token or as the Basic password.",
                           challenge: "Basic realm=\"banli-admin\", charset=\"UTF-8\"")
        }
    }
}

extension HubStatusReport {
    /// Builds the report from the hub's storage at `nowMilliseconds`.
    public static func build(
        storage: any HubStorage, nowMilliseconds: UInt64, staleAfterSeconds: Double, deadlines: Deadlines
    ) async throws -> HubStatusReport {
        // Every storage read of the report is in these lines; the rest is pure.
        let hubSite = storage.hubSite
        let workload = try await storage.reduceItems(into: Workload(today: ISODate(unixMilliseconds: nowMilliseconds), deadlines: deadlines)) {
            $0.add(ItemView(id: $1.id, fields: $1.fields, hubSite: hubSite))
        }
        let directory = try await storage.directoryFields()
        let registered = try await storage.registeredUnits()
        let rows = try await storage.unitStatuses()
        let itemCount = try await storage.itemCount()
        let conflicts = try await storage.conflicts()

        let names = Dictionary(uniqueKeysWithValues: directory.compactMap { f -> (String, String)? in
            guard f.field == "name", let site = f.entity.site, let n = f.visibleValue(hubSite: hubSite).stringValue else { return nil }
            return (site, n)
        })
        let units = registered.map { site in
            let r = rows[site]
            let stale = r?.lastContactAt.map { Double(Int64(nowMilliseconds) - $0) / 1000 > staleAfterSeconds } ?? true
            return Unit(
                site: site, name: names[site] ?? "", lastSyncAt: r?.lastContactAt, lastSuccessAt: r?.lastSuccessAt,
                lastError: r?.lastError.map(UnitFailure.init(stored:)) ?? r?.clockOffsetMs.flatMap(UnitFailure.clock(offsetMilliseconds:)), stale: stale,
                backlog: r?.backlog ?? 0, rejected: r?.rejected ?? 0, clockOffsetMs: r?.clockOffsetMs, clientVersion: r?.clientVersion,
                items: workload.items[site] ?? 0, overdue: workload.overdue[site] ?? 0)
        }
        return HubStatusReport(
            hub: Hub(site: hubSite, hubId: storage.hubId, timeMilliseconds: nowMilliseconds, version: banliVersion),
            units: units,
            totals: Totals(
                units: units.count, stale: units.filter(\.stale).count, items: itemCount, overdue: workload.overdue.values.reduce(0, +),
                conflicts: conflicts.count, failing: units.filter { $0.lastError != nil }.count),
            attention: workload.attention,
            conflicts: conflicts.map { f in
                Conflict(entity: f.entity, field: f.field, label: f.spec.label, values: f.state.siblings.map { Conflict.Value(site: $0.site, value: $0.value) })
            })
    }

    /// Each site's assignments, counted item by item.
    struct Workload {
        let today: ISODate
        let deadlines: Deadlines
        var items: [String: Int] = [:]
        var overdue: [String: Int] = [:]
        var attention: [String: [Chase]] = [:]

        /// Counts `view`'s assignments: the one place the report reads an `ItemView`.
        mutating func add(_ view: ItemView) {
            for site in view.assignments.keys.sorted() {
                guard let st = view.status(site: site, today: today, deadlines: deadlines), st.stage != .withdrawn else { continue }
                items[site, default: 0] += 1
                if st.overdue { overdue[site, default: 0] += 1 }
                // 督办: overdue, or due within a week and still open.
                if let due = st.dueAt, st.stage.isOpen, st.overdue || due <= today.addingDays(7) {
                    attention[site, default: []].append(Chase(
                        id: view.id, title: view.title, dueAt: due, overdue: st.overdue, stage: st.stage,
                        role: view.assignments[site]?.role?.rawValue))
                }
            }
        }
    }
}
