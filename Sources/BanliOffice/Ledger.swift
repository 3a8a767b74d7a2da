import BanliCore
/// What one ledger import read, so the command can say what it did.
public struct LedgerImport: Sendable, Hashable {
    /// Which of the two layouts the header showed.
    public var layout: Ledger.Layout
    /// Every write, in file order (first occurrence), duplicates removed.
    public var writes: [LocalWrite]
    /// The item ids met, in file order.
    public var items: [String]
    /// The number of distinct (item, unit) assignments met.
    public var assignments: Int
}

/// The 台账 (ledger) in and out: the office's assignment list or Banli's own export as CSV,
/// and the export as CSV rows or JSON.
public enum Ledger {
    /// The two CSV layouts `import` understands, told apart by the header.
    public enum Layout: String, Sendable, Hashable {
        /// The office's 交办 list: one row per item, units listed under 主办单位/会办单位/… columns.
        case assignmentList
        /// Banli's export: one row per assignment, with a 承办单位 column.
        case ledger
    }

    /// What a column holds. Both layouts share one vocabulary so a header means the same everywhere.
    enum Column: Hashable, Sendable {
        case id
        case item(String)
        case leadProposer
        case coProposers
        case unitsWithRole(String)
        case unit
        case unitName
        case assignment(String)
        case feedback(String)
        case contacts
        case ignored(String)
    }

    // MARK: Columns

    /// Item fields in the export, in column order (body is left out: it can exceed a spreadsheet cell).
    static let exportItemFields = ["kind", "year", "number", "title", "proposers", "session", "category", "key",
                                   "supervisor", "assignedAt", "dueAt"]

    /// The header of an item field column.
    static func itemHeader(_ field: String) -> String {
        // The catalogue labels `number` 编号, which is the id column here.
        field == "number" ? "序号" : FieldCatalogue.spec(.item, field)!.label
    }

    /// The header of an assignment field column; labels an item column already uses get 本单位 in front
    /// (办理时限 is both the item's and the unit's deadline).
    static func assignmentHeader(_ spec: FieldSpec) -> String {
        let itemLabels = Set(exportItemFields.map(itemHeader))
        return itemLabels.contains(spec.label) ? "本单位" + spec.label : spec.label
    }

    /// The export columns with their headers, in order.
    static let exportColumns: [(column: Column, header: String)] = {
        var cols: [(Column, String)] = [(.id, "编号")]
        cols += exportItemFields.map { (.item($0), itemHeader($0)) }
        cols += [(.unit, "承办单位"), (.unitName, "单位名称"), (.assignment("role"), "承办方式")]
        cols += FieldCatalogue.fields(of: .assignment).filter { $0.name != "role" }.map { (.assignment($0.name), assignmentHeader($0)) }
        cols += FieldCatalogue.fields(of: .feedback).map { (.feedback($0.name), "征询意见-" + $0.label) }
        cols += [(.contacts, "沟通记录"), (.ignored("status"), "状态"), (.ignored("overdue"), "逾期")]
        return cols
    }()

    /// The export's header row.
    public static var exportHeader: [String] { exportColumns.map(\.header) }

