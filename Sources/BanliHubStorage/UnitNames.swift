import BanliCore

/// The unit directory as clerks name units: display names, aliases, and the one resolver from what a clerk
/// types (site, full name or alias) to a site, used by `import` and every `--unit` option.
public struct UnitNames: Sendable {
    /// Each unit's full name by site.
    public var names: [String: String] = [:]
    /// Each unit's aliases (简称) by site.
    public var aliases: [String: [String]] = [:]
    /// The hub's own directory entry (the office's name): never a unit a clerk means.
    public var hubSite: String?

    public init(store: any RecordStore) throws {
        let hubSite = store.info.hubSite
        self.hubSite = hubSite
        for f in try store.directoryFields() {
            guard let site = f.entity.site else { continue }
            let value = f.visibleValue(hubSite: hubSite)
            switch f.field {
            case "name": if let n = value.stringValue { names[site] = n }
            case "aliases":
                if case .array(let list) = value { aliases[site] = list.compactMap(\.stringValue) }
            default: break
            }
        }
        if names[store.info.site] == nil { names[store.info.site] = store.info.name }
    }

    /// A directory from plain values (for tests and callers that already hold them).
    public init(names: [String: String], aliases: [String: [String]] = [:]) {
        self.names = names
        self.aliases = aliases
    }

    /// The unit's full name, or empty when the directory has none.
    public subscript(site: String) -> String { names[site] ?? "" }

    /// Every name that means a unit, mapped to its site: sites, full names and aliases.
    public var lookup: [String: String] {
        var d: [String: String] = [:]
        for (site, aka) in aliases { for a in aka where !a.isEmpty { d[a] = site } }
        for (site, name) in names where !name.isEmpty { d[name] = site }
        for site in names.keys { d[site] = site }
        if let hubSite { d = d.filter { $0.value != hubSite } }
        return d
    }

    /// The site a clerk means: a site name (any case), a unit's full name or one of its aliases.
    /// An unknown name is refused with the near matches (names sharing characters with it), or with every unit.
    public func site(named text: String) throws -> String {
        let t = text.trimmedWhitespace
        let lookup = self.lookup
        if let site = lookup[t] ?? lookup[t.lowercased()] { return site }
        let shown = String(t.prefix(60))
        let sites = Set(lookup.values)
        let near = sites.filter { site in
            ([site, names[site] ?? ""] + (aliases[site] ?? [])).contains { UnitNames.isNear(t, $0) }
        }.sorted()
        let listed = (near.isEmpty ? sites.sorted() : near).prefix(20).map(describe)
        guard !listed.isEmpty else {
            throw BanliError(.usage, "Unknown unit '\(shown)': the directory holds no units yet; register them with 'banli hub add-unit'.")
        }
        let what = near.isEmpty ? "the units are" : "did you mean"
        throw BanliError(.usage, "Unknown unit '\(shown)'; \(what): \(listed.joined(separator: ", ")).")
    }

    /// `fgw (省发展和改革委员会, 省发改委)`: a site with its full name and aliases.
    public func describe(_ site: String) -> String {
        let known = ([names[site]].compactMap { $0 } + (aliases[site] ?? [])).filter { !$0.isEmpty }
        return known.isEmpty ? site : "\(site) (\(known.joined(separator: ", ")))"
    }

    /// Characters nearly every unit's name has (市…局, 省…厅), which say nothing about which unit is meant.
    static let commonCharacters = Set("省市县区局委厅办室会部中心政府人民")

    /// Two names are near when one contains the other, or they share two characters other than the common ones
    /// (省发改委 and 省发展和改革委员会 share 发 and 改), or two leading letters (jxj and jxw).
    public static func isNear(_ a: String, _ b: String) -> Bool {
        guard !a.isEmpty, !b.isEmpty else { return false }
        let x = a.lowercased(), y = b.lowercased()
        if x.contains(y) || y.contains(x) { return true }
        if x.allSatisfy(\.isASCII) && y.allSatisfy(\.isASCII) { return x.count >= 2 && x.prefix(2) == y.prefix(2) }
        return Set(x).subtracting(commonCharacters).intersection(Set(y).subtracting(commonCharacters)).count >= 2
    }
}
