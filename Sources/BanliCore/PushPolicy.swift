/// A unit's access to one item at the hub.
public enum ItemAccess: Sendable, Equatable {
    /// Never assigned.
    case none
    /// Assigned and active.
    case active
    /// Reassigned away (`active=false`).
    case revoked
}

/// The hub's rules for one field state pushed by a unit (DESIGN §4), decided without I/O.
public struct PushPolicy: Sendable {
    /// The pushing unit (from its token).
    public var unit: String
    /// The hub's site name.
    public var hubSite: String
    /// The hub's wall clock.
    public var nowMilliseconds: UInt64
    /// Whether a hub sibling carries a valid authentication tag.
    public var isAuthenticHubSibling: @Sendable (EntityKey, String, Sibling) -> Bool

    public init(unit: String, hubSite: String, nowMilliseconds: UInt64, isAuthenticHubSibling: @escaping @Sendable (EntityKey, String, Sibling) -> Bool) {
        self.unit = unit
        self.hubSite = hubSite
        self.nowMilliseconds = nowMilliseconds
        self.isAuthenticHubSibling = isAuthenticHubSibling
    }

    /// Nil when `incoming` may be joined into the hub's `current` state; otherwise the reason to refuse it.
    public func rejection(of incoming: ReplicatedField, current: FieldState, access: ItemAccess) -> String? {
        let entity = incoming.entity, field = incoming.field
        if let item = entity.itemId, access != .active {
            // A unit may push the office's fields of its own assignment (authenticated hub writes):
            // that is how a hub restored from a backup learns the assignment again.
            let restoringGrant = entity == .assignment(item: item, site: unit) && incoming.spec.author == .hub
            if !restoringGrant {
                return access == .none
                    ? "item \(item) is not assigned to unit '\(unit)'"
                    : "unit '\(unit)' was reassigned away from item \(item)"
            }
        }
        for (site, counter) in incoming.state.context.entries
        where HybridLogicalClock.isTooFarAhead(counter, nowMilliseconds: nowMilliseconds) {
            return "a write by '\(site)' is dated more than 5 minutes ahead of the hub's clock; fix that machine's clock"
        }
        let writeDenial = Permissions.denial(site: unit, hubSite: hubSite, entity: entity, field: incoming.spec)
        var authenticNew: [Sibling] = []
        for s in incoming.state.siblings where !current.context.covers(s.dot) {
            if s.site == unit {
                if let writeDenial { return writeDenial }
            } else if s.site == hubSite {
                guard isAuthenticHubSibling(entity, field, s) else {
                    return "a write attributed to the hub carries no valid hub signature (forged)"
                }
                authenticNew.append(s)
            } else {
                return "a write attributed to unit '\(s.site)' can only be pushed by '\(s.site)' itself"
            }
        }
        if writeDenial != nil {
            // A unit that may not write this field may add the hub's own authentic writes back, nothing else:
            // it may not remove a value the hub holds.
            let merged = current.joined(with: incoming.state)
            let kept = Set(merged.siblings.map(\.dot))
            for s in current.siblings where !kept.contains(s.dot) {
                let superseded = authenticNew.contains { $0.site == s.site && $0.counter > s.counter }
                if !superseded {
                    return "unit '\(unit)' may not change '\(field)' of \(entity)"
                }
            }
        }
        return nil
    }
}
