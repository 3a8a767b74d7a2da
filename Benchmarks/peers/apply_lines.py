"""Figure 1b's baseline for `banli apply FILE`: the same FieldState lines parsed with `json` and upserted with `sqlite3`.

Both are C underneath, as in a script an office's IT staff might write. The table has the columns a Banli store keeps
for a field (key, item, visible value, stored state, change number), in one transaction with the durability Banli
uses (WAL, synchronous=FULL); no join, no history, no conflict index.

Usage: apply_lines.py FILE DB
"""
import json
import sqlite3
import sys

lines_path, db_path = sys.argv[1], sys.argv[2]
db = sqlite3.connect(db_path, isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = FULL")
db.execute(
    "CREATE TABLE IF NOT EXISTS f (entity TEXT, field TEXT, item TEXT, value TEXT, state BLOB, seq INTEGER, "
    "PRIMARY KEY (entity, field)) WITHOUT ROWID"
)
db.execute("CREATE INDEX IF NOT EXISTS f_seq ON f(seq)")
db.execute("BEGIN")
upsert = (
    "INSERT INTO f VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (entity, field) "
    "DO UPDATE SET value = excluded.value, state = excluded.state, seq = excluded.seq"
)


def rows(lines):
    for seq, line in enumerate(lines):
        if not line.strip():
            continue
        o = json.loads(line)
        entity = o["entity"]
        parts = entity.split("/")
        state = json.dumps({"siblings": o["siblings"], "context": o["context"]}, ensure_ascii=False, separators=(",", ":"))
        value = json.dumps(o["value"], ensure_ascii=False, separators=(",", ":"))
        yield entity, o["field"], parts[1] if len(parts) > 1 else None, value, state.encode(), seq


with open(lines_path, "rb") as lines:
    db.executemany(upsert, rows(lines))
db.execute("COMMIT")
db.close()
