"""DuckDB's side of the SLA benchmark: the same per-clock `sla` table that `ticketlake build`
writes, done the SQL way with a calendar "spine" (one row per business window) joined to
tickets and pause intervals by range, and written with COPY ... TO ... (FORMAT parquet).

Same policy as benches/sla_only.toml: resolution within 8 business hours, Mon-Fri 09:00-17:00
Europe/London, paused while on hold and (on_reopen = resume, the default) while resolved
before a reopen. The rows and columns are ticketlake's: ticket_id, source, sla_name, metric,
calendar, target_s, start_at, stop_at, elapsed_s, business_elapsed_s, paused_s, breached,
breach_at, state, pct_used, reason.

    sla_duckdb.py DATASET AS_OF OUT.parquet          write the table, print "rows breached"
    sla_duckdb.py --compare DATASET OUT.parquet      rows of ticketlake's sla that differ
    sla_duckdb.py --breached OUT.parquet             breached rows of DuckDB's table
"""
import glob
import json
import os
import sys

import duckdb

COLUMNS = (
    "ticket_id, source, sla_name, metric, calendar, target_s, start_at, stop_at, elapsed_s, "
    "business_elapsed_s, paused_s, breached, breach_at, state, pct_used, reason"
)


def files(root, table):
    m = json.load(open(sorted(glob.glob(os.path.join(root, "_manifest", "v*.json")))[-1]))
    return [os.path.join(root, f["path"]) for f in m["tables"][table]["files"]]


