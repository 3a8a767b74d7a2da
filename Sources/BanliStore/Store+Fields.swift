import BanliCore
import BanliProtocol
import Foundation
import GRDB

/// Reading and writing `field` rows.
extension Store {
    /// Loads one field's state, or nil if it was never written or received.
    static func loadField(_ db: Database, entity: EntityKey, spec: FieldSpec) throws -> ReplicatedField? {
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT value, state FROM field WHERE entity = ? AND field = ?"),
            arguments: [entity.description, spec.name])
        guard let row else { return nil }
        return ReplicatedField(entity: entity, spec: spec, state: try decodeState(row, value: 0, state: 1, entity: entity.description, field: spec.name))
    }

    /// Records a field row with change number `seq` in `batch`; `echo` names the site whose exchange
    /// left exactly this state, so it is not sent back there. The hub updates access at once, so later
    /// states in the same transaction see it.
    @discardableResult
    func saveField(
        _ db: Database, _ f: ReplicatedField, seq: Int64, echo: String? = nil, echoExchange: Int64? = nil, batch: inout FieldBatch
    ) throws -> (dot: Dot, json: String)? {
        let visible = batch.save(f, hubSite: info.hubSite, seq: seq, echo: echo, echoExchange: echoExchange)
        // Access comes only from the office's own writes on the assignment, never from a unit's fields.
        if info.isHub, case .assignment(let item, let site) = f.entity, f.spec.author == .hub, f.state.siblings.contains(where: { $0.site == info.hubSite }) {
            try updateAccess(db, item: item, site: site, field: f, seq: seq)
        }
        return visible
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

    /// Decodes a stored field state from a row's value (canonical JSON) and state (stored form) columns,
    /// checking the state's checksum; `entity` and `field` name the row in the error if it cannot be read.
    static func decodeState(_ row: Row, value: Int, state: Int, entity: String, field: String) throws -> FieldState {
        do {
            // Converted without GRDB's subscript, which stops the process on a value of the wrong type.
            guard let data = Data.fromDatabaseValue(row[state]), let json = String.fromDatabaseValue(row[value]) else {
                throw FieldState.damagedStoredForm
            }
            return try data.withUnsafeBytes { bytes in
                try FieldState(storedForm: bytes, valueJSON: json) { try JSONValue.parse(json) }
            }
        } catch {
            throw unreadable(entity: entity, field: field, error)
        }
    }

    /// The error for a stored state that fails its checksum or does not decode: which row, and how to recover.
    static func unreadable(entity: String, field: String, _ error: any Error) -> BanliError {
        let why = (error as? BanliError) == FieldState.checksumMismatch ? "its checksum does not match, so the disk or a tool changed it"
            : "it does not decode: " + ((error as? BanliError)?.message ?? "\(error)")
        return BanliError(.io, "The stored state of \(TerminalText.escaped(entity)) field \(TerminalText.escaped(field)) is damaged (\(why)); "
            + "restore the store from a copy made by 'banli backup', then run 'banli sync' (at the hub, let the bureaus sync) to get back later changes.")
    }

    /// Decodes rows of (entity, field, value, state) into replicated fields, skipping unknown fields.
    static func decodeFields(_ rows: [Row]) throws -> [ReplicatedField] {
        try rows.compactMap(decodeField)
    }

    /// Decodes one row of (entity, field, value, state); nil for a field this release does not know.
    static func decodeField(_ row: Row) throws -> ReplicatedField? {
        guard let entity = try? EntityKey(parsing: row[0] as String), let spec = FieldCatalogue.spec(entity.kind, row[1] as String) else { return nil }
        return ReplicatedField(entity: entity, spec: spec, state: try decodeState(row, value: 2, state: 3, entity: row[0], field: row[1]))
    }

    /// Up to `limit` rows of (entity, field, value, state, seq) as stored rows, their stored forms read
    /// (checksum verified) without decoding values or copying the bytes; unknown fields are skipped, as in
    /// `decodeFields`. Also the last row's seq, and whether more rows followed.
    static func storedRows(_ rows: RowCursor, limit: Int) throws -> (rows: [StoredFieldRow], lastSeq: Int64?, more: Bool) {
        var out: [StoredFieldRow] = []
        var lastSeq: Int64?
        var taken = 0
        while let row = try rows.next() {
            if taken == limit { return (out, lastSeq, true) }
            taken += 1
            lastSeq = row[4]
            let entity: String = row[0], field: String = row[1]
            // Rows were validated on the way in; only a field this release does not know is skipped.
            let kind = entity.utf8.firstIndex(of: 0x2F).flatMap { EntityKind(rawValue: String(entity[..<$0])) }
            guard let kind, FieldCatalogue.spec(kind, field) != nil else { continue }
            let value: String = row[2]
            do {
                let state = try row.withUnsafeData(atIndex: 3) { data in
                    guard let data else { throw FieldState.damagedStoredForm }
                    return try data.withUnsafeBytes { try StoredFormEntries(storedForm: $0, valueJSON: value) }
                }
                out.append(StoredFieldRow(entity: entity, field: field, valueJSON: value, state: state))
            } catch {
                throw unreadable(entity: entity, field: field, error)
            }
        }
        return (out, lastSeq, false)
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
