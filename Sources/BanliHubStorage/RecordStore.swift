import BanliCore
import BanliOffice

/// What the commands read and write, whichever store holds the records: a SQLite store (a bureau's or the hub's),
/// or the hub's PostgreSQL database. Synchronous, as commands are: one command, one step at a time.
///
/// The hub's server does not use it (it has `HubStorage`); a bureau's sync machinery needs SQLite's own methods.
public protocol RecordStore: AnyObject, Sendable {
    /// Where the records are, for messages: the SQLite file, or the database's address without secrets.
    var path: String { get }
    /// Who this store is.
    var info: SiteInfo { get }

    /// Writes `writes` as this site, in one transaction: every write lands or none does. `person` (a web account's display
    /// name, checked by `PersonName`) is recorded on every history row of the write; nil for the CLI's writes.
    @discardableResult
    func write(_ writes: [LocalWrite], nowMilliseconds: UInt64, person: String?) throws -> [WriteOutcome]
    /// One field's state, or nil.
    func field(_ entity: EntityKey, _ name: String) throws -> ReplicatedField?
    /// Every field of one item's entities (item, assignments, contacts, feedback), sorted by entity and field.
    func fields(ofItem id: String) throws -> [ReplicatedField]
    /// Calls `body` with each item's view in id order, holding one item at a time.
    func forEachItem(_ body: (ItemView) throws -> Void) throws
    /// Every field state, sorted by (entity, field).
    func allFields() throws -> [ReplicatedField]
    /// The unit directory's fields.
    func directoryFields() throws -> [ReplicatedField]
    /// Fields with two or more concurrent values, sorted.
    func conflicts() throws -> [ReplicatedField]
    /// The history rows of one item, oldest first.
    func history(ofItem id: String) throws -> [HistoryEntry]
    /// The entities whose history holds `value` in one of `fields` (canonical JSON compared), in any order.
    func entities(everHolding value: JSONValue, in fields: [String]) throws -> [String]
    /// A stored setting, or nil.
    func setting(_ key: String) throws -> String?
    /// Stores a setting (nil removes it).
    func setSetting(_ key: String, _ value: String?) throws

    /// Hub: registers a unit in the directory and issues its token; returns the token, shown once.
    func addUnit(site: String, name: String, kind: String, nowMilliseconds: UInt64) throws -> String
    /// Hub: the registered units' sites, sorted.
    func registeredUnits() throws -> [String]
    /// Hub: replaces a unit's token; the old one stops working at once. Returns the new token, shown once.
    func rotateToken(site: String) throws -> String
    /// Hub: removes a unit's token; it stops working at once (the unit's data stays).
    func removeUnit(site: String) throws
    /// Hub: issues an operator token for the admin listener.
    func addOperator(name: String) throws -> String
    /// Hub: the operator tokens' hashes.
    func operatorHashes() throws -> [String]
    /// Hub: the same records as the hub's server reads them (the status report); refuses a bureau's store.
    func hubStorage() throws -> any HubStorage
}

extension RecordStore {
    /// Writes `writes` at `nowMilliseconds`, made by no named person (the CLI).
    @discardableResult
    public func write(_ writes: [LocalWrite], nowMilliseconds: UInt64) throws -> [WriteOutcome] {
        try write(writes, nowMilliseconds: nowMilliseconds, person: nil)
    }

    /// Writes `writes` now, made by `person` (nil: no named person).
    @discardableResult
    public func write(_ writes: [LocalWrite], person: String?) throws -> [WriteOutcome] {
        try write(writes, nowMilliseconds: HybridLogicalClock.wallMilliseconds(), person: person)
    }

    /// Writes `writes` now.
    @discardableResult
    public func write(_ writes: [LocalWrite]) throws -> [WriteOutcome] {
        try write(writes, nowMilliseconds: HybridLogicalClock.wallMilliseconds(), person: nil)
    }