    /// Every accepted header for each column, the Chinese one first; matched case-insensitively with
    /// spaces, `-` and `_` ignored.
    static let aliases: [(column: Column, names: [String])] = {
        var list: [(Column, [String])] = [(.id, ["编号", "id", "item id", "案号", "建议编号", "提案编号"])]
        let extra: [String: [String]] = [
            "kind": ["类型"], "year": ["年份"], "title": ["案由", "题目"], "proposers": ["建议人", "提案人", "提出人"],
            "session": ["会议", "届次会议"], "key": ["是否重点"], "assignedAt": ["交办时间"], "dueAt": ["办结时限"],
        ]
        for spec in FieldCatalogue.fields(of: .item) {
            let header = exportItemFields.contains(spec.name) ? itemHeader(spec.name) : spec.label
            list.append((.item(spec.name), [header, spec.name] + (extra[spec.name] ?? [])))
        }
        list.append((.leadProposer, ["领衔人", "lead proposer", "领衔代表", "领衔委员"]))
        list.append((.coProposers, ["附议人", "co-proposers", "联名人", "附议代表", "附议委员"]))
        for role in FieldCatalogue.roles {
            list.append((.unitsWithRole(role.value), [role.label + "单位", role.value, role.value + " unit", role.value + " units"]))
        }
        list.append((.unit, ["承办单位", "unit", "site"]))
        list.append((.unitName, ["单位名称", "unit name"]))
        let itemNames = Set(FieldCatalogue.fields(of: .item).map(\.name))
        for spec in FieldCatalogue.fields(of: .assignment) {
            let header = spec.name == "role" ? "承办方式" : assignmentHeader(spec)
            // English names shared with an item field (dueAt) get a `unit` prefix.
            let english = itemNames.contains(spec.name) ? "unit " + spec.name : spec.name
            list.append((.assignment(spec.name), [header, english]))
        }
        for spec in FieldCatalogue.fields(of: .feedback) {
            list.append((.feedback(spec.name), ["征询意见-" + spec.label, spec.name, "feedback " + spec.name]))
        }
        list.append((.contacts, ["沟通记录", "contacts"]))
        list.append((.ignored("status"), ["状态", "status"]))
        list.append((.ignored("overdue"), ["逾期", "overdue"]))
        return list
    }()

    static let lookup: [String: Column] = {
        var d: [String: Column] = [:]
        for (column, names) in aliases {
            for n in names where d[normalize(n)] == nil { d[normalize(n)] = column }
        }
        return d
    }()

    /// A header as compared: lowercased, without spaces, `-` or `_`.
    static func normalize(_ header: String) -> String {
        String(header.lowercased().filter { !$0.isWhitespace && $0 != "-" && $0 != "_" })
    }

    /// The spreadsheet letter of a 0-based column: A, B, …, Z, AA, AB, ….
    public static func columnLetter(_ index: Int) -> String {
        var n = index + 1
        var s = ""
        while n > 0 {
            let r = (n - 1) % 26
            s = String(UnicodeScalar(UInt8(65 + r))) + s
            n = (n - 1) / 26
        }
        return s
    }

    // MARK: Import

    /// Reads a ledger CSV (either layout) into field writes; throws on the first bad cell, naming its
    /// line and column, so the caller imports nothing.
    ///
    /// `units` maps unit names (市经信局) and site names (jxj) to site names.
    public static func importRows(csv: String, units: [String: String]) throws -> [LocalWrite] {
        try importLedger(csv: csv, units: units).writes
    }

    /// Like `importRows`, with the layout and counts for a summary.
    public static func importLedger(csv: String, units: [String: String]) throws -> LedgerImport {
        var reader = try Reader(records: CSV.records(csv), units: units)
        return try reader.run()
    }

    /// One import pass over the records.
    struct Reader {
        let records: [CSV.Record]
        let units: [String: String]
        var headers: [String] = []
        var columns: [Column?] = []
        var columnIndex: [Column: Int] = [:]
        var layout: Layout = .assignmentList
        var writes: [LocalWrite] = []
        /// Where each (entity, field) was first written, to accept repeats and refuse contradictions.
        var firstSeen: [FieldKey: (value: JSONValue, line: Int)] = [:]
        var itemIds: [String] = []
        var itemSet: Set<String> = []
        var assignmentKeys: Set<String> = []

        init(records: [CSV.Record], units: [String: String]) {
            self.records = records
            self.units = units
        }

        mutating func run() throws -> LedgerImport {
            // Office spreadsheets often carry a title line above the header (`2025年交办清单,,,`):
            // skip leading lines whose only value is in the first cell and is not a header.
            var start = 0
            while start < records.count {
                let filled = records[start].fields.filter { !$0.trimmedWhitespace.isEmpty }
                let first = records[start].fields.first?.trimmedWhitespace ?? ""
                if filled.isEmpty || (filled.count == 1 && !first.isEmpty && lookup[normalize(first)] == nil) {
                    start += 1
                } else {
                    break
                }
            }
            guard start < records.count else {
                throw BanliError(.corruptInput, "The file has no header row; its first line must name the columns, for example 编号,类别,年度,标题,主办单位.")
            }
            try readHeader(records[start])
            for record in records[(start + 1)...] where !record.fields.allSatisfy({ $0.trimmedWhitespace.isEmpty }) {
                try readRow(record)
            }
            return LedgerImport(layout: layout, writes: writes, items: itemIds, assignments: assignmentKeys.count)
        }

