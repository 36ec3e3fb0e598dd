-- Problem management health: the share of incidents opened in the period that are linked to
-- a problem record, and the problems open at $as_of (opened by then and not resolved or
-- closed by then; known errors, which have a workaround but no fix, stay open) by age.
-- Parameters: $period_start, $period_end, $as_of.
-- by: service, category, group, priority, source
-- columns: <by>, incidents, linked, linked_pct, open_problems, known_errors, open_0_30d, open_31_90d, open_over_90d, oldest_open_days
WITH inc AS (
  SELECT {{by}} AS dim, COUNT(*) AS incidents,
    SUM(CASE WHEN problem_id IS NOT NULL AND problem_id <> '' THEN 1 ELSE 0 END) AS linked
  FROM incidents
  WHERE opened_at >= $period_start AND opened_at < $period_end
  GROUP BY 1
),
p AS (
  SELECT {{by}} AS dim,
    CASE WHEN lower(source_status) LIKE '%known error%' THEN 1 ELSE 0 END AS known_error,
    FLOOR((date_part('epoch', $as_of) - date_part('epoch', opened_at)) / 86400) AS age_d
  FROM problems
  WHERE opened_at <= $as_of AND status <> 'cancelled'
    AND (closed_at IS NULL OR closed_at > $as_of)
    AND (resolved_at IS NULL OR resolved_at > $as_of OR lower(source_status) LIKE '%known error%')
),
prb AS (
  SELECT dim, COUNT(*) AS open_problems, SUM(known_error) AS known_errors,
    SUM(CASE WHEN age_d <= 30 THEN 1 ELSE 0 END) AS open_0_30d,
    SUM(CASE WHEN age_d BETWEEN 31 AND 90 THEN 1 ELSE 0 END) AS open_31_90d,
    SUM(CASE WHEN age_d > 90 THEN 1 ELSE 0 END) AS open_over_90d,
    CAST(MAX(age_d) AS BIGINT) AS oldest_open_days
  FROM p GROUP BY dim
)
SELECT COALESCE(inc.dim, prb.dim) AS "{{by_name}}",
  COALESCE(inc.incidents, 0) AS incidents, COALESCE(inc.linked, 0) AS linked,
  CASE WHEN inc.incidents > 0 THEN ROUND(100.0 * inc.linked / inc.incidents, 2) END AS linked_pct,
  COALESCE(prb.open_problems, 0) AS open_problems, COALESCE(prb.known_errors, 0) AS known_errors,
  COALESCE(prb.open_0_30d, 0) AS open_0_30d, COALESCE(prb.open_31_90d, 0) AS open_31_90d,
  COALESCE(prb.open_over_90d, 0) AS open_over_90d, prb.oldest_open_days
FROM inc FULL OUTER JOIN prb ON inc.dim = prb.dim
ORDER BY 1
