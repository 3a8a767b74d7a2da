import BanliCore
import BanliPostgres
import Foundation
import Testing
import TestSupport

/// Reading `postgresql://` URLs and finding their passwords.
@Suite struct PostgresLocationTests {
    @Test func readsTheFormsBanliAccepts() throws {
        let tcp = try PostgresLocation(parsing: "postgresql://banli@db.example.gov.cn:6432/banli_hub?sslmode=verify-full")
        #expect(tcp.endpoint == .tcp(host: "db.example.gov.cn", port: 6432))
        #expect(tcp.user == "banli" && tcp.database == "banli_hub" && tcp.sslMode == .verifyFull)
        #expect(tcp.redacted == "postgresql://banli@db.example.gov.cn:6432/banli_hub?sslmode=verify-full")

        let short = try PostgresLocation(parsing: "postgres://hub@10.0.0.5/banli")
        #expect(short.endpoint == .tcp(host: "10.0.0.5", port: 5432))
        #expect(short.sslMode == .disable)

        let v6 = try PostgresLocation(parsing: "postgresql://hub@[::1]:5433/banli?sslmode=require")
        #expect(v6.endpoint == .tcp(host: "::1", port: 5433))
        #expect(v6.redacted == "postgresql://hub@[::1]:5433/banli?sslmode=require")

        let query = try PostgresLocation(parsing: "postgresql://banli@/banli?host=/run/postgresql")
        #expect(query.endpoint == .socket(directory: "/run/postgresql", port: 5432))
        #expect(query.socketPath == "/run/postgresql/.s.PGSQL.5432")
        let encoded = try PostgresLocation(parsing: "postgresql://banli@%2Frun%2Fpostgresql:5433/banli")
        #expect(encoded.socketPath == "/run/postgresql/.s.PGSQL.5433")
        #expect(try PostgresLocation(parsing: encoded.redacted) == encoded, "the redacted form reads back")
        #expect(try PostgresLocation(parsing: tcp.redacted) == tcp)
    }

    @Test func sslrootcertNamesTheTrustedAuthoritiesForVerifyFull() throws {
        let location = try PostgresLocation(parsing: "postgresql://banli@db.example:5432/banli?sslmode=verify-full&sslrootcert=/etc/banli/%E5%8A%9E-ca.pem")
        #expect(location.sslMode == .verifyFull && location.sslRootCert == "/etc/banli/办-ca.pem")
        #expect(location.redacted == "postgresql://banli@db.example:5432/banli?sslmode=verify-full&sslrootcert=%2Fetc%2Fbanli%2F%E5%8A%9E-ca.pem")
        #expect(try PostgresLocation(parsing: location.redacted) == location, "the redacted form reads back")
        let either = try PostgresLocation(parsing: "postgresql://banli@db/banli?sslrootcert=ca.pem&sslmode=verify-full")
        #expect(either.sslRootCert == "ca.pem", "in either order; a relative path is the working folder's, as libpq reads it")
        #expect(try PostgresLocation(parsing: "postgresql://banli@db/banli?sslmode=verify-full").sslRootCert == nil)

        for (url, why) in [
            ("postgresql://banli@db/banli?sslmode=require&sslrootcert=/ca.pem", "sslrootcert applies only with sslmode=verify-full"),
            ("postgresql://banli@db/banli?sslrootcert=/ca.pem", "sslrootcert applies only with sslmode=verify-full"),
            ("postgresql://banli@db/banli?sslmode=verify-full&sslrootcert=", "sslrootcert is empty"),
            ("postgresql://banli@db/banli?sslmode=verify-full&sslrootcert=/a.pem&sslrootcert=/b.pem", "'sslrootcert' is given twice"),
            ("postgresql://banli@db/banli?sslmode=verify-full&sslrootcert=/ca%0A.pem", "decodes to a line break"),
        ] {
            let error = #expect(throws: BanliError.self, "\(url)") { try PostgresLocation(parsing: url) }
            #expect(error?.code == .config && error?.message.contains(why) == true, "\(url): \(error?.message ?? "")")
        }
    }

    @Test func tellsPostgresFromSQLite() {
        #expect(PostgresLocation.isPostgres("postgresql://banli@db/banli"))
        #expect(PostgresLocation.isPostgres("POSTGRES://banli@db/banli"))
        #expect(!PostgresLocation.isPostgres("/var/lib/banli/hub.db"))
        #expect(!PostgresLocation.isPostgres("postgresql.db"))
    }

    @Test func refusesAPasswordInTheURL() {
        for url in ["postgresql://banli:secret@db/banli", "postgresql://banli:@db/banli", "postgres://banli:s%40cret@db:5432/banli"] {
            let error = #expect(throws: BanliError.self) { try PostgresLocation(parsing: url) }
            #expect(error?.code == .config)
            #expect(error?.message.contains("passwords never go on the command line or in hub.toml; use password_file") == true)
            #expect(error?.message.contains("secret") == false, "the password is not repeated")
        }
    }