        // MARK: header

        mutating func readHeader(_ record: CSV.Record) throws {
            headers = record.fields.map(\.trimmedWhitespace)
            let line = record.line
            var resolved: [Column?] = []
            for (i, h) in headers.enumerated() {
                if h.isEmpty {
                    resolved.append(nil)
                    continue
                }
                guard let c = lookup[normalize(h)] else {
                    resolved.append(.ignored("?"))
                    continue
                }
                resolved.append(c)
                if let j = columnIndex[c] {
                    throw BanliError(.corruptInput, "line \(line), column \(columnLetter(i)) (\(h)): this column repeats column \(columnLetter(j)) (\(headers[j])); remove one of them.")
                }
                columnIndex[c] = i
            }
            layout = columnIndex[.unit] != nil ? .ledger : .assignmentList
            let accepted = Ledger.acceptedHeaders(layout)
            for (i, c) in resolved.enumerated() {
                guard let c else { continue }
                let where_ = "line \(line), column \(columnLetter(i)) (\(headers[i]))"
                if c == .ignored("?") {
                    throw BanliError(.corruptInput, "\(where_): unknown column; the accepted headers are: \(accepted).")
                }
                switch (layout, c) {
                case (.ledger, .unitsWithRole):
                    throw BanliError(.corruptInput, "\(where_): a ledger with a 承办单位 column names one unit per row with its 承办方式; remove this column or the 承办单位 column. The accepted headers are: \(accepted).")
                case (.assignmentList, .assignment), (.assignmentList, .feedback), (.assignmentList, .contacts), (.assignmentList, .unitName):
                    throw BanliError(.corruptInput, "\(where_): this column belongs to one unit's assignment and needs a 承办单位 column (one row per unit); add it or remove this column. The accepted headers are: \(accepted).")
                default: break
                }
            }
            columns = resolved
            guard columnIndex[.id] != nil else {
                throw BanliError(.corruptInput, "line \(line): there is no 编号 (id) column; add one holding the item id (rd-2025-39) or its number (39).")
            }
            guard columnIndex[.item("title")] != nil else {
                throw BanliError(.corruptInput, "line \(line): there is no 标题 (title) column; every item needs a title.")
            }
        }

        // MARK: rows

        /// One cell's text with where it sits, for error messages.
        struct Cell {
            var text: String
            var line: Int
            var column: Int
            var header: String
            var trimmed: String { text.trimmedWhitespace }
            var isEmpty: Bool { trimmed.isEmpty }
            func error(_ what: String) -> BanliError {
                BanliError(.corruptInput, "line \(line), column \(Ledger.columnLetter(column)) (\(header)): \(what)")
            }
        }

        func cell(_ c: Column, _ record: CSV.Record) -> Cell? {
            guard let i = columnIndex[c] else { return nil }
            return Cell(text: i < record.fields.count ? record.fields[i] : "", line: record.line, column: i, header: headers[i])
        }

