import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliOps
import BanliProtocol
import BanliStore
import Foundation

/// `banli dump`: every field state, sorted by (entity, field).
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump", abstract: "Print every field state, one per line (with --json: the pinned FieldState lines).")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print the pinned FieldState JSON lines, the input of 'banli apply'.") var json = false

    func run() throws {
        let store = try global.openStore()
        let hub = store.info.hubSite
        var out = ""
        for f in try store.allFields() {
            // Written straight to stdout, so made terminal-safe here (the JSON lines stay exact JSON).
            if json {
                out += TerminalText.escapedJSON(f.jsonLine(hubSite: hub))
            } else {
                var line = "\(f.entity) \(f.field) = \(f.visibleValue(hubSite: hub).canonicalJSON)"
                if f.state.isConflict { line += "  [conflict: \(f.state.siblings.map { "\($0.site): \($0.value.canonicalJSON)" }.joined(separator: " | "))]" }
                out += TerminalText.escaped(line)
            }
            out += "\n"
            if out.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(out.utf8))
                out = ""
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}

/// `banli apply`: join FieldState lines into the store — the offline exchange.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply", abstract: "Join FieldState lines (the 'dump --json' format) from a file or stdin; all or nothing.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "A file of FieldState lines, or - for standard input.") var file: String

    func run() throws {
        let store = try global.openSQLiteStore()
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let d = FileManager.default.contents(atPath: file) else {
                throw BanliError(.io, "Cannot read \(file); check the path and its permissions.")
            }
            data = d
        }
        // Lines found in an array, not by `Data.split`: that took a fifth of a 100,000-line apply (figure 1b's profile).
        let bytes = [UInt8](data)
        var fields: [ReplicatedField] = []
        var lineNumber = 0
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            let line = bytes[start..<end]
            start = end + 1
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            do {
                fields.append(try ReplicatedField(jsonLine: line))
            } catch let e as BanliError {
                throw BanliError(.corruptInput, "\(file == "-" ? "stdin" : file) line \(lineNumber): \(e.message) Nothing was applied.")
            }
        }
        let outcome = try store.apply(fields, via: file == "-" ? "file:stdin" : "file:" + (file as NSString).lastPathComponent)
        Output.line("Applied \(outcome.received) states: \(outcome.changed) changed the store, \(outcome.newConflicts.count) new conflicts.")
        for c in outcome.newConflicts { Output.line("  conflict: " + ConflictsCommand.describe(c, hubSite: store.info.hubSite)) }
    }
}