def connect():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def write(root, as_of, out):
    con = connect()
    con.execute(
        f"CREATE VIEW tk AS SELECT * FROM read_parquet({files(root, 'tickets')!r}) "
        "WHERE kind = 'incident'"
    )
    con.execute(f"CREATE VIEW si AS SELECT * FROM read_parquet({files(root, 'status_intervals')!r})")
    target = 8 * 3600 * 1_000_000
    con.execute(
        f"""
        COPY (
        WITH spine AS (
          SELECT (d::DATE + TIME '09:00') AT TIME ZONE 'Europe/London' AS ws,
                 (d::DATE + TIME '17:00') AT TIME ZONE 'Europe/London' AS we
          FROM range(TIMESTAMP '2000-01-01', TIMESTAMP '2040-01-01', INTERVAL 1 DAY) t(d)
          WHERE isodow(d) <= 5
        ),
        clock AS (
          SELECT ticket_id, opened_at AS a, resolved_at AS stop,
                 coalesce(resolved_at, TIMESTAMPTZ '{as_of}') AS b
          FROM tk
          WHERE status <> 'cancelled' AND opened_at IS NOT NULL
            AND NOT (resolved_at IS NULL AND status IN ('resolved', 'closed'))
            AND opened_at <= coalesce(resolved_at, TIMESTAMPTZ '{as_of}')
        ),
        history AS (
          SELECT ticket_id, status, from_ts, to_ts, derived,
                 lead(status) OVER (PARTITION BY ticket_id, derived ORDER BY from_ts) AS next
          FROM si
        ),
        -- Pauses: on hold, and resolved before a reopen (recorded history only).
        pz AS (
          SELECT h.ticket_id, greatest(h.from_ts, c.a) AS pa, least(coalesce(h.to_ts, c.b), c.b) AS pb
          FROM history h JOIN clock c USING (ticket_id)
          WHERE h.status = 'on_hold'
             OR (NOT h.derived AND h.status = 'resolved'
                 AND h.next NOT IN ('resolved', 'closed', 'cancelled'))
        ),
        win AS (
          SELECT c.ticket_id, greatest(c.a, s.ws) AS wa, least(c.b, s.we) AS wb
          FROM clock c JOIN spine s ON s.ws < c.b AND s.we > c.a
        ),
        wp AS (
          SELECT w.ticket_id, w.wa, w.wb, greatest(p.pa, w.wa) AS pa, least(p.pb, w.wb) AS pb
          FROM win w JOIN pz p ON p.ticket_id = w.ticket_id AND p.pa < w.wb AND p.pb > w.wa
        ),
        -- Active business pieces: each window minus the pauses in it.
        pieces AS (
          SELECT ticket_id,
                 coalesce(lag(pb) OVER (PARTITION BY ticket_id, wa ORDER BY pa), wa) AS s, pa AS e
          FROM wp
          UNION ALL
          SELECT w.ticket_id, coalesce(m.last, w.wa) AS s, w.wb AS e
          FROM win w LEFT JOIN (SELECT ticket_id, wa, max(pb) AS last FROM wp GROUP BY ALL) m
            USING (ticket_id, wa)
        ),
        acc AS (
          SELECT ticket_id, e, len,
                 (sum(len) OVER (PARTITION BY ticket_id ORDER BY s ROWS UNBOUNDED PRECEDING))::BIGINT AS acc
          FROM (SELECT ticket_id, s, e, epoch_us(e) - epoch_us(s) AS len FROM pieces WHERE e > s)
        ),
        business AS (
          SELECT ticket_id, sum(len)::BIGINT AS us,
                 min(epoch_us(e) - (acc - {target})) FILTER (WHERE acc > {target}) AS breach_us
          FROM acc GROUP BY ticket_id
        ),
        paused AS (
          SELECT ticket_id, sum(epoch_us(pb) - epoch_us(pa))::BIGINT AS us FROM wp GROUP BY ticket_id
        ),
        measured AS (
          SELECT c.ticket_id, c.a, c.stop, c.b, coalesce(bz.us, 0) AS bus, coalesce(p.us, 0) AS pus,
                 bz.breach_us
          FROM clock c LEFT JOIN business bz USING (ticket_id) LEFT JOIN paused p USING (ticket_id)
        )
        SELECT t.ticket_id, t.source, '8 business hours' AS sla_name, 'resolution' AS metric,
               'office' AS calendar,
               CASE WHEN m.ticket_id IS NOT NULL THEN {target // 1_000_000}::BIGINT END AS target_s,
               m.a AS start_at, m.stop AS stop_at,
               (epoch_us(m.b) - epoch_us(m.a)) // 1000000 AS elapsed_s,
               m.bus // 1000000 AS business_elapsed_s, m.pus // 1000000 AS paused_s,
               CASE WHEN m.ticket_id IS NOT NULL THEN m.bus > {target} END AS breached,
               make_timestamptz(m.breach_us) AS breach_at,
               CASE
                 WHEN t.status = 'cancelled' THEN 'cancelled'
                 WHEN m.ticket_id IS NULL THEN 'invalid'
                 WHEN m.stop IS NOT NULL AND m.bus > {target} THEN 'breached'
                 WHEN m.stop IS NOT NULL THEN 'met'
                 WHEN m.bus > {target} THEN 'in_progress_breached'
                 ELSE 'in_progress'
               END AS state,
               m.bus * 100.0 / {target} AS pct_used,
               CASE WHEN t.status <> 'cancelled' AND m.ticket_id IS NULL THEN 'invalid clock' END
                 AS reason
        FROM tk t LEFT JOIN measured m USING (ticket_id)
        ) TO '{out}' (FORMAT parquet)
        """
    )
    rows, breached = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE breached) FROM read_parquet('{out}')"
    ).fetchone()
    print(rows, breached)


def compare(root, out):
    """Rows that differ between ticketlake's sla table and DuckDB's, on the fields both
    compute (the reason text of invalid rows is worded differently)."""
    con = connect()
    keys = COLUMNS.replace(", reason", "").replace("pct_used", "round(pct_used, 6) AS pct_used")
    ours = f"SELECT {keys} FROM read_parquet({files(root, 'sla')!r})"
    theirs = f"SELECT {keys} FROM read_parquet('{out}')"
    n = con.execute(
        f"SELECT (SELECT count(*) FROM ({ours} EXCEPT ALL {theirs})) "
        f"+ (SELECT count(*) FROM ({theirs} EXCEPT ALL {ours}))"
    ).fetchone()[0]
    print(n)


if __name__ == "__main__":
    if sys.argv[1] == "--breached":
        q = f"SELECT count(*) FILTER (WHERE breached) FROM read_parquet('{sys.argv[2]}')"
        print(connect().execute(q).fetchone()[0])
    elif sys.argv[1] == "--compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        write(sys.argv[1], sys.argv[2], sys.argv[3])
