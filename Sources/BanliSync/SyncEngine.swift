import BanliCore
import BanliOps
import BanliProtocol
import BanliStore
import Dispatch
import Logging

/// What one `syncOnce` moved.
public struct SyncReport: Sendable {
    /// Requests made.
    public var exchanges = 0
    /// States pushed, and how many the hub accepted.
    public var pushed = 0
    public var accepted = 0
    /// Pushed states holding this unit's own writes that the hub refused, with its reasons.
    public var rejected: [Rejection] = []
    /// Other units' writes this store relayed that the hub refused (they must come from their author; no action needed).
    public var relaysRefused = 0
    /// States received, and how many changed this store.
    public var pulled = 0
    public var changed = 0
    /// Conflicts that arrived with this sync.
    public var newConflicts: [ReplicatedField] = []
    /// The hub's clock minus ours, in milliseconds (last exchange).
    public var clockOffsetMs: Int64 = 0
    /// True when the hub was replaced or restored and everything was exchanged again.
    public var recovered = false
    /// The hub cursor after the sync.
    public var cursor: Int64 = 0
}

/// The bureau's side of the sync protocol: push what the hub lacks, pull from the cursor, in batches,
/// advancing cursor and push mark only in the transaction that applies each answer.
public final class SyncEngine: Sendable {
    public let store: Store
    public let transport: any Transport
    public let limit: Int
    let logger: Logger
    /// How long `syncOnce` waits for another sync of the same store to finish.
    public let lockWait: Double

    /// The store setting naming the hub URL of the last successful sync.
    public static let hubURLInUseSetting = "hubUrlInUse"

    /// The clock offset above which a warning is logged.
    public static let clockWarningMs: Int64 = 60_000

    public init(store: Store, transport: any Transport, limit: Int = 500, logger: Logger = Logger(label: "banli.sync"), lockWait: Double = 60) {
        self.store = store
        self.transport = transport
        self.limit = max(1, min(limit, SyncRequestEnvelope.maxLimit))
        self.logger = logger
        self.lockWait = lockWait
    }

    /// One full exchange: repeats until nothing is left to push and the hub has nothing more. Holds the
    /// store's sync `StoreLock` throughout, so a `banli sync` and the daemon's cycle take turns.
    public func syncOnce() throws -> SyncReport {
        let lock = try StoreLock.acquire(store: store.path, purpose: .sync, waitingUpTo: lockWait) { pid in
            logger.warning("Another sync of this store is running (PID \(pid)); waiting for it to finish.")
        }
        defer { withExtendedLifetime(lock) {} }
        return try syncOnceLocked()
    }

    private func syncOnceLocked() throws -> SyncReport {
        var report = SyncReport()
        var machine = BureauSyncMachine(state: try store.syncState())
        // Each round either pushes a batch or pulls one; a bound stops a misbehaving hub from looping forever.
        var prefetch: Prefetch?
        defer { _ = prefetch?.wait() }  // never leave the transport busy behind an error
        for _ in 0..<100_000 {
            let batch: PushBatch, response: SyncResponse, t0: UInt64, t1: UInt64
            if let p = prefetch {
                prefetch = nil
                batch = p.batch
                let answer = try p.wait().get()
                (response, t0, t1) = (answer.response, answer.t0, answer.t1)
            } else {
                batch = try store.pushBatch(limit: limit)
                let header = machine.send(BureauSyncMachine.Batch(through: batch.through, remaining: batch.remaining, count: batch.rows.count))
                let answer = try Self.exchange(request(header, batch), via: transport)
                (response, t0, t1) = (answer.response, answer.t0, answer.t1)
            }
            report.exchanges += 1
            report.pushed += batch.rows.count
            report.accepted += response.accepted
            // Only refusals of our own writes concern the clerk; a relayed copy of another unit's write is
            // refused by design and that unit pushes it itself.
            let own = Dictionary(zip(batch.rows.map(\.key), batch.own)) { a, _ in a }
            let ownRejected = response.rejected.filter { own[$0.key] ?? true }
            report.rejected += ownRejected
            report.relaysRefused += response.rejected.count - ownRejected.count
            report.pulled += response.changes.count

            let action = machine.received(BureauSyncMachine.Answer(
                cursor: response.cursor, more: response.more, hubId: response.hubId, pushMark: response.pushMark,
                resync: response.resync, yourLatest: response.yourLatest))
            let apply: BureauSyncMachine.Apply, again: Bool
            switch action {
            case .apply(let a):
                (apply, again) = (a, false)
            case .applyAndGoAgain(let a):
                (apply, again) = (a, true)
            case .prefetchAndApply(let header, let a):
                // Its answer is used only once this one has committed, so the cursor still moves only with an apply.
                prefetch = Prefetch(batch: batch, request: request(header, batch), transport: transport)
                (apply, again) = (a, true)
            case .applyAndPushAfter(_, let lostPushes, let olderData, let a):
                if lostPushes { logger.warning("The hub holds this unit's writes only up to \(response.pushMark); pushing again from there.") }
                if olderData { logger.warning("The hub's data is older than this unit's (restored from a backup?); pushing everything again.") }
                report.recovered = true
                (apply, again) = (a, true)
            case .startOver(let previousHub, let newHub, let a):
                logger.warning("The hub's store changed (\(previousHub) → \(newHub)); exchanging everything again.")
                report.recovered = true
                (apply, again) = (a, true)
            }
            let outcome = try store.applyExchange(
                changes: response.changes, newState: apply.state, pushed: batch.rows.map(\.key), rejected: ownRejected,
                yourLatest: apply.yourLatest)
            report.changed += outcome.changed
            report.newConflicts += outcome.newConflicts
            report.clockOffsetMs = Int64(response.hubTime) - Int64((t0 + t1) / 2)
            report.cursor = apply.state.cursor
            if !again { break }
        }
        if abs(report.clockOffsetMs) > Self.clockWarningMs {
            logger.warning("""
                This machine's clock is \(report.clockOffsetMs / 1000) s off the hub's; fix it (NTP), \
                or the hub will refuse writes more than 5 minutes ahead.
                """)
        }
        try store.recordSyncResult(error: nil, clockOffsetMs: report.clockOffsetMs)
        // The URL that answered, for `banli status`, and for the next `banli sync` to start with (failover).
        if try store.setting(Self.hubURLInUseSetting) != transport.baseURL { try store.setSetting(Self.hubURLInUseSetting, transport.baseURL) }
        return report
    }

