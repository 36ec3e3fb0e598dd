"""DuckDB's side of the SLA benchmark: business-hours resolution time with on-hold pauses,
done the SQL way with a calendar "spine" (one row per business window) joined to tickets and
pause intervals by range. Same calendar as benches/sla.toml: Mon-Fri 09:00-17:00
Europe/London. Prints the number of breached tickets so the two engines can be compared."""
import glob
import json
import os
import sys

import duckdb

root, as_of = sys.argv[1], sys.argv[2]
m = json.load(open(sorted(glob.glob(os.path.join(root, "_manifest", "v*.json")))[-1]))
files = lambda t: [os.path.join(root, f["path"]) for f in m["tables"][t]["files"]]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"CREATE VIEW tk AS SELECT * FROM read_parquet({files('tickets')!r}) WHERE kind = 'incident'")
con.execute(f"CREATE VIEW si AS SELECT * FROM read_parquet({files('status_intervals')!r}) WHERE status = 'on_hold'")
breached = con.execute(
    f"""
    WITH spine AS (
      SELECT (d::DATE + TIME '09:00') AT TIME ZONE 'Europe/London' AS ws,
             (d::DATE + TIME '17:00') AT TIME ZONE 'Europe/London' AS we
      FROM range(TIMESTAMP '2020-01-01', TIMESTAMP '2030-01-01', INTERVAL 1 DAY) t(d)
      WHERE isodow(d) <= 5
    ),
    clock AS (
      SELECT ticket_id, opened_at AS a, coalesce(resolved_at, TIMESTAMPTZ '{as_of}') AS b
      FROM tk WHERE opened_at <= coalesce(resolved_at, TIMESTAMPTZ '{as_of}')
    ),
    busy AS (
      SELECT c.ticket_id, sum(epoch(least(c.b, s.we)) - epoch(greatest(c.a, s.ws))) AS bs
      FROM clock c JOIN spine s ON s.ws < c.b AND s.we > c.a GROUP BY c.ticket_id
    ),
    paused AS (
      SELECT p.ticket_id, sum(epoch(least(p.b, s.we)) - epoch(greatest(p.a, s.ws))) AS ps
      FROM (SELECT si.ticket_id, greatest(si.from_ts, c.a) AS a, least(coalesce(si.to_ts, c.b), c.b) AS b
            FROM si JOIN clock c USING (ticket_id)) p
      JOIN spine s ON s.ws < p.b AND s.we > p.a WHERE p.b > p.a GROUP BY p.ticket_id
    )
    SELECT count(*) FILTER (WHERE coalesce(bs, 0) - coalesce(ps, 0) > 8 * 3600)
    FROM clock LEFT JOIN busy USING (ticket_id) LEFT JOIN paused USING (ticket_id)
    """
).fetchone()[0]
print(breached)
