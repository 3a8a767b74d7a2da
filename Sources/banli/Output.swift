import BanliCore
import BanliOffice
import BanliOps
import Foundation

/// Printing for people and scripts. Everything printed may hold values other units wrote, so text goes
/// through `TerminalText` here, in one place: commands build their lines and never escape themselves.
enum Output {
    /// Prints text (a line, or several) to stdout, control characters escaped.
    static func line(_ s: String) {
        print(TerminalText.escaped(s, keepingNewlines: true))
    }

    /// Prints a JSON value on one line; still exact JSON, with nothing a terminal would act on.
    static func json(_ v: JSONValue) {
        json(canonical: v.canonicalJSON)
    }

    /// Prints JSON text already written in canonical form (a large report written entry by entry), as `json(_:)` does.
    static func json(canonical text: String) {
        print(TerminalText.escapedJSON(text))
    }

    /// Prints a warning to stderr.
    static func warn(_ s: String) {
        FileHandle.standardError.write(Data("banli: warning: \(TerminalText.escaped(s))\n".utf8))
    }

    /// Prints the error as one sentence on stderr and exits non-zero.
    static func fail(_ e: BanliError) -> Never {
        FileHandle.standardError.write(Data("banli: \(TerminalText.escaped(e.message))\n".utf8))
        exit(e.exitCode)
    }

    /// A value as a clerk reads it (`FieldSpec.display`).
    static func display(_ v: JSONValue, spec: FieldSpec?) -> String { FieldSpec.display(v, spec: spec) }
}
