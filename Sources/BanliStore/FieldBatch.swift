import BanliCore
import Foundation
import GRDB
import GRDBSQLite

/// The field and history rows of one transaction: read ahead in a few statements, kept here while
/// the transaction joins and writes, and written in multi-row statements by `flush`.
///
/// Per-statement overhead, not SQLite's b-tree work, dominated applying a batch one row at a time.
/// Anything that reads `field` with SQL inside the same transaction must come after `flush`.
struct FieldBatch {
    /// States known in this transaction, by `key`: read from the store or written here.
    private var states: [FieldKey: FieldState] = [:]
    /// Entities whose every stored field was read: a field of theirs not in `states` is absent.
    private var readEntities: Set<String> = []
    /// Field rows to write, one per key (the last write wins), in first-write order.
    private var rows: [FieldRow] = []
    private var rowIndex: [FieldKey: Int] = [:]
    private var history: [HistoryRow] = []

    struct FieldRow {
        var entity: String, field: String, item: String?, value: String, state: [UInt8], conflict: Bool, seq: Int64
        var echo: String?, echoExchange: Int64?
    }

    struct HistoryRow {
        var entity: String, field: String, item: String?, value: String, site: String, counter: UInt64, origin: String, via: String, at: String
        var person: String?
    }

    static let rowsPerStatement = 100

    /// The key of one field in `states` and `rowIndex`.
    static func key(_ entity: String, _ field: String) -> FieldKey { FieldKey(entity: entity, field: field) }

    /// The last entity key's text: one state is loaded, saved and recorded under the same entity.
    private var lastEntity: (key: EntityKey, name: String)?

    mutating func name(_ entity: EntityKey) -> String {
        if let last = lastEntity, last.key == entity { return last.name }
        let name = entity.description
        lastEntity = (entity, name)
        return name
    }

