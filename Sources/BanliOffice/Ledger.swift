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
    /// The cell each write was read from, for messages that name a line and a column.
    public var origins: [FieldKey: LedgerCell]
}

/// One cell of a ledger CSV: its line, 0-based column and header.
public struct LedgerCell: Sendable, Hashable {
    public var line: Int
    public var column: Int
    public var header: String

    /// `line 3, column B (类别)`, as every import message names a cell.
    public var place: String { "line \(line), column \(Ledger.columnLetter(column)) (\(header))" }
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
        case unitsWithRole(Role)
        case unit
        case unitName
        case assignment(String)
        case feedback(String)
        case contacts
        case ignored(String)
    }
}
