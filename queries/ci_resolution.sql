-- CI resolution: how many tickets opened in the period name a configuration item, and how
-- many of those resolve to a CI of the CMDB (by its id, or by a name exactly one CI has, in
-- any case). A data-quality figure: a low share means the CMDB or the tickets' config_item
-- need work before the CI queries can be trusted. The names that resolve to nothing are
-- listed by the ci_unresolved query.
-- Parameters: $period_start, $period_end.
-- by: kind, source, service, group
-- columns: <by>, tickets, with_ci, resolved, unresolved, resolved_pct, unresolved_names
WITH t AS (
  SELECT {{by}} AS dim, x.config_item, k.ci_id
  FROM tickets x LEFT JOIN ci_keys k ON k.key = lower(trim(x.config_item))
  WHERE x.opened_at >= $period_start AND x.opened_at < $period_end
)
SELECT dim AS "{{by_name}}", COUNT(*) AS tickets,
  SUM(CASE WHEN NULLIF(trim(config_item), '') IS NOT NULL THEN 1 ELSE 0 END) AS with_ci,
  SUM(CASE WHEN ci_id IS NOT NULL THEN 1 ELSE 0 END) AS resolved,
  SUM(CASE WHEN ci_id IS NULL AND NULLIF(trim(config_item), '') IS NOT NULL THEN 1 ELSE 0 END) AS unresolved,
  CASE WHEN SUM(CASE WHEN NULLIF(trim(config_item), '') IS NOT NULL THEN 1 ELSE 0 END) > 0
       THEN ROUND(100.0 * SUM(CASE WHEN ci_id IS NOT NULL THEN 1 ELSE 0 END)
                  / SUM(CASE WHEN NULLIF(trim(config_item), '') IS NOT NULL THEN 1 ELSE 0 END), 2) END AS resolved_pct,
  COUNT(DISTINCT CASE WHEN ci_id IS NULL THEN lower(trim(config_item)) END) AS unresolved_names
FROM t GROUP BY dim ORDER BY 1
