-- Reopen rate: the share of incidents resolved in the period that were reopened at least once.
-- Only incidents whose export carries a reopen count are in the ratio (with_data); the rest
-- are counted so a source without the field is visible instead of looking perfect.
-- Parameters: $period_start, $period_end.
-- by: priority, service, group, category, source
-- columns: <by>, resolved, with_data, reopened, reopen_pct
WITH t AS (
  SELECT {{by}} AS dim, reopen_count FROM incidents
  WHERE resolved_at >= $period_start AND resolved_at < $period_end
)
SELECT dim AS "{{by_name}}", COUNT(*) AS resolved, COUNT(reopen_count) AS with_data,
  SUM(CASE WHEN reopen_count > 0 THEN 1 ELSE 0 END) AS reopened,
  CASE WHEN COUNT(reopen_count) > 0
       THEN ROUND(100.0 * SUM(CASE WHEN reopen_count > 0 THEN 1 ELSE 0 END) / COUNT(reopen_count), 2) END AS reopen_pct
FROM t
GROUP BY dim
ORDER BY dim
