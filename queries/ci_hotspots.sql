-- CI hotspots: which configuration items cause most incidents. Per CI, the incidents opened
-- in the period, the CI's share of its group's incidents (of its service's with --by service,
-- so a database server two services share is listed under each), their mean resolution time
-- in hours (of those resolved), how many breached an SLA, and the changes closed on the CI in
-- the period (and how many failed). A ticket's config_item is resolved to a CI by the CMDB's
-- id or by a name exactly one CI has, in any case; names that resolve to no CI keep their own
-- row with class '(not in CMDB)', and tickets without one are the '(none)' row, so the
-- shares add up to 100.
-- Parameters: $period_start, $period_end.
-- by class: ci_class
-- by service: COALESCE(service, ci_service, '(none)')
-- by location: COALESCE(ci_location, location, '(none)')
-- by support_group: COALESCE(ci_support_group, assignment_group, '(none)')
-- columns: <by>, ci, ci_id, ci_class, incidents, share_pct, mttr_h, breaches, changes, failed_changes
WITH breached AS (
  SELECT DISTINCT ticket_id, source FROM sla
  WHERE state IN ('breached', 'in_progress_breached') AND start_at >= $period_start
),
inc AS (
  SELECT {{by}} AS dim, i.ci_key AS key, i.ci, i.ci_id, i.ci_class AS class, i.opened_at, i.resolved_at,
    CASE WHEN b.ticket_id IS NULL THEN 0 ELSE 1 END AS breached
  FROM (SELECT x.*, s.service AS ci_service FROM incidents_by_ci x
        LEFT JOIN ci_primary_service s ON s.ci_id = x.ci_id) i
  LEFT JOIN breached b ON b.ticket_id = i.ticket_id AND b.source = i.source
  WHERE i.opened_at >= $period_start AND i.opened_at < $period_end
),
chg AS (
  SELECT {{by}} AS dim, c.ci_key AS key, c.ci, c.ci_id, c.ci_class AS class,
    CASE WHEN c.outcome = 'failed' THEN 1 ELSE 0 END AS failed
  FROM (SELECT x.*, s.service AS ci_service FROM changes_by_ci x
        LEFT JOIN ci_primary_service s ON s.ci_id = x.ci_id) c
  WHERE COALESCE(c.closed_at, c.resolved_at) >= $period_start
    AND COALESCE(c.closed_at, c.resolved_at) < $period_end
),
per AS (
  SELECT dim, key, MIN(ci) AS ci, MIN(ci_id) AS ci_id, MIN(class) AS class, COUNT(*) AS incidents,
    AVG(CASE WHEN resolved_at >= opened_at
             THEN (date_part('epoch', resolved_at) - date_part('epoch', opened_at)) / 3600.0 END) AS mttr_h,
    SUM(breached) AS breaches, 0 AS changes, 0 AS failed_changes
  FROM inc GROUP BY dim, key
  UNION ALL
  SELECT dim, key, MIN(ci), MIN(ci_id), MIN(class), 0, CAST(NULL AS DOUBLE), 0, COUNT(*), SUM(failed)
  FROM chg GROUP BY dim, key
),
-- The group totals by a join: a window partitioned by the constant 'all' fails on Ballista.
total AS (SELECT dim, COUNT(*) AS n FROM inc GROUP BY dim)
SELECT p.dim AS "{{by_name}}", MIN(p.ci) AS ci, MIN(p.ci_id) AS ci_id, MIN(p.class) AS ci_class,
  SUM(p.incidents) AS incidents,
  CASE WHEN MAX(t.n) > 0 THEN ROUND(100.0 * SUM(p.incidents) / MAX(t.n), 2) END AS share_pct,
  ROUND(MAX(p.mttr_h), 2) AS mttr_h, SUM(p.breaches) AS breaches,
  SUM(p.changes) AS changes, SUM(p.failed_changes) AS failed_changes
FROM per p LEFT JOIN total t ON t.dim = p.dim
GROUP BY p.dim, p.key
ORDER BY 1, 5 DESC, 9 DESC, 2
