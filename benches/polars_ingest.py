"""polars' side of the ingest benchmark: the same ServiceNow list CSVs to one typed, zstd
Parquet file, the way an analyst would do it with polars: read every column as a string,
parse the naive Europe/London timestamps with `str.to_datetime` and make them UTC, priority
labels to integers, counters to integers, then `write_parquet`."""
import sys

import polars as pl

out, files = sys.argv[1], sys.argv[2:]
frames = [pl.scan_csv(f, infer_schema=False) for f in files]
lf = pl.concat(frames, how="diagonal")
TS = ["opened_at", "resolved_at", "closed_at", "sys_updated_on", "start_date", "end_date"]


def ts(c):
    s = pl.col(c)
    parsed = pl.coalesce(
        s.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"),
        s.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"),
    )
    return parsed.dt.replace_time_zone("Europe/London", ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC").alias(c)


lf = lf.select(
    pl.col("number").alias("ticket_id"),
    pl.col("short_description").alias("title"),
    pl.col("priority").str.slice(0, 1).cast(pl.Int32, strict=False).alias("priority"),
    pl.col("priority").alias("priority_label"),
    "impact", "urgency",
    pl.col("state").alias("source_status"),
    *[ts(c) for c in TS],
    "assignment_group", "assigned_to", "business_service", "cmdb_ci", "category", "caller_id", "location",
    pl.col("reopen_count").cast(pl.Int32, strict=False),
    pl.col("reassignment_count").cast(pl.Int32, strict=False),
    "problem_id", "caused_by", "type", "close_code",
)
lf.sink_parquet(out, compression="zstd")
