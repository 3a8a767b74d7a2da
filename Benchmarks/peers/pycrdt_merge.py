"""The merge workload of `make bench` in pycrdt (Python bindings of Yrs, the Rust port of Yjs).

Two sites each hold a map of records (one map per record, a few fields each). Each site edits
every record, then they exchange their updates and merge. Prints JSON: states merged per second,
where a "state" is one field of one record merged from the other site, as in Banli's figure.
"""
import json
import sys
import time

from pycrdt import Doc, Map

records = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
fields = ["progress", "handler", "phone", "replyText"]


def build(site):
    doc = Doc()
    doc["items"] = root = Map()
    return doc, root


def one_pass():
    """Builds both sites' edits, then times only the exchange and merge."""
    a, ra = build("a")
    b, rb = build("b")
    # Both sites start from the same records.
    with a.transaction():
        for i in range(records):
            ra[f"rd-{i}"] = Map({f: "" for f in fields})
    b.apply_update(a.get_update())
    # Concurrent edits at both sites.
    with a.transaction():
        for i in range(records):
            rec = ra[f"rd-{i}"]
            for f in fields:
                rec[f] = f"a-{i}-{f}"
    with b.transaction():
        for i in range(records):
            rec = rb[f"rd-{i}"]
            for f in fields:
                rec[f] = f"b-{i}-{f}"
    ua = a.get_update(b.get_state())
    ub = b.get_update(a.get_state())
    start = time.perf_counter()
    a.apply_update(ub)
    b.apply_update(ua)
    elapsed = time.perf_counter() - start
    assert ra["rd-0"]["progress"] == rb["rd-0"]["progress"], "the two sites did not converge"
    return elapsed


# The median of 7 passes, as Banli's side reports the median of its passes.
elapsed = sorted(one_pass() for _ in range(7))[3]
merged = 2 * records * len(fields)
print(json.dumps({"peer": "pycrdt", "records": records, "fields": len(fields), "merged": merged,
                  "seconds": elapsed, "per_second": merged / elapsed}))
