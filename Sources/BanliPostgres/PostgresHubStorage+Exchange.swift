import BanliCore
import BanliHubStorage
import BanliProtocol
import BanliSecrets
import Foundation
import Logging
import NIOCore
import PostgresNIO

extension PostgresHubStorage {
    /// Joins a unit's push (each change checked by `PushPolicy`), then collects what the unit should receive,
    /// in one transaction holding the counters row's lock (see the type's comment). An exchange that pushes
    /// nothing is answered from a read snapshot instead, and its bookkeeping written after it.
    public func exchange(_ r: HubExchangeRequest) async throws -> HubExchange {
        var ordered: [ReplicatedField] = []
        var malformed: [Rejection] = []
        for c in r.changes {
            switch c {
            case .state(let f): ordered.append(f)
            case .malformed(let rejection): malformed.append(rejection)
            }
        }
        if ordered.isEmpty, malformed.isEmpty, let quiet = try await quietExchange(r) { return quiet }
        // The office's fields of the unit's own assignments first: after a hub restore they grant the access the rest needs.
        let unit = r.unit
        func grantsFirst(_ f: ReplicatedField) -> Int {
            f.entity == .assignment(item: f.entity.itemId ?? "", site: unit) && f.spec.author == .hub ? 0 : 1
        }
        ordered.sort { grantsFirst($0) < grantsFirst($1) }
        let at = Self.timestamp()
        let (hubSite, key, logger) = (self.hubSite, self.key, self.logger)
        let toPush = ordered, refused = malformed
        return try await transaction { conn in
            var result = HubExchange()
            result.rejected = refused
            var (clock, seq) = try await Self.lockCounters(conn, logger: logger)
            let seqBefore = seq
            try await conn.query("INSERT INTO unit_status (site) VALUES (\(unit)) ON CONFLICT (site) DO NOTHING", logger: logger)
            let marks = try await Self.unitMarks(conn, unit: unit, logger: logger)!
            var maxCounter = marks.maxCounter
            let policy = PushPolicy(unit: unit, hubSite: hubSite, nowMilliseconds: r.nowMilliseconds, hubClock: clock.latest) { entity, field, sibling in
                HubKey.verify(key, entity: entity, field: field, sibling: sibling)
            }
            var fields = StoredFields(hubSite: hubSite, logger: logger)
            try await fields.prefetch(conn, toPush.map(\.entity))
            var clockRefusal: String?
            for f in toPush {
                let current = try await fields.load(conn, entity: f.entity, spec: f.spec)?.state ?? FieldState()
                let access = try await f.entity.itemId.asyncMap { try await Self.access(conn, unit: unit, item: $0, logger: logger) } ?? .active
                if let refusal = policy.refusal(of: f, current: current, access: access) {
                    result.rejected.append(Rejection(entity: f.entity.description, field: f.field, reason: refusal.reason, kind: .init(refusal.kind)))
                    if refusal.kind == .clock { clockRefusal = refusal.reason }
                    continue
                }
                for s in f.state.siblings where s.site == unit { maxCounter = max(maxCounter, s.counter) }
                // The hub's clock follows only its own (authentic) counters: a unit's clock never moves it.
                clock.observe(f.state.context[hubSite])
                if try await fields.joinReceived(conn, f, via: unit, echoExchange: r.exchangeNumber, at: at, seq: &seq) { result.accepted += 1 }
            }
            try await Self.saveCounters(conn, clock: clock, seq: seq, changed: seq != seqBefore, logger: logger)
            result.changedHub = seq != seqBefore

            let request = SyncHeader(cursor: r.cursor, pushMark: r.pushMark, pushThrough: r.pushThrough, exchange: r.exchangeNumber,
                                     resync: r.resyncRequested)
            let plan = HubExchangePlan(marks: marks, request: request, limit: r.limit, head: seq)
            try await Self.answer(conn, unit: unit, plan: plan, head: seq, pushedSeqs: (seqBefore + 1)...max(seqBefore + 1, seq),
                                  into: &result, logger: logger)
            result.yourLatest = maxCounter
            let failure = clockRefusal.map { UnitFailure.writesRefusedForClock(aheadSeconds: r.report.clockOffsetMs.map { $0 / 1000 }, detail: $0) }
            try await Self.recordExchange(conn, r, result, maxCounter: maxCounter, rejected: result.rejected.count, error: failure?.stored,
                                          logger: logger)
            return result
        }
    }

