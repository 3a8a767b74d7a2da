import BanliCore
import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// Where a hub's PostgreSQL database is: `postgresql://user@host:port/db?sslmode=…&sslrootcert=…` (also `postgres://`).
///
/// A host that is a path (`?host=/run/postgresql`, or `postgresql://user@%2Frun%2Fpostgresql/db`) names the
/// folder of the server's Unix socket, `DIR/.s.PGSQL.PORT`. Passwords never come from the URL: they come from
/// `password_file` (its first line), else from `PGPASSFILE` or `~/.pgpass`, as libpq reads them.
public struct PostgresLocation: Sendable, Equatable {
    /// How to reach the server.
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The folder holding the server's socket.
        case socket(directory: String, port: Int)
    }

    /// TLS to the database, as libpq's `sslmode` (the values Banli supports).
    public enum SSLMode: String, Sendable, Equatable, CaseIterable {
        /// No TLS (the default).
        case disable
        /// TLS without checking the server's certificate.
        case require
        /// TLS, the certificate checked against the trusted authorities (the system's, or `sslrootcert`'s) and the host name.
        case verifyFull = "verify-full"
    }

    public var endpoint: Endpoint
    public var user: String
    public var database: String
    public var sslMode: SSLMode
    /// The PEM file of the authorities trusted for `verify-full` instead of the system's (libpq's `sslrootcert`), if any.
    public var sslRootCert: String?
    /// The file whose first line is the password (`password_file`), if any.
    public var passwordFile: String?

    public static let defaultPort = 5432

    /// True when `store` names a PostgreSQL database rather than an SQLite file.
    public static func isPostgres(_ store: String) -> Bool {
        let lower = store.lowercased()
        return lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://")
    }

    /// Parses a `postgresql://` URL; `passwordFile` is the configured `password_file`.
    public init(parsing url: String, passwordFile: String? = nil) throws {
        guard Self.isPostgres(url) else {
            throw Self.malformed("it must start with postgresql:// (for example postgresql://banli@db.example:5432/banli)")
        }
        guard !url.unicodeScalars.contains(where: { Self.isUnsafe($0) || $0 == " " }) else {
            throw Self.malformed("it holds a space, line break or control character; write it on one line, percent-encoding what needs it")
        }
        var rest = Substring(url[url.index(after: url.firstIndex(of: ":")!)...].dropFirst(2))
        var queryText: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        guard let slash = rest.firstIndex(of: "/") else {
            throw Self.malformed("it names no database; end it with /DATABASE (for example postgresql://banli@localhost/banli)")
        }
        let authority = rest[..<slash]
        let database = try Self.decoded(rest[rest.index(after: slash)...], "the database name")
        guard !database.isEmpty, !database.contains("/") else {
            throw Self.malformed("the database name after the host is empty or holds a '/'; write postgresql://user@host/DATABASE")
        }
        guard let at = authority.lastIndex(of: "@") else {
            throw Self.malformed("it names no database user; write postgresql://USER@host/db")
        }
        let userInfo = authority[..<at]
        guard !userInfo.contains(":") else {
            throw BanliError(.config, "The PostgreSQL URL holds a password; passwords never go on the command line or in hub.toml; "
                             + "use password_file (or PGPASSFILE) instead.")
        }
        let user = try Self.decoded(userInfo, "the user name")
        guard !user.isEmpty else { throw Self.malformed("the user name before '@' is empty; write postgresql://USER@host/db") }

        var hostPort = authority[authority.index(after: at)...]
        var portText: Substring?
        var host: String
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw Self.malformed("an IPv6 address opened with '[' is never closed") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Self.malformed("only ':PORT' may follow an IPv6 address's ']'") }
                portText = after.dropFirst()
            }
        } else {
            if let colon = hostPort.lastIndex(of: ":") {
                portText = hostPort[hostPort.index(after: colon)...]
                hostPort = hostPort[..<colon]
            }
            host = try Self.decoded(hostPort, "the host")
        }
        var port = Self.defaultPort
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p), portText.allSatisfy(\.isASCII) else {
                throw Self.malformed("the port '\(portText)' is not a number from 1 to 65535")
            }
            port = p
        }
        var sslMode = SSLMode.disable
        var sslRootCert: String?
        var seen: Set<String> = []
        for pair in queryText.split(separator: "&", omittingEmptySubsequences: false) where !(pair.isEmpty && queryText.isEmpty) {
            guard let eq = pair.firstIndex(of: "=") else { throw Self.malformed("the parameter '\(pair)' has no '=value'") }
            let name = String(pair[..<eq]), value = try Self.decoded(pair[pair.index(after: eq)...], "the parameter \(pair[..<eq])")
            guard seen.insert(name).inserted else { throw Self.malformed("the parameter '\(name)' is given twice; give it once") }
            switch name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw Self.malformed("sslmode '\(value)' is not supported; use disable, require or verify-full")
                }
                sslMode = mode
            case "sslrootcert":
                guard !value.isEmpty else { throw Self.malformed("sslrootcert is empty; give the path of a PEM file of trusted authorities") }
                sslRootCert = value
            case "host":
                guard host.isEmpty else { throw Self.malformed("it names the host twice (before the database and in ?host=); give it once") }
                host = value
            default:
                throw Self.malformed("the parameter '\(name)' is not supported; Banli reads only sslmode, sslrootcert and host")
            }
        }
        if sslRootCert != nil, sslMode != .verifyFull {
            throw Self.malformed("sslrootcert applies only with sslmode=verify-full, which checks the server's certificate; "
                                 + "add sslmode=verify-full or drop sslrootcert")
        }
        guard !host.isEmpty else {
            throw Self.malformed("it names no server; write postgresql://user@HOST:port/db, or ?host=/run/postgresql for a Unix socket")
        }
        if host.hasPrefix("/") {
            guard sslMode == .disable else {
                throw Self.malformed("sslmode=\(sslMode.rawValue) applies to TCP connections, not to the Unix socket in \(host); drop it")
            }
            endpoint = .socket(directory: host, port: port)
        } else {
            guard host.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || "0123456789.-_:".unicodeScalars.contains($0)) })
            else { throw Self.malformed("the host '\(host)' is not a host name or IP address") }
            endpoint = .tcp(host: host, port: port)
        }
        self.user = user
        self.database = database
        self.sslMode = sslMode
        self.sslRootCert = sslRootCert
        self.passwordFile = passwordFile
    }

    /// The location as logs and errors show it: no password (there is none in it), no password file's content.
    public var redacted: String {
        let user = Self.encoded(self.user), db = Self.encoded(database)
        switch endpoint {
        case .tcp(let host, let port):
            let h = host.contains(":") ? "[\(host)]" : host
            return "postgresql://\(user)@\(h):\(port)/\(db)" + (sslMode == .disable ? "" : "?sslmode=\(sslMode.rawValue)")
                + (sslRootCert.map { "&sslrootcert=\(Self.encoded($0))" } ?? "")
        case .socket(let dir, let port):
            return "postgresql://\(user)@:\(port)/\(db)?host=\(Self.encoded(dir))"
        }
    }

    /// The socket file, for a Unix socket endpoint.
    public var socketPath: String? {
        guard case .socket(let dir, let port) = endpoint else { return nil }
        return (dir.hasSuffix("/") ? dir : dir + "/") + ".s.PGSQL.\(port)"
    }

    /// The password: `passwordFile`'s first line, else the first matching line of `PGPASSFILE` (or `~/.pgpass`), else none.
    public func password(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile), let text = String(data: data, encoding: .utf8) else {
                throw BanliError(.config, "Cannot read the password file \(passwordFile) (password_file); check that it exists and this user may read it.")
            }
            let password = String(text.prefix { !$0.isNewline })
            guard !password.isEmpty else {
                throw BanliError(.config, "The password file \(passwordFile) (password_file) is empty; put the password on its first line.")
            }
            return password
        }
        let path = environment["PGPASSFILE"] ?? environment["HOME"].map { $0 + "/.pgpass" }
        guard let path, let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return nil }
        return PassFile.password(in: text, host: passFileHost, port: port, database: database, user: user)
    }

    /// The server's host name or address, for a TCP endpoint.
    var host: String? {
        guard case .tcp(let host, _) = endpoint else { return nil }
        return host
    }

    var port: Int {
        switch endpoint {
        case .tcp(_, let port), .socket(_, let port): return port
        }
    }

    /// The host a `.pgpass` line names: libpq matches a socket connection as `localhost`.
    var passFileHost: String {
        switch endpoint {
        case .tcp(let host, _): return host
        case .socket: return "localhost"
        }
    }

    /// The pooled client's configuration.
    func clientConfiguration(password: String?) throws -> PostgresClient.Configuration {
        var config: PostgresClient.Configuration
        switch endpoint {
        case .socket:
            config = PostgresClient.Configuration(unixSocketPath: socketPath!, username: user, password: password, database: database)
        case .tcp(let host, let port):
            config = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
            switch sslMode {
            case .disable: break
            case .require: config.tls = .require(try tls(verify: false))
            case .verifyFull:
                // No tlsServerName: postgres-nio sends the host as SNI, and NIOSSL checks the certificate against the
                // host name, or against the address for an IP (which SNI may not carry).
                config.tls = .require(try tls(verify: true))
            }
        }
        config.options.connectTimeout = .seconds(3)
        config.options.maximumConnections = 16
        return config
    }

    /// The dedicated LISTEN connection's configuration.
    func connectionConfiguration(password: String?) throws -> PostgresConnection.Configuration {
        var config: PostgresConnection.Configuration
        switch endpoint {
        case .socket:
            config = PostgresConnection.Configuration(unixSocketPath: socketPath!, username: user, password: password, database: database)
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS = switch sslMode {
            case .disable: .disable
            case .require: .require(try NIOSSLContext(configuration: tls(verify: false)))
            case .verifyFull: .require(try NIOSSLContext(configuration: tls(verify: true)))
            }
            config = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        config.options.connectTimeout = .seconds(3)
        return config
    }

    /// Why no connection can be made: one direct attempt, outside the pool (which only says that it gave none); nil
    /// when it connects.
    func connectionFailure() async -> (any Error)? {
        var logger = Logger(label: "banli.postgres.probe")
        logger.logLevel = .critical  // the caller reports what failed, in one sentence
        do {
            let config = try connectionConfiguration(password: try password())
            try await PostgresConnection.connect(configuration: config, id: 0, logger: logger).close()
            return nil
        } catch {
            return error
        }
    }

    /// The client's TLS settings; with `verify` and `sslRootCert`, only that file's authorities are trusted (as libpq does).
    func tls(verify: Bool) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if !verify { tls.certificateVerification = .none }
        if verify, let sslRootCert { tls.trustRoots = .certificates(try Self.trustedRoots(sslRootCert)) }
        return tls
    }

    /// The certificates of the PEM file `path` (`sslrootcert`); an unreadable file, or one holding none, is refused.
    static func trustedRoots(_ path: String) throws -> [NIOSSLCertificate] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BanliError(.config, "Cannot read the CA file \(path) (sslrootcert in the PostgreSQL URL); check that it exists and this user may read it.")
        }
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(data)), !certificates.isEmpty else {
            throw BanliError(.config, "The CA file \(path) (sslrootcert in the PostgreSQL URL) holds no PEM certificate; "
                             + "give the PEM file of the authority that signed the database server's certificate.")
        }
        return certificates
    }

    static func malformed(_ why: String) -> BanliError {
        BanliError(.config, "The PostgreSQL URL is malformed: \(why).")
    }

    /// Percent-decodes one part; refuses bad escapes and decoded control characters (a newline smuggled in as %0A).
    static func decoded(_ part: Substring, _ what: String) throws -> String {
        guard let text = String(part).removingPercentEncoding else {
            throw malformed("\(what) holds a '%' not followed by two hex digits; write a literal % as %25")
        }
        guard !text.unicodeScalars.contains(where: isUnsafe) else {
            throw malformed("\(what) decodes to a line break, control or formatting character")
        }
        return text
    }

    /// Characters no part of a location may hold: controls, line and paragraph separators, invisible formatting (bidi overrides).
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator, .format: return true
        default: return false
        }
    }

    static func encoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// libpq's password file: lines `host:port:database:user:password`, `*` matching anything, `\:` and `\\` escaped.
enum PassFile {
    /// The password of the first line matching, or nil.
    static func password(in text: String, host: String, port: Int, database: String, user: String) -> String? {
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            guard !line.hasPrefix("#") else { continue }
            let fields = split(line)
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// Splits one line at unescaped colons, removing the escapes.
    static func split(_ line: Substring) -> [String] {
        var fields: [String] = [], current = "", escaped = false
        for c in line {
            if escaped {
                current.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == ":", fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current)
        return fields
    }
}
