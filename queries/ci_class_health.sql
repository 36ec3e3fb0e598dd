-- CI class health: which kinds of configuration item are the weak ones. Per CI class (the
-- CMDB's class, such as a database instance or a firewall): the CIs of the class (those of
-- the CMDB, and in a group also those its tickets name),
-- the incidents opened in the period on them and the incidents per CI, how many CIs had any,
-- and the changes closed on them in the period with the failed ones and the failed-change
-- rate (failed / changes with a known outcome). Names no CI has form the '(not in CMDB)'
-- class (its CIs are the distinct names seen), tickets without a config_item the '(none)'
-- class. --by service groups by the ticket's service, else the CI's own (the service that
-- depends on it most closely), --by location and --by support_group by the CI's.
-- Parameters: $period_start, $period_end.
-- by class: ci_class
-- by service: COALESCE(service, ci_service, '(none)')
-- by location: COALESCE(ci_location, location, '(none)')
-- by support_group: COALESCE(ci_support_group, assignment_group, '(none)')
-- columns: <by>, ci_class, cis, incidents, incidents_per_ci, cis_with_incidents, changes, failed_changes, failed_change_pct
WITH items AS (
  -- Every CI of the CMDB, with the columns the dimensions read.
  SELECT c.ci_id AS ci_key, COALESCE(c.class, '(no class)') AS ci_class, c.location AS ci_location, c.support_group AS ci_support_group,
    s.service AS ci_service, CAST(NULL AS VARCHAR) AS service, CAST(NULL AS VARCHAR) AS location,
    CAST(NULL AS VARCHAR) AS assignment_group
  -- A CI is one of every service that depends on it (a shared database is one of each).
  FROM config_items c LEFT JOIN ci_services s ON s.ci_id = c.ci_id
),
inc AS (
  SELECT i.*, s.service AS ci_service FROM incidents_by_ci i
  LEFT JOIN ci_primary_service s ON s.ci_id = i.ci_id
  WHERE i.opened_at >= $period_start AND i.opened_at < $period_end
),
chg AS (
  SELECT c.*, s.service AS ci_service FROM changes_by_ci c
  LEFT JOIN ci_primary_service s ON s.ci_id = c.ci_id
  WHERE COALESCE(c.closed_at, c.resolved_at) >= $period_start
    AND COALESCE(c.closed_at, c.resolved_at) < $period_end
),
per AS (
  SELECT {{by}} AS dim, ci_class AS class, ci_key AS key, 0 AS incidents, 0 AS changes, 0 AS failed, 0 AS known
  FROM items
  UNION ALL
  SELECT {{by}} AS dim, ci_class AS class, ci_key AS key, 1, 0, 0, 0 FROM inc
  UNION ALL
  SELECT {{by}} AS dim, ci_class AS class, ci_key AS key, 0, 1, CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END,
    CASE WHEN outcome = 'other' THEN 0 ELSE 1 END FROM chg
),
per_ci AS (
  SELECT dim, class, key, SUM(incidents) AS incidents,
    SUM(changes) AS changes, SUM(failed) AS failed, SUM(known) AS known
  FROM per GROUP BY dim, class, key
)
-- Every CI of the group is one row of per_ci: those of the CMDB and those its tickets name.
SELECT dim AS "{{by_name}}", class AS ci_class,
  SUM(CASE WHEN class = '(none)' THEN 0 ELSE 1 END) AS cis,
  SUM(incidents) AS incidents,
  CASE WHEN class <> '(none)'
       THEN ROUND(CAST(SUM(incidents) AS DOUBLE) / COUNT(*), 2) END AS incidents_per_ci,
  SUM(CASE WHEN incidents > 0 AND class <> '(none)' THEN 1 ELSE 0 END) AS cis_with_incidents,
  SUM(changes) AS changes, SUM(failed) AS failed_changes,
  CASE WHEN SUM(known) > 0 THEN ROUND(100.0 * SUM(failed) / SUM(known), 2) END AS failed_change_pct
FROM per_ci
GROUP BY dim, class
ORDER BY 1, 4 DESC, 2
