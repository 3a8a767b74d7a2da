import BanliCore
import BanliProtocol
import BanliStore
import BanliSync
import Foundation
import Synchronization

/// Drives the engine against a hub store in the same process, through the same envelope decoding
/// and exchange the HTTP hub uses, and can fail on demand (before or after the hub commits).
final class InProcessTransport: Transport, @unchecked Sendable {
    let hub: Store
    let unit: String
    let baseURL = "inprocess://hub"
    /// Fail the next request before the hub sees it.
    let failBefore = Mutex(0)
    /// Let the hub commit, then lose the answer.
    let failAfter = Mutex(0)
    let requests = Mutex(0)

    init(hub: Store, unit: String) {
        self.hub = hub
        self.unit = unit
    }

    func post(_ path: String, json: String) throws -> HTTPResult {
        requests.withLock { $0 += 1 }
        if failBefore.withLock({ n in defer { n = max(0, n - 1) }; return n > 0 }) {
            throw BanliError(.unreachable, "connection refused (injected)")
        }
        let envelope = try SyncRequestEnvelope(bytes: Array(json.utf8))
        precondition(envelope.site == unit)
        let x = try hub.exchange(
            unit: unit, cursor: envelope.cursor, pushMark: envelope.pushMark, pushThrough: envelope.pushThrough,
            exchangeNumber: envelope.exchange, resyncRequested: envelope.resync, changes: envelope.changes, limit: envelope.limit,
            report: UnitReport(clientVersion: envelope.clientVersion, backlog: envelope.backlog, clockOffsetMs: 0, storeId: envelope.storeId))
        if failAfter.withLock({ n in defer { n = max(0, n - 1) }; return n > 0 }) {
            throw BanliError(.unreachable, "connection reset after the hub committed (injected)")
        }
        let body = SyncResponse(exchange: x, hubId: hub.info.storeId, hubTime: HybridLogicalClock.wallMilliseconds()).json(hubSite: hub.info.hubSite)
        return HTTPResult(status: 200, body: Array(body.utf8))
    }

    func get(_ path: String, extraTimeout: Double, cancel: CancelFlag?) throws -> HTTPResult {
        HTTPResult(status: 200, body: Array(#"{"cursor":0,"changed":false}"#.utf8))
    }
}