        mutating func readRow(_ record: CSV.Record) throws {
            let line = record.line
            for (i, f) in record.fields.enumerated() where !f.trimmedWhitespace.isEmpty && (i >= columns.count || columns[i] == nil) {
                throw BanliError(.corruptInput, "line \(line), column \(columnLetter(i)): a value in a column without a header; remove it or give the column a header.")
            }
            let itemId = try readItem(record)
            let item = EntityKey.item(id: itemId)
            if itemSet.insert(itemId).inserted { itemIds.append(itemId) }

            switch layout {
            case .assignmentList:
                var sitesInRow: [String: Cell] = [:]
                for c in columns {
                    guard case .unitsWithRole(let role)? = c, let uc = cell(.unitsWithRole(role), record), !uc.isEmpty else { continue }
                    for name in Ledger.splitNames(uc.text) {
                        let site = try resolveUnit(name, uc)
                        if let other = sitesInRow[site] {
                            throw uc.error("unit '\(name)' is also listed in column \(columnLetter(other.column)) (\(other.header)); give each unit one role.")
                        }
                        sitesInRow[site] = uc
                        let a = EntityKey.assignment(item: itemId, site: site)
                        assignmentKeys.insert(a.description)
                        try add(a, "role", .string(role), uc)
                        try add(a, "active", .bool(true), uc)
                    }
                }
            case .ledger:
                let unitCell = cell(.unit, record)!
                if unitCell.isEmpty {
                    // An item nobody has been assigned yet: nothing per unit may be filled in.
                    for (i, c) in columns.enumerated() {
                        guard let c, i < record.fields.count, !record.fields[i].trimmedWhitespace.isEmpty else { continue }
                        switch c {
                        case .assignment, .feedback, .contacts:
                            throw Cell(text: record.fields[i], line: line, column: i, header: headers[i])
                                .error("this value belongs to a unit, but 承办单位 (column \(columnLetter(unitCell.column))) is empty; fill in the unit.")
                        default: break
                        }
                    }
                    break
                }
                let site = try resolveUnit(unitCell.trimmed, unitCell)
                let a = EntityKey.assignment(item: itemId, site: site)
                assignmentKeys.insert(a.description)
                guard let roleCell = cell(.assignment("role"), record), !roleCell.isEmpty else {
                    if let roleCell = cell(.assignment("role"), record) {
                        throw roleCell.error("承办方式 is empty; write one of 独办, 主办, 分办, 会办, 协办.")
                    }
                    throw unitCell.error("there is no 承办方式 (role) column; add one so each unit's role is known.")
                }
                for spec in FieldCatalogue.fields(of: .assignment) {
                    guard let c = cell(.assignment(spec.name), record), !c.isEmpty else { continue }
                    try add(a, spec.name, try Ledger.parseCell(c, spec), c)
                }
                let fb = EntityKey.feedback(item: itemId, site: site)
                for spec in FieldCatalogue.fields(of: .feedback) {
                    guard let c = cell(.feedback(spec.name), record), !c.isEmpty else { continue }
                    try add(fb, spec.name, try Ledger.parseCell(c, spec), c)
                }
                if let c = cell(.contacts, record), !c.isEmpty {
                    try readContacts(c, item: itemId, site: site)
                }
            }
            // Checked after the row, so repeated rows of one item need not repeat its fields.
            for (field, what) in [("title", "标题 (title)"), ("kind", "类别 (kind: 建议 or 提案)"), ("number", "序号 (number)")]
            where firstSeen[key(item, field)] == nil {
                let target = cell(.item(field), record) ?? cell(.id, record)!
                throw target.error("item \(itemId) has no \(what); fill it in.")
            }
        }

