/// A unit's access to one item at the hub.
public enum ItemAccess: Sendable, Equatable {
    /// Never assigned.
    case none
    /// Assigned and active.
    case active
    /// Reassigned away (`active=false`).
    case revoked
}

/// Why the hub refused one pushed state. The kind lets the hub act on a class of refusals (a unit's
/// clock shown on the status page) without reading sentences.
public struct PushRefusal: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The item is not (or no longer) assigned to the pushing unit.
        case access
        /// The unit may not write the field (or remove its values).
        case permission
        /// A value attributed to another site, or a hub value without a valid tag.
        case forgery
        /// The context claims writes the hub has not seen.
        case context
        /// A counter too far ahead of the hub's clock.
        case clock
    }

    public var kind: Kind
    public var reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }
}

/// The hub's trust rule for one field state pushed by a unit (DESIGN §4, pinned), decided without I/O.
///
/// A pushed state may change a field only in ways its pusher is entitled to:
/// - it adds values only of its own (on fields it may write) or authentic hub values (tagged), and
///   never gives a dot the hub holds another value;
/// - its context covers other sites' dots only as far as the hub has seen them for that field
///   (or as far as the authentic hub values it carries), so it cannot erase writes not yet arrived;
/// - it removes values only on fields it may write, or where an authentic newer hub value supersedes them;
/// - a state without values is held to the same rules;
/// - it touches an item only while assigned to it; access itself comes from the office's writes.
/// `docs/architecture.md` says why this is complete for a star topology.
public struct PushPolicy: Sendable {
    /// The pushing unit (from its token).
    public var unit: String
    /// The hub's site name.
    public var hubSite: String
    /// The hub's wall clock.
    public var nowMilliseconds: UInt64
    /// The largest counter the hub's clock has issued or observed.
    public var hubClock: UInt64
    /// Whether a hub sibling carries a valid authentication tag.
    public var isAuthenticHubSibling: @Sendable (EntityKey, String, Sibling) -> Bool

    /// How far ahead of the hub's clock a unit's new counters may be: tighter than the 5 minutes a
    /// bureau allows the hub's states, so that a unit's fast clock never makes other bureaus refuse them.
    public static let unitSkewMilliseconds: UInt64 = 150 * 1000

    public init(
        unit: String, hubSite: String, nowMilliseconds: UInt64, hubClock: UInt64 = 0,
        isAuthenticHubSibling: @escaping @Sendable (EntityKey, String, Sibling) -> Bool
    ) {
        self.unit = unit
        self.hubSite = hubSite
        self.nowMilliseconds = nowMilliseconds
        self.hubClock = hubClock
        self.isAuthenticHubSibling = isAuthenticHubSibling
    }

    /// Nil when `incoming` may be joined into the hub's `current` state; otherwise the reason to refuse it.
    public func rejection(of incoming: ReplicatedField, current: FieldState, access: ItemAccess) -> String? {
        refusal(of: incoming, current: current, access: access)?.reason
    }

    /// Nil when `incoming` may be joined into the hub's `current` state; otherwise why not.
    public func refusal(of incoming: ReplicatedField, current: FieldState, access: ItemAccess) -> PushRefusal? {
        let entity = incoming.entity, field = incoming.field, state = incoming.state
        let writeDenial = Permissions.denial(site: unit, hubSite: hubSite, entity: entity, field: incoming.spec)

        // Values it adds: its own (only where it may write) or the hub's, authenticated. A dot the hub
        // already holds must come with exactly the value the hub holds (join keeps one of two for a dot).
        var authenticHubMax: UInt64 = 0
        for s in state.siblings where current.context.covers(s.dot) {
            if let held = current.siblings.first(where: { $0.dot == s.dot }), held != s {
                return PushRefusal(.forgery, "the state gives the write \(s.counter) of '\(s.site)' another value than the hub holds")
            }
        }
        for s in state.siblings where !current.context.covers(s.dot) {
            if s.site == unit {
                if let writeDenial { return PushRefusal(.permission, writeDenial) }
            } else if s.site == hubSite {
                guard isAuthenticHubSibling(entity, field, s) else {
                    return PushRefusal(.forgery, "a write attributed to the hub carries no valid hub signature (forged)")
                }
                authenticHubMax = max(authenticHubMax, s.counter)
            } else {
                return PushRefusal(.forgery, "a write attributed to unit '\(s.site)' can only be pushed by '\(s.site)' itself")
            }
        }

        if let item = entity.itemId, access != .active {
            // The office's own (authentic) writes on the unit's assignment may come back through the unit:
            // that is how a hub restored from a backup learns the assignment again.
            let restoringGrant = entity == .assignment(item: item, site: unit) && incoming.spec.author == .hub && authenticHubMax > 0
            if !restoringGrant {
                return PushRefusal(.access, access == .none
                    ? "item \(item) is not assigned to unit '\(unit)'"
                    : "unit '\(unit)' was reassigned away from item \(item)")
            }
        }

        // What it claims to have seen: new dots of its own (within the clock bound), dots the hub has seen,
        // and the hub's dots it carries authentic values for. On its own fields it may also have seen
        // hub writes the hub lost in a restore (never beyond the hub's clock).
        let limit = HybridLogicalClock.pack(milliseconds: nowMilliseconds + Self.unitSkewMilliseconds, logical: .max)
        for (site, counter) in state.context.entries where counter > current.context[site] {
            if site == unit {
                if let writeDenial { return PushRefusal(.permission, writeDenial) }
                if counter > limit {
                    let ahead = (HybridLogicalClock.milliseconds(of: counter) &- nowMilliseconds) / 1000
                    return PushRefusal(.clock, "unit '\(unit)' wrote with a clock \(ahead) s ahead of the hub's "
                        + "(at most \(Self.unitSkewMilliseconds / 1000) s are accepted); fix that machine's clock (NTP) and sync again")
                }
            } else if site == hubSite {
                let restoredOwnField = writeDenial == nil && counter <= max(hubClock, HybridLogicalClock.pack(milliseconds: nowMilliseconds))
                guard counter <= authenticHubMax || restoredOwnField else {
                    return PushRefusal(.context, "the state claims office writes to '\(field)' of \(entity) that the hub never made")
                }
            } else {
                return PushRefusal(.context, "the state claims writes by '\(site)' to '\(field)' of \(entity) that the hub has not seen; "
                    + "only '\(site)' can push them")
            }
        }

        // Values it removes: only on fields it may write, or superseded by a newer authentic hub value.
        if writeDenial != nil {
            let merged = current.joined(with: state)
            let kept = Set(merged.siblings.map(\.dot))
            for s in current.siblings where !kept.contains(s.dot) {
                let superseded = state.siblings.contains { $0.site == hubSite && $0.counter > s.counter && !current.context.covers($0.dot) }
                if !superseded {
                    return PushRefusal(.permission, "unit '\(unit)' may not change '\(field)' of \(entity)")
                }
            }
        }
        return nil
    }
}
