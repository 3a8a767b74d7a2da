import BanliCore
import BanliHubStorage
import BanliOffice
import BanliStore
import Foundation

/// One office this bureau answers to (a hub), with its store open.
struct Office {
    /// The office's key: its `[[hub]]` `office`, else the hub's site name.
    let key: String
    /// 交办机关 as clerks read it: the entry's `name`, else the hub's own directory name, else the key.
    let name: String
    let store: any RecordStore
    /// The `[[hub]]` entry; nil for the top-level hub_url or a bare --store.
    let entry: HubEntry?

    init(store: any RecordStore, entry: HubEntry?) throws {
        self.store = store
        self.entry = entry
        key = entry?.office ?? store.info.hubSite
        let hubName = try UnitNames(store: store)[store.info.hubSite]
        name = entry?.name ?? (hubName.isEmpty ? key : hubName)
    }

    /// The bureau's SQLite store: a bureau's records are always in one.
    func bureauStore() throws -> Store {
        guard let sqlite = store as? Store else {
            throw BanliError(.usage, "\(store.path) is the hub's database; this command reads a bureau's store.")
        }
        return sqlite
    }

    /// "city-zx（市政协提案委）", as messages name an office.
    var label: String { ledgerOffice.label }

    /// The office as the ledger's import and export take it.
    var ledgerOffice: LedgerOffice { LedgerOffice(key: key, name: name, store: store) }

    /// The site whose rows are this bureau's own: `unit` when given, else the store's site (nil at the hub: every unit).
    func site(unit: String?) -> String? { unit ?? (store.info.isHub ? nil : store.info.site) }
}

/// The offices a command reads: every `[[hub]]` entry of the config, or the one that --office or --store names.
struct OfficeSet {
    let offices: [Office]
    /// True when the config has `[[hub]]` entries: lists and exports then name each row's office.
    let hasEntries: Bool
    /// The header of the office column in lists and exports (the ledger's, so that an export imports again).
    static let columnHeader = Ledger.officeHeader

    /// Opens the stores: --store alone is one store; --office one entry; else every entry, or the top-level store.
    static func open(_ global: GlobalOptions) throws -> OfficeSet {
        let config = try global.loadConfig()
        if global.store != nil || config.hubs.isEmpty {
            if let office = global.office, global.store == nil { _ = try config.hubEntry(office) }
            return OfficeSet(offices: [try Office(store: global.openStore(), entry: nil)], hasEntries: false)
        }
        let entries = try global.office.map { [try config.hubEntry($0)] } ?? config.hubs
        let offices = try entries.map { e in
            try Office(store: config.checking("hub[\(e.office)].store") { try Store.open(at: e.store) }, entry: e)
        }
        return OfficeSet(offices: offices, hasEntries: true)
    }

    /// The office a ledger's 交办机关 cell names, by its name or its key.
    func office(named text: String) -> Office? {
        offices.first { $0.name == text || $0.key == text }
    }

    /// The site a clerk means by `text` (site, full name or alias), from the first office whose directory knows it.
    static func site(named text: String, in offices: [Office]) throws -> String {
        var first: Error?
        for office in offices {
            do { return try UnitNames(store: office.store).site(named: text) } catch { first = first ?? error }
        }
        throw first ?? BanliError(.usage, "Unknown unit '\(text.prefix(60))'.")
    }

    /// The error for a command that needs one store when the config has several offices.
    static func chooseOne(_ config: BanliConfig) -> BanliError {
        BanliError(.usage, "\(config.path ?? GlobalOptions.defaultConfigPath) 配置了多个交办机关（"
                   + config.hubs.map(\.office).joined(separator: "、") + "），请用 --office 指定其中一个。")
    }

    /// The one store that holds `id`. Two offices may number items alike (city and county 提案 30), so when several
    /// hold it the clerk names one with --office.
    func store(holding id: String) throws -> any RecordStore {
        try pick(offices.filter { try $0.store.item(id) != nil }, what: id)
    }

    /// The one store that holds `field` of `entity` (a conflict to settle): the unit's site tells two offices' items
    /// with one id apart when it differs per hub.
    func store(holding entity: EntityKey, field: String) throws -> any RecordStore {
        try pick(offices.filter { try $0.store.field(entity, field) != nil }, what: "\(entity) \(field)")
    }

    private func pick(_ holders: [Office], what: String) throws -> any RecordStore {
        if holders.count == 1 { return holders[0].store }
        if holders.isEmpty, offices.count == 1 { return offices[0].store }
        guard !holders.isEmpty else {
            throw BanliError(.notFound, "各交办机关（" + offices.map(\.label).joined(separator: "、")
                             + "）的库里都没有 \(what)；请用 'banli item list' 核对编号（交办后要同步一次才看得到）。")
        }
        throw BanliError(.usage, "\(what) 在 " + holders.map(\.label).joined(separator: " 和 ")
                         + " 都有，请加 --office \(holders[0].key) 或 --office \(holders[1].key) 指明是哪一个交办机关的。")
    }
}

extension GlobalOptions {
    /// The offices a read across offices covers (`item list`, `report`, `export`, `status`, `conflicts`).
    func openOffices() throws -> OfficeSet { try OfficeSet.open(self) }

    /// The store an item verb acts on: the one that holds `id` (several offices: the one holding it).
    func openStore(holding id: String) throws -> any RecordStore {
        guard store == nil, office == nil, try loadConfig().hubs.count > 1 else { return try openStore() }
        _ = try Identifier.validItemId(id)
        return try openOffices().store(holding: id)
    }

    /// The store holding `field` of `entity` (`resolve`); with one office, or --store/--office, that store.
    func openStore(for entity: EntityKey, field: String) throws -> any RecordStore {
        guard store == nil, office == nil, try loadConfig().hubs.count > 1 else { return try openStore() }
        return try openOffices().store(holding: entity, field: field)
    }
}
