import BanliCore
import Foundation
import Logging

/// A log handler for journald: one line per message on stderr, with the syslog priority prefix
/// (`<6>`) that journald turns into the entry's level. On a terminal it prints a timestamp instead.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let underJournal: Bool

    public init(label: String, level: Logger.Level, underJournal: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil) {
        self.label = label
        self.logLevel = level
        self.underJournal = underJournal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let m = event.metadata { fields.merge(m) { $1 } }
        let suffix = fields.isEmpty ? "" : " " + fields.sorted { $0.key < $1.key }
            .map { "\(Self.quoted($0.key))=\(Self.quoted("\($0.value)"))" }
            .joined(separator: " ")
        // Messages and metadata carry values from the network (entity keys, reasons): escaped, so none
        // can start a forged line or send escape sequences to whoever reads the log on a terminal.
        let message = TerminalText.escaped("\(event.message)")
        let line: String
        if underJournal {
            line = "<\(Self.priority(event.level))>\(message)\(suffix)\n"
        } else {
            line = "\(Date().formatted(.iso8601)) \(event.level) \(label): \(message)\(suffix)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// A metadata key or value as logged: as it is when plain, else as a JSON string (quotes, spaces, `=`
    /// and control characters escaped), so `key=value` pairs cannot be forged either.
    static func quoted(_ s: String) -> String {
        let plain = !s.isEmpty && !s.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || TerminalText.isUnsafe($0) }
        if plain { return s }
        var out = ""
        JSONValue.writeString(s, to: &out)
        return TerminalText.escapedJSON(out)
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Parses a config log level.
    public static func level(_ s: String?) -> Logger.Level? {
        guard let s else { return .info }
        return Logger.Level(rawValue: s.lowercased())
    }
}
