import BanliCore
import BanliProtocol
import Foundation
import GRDB

/// The states a bureau has to push next.
public struct PushBatch: Sendable {
    /// The rows to push, as stored.
    public var rows: [StoredFieldRow]
    /// For each row, whether it holds a value this site wrote (a refusal of it concerns the clerk; of
    /// the others, it is a relay the hub refuses by design).
    public var own: [Bool]
    /// The push mark once this batch is acknowledged.
    public var through: Int64
    /// States still to push after this batch.
    public var remaining: Int
}

/// A refused write kept visible to the clerk.
public struct RejectedWrite: Sendable, Hashable {
    public var entity: String
    public var field: String
    /// The hub's sentence.
    public var reason: String
    /// Its class, for the clerk's Chinese sentence; nil when the hub did not say.
    public var kind: Rejection.Kind?
    public var atMilliseconds: Int64

    /// The `reason` column: the sentence, or with a known kind `{"kind":…,"reason":…}` (no schema change).
    static func stored(_ r: Rejection) -> String {
        guard let kind = r.kind else { return r.reason }
        return JSONValue.object(["kind": .string(kind.rawValue), "reason": .string(r.reason)]).canonicalJSON
    }

    init(entity: String, field: String, storedReason text: String, atMilliseconds: Int64) {
        self.entity = entity
        self.field = field
        self.atMilliseconds = atMilliseconds
        if text.hasPrefix("{\""), case .object(let o)? = try? JSONValue.parse(text), let reason = o["reason"]?.stringValue,
           let kind = o["kind"]?.stringValue.flatMap(Rejection.Kind.init(rawValue:)) {
            self.reason = reason
            self.kind = kind
        } else {
            reason = text
            kind = nil
        }
    }
}

extension Store {
    static let syncKeys = (
        cursor: "sync.cursor", pushMark: "sync.pushMark", hubId: "sync.hubId", repushAll: "sync.repushAll", resync: "sync.resync",
        exchange: "sync.exchange"
    )

    /// The persisted sync bookkeeping.
    public func syncState() throws -> SyncState {
        try reading { db in try Store.loadSyncState(db) }
    }