        /// Reads the item columns of a row, writes them, and returns the item id.
        mutating func readItem(_ record: CSV.Record) throws -> String {
            let idCell = cell(.id, record)!
            guard !idCell.isEmpty else { throw idCell.error("the item id or number is empty.") }
            var values: [String: (JSONValue, Cell)] = [:]
            for spec in FieldCatalogue.fields(of: .item) where spec.name != "proposers" {
                guard let c = cell(.item(spec.name), record), !c.isEmpty else { continue }
                values[spec.name] = (try Ledger.parseCell(c, spec), c)
            }
            if let p = try readProposers(record) { values["proposers"] = p }

            let conventional = Ledger.conventionalId(idCell.trimmed.lowercased())
            let itemId: String
            if let n = Ledger.bareNumber(idCell.trimmed) {
                guard let kind = values["kind"]?.0.stringValue else {
                    throw idCell.error("a bare number needs 类别 (建议 or 提案) on the row to form the id (rd-YEAR-N or zx-YEAR-N).")
                }
                var year = values["year"]?.0.intValue.map(Int.init)
                if year == nil, let at = values["assignedAt"]?.0.stringValue.flatMap(ISODate.init) {
                    year = at.year
                    values["year"] = (.int(Int64(at.year)), idCell)
                }
                guard let year else {
                    throw idCell.error("a bare number needs 年度 or 交办日期 on the row to form the id (rd-YEAR-N or zx-YEAR-N).")
                }
                if case let (v, c)? = values["number"], v.intValue != Int64(n) {
                    throw c.error("序号 \(v.displayText) differs from the number \(n) in 编号; make them agree.")
                }
                values["number"] = values["number"] ?? (.int(Int64(n)), idCell)
                itemId = "\(kind == "proposal" ? "zx" : "rd")-\(year)-\(n)"
            } else {
                itemId = idCell.trimmed.lowercased()
                guard Identifier.isValid(itemId) else {
                    throw idCell.error("'\(idCell.trimmed.prefix(80))' is neither an item id (like rd-2025-39) nor a number.")
                }
                // The office's list may leave out what an id of the hub's own shape already says. Not in
                // Banli's own ledger: there an empty cell means empty, so export → import → export is stable.
                if layout == .assignmentList, case let (kind, year, n)? = conventional {
                    if values["kind"] == nil { values["kind"] = (.string(kind), idCell) }
                    if values["year"] == nil { values["year"] = (.int(Int64(year)), idCell) }
                    if values["number"] == nil { values["number"] = (.int(Int64(n)), idCell) }
                }
            }
            let item = EntityKey.item(id: itemId)
            for spec in FieldCatalogue.fields(of: .item) {
                guard case let (v, c)? = values[spec.name] else { continue }
                try add(item, spec.name, v, c)
            }
            return itemId
        }

        /// Proposers from 建议人/提案人, 领衔人 and 附议人, lead first, each name once.
        func readProposers(_ record: CSV.Record) throws -> (JSONValue, Cell)? {
            let spec = FieldCatalogue.spec(.item, "proposers")!
            var names: [String] = []
            var at: Cell?
            for c in [Column.leadProposer, .item("proposers"), .coProposers] {
                guard let pc = cell(c, record), !pc.isEmpty else { continue }
                at = at ?? pc
                if pc.trimmed.hasPrefix("[") {
                    let v = try Ledger.parseCell(pc, spec)
                    if case .array(let a) = v { names += a.compactMap(\.stringValue) }
                } else {
                    names += Ledger.splitNames(pc.text)
                }
            }
            guard let at else { return nil }
            var seen = Set<String>()
            let unique = names.filter { seen.insert($0).inserted }
            let value = JSONValue.array(unique.map(JSONValue.string))
            do { try spec.type.validate(value, field: "proposers") } catch let e as BanliError { throw at.error(e.message) }
            return (value, at)
        }

        mutating func readContacts(_ c: Cell, item: String, site: String) throws {
            let example = #"[{"n":1,"at":"2025-04-14","method":"visit","note":"…"}]"#
            guard let parsed = try? JSONValue.parse(c.trimmed), case .array(let list) = parsed else {
                throw c.error("沟通记录 must be a JSON array like \(example).")
            }
            var numbers = Set<Int>()
            for el in list {
                guard case .object(let o) = el, let n64 = o["n"]?.intValue, n64 >= 1, n64 <= Int64(EntityKey.maxContactNumber) else {
                    throw c.error("each record needs a whole number n from 1 to \(EntityKey.maxContactNumber), like \(example).")
                }
                let n = Int(n64)
                guard numbers.insert(n).inserted else { throw c.error("contact number \(n) appears twice.") }
                let fields = FieldCatalogue.fields(of: .contact)
                if let stray = o.keys.sorted().first(where: { k in k != "n" && !fields.contains { $0.name == k } }) {
                    throw c.error("'\(stray.prefix(40))' is not a contact field; use n, " + fields.map(\.name).joined(separator: ", ") + ".")
                }
                let entity = EntityKey.contact(item: item, site: site, n: n)
                for spec in fields {
                    guard let v = o[spec.name], v != .null else { continue }
                    let value: JSONValue
                    do {
                        if let s = v.stringValue {
                            value = try spec.type.parse(spec.type == .date ? Ledger.normalizeDate(s) : s, field: spec.name)
                        } else {
                            try spec.type.validate(v, field: spec.name)
                            value = v
                        }
                    } catch let e as BanliError {
                        throw c.error("contact \(n): \(e.message)")
                    }
                    try add(entity, spec.name, value, c)
                }
            }
        }

