import BanliCore
import GRDB

/// What joining a batch of received states did.
public struct ApplyOutcome: Sendable, Hashable {
    /// States received.
    public var received = 0
    /// States that changed the store.
    public var changed = 0
    /// Fields that became (or stayed, with new values) conflicts because of this batch.
    public var newConflicts: [ReplicatedField] = []
}

extension Store {
    /// Joins received states into the store in one transaction; history rows record every new dot.
    ///
    /// A counter more than 5 minutes ahead of the wall clock fails the whole batch, so one bad
    /// clock cannot drag this store's clock into the future.
    public func apply(_ fields: [ReplicatedField], via: String, nowMilliseconds: UInt64 = HybridLogicalClock.wallMilliseconds()) throws -> ApplyOutcome {
        try Store.checkSkew(fields, nowMilliseconds: nowMilliseconds)
        let at = Store.timestamp()
        return try transaction { db in
            var (clock, seq) = try Store.loadCounters(db)
            var outcome = ApplyOutcome()
            var batch = FieldBatch()
            try batch.prefetch(db, fields.map { ($0.entity, $0.field) })
            for f in fields {
                try joinReceived(db, f, via: via, echo: nil, at: at, clock: &clock, seq: &seq, outcome: &outcome, batch: &batch)
            }
            try batch.flush(db)
            try Store.saveCounters(db, clock: clock, seq: seq)
            return outcome
        }
    }

    static func checkSkew(_ fields: [ReplicatedField], nowMilliseconds: UInt64) throws {
        for f in fields where HybridLogicalClock.isTooFarAhead(f.maxCounter, nowMilliseconds: nowMilliseconds) {
            throw BanliError(.clockSkew,
                             "\(f.entity) \(f.field) carries a clock more than 5 minutes in the future; fix the sending site's clock and send again.")
        }
    }

    /// Joins one received state. When the result is exactly what `echo` sent, the row is marked so
    /// it is not sent back to that site. The clock moves past every counter received, or with
    /// `observingOnly`, past that site's alone (the hub follows no unit's clock).
    func joinReceived(
        _ db: Database, _ f: ReplicatedField, via: String, echo: String?, echoExchange: Int64? = nil, at: String, observingOnly: String? = nil,
        clock: inout HybridLogicalClock, seq: inout Int64, outcome: inout ApplyOutcome, batch: inout FieldBatch
    ) throws {
        outcome.received += 1
        clock.observe(observingOnly.map { f.state.context[$0] } ?? f.maxCounter)
        let local = try batch.load(db, entity: f.entity, spec: f.spec)
            ?? ReplicatedField(entity: f.entity, spec: f.spec, state: FieldState())
        var merged = local
        merged.state.join(f.state)
        guard merged.state != local.state else { return }
        outcome.changed += 1
        if merged.state.isConflict, merged.state.siblings != local.state.siblings {
            outcome.newConflicts.append(merged)
        }
        seq += 1
        let visible = try saveField(db, merged, seq: seq, echo: echo != nil && merged.state == f.state ? echo : nil, echoExchange: echoExchange, batch: &batch)
        for s in merged.state.siblings where !local.state.siblings.contains(where: { $0.counter == s.counter && $0.site == s.site }) {
            batch.appendHistory(entity: f.entity, field: f.field, sibling: s, valueJSON: visible?.dot == s.dot ? visible?.json : nil,
                                origin: "received", via: via, at: at)
        }
    }
}