    static func loadSyncState(_ db: Database) throws -> SyncState {
        var s = SyncState()
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM setting WHERE key LIKE 'sync.%'") {
            let k: String = row[0], v: String = row[1]
            switch k {
            case syncKeys.cursor: s.cursor = Int64(v) ?? 0
            case syncKeys.pushMark: s.pushMark = Int64(v) ?? 0
            case syncKeys.hubId: s.hubId = v
            case syncKeys.repushAll: s.repushAll = v == "1"
            case syncKeys.resync: s.resync = v == "1"
            case syncKeys.exchange: s.exchange = Int64(v) ?? 0
            default: break
            }
        }
        return s
    }

    static func saveSyncState(_ db: Database, _ s: SyncState) throws {
        let pairs: [(String, String?)] = [
            (syncKeys.cursor, String(s.cursor)), (syncKeys.pushMark, String(s.pushMark)), (syncKeys.hubId, s.hubId),
            (syncKeys.repushAll, s.repushAll ? "1" : "0"), (syncKeys.resync, s.resync ? "1" : "0"), (syncKeys.exchange, String(s.exchange)),
        ]
        for (k, v) in pairs {
            if let v {
                try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", arguments: [k, v])
            } else {
                try db.execute(sql: "DELETE FROM setting WHERE key = ?", arguments: [k])
            }
        }
    }

    /// The next states to push: changed after the push mark and not exactly as received from the hub.
    public func pushBatch(limit: Int) throws -> PushBatch {
        try reading { db in
            let state = try Store.loadSyncState(db)
            let now = try Store.loadCounters(db).seq
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT entity, field, value, state, seq FROM field
                WHERE seq > ? AND (? OR echo IS NULL) ORDER BY seq LIMIT ?
                """, arguments: [state.pushMark, state.repushAll, limit + 1])
            let page = try Store.storedRows(cursor, limit: limit)
            let own = page.rows.map { $0.holdsValue(of: info.site) }
            if page.more, let through = page.lastSeq {
                let remaining = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM field WHERE seq > ? AND (? OR echo IS NULL)",
                                                 arguments: [through, state.repushAll]) ?? 0
                return PushBatch(rows: page.rows, own: own, through: through, remaining: remaining)
            }
            return PushBatch(rows: page.rows, own: own, through: now, remaining: 0)
        }
    }

    /// States this store still has to push, and when the oldest of them was written (for `banli status`).
    public func backlog() throws -> (count: Int, oldestAt: Date?) {
        try reading { db in
            let s = try Store.loadSyncState(db)
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM field WHERE seq > ? AND (? OR echo IS NULL)",
                                         arguments: [s.pushMark, s.repushAll]) ?? 0
            guard count > 0 else { return (0, nil) }
            // The last write of each waiting field, from the history; the oldest of those.
            let oldest = try String.fetchOne(db, sql: """
                SELECT MIN(last) FROM (SELECT (SELECT MAX(recordedAt) FROM history h WHERE h.entity = f.entity AND h.field = f.field) AS last
                FROM field f WHERE f.seq > ? AND (? OR f.echo IS NULL) ORDER BY f.seq LIMIT 10000)
                """, arguments: [s.pushMark, s.repushAll])
            return (count, oldest.flatMap { try? Date($0, strategy: .iso8601) })
        }
    }

    /// Applies one exchange's answer in one transaction: the received states, the new cursor and push
    /// mark, and the refusals. A crash before this commits leaves the store as it was before the exchange.
    public func applyExchange(
        changes: [ReplicatedField], newState: SyncState, pushed: [FieldKey], rejected: [Rejection],
        yourLatest: UInt64, nowMilliseconds: UInt64 = HybridLogicalClock.wallMilliseconds()
    ) throws -> ApplyOutcome {
        try Store.checkSkew(changes, nowMilliseconds: nowMilliseconds)
        let at = Store.timestamp()
        return try transaction { db in
            var (clock, seq) = try Store.loadCounters(db)
            clock.observe(yourLatest)  // a store restored from a backup never reuses a dot
            var outcome = ApplyOutcome()
            var batch = FieldBatch()
            try batch.prefetch(db, changes.map { ($0.entity, $0.field) })
            for f in changes {
                try joinReceived(db, f, via: info.hubSite, echo: info.hubSite, at: at, clock: &clock, seq: &seq, outcome: &outcome, batch: &batch)
            }
            try batch.flush(db)
            try Store.saveCounters(db, clock: clock, seq: seq)
            try Store.saveSyncState(db, newState)
            let refused = Set(rejected.map(\.key))
            for key in pushed where !refused.contains(key) {
                try db.execute(sql: "DELETE FROM rejected WHERE entity = ? AND field = ?", arguments: [key.entity, key.field])
            }
            for r in rejected {
                try db.execute(sql: "INSERT OR REPLACE INTO rejected (entity, field, reason, at) VALUES (?, ?, ?, ?)",
                               arguments: [r.entity, r.field, RejectedWrite.stored(r), Int64(nowMilliseconds)])
            }
            return outcome
        }
    }

    /// Saves only the sync bookkeeping (a reset after the hub changed, for example).
    public func saveSyncState(_ s: SyncState) throws {
        try transaction { db in try Store.saveSyncState(db, s) }
    }

    /// Writes the hub refused, newest first.
    public func rejectedWrites() throws -> [RejectedWrite] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM rejected ORDER BY at DESC, entity, field").map {
                RejectedWrite(entity: $0["entity"], field: $0["field"], storedReason: $0["reason"], atMilliseconds: $0["at"])
            }
        }
    }
}

/// The outcome of the last sync attempts, for `banli status`.
public struct SyncHealth: Sendable {
    public var lastAttemptAt: Int64?
    public var lastSuccessAt: Int64?
    public var lastError: SyncFailure?
    public var clockOffsetMs: Int64?
}

extension Store {
    /// Records a sync attempt's outcome (a nil error is a success).
    public func recordSyncResult(error: SyncFailure?, clockOffsetMs: Int64? = nil, nowMilliseconds: UInt64 = HybridLogicalClock.wallMilliseconds()) throws {
        try transaction { db in
            let now = String(nowMilliseconds)
            var pairs: [(String, String?)] = [("health.lastAttemptAt", now), ("health.lastError", error?.stored)]
            if error == nil { pairs.append(("health.lastSuccessAt", now)) }
            if let clockOffsetMs { pairs.append(("health.clockOffsetMs", String(clockOffsetMs))) }
            for (k, v) in pairs {
                if let v {
                    try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", arguments: [k, v])
                } else {
                    try db.execute(sql: "DELETE FROM setting WHERE key = ?", arguments: [k])
                }
            }
        }
    }

    /// The last sync attempts' outcome.
    public func syncHealth() throws -> SyncHealth {
        try reading { db in
            var h = SyncHealth()
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM setting WHERE key LIKE 'health.%'") {
                let k: String = row[0], v: String = row[1]
                switch k {
                case "health.lastAttemptAt": h.lastAttemptAt = Int64(v)
                case "health.lastSuccessAt": h.lastSuccessAt = Int64(v)
                case "health.lastError": h.lastError = SyncFailure(stored: v)
                case "health.clockOffsetMs": h.clockOffsetMs = Int64(v)
                default: break
                }
            }
            return h
        }
    }
}