        func resolveUnit(_ name: String, _ cell: Cell) throws -> String {
            let n = name.trimmedWhitespace
            guard let site = units[n] ?? units[n.lowercased()], Identifier.isValid(site) else {
                throw cell.error("unknown unit '\(n.prefix(60))'; register it with banli hub add-unit or use one of: \(Ledger.unitList(units)).")
            }
            return site
        }

        func key(_ e: EntityKey, _ f: String) -> FieldKey { FieldKey(e, f) }

        /// Adds a write once; the same value again is fine, a different one is a contradiction in the file.
        mutating func add(_ entity: EntityKey, _ field: String, _ value: JSONValue, _ at: Cell) throws {
            let k = key(entity, field)
            if let prior = firstSeen[k] {
                guard prior.value == value else {
                    throw at.error("'\(Ledger.shortText(value))' differs from line \(prior.line) ('\(Ledger.shortText(prior.value))') for \(entity); make the rows agree.")
                }
                return
            }
            firstSeen[k] = (value, at.line)
            writes.append(LocalWrite(entity: entity, field: field, value: value))
        }
    }

    /// The accepted headers of a layout, for error messages.
    static func acceptedHeaders(_ layout: Layout) -> String {
        aliases.filter { column, _ in
            switch column {
            case .unitsWithRole: layout == .assignmentList
            case .unit, .unitName, .assignment, .feedback, .contacts: layout == .ledger
            default: true
            }
        }.map { _, names in names.count > 1 ? "\(names[0]) (\(names[1]))" : names[0] }.joined(separator: ", ")
    }

    /// Parses one cell with the catalogue, after the spreadsheet-friendly clean-ups for dates and kinds.
    static func parseCell(_ cell: Reader.Cell, _ spec: FieldSpec) throws -> JSONValue {
        var text = cell.text
        switch spec.type {
        case .date:
            text = normalizeDate(text)
            guard ISODate(text) != nil else {
                throw cell.error("'\(cell.trimmed.prefix(40))' is not a date; write it like 2025-04-14.")
            }
        case .enumeration where spec.entity == .item && spec.name == "kind":
            let t = cell.trimmed
            if ["人大建议", "代表建议", "人大代表建议"].contains(t) { text = "suggestion" }
            if ["政协提案", "委员提案", "政协委员提案"].contains(t) { text = "proposal" }
        default: break
        }
        do {
            return try spec.type.parse(text, field: spec.name)
        } catch let e as BanliError {
            throw cell.error(e.message)
        }
    }

    /// Dates as spreadsheets write them (2025/4/14, 2025.4.14, 2025年4月14日, with a midnight time) as ISO 8601.
    static func normalizeDate(_ s: String) -> String {
        var t = s.trimmedWhitespace
        for suffix in [" 00:00:00", " 0:00:00", " 00:00", " 0:00"] where t.hasSuffix(suffix) {
            t.removeLast(suffix.count)
        }
        if ISODate(t) != nil { return t }
        if t.hasSuffix("日") { t.removeLast() }
        let parts = t.split(whereSeparator: { "/-.年月".contains($0) }).map(String.init)
        guard parts.count == 3, parts[0].count == 4, (1...2).contains(parts[1].count), (1...2).contains(parts[2].count),
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else { return s.trimmedWhitespace }
        func pad(_ p: String) -> String { p.count == 1 ? "0" + p : p }
        let iso = "\(parts[0])-\(pad(parts[1]))-\(pad(parts[2]))"
        return ISODate(iso) != nil ? iso : s.trimmedWhitespace
    }

    /// Names in one cell, separated by 、 , ， ; or ；.
    static func splitNames(_ s: String) -> [String] {
        s.split(whereSeparator: { "、,，;；".contains($0) }).map { String($0).trimmedWhitespace }.filter { !$0.isEmpty }
    }

