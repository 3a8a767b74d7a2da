import BanliCore
import Logging
import NIOCore
import PostgresNIO

/// The field states one transaction reads and writes: read ahead by entity in one statement, kept here while the
/// transaction joins, and written at once (so the hub's access rows, and later states in the same transaction, see them).
/// Used only after the counters row is locked, so what it reads is the newest committed state.
struct StoredFields {
    let hubSite: String
    let logger: Logger
    /// States known in this transaction: read from the database or written here.
    private var states: [FieldKey: FieldState] = [:]
    /// Entities whose every stored field was read: a field of theirs not in `states` is absent.
    private var readEntities: Set<String> = []

    init(hubSite: String, logger: Logger) {
        self.hubSite = hubSite
        self.logger = logger
    }

    /// Reads the stored states of `entities` in one statement.
    mutating func prefetch(_ conn: PostgresConnection, _ entities: [EntityKey]) async throws {
        var names: [String] = []
        for e in entities {
            let name = e.description
            if readEntities.insert(name).inserted { names.append(name) }
        }
        guard !names.isEmpty else { return }
        let rows = try await conn.query("SELECT entity, field, value, state FROM field WHERE entity = ANY(\(names))", logger: logger)
        for try await (entity, field, value, bytes) in rows.decode((String, String, String, ByteBuffer).self) {
            states[FieldKey(entity: entity, field: field)] = try PostgresHubStorage.decodeState(bytes, value: value, entity: entity, field: field)
        }
    }

    /// The state of one field in this transaction, nil when it was never written or received.
    mutating func load(_ conn: PostgresConnection, entity: EntityKey, spec: FieldSpec) async throws -> ReplicatedField? {
        let name = entity.description
        if let known = states[FieldKey(entity: name, field: spec.name)] { return ReplicatedField(entity: entity, spec: spec, state: known) }
        if readEntities.contains(name) { return nil }
        try await prefetch(conn, [entity])
        return states[FieldKey(entity: name, field: spec.name)].map { ReplicatedField(entity: entity, spec: spec, state: $0) }
    }

    /// Joins one state a unit pushed; true when it changed the hub. When the result is exactly what the unit sent,
    /// the row is marked as its echo (not sent back to it). History rows record every new dot.
    mutating func joinReceived(
        _ conn: PostgresConnection, _ f: ReplicatedField, via unit: String, echoExchange: Int64, at: String, seq: inout Int64
    ) async throws -> Bool {
        let local = try await load(conn, entity: f.entity, spec: f.spec) ?? ReplicatedField(entity: f.entity, spec: f.spec, state: FieldState())
        var merged = local
        merged.state.join(f.state)
        guard merged.state != local.state else { return false }
        seq += 1
        let visible = try await save(conn, merged, seq: seq, echo: merged.state == f.state ? unit : nil, echoExchange: echoExchange)
        for s in merged.state.siblings where !local.state.siblings.contains(where: { $0.counter == s.counter && $0.site == s.site }) {
            try await appendHistory(conn, entity: f.entity, field: f.field, sibling: s, valueJSON: visible?.dot == s.dot ? visible?.json : nil,
                                    origin: "received", via: unit, at: at)
        }
        return true
    }

    /// Writes a field row with change number `seq`; returns the visible sibling's dot and value JSON. An office write
    /// on an assignment grants its unit access to the item (`active = false` revokes it, `true` restores it).
    @discardableResult
    mutating func save(
        _ conn: PostgresConnection, _ f: ReplicatedField, seq: Int64, echo: String? = nil, echoExchange: Int64? = nil
    ) async throws -> (dot: Dot, json: String)? {
        let name = f.entity.description
        states[FieldKey(entity: name, field: f.field)] = f.state
        let visible = f.visibleIndex(hubSite: hubSite)
        let value = visible.map { f.state.siblings[$0].value.canonicalJSON } ?? "null"
        let state = ByteBuffer(bytes: f.state.checkedStoredForm(visibleIndex: visible, valueJSON: value))
        let item = f.entity.itemId, conflict = f.state.isConflict, echoAt = echo == nil ? nil : echoExchange
        try await conn.query("""
            INSERT INTO field (entity, field, item, value, state, conflict, seq, echo, echo_exchange)
            VALUES (\(name), \(f.field), \(item), \(value), \(state), \(conflict), \(seq), \(echo), \(echoAt))
            ON CONFLICT (entity, field) DO UPDATE SET value = EXCLUDED.value, state = EXCLUDED.state, conflict = EXCLUDED.conflict,
                seq = EXCLUDED.seq, echo = EXCLUDED.echo, echo_exchange = EXCLUDED.echo_exchange
            """, logger: logger)
        // Access comes only from the office's own writes on the assignment, never from a unit's fields.
        if case .assignment(let item, let site) = f.entity, f.spec.author == .hub, f.state.siblings.contains(where: { $0.site == hubSite }) {
            try await updateAccess(conn, item: item, site: site, field: f, seq: seq)
        }
        return visible.map { (f.state.siblings[$0].dot, value) }
    }

    func updateAccess(_ conn: PostgresConnection, item: String, site: String, field f: ReplicatedField, seq: Int64) async throws {
        try await conn.query("""
            INSERT INTO access (site, item, grant_seq) VALUES (\(site), \(item), \(seq)) ON CONFLICT (site, item) DO NOTHING
            """, logger: logger)
        guard f.field == "active" else { return }
        if f.visibleValue(hubSite: hubSite) == .bool(false) {
            try await conn.query("""
                UPDATE access SET revoked_seq = \(seq) WHERE site = \(site) AND item = \(item) AND revoked_seq IS NULL
                """, logger: logger)
        } else {
            try await conn.query("""
                UPDATE access SET grant_seq = \(seq), revoked_seq = NULL WHERE site = \(site) AND item = \(item) AND revoked_seq IS NOT NULL
                """, logger: logger)
        }
    }

    /// Appends one history row; `person` only for an office write made by a named person.
    func appendHistory(
        _ conn: PostgresConnection, entity: EntityKey, field: String, sibling: Sibling, valueJSON: String?, origin: String, via: String, at: String,
        person: String? = nil
    ) async throws {
        let value = valueJSON ?? sibling.value.canonicalJSON, counter = Int64(bitPattern: sibling.counter)
        try await conn.query("""
            INSERT INTO history (entity, field, item, value, site, counter, origin, via, recorded_at, person)
            VALUES (\(entity.description), \(field), \(entity.itemId), \(value), \(sibling.site), \(counter), \(origin), \(via), \(at), \(person))
            """, logger: logger)
    }
}
