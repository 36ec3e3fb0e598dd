"""Read a ticketlake dataset with DuckDB, using only the manifest, and check it against the
source CSV exports: row counts, and min/max(opened_at) as UTC instants computed here from the
naive local timestamps with Python's zoneinfo (independently of ticketlake)."""
import csv
import datetime as dt
import glob
import json
import os
import sys
from zoneinfo import ZoneInfo

import duckdb

root, zone, exports = sys.argv[1], ZoneInfo(sys.argv[2]), sys.argv[3:]
manifest = json.load(open(sorted(glob.glob(os.path.join(root, "_manifest", "v*.json")))[-1]))
files = [os.path.join(root, f["path"]) for f in manifest["tables"]["tickets"]["files"]]

con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
n, lo, hi, kind = con.execute(
    "SELECT count(*), min(opened_at), max(opened_at), typeof(min(opened_at)) FROM read_parquet(?)", [files]
).fetchone()

ids, opened = set(), []
for path in exports:
    for row in csv.DictReader(open(path, newline="", encoding="utf-8")):
        ids.add(row["number"])
        local = dt.datetime.strptime(row["opened_at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
        opened.append(local.astimezone(dt.timezone.utc))

problems = []
if kind != "TIMESTAMP WITH TIME ZONE":
    problems.append(f"opened_at is {kind}, expected TIMESTAMP WITH TIME ZONE")
if n != len(ids) or n != manifest["tables"]["tickets"]["files"][0]["rows"]:
    problems.append(f"row count: duckdb {n}, exports {len(ids)}, manifest {manifest['tables']['tickets']['files'][0]['rows']}")
if lo != min(opened) or hi != max(opened):
    problems.append(f"opened_at range: duckdb {lo}..{hi}, exports {min(opened)}..{max(opened)}")
for table in ("status_intervals", "rejects"):
    for f in manifest["tables"].get(table, {}).get("files", []):
        got = con.execute("SELECT count(*) FROM read_parquet(?)", [os.path.join(root, f["path"])]).fetchone()[0]
        if got != f["rows"]:
            problems.append(f"{table}: duckdb {got} rows, manifest {f['rows']}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"duckdb agrees: {n} tickets, opened_at {lo} .. {hi}")