    /// An exchange that pushes nothing, answered from one read snapshot; its bookkeeping is written after it
    /// (only forward). Nil for a unit's first exchange, which takes the durable path.
    func quietExchange(_ r: HubExchangeRequest) async throws -> HubExchange? {
        let logger = self.logger
        let answered = try await transaction(.snapshot) { conn -> HubExchange? in
            guard let marks = try await Self.unitMarks(conn, unit: r.unit, logger: logger) else { return nil }
            let seq = try await Self.first(conn.query("SELECT seq FROM hub WHERE id = 1", logger: logger), as: Int64.self) ?? 0
            var result = HubExchange()
            let request = SyncHeader(cursor: r.cursor, pushMark: r.pushMark, pushThrough: r.pushThrough, exchange: r.exchangeNumber,
                                     resync: r.resyncRequested)
            try await Self.answer(conn, unit: r.unit, plan: HubExchangePlan(marks: marks, request: request, limit: r.limit, head: seq), head: seq,
                                  pushedSeqs: (seq + 1)...(seq + 1), into: &result, logger: logger)
            result.yourLatest = marks.maxCounter
            return result
        }
        guard let answered else { return nil }
        // Written before the answer goes out: the next exchange, through any process, finds the cursor handed out.
        try await withConnection { conn in
            try await Self.recordExchange(conn, r, answered, maxCounter: answered.yourLatest, rejected: 0, error: nil, logger: logger)
        }
        return answered
    }

    /// Writes one exchange's bookkeeping so that it only moves forward, whichever process writes it: marks, exchange
    /// numbers and the sent cursor by `GREATEST`; the last contact's details only when no newer contact is recorded.
    static func recordExchange(
        _ conn: PostgresConnection, _ r: HubExchangeRequest, _ result: HubExchange, maxCounter: UInt64, rejected: Int, error: String?, logger: Logger
    ) async throws {
        let now = Int64(r.nowMilliseconds), newest = "COALESCE(last_contact_at, 0) <= "
        try await conn.query("""
            UPDATE unit_status SET
                push_mark = GREATEST(push_mark, \(result.pushMark)), last_exchange = GREATEST(last_exchange, \(r.exchangeNumber)),
                sent_cursor = GREATEST(sent_cursor, \(result.cursor)), max_counter = GREATEST(max_counter, \(Int64(bitPattern: maxCounter))),
                rejected = rejected + \(rejected),
                last_error = CASE WHEN \(unescaped: newest)\(now) THEN \(error) ELSE last_error END,
                backlog = CASE WHEN \(unescaped: newest)\(now) THEN \(r.report.backlog) ELSE backlog END,
                clock_offset_ms = CASE WHEN \(unescaped: newest)\(now) THEN \(r.report.clockOffsetMs) ELSE clock_offset_ms END,
                client_version = CASE WHEN \(unescaped: newest)\(now) THEN \(r.report.clientVersion) ELSE client_version END,
                store_id = CASE WHEN \(unescaped: newest)\(now) THEN \(r.report.storeId) ELSE store_id END,
                last_contact_at = GREATEST(COALESCE(last_contact_at, 0), \(now)),
                last_success_at = GREATEST(COALESCE(last_success_at, 0), \(now))
            WHERE site = \(r.unit)
            """, logger: logger)
    }

    /// Locks the counters row: every transaction that takes change numbers starts here (see the type's comment).
    static func lockCounters(_ conn: PostgresConnection, logger: Logger) async throws -> (clock: HybridLogicalClock, seq: Int64) {
        guard let (clock, seq) = try await first(conn.query("SELECT clock, seq FROM hub WHERE id = 1 FOR UPDATE", logger: logger),
                                                 as: (Int64, Int64).self) else {
            throw BanliError(.storeMissing, "The hub row is missing from the database; restore it from a backup.")
        }
        return (HybridLogicalClock(latest: UInt64(bitPattern: clock)), seq)
    }

    /// Stores the counters; when changes were numbered, notifies every hub process (delivered at commit).
    static func saveCounters(_ conn: PostgresConnection, clock: HybridLogicalClock, seq: Int64, changed: Bool, logger: Logger) async throws {
        try await conn.query("UPDATE hub SET clock = \(Int64(bitPattern: clock.latest)), seq = \(seq) WHERE id = 1", logger: logger)
        if changed {
            try await conn.query("SELECT pg_notify(\(ChangeListener.channel), \(String(seq)))", logger: logger)
        }
    }

    /// What the hub holds of a unit's sync; nil before its first exchange.
    static func unitMarks(_ conn: PostgresConnection, unit: String, logger: Logger) async throws -> HubExchangePlan.UnitMarks? {
        guard let (pushMark, sent, maxCounter) = try await first(conn.query(
            "SELECT push_mark, sent_cursor, max_counter FROM unit_status WHERE site = \(unit)", logger: logger), as: (Int64, Int64, Int64).self)
        else { return nil }
        return HubExchangePlan.UnitMarks(pushMark: pushMark, sentCursor: sent, maxCounter: UInt64(bitPattern: maxCounter))
    }

    /// A unit's access to one item.
    static func access(_ conn: PostgresConnection, unit: String, item: String, logger: Logger) async throws -> ItemAccess {
        guard let row = try await first(conn.query(
            "SELECT revoked_seq FROM access WHERE site = \(unit) AND item = \(item)", logger: logger), as: Int64?.self) else { return .none }
        return row == nil ? .active : .revoked
    }

    /// `BANLI_PULL_PLAN=items|seq` forces one plan (for tests and diagnosis), as on SQLite.
    static let forcedPullOrder = ProcessInfo.processInfo.environment["BANLI_PULL_PLAN"].flatMap(HubExchangePlan.PullOrder.init(rawValue:))

