import BanliCore
import BanliHub
import BanliOffice
import BanliOps
import BanliProtocol
import BanliRemind
import BanliSync
import Foundation
import TOMLKit

/// The TOML config of a bureau daemon or a hub (see config/banli.toml and config/hub.toml).
/// Empty strings count as unset. Unknown keys and wrong types are errors naming the file, key and line.
struct BanliConfig {
    /// Bureau commands read this file when neither --config nor $BANLI_CONFIG names one.
    static let defaultPath = "/etc/banli/banli.toml"
    /// Hub commands (`banli hub …`) read this one instead.
    static let hubDefaultPath = "/etc/banli/hub.toml"

    var path: String?
    /// "FILE line N, key 'k'" for every key the file set, so checks made after loading can name them too.
    private var locations: [String: String] = [:]
    /// Off loopback, plain HTTP (clear-text tokens) only when the operator says so.
    var allowPlainHTTP = false
    // Both
    var store: String?
    var logLevel: String?
    var deadlines = Deadlines()
    // Bureau
    var site: String?
    /// `hub_url`: the hub's URLs in failover order (one, usually); empty when unset.
    var hubURLs: [String] = []
    var tokenFile: String?
    var interval: Double = 60
    var batchLimit = 500
    var metricsListen: String?
    var transport = TransportOptions()
    /// The `[[hub]]` entries: one per office this bureau answers to (empty: the top-level hub_url, one office).
    var hubs: [HubEntry] = []
    // Hub
    var listen: String?
    var adminListen: String?
    /// `public_listen`: the deputies' listener, serving only the one-time feedback links (`/f/{token}`); nil: not served.
    var publicListen: String?
    /// `public_url`: the links' base as deputies reach it (through a proxy); nil: built from `public_listen`.
    var publicURL: String?
    var maxBodyBytes = 8 << 20
    var keyFile: String?
    /// The hub database's password file (a PostgreSQL store; its first line).
    var passwordFile: String?
    var staleAfterIntervals: Double = 3
    /// The office's time zone (`time_zone`, an IANA name), for the times on the status page.
    var timeZone = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600)!
    var tlsCertFile: String?
    var tlsKeyFile: String?
    var tlsClientCAFile: String?
    var unitInterval: Double = 60
    var rateLimit: Double = 0
    var rateBurst: Double = 20
    var connections = ConnectionLimits()
    // The workbench (`banli web`), both
    /// `[web] accounts`: the accounts file; nil: web.db beside the store.
    var webAccounts: String?
    var web = WebConfig()
    /// `[reminders]`, `[reminders.smtp]`, `[reminders.webhook]`: deadline reminders (督办提醒), both.
    var reminders = ReminderSettings()

    /// The `[web]` section: the workbench's listener and sessions.
    struct WebConfig {
        var listen: String?
        var certFile: String?
        var keyFile: String?
        var behindProxy = false
        var sessionIdleMinutes = 30
        var sessionMaxHours = 12
        var statusURL: String?
    }

    init() {}

    private enum Kind { case string, stringOrArray, number, integer, bool }

    /// Every key the config may hold, by section ("" = top level).
    private static let keys: [String: [String: Kind]] = [
        "": [
            "site": .string, "store": .string, "hub_url": .stringOrArray, "token_file": .string, "interval": .number,
            "batch_limit": .integer, "log_level": .string, "metrics_listen": .string, "listen": .string,
            "admin_listen": .string, "max_body_bytes": .integer, "key_file": .string, "password_file": .string,
            "stale_after_intervals": .number, "unit_interval": .number, "rate_limit": .number, "rate_burst": .number,
            "allow_plain_http": .bool, "time_zone": .string, "public_listen": .string, "public_url": .string,
        ],
        "tls": ["ca_file": .string, "client_cert": .string, "client_key": .string, "cert_file": .string, "key_file": .string, "client_ca_file": .string],
        "network": ["proxy": .string, "connect_timeout": .number, "request_timeout": .number, "compression": .bool],
        "deadlines": ["reply_months": .integer, "opinion_months": .integer],
        "connections": ["header_timeout": .number, "idle_timeout": .number, "body_timeout": .number],
        "web": [
            "accounts": .string, "listen": .string, "cert_file": .string, "key_file": .string, "behind_proxy": .bool,
            "session_idle_minutes": .integer, "session_max_hours": .integer, "status_url": .string,
        ],
        "reminders": ["lead_days": .stringOrArray, "overdue_every_days": .integer, "to": .stringOrArray, "interval": .number, "mail_handlers": .bool],
        "reminders.smtp": ["url": .string, "starttls": .bool, "from": .string, "user": .string, "password_file": .string, "ca_file": .string],
        "reminders.webhook": ["url": .string, "shape": .string],
    ]

    /// Reads and checks a config file.
    static func load(path: String) throws -> BanliConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BanliError(.config, "Cannot read the config file \(path); check that it exists and is readable.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw BanliError(.config, "The config file \(path) is not UTF-8 text; save it as UTF-8.")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw BanliError(.config, "\(path) line \(e.source.begin.line): \(e.description); fix the TOML syntax there.")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func where_(_ section: String, _ key: String) -> String {
            "\(path) line \(lineOf(key, section: section, in: lines)), key '\(section.isEmpty ? key : section + "." + key)'"
        }
        var values: [String: TOMLValueConvertible] = [:]
        var hubValue: TOMLValueConvertible?
        for (key, value) in table {
            if key == "hub" {
                hubValue = value
                continue
            }
            if let sub = value.table {
                guard let known = keys[key], !key.isEmpty else {
                    throw BanliError(.config, "\(path) line \(lineOf("[\(key)]", section: nil, in: lines)): unknown section [\(key)]; "
                                     + "the sections are [tls], [network], [deadlines], [connections], [web], [reminders] and [[hub]].")
                }
                for (k, v) in sub {
                    // A table inside a section: [reminders.smtp].
                    if let nested = v.table, let knownNested = keys[key + "." + k] {
                        for (k2, v2) in nested {
                            guard knownNested[k2] != nil else {
                                throw BanliError(.config, "\(where_(key + "." + k, k2)): unknown key; see config/banli.toml or config/hub.toml for the keys.")
                            }
                            values[key + "." + k + "." + k2] = v2
                        }
                        continue
                    }
                    guard known[k] != nil else {
                        throw BanliError(.config, "\(where_(key, k)): unknown key; see config/banli.toml or config/hub.toml for the keys.")
                    }
                    values[key + "." + k] = v
                }
            } else {
                guard keys[""]![key] != nil else {
                    throw BanliError(.config, "\(where_("", key)): unknown key; see config/banli.toml or config/hub.toml for the keys.")
                }
                values[key] = value
            }
        }
        func string(_ k: String) throws -> String? {
            guard let v = values[k] else { return nil }
            let (section, key) = split(k)
            guard let s = v.string else { throw BanliError(.config, "\(where_(section, key)): must be a string in quotes.") }
            return s.isEmpty ? nil : s
        }
        func number(_ k: String, _ range: ClosedRange<Double>) throws -> Double? {
            guard let v = values[k] else { return nil }
            let (section, key) = split(k)
            guard let d = v.double ?? v.int.map(Double.init), range.contains(d) else {
                throw BanliError(.config, "\(where_(section, key)): must be a number from \(range.lowerBound) to \(range.upperBound).")
            }
            return d
        }
        func bool(_ k: String) throws -> Bool? {
            guard let v = values[k] else { return nil }
            let (section, key) = split(k)
            guard let b = v.bool else { throw BanliError(.config, "\(where_(section, key)): must be true or false.") }
            return b
        }
        func listenAddress(_ k: String) throws -> String? {
            guard let s = try string(k) else { return nil }
            guard (try? ListenAddress(parsing: s, option: k)) != nil else {
                throw BanliError(.config, "\(where_("", k)): '\(s)' is not HOST:PORT (for example 127.0.0.1:8481).")
            }
            return s
        }
        func integer(_ k: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let v = values[k] else { return nil }
            let (section, key) = split(k)
            guard let i = v.int, range.contains(i) else {
                throw BanliError(.config, "\(where_(section, key)): must be a whole number from \(range.lowerBound) to \(range.upperBound).")
            }
            return i
        }
        var c = BanliConfig()
        c.path = path
        for k in values.keys {
            let (section, key) = split(k)
            c.locations[k] = where_(section, key)
        }
        c.store = try string("store")
        c.site = try string("site")
        if let s = c.site, !Identifier.isValid(s) {
            throw BanliError(.config, "\(where_("", "site")): '\(s)' is not a valid site name (lowercase letters, digits, '.', '_', '-').")
        }
        c.allowPlainHTTP = try bool("allow_plain_http") ?? false
        c.hubURLs = try values["hub_url"].map { try hubURLs($0, at: where_("", "hub_url"), allowPlainHTTP: c.allowPlainHTTP) } ?? []
        c.tokenFile = try string("token_file")
        c.interval = try number("interval", 0.2...86_400) ?? c.interval
        c.batchLimit = try integer("batch_limit", 1...SyncRequestEnvelope.maxLimit) ?? c.batchLimit
        c.logLevel = try string("log_level")
        if JournalLogHandler.level(c.logLevel) == nil {
            throw BanliError(.config, "\(where_("", "log_level")): must be trace, debug, info, notice, warning, error or critical.")
        }
        c.metricsListen = try listenAddress("metrics_listen")
        c.listen = try listenAddress("listen")
        c.adminListen = try listenAddress("admin_listen")
        c.publicListen = try listenAddress("public_listen")
        c.publicURL = try string("public_url")
        if let u = c.publicURL, !(u.hasPrefix("https://") || u.hasPrefix("http://")) || u.dropFirst(8).isEmpty {
            throw BanliError(.config, "\(where_("", "public_url")): '\(u)' is not an http(s) URL (for example https://yijian.example.gov.cn).")
        }
        c.maxBodyBytes = try integer("max_body_bytes", 1024...(1 << 30)) ?? c.maxBodyBytes
        c.keyFile = try string("key_file")
        c.passwordFile = try string("password_file")
        c.staleAfterIntervals = try number("stale_after_intervals", 1...1000) ?? c.staleAfterIntervals
        if let name = table["time_zone"]?.string {
            guard let zone = TimeZone(identifier: name) else {
                throw BanliError(.config, "time_zone = \"\(name)\" in \(path) is not a time zone; use an IANA name such as Asia/Shanghai.")
            }
            c.timeZone = zone
        }
        c.unitInterval = try number("unit_interval", 0.2...86_400) ?? c.unitInterval
        c.rateLimit = try number("rate_limit", 0...100_000) ?? c.rateLimit
        c.rateBurst = try number("rate_burst", 1...100_000) ?? c.rateBurst
        c.tlsCertFile = try string("tls.cert_file")
        c.tlsKeyFile = try string("tls.key_file")
        c.tlsClientCAFile = try string("tls.client_ca_file")
        if (c.tlsCertFile == nil) != (c.tlsKeyFile == nil) {
            let given = c.tlsCertFile == nil ? "key_file" : "cert_file"
            throw BanliError(.config, "\(where_("tls", given)): [tls] needs both cert_file and key_file for the hub to serve TLS.")
        }
        c.transport.caFile = try string("tls.ca_file")
        c.transport.clientCert = try string("tls.client_cert")
        c.transport.clientKey = try string("tls.client_key")
        c.transport.proxy = try string("network.proxy")
        c.transport.connectTimeout = try number("network.connect_timeout", 0.1...600) ?? c.transport.connectTimeout
        c.transport.requestTimeout = try number("network.request_timeout", 0.5...3600) ?? c.transport.requestTimeout
        c.transport.compression = try bool("network.compression") ?? c.transport.compression
        c.deadlines.replyMonths = try integer("deadlines.reply_months", 1...24) ?? c.deadlines.replyMonths
        c.deadlines.opinionMonths = try integer("deadlines.opinion_months", 1...24) ?? c.deadlines.opinionMonths
        c.connections.headerTimeout = try number("connections.header_timeout", 1...3600) ?? c.connections.headerTimeout
        c.connections.idleTimeout = try number("connections.idle_timeout", 1...3600) ?? c.connections.idleTimeout
        c.connections.bodyTimeout = try number("connections.body_timeout", 1...3600) ?? c.connections.bodyTimeout
        c.webAccounts = try string("web.accounts")
        c.web.listen = try string("web.listen")
        if let l = c.web.listen, (try? ListenAddress(parsing: l, option: "listen")) == nil {
            throw BanliError(.config, "\(where_("web", "listen")): '\(l)' is not HOST:PORT (for example 127.0.0.1:8490).")
        }
        c.web.certFile = try string("web.cert_file")
        c.web.keyFile = try string("web.key_file")
        if (c.web.certFile == nil) != (c.web.keyFile == nil) {
            let given = c.web.certFile == nil ? "key_file" : "cert_file"
            throw BanliError(.config, "\(where_("web", given)): [web] needs both cert_file and key_file for the workbench to serve TLS.")
        }
        c.web.behindProxy = try bool("web.behind_proxy") ?? false
        c.web.sessionIdleMinutes = try integer("web.session_idle_minutes", 1...1440) ?? c.web.sessionIdleMinutes
        c.web.sessionMaxHours = try integer("web.session_max_hours", 1...168) ?? c.web.sessionMaxHours
        c.web.statusURL = try string("web.status_url")
        c.reminders = try reminderSettings(values: values, at: { where_(split($0).0, split($0).1) }, string: string, bool: bool,
                                           integer: integer, number: number)
        if let hubValue {
            // One hub per office: a top-level hub would be a second, unnamed office.
            for key in singleHubKeys where values[key] != nil {
                throw BanliError(.config, "\(where_("", key)): top-level \(key) cannot stand beside [[hub]] entries; "
                                 + "give each office its own \(key == "hub_url" ? "url" : key) in its [[hub]] entry.")
            }
            c.hubs = try hubEntries(hubValue, path: path, lines: lines, defaults: c)
            for e in c.hubs {
                for (k, at) in e.locations { c.locations["hub[\(e.office)].\(k)"] = at }
            }
        }
        return c
    }

    /// Where the file set `key` ("tls.ca_file" for a section's key), or nil when it did not.
    func location(_ key: String) -> String? { locations[key] }

    /// Runs a check of a value taken from the file; its error then names the file, line and key.
    func checking<T>(_ key: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as BanliError {
            guard let at = locations[key] else { throw e }
            throw BanliError(e.code, "\(at): \(e.message.prefix(1).lowercased() + e.message.dropFirst())")
        }
    }

    /// A key's section and name: the name follows the last dot (`reminders.smtp.url` is `url` in [reminders.smtp]).
    static func split(_ k: String) -> (String, String) {
        guard let dot = k.lastIndex(of: ".") else { return ("", k) }
        return (String(k[..<dot]), String(k[k.index(after: dot)...]))
    }

    /// The 1-based line where `key` is assigned in `section` (nil section: find the text itself).
    private static func lineOf(_ key: String, section: String?, in lines: [String]) -> Int {
        var current = ""
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmedWhitespace
            guard let section else {
                if line.hasPrefix(key) { return i + 1 }
                continue
            }
            if line.hasPrefix("[") {
                current = String(line.dropFirst().prefix { $0 != "]" }).trimmedWhitespace
                continue
            }
            if current == section, line.hasPrefix(key) {
                let rest = String(line.dropFirst(key.count)).trimmedWhitespace
                if rest.hasPrefix("=") { return i + 1 }
            }
        }
        return 1
    }
}

extension BanliConfig {
    /// The base of the one-time feedback links as deputies open them: `public_url`, else built from `public_listen`.
    func feedbackLinkBase() throws -> String {
        if let u = publicURL { return u.hasSuffix("/") ? String(u.dropLast()) : u }
        let file = path ?? Self.hubDefaultPath
        guard let listen = publicListen, let address = try? ListenAddress(parsing: listen, option: "public_listen") else {
            throw BanliError(.config, "\(file) sets neither public_url nor public_listen, so there is no address for the link; "
                             + "set public_url (or public_listen) in hub.toml and pass it with --config.")
        }
        guard !["0.0.0.0", "::", ""].contains(address.host) else {
            throw BanliError(.config, "public_listen = \"\(listen)\" in \(file) listens on every address, which is no address to send; "
                             + "set public_url to the address deputies open (for example https://yijian.example.gov.cn).")
        }
        return "http://\(address)"
    }
}
