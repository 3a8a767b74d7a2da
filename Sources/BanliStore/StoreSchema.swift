import BanliCore
import Foundation
import GRDB

/// The versioned schema. Add a new migration for every change; never edit a shipped one.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE site (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    site TEXT NOT NULL,
                    name TEXT NOT NULL,
                    hubSite TEXT NOT NULL,
                    isHub INTEGER NOT NULL,
                    storeId TEXT NOT NULL,
                    clock INTEGER NOT NULL,   -- persisted hybrid logical clock
                    seq INTEGER NOT NULL,     -- last local change sequence number
                    createdAt TEXT NOT NULL
                );
                CREATE TABLE field (
                    entity TEXT NOT NULL,
                    field TEXT NOT NULL,
                    item TEXT,                -- item id, NULL for the unit directory
                    value TEXT NOT NULL,      -- visible value, canonical JSON
                    siblings TEXT NOT NULL,   -- JSON array of {value, site, counter}
                    context TEXT NOT NULL,    -- JSON object site -> counter
                    conflict INTEGER NOT NULL DEFAULT 0,
                    seq INTEGER NOT NULL,     -- change sequence number of the last change
                    echo TEXT,                -- site whose push left exactly this state (not sent back to it)
                    echoExchange INTEGER,     -- that site's exchange number; echoes are suppressed once it confirms it
                    PRIMARY KEY (entity, field)
                ) WITHOUT ROWID;
                CREATE UNIQUE INDEX field_seq ON field(seq);
                CREATE INDEX field_item ON field(item);
                CREATE INDEX field_conflict ON field(conflict) WHERE conflict = 1;
                CREATE TABLE history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    entity TEXT NOT NULL,
                    field TEXT NOT NULL,
                    item TEXT,
                    value TEXT NOT NULL,
                    site TEXT NOT NULL,       -- who wrote it (the dot's site)
                    counter INTEGER NOT NULL, -- the dot's counter
                    origin TEXT NOT NULL CHECK (origin IN ('local', 'received')),
                    via TEXT NOT NULL,        -- where it came from: this site, the hub, or a file
                    recordedAt TEXT NOT NULL
                );
                CREATE INDEX history_item ON history(item, id);
                CREATE TRIGGER history_append_only_update BEFORE UPDATE ON history
                    BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
                CREATE TRIGGER history_append_only_delete BEFORE DELETE ON history
                    BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
                CREATE TABLE setting (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                );
                -- Hub: which units may read which items, and since when (change numbers).
                CREATE TABLE access (
                    site TEXT NOT NULL,
                    item TEXT NOT NULL,
                    grantSeq INTEGER NOT NULL,
                    revokedSeq INTEGER,
                    PRIMARY KEY (site, item)
                ) WITHOUT ROWID;
                CREATE INDEX access_grant ON access(site, grantSeq);
                -- Hub: each unit's sync bookkeeping and health.
                CREATE TABLE unit_status (
                    site TEXT PRIMARY KEY,
                    pushMark INTEGER NOT NULL DEFAULT 0,    -- the unit's local change number the hub holds pushes up to
                    lastExchange INTEGER NOT NULL DEFAULT 0, -- the unit's exchange number seen last (it counts the answers it applied)
                    sentCursor INTEGER NOT NULL DEFAULT 0,  -- the highest cursor the hub has handed the unit
                    maxCounter INTEGER NOT NULL DEFAULT 0,  -- the highest counter of the unit's own writes held
                    lastContactAt INTEGER,                  -- unix ms
                    lastSuccessAt INTEGER,
                    lastError TEXT,
                    backlog INTEGER NOT NULL DEFAULT 0,
                    rejected INTEGER NOT NULL DEFAULT 0,
                    clockOffsetMs INTEGER,
                    clientVersion TEXT,
                    storeId TEXT
                );
                -- Bureau: pushed writes the hub refused, kept visible until superseded.
                CREATE TABLE rejected (
                    entity TEXT NOT NULL,
                    field TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    PRIMARY KEY (entity, field)
                ) WITHOUT ROWID;
                CREATE TABLE operator_token (
                    name TEXT PRIMARY KEY,
                    tokenHash TEXT NOT NULL,
                    createdAt TEXT NOT NULL
                );
                CREATE TABLE unit_token (
                    site TEXT PRIMARY KEY,
                    tokenHash TEXT NOT NULL,  -- SHA-256 of the token, hex; the token itself is never stored
                    createdAt TEXT NOT NULL
                );
                """)
        }
        // v2: a field's siblings and context in the compact binary form (FieldState+StoredForm), the
        // visible value kept once; history without AUTOINCREMENT (it is append-only, ids never reused).
        m.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE field_v2 (
                    entity TEXT NOT NULL,
                    field TEXT NOT NULL,
                    item TEXT,                -- item id, NULL for the unit directory
                    value TEXT NOT NULL,      -- visible value, canonical JSON
                    state BLOB NOT NULL,      -- siblings and context, FieldState's stored form
                    conflict INTEGER NOT NULL DEFAULT 0,
                    seq INTEGER NOT NULL,     -- change sequence number of the last change
                    echo TEXT,                -- site whose push left exactly this state (not sent back to it)
                    echoExchange INTEGER,     -- that site's exchange number; echoes are suppressed once it confirms it
                    PRIMARY KEY (entity, field)
                ) WITHOUT ROWID
                """)
            let insert = try db.makeStatement(sql: "INSERT INTO field_v2 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            let rows = try Row.fetchCursor(db, sql: "SELECT entity, field, item, value, siblings, context, conflict, seq, echo, echoExchange FROM field")
            while let row = try rows.next() {
                let value: String = row["value"]
                let state = try StoreSchema.decodeV1State(siblings: row["siblings"], context: row["context"])
                let visible = state.siblings.firstIndex { $0.value.canonicalJSON == value }
                try insert.execute(arguments: [
                    row["entity"], row["field"], row["item"], value, Data(state.storedForm(visibleIndex: visible)),
                    row["conflict"], row["seq"], row["echo"], row["echoExchange"],
                ])
            }
            try db.execute(sql: """
                DROP TABLE field;
                ALTER TABLE field_v2 RENAME TO field;
                CREATE UNIQUE INDEX field_seq ON field(seq);
                CREATE INDEX field_item ON field(item, seq);
                CREATE INDEX field_conflict ON field(conflict) WHERE conflict = 1;
                CREATE TABLE history_v2 (
                    id INTEGER PRIMARY KEY,
                    entity TEXT NOT NULL,
                    field TEXT NOT NULL,
                    item TEXT,
                    value TEXT NOT NULL,
                    site TEXT NOT NULL,       -- who wrote it (the dot's site)
                    counter INTEGER NOT NULL, -- the dot's counter
                    origin TEXT NOT NULL CHECK (origin IN ('local', 'received')),
                    via TEXT NOT NULL,        -- where it came from: this site, the hub, or a file
                    recordedAt TEXT NOT NULL
                );
                INSERT INTO history_v2 SELECT * FROM history ORDER BY id;
                DROP TABLE history;
                ALTER TABLE history_v2 RENAME TO history;
                CREATE INDEX history_item ON history(item, id);
                CREATE TRIGGER history_append_only_update BEFORE UPDATE ON history
                    BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
                CREATE TRIGGER history_append_only_delete BEFORE DELETE ON history
                    BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
                """)
        }
        // v3: field rows stored in change order (seq is the rowid), found by key through an index. Sync
        // reads rows by change number, which used to cost a key lookup per row through field_seq.
        m.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE field_v3 (
                    seq INTEGER PRIMARY KEY,  -- change sequence number of the last change
                    entity TEXT NOT NULL,
                    field TEXT NOT NULL,
                    item TEXT,                -- item id, NULL for the unit directory
                    value TEXT NOT NULL,      -- visible value, canonical JSON
                    state BLOB NOT NULL,      -- siblings and context, FieldState's stored form
                    conflict INTEGER NOT NULL DEFAULT 0,
                    echo TEXT,                -- site whose push left exactly this state (not sent back to it)
                    echoExchange INTEGER      -- that site's exchange number; echoes are suppressed once it confirms it
                );
                INSERT INTO field_v3 (seq, entity, field, item, value, state, conflict, echo, echoExchange)
                    SELECT seq, entity, field, item, value, state, conflict, echo, echoExchange FROM field ORDER BY seq;
                DROP TABLE field;
                ALTER TABLE field_v3 RENAME TO field;
                CREATE UNIQUE INDEX field_key ON field(entity, field);
                CREATE INDEX field_item ON field(item);
                CREATE INDEX field_conflict ON field(conflict) WHERE conflict = 1;
                """)
        }
        // v4: every state carries a checksum of itself and its value (FieldState's checked form), checked on
        // every read: SQLite's integrity_check finds broken pages, not a flipped bit inside a value.
        m.registerMigration("v4") { db in
            let update = try db.makeStatement(sql: "UPDATE field SET state = ? WHERE seq = ?")
            var last = Int64.min
            while true {
                // In chunks by seq, so the rows read are never the rows being updated.
                let rows = try Row.fetchAll(db, sql: "SELECT seq, value, state FROM field WHERE seq > ? ORDER BY seq LIMIT 10000", arguments: [last])
                guard let end = rows.last else { break }
                for row in rows {
                    guard let value = String.fromDatabaseValue(row[1]), let state = Data.fromDatabaseValue(row[2]) else { continue }
                    let checked = FieldState.checked(Array(state), valueJSON: value)
                    try update.execute(arguments: [Data(checked), row[0] as Int64])
                }
                last = end[0]
            }
        }
        // v5: the person who made a web write here (an account's display name), on its history rows; NULL for the
        // CLI's writes, received rows and every older row. ADD COLUMN rewrites no row and keeps the append-only triggers.
        m.registerMigration("v5") { db in
            try db.execute(sql: "ALTER TABLE history ADD COLUMN person TEXT")
        }
        // v6 (issue 18): the one-time links through which deputies answer the 征询意见 (hub only). The token's SHA-256,
        // never the token; a link is used once (`usedAt`), and expires or is revoked.
        m.registerMigration("v6") { db in
            try db.execute(sql: """
                CREATE TABLE feedback_link (
                    tokenHash TEXT PRIMARY KEY,
                    item TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    createdAt INTEGER NOT NULL,   -- unix ms
                    expiresAt INTEGER NOT NULL,
                    usedAt INTEGER,
                    revokedAt INTEGER
                ) WITHOUT ROWID;
                CREATE INDEX feedback_link_item ON feedback_link(item, unit);
                """)
        }
        // v7: deadline reminders (督办提醒) sent or being sent, one row per (reminder key, recipient), so that a restart
        // or a second hub process never sends one twice. Not replicated: each store reminds its own recipients.
        m.registerMigration("v7") { db in
            try db.execute(sql: """
                CREATE TABLE reminder (
                    send TEXT PRIMARY KEY,          -- ReminderKey + ' ' + recipient
                    state TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'failed')),
                    attempts INTEGER NOT NULL,
                    nextAttemptAt INTEGER,          -- Unix ms, for a failed send
                    lastError TEXT,
                    updatedAt INTEGER NOT NULL      -- Unix ms
                ) WITHOUT ROWID;
                CREATE INDEX reminder_failed ON reminder(updatedAt) WHERE state = 'failed';
                """)
        }
        return m
    }

    /// Decodes a v1 state (JSON siblings and context), for the v2 migration only.
    static func decodeV1State(siblings: String, context: String) throws -> FieldState {
        guard case .array(let rawSiblings) = try JSONValue.parse(siblings),
              case .object(let rawContext) = try JSONValue.parse(context) else {
            throw FieldState.damagedStoredForm
        }
        var vv: [String: UInt64] = [:]
        for (site, c) in rawContext {
            vv[site] = UInt64(c.intValue ?? 0)
        }
        let sibs: [Sibling] = rawSiblings.compactMap { raw in
            guard case .object(let o) = raw, let site = o["site"]?.stringValue, let c = o["counter"]?.intValue else { return nil }
            return Sibling(value: o["value"] ?? .null, site: site, counter: UInt64(c), sig: o["sig"]?.stringValue)
        }
        return FieldState(siblings: sibs, context: VersionVector(vv))
    }
}
