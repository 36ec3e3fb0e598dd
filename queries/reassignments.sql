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
n AS (SELECT dim, hops, COUNT(*) AS incidents FROM t GROUP BY dim, hops),
-- Each group's total by a join rather than a window: Ballista 55 loses the ordering a
-- window partitioned by a constant (the 'all' scope) needs, and fails.
total AS (SELECT dim, SUM(incidents) AS incidents FROM n GROUP BY dim)
SELECT n.dim AS "{{by_name}}", n.hops, n.incidents,
  ROUND(100.0 * n.incidents / total.incidents, 2) AS pct
FROM n JOIN total ON total.dim = n.dim
ORDER BY n.dim, n.hops
