"""Compute MTTR (median, p90 per priority, incidents resolved in the period) and SLA
attainment (per SLA and priority) with DuckDB's own SQL over the Parquet files a ticketlake
manifest lists, and print them as JSON. The Rust test compares them with `ticketlake query`.

Definitions, written independently of queries/*.sql:
- MTTR: resolved_at - opened_at in seconds for incidents with resolved_at in
  [start, end) and resolved_at >= opened_at; quantile_cont (linear interpolation).
- Attainment: met / (met + breached + in_progress_breached) over clocks that stopped in
  the period, plus running clocks that breached in it, plus running unbreached clocks that
  started in it (these only count as in_progress)."""
import glob
import json
import os
import sys

import duckdb

root, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
manifest = json.load(open(sorted(glob.glob(os.path.join(root, "_manifest", "v*.json")))[-1]))


def files(table):
    return [os.path.join(root, f["path"]) for f in manifest["tables"][table]["files"]]


con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"CREATE VIEW tickets AS SELECT * FROM read_parquet({files('tickets')!r})")
con.execute(f"CREATE VIEW sla AS SELECT * FROM read_parquet({files('sla')!r})")
lo, hi = f"TIMESTAMPTZ '{start} 00:00:00+00'", f"TIMESTAMPTZ '{end} 00:00:00+00'"

mttr = con.execute(f"""
    SELECT 'P' || priority::VARCHAR AS priority, count(*) AS n,
           quantile_cont(epoch(resolved_at) - epoch(opened_at), 0.5) AS median_s,
           quantile_cont(epoch(resolved_at) - epoch(opened_at), 0.9) AS p90_s
    FROM tickets
    WHERE kind = 'incident' AND priority IS NOT NULL
      AND resolved_at >= {lo} AND resolved_at < {hi} AND resolved_at >= opened_at
    GROUP BY priority ORDER BY priority""").fetchall()

attainment = con.execute(f"""
    SELECT s.sla_name, 'P' || t.priority::VARCHAR AS priority,
           count(*) FILTER (WHERE state = 'met') AS met,
           count(*) FILTER (WHERE state = 'breached') AS breached,
           count(*) FILTER (WHERE state = 'in_progress_breached') AS ipb
    FROM sla s JOIN tickets t USING (ticket_id, source)
    WHERE t.priority IS NOT NULL AND (
          (stop_at >= {lo} AND stop_at < {hi})
       OR (stop_at IS NULL AND state = 'in_progress_breached' AND breach_at >= {lo} AND breach_at < {hi})
       OR (stop_at IS NULL AND state = 'in_progress' AND start_at >= {lo} AND start_at < {hi}))
    GROUP BY ALL ORDER BY ALL""").fetchall()

print(json.dumps({
    "mttr": [{"priority": p, "n": n, "median_s": m, "p90_s": q} for p, n, m, q in mttr],
    "attainment": [
        {"sla_name": s, "priority": p, "met": a, "breached": b, "in_progress_breached": c,
         "attainment_pct": round(100.0 * a / (a + b + c), 2) if a + b + c else None}
        for s, p, a, b, c in attainment
    ],
}))
