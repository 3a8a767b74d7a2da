import BanliCore
/// The column map both layouts share: export order and headers, the accepted aliases, spreadsheet letters.
extension Ledger {
    /// Item fields in the export, in column order (body is left out: it can exceed a spreadsheet cell).
    static let exportItemFields = ["kind", "year", "number", "title", "proposers", "session", "category", "key",
                                   "supervisor", "assignedAt", "dueAt"]

    /// The header of an item field column.
    static func itemHeader(_ field: String) -> String {
        // The catalogue labels `number` 编号, which is the id column here; 序号 is a clerk's row counter.
        field == "number" ? "建议提案号" : FieldCatalogue.spec(.item, field)!.label
    }

    /// Columns clerks' sheets carry that import reads past: a row counter, remarks, attachments.
    /// 序号 especially must never be taken for the item's number.
    public static let ignorableHeaders = ["序号", "备注", "说明", "附件"]
    /// The column naming each row's office (交办机关) in a ledger exported across several offices.
    public static let officeHeader = "交办机关"

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
        cols += FieldCatalogue.fields(of: .assignment).filter { $0.name != "role" }
            .map { (.assignment($0.name), assignmentHeader($0)) }
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
            "kind": ["类型"], "year": ["年份"], "number": ["建议号", "提案号"], "title": ["案由", "题目"], "proposers": ["建议人", "提案人", "提出人"],
            "session": ["会议", "届次会议"], "key": ["是否重点"], "assignedAt": ["交办时间"], "dueAt": ["办结时限"],
        ]
        for spec in FieldCatalogue.fields(of: .item) {
            let header = exportItemFields.contains(spec.name) ? itemHeader(spec.name) : spec.label
            list.append((.item(spec.name), [header, spec.name] + (extra[spec.name] ?? [])))
        }
        list.append((.leadProposer, ["领衔人", "lead proposer", "领衔代表", "领衔委员"]))
        list.append((.coProposers, ["附议人", "co-proposers", "联名人", "附议代表", "附议委员"]))
        for role in Role.allCases {
            let name = role.rawValue
            list.append((.unitsWithRole(role), [role.label + "单位", name, name + " unit", name + " units"]))
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
        for h in ignorableHeaders { list.append((.ignored(h), [h])) }
        // Read by `splitByOffice` before a file reaches the reader, which then passes over it.
        list.append((.ignored("office"), [officeHeader, "office"]))
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

    /// The accepted headers of a layout, for error messages.
    static func acceptedHeaders(_ layout: Layout) -> String {
        aliases.filter { column, _ in
            switch column {
            case .unitsWithRole: layout == .assignmentList
            case .unit, .unitName, .assignment, .feedback, .contacts: layout == .ledger
            case .ignored: false
            default: true
            }
        }.map { _, names in names.count > 1 ? "\(names[0]) (\(names[1]))" : names[0] }.joined(separator: ", ")
            + "; these are read past: " + (["状态", "逾期"] + ignorableHeaders).joined(separator: ", ")
    }
}
