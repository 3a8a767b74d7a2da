import BanliCore
import Logging
import PostgresNIO

/// The hub's schema in PostgreSQL: the hub's part of the SQLite store's (`StoreSchema`), in versioned
/// migrations. Add a migration for every change; never edit a shipped one.
///
/// PostgreSQL features Banli needs (a DBA checks a PostgreSQL-compatible engine against this list):
/// - transactions at READ COMMITTED and at `REPEATABLE READ READ ONLY` (`SET TRANSACTION ISOLATION LEVEL`);
/// - row locks: `SELECT … FOR UPDATE` (the one counters row orders every change);
/// - transaction-scoped advisory locks: `pg_advisory_xact_lock(bigint)` (migrations, hub creation);
/// - `LISTEN` / `NOTIFY` through `pg_notify(text, text)`, delivered at commit (cross-process wake-up);
/// - `INSERT … ON CONFLICT (…) DO UPDATE / DO NOTHING`, with `EXCLUDED`;
/// - `UPDATE … RETURNING`, `GREATEST`, `COALESCE`, `= ANY($1)` with array parameters (`text[]`);
/// - types `text`, `bigint`, `integer`, `boolean`, `bytea`, `bigserial` (a sequence);
/// - partial indexes (`… WHERE conflict`), `to_regclass(text)`, `ALTER TABLE … ADD COLUMN` (nullable, no default);
/// - PL/pgSQL trigger functions and `BEFORE UPDATE OR DELETE` row and `BEFORE TRUNCATE` statement triggers;
/// - the extended query protocol with binary parameters (postgres-nio); TLS when `sslmode` asks.
enum PostgresSchema {
    /// The advisory lock key of schema changes and hub creation ("banli" in ASCII).
    static let lockKey: Int64 = 0x62_61_6E_6C_69

