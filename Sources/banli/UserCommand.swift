import ArgumentParser
import BanliAccounts
import BanliCore
import BanliPages
import BanliPostgres
import BanliStore
import Foundation

/// `banli user …`: the web workbench's accounts, in their own file beside the store (or `[web] accounts`).
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage the web workbench's accounts (网页工作台账号).",
        subcommands: [UserAdd.self, UserPasswd.self, UserDisable.self, UserEnable.self, UserList.self])
}

/// Where the accounts file is, for every `banli user` command.
struct AccountsOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("accounts"), help: "The web accounts file (default: [web] accounts in the config, else web.db beside the store).")
    var accountsFile: String?

    /// --accounts, else `[web] accounts`, else web.db in the folder of the store (--store, --office's entry, `store`,
    /// or the first [[hub]] entry's). A PostgreSQL store has no folder, so it needs `[web] accounts`.
    func path() throws -> String {
        if let accountsFile { return accountsFile }
        let config = try global.loadConfig()
        if let web = config.webAccounts { return web }
        let store = try global.store ?? global.office.map { try config.hubEntry($0).store } ?? config.store ?? config.hubs.first?.store
        guard let store else {
            throw BanliError(.usage, "No accounts file given; pass --accounts PATH, or set [web] accounts or the store in "
                             + "\(config.path ?? GlobalOptions.defaultConfigPath).")
        }
        guard !PostgresLocation.isPostgres(store) else {
            throw BanliError(.config, "The store is a PostgreSQL database, so the accounts file has no default place; set [web] accounts "
                             + "in \(config.path ?? GlobalOptions.defaultConfigPath) (or pass --accounts PATH).")
        }
        let folder = (store as NSString).deletingLastPathComponent
        return folder.isEmpty ? "web.db" : folder + "/web.db"
    }

    /// The accounts; an existing file unless `creating` (only `user add` makes the file).
    func open(creating: Bool = false, policy: SessionPolicy = SessionPolicy()) throws -> Accounts {
        let path = try path()
        if !creating, !FileManager.default.fileExists(atPath: path) {
            throw BanliError(.notFound, "No accounts file at \(path); add the first account with 'banli user add NAME --role admin'.")
        }
        return Accounts(store: try AccountDatabase.open(at: path), policy: policy)
    }
}

/// Reads a new password: its file's first line, the terminal without echo (twice), or one line of piped input.
struct PasswordInput: ParsableArguments {
    @Option(help: "Read the password from this file's first line (default: ask on the terminal, or read one line from piped input).")
    var passwordFile: String?

    /// The password, never echoed or printed.
    func read() throws -> String {
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile), let text = String(data: data, encoding: .utf8) else {
                throw BanliError(.usage, "Cannot read the password file \(passwordFile); check that it exists, is readable and is UTF-8 text.")
            }
            return Self.firstLine(text)
        }
        guard isatty(STDIN_FILENO) == 1 else {
            guard let line = readLine(strippingNewline: true) else {
                throw BanliError(.usage, "No password on standard input; pipe it as one line, or use --password-file FILE.")
            }
            return Self.firstLine(line)
        }
        let first = try Self.askWithoutEcho("新密码（至少 \(Accounts.minimumPasswordLength) 个字符）: ")
        try Accounts.checkPassword(first)
        let again = try Self.askWithoutEcho("再输入一次: ")
        guard first == again else {
            throw BanliError(.usage, "两次输入的密码不一致；请重新运行命令再输入一次。")
        }
        return first
    }

    /// `text` up to its first line break (a trailing CR of a Windows file dropped).
    static func firstLine(_ text: String) -> String {
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return line.hasSuffix("\r") ? String(line.dropLast()) : line
    }

    /// One line from the terminal with echo off (as getpass does), the prompt on stderr.
    static func askWithoutEcho(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else {
            throw BanliError(.io, "Cannot read the terminal's settings: \(BanliError.systemText(errno)); use --password-file FILE.")
        }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        // Ctrl-C while typing must not leave the terminal without echo.
        terminalBeforePrompt = saved
        signal(SIGINT) { _ in
            tcsetattr(STDIN_FILENO, TCSANOW, &terminalBeforePrompt)
            _exit(130)
        }
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        let line = readLine(strippingNewline: true)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
        signal(SIGINT, SIG_DFL)
        FileHandle.standardError.write(Data("\n".utf8))
        guard let line else { throw BanliError(.usage, "No password given; type it, or use --password-file FILE.") }
        return line
    }
}

/// The terminal's settings before a password prompt, for the SIGINT handler to restore (a C handler captures nothing).
nonisolated(unsafe) private var terminalBeforePrompt = termios()

/// `banli user add NAME --role ROLE`: a new account.
struct UserAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a web account (the accounts file is made if needed).")

    @OptionGroup var options: AccountsOptions
    @OptionGroup var password: PasswordInput
    @Argument(help: "The login name (1–64 characters, no spaces; Chinese is fine).") var name: String
    @Option(help: "clerk (承办人员), viewer (只读), office (交办机关工作人员) or admin (管理员).") var role: String

    func run() throws {
        // Every check before anything is read or written, so a bad call leaves no file behind.
        let webRole = try WebRole(parsing: role)
        try Accounts.checkName(name)
        let secret = try password.read()
        try Accounts.checkPassword(secret)
        try options.open(creating: true).addUser(name, role: webRole, password: secret, now: HybridLogicalClock.wallMilliseconds())
        Output.line("Added the web account \(name) (\(webRole.rawValue) \(webRole.label)).")
    }
}

/// `banli user passwd NAME`: a new password; the account's sessions end.
struct UserPasswd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "passwd", abstract: "Set a web account's password (signs it out everywhere).")

    @OptionGroup var options: AccountsOptions
    @OptionGroup var password: PasswordInput
    @Argument(help: "The login name.") var name: String

    func run() throws {
        let accounts = try options.open()
        guard try accounts.user(named: name) != nil else { throw Accounts.unknownUser(name) }
        let secret = try password.read()
        try accounts.setPassword(name, password: secret, now: HybridLogicalClock.wallMilliseconds())
        Output.line("Set a new password for \(name); its web sessions have ended.")
    }
}

/// `banli user disable NAME`: the account cannot log in, and its sessions end.
struct UserDisable: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable a web account (signs it out everywhere).")

    @OptionGroup var options: AccountsOptions
    @Argument(help: "The login name.") var name: String

    func run() throws {
        try options.open().setDisabled(name, true)
        Output.line("Disabled the web account \(name) (已停用); its web sessions have ended.")
    }
}

/// `banli user enable NAME`: a disabled account may log in again.
struct UserEnable: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable a disabled web account again.")

    @OptionGroup var options: AccountsOptions
    @Argument(help: "The login name.") var name: String

    func run() throws {
        try options.open().setDisabled(name, false)
        Output.line("Enabled the web account \(name).")
    }
}

/// `banli user list`: every account, one row each.
struct UserList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the web accounts: name, role, state, created.")

    @OptionGroup var options: AccountsOptions

    func run() throws {
        var table = TextTable(header: ["账号", "角色", "状态", "创建时间"])
        for u in try options.open().users() {
            let created = Date(timeIntervalSince1970: Double(u.createdAt) / 1000).formatted(.iso8601)
            table.add([u.name, "\(u.role.rawValue) \(u.role.label)", u.disabled ? "已停用" : "正常", created])
        }
        Output.line(table.render())
    }
}