    @Test func refusesMalformedParts() {
        let bad = [
            "mysql://banli@db/banli", "postgresql://banli@db", "postgresql://banli@db/", "postgresql://db/banli", "postgresql://@db/banli",
            "postgresql://banli@db:0/banli", "postgresql://banli@db:65536/banli", "postgresql://banli@db:54x/banli", "postgresql://banli@db:/banli",
            "postgresql://banli@db/banli?sslmode=prefer", "postgresql://banli@db/banli?user=postgres", "postgresql://banli@db/banli?sslmode",
            "postgresql://banli@db/banli?sslmode=disable&sslmode=require", "postgresql://banli@/banli", "postgresql://banli@db/banli?host=/tmp",
            "postgresql://banli@/banli?host=/run/postgresql&sslmode=require", "postgresql://banli@db/ban%zzli", "postgresql://banli@db/banli\n",
            "postgresql://banli@db/ban%0Ali", "postgresql://ban%00li@db/banli", "postgresql://banli@[::1/banli", "postgresql://banli@db/a/b",
            "postgresql://banli@d b/banli", "postgresql://banli@db%2Fx/banli", "postgresql://banli@db;rm/banli",
        ]
        for url in bad {
            let error = #expect(throws: BanliError.self, "\(url)") { try PostgresLocation(parsing: url) }
            #expect(error?.code == .config)
            #expect(error.map { $0.message.hasSuffix(".") && !$0.message.contains("\n") } == true, "one sentence: \(error?.message ?? "")")
        }
    }

    /// Hostile pieces anywhere in a URL never crash the parser; what it accepts has no control characters, and its
    /// redacted form reads back to the same location.
    @Test func hostileInputIsRefusedOrReadBackExactly() {
        var strings = HostileStrings(seed: 0x5047_4C4F_4341_5449)
        var rng = SplitMix64(seed: 16)
        for _ in 0..<2_000 {
            let pieces = (0..<5).map { _ in Bool.random(using: &rng) ? strings.next(maxPieces: 3) : "" }
            let url = "postgresql://\(pieces[0])banli\(pieces[1])@\(pieces[2])db\(pieces[3])/banli\(pieces[4])"
                + (Bool.random(using: &rng) ? "?sslmode=\(strings.next(maxPieces: 2))" : "")
            do {
                let location = try PostgresLocation(parsing: url)
                for text in [location.user, location.database] {
                    #expect(!text.unicodeScalars.contains { [.control, .lineSeparator, .paragraphSeparator, .format].contains($0.properties.generalCategory) },
                            "\(url)")
                }
                #expect(try PostgresLocation(parsing: location.redacted) == location, "\(url)")
            } catch let error as BanliError {
                #expect(error.code == .config, "\(url)")
            } catch {
                Issue.record("\(url): \(error)")
            }
        }
    }

    @Test func findsThePassword() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("banli-pgpass-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/password"
        try "s3cret:with\\colon\r\nsecond line\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try PostgresLocation(parsing: "postgresql://banli@db/banli", passwordFile: file)
        #expect(try fromFile.password(environment: [:]) == "s3cret:with\\colon", "the first line, as written")

        let pgpass = dir + "/pgpass"
        try """
            # host:port:db:user:password
            other:5432:banli:banli:wrong
            db:5432:banli:banli:pa\\:ss
            *:*:*:banli:fallback
            localhost:5433:*:*:socket
            """.write(toFile: pgpass, atomically: true, encoding: .utf8)
        let env = ["PGPASSFILE": pgpass]
        #expect(try PostgresLocation(parsing: "postgresql://banli@db/banli").password(environment: env) == "pa:ss")
        #expect(try PostgresLocation(parsing: "postgresql://banli@elsewhere:7/x").password(environment: env) == "fallback")
        #expect(try PostgresLocation(parsing: "postgresql://ops@/x?host=/run/postgresql").password(environment: env) == nil)
        #expect(try PostgresLocation(parsing: "postgresql://ops@:5433/x?host=/run/postgresql").password(environment: env) == "socket")
        #expect(try PostgresLocation(parsing: "postgresql://banli@db/banli").password(environment: ["HOME": dir + "/none"]) == nil)

        let missing = try PostgresLocation(parsing: "postgresql://banli@db/banli", passwordFile: dir + "/absent")
        let error = #expect(throws: BanliError.self) { try missing.password(environment: [:]) }
        #expect(error?.code == .config)
        try "\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: BanliError.self) { try fromFile.password(environment: [:]) }
    }
}
