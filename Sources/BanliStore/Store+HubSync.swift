import BanliCore
import BanliSecrets
import BanliHubStorage
import BanliProtocol
import Foundation
import GRDB

extension Store {
    /// Hub: joins a unit's push (each change checked by `PushPolicy`), then collects what the unit
    /// should receive after `cursor`, all in one durable transaction. An exchange that pushes nothing is
    /// answered from a read snapshot instead (see `UnitBook`).
    public func exchange(
        unit: String, cursor: Int64, pushMark: Int64, pushThrough: Int64, exchangeNumber: Int64 = 0, resyncRequested: Bool,
        changes: [PushedChange], limit: Int, report: UnitReport, nowMilliseconds: UInt64 = HybridLogicalClock.wallMilliseconds()
    ) throws -> HubExchange {
        guard info.isHub else { throw BanliError(.usage, "Only a hub store answers sync requests.") }
        let key = hubKey!
        // The office's fields of the unit's own assignments first: after a hub restore they grant the access the rest needs.
        var ordered: [ReplicatedField] = []
        var result = HubExchange()
        for c in changes {
            switch c {
            case .state(let f): ordered.append(f)
            case .malformed(let r): result.rejected.append(r)
            }
        }
        func grantsFirst(_ f: ReplicatedField) -> Int {
            f.entity == .assignment(item: f.entity.itemId ?? "", site: unit) && f.spec.author == .hub ? 0 : 1
        }
        ordered.sort { grantsFirst($0) < grantsFirst($1) }
        if ordered.isEmpty, result.rejected.isEmpty, let quiet = try quietExchange(
            unit: unit, cursor: cursor, pushMark: pushMark, pushThrough: pushThrough, exchangeNumber: exchangeNumber,
            resyncRequested: resyncRequested, limit: limit, report: report, nowMilliseconds: nowMilliseconds) {
            return quiet
        }
        let at = Store.timestamp()
        let pending = unitBook.entry(unit)
        let answered = try transaction { db in
            try db.execute(sql: "INSERT OR IGNORE INTO unit_status (site) VALUES (?)", arguments: [unit])
            let marks = try Store.unitMarks(db, unit: unit, pending: pending)!
            var maxCounter = marks.maxCounter

            var (clock, seq) = try Store.loadCounters(db)
            let seqBefore = seq
            let policy = PushPolicy(unit: unit, hubSite: info.hubSite, nowMilliseconds: nowMilliseconds, hubClock: clock.latest) { entity, field, sibling in
                HubKey.verify(key, entity: entity, field: field, sibling: sibling)
            }
            var outcome = ApplyOutcome()
            var batch = FieldBatch()
            var clockRefusal: String?
            try batch.prefetch(db, ordered.map { ($0.entity, $0.field) })
            for f in ordered {
                let current = try batch.load(db, entity: f.entity, spec: f.spec)?.state ?? FieldState()
                let access = try f.entity.itemId.map { try Store.access(db, unit: unit, item: $0) } ?? .active
                if let refusal = policy.refusal(of: f, current: current, access: access) {
                    result.rejected.append(Rejection(entity: f.entity.description, field: f.field, reason: refusal.reason, kind: .init(refusal.kind)))
                    if refusal.kind == .clock { clockRefusal = refusal.reason }
                    continue
                }
                for s in f.state.siblings where s.site == unit { maxCounter = max(maxCounter, s.counter) }
                let changedBefore = outcome.changed
                // The hub's clock follows only its own (authentic) counters: a unit's clock never moves it.
                try joinReceived(db, f, via: unit, echo: unit, echoExchange: exchangeNumber, at: at, observingOnly: info.hubSite,
                                 clock: &clock, seq: &seq, outcome: &outcome, batch: &batch)
                if outcome.changed > changedBefore { result.accepted += 1 }
            }
            try batch.flush(db)
            try Store.saveCounters(db, clock: clock, seq: seq)
            result.changedHub = seq != seqBefore

            let request = SyncHeader(cursor: cursor, pushMark: pushMark, pushThrough: pushThrough, exchange: exchangeNumber,
                                     resync: resyncRequested)
            try answer(db, unit: unit, plan: HubExchangePlan(marks: marks, request: request, limit: limit, head: seq), head: seq,
                       pushedSeqs: (seqBefore + 1)...max(seqBefore + 1, seq), into: &result)
            result.yourLatest = maxCounter

            try db.execute(sql: """
                UPDATE unit_status SET pushMark = ?, lastExchange = ?, sentCursor = max(sentCursor, ?, ?), maxCounter = ?,
                    lastContactAt = ?, lastSuccessAt = ?, lastError = ?, backlog = ?, rejected = rejected + ?,
                    clockOffsetMs = ?, clientVersion = ?, storeId = ?
                WHERE site = ?
                """, arguments: [
                    result.pushMark, exchangeNumber, result.cursor, marks.sentCursor, Int64(bitPattern: maxCounter),
                    Int64(nowMilliseconds), Int64(nowMilliseconds),
                    clockRefusal.map { UnitFailure.writesRefusedForClock(aheadSeconds: report.clockOffsetMs.map { $0 / 1000 }, detail: $0).stored },
                    report.backlog, result.rejected.count,
                    report.clockOffsetMs, report.clientVersion, report.storeId, unit,
                ])
            return result
        }
        // Only once committed: until then a quiet exchange must still find the book's entry.
        if let pending { unitBook.drop(unit, through: pending.stamp) }
        return answered
    }