    /// The request carrying `batch` under the machine's header.
    private func request(_ header: BureauSyncMachine.Request, _ batch: PushBatch) -> SyncRequest {
        let info = store.info
        var r = SyncRequest(
            site: info.site, storeId: info.storeId, cursor: header.cursor, pushMark: header.pushMark,
            pushThrough: header.pushThrough, changes: batch.rows, limit: limit, backlog: batch.remaining,
            clientTime: HybridLogicalClock.wallMilliseconds(), resync: header.resync)
        r.exchange = header.exchange
        return r
    }

    /// Posts one request and decodes the answer, with the times it was sent and answered.
    static func exchange(_ request: SyncRequest, via transport: any Transport) throws -> (response: SyncResponse, t0: UInt64, t1: UInt64) {
        let t0 = request.clientTime
        let http = try transport.post("/v1/sync", json: request.json())
        let t1 = HybridLogicalClock.wallMilliseconds()
        try check(http, url: transport.baseURL)
        return (try SyncResponse(bytes: http.body), t0, t1)
    }

    /// Turns an HTTP error status into one sentence.
    static func check(_ http: HTTPResult, url: String) throws {
        guard http.status != 200 else { return }
        let message: String
        if let v = try? JSONValue.parse(utf8: http.body), case .object(let o) = v, let e = o["error"]?.stringValue {
            message = e
        } else {
            message = "HTTP \(http.status)"
        }
        switch http.status {
        case 401:
            throw BanliError(.unauthorized, "The hub at \(url) refused this unit's token; check token_file, "
                + "or ask the office for a new one (banli hub rotate-token).")
        case 403:
            throw BanliError(.unauthorized, "The hub at \(url) refused this request (\(message)); check that 'site' in the config matches the token.")
        default:
            throw BanliError(.protocolError, "The hub at \(url) answered \(http.status): \(message)")
        }
    }

    /// Waits on the hub's long-poll until something for this unit is newer than the cursor.
    /// Returns true when the hub reported a change.
    /// `via` may be a separate transport, so that abandoning a wait never holds up the next sync.
    public func waitForHub(timeoutSeconds: Int, cancel: CancelFlag?, via: (any Transport)? = nil) throws -> Bool {
        let cursor = try store.syncState().cursor
        let transport = via ?? self.transport
        let http = try transport.get("/v1/wait?cursor=\(cursor)&timeout=\(timeoutSeconds)", extraTimeout: Double(timeoutSeconds), cancel: cancel)
        try Self.check(http, url: transport.baseURL)
        guard case .object(let o) = try JSONValue.parse(utf8: http.body) else { return false }
        return o["changed"]?.boolValue ?? false
    }
}

/// The next pull-only exchange, sent and decoded on another thread while the current answer is applied.
/// One request at a time still uses the transport: this one starts only after the previous answer arrived.
final class Prefetch: @unchecked Sendable {
    let batch: PushBatch
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<(response: SyncResponse, t0: UInt64, t1: UInt64), any Error>?

    init(batch: PushBatch, request: SyncRequest, transport: any Transport) {
        self.batch = batch
        DispatchQueue.global().async { [self] in
            result = Result { try SyncEngine.exchange(request, via: transport) }
            done.signal()
        }
    }

    /// The answer, once it has arrived.
    func wait() -> Result<(response: SyncResponse, t0: UInt64, t1: UInt64), any Error> {
        done.wait()
        done.signal()  // later calls return at once
        return result!
    }
}
