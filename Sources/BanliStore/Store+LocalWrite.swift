import BanliCore
import BanliHubStorage
import BanliSecrets
import GRDB

extension Store {
    /// Writes `writes` in one transaction: permission check, new dot, state update, change number, history.
    /// Either every write lands or none does. `person` (checked by `PersonName`) is recorded on each history row.
    @discardableResult
    public func write(_ writes: [LocalWrite], nowMilliseconds: UInt64, person: String?) throws -> [WriteOutcome] {
        let info = self.info
        if let person { try PersonName.validated(person) }
        let checked = try writes.map { w -> (LocalWrite, FieldSpec) in
            let spec = try FieldCatalogue.require(w.entity.kind, w.field)
            try Permissions.check(site: info.site, hubSite: info.hubSite, entity: w.entity, field: spec)
            try spec.type.validate(w.value, field: w.field)
            return (w, spec)
        }
        let at = Store.timestamp()
        return try transaction { db in
            var (clock, seq) = try Store.loadCounters(db)
            var outcomes: [WriteOutcome] = []
            var batch = FieldBatch()
            try batch.prefetch(db, checked.map { ($0.0.entity, $0.1.name) })
            for (w, spec) in checked {
                var f = try batch.load(db, entity: w.entity, spec: spec)
                    ?? ReplicatedField(entity: w.entity, spec: spec, state: FieldState())
                let previous = f.visibleValue(hubSite: info.hubSite)
                let superseded = f.state.siblings.count
                let dot = Dot(site: info.site, counter: clock.tick(nowMilliseconds: nowMilliseconds))
                let sig = hubKey.map {
                    HubKey.tag($0, entity: w.entity, field: w.field, sibling: Sibling(value: w.value, site: dot.site, counter: dot.counter))
                }
                f.state.write(w.value, dot: dot, sig: sig)
                seq += 1
                let visible = try self.saveField(db, f, seq: seq, batch: &batch)
                batch.appendHistory(entity: w.entity, field: w.field, sibling: f.state.siblings[0], valueJSON: visible?.json,
                                    origin: "local", via: info.site, at: at, person: person)
                outcomes.append(WriteOutcome(entity: w.entity, field: w.field, previous: previous, value: w.value, dot: dot, superseded: superseded))
            }
            try batch.flush(db)
            try Store.saveCounters(db, clock: clock, seq: seq)
            return outcomes
        }
    }
}