    /// An exchange that pushes nothing, answered from a read snapshot; its bookkeeping goes to the unit book.
    /// Nil for a unit's first exchange, which takes the durable path.
    func quietExchange(
        unit: String, cursor: Int64, pushMark: Int64, pushThrough: Int64, exchangeNumber: Int64, resyncRequested: Bool,
        limit: Int, report: UnitReport, nowMilliseconds: UInt64
    ) throws -> HubExchange? {
        // The book first, then the snapshot: an entry leaves the book only after its flush committed,
        // so whichever of the two holds the newest bookkeeping is seen.
        let pending = unitBook.entry(unit)
        let answered = try reading { db -> HubExchange? in
            guard let marks = try Store.unitMarks(db, unit: unit, pending: pending) else { return nil }
            var result = HubExchange()
            let seq = try Store.loadCounters(db).seq
            let request = SyncHeader(cursor: cursor, pushMark: pushMark, pushThrough: pushThrough, exchange: exchangeNumber,
                                     resync: resyncRequested)
            try answer(db, unit: unit, plan: HubExchangePlan(marks: marks, request: request, limit: limit, head: seq), head: seq,
                       pushedSeqs: (seq + 1)...(seq + 1), into: &result)
            result.yourLatest = marks.maxCounter
            return result
        }
        guard let answered else { return nil }
        unitBook.record(unit, UnitBook.Entry(
            pushMark: answered.pushMark, lastExchange: exchangeNumber, sentCursor: answered.cursor, at: Int64(nowMilliseconds),
            backlog: report.backlog, clockOffsetMs: report.clockOffsetMs, clientVersion: report.clientVersion, storeId: report.storeId))
        return answered
    }

