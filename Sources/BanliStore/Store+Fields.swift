import BanliCore
import GRDB

/// Reading and writing `field` rows.
extension Store {
    /// Loads one field's state, or nil if it was never written or received.
    static func loadField(_ db: Database, entity: EntityKey, spec: FieldSpec) throws -> ReplicatedField? {
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT siblings, context FROM field WHERE entity = ? AND field = ?"),
            arguments: [entity.description, spec.name])
        guard let row else { return nil }
        return ReplicatedField(entity: entity, spec: spec, state: try decodeState(siblings: row[0], context: row[1]))
    }

    /// Inserts or replaces a field row with change number `seq`; `echo` names the site whose exchange
    /// left exactly this state, so it is not sent back there.
    func saveField(_ db: Database, _ f: ReplicatedField, seq: Int64, echo: String? = nil, echoExchange: Int64? = nil) throws {
        let hubSite = info.hubSite
        var siblings = ""
        f.state.writeSiblings(to: &siblings)
        var context = ""
        f.state.context.write(to: &context)
        try db.cachedStatement(sql: """
            INSERT INTO field (entity, field, item, value, siblings, context, conflict, seq, echo, echoExchange)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (entity, field) DO UPDATE SET
                value = excluded.value, siblings = excluded.siblings, context = excluded.context,
                conflict = excluded.conflict, seq = excluded.seq, echo = excluded.echo, echoExchange = excluded.echoExchange
            """).execute(arguments: [
                f.entity.description, f.spec.name, f.entity.itemId, f.visibleValue(hubSite: hubSite).canonicalJSON,
                siblings, context, f.state.isConflict, seq, echo, echo == nil ? nil : echoExchange,
            ])
        if info.isHub, case .assignment(let item, let site) = f.entity {
            try updateAccess(db, item: item, site: site, field: f, seq: seq)
        }
    }

    /// Hub: an assignment row grants its unit access to the item; `active=false` revokes it, `true` restores it.
    func updateAccess(_ db: Database, item: String, site: String, field f: ReplicatedField, seq: Int64) throws {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO access (site, item, grantSeq) VALUES (?, ?, ?)")
            .execute(arguments: [site, item, seq])
        guard f.field == "active" else { return }
        if f.visibleValue(hubSite: info.hubSite) == .bool(false) {
            try db.cachedStatement(sql: "UPDATE access SET revokedSeq = ? WHERE site = ? AND item = ? AND revokedSeq IS NULL")
                .execute(arguments: [seq, site, item])
        } else {
            try db.cachedStatement(sql: "UPDATE access SET grantSeq = ?, revokedSeq = NULL WHERE site = ? AND item = ? AND revokedSeq IS NOT NULL")
                .execute(arguments: [seq, site, item])
        }
    }

    /// Appends one history row.
    static func appendHistory(_ db: Database, entity: EntityKey, field: String, sibling: Sibling, origin: String, via: String, at: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO history (entity, field, item, value, site, counter, origin, via, recordedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                entity.description, field, entity.itemId, sibling.value.canonicalJSON, sibling.site,
                Int64(bitPattern: sibling.counter), origin, via, at,
            ])
    }

    /// Decodes the stored JSON of a field state.
    static func decodeState(siblings: String, context: String) throws -> FieldState {
        guard case .array(let rawSiblings) = try JSONValue.parse(siblings),
              case .object(let rawContext) = try JSONValue.parse(context) else {
            throw BanliError(.io, "A stored field state is damaged; restore the store from a backup.")
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

    /// Decodes rows of (entity, field, siblings, context) into replicated fields, skipping unknown fields.
    static func decodeFields(_ rows: [Row]) throws -> [ReplicatedField] {
        var out: [ReplicatedField] = []
        out.reserveCapacity(rows.count)
        for row in rows {
            let entityText: String = row[0], fieldName: String = row[1]
            guard let entity = try? EntityKey(parsing: entityText),
                  let spec = FieldCatalogue.spec(entity.kind, fieldName) else { continue }
            out.append(ReplicatedField(entity: entity, spec: spec, state: try decodeState(siblings: row[2], context: row[3])))
        }
        return out
    }

    /// The persisted clock and change sequence number.
    static func loadCounters(_ db: Database) throws -> (clock: HybridLogicalClock, seq: Int64) {
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT clock, seq FROM site WHERE id = 1"))!
        let clock: Int64 = row[0]
        return (HybridLogicalClock(latest: UInt64(bitPattern: clock)), row[1])
    }

    /// Persists the clock and change sequence number.
    static func saveCounters(_ db: Database, clock: HybridLogicalClock, seq: Int64) throws {
        try db.cachedStatement(sql: "UPDATE site SET clock = ?, seq = ? WHERE id = 1")
            .execute(arguments: [Int64(bitPattern: clock.latest), seq])
    }
}