    /// Reads the stored states of the entities of `fields` in a few statements.
    mutating func prefetch(_ db: Database, _ fields: [(entity: EntityKey, field: String)]) throws {
        var entities: [String] = []
        for (entity, _) in fields {
            let name = entity.description
            if readEntities.insert(name).inserted { entities.append(name) }
        }
        for start in stride(from: 0, to: entities.count, by: 500) {
            let chunk = Array(entities[start..<min(entities.count, start + 500)])
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT entity, field, value, state FROM field WHERE entity IN (\(marks))"),
                                           arguments: StatementArguments(chunk))
            while let row = try rows.next() {
                let entity: String = row[0], field: String = row[1]
                states[Self.key(entity, field)] = try Store.decodeState(row, value: 2, state: 3, entity: entity, field: field)
            }
        }
    }

    /// The state of one field in this transaction, nil when it was never written or received.
    mutating func load(_ db: Database, entity: EntityKey, spec: FieldSpec) throws -> ReplicatedField? {
        let name = name(entity)
        if let known = states[Self.key(name, spec.name)] {
            return ReplicatedField(entity: entity, spec: spec, state: known)
        }
        if readEntities.contains(name) { return nil }
        return try Store.loadField(db, entity: entity, spec: spec)
    }

    /// Records a field row to write. Returns the visible sibling's dot and value JSON, so its history row need not encode it again.
    @discardableResult
    mutating func save(_ f: ReplicatedField, hubSite: String, seq: Int64, echo: String?, echoExchange: Int64?) -> (dot: Dot, json: String)? {
        let name = name(f.entity)
        let key = Self.key(name, f.field)
        states[key] = f.state
        let visible = f.visibleIndex(hubSite: hubSite)
        let value = visible.map { f.state.siblings[$0].value.canonicalJSON } ?? "null"
        let row = FieldRow(
            entity: name, field: f.field, item: f.entity.itemId, value: value,
            state: f.state.checkedStoredForm(visibleIndex: visible, valueJSON: value), conflict: f.state.isConflict, seq: seq,
            echo: echo, echoExchange: echo == nil ? nil : echoExchange)
        if let i = rowIndex[key] {
            rows[i] = row
        } else {
            rowIndex[key] = rows.count
            rows.append(row)
        }
        return visible.map { (f.state.siblings[$0].dot, row.value) }
    }

    /// Records one history row; `person` only for a local write made by a named person.
    mutating func appendHistory(
        entity: EntityKey, field: String, sibling: Sibling, valueJSON: String? = nil, origin: String, via: String, at: String, person: String? = nil
    ) {
        history.append(HistoryRow(
            entity: name(entity), field: field, item: entity.itemId, value: valueJSON ?? sibling.value.canonicalJSON,
            site: sibling.site, counter: sibling.counter, origin: origin, via: via, at: at, person: person))
    }

    /// Writes the recorded rows. The batch stays usable: what it read and wrote is still known.
    mutating func flush(_ db: Database) throws {
        try Self.insert(db, rows, width: 9, sql: { tuples in """
            INSERT INTO field (entity, field, item, value, state, conflict, seq, echo, echoExchange) VALUES \(tuples)
            ON CONFLICT (entity, field) DO UPDATE SET
                value = excluded.value, state = excluded.state,
                conflict = excluded.conflict, seq = excluded.seq, echo = excluded.echo, echoExchange = excluded.echoExchange
            """ }) { b, r in
            b.text(r.entity); b.text(r.field); b.text(r.item); b.text(r.value); b.blob(r.state)
            b.int(r.conflict ? 1 : 0); b.int(r.seq); b.text(r.echo); b.int(r.echoExchange)
        }
        try Self.insert(db, history, width: 10, sql: { tuples in
            "INSERT INTO history (entity, field, item, value, site, counter, origin, via, recordedAt, person) VALUES \(tuples)"
        }) { b, r in
            b.text(r.entity); b.text(r.field); b.text(r.item); b.text(r.value); b.text(r.site)
            b.int(Int64(bitPattern: r.counter)); b.text(r.origin); b.text(r.via); b.text(r.at); b.text(r.person)
        }
        rows.removeAll(keepingCapacity: true)
        rowIndex.removeAll(keepingCapacity: true)
        history.removeAll(keepingCapacity: true)
    }

    /// Multi-row inserts, bound straight to SQLite: GRDB's generic argument arrays cost more than the inserts.
    private static func insert<Row>(_ db: Database, _ rows: [Row], width: Int, sql: (String) -> String, bind: (inout Binder, Row) -> Void) throws {
        guard !rows.isEmpty else { return }
        let tuple = "(" + Array(repeating: "?", count: width).joined(separator: ",") + ")"
        for start in stride(from: 0, to: rows.count, by: rowsPerStatement) {
            let chunk = rows[start..<min(rows.count, start + rowsPerStatement)]
            // Only the full-size statement is worth caching; a remainder's size varies.
            let text = sql(Array(repeating: tuple, count: chunk.count).joined(separator: ","))
            let statement = try chunk.count == rowsPerStatement ? db.cachedStatement(sql: text) : db.makeStatement(sql: text)
            statement.setUncheckedArguments(StatementArguments())
            var binder = Binder(statement: statement.sqliteStatement)
            for row in chunk { bind(&binder, row) }
            try statement.execute()
        }
    }

    /// Binds parameters in order; SQLite copies each value.
    struct Binder {
        let statement: OpaquePointer
        var index: Int32 = 0
        static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        mutating func text(_ s: String?) {
            index += 1
            guard var s else { sqlite3_bind_null(statement, index); return }
            guard !s.isEmpty else { sqlite3_bind_text(statement, index, "", 0, Self.transient); return }
            s.withUTF8 { u in
                _ = u.withMemoryRebound(to: CChar.self) { sqlite3_bind_text(statement, index, $0.baseAddress, Int32(u.count), Self.transient) }
            }
        }

        mutating func blob(_ b: [UInt8]) {
            index += 1
            b.withUnsafeBytes { _ = sqlite3_bind_blob(statement, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), Self.transient) }
        }

        mutating func int(_ i: Int64?) {
            index += 1
            if let i { sqlite3_bind_int64(statement, index, i) } else { sqlite3_bind_null(statement, index) }
        }
    }
}
