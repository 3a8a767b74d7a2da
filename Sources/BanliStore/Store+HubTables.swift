import BanliCore
import BanliHubStorage
import Foundation
import GRDB
import Synchronization

/// A SQLite hub store's tables, read in batches in key order, for `banli hub migrate`. The hub is stopped meanwhile
/// (the command holds the store's lock), so batches read in separate transactions still make one consistent copy.
public final class SQLiteHubTableSource: HubTableSource {
    let store: Store
    let batchSize: Int
    /// The table being read, and the last key read in it.
    private let position = Mutex<(table: Int, after: Int64)>((0, Int64.min))

    public init(_ store: Store, batchSize: Int = 5_000) throws {
        guard store.info.isHub else { throw BanliError(.usage, "\(store.path) is a bureau store; only a hub store migrates.") }
        self.store = store
        self.batchSize = batchSize
    }

    public func header() async throws -> HubHeader {
        try await store.reading { db in
            let row = try Row.fetchOne(db, sql: "SELECT * FROM site WHERE id = 1")!
            let clock: Int64 = row["clock"]
            return HubHeader(site: row["site"], name: row["name"], storeId: row["storeId"], clock: UInt64(bitPattern: clock), seq: row["seq"],
                             createdAt: row["createdAt"], keyFile: try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'hubKeyFile'"))
        }
    }

    public func nextBatch() async throws -> HubTableBatch? {
        while true {
            let (table, after) = position.withLock { $0 }
            guard let (batch, last) = try read(table: table, after: after) else { return nil }
            if batch.count == 0 || last == nil {
                position.withLock { $0 = (table + 1, Int64.min) }
                if batch.count > 0 { return batch }
                continue
            }
            position.withLock { $0.after = last! }
            return batch
        }
    }

    /// One batch of `table` after key `after`, and the batch's last key (nil: the table was read whole). Nil past the last table.
    private func read(table: Int, after: Int64) throws -> (HubTableBatch, Int64?)? {
        let n = batchSize
        return try store.reading { db -> (HubTableBatch, Int64?)? in
            switch table {
            case 0:
                let rows = try Row.fetchAll(db, sql: """
                    SELECT seq, entity, field, item, value, state, conflict, echo, echoExchange FROM field WHERE seq > ? ORDER BY seq LIMIT ?
                    """, arguments: [after, n])
                return (.fields(rows.map { r in
                    HubFieldRow(seq: r[0], entity: r[1], field: r[2], item: r[3], value: r[4], state: Array(r[5] as Data), conflict: r[6],
                                echo: r[7], echoExchange: r[8])
                }), rows.last?[0])
            case 1:
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM history WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, n])
                return (.history(rows.map { r in
                    let counter: Int64 = r["counter"]
                    return HubHistoryRow(id: r["id"], entry: HistoryEntry(
                        entity: r["entity"], field: r["field"], value: r["value"], site: r["site"], counter: UInt64(bitPattern: counter),
                        origin: r["origin"], via: r["via"], recordedAt: r["recordedAt"], person: r["person"]), item: r["item"])
                }), rows.last?["id"])
            case 2:
                // Keyed by rowid, which access rows (WITHOUT ROWID) lack: read whole, one row per unit and item.
                let rows = try Row.fetchAll(db, sql: "SELECT site, item, grantSeq, revokedSeq FROM access ORDER BY site, item")
                return (.access(rows.map { HubAccessRow(site: $0[0], item: $0[1], grantSeq: $0[2], revokedSeq: $0[3]) }), nil)
            case 3:
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM unit_status ORDER BY site")
                return (.units(rows.map { r in
                    HubUnitRow(site: r["site"], pushMark: r["pushMark"], lastExchange: r["lastExchange"], sentCursor: r["sentCursor"],
                               maxCounter: r["maxCounter"], lastContactAt: r["lastContactAt"], lastSuccessAt: r["lastSuccessAt"],
                               lastError: r["lastError"], backlog: r["backlog"], rejected: r["rejected"], clockOffsetMs: r["clockOffsetMs"],
                               clientVersion: r["clientVersion"], storeId: r["storeId"])
                }), nil)
            case 4:
                let rows = try Row.fetchAll(db, sql: "SELECT site, tokenHash, createdAt FROM unit_token ORDER BY site")
                return (.unitTokens(rows.map { HubTokenRow(holder: $0[0], tokenHash: $0[1], createdAt: $0[2]) }), nil)
            case 5:
                let rows = try Row.fetchAll(db, sql: "SELECT name, tokenHash, createdAt FROM operator_token ORDER BY name")
                return (.operatorTokens(rows.map { HubTokenRow(holder: $0[0], tokenHash: $0[1], createdAt: $0[2]) }), nil)
            case 6:
                // The key file travels in the header: the target records it itself.
                let rows = try Row.fetchAll(db, sql: "SELECT key, value FROM setting WHERE key <> 'hubKeyFile' ORDER BY key")
                return (.settings(rows.map { HubSettingRow(key: $0[0], value: $0[1]) }), nil)
            case 7:
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM feedback_link ORDER BY tokenHash")
                return (.feedbackLinks(rows.map { r in
                    FeedbackLink(tokenHash: r["tokenHash"], item: r["item"], unit: r["unit"], createdAt: r["createdAt"], expiresAt: r["expiresAt"],
                                 usedAt: r["usedAt"], revokedAt: r["revokedAt"])
                }), nil)
            case 8:
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM reminder ORDER BY send")
                return (.reminders(rows.map { r in
                    HubReminderRow(send: r["send"], state: r["state"], attempts: r["attempts"], nextAttemptAt: r["nextAttemptAt"],
                                   lastError: r["lastError"], updatedAt: r["updatedAt"])
                }), nil)
            default:
                return nil
            }
        }
    }
}

