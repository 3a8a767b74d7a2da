import BanliCore
import BanliHubStorage
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// An empty PostgreSQL database filled from another hub's tables (`banli hub migrate --to postgresql://…`), in one
/// transaction: the copy is all there or not at all.
public struct PostgresHubTableSink: HubTableSink {
    public let location: PostgresLocation
    let logger: Logger

    public init(location: PostgresLocation, logger: Logger) {
        self.location = location
        self.logger = logger
    }

    public func copyTables(from source: any HubTableSource) async throws -> HubCopyCount {
        let header = try await source.header()
        guard let keyFile = header.keyFile, FileManager.default.fileExists(atPath: keyFile) else {
            throw BanliError(.config, "The hub's key file \(header.keyFile ?? "(none recorded)") is missing; the copy must sign with the same key, "
                             + "so put that file back first.")
        }
        let location = self.location, logger = self.logger
        let client = PostgresClient(configuration: try location.clientConfiguration(password: try location.password()), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: HubCopyCount.self) { group in
            group.addTask { await client.run() }
            do {
                let count = try await PostgresHubStorage.transaction(client, location: location, logger: logger) { conn in
                    try await PostgresSchema.lock(conn, logger: logger)
                    if try await PostgresSchema.version(conn, logger: logger) > 0,
                       let site = try await PostgresHubStorage.first(conn.query("SELECT site FROM hub WHERE id = 1", logger: logger), as: String.self) {
                        throw BanliError(.storeExists, "The database \(location.redacted) already holds a Banli hub (site \(site)); "
                                         + "'banli hub migrate' copies into an empty database only.")
                    }
                    try await PostgresSchema.migrate(conn, location: location, logger: logger)
                    try await conn.query("""
                        INSERT INTO hub (id, site, name, store_id, clock, seq, created_at) VALUES (1, \(header.site), \(header.name),
                            \(header.storeId), \(Int64(bitPattern: header.clock)), \(header.seq), \(header.createdAt))
                        """, logger: logger)
                    try await conn.query("INSERT INTO setting (key, value) VALUES ('hubKeyFile', \(keyFile))", logger: logger)
                    var count = HubCopyCount()
                    while let batch = try await source.nextBatch() {
                        try await Self.insert(batch, conn, logger: logger)
                        count.add(batch)
                    }
                    // History ids were copied: new rows continue after them.
                    try await conn.query(
                        "SELECT setval(pg_get_serial_sequence('history', 'id'), GREATEST((SELECT MAX(id) FROM history), 1))", logger: logger)
                    return count
                }
                group.cancelAll()
                return count
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    static func insert(_ batch: HubTableBatch, _ conn: PostgresConnection, logger: Logger) async throws {
        switch batch {
        case .fields(let rows):
            try await insertRows(rows, "INSERT INTO field (entity, field, item, value, state, conflict, seq, echo, echo_exchange)", columns: 9,
                                 conn, logger: logger) { r, b in
                b.append(r.entity); b.append(r.field); b.append(r.item); b.append(r.value)
                b.append(ByteBuffer(bytes: r.state)); b.append(r.conflict); b.append(r.seq); b.append(r.echo)
                b.append(r.echoExchange)
            }
        case .history(let rows):
            try await insertRows(rows, "INSERT INTO history (id, entity, field, item, value, site, counter, origin, via, recorded_at, person)",
                                 columns: 11, conn, logger: logger) { r, b in
                let e = r.entry
                b.append(r.id); b.append(e.entity); b.append(e.field); b.append(r.item); b.append(e.value)
                b.append(e.site); b.append(Int64(bitPattern: e.counter)); b.append(e.origin); b.append(e.via)
                b.append(e.recordedAt); b.append(e.person)
            }
        case .access(let rows):
            for r in rows {
                try await conn.query("""
                    INSERT INTO access (site, item, grant_seq, revoked_seq) VALUES (\(r.site), \(r.item), \(r.grantSeq), \(r.revokedSeq))
                    """, logger: logger)
            }
        case .units(let rows):
            for r in rows {
                try await conn.query("""
                    INSERT INTO unit_status (site, push_mark, last_exchange, sent_cursor, max_counter, last_contact_at, last_success_at, last_error,
                        backlog, rejected, clock_offset_ms, client_version, store_id) VALUES (\(r.site), \(r.pushMark), \(r.lastExchange),
                        \(r.sentCursor), \(r.maxCounter), \(r.lastContactAt), \(r.lastSuccessAt), \(r.lastError), \(r.backlog), \(r.rejected),
                        \(r.clockOffsetMs), \(r.clientVersion), \(r.storeId))
                    """, logger: logger)
            }
        case .unitTokens(let rows):
            for r in rows {
                try await conn.query("INSERT INTO unit_token (site, token_hash, created_at) VALUES (\(r.holder), \(r.tokenHash), \(r.createdAt))",
                                     logger: logger)
            }
        case .operatorTokens(let rows):
            for r in rows {
                try await conn.query("INSERT INTO operator_token (name, token_hash, created_at) VALUES (\(r.holder), \(r.tokenHash), \(r.createdAt))",
                                     logger: logger)
            }
        case .settings(let rows):
            for r in rows {
                try await conn.query("""
                    INSERT INTO setting (key, value) VALUES (\(r.key), \(r.value)) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
                    """, logger: logger)
            }
        case .feedbackLinks(let rows):
            try await insertRows(rows, "INSERT INTO feedback_link (token_hash, item, unit, created_at, expires_at, used_at, revoked_at)", columns: 7,
                                 conn, logger: logger) { r, b in
                b.append(r.tokenHash); b.append(r.item); b.append(r.unit); b.append(r.createdAt); b.append(r.expiresAt)
                b.append(r.usedAt); b.append(r.revokedAt)
            }
        case .reminders(let rows):
            try await insertRows(rows, "INSERT INTO reminder (send, state, attempts, next_attempt_at, last_error, updated_at)", columns: 6,
                                 conn, logger: logger) { r, b in
                b.append(r.send); b.append(r.state); b.append(Int32(clamping: r.attempts)); b.append(r.nextAttemptAt); b.append(r.lastError)
                b.append(r.updatedAt)
            }
        }
    }

    /// Inserts `rows` with `insert` (the statement up to VALUES) in statements of `perStatement` rows each: one round trip
    /// per statement, not per row (per-row inserts copied ~3,000 rows/s, a quarter of an hour for a large hub).
    static func insertRows<Row>(
        _ rows: [Row], _ insert: String, columns: Int, perStatement: Int = 500, _ conn: PostgresConnection, logger: Logger,
        bind: (Row, inout PostgresBindings) -> Void
    ) async throws {
        for start in stride(from: 0, to: rows.count, by: perStatement) {
            let chunk = rows[start..<min(start + perStatement, rows.count)]
            var binds = PostgresBindings(capacity: chunk.count * columns)
            var tuples: [String] = []
            tuples.reserveCapacity(chunk.count)
            for (i, row) in chunk.enumerated() {
                bind(row, &binds)
                tuples.append("(" + (1...columns).map { "$\(i * columns + $0)" }.joined(separator: ", ") + ")")
            }
            try await conn.query(PostgresQuery(unsafeSQL: insert + " VALUES " + tuples.joined(separator: ", "), binds: binds), logger: logger)
        }
    }
}

/// A PostgreSQL hub's tables, read in batches in key order (`banli hub migrate --to FILE.db`). Every hub process must be
/// stopped: the copy refuses to finish if the hub's change number moved meanwhile.
public final class PostgresHubTableSource: HubTableSource {
    let storage: PostgresHubStorage
    let batchSize: Int
    private let position = Mutex<(table: Int, after: Int64, seq: Int64?)>((0, Int64.min, nil))

    public init(_ storage: PostgresHubStorage, batchSize: Int = 5_000) {
        self.storage = storage
        self.batchSize = batchSize
    }

    public func header() async throws -> HubHeader {
        let logger = storage.logger
        let header = try await storage.withConnection { conn in
            guard let (site, name, storeId, clock, seq, createdAt) = try await PostgresHubStorage.first(conn.query(
                "SELECT site, name, store_id, clock, seq, created_at FROM hub WHERE id = 1", logger: logger),
                as: (String, String, String, Int64, Int64, String).self) else {
                throw BanliError(.storeMissing, "The database holds no Banli hub.")
            }
            let keyFile = try await PostgresHubStorage.first(conn.query("SELECT value FROM setting WHERE key = 'hubKeyFile'", logger: logger),
                                                              as: String.self)
            return HubHeader(site: site, name: name, storeId: storeId, clock: UInt64(bitPattern: clock), seq: seq, createdAt: createdAt,
                             keyFile: keyFile)
        }
        position.withLock { $0.seq = header.seq }
        return header
    }

    public func nextBatch() async throws -> HubTableBatch? {
        while true {
            let (table, after, seq) = position.withLock { $0 }
            guard table <= 8 else {
                // Every table read: the copy is consistent only if nothing changed since the header was read.
                if let seq, try await storage.headChangeNumber() != seq {
                    throw BanliError(.usage, "The hub changed while it was being copied; stop every 'banli hub serve' process and run the migration again.")
                }
                return nil
            }
            let (batch, last) = try await read(table: table, after: after)
            if let last, batch.count == batchSize {
                position.withLock { $0.after = last }
            } else {
                position.withLock { $0.table += 1; $0.after = Int64.min }
            }
            if batch.count > 0 { return batch }
        }
    }

    /// One batch of `table` after key `after`, and its last key (nil for the tables read whole).
    private func read(table: Int, after: Int64) async throws -> (HubTableBatch, Int64?) {
        let logger = storage.logger, n = batchSize
        return try await storage.withConnection { conn in
            switch table {
            case 0:
                var rows: [HubFieldRow] = []
                let q = try await conn.query("""
                    SELECT seq, entity, field, item, value, state, conflict, echo, echo_exchange FROM field WHERE seq > \(after) ORDER BY seq LIMIT \(n)
                    """, logger: logger)
                for try await (seq, entity, field, item, value, state, conflict, echo, echoExchange) in q.decode(
                    (Int64, String, String, String?, String, ByteBuffer, Bool, String?, Int64?).self) {
                    rows.append(HubFieldRow(seq: seq, entity: entity, field: field, item: item, value: value, state: Array(state.readableBytesView),
                                            conflict: conflict, echo: echo, echoExchange: echoExchange))
                }
                return (.fields(rows), rows.last?.seq)
            case 1:
                var rows: [HubHistoryRow] = []
                let q = try await conn.query("""
                    SELECT id, entity, field, item, value, site, counter, origin, via, recorded_at, person FROM history
                    WHERE id > \(after) ORDER BY id LIMIT \(n)
                    """, logger: logger)
                for try await (id, entity, field, item, value, site, counter, origin, via, at, person) in q.decode(
                    (Int64, String, String, String?, String, String, Int64, String, String, String, String?).self) {
                    rows.append(HubHistoryRow(id: id, entry: HistoryEntry(entity: entity, field: field, value: value, site: site,
                                                                          counter: UInt64(bitPattern: counter), origin: origin, via: via, recordedAt: at,
                                                                          person: person),
                                              item: item))
                }
                return (.history(rows), rows.last?.id)
            case 2:
                let q = try await conn.query("SELECT site, item, grant_seq, revoked_seq FROM access ORDER BY site, item", logger: logger)
                var rows: [HubAccessRow] = []
                for try await (site, item, grant, revoked) in q.decode((String, String, Int64, Int64?).self) {
                    rows.append(HubAccessRow(site: site, item: item, grantSeq: grant, revokedSeq: revoked))
                }
                return (.access(rows), nil)
            case 3:
                let q = try await conn.query("""
                    SELECT site, push_mark, last_exchange, sent_cursor, max_counter, last_contact_at, last_success_at, last_error, backlog, rejected,
                        clock_offset_ms, client_version, store_id FROM unit_status ORDER BY site
                    """, logger: logger)
                var rows: [HubUnitRow] = []
                let columns = (String, Int64, Int64, Int64, Int64, Int64?, Int64?, String?, Int64, Int64, Int64?, String?, String?).self
                for try await r in q.decode(columns) {
                    rows.append(HubUnitRow(site: r.0, pushMark: r.1, lastExchange: r.2, sentCursor: r.3, maxCounter: r.4, lastContactAt: r.5,
                                           lastSuccessAt: r.6, lastError: r.7, backlog: r.8, rejected: r.9, clockOffsetMs: r.10,
                                           clientVersion: r.11, storeId: r.12))
                }
                return (.units(rows), nil)
            case 4, 5:
                let sql = table == 4 ? "SELECT site, token_hash, created_at FROM unit_token ORDER BY site"
                    : "SELECT name, token_hash, created_at FROM operator_token ORDER BY name"
                var rows: [HubTokenRow] = []
                for try await (holder, hash, at) in try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode((String, String, String).self) {
                    rows.append(HubTokenRow(holder: holder, tokenHash: hash, createdAt: at))
                }
                return (table == 4 ? .unitTokens(rows) : .operatorTokens(rows), nil)
            case 7:
                var rows: [FeedbackLink] = []
                let q = try await conn.query("""
                    SELECT token_hash, item, unit, created_at, expires_at, used_at, revoked_at FROM feedback_link ORDER BY token_hash
                    """, logger: logger)
                for try await (hash, item, unit, created, expires, used, revoked) in q.decode((String, String, String, Int64, Int64, Int64?, Int64?).self) {
                    rows.append(FeedbackLink(tokenHash: hash, item: item, unit: unit, createdAt: created, expiresAt: expires, usedAt: used,
                                             revokedAt: revoked))
                }
                return (.feedbackLinks(rows), nil)
            case 8:
                var rows: [HubReminderRow] = []
                let q = try await conn.query("""
                    SELECT send, state, attempts, next_attempt_at, last_error, updated_at FROM reminder ORDER BY send
                    """, logger: logger)
                for try await (send, state, attempts, next, error, updated) in q.decode((String, String, Int32, Int64?, String?, Int64).self) {
                    rows.append(HubReminderRow(send: send, state: state, attempts: Int64(attempts), nextAttemptAt: next, lastError: error,
                                               updatedAt: updated))
                }
                return (.reminders(rows), nil)
            default:
                var rows: [HubSettingRow] = []
                let q = try await conn.query("SELECT key, value FROM setting WHERE key <> 'hubKeyFile' ORDER BY key", logger: logger)
                for try await (key, value) in q.decode((String, String).self) { rows.append(HubSettingRow(key: key, value: value)) }
                return (.settings(rows), nil)
            }
        }
    }
}
