import BanliCore
import BanliHubStorage
import BanliOffice
import Foundation
import GRDB

extension Store {
    /// Every field state, sorted by (entity, field).
    public func allFields() throws -> [ReplicatedField] {
        try reading { db in
            try Store.decodeFields(Row.fetchAll(db, sql: "SELECT entity, field, value, state FROM field ORDER BY entity, field"))
        }
    }

    /// Every field of one item's entities (item, assignments, contacts, feedback), sorted.
    public func fields(ofItem id: String) throws -> [ReplicatedField] {
        try reading { db in
            try Store.decodeFields(Row.fetchAll(
                db, sql: "SELECT entity, field, value, state FROM field WHERE item = ? ORDER BY entity, field",
                arguments: [id]))
        }
    }

    /// The unit directory's fields.
    public func directoryFields() throws -> [ReplicatedField] {
        try reading { db in
            try Store.decodeFields(Row.fetchAll(
                db, sql: "SELECT entity, field, value, state FROM field WHERE item IS NULL ORDER BY entity, field"))
        }
    }

    /// Fields with two or more concurrent values, sorted.
    public func conflicts() throws -> [ReplicatedField] {
        try reading { db in
            try Store.decodeFields(Row.fetchAll(
                db, sql: "SELECT entity, field, value, state FROM field WHERE conflict = 1 ORDER BY entity, field"))
        }
    }

    /// One field's state, or nil.
    public func field(_ entity: EntityKey, _ name: String) throws -> ReplicatedField? {
        let spec = try FieldCatalogue.require(entity.kind, name)
        return try reading { db in try Store.loadField(db, entity: entity, spec: spec) }
    }

    /// The ids of every item this store holds, sorted.
    public func itemIds() throws -> [String] {
        try reading { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT item FROM field WHERE item IS NOT NULL ORDER BY item")
        }
    }

    /// The last change sequence number and the clock.
    public func counters() throws -> (clock: UInt64, seq: Int64) {
        try reading { db in
            let c = try Store.loadCounters(db)
            return (c.clock.latest, c.seq)
        }
    }

    /// Calls `body` with each item's view in id order, holding one item's fields at a time, so a
    /// hub with a hundred thousand items reports without loading them all.
    public func forEachItem(_ body: (ItemView) throws -> Void) throws {
        try forEachItemFields { id, fields in try body(ItemView(id: id, fields: fields, hubSite: info.hubSite)) }
    }

    /// Calls `body` with each item's id and fields (sorted by entity and field) in id order, one item at a time.
    func forEachItemFields(_ body: (String, [ReplicatedField]) throws -> Void) throws {
        try reading { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT entity, field, value, state, item FROM field WHERE item IS NOT NULL ORDER BY item")
            var current: String?
            var fields: [ReplicatedField] = []
            func flush() throws {
                guard let id = current else { return }
                fields.sort { ($0.entity, $0.field) < ($1.entity, $1.field) }
                try body(id, fields)
                fields.removeAll(keepingCapacity: true)
            }
            while let row = try rows.next() {
                let item: String = row[4]
                if item != current {
                    try flush()
                    current = item
                }
                if let field = try Store.decodeField(row) { fields.append(field) }
            }
            try flush()
        }
    }

    /// The history rows of one item, oldest first.
    public func history(ofItem id: String) throws -> [HistoryEntry] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM history WHERE item = ? ORDER BY id", arguments: [id]).map { row in
                let counter: Int64 = row["counter"]
                return HistoryEntry(
                    entity: row["entity"], field: row["field"], value: row["value"], site: row["site"],
                    counter: UInt64(bitPattern: counter), origin: row["origin"], via: row["via"], recordedAt: row["recordedAt"], person: row["person"])
            }
        }
    }
}

extension Store {
    /// A stored setting (hub URL, sync cursors…), or nil.
    public func setting(_ key: String) throws -> String? {
        try reading { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key]) }
    }

    /// Stores a setting.
    public func setSetting(_ key: String, _ value: String?) throws {
        try transaction { db in
            if let value {
                try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", arguments: [key, value])
            } else {
                try db.execute(sql: "DELETE FROM setting WHERE key = ?", arguments: [key])
            }
        }
    }
}

extension Store {
    /// Runs raw SQL in a write transaction. For tests that prove the store's own guards hold.
    public func debugExecute(_ sql: String) throws {
        try pool.write { db in try db.execute(sql: sql) }
    }

    /// The first column of the first row of a query, as text. For tests.
    public func debugQuery(_ sql: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: sql) }
    }
}

extension Store {
    /// Copies the whole store to `destination` with SQLite's online backup: consistent while
    /// the daemon or the hub keeps writing. Refuses to overwrite a file.
    public func backup(to destination: String) throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw BanliError(.usage, "\(destination) already exists; choose a new file name so no backup is overwritten.")
        }
        try Store.createPrivateFile(destination)
        do {
            let target = try DatabaseQueue(path: destination)
            try pool.backup(to: target)
            try target.close()
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw Store.describe(error, path: destination)
        }
    }
}

extension Store {
    /// Pages in the database file (for tests that cap its growth).
    public func pageCount() throws -> Int {
        try reading { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
    }
}

extension Store {
    /// Bytes of causal metadata (the stored form of siblings and contexts, values other than the visible one included) and of visible values, over every field.
    public func metadataBytes() throws -> (metadata: Int, values: Int) {
        try reading { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT SUM(LENGTH(state)), SUM(LENGTH(CAST(value AS BLOB))) FROM field
                """)!
            return ((row[0] as Int?) ?? 0, (row[1] as Int?) ?? 0)
        }
    }
}