    /// Each migration's statements, by version (1, 2, …). PostgreSQL runs DDL in transactions, so a migration lands whole or not at all.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE hub (
                id integer PRIMARY KEY CHECK (id = 1),
                site text NOT NULL,
                name text NOT NULL,
                store_id text NOT NULL,
                clock bigint NOT NULL,        -- persisted hybrid logical clock
                seq bigint NOT NULL,          -- last change number; the row every change locks first
                created_at text NOT NULL
            )
            """,
            """
            CREATE TABLE field (
                entity text NOT NULL,
                field text NOT NULL,
                item text,                    -- item id, NULL for the unit directory
                value text NOT NULL,          -- visible value, canonical JSON
                state bytea NOT NULL,         -- siblings and context, FieldState's checked stored form
                conflict boolean NOT NULL DEFAULT false,
                seq bigint NOT NULL UNIQUE,   -- change number of the last change
                echo text,                    -- site whose push left exactly this state (not sent back to it)
                echo_exchange bigint,         -- that site's exchange number; echoes are suppressed once it confirms it
                PRIMARY KEY (entity, field)
            )
            """,
            "CREATE INDEX field_item ON field (item, seq)",
            "CREATE INDEX field_conflict ON field (conflict) WHERE conflict",
            """
            CREATE TABLE history (
                id bigserial PRIMARY KEY,
                entity text NOT NULL,
                field text NOT NULL,
                item text,
                value text NOT NULL,
                site text NOT NULL,           -- who wrote it (the dot's site)
                counter bigint NOT NULL,      -- the dot's counter
                origin text NOT NULL CHECK (origin IN ('local', 'received')),
                via text NOT NULL,            -- where it came from: the hub, a unit, or a file
                recorded_at text NOT NULL
            )
            """,
            "CREATE INDEX history_item ON history (item, id)",
            """
            CREATE FUNCTION banli_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'history is append-only';
            END
            $$
            """,
            """
            CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
                FOR EACH ROW EXECUTE FUNCTION banli_history_append_only()
            """,
            """
            CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history
                FOR EACH STATEMENT EXECUTE FUNCTION banli_history_append_only()
            """,
            "CREATE TABLE setting (key text PRIMARY KEY, value text NOT NULL)",
            """
            CREATE TABLE access (
                site text NOT NULL,
                item text NOT NULL,
                grant_seq bigint NOT NULL,
                revoked_seq bigint,
                PRIMARY KEY (site, item)
            )
            """,
            "CREATE INDEX access_grant ON access (site, grant_seq)",
            """
            CREATE TABLE unit_status (
                site text PRIMARY KEY,
                push_mark bigint NOT NULL DEFAULT 0,
                last_exchange bigint NOT NULL DEFAULT 0,
                sent_cursor bigint NOT NULL DEFAULT 0,
                max_counter bigint NOT NULL DEFAULT 0,
                last_contact_at bigint,
                last_success_at bigint,
                last_error text,
                backlog bigint NOT NULL DEFAULT 0,
                rejected bigint NOT NULL DEFAULT 0,
                clock_offset_ms bigint,
                client_version text,
                store_id text
            )
            """,
            "CREATE TABLE operator_token (name text PRIMARY KEY, token_hash text NOT NULL, created_at text NOT NULL)",
            "CREATE TABLE unit_token (site text PRIMARY KEY, token_hash text NOT NULL, created_at text NOT NULL)",
        ],
        // 2: the person who made a web write here (an account's display name), on its history rows; NULL for the
        // CLI's writes, received rows and every older row. A nullable column without a default rewrites no row, and
        // UPDATE and DELETE triggers do not fire on ALTER TABLE: history stays append-only.
        [
            "ALTER TABLE history ADD COLUMN person text",
        ],
        // 3 (issue 18): the one-time links through which deputies answer the 征询意见: the token's SHA-256, never the token.
        [
            """
            CREATE TABLE feedback_link (
                token_hash text PRIMARY KEY,
                item text NOT NULL,
                unit text NOT NULL,
                created_at bigint NOT NULL,   -- unix ms
                expires_at bigint NOT NULL,
                used_at bigint,
                revoked_at bigint
            )
            """,
            "CREATE INDEX feedback_link_item ON feedback_link (item, unit)",
        ],
        // 4: deadline reminders (督办提醒) sent or being sent, one row per (reminder key, recipient): a process claims a send
        // with INSERT … ON CONFLICT DO NOTHING before it goes out, so several hub processes never both send it.
        [
            """
            CREATE TABLE reminder (
                send text PRIMARY KEY,
                state text NOT NULL CHECK (state IN ('claimed', 'sent', 'failed')),
                attempts integer NOT NULL,
                next_attempt_at bigint,
                last_error text,
                updated_at bigint NOT NULL
            )
            """,
            "CREATE INDEX reminder_failed ON reminder (updated_at) WHERE state = 'failed'",
        ],
    ]

    static var latest: Int { migrations.count }

    /// Takes the schema lock for this transaction: hub processes starting together apply migrations one at a time.
    static func lock(_ conn: PostgresConnection, logger: Logger) async throws {
        try await conn.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
    }

    /// The version the database is at, 0 without Banli's tables. Call under `lock`.
    static func version(_ conn: PostgresConnection, logger: Logger) async throws -> Int {
        let exists = try await conn.query("SELECT to_regclass('banli_schema') IS NOT NULL", logger: logger).decode(Bool.self)
        for try await e in exists where !e { return 0 }
        for try await v in try await conn.query("SELECT COALESCE(MAX(version), 0) FROM banli_schema", logger: logger).decode(Int.self) {
            return v
        }
        return 0
    }

    /// Applies the migrations `conn`'s database lacks, in the caller's transaction, under `lock`.
    /// Refuses a database a newer release has migrated.
    static func migrate(_ conn: PostgresConnection, location: PostgresLocation, logger: Logger) async throws {
        let current = try await version(conn, logger: logger)
        guard current <= latest else {
            throw BanliError(.config, "The database \(location.redacted) has Banli schema version \(current), newer than this release's \(latest); "
                             + "run a Banli release at least as new as the one that migrated it.")
        }
        if current == 0 {
            try await conn.query("CREATE TABLE banli_schema (version integer PRIMARY KEY, applied_at text NOT NULL)", logger: logger)
        }
        for version in (current + 1)..<(latest + 1) {
            for statement in migrations[version - 1] {
                try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await conn.query("INSERT INTO banli_schema (version, applied_at) VALUES (\(version), \(PostgresHubStorage.timestamp()))", logger: logger)
        }
    }
}
