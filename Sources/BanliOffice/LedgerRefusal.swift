import BanliCore

/// One refused place of a ledger file: where it is (a line, a cell with its column's header, or the whole file) and
/// what is wrong there, so a page can put the sentence on its row and cell.
public struct LedgerProblem: Sendable, Hashable {
    /// The physical line (1-based), or nil when the problem is the whole file's.
    public var line: Int?
    /// The 0-based column, or nil when the problem is the whole line's.
    public var column: Int?
    /// The column's header as the file has it (答复类别), when the column has one.
    public var header: String?
    /// What is wrong and how to fix it, without the place.
    public var message: String

    /// A problem at `line` (and `column` under `header`), or of the whole file.
    public init(line: Int? = nil, column: Int? = nil, header: String? = nil, message: String) {
        self.line = line
        self.column = column
        self.header = header
        self.message = message
    }

    /// A problem in one cell.
    public init(_ cell: LedgerCell, _ message: String) {
        self.init(line: cell.line, column: cell.column, header: cell.header, message: message)
    }

    /// `line 3, column B (类别)`, `line 3, column B`, `line 3`, or empty for the whole file.
    public var place: String {
        guard let line else { return "" }
        guard let column else { return "line \(line)" }
        return "line \(line), column \(Ledger.columnLetter(column))" + (header.map { " (\($0))" } ?? "")
    }

    /// The place and the message as one sentence, as the CLI prints it.
    public var sentence: String { place.isEmpty ? message : "\(place): \(message)" }
}

/// A ledger file refused before anything is written: every problem with its place, and the one sentence the CLI
/// prints (which may say more than the problems, e.g. the accepted headers).
public struct LedgerRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, in file order.
    public var problems: [LedgerProblem]
    /// One sentence for a terminal.
    public var message: String

    /// A refusal with one problem, told as its sentence.
    public init(_ problem: LedgerProblem) {
        problems = [problem]
        message = problem.sentence
    }

    /// A refusal with several problems and the sentence that tells them all.
    public init(_ problems: [LedgerProblem], message: String) {
        self.problems = problems
        self.message = message
    }

    public var description: String { message }

    /// The refusal as the error every command reports.
    public var error: BanliError { BanliError(.corruptInput, message) }
}
