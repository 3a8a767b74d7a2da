import BanliCore
/// Reading a ledger CSV into field writes, refusing the whole file at its first bad cell.
extension Ledger {
    /// Reads a ledger CSV (either layout) into field writes; throws on the first bad cell, naming its
    /// line and column, so the caller imports nothing.
    ///
    /// `units` maps unit names (市经信局) and site names (jxj) to site names.
    public static func importRows(csv: String, units: [String: String]) throws -> [LocalWrite] {
        try importLedger(csv: csv, units: units).writes
    }

    /// Like `importRows`, with the layout and counts for a summary.
    public static func importLedger(csv: String, units: [String: String]) throws -> LedgerImport {
        try importLedger(csv: csv) { name in
            guard let site = units[name] ?? units[name.lowercased()], Identifier.isValid(site) else {
                throw BanliError(.corruptInput,
                                 "unknown unit '\(name.prefix(60))'; register it with banli hub add-unit or use one of: \(Ledger.unitList(units)).")
            }
            return site
        }
    }

    /// Like `importRows`, with units named through `resolveUnit` (site, full name or alias to site; throws a sentence
    /// for an unknown name, which the import prefixes with the cell).
    public static func importLedger(csv: String, resolveUnit: @escaping @Sendable (String) throws -> String) throws -> LedgerImport {
        try importLedger(records: CSV.records(csv), resolveUnit: resolveUnit)
    }

    /// Like `importLedger(csv:resolveUnit:)`, from records already read (one office's share of a file, on its own lines).
    public static func importLedger(records: [CSV.Record], resolveUnit: @escaping @Sendable (String) throws -> String) throws -> LedgerImport {
        do {
            return try readImport(records: records, resolveUnit: resolveUnit)
        } catch let refusal as LedgerRefusal {
            throw refusal.error
        }
    }

    /// Like `importLedger(records:resolveUnit:)`, refusing the file with a `LedgerRefusal` that names the line and
    /// the column of the bad cell, so a page can mark it in place. Other errors are `resolveUnit`'s own.
    public static func readImport(records: [CSV.Record], resolveUnit: @escaping @Sendable (String) throws -> String) throws -> LedgerImport {
        var reader = Reader(records: records, resolve: resolveUnit)
        return try reader.run()
    }

    /// A ledger exported across several offices, split by its 交办机关 column: each office's records (the lines above the
    /// header, the header, and the rows naming that office), in the file's order and on the file's line numbers, so that
    /// errors name the lines a clerk sees, and the lines of its rows. Nil when the file has no such column; rows with an
    /// empty cell come under "".
    public static func splitByOffice(_ records: [CSV.Record]) -> [(office: String, records: [CSV.Record], rowLines: [Int])]? {
        guard let (h, column) = officeColumn(records) else { return nil }
        let head = Array(records[...h])
        var order: [String] = []
        var rows: [String: [CSV.Record]] = [:]
        for r in records[(h + 1)...] where r.fields.contains(where: { !$0.trimmedWhitespace.isEmpty }) {
            let office = column < r.fields.count ? r.fields[column].trimmedWhitespace : ""
            if rows[office] == nil { order.append(office) }
            rows[office, default: []].append(r)
        }
        return order.map { (office: $0, records: head + rows[$0]!, rowLines: rows[$0]!.map(\.line)) }
    }

    /// Where the 交办机关 column is: the index of its header record and its 0-based column; nil when the file has none.
    public static func officeColumn(_ records: [CSV.Record]) -> (headerIndex: Int, column: Int)? {
        let key = normalize(officeHeader)
        guard let h = records.firstIndex(where: { $0.fields.contains { normalize($0) == key } }),
              let column = records[h].fields.firstIndex(where: { normalize($0) == key }) else { return nil }
        return (h, column)
    }

    /// One import pass over the records.
    struct Reader {
        let records: [CSV.Record]
        let resolve: @Sendable (String) throws -> String
        var headers: [String] = []
        var columns: [Column?] = []
        var columnIndex: [Column: Int] = [:]
        var layout: Layout = .assignmentList
        var writes: [LocalWrite] = []
        /// Where each (entity, field) was first written, to accept repeats and refuse contradictions.
        var firstSeen: [FieldKey: (value: JSONValue, line: Int)] = [:]
        var origins: [FieldKey: LedgerCell] = [:]
        var itemIds: [String] = []
        var itemSet: Set<String> = []
        var assignmentKeys: Set<String> = []

