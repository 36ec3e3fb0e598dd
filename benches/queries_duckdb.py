"""DuckDB's side of the queries benchmark: run one queries/*.sql file with DuckDB over the
Parquet files a ticketlake manifest lists. The SQL is the same file, with the few dialect
differences translated (to_char -> strftime; the trend functions registered as Python UDFs
with the same definitions as src/query/trend.rs) and the parameters pasted as literals.
Prints the row count, so both engines can be checked to return the same number of rows."""
import glob
import json
import os
import sys

import duckdb

root, name, start, end = sys.argv[1:5]
m = json.load(open(sorted(glob.glob(os.path.join(root, "_manifest", "v*.json")))[-1]))
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
for table, spec in m["tables"].items():
    files = [os.path.join(root, f["path"]) for f in spec["files"]]
    if files:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({files!r})")
for view, kind in [("incidents", "incident"), ("requests", "request"), ("problems", "problem"), ("changes", "change")]:
    con.execute(f"CREATE VIEW {view} AS SELECT * FROM tickets WHERE kind = '{kind}'")


def points(v):
    return [(i, x) for i, x in enumerate(v or []) if x is not None]


def slope(v):
    p = points(v)
    s = sorted((b[1] - a[1]) / (b[0] - a[0]) for i, a in enumerate(p) for b in p[i + 1:])
    if not s:
        return None
    k = len(s) // 2
    return s[k] if len(s) % 2 else (s[k - 1] + s[k]) / 2


def pvalue(v):
    import math
    p = [x for _, x in points(v)]
    n = len(p)
    if n < 4:
        return None
    s = sum((b > a) - (b < a) for i, a in enumerate(p) for b in p[i + 1:])
    ties = {}
    for x in p:
        ties[x] = ties.get(x, 0) + 1
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties.values())) / 18
    if var <= 0:
        return 1.0
    z = (s - 1) / math.sqrt(var) if s > 0 else (s + 1) / math.sqrt(var) if s < 0 else 0.0
    return max(0.0, min(1.0, 2 * (1 - 0.5 * (1 + math.erf(abs(z) / math.sqrt(2))))))


def verdict(v, better):
    p, s = pvalue(v), slope(v)
    if p is None:
        return "insufficient data"
    if p < 0.05 and s:
        return "improving" if (s > 0) == bool(better) else "worsening"
    return "no clear trend"


con.create_function("trend_slope", slope, ["DOUBLE[]"], "DOUBLE")
con.create_function("trend_p", pvalue, ["DOUBLE[]"], "DOUBLE")
con.create_function("trend_verdict", verdict, ["DOUBLE[]", "BOOLEAN"], "VARCHAR")
sql = open(os.path.join("queries", name + ".sql")).read()
sql = (sql.replace("{{by_name}}", "scope").replace("{{by}}", "'all'")
       .replace("to_char(", "strftime(")
       .replace("$period_start", f"TIMESTAMPTZ '{start} 00:00:00+00'")
       .replace("$period_end", f"TIMESTAMPTZ '{end} 00:00:00+00'")
       .replace("$as_of", f"TIMESTAMPTZ '{end} 00:00:00+00'"))
print(len(con.execute(sql).fetchall()))
