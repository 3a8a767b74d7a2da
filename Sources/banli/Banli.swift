import ArgumentParser
import BanliCore
import BanliOffice
import BanliProtocol
import BanliSync
import Foundation

/// The `banli` command: one executable for bureaus, the office's hub and clerks.
@main
struct Banli: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "banli",
        abstract: "Banli (办理): keep every unit's record of suggestions and proposals consistent.",
        version: "banli \(banliVersion)",
        subcommands: [
            InitCommand.self, HubCommand.self, ItemCommand.self, DumpCommand.self, ApplyCommand.self,
            ConflictsCommand.self, ResolveCommand.self, SyncCommand.self, DaemonCommand.self, StatusCommand.self, ReportCommand.self,
            DemoCommand.self, ImportCommand.self, ExportCommand.self, BackupCommand.self, HistoryCommand.self,
            UserCommand.self, WebCommand.self,
        ]
    )

    static func main() async {
        // Stores, their -wal/-shm files, backups, keys, tokens and lock files hold the office's records and
        // secrets: nothing this process creates is readable by other users (SQLite gives -wal/-shm the
        // database file's mode). Files that matter also get an explicit 0600 where they are created.
        umask(0o077)
        do {
            var command = try parseAsRoot(hoistingGlobalOptions(Array(CommandLine.arguments.dropFirst())))
            GlobalOptions.runningHubCommand.store(type(of: command) is HubSubcommand.Type, ordering: .relaxed)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as BanliError {
            Output.fail(error)
        } catch let refusal as WorkflowRefusal {
            Output.fail(refusal.error)
        } catch {
            exit(withError: error)
        }
    }
}

/// `banli --store DB item new …`: global options may come before the command; every command
/// declares them, so they are moved behind the command words for the parser.
func hoistingGlobalOptions(_ args: [String]) -> [String] {
    var leading: [String] = []
    var rest = args[...]
    while let first = rest.first {
        if first == "--store" || first == "--config" || first == "--office", rest.count >= 2 {
            leading += rest.prefix(2)
            rest = rest.dropFirst(2)
        } else if first.hasPrefix("--store=") || first.hasPrefix("--config=") || first.hasPrefix("--office=") {
            leading.append(first)
            rest = rest.dropFirst()
        } else {
            break
        }
    }
    guard !leading.isEmpty else { return args }
    // Put them right after the subcommand words, before any "--" terminator.
    var words = 0
    for a in rest {
        guard !a.hasPrefix("-"), Banli.isCommandWord(a) else { break }
        words += 1
    }
    return Array(rest.prefix(words)) + leading + Array(rest.dropFirst(words))
}

extension Banli {
    static let commandWords: Set<String> = [
        "init", "hub", "item", "dump", "apply", "conflicts", "resolve", "add-unit", "new", "assign", "set",
        "show", "list", "sync", "daemon", "status", "report", "import", "export", "demo", "serve",
        "rotate-token", "remove-unit", "add-operator", "history", "backup", "reassign", "extend", "feedback",
        "rehandle", "close", "category", "accept", "return", "request-extension", "handler", "contact", "opinion",
        "reply", "track", "form", "feedback-link",
        "set-unit", "migrate", "web",
        "user", "add", "passwd", "disable", "enable",
    ]

    static func isCommandWord(_ s: String) -> Bool { commandWords.contains(s) }
}
