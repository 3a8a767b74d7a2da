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
        let suffix = fields.isEmpty ? "" : " " + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line: String
        if underJournal {
            line = "<\(Self.priority(event.level))>\(event.message)\(suffix)\n"
        } else {
            line = "\(Date().formatted(.iso8601)) \(event.level) \(label): \(event.message)\(suffix)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
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
