import BanliCore
import BanliPages
import BanliOps
import BanliProtocol
import Foundation
import Prometheus
import Synchronization

/// The hub's Prometheus metrics: request counts and latencies come from Hummingbird's
/// `MetricsMiddleware` through swift-metrics; sync volumes are counted here; health gauges are
/// refreshed from the store at each scrape.
public final class HubMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Each unit's last day of exchanges with this process, for the status page's chart.
    let trends = Mutex<[String: SyncTrend]>([:])

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Adds one answered exchange to the unit's trend.
    func trend(unit: String, atMilliseconds at: UInt64, latencyMilliseconds: Int, backlog: Int) {
        trends.withLock { $0[unit, default: SyncTrend()].record(atMilliseconds: Int64(at), latencyMilliseconds: latencyMilliseconds, backlog: backlog) }
    }

    /// `report` with each unit's trend as this process saw it.
    func withTrends(_ report: HubStatusReport) -> HubStatusReport {
        let now = Int64(report.hub.timeMilliseconds)
        let known = trends.withLock { $0 }
        var out = report
        for i in out.units.indices { out.units[i].trend = known[out.units[i].site]?.lastDay(nowMilliseconds: now) ?? [] }
        return out
    }

    private func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    private func counter(_ name: String, labels: [(String, String)] = [], help: String) -> Counter {
        registry.makeCounter(descriptor: descriptor(name, help), labels: labels)
    }

    private func gauge(_ name: String, labels: [(String, String)] = [], help: String) -> Gauge {
        registry.makeGauge(descriptor: descriptor(name, help), labels: labels)
    }

    /// Counts one exchange's states.
    func exchanged(unit: String, accepted: Int, rejected: Int, pulled: Int) {
        let labels = [("unit", unit)]
        counter("banli_states_accepted_total", labels: labels, help: "Pushed field states the hub joined.").increment(by: Int64(accepted))
        counter("banli_states_rejected_total", labels: labels, help: "Pushed field states the hub refused.").increment(by: Int64(rejected))
        counter("banli_states_pulled_total", labels: labels, help: "Field states sent to units.").increment(by: Int64(pulled))
    }

    /// Counts a sync body as it crossed the wire (`coding`: identity, zstd, gzip) and as JSON, so the compression ratio
    /// of each direction (`received`, `sent`) is the quotient of the two.
    func syncBody(direction: String, coding: String, wireBytes: Int, jsonBytes: Int) {
        counter("banli_sync_body_bytes_total", labels: [("direction", direction), ("coding", coding)],
                help: "Bytes of sync bodies on the wire, by direction and content coding.").increment(by: Int64(wireBytes))
        counter("banli_sync_body_json_bytes_total", labels: [("direction", direction)],
                help: "Bytes of the same sync bodies as JSON (decompressed).").increment(by: Int64(jsonBytes))
    }

    /// Counts a refused request (bad token, malformed body…).
    func refused(reason: String) {
        counter("banli_requests_refused_total", labels: [("reason", reason)], help: "Sync requests refused before any change.").increment()
    }

    /// Counts a connection closed at one of its deadlines.
    func connectionTimedOut(_ phase: ConnectionDeadlines.Phase) {
        let reason: String
        switch phase {
        case .awaitingHead(first: true): reason = "header_timeout"
        case .awaitingHead(first: false): reason = "idle_timeout"
        case .readingBody, .answeredEarly: reason = "body_timeout"
        case .responding, .closing: reason = "linger"
        }
        counter("banli_connections_closed_total", labels: [("reason", reason)],
                             help: "Connections the hub closed at a deadline (slow or stalled heads and bodies, idle keep-alive).").increment()
    }

    /// Refreshes the health gauges from a status report and renders the exposition text.
    func scrape(_ report: HubStatusReport) -> String {
        let now = Date().timeIntervalSince1970
        for u in report.units {
            let labels = [("unit", u.site)]
            gauge("banli_unit_seconds_since_sync", labels: labels, help: "Seconds since the unit's last contact (-1: never).")
                .set(u.lastSyncAt.map { now - Double($0) / 1000 } ?? -1)
            gauge("banli_unit_stale", labels: labels, help: "1 when the unit has not synced within its expected interval.")
                .set(Double(u.stale ? 1 : 0))
            gauge("banli_unit_failing", labels: labels, help: "1 when the unit's last exchange failed.")
                .set(Double(u.lastError != nil ? 1 : 0))
            gauge("banli_unit_backlog", labels: labels, help: "Field states the unit reported still to push.")
                .set(Double(u.backlog))
            gauge("banli_unit_overdue_items", labels: labels, help: "The unit's assignments past their deadline.")
                .set(Double(u.overdue))
            // The same sign as the status report (unit minus hub), so an alert compares it with PushPolicy.unitSkewMilliseconds.
            gauge("banli_unit_clock_offset_milliseconds", labels: labels, help: "The unit's clock minus the hub's at its last exchange (0: unknown).")
                .set(Double(u.clockOffsetMs ?? 0))
        }
        gauge("banli_build_info", labels: [("version", banliVersion)], help: "Always 1; the label is this hub's banli version.").set(Double(1))
        gauge("banli_open_conflicts", help: "Fields with concurrent values at the hub.").set(Double(report.totals.conflicts))
        gauge("banli_items", help: "Items at the hub.").set(Double(report.totals.items))
        gauge("banli_units_stale", help: "Units not synced within their expected interval.").set(Double(report.totals.stale))
        return registry.emitToString()
    }
}
