"""Read a ticketlake dataset's CMDB tables with DuckDB, using only the manifest: every file of
config_items, ci_relations and ci_dependencies has the rows the manifest says, updated_at is
an instant, and the share of tickets whose config_item resolves to a CI (by its id, or by a
name exactly one CI has, in any case) is computed here with DuckDB's own SQL and printed as
JSON, for the Rust test to compare with `ticketlake query ci_resolution`."""
import glob
import json
import os
import sys

import duckdb

root, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
manifest = json.load(open(sorted(glob.glob(os.path.join(root, "_manifest", "v*.json")))[-1]))
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
problems = []
for table in ("tickets", "config_items", "ci_relations", "ci_dependencies"):
    files = [os.path.join(root, f["path"]) for f in manifest["tables"][table]["files"]]
    if not files:
        problems.append(f"{table}: no files")
        continue
    con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({files!r})")
    want = sum(f["rows"] for f in manifest["tables"][table]["files"])
    got = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    if got != want:
        problems.append(f"{table}: duckdb {got} rows, manifest {want}")
kind = con.execute("SELECT typeof(updated_at) FROM config_items LIMIT 1").fetchone()[0]
if kind != "TIMESTAMP WITH TIME ZONE":
    problems.append(f"config_items.updated_at is {kind}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
with_ci, resolved = con.execute(f"""
    WITH names AS (SELECT lower(trim(name)) AS k, count(*) AS n FROM config_items GROUP BY 1),
    t AS (
      SELECT lower(trim(config_item)) AS k FROM tickets
      WHERE opened_at >= TIMESTAMPTZ '{start} 00:00:00+00' AND opened_at < TIMESTAMPTZ '{end} 00:00:00+00'
        AND nullif(trim(config_item), '') IS NOT NULL
    )
    SELECT count(*),
      count(*) FILTER (WHERE k IN (SELECT lower(trim(ci_id)) FROM config_items)
                          OR k IN (SELECT k FROM names WHERE n = 1))
    FROM t""").fetchone()
print(json.dumps({"with_ci": with_ci, "resolved": resolved,
                  "config_items": con.execute("SELECT count(*) FROM config_items").fetchone()[0]}))