    /// Writes one field.
    @discardableResult
    public func write(
        _ entity: EntityKey, _ field: String, _ value: JSONValue, nowMilliseconds: UInt64 = HybridLogicalClock.wallMilliseconds()
    ) throws -> WriteOutcome {
        try write([LocalWrite(entity: entity, field: field, value: value)], nowMilliseconds: nowMilliseconds, person: nil)[0]
    }

    /// Registers a bureau now.
    public func addUnit(site: String, name: String) throws -> String {
        try addUnit(site: site, name: name, kind: "bureau", nowMilliseconds: HybridLogicalClock.wallMilliseconds())
    }

    /// One item as a view, or nil if the store holds nothing of it.
    public func item(_ id: String) throws -> ItemView? {
        let fields = try fields(ofItem: id)
        return fields.isEmpty ? nil : ItemView(id: id, fields: fields, hubSite: info.hubSite)
    }

    /// Every item as a view, sorted by id.
    public func items() throws -> [ItemView] {
        var out: [ItemView] = []
        try forEachItem { out.append($0) }
        return out
    }

    /// The office's settings, from the hub's own directory entry.
    public func officeSettings() throws -> OfficeSettings {
        var values = FieldValues()
        for spec in FieldCatalogue.fields(of: .unit) {
            let v = try field(.unit(site: info.hubSite), spec.name)?.visibleValue(hubSite: info.hubSite)
            if let v, v != .null { values[spec.name] = v }
        }
        return OfficeSettings(hubEntry: values)
    }

    /// The store's items, each assignment of `year`'s items marked when its category was B at some time, so that a B
    /// reply followed up until it became A still counts in the B类 follow-up.
    public func itemsWithCategoryHistory(year: Int) throws -> [ItemView] {
        var views = try items()
        let everB = try entities(everHolding: .string(ReplyCategory.b.rawValue), in: ["replyCategory", "finalCategory"])
        var marked: [String: Set<String>] = [:]
        for text in everB {
            guard case .assignment(let id, let site)? = try? EntityKey(parsing: text) else { continue }
            marked[id, default: []].insert(site)
        }
        for i in views.indices where (views[i].year ?? views[i].assignedAt?.year) == year {
            for site in marked[views[i].id] ?? [] { views[i].assignments[site]?.wasCategoryB = true }
        }
        return views
    }
}

/// What a store knows about itself: its site, the hub it follows, and its identity.
public struct SiteInfo: Sendable, Equatable {
    /// This store's site name (`hub` for the office, e.g. `jxj` for a bureau).
    public var site: String
    /// The unit's display name, e.g. 市经信局.
    public var name: String
    /// The hub's site name, the natural author of office fields.
    public var hubSite: String
    /// True for the office's hub store.
    public var isHub: Bool
    /// A random id made when the store was created; a restored copy keeps it, a new store does not.
    public var storeId: String

    public init(site: String, name: String, hubSite: String, isHub: Bool, storeId: String) {
        self.site = site
        self.name = name
        self.hubSite = hubSite
        self.isHub = isHub
        self.storeId = storeId
    }
}

/// One row of the append-only history.
public struct HistoryEntry: Sendable, Hashable {
    public var entity: String
    public var field: String
    /// The value written, canonical JSON.
    public var value: String
    /// The site that wrote it.
    public var site: String
    public var counter: UInt64
    /// `local` or `received`.
    public var origin: String
    /// Where it came from.
    public var via: String
    public var recordedAt: String
    /// The person who made a web write here (an account's display name): nil for the CLI's writes, for received rows
    /// and for rows written before stores recorded it. Never sent to other stores.
    public var person: String?

    public init(
        entity: String, field: String, value: String, site: String, counter: UInt64, origin: String, via: String, recordedAt: String,
        person: String? = nil
    ) {
        self.entity = entity
        self.field = field
        self.value = value
        self.site = site
        self.counter = counter
        self.origin = origin
        self.via = via
        self.recordedAt = recordedAt
        self.person = person
    }
}