    /// What the hub holds of a unit's sync: its `unit_status` row with the unit book's newer entry laid
    /// over it. Nil before the unit's first exchange.
    static func unitMarks(_ db: Database, unit: String, pending: UnitBook.Entry?) throws -> HubExchangePlan.UnitMarks? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT pushMark, sentCursor, maxCounter FROM unit_status WHERE site = ?"), arguments: [unit]) else { return nil }
        return HubExchangePlan.UnitMarks(pushMark: pending?.pushMark ?? row[0], sentCursor: max(row[1] as Int64, pending?.sentCursor ?? 0),
                         maxCounter: UInt64(bitPattern: row[2] as Int64))
    }

    /// Executes `plan` (shared by both kinds of exchange): its push mark and resync, and the changes to send.
    /// `head` is the hub's last change number in this transaction.
    func answer(
        _ db: Database, unit: String, plan: HubExchangePlan, head: Int64, pushedSeqs: ClosedRange<Int64>, into result: inout HubExchange
    ) throws {
        result.pushMark = plan.pushMark
        result.resync = plan.resync
        try collectChanges(db, unit: unit, pull: plan, head: head, pushedSeqs: pushedSeqs, into: &result)
    }

    /// Hub: writes the unit book's quiet-exchange bookkeeping to `unit_status` in one transaction.
    /// A row a newer exchange or failure has written since is left alone.
    public func flushUnitBook() throws {
        guard info.isHub else { return }
        // Entries stay in the book until their write has committed, so exchanges never see neither.
        let entries = unitBook.all
        guard !entries.isEmpty else { return }
        try transaction { db in
            let update = try db.cachedStatement(sql: """
                UPDATE unit_status SET pushMark = ?, lastExchange = max(lastExchange, ?), sentCursor = max(sentCursor, ?),
                    lastContactAt = ?, lastSuccessAt = ?, lastError = NULL, backlog = ?, clockOffsetMs = ?, clientVersion = ?, storeId = ?
                WHERE site = ? AND coalesce(lastContactAt, 0) <= ?
                """)
            for (unit, e) in entries {
                try update.execute(arguments: [
                    e.pushMark, e.lastExchange, e.sentCursor, e.at, e.at, e.backlog, e.clockOffsetMs, e.clientVersion, e.storeId, unit, e.at,
                ])
            }
        }
        for (unit, e) in entries { unitBook.drop(unit, through: e.stamp) }
    }

    static func access(_ db: Database, unit: String, item: String) throws -> ItemAccess {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT revokedSeq FROM access WHERE site = ? AND item = ?"), arguments: [unit, item]) else {
            return .none
        }
        return (row[0] as Int64?) == nil ? .active : .revoked
    }

    /// The replication filter: directory rows and rows of items the unit has (or had) access to,
    /// changed after `after`; items granted since then come whole.
    ///
    /// A state the unit pushed is not sent back in the same answer, nor once the unit has confirmed that
    /// exchange (its exchange number counts the answers it applied); a store restored from an older
    /// backup gets it back.
    func collectChanges(
        _ db: Database, unit: String, pull plan: HubExchangePlan, head: Int64, pushedSeqs: ClosedRange<Int64>, into result: inout HubExchange
    ) throws {
        let pull = plan.pull, after = pull.after, limit = pull.limit
        let arguments: StatementArguments = [
            after, pull.suppressEchoes, unit, limit + 1, pull.confirmedBefore, pushedSeqs.lowerBound, pushedSeqs.upperBound,
        ]
        let order = try plan.order(forced: Store.forcedPullOrder) {
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM access WHERE site = ?"), arguments: [unit]) ?? 0
        }
        let rows = try Row.fetchCursor(db.cachedStatement(sql: order == .byItem ? Store.pullByItemSQL : Store.pullBySeqSQL), arguments: arguments)
        let page = try Store.storedRows(rows, limit: limit)
        let end: Int64
        if page.more, let last = page.lastSeq {
            result.more = true
            end = last
        } else {
            end = head
        }
        result.cursor = max(end, after)
        var fields = page.rows
        // Items granted after the cursor: send their older rows too, however old.
        let grants = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT item, revokedSeq FROM access WHERE site = ? AND grantSeq > ? AND grantSeq <= ?
            """), arguments: [unit, after, end])
        for g in grants {
            let item: String = g["item"]
            let upTo = min(after, (g["revokedSeq"] as Int64?) ?? after)
            let older = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT entity, field, value, state, seq FROM field WHERE item = ? AND seq <= ? ORDER BY seq
                """), arguments: [item, upTo])
            fields += try Store.storedRows(older, limit: .max).rows
        }
        result.changes = fields
    }

    /// An access row `a` lets its unit read field row `f`: granted, and not revoked before `f` changed.
    static let accessCovers = "(a.revokedSeq IS NULL OR f.seq <= a.revokedSeq)"

    /// The replication filter's access rule for field row `f`, the unit named by SQL parameter `unit`:
    /// a directory row, or a row of an item the unit may read.
    static func readable(unit: String) -> String {
        "(f.item IS NULL OR EXISTS (SELECT 1 FROM access a WHERE a.site = \(unit) AND a.item = f.item AND \(accessCovers)))"
    }

    /// The replication filter walking every row changed after the cursor in change order: cheap when
    /// most of those rows are the unit's.
    static let pullBySeqSQL = """
        SELECT f.entity, f.field, f.value, f.state, f.seq FROM field f
        WHERE f.seq > ?1
          AND (?2 = 0 OR f.echo IS NULL OR f.echo <> ?3 OR (f.echoExchange >= ?5 AND f.seq NOT BETWEEN ?6 AND ?7))
          AND \(readable(unit: "?3"))
        ORDER BY f.seq LIMIT ?4
        """

    /// The same rows found from the unit's items (the `item` index, ordered by seq within an item), then sorted: cheap when the unit
    /// holds a small share of a big hub, e.g. one bureau's first sync among a thousand.
    static let pullByItemSQL = """
        SELECT entity, field, value, state, seq FROM (
            SELECT f.entity, f.field, f.value, f.state, f.seq, f.echo, f.echoExchange
            FROM access a JOIN field f ON f.item = a.item AND f.seq > ?1
            WHERE a.site = ?3 AND \(accessCovers)
            UNION ALL
            SELECT f.entity, f.field, f.value, f.state, f.seq, f.echo, f.echoExchange FROM field f WHERE f.item IS NULL AND f.seq > ?1
        ) f
        WHERE ?2 = 0 OR f.echo IS NULL OR f.echo <> ?3 OR (f.echoExchange >= ?5 AND f.seq NOT BETWEEN ?6 AND ?7)
        ORDER BY f.seq LIMIT ?4
        """

    /// `BANLI_PULL_PLAN=items|seq` forces one plan (for tests and diagnosis); see `HubExchangePlan.order`.
    static let forcedPullOrder = ProcessInfo.processInfo.environment["BANLI_PULL_PLAN"].flatMap(HubExchangePlan.PullOrder.init(rawValue:))

    /// Whether anything after cursor ?1 is for unit ?2, its own pushes aside.
    static let hasChangesSQL = """
        SELECT EXISTS (SELECT 1 FROM field f
        WHERE f.seq > ?1 AND (f.echo IS NULL OR f.echo <> ?2) AND \(readable(unit: "?2")))
        """

    /// Hub: true when something for `unit` changed after `cursor` (for the long-poll).
    public func hasChanges(for unit: String, after cursor: Int64) throws -> Bool {
        try reading { db in
            try Bool.fetchOne(db.cachedStatement(sql: Store.hasChangesSQL), arguments: [cursor, unit]) ?? false
        }
    }

    /// Hub: records a failed exchange of a known unit, for monitoring.
    public func recordFailure(unit: String, failure: UnitFailure, nowMilliseconds: UInt64 = HybridLogicalClock.wallMilliseconds()) throws {
        try transaction { db in
            try db.execute(sql: "INSERT OR IGNORE INTO unit_status (site) VALUES (?)", arguments: [unit])
            try db.execute(sql: "UPDATE unit_status SET lastContactAt = ?, lastError = ? WHERE site = ?",
                           arguments: [Int64(nowMilliseconds), failure.stored, unit])
        }
    }

    /// Hub: every registered unit's (site, token hash).
    public func tokenHashes() throws -> [(site: String, hash: String)] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT site, tokenHash FROM unit_token ORDER BY site").map { ($0["site"], $0["tokenHash"]) }
        }
    }
}


extension Store {
    /// Hub: every unit's sync bookkeeping, by site.
    public func unitStatuses() throws -> [String: UnitStatusRow] {
        try reading { db in
            var out: [String: UnitStatusRow] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT * FROM unit_status") {
                let site: String = r["site"]
                out[site] = UnitStatusRow(
                    site: site, lastContactAt: r["lastContactAt"], lastSuccessAt: r["lastSuccessAt"], lastError: r["lastError"],
                    backlog: r["backlog"], rejected: r["rejected"], clockOffsetMs: r["clockOffsetMs"], clientVersion: r["clientVersion"])
            }
            // Quiet exchanges not yet written are newer than the rows they follow.
            for (site, e) in unitBook.all {
                guard var row = out[site], (row.lastContactAt ?? 0) <= e.at else { continue }
                row.lastContactAt = e.at
                row.lastSuccessAt = e.at
                row.lastError = nil
                row.backlog = e.backlog
                row.clockOffsetMs = e.clockOffsetMs
                row.clientVersion = e.clientVersion
                out[site] = row
            }
            return out
        }
    }
}
