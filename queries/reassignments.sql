-- Reassignments: the distribution of group hops of incidents resolved in the period
-- (0, 1, 2, 3, 4+; "unknown" where the export has no count), with each bucket's share.
-- Parameters: $period_start, $period_end.
-- by: priority, service, group, category, source
-- columns: <by>, hops, incidents, pct
WITH t AS (
  SELECT {{by}} AS dim,
    CASE WHEN reassignment_count IS NULL THEN 'unknown'
         WHEN reassignment_count >= 4 THEN '4+'
         ELSE CAST(reassignment_count AS VARCHAR) END AS hops
  FROM incidents
  WHERE resolved_at >= $period_start AND resolved_at < $period_end
),
n AS (SELECT dim, hops, COUNT(*) AS incidents FROM t GROUP BY dim, hops)
SELECT dim AS "{{by_name}}", hops, incidents,
  ROUND(100.0 * incidents / SUM(incidents) OVER (PARTITION BY dim), 2) AS pct
FROM n
ORDER BY dim, hops