    /// Executes `plan`: its push mark and resync, and the changes to send after its cursor.
    ///
    /// The replication filter: directory rows and rows of items the unit has (or had) access to, changed after the
    /// cursor; items granted since then come whole. A state the unit pushed is not sent back in the same answer,
    /// nor once the unit has confirmed that exchange; a store restored from an older backup gets it back.
    static func answer(
        _ conn: PostgresConnection, unit: String, plan: HubExchangePlan, head: Int64, pushedSeqs: ClosedRange<Int64>,
        into result: inout HubExchange, logger: Logger
    ) async throws {
        result.pushMark = plan.pushMark
        result.resync = plan.resync
        let pull = plan.pull, after = pull.after, limit = pull.limit
        var unitItems = 0
        // `order` asks for the unit's items only when the walk may be long; count them only then.
        if forcedPullOrder == nil, pull.changed > Int64(pull.limit) {
            unitItems = try await first(conn.query("SELECT COUNT(*) FROM access WHERE site = \(unit)", logger: logger), as: Int.self) ?? 0
        }
        let order = plan.order(forced: forcedPullOrder) { unitItems }
        let (suppress, confirmed, lo, hi) = (pull.suppressEchoes, pull.confirmedBefore, pushedSeqs.lowerBound, pushedSeqs.upperBound)
        // Interpolations bind parameters, so the echo rule is written out in each of the two plans.
        let query: PostgresQuery = order == .byItem ? """
            SELECT f.entity, f.field, f.value, f.state, f.seq FROM (
                SELECT f.entity, f.field, f.value, f.state, f.seq, f.echo, f.echo_exchange
                FROM access a JOIN field f ON f.item = a.item AND f.seq > \(after)
                WHERE a.site = \(unit) AND (a.revoked_seq IS NULL OR f.seq <= a.revoked_seq)
                UNION ALL
                SELECT f.entity, f.field, f.value, f.state, f.seq, f.echo, f.echo_exchange FROM field f WHERE f.item IS NULL AND f.seq > \(after)
            ) f
            WHERE (NOT \(suppress) OR f.echo IS NULL OR f.echo <> \(unit)
                   OR (f.echo_exchange >= \(confirmed) AND f.seq NOT BETWEEN \(lo) AND \(hi)))
            ORDER BY f.seq LIMIT \(limit + 1)
            """ : """
            SELECT f.entity, f.field, f.value, f.state, f.seq FROM field f
            WHERE f.seq > \(after)
              AND (NOT \(suppress) OR f.echo IS NULL OR f.echo <> \(unit)
                   OR (f.echo_exchange >= \(confirmed) AND f.seq NOT BETWEEN \(lo) AND \(hi)))
              AND (f.item IS NULL OR EXISTS (SELECT 1 FROM access a WHERE a.site = \(unit) AND a.item = f.item
                                             AND (a.revoked_seq IS NULL OR f.seq <= a.revoked_seq)))
            ORDER BY f.seq LIMIT \(limit + 1)
            """
        let page = try await storedRows(conn.query(query, logger: logger), limit: limit)
        let end: Int64
        if page.more, let last = page.lastSeq {
            result.more = true
            end = last
        } else {
            end = head
        }
        result.cursor = max(end, after)
        var rows = page.rows
        // Items granted after the cursor: send their older rows too, however old.
        let grants = try await all(conn.query(
            "SELECT item, revoked_seq FROM access WHERE site = \(unit) AND grant_seq > \(after) AND grant_seq <= \(end)", logger: logger),
            as: (String, Int64?).self)
        for (item, revoked) in grants {
            let upTo = min(after, revoked ?? after)
            rows += try await storedRows(conn.query(
                "SELECT entity, field, value, state, seq FROM field WHERE item = \(item) AND seq <= \(upTo) ORDER BY seq", logger: logger),
                limit: .max).rows
        }
        result.changes = rows
    }

    /// Up to `limit` rows of (entity, field, value, state, seq) as stored rows, their checksums checked, unknown
    /// fields skipped; also the last row's seq, and whether more rows followed.
    static func storedRows(_ rows: PostgresRowSequence, limit: Int) async throws -> (rows: [StoredFieldRow], lastSeq: Int64?, more: Bool) {
        var out: [StoredFieldRow] = []
        var lastSeq: Int64?
        var taken = 0
        for try await (entity, field, value, bytes, seq) in rows.decode((String, String, String, ByteBuffer, Int64).self) {
            if taken == limit { return (out, lastSeq, true) }
            taken += 1
            lastSeq = seq
            let kind = entity.utf8.firstIndex(of: 0x2F).flatMap { EntityKind(rawValue: String(entity[..<$0])) }
            guard let kind, FieldCatalogue.spec(kind, field) != nil else { continue }
            do {
                let state = try bytes.withUnsafeReadableBytes { try StoredFormEntries(storedForm: $0, valueJSON: value) }
                out.append(StoredFieldRow(entity: entity, field: field, valueJSON: value, state: state))
            } catch {
                throw unreadable(entity: entity, field: field, error)
            }
        }
        return (out, lastSeq, false)
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