    /// The number in a bare 编号 cell (`39`, `39号`, `第39号`), nil for anything else.
    static func bareNumber(_ s: String) -> Int? {
        var t = Substring(s)
        if t.hasPrefix("第") { t = t.dropFirst() }
        if t.hasSuffix("号") { t = t.dropLast() }
        guard !t.isEmpty, t.count <= 9, t.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(t), n > 0 else { return nil }
        return n
    }

    /// (kind, year, number) of an id in the hub's own shape `rd-2025-39` / `zx-2025-90`.
    static func conventionalId(_ id: String) -> (String, Int, Int)? {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].count == 4, let year = Int(parts[1]), let n = bareNumber(String(parts[2])) else { return nil }
        switch parts[0] {
        case "rd": return ("suggestion", year, n)
        case "zx": return ("proposal", year, n)
        default: return nil
        }
    }

    /// The registered units for an error message: `jxj (市经信局)`, at most 30.
    static func unitList(_ units: [String: String]) -> String {
        var nameOf: [String: String] = [:]
        for (k, site) in units where k != site {
            if nameOf[site].map({ k < $0 }) ?? true { nameOf[site] = k }
        }
        let sites = Set(units.values).sorted()
        if sites.isEmpty { return "(no units are registered yet)" }
        let shown = sites.prefix(30).map { s in nameOf[s].map { "\(s) (\($0))" } ?? s }
        return shown.joined(separator: ", ") + (sites.count > 30 ? ", …" : "")
    }

    static func shortText(_ v: JSONValue) -> String {
        let t = v.displayText
        return t.count > 40 ? String(t.prefix(40)) + "…" : t
    }

    // MARK: Export

    /// The ledger as rows: a header, then one row per assignment (an item with none gets one row with
    /// an empty unit), by item id in natural order (rd-2025-9 before rd-2025-10), lead and sole units first.
    public static func exportRows(items: [ItemView], unitNames: [String: String], today: ISODate, deadlines: Deadlines) -> [[String]] {
        var rows = [exportHeader]
        for view in items.sorted(by: { naturalLess($0.id, $1.id) }) {
            let sites: [String?] = view.assignedSites.isEmpty ? [nil] : view.assignedSites
            for site in sites {
                let status = site.flatMap { view.status(site: $0, today: today, deadlines: deadlines) }
                rows.append(exportColumns.map { column, _ in
                    exportCell(column, view: view, site: site, unitNames: unitNames, status: status)
                })
            }
        }
        return rows
    }

    /// The ledger as CSV text (UTF-8 with BOM by default, so Excel shows the Chinese).
    public static func exportCSV(items: [ItemView], unitNames: [String: String], today: ISODate, deadlines: Deadlines, bom: Bool = true) -> String {
        CSV.write(exportRows(items: items, unitNames: unitNames, today: today, deadlines: deadlines), bom: bom)
    }

    static func exportCell(_ column: Column, view: ItemView, site: String?, unitNames: [String: String], status: AssignmentStatus?) -> String {
        func spec(_ kind: EntityKind, _ f: String) -> FieldSpec { FieldCatalogue.spec(kind, f)! }
        switch column {
        case .id: return view.id
        case .item(let f): return cellText(view.item[f], spec(.item, f))
        case .unit: return site ?? ""
        case .unitName: return site.flatMap { unitNames[$0] } ?? ""
        case .assignment(let f): return cellText(site.flatMap { view.assignments[$0]?[f] }, spec(.assignment, f))
        case .feedback(let f): return cellText(site.flatMap { view.feedback[$0]?[f] }, spec(.feedback, f))
        case .contacts:
            guard let site, let c = view.contacts[site], !c.isEmpty else { return "" }
            return contactsJSON(c).canonicalJSON
        case .ignored("status"): return status?.stage.label ?? ""
        case .ignored("overdue"): return status.map { $0.overdue ? "是" : "否" } ?? ""
        case .ignored, .leadProposer, .coProposers, .unitsWithRole: return ""
        }
    }

    /// One value as a clerk reads it, in a form `import` parses back to the same value.
    static func cellText(_ value: JSONValue?, _ spec: FieldSpec) -> String {
        guard let value, value != .null else { return "" }
        switch spec.type {
        case .bool:
            if let b = value.boolValue { return b ? "是" : "否" }
        case .enumeration(let cases):
            if let s = value.stringValue { return cases.first { $0.value == s }?.label ?? s }
        case .int:
            if let i = value.intValue { return String(i) }
        case .strings:
            if case .array(let a) = value {
                let names = a.compactMap(\.stringValue)
                // A name holding a separator or edge spaces would not split back: keep JSON then.
                let plain = names.count == a.count && names.allSatisfy { n in
                    n == n.trimmedWhitespace && !n.isEmpty && !n.contains(where: { "、,，;；".contains($0) })
                } && !(names.first?.hasPrefix("[") ?? false)
                return plain ? names.joined(separator: "、") : value.canonicalJSON
            }
        case .string, .text, .date, .itemId:
            if let s = value.stringValue { return s }
        case .publicFlag:
            break
        }
        return value.canonicalJSON
    }

    /// A unit's contact records as `[{"n","at","method","note"}]`, by number.
    static func contactsJSON(_ byNumber: [Int: [String: JSONValue]]) -> JSONValue {
        .array(byNumber.keys.sorted().map { n in
            var o = byNumber[n]!.filter { FieldCatalogue.spec(.contact, $0.key) != nil }
            o["n"] = .int(Int64(n))
            return .object(o)
        })
    }

    /// The ledger as JSON: one object per assignment (as in `exportRows`) with catalogue field names:
    /// `{"id","site","unitName","item":{…},"assignment":{…},"feedback":{…},"contacts":[…],"status","overdue"}`.
    /// Item, assignment and feedback are nested because `dueAt` is both an item and an assignment field.
    public static func exportJSON(items: [ItemView], unitNames: [String: String], today: ISODate, deadlines: Deadlines) -> JSONValue {
        var out: [JSONValue] = []
        for view in items.sorted(by: { naturalLess($0.id, $1.id) }) {
            let sites: [String?] = view.assignedSites.isEmpty ? [nil] : view.assignedSites
            for site in sites {
                let status = site.flatMap { view.status(site: $0, today: today, deadlines: deadlines) }
                var item: [String: JSONValue] = [:]
                for f in exportItemFields { if let v = view.item[f] { item[f] = v } }
                out.append(.object([
                    "id": .string(view.id),
                    "site": site.map(JSONValue.string) ?? .null,
                    "unitName": site.flatMap { unitNames[$0] }.map(JSONValue.string) ?? .null,
                    "item": .object(item),
                    "assignment": .object(site.flatMap { view.assignments[$0] } ?? [:]),
                    "feedback": .object(site.flatMap { view.feedback[$0] } ?? [:]),
                    "contacts": site.flatMap { view.contacts[$0] }.map(contactsJSON) ?? .array([]),
                    "status": status.map { .string($0.stage.rawValue) } ?? .null,
                    "overdue": .bool(status?.overdue ?? false),
                ]))
            }
        }
        return .array(out)
    }

    /// Orders ids as people count: digit runs compare by value, so rd-2025-9 comes before rd-2025-10.
    public static func naturalLess(_ a: String, _ b: String) -> Bool {
        let ca = chunks(a), cb = chunks(b)
        for (x, y) in zip(ca, cb) where x != y {
            let dx = x.first?.isNumber == true && x.allSatisfy(\.isASCII), dy = y.first?.isNumber == true && y.allSatisfy(\.isASCII)
            if dx && dy {
                let tx = x.drop { $0 == "0" }, ty = y.drop { $0 == "0" }
                if tx.count != ty.count { return tx.count < ty.count }
                if tx != ty { return tx < ty }
                continue
            }
            return x < y
        }
        return ca.count != cb.count ? ca.count < cb.count : a < b
    }

    private static func chunks(_ s: String) -> [Substring] {
        var out: [Substring] = []
        var start = s.startIndex
        var i = s.startIndex
        while i < s.endIndex {
            let next = s.index(after: i)
            if next < s.endIndex, (s[i].isASCII && s[i].isNumber) != (s[next].isASCII && s[next].isNumber) {
                out.append(s[start..<next])
                start = next
            }
            i = next
        }
        if start < s.endIndex { out.append(s[start...]) }
        return out
    }
}