        init(records: [CSV.Record], resolve: @escaping @Sendable (String) throws -> String) {
            self.records = records
            self.resolve = resolve
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
                throw LedgerRefusal(LedgerProblem(
                    message: "The file has no header row; its first line must name the columns, for example 编号,类别,年度,标题,主办单位."))
            }
            try readHeader(records[start])
            for record in records[(start + 1)...] where !record.fields.allSatisfy({ $0.trimmedWhitespace.isEmpty }) {
                try readRow(record)
            }
            return LedgerImport(layout: layout, writes: writes, items: itemIds, assignments: assignmentKeys.count, origins: origins)
        }

        // MARK: header

        mutating func readHeader(_ record: CSV.Record) throws {
            headers = record.fields.map(\.trimmedWhitespace)
            let line = record.line
            var resolved: [Column?] = []
            var unknown: [Int] = []
            for (i, h) in headers.enumerated() {
                if h.isEmpty {
                    resolved.append(nil)
                    continue
                }
                guard let c = lookup[normalize(h)] else {
                    unknown.append(i)
                    resolved.append(nil)
                    continue
                }
                resolved.append(c)
                if case .ignored = c { continue }
                if let j = columnIndex[c] {
                    throw LedgerRefusal(LedgerProblem(line: line, column: i, header: h,
                                                      message: "this column repeats column \(columnLetter(j)) (\(headers[j])); remove one of them."))
                }
                columnIndex[c] = i
            }
            layout = columnIndex[.unit] != nil ? .ledger : .assignmentList
            let accepted = Ledger.acceptedHeaders(layout)
            if !unknown.isEmpty {
                // Every unknown header at once, so one round of fixes is enough.
                let named = unknown.map { "\(columnLetter($0)) (\(headers[$0].prefix(40)))" }.joined(separator: ", ")
                let what = unknown.count == 1 ? "an unknown column" : "\(unknown.count) unknown columns"
                let problems = unknown.map { LedgerProblem(line: line, column: $0, header: headers[$0], message: "an unknown column; rename or remove it.") }
                throw LedgerRefusal(problems, message: "line \(line) has \(what): \(named); rename or remove them. The accepted headers are: \(accepted).")
            }
            for (i, c) in resolved.enumerated() {
                guard let c else { continue }
                func refusal(_ what: String) -> LedgerRefusal { LedgerRefusal(LedgerProblem(line: line, column: i, header: headers[i], message: what)) }
                switch (layout, c) {
                case (.ledger, .unitsWithRole):
                    throw refusal("a ledger with a 承办单位 column names one unit per row with its 承办方式; "
                        + "remove this column or the 承办单位 column. The accepted headers are: \(accepted).")
                case (.assignmentList, .assignment), (.assignmentList, .feedback), (.assignmentList, .contacts), (.assignmentList, .unitName):
                    throw refusal("this column belongs to one unit's assignment and needs a 承办单位 column "
                        + "(one row per unit); add it or remove this column. The accepted headers are: \(accepted).")
                default: break
                }
            }
            columns = resolved
            guard columnIndex[.id] != nil else {
                throw LedgerRefusal(LedgerProblem(
                    line: line, message: "there is no 编号 (id) column; add one holding the item id (rd-2025-39) or its number (39)."))
            }
            guard columnIndex[.item("title")] != nil else {
                throw LedgerRefusal(LedgerProblem(line: line, message: "there is no 标题 (title) column; every item needs a title."))
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
            func error(_ what: String) -> LedgerRefusal {
                LedgerRefusal(LedgerProblem(line: line, column: column, header: header, message: what))
            }
        }

        func cell(_ c: Column, _ record: CSV.Record) -> Cell? {
            guard let i = columnIndex[c] else { return nil }
            return Cell(text: i < record.fields.count ? record.fields[i] : "", line: record.line, column: i, header: headers[i])
        }

        mutating func readRow(_ record: CSV.Record) throws {
            let line = record.line
            for (i, f) in record.fields.enumerated() where !f.trimmedWhitespace.isEmpty && (i >= columns.count || columns[i] == nil) {
                throw LedgerRefusal(LedgerProblem(line: line, column: i,
                                                  message: "a value in a column without a header; remove it or give the column a header."))
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
                        try add(a, "role", .string(role.rawValue), uc)
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
                        throw roleCell.error("承办方式 is empty; write one of \(Role.allCases.map(\.label).joined(separator: ", ")).")
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
            for (field, what) in [("title", "标题 (title)"), ("kind", "类别 (kind: 建议 or 提案)"), ("number", "建议提案号 (number)")]
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
                guard let kind = values["kind"]?.0.stringValue.flatMap(ItemKind.init(rawValue:)) else {
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
                    throw c.error("建议提案号 \(v.displayText) differs from the number \(n) in 编号; make them agree.")
                }
                values["number"] = values["number"] ?? (.int(Int64(n)), idCell)
                itemId = "\(kind.idPrefix)-\(year)-\(n)"
            } else {
                itemId = idCell.trimmed.lowercased()
                guard Identifier.isValid(itemId) else {
                    throw idCell.error("'\(idCell.trimmed.prefix(80))' is neither an item id (like rd-2025-39) nor a number.")
                }
                // The office's list may leave out what an id of the hub's own shape already says. Not in
                // Banli's own ledger: there an empty cell means empty, so export → import → export is stable.
                // Nor where the ledger has no such column at all (an export from before 序号 was read past).
                if case let (kind, year, n)? = conventional {
                    let derived: [(String, JSONValue)] = [("kind", .string(kind.rawValue)), ("year", .int(Int64(year))), ("number", .int(Int64(n)))]
                    for (field, value) in derived where values[field] == nil && (layout == .assignmentList || columnIndex[.item(field)] == nil) {
                        values[field] = (value, idCell)
                    }
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
                            value = try spec.type.parse(s, field: spec.name)
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
            do {
                let site = try resolve(name.trimmedWhitespace)
                guard Identifier.isValid(site) else { throw cell.error("'\(site.prefix(60))' is not a valid site name.") }
                return site
            } catch let e as BanliError where !e.message.hasPrefix("line ") {
                throw cell.error(e.message)
            }
        }

        func key(_ e: EntityKey, _ f: String) -> FieldKey { FieldKey(e, f) }

        /// Adds a write once; the same value again is fine, a different one is a contradiction in the file.
        mutating func add(_ entity: EntityKey, _ field: String, _ value: JSONValue, _ at: Cell) throws {
            let k = key(entity, field)
            if let prior = firstSeen[k] {
                guard prior.value == value else {
                    let was = Ledger.shortText(prior.value)
                    throw at.error("'\(Ledger.shortText(value))' differs from line \(prior.line) ('\(was)') for \(entity); make the rows agree.")
                }
                return
            }
            firstSeen[k] = (value, at.line)
            origins[k] = LedgerCell(line: at.line, column: at.column, header: at.header)
            writes.append(LocalWrite(entity: entity, field: field, value: value))
        }
    }

    /// Parses one cell with the catalogue, after the spreadsheet-friendly clean-ups for dates and kinds.
    static func parseCell(_ cell: Reader.Cell, _ spec: FieldSpec) throws -> JSONValue {
        var text = cell.text
        switch spec.type {
        case .date:
            do {
                text = try ISODate.parse(text).description
            } catch let e as BanliError {
                throw cell.error(e.message)
            }
        case .enumeration where spec.entity == .item && spec.name == "kind":
            let t = cell.trimmed
            if ["人大建议", "代表建议", "人大代表建议"].contains(t) { text = ItemKind.suggestion.rawValue }
            if ["政协提案", "委员提案", "政协委员提案"].contains(t) { text = ItemKind.proposal.rawValue }
        default: break
        }
        do {
            return try spec.type.parse(text, field: spec.name)
        } catch let e as BanliError {
            throw cell.error(e.message)
        }
    }
}
