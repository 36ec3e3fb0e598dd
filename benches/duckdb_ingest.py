"""DuckDB's side of the ingest benchmark: the same ServiceNow list CSVs to one typed, zstd
Parquet file, with the same parsing work ticketlake does (naive Europe/London timestamps to
UTC instants, priority labels to integers, counters to integers)."""
import sys

import duckdb

out, files = sys.argv[1], sys.argv[2:]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")


def ts(c):
    return f"(try_strptime({c}, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%f']) AT TIME ZONE 'Europe/London') AS {c}"


con.execute(
    f"""COPY (
      SELECT number AS ticket_id, short_description AS title,
             CAST(substr(priority, 1, 1) AS INTEGER) AS priority, priority AS priority_label,
             impact, urgency, state AS source_status,
             {ts('opened_at')}, {ts('resolved_at')}, {ts('closed_at')}, {ts('sys_updated_on')},
             assignment_group, assigned_to, business_service, cmdb_ci, category, caller_id, location,
             CAST(reopen_count AS INTEGER) AS reopen_count, CAST(reassignment_count AS INTEGER) AS reassignment_count,
             problem_id, caused_by, type, close_code, {ts('start_date')}, {ts('end_date')}
      FROM read_csv({files!r}, all_varchar = true, header = true, union_by_name = true)
    ) TO '{out}' (FORMAT parquet, COMPRESSION zstd)"""
)
