import BanliCore
import NIOSSL
import PostgresNIO

/// Turns driver and server failures into Banli's errors: a database that cannot be used now becomes
/// `.storeUnavailable` (the hub answers 503 with `Retry-After`); the sentence names the database, redacted.
enum PostgresFailure {
    /// Thrown when no pooled connection came in time: the server is down or refusing connections, or (`busy`) it
    /// answers but every pooled connection stayed taken.
    struct LeaseTimeout: Error {
        var busy = false
    }

    /// The TLS failure in `error` (itself, or what the driver wrapped), if any.
    static func tlsFailure(_ error: any Error) -> (any Error)? {
        if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError { return error }
        return (error as? PSQLError)?.underlying.flatMap(tlsFailure)
    }

    /// SQLSTATE classes and codes that mean "try again later": connection exceptions (08), insufficient resources (53),
    /// operator intervention (57: shutdown, cannot connect now), serialization failures and deadlocks (40001, 40P01).
    static func isTransient(sqlState: String) -> Bool {
        sqlState.hasPrefix("08") || sqlState.hasPrefix("53") || sqlState.hasPrefix("57P") || sqlState == "40001" || sqlState == "40P01"
    }

    /// The Banli error for `error`, raised while working on `location`.
    static func banliError(_ error: any Error, location: PostgresLocation) -> any Error {
        if error is BanliError || error is CancellationError { return error }
        let db = location.redacted
        if let timeout = error as? LeaseTimeout, timeout.busy {
            return BanliError(.storeUnavailable, "The database \(db) is busy: no pooled connection came free within "
                              + "\(PostgresHubStorage.busyLeaseTimeout); try again shortly.")
        }
        if error is LeaseTimeout {
            return BanliError(.storeUnavailable, "The database \(db) gave no connection within \(PostgresHubStorage.leaseTimeout); "
                              + "the server is down, unreachable or refusing connections; try again once it is back.")
        }
        if let tls = tlsFailure(error) {
            if let extra = tls as? NIOSSLExtraError, extra == .failedToValidateHostname {
                return BanliError(.config, "The TLS handshake with the database \(db) failed: its certificate does not name the host "
                                  + "\(location.host ?? "in the URL"); connect by a name the certificate holds.")
            }
            if location.sslMode == .verifyFull, "\(tls)".contains("CERTIFICATE_VERIFY_FAILED") {
                let trusted = location.sslRootCert.map { "an authority in \($0) (sslrootcert)" } ?? "an authority the system trusts"
                let hint = location.sslRootCert == nil ? "; name the office's CA file with sslrootcert=/path/ca.pem in the URL" : ""
                return BanliError(.config, "The TLS handshake with the database \(db) failed: its certificate is not signed by \(trusted) "
                                  + "(or is out of its validity dates)\(hint).")
            }
            return BanliError(.config, "The TLS handshake with the database \(db) failed (\(tls)); check sslmode and sslrootcert in the URL.")
        }
        if let e = error as? PSQLError, e.code == .sslUnsupported {
            return BanliError(.config, "The database \(db) does not offer TLS (sslmode=\(location.sslMode.rawValue)); "
                              + "turn ssl on in its postgresql.conf, or use sslmode=disable on a network you trust.")
        }
        if let e = error as? PSQLError, e.code == .server, let state = e.serverInfo?[.sqlState] {
            let message = e.serverInfo?[.message] ?? state
            if isTransient(sqlState: state) {
                return BanliError(.storeUnavailable, "The database \(db) cannot serve now (\(message), SQLSTATE \(state)); try again shortly.")
            }
            if state.hasPrefix("28") {
                return BanliError(.config, "The database \(db) refused the login (\(message)); check the user, password_file or .pgpass, and pg_hba.conf.")
            }
            if state == "3D000" {
                return BanliError(.storeMissing, "The database \(db) does not exist (\(message)); create it (createdb) and run 'banli hub init --store …'.")
            }
            return BanliError(.io, "The database \(db) refused a statement (\(message), SQLSTATE \(state)).")
        }
        return BanliError(.storeUnavailable, "The database \(db) cannot be reached (\(cause(error))); try again once it is back.")
    }

    /// A short cause for logs and messages, without queries or bound values.
    static func cause(_ error: any Error) -> String {
        guard let e = error as? PSQLError else { return "\(error)" }
        if let message = e.serverInfo?[.message] { return message }
        if let underlying = e.underlying { return "\(e.code): \(underlying)" }
        return "\(e.code)"
    }
}