/// A new SQLite hub store written from a source. The file is made for the copy and removed again if the copy fails;
/// until the last batch is in, it is marked so that no command opens it half-written.
public struct SQLiteHubTableSink: HubTableSink {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func copyTables(from source: any HubTableSource) async throws -> HubCopyCount {
        let header = try await source.header()
        guard let keyFile = header.keyFile else {
            throw BanliError(.config, "The hub being copied records no key file; open it once with 'banli hub status' so that it records one, then copy it.")
        }
        if !FileManager.default.fileExists(atPath: keyFile) {
            throw BanliError(.config, "The hub's key file \(keyFile) is missing; the copy must sign with the same key, so put that file back first.")
        }
        // Refuses an existing file: the target must be empty.
        let store = try Store.create(at: path, site: header.site, name: header.name, hubSite: header.site, isHub: true, keyFile: header.keyFile)
        do {
            try await store.transaction { db in
                try db.execute(sql: "INSERT INTO setting (key, value) VALUES ('migrating', ?)", arguments: [Store.timestamp()])
                try db.execute(sql: "UPDATE site SET name = ?, storeId = ?, clock = ?, seq = ?, createdAt = ? WHERE id = 1", arguments: [
                    header.name, header.storeId, Int64(bitPattern: header.clock), header.seq, header.createdAt,
                ])
            }
            var count = HubCopyCount()
            while let batch = try await source.nextBatch() {
                try await store.transaction { db in try Self.insert(batch, db) }
                count.add(batch)
            }
            try await store.transaction { db in try db.execute(sql: "DELETE FROM setting WHERE key = 'migrating'") }
            return count
        } catch {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            throw error
        }
    }

    static func insert(_ batch: HubTableBatch, _ db: Database) throws {
        switch batch {
        case .fields(let rows):
            let s = try db.makeStatement(sql: """
                INSERT INTO field (seq, entity, field, item, value, state, conflict, echo, echoExchange) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in rows {
                try s.execute(arguments: [r.seq, r.entity, r.field, r.item, r.value, Data(r.state), r.conflict, r.echo, r.echoExchange])
            }
        case .history(let rows):
            let s = try db.makeStatement(sql: """
                INSERT INTO history (id, entity, field, item, value, site, counter, origin, via, recordedAt, person)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in rows {
                let e = r.entry
                try s.execute(arguments: [
                    r.id, e.entity, e.field, r.item, e.value, e.site, Int64(bitPattern: e.counter), e.origin, e.via, e.recordedAt, e.person,
                ])
            }
        case .access(let rows):
            let s = try db.makeStatement(sql: "INSERT INTO access (site, item, grantSeq, revokedSeq) VALUES (?, ?, ?, ?)")
            for r in rows { try s.execute(arguments: [r.site, r.item, r.grantSeq, r.revokedSeq]) }
        case .units(let rows):
            let s = try db.makeStatement(sql: """
                INSERT INTO unit_status (site, pushMark, lastExchange, sentCursor, maxCounter, lastContactAt, lastSuccessAt, lastError, backlog,
                    rejected, clockOffsetMs, clientVersion, storeId) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in rows {
                try s.execute(arguments: [
                    r.site, r.pushMark, r.lastExchange, r.sentCursor, r.maxCounter, r.lastContactAt, r.lastSuccessAt, r.lastError, r.backlog,
                    r.rejected, r.clockOffsetMs, r.clientVersion, r.storeId,
                ])
            }
        case .unitTokens(let rows):
            let s = try db.makeStatement(sql: "INSERT INTO unit_token (site, tokenHash, createdAt) VALUES (?, ?, ?)")
            for r in rows { try s.execute(arguments: [r.holder, r.tokenHash, r.createdAt]) }
        case .operatorTokens(let rows):
            let s = try db.makeStatement(sql: "INSERT INTO operator_token (name, tokenHash, createdAt) VALUES (?, ?, ?)")
            for r in rows { try s.execute(arguments: [r.holder, r.tokenHash, r.createdAt]) }
        case .settings(let rows):
            let s = try db.makeStatement(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)")
            for r in rows { try s.execute(arguments: [r.key, r.value]) }
        case .feedbackLinks(let rows):
            let s = try db.makeStatement(sql: """
                INSERT INTO feedback_link (tokenHash, item, unit, createdAt, expiresAt, usedAt, revokedAt) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for r in rows { try s.execute(arguments: [r.tokenHash, r.item, r.unit, r.createdAt, r.expiresAt, r.usedAt, r.revokedAt]) }
        case .reminders(let rows):
            let s = try db.makeStatement(sql: """
                INSERT INTO reminder (send, state, attempts, nextAttemptAt, lastError, updatedAt) VALUES (?, ?, ?, ?, ?, ?)
                """)
            for r in rows { try s.execute(arguments: [r.send, r.state, r.attempts, r.nextAttemptAt, r.lastError, r.updatedAt]) }
        }
    }
}
