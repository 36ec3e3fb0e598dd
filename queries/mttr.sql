-- Incident resolution time: mean, median and p90, in wall time and business time (seconds).
-- Period view (view = 'period'): incidents resolved in the period.
-- Cohort view (view = 'cohort'): incidents opened in the period, with the share still open at $as_of.
-- Business time is the resolution SLA clock's business seconds (its calendar, pauses
-- excluded); incidents no resolution SLA applies to have none. Medians and p90 are exact
-- (percentile_cont, linear interpolation). Incidents resolved before they were opened are
-- data-quality findings and left out.
-- Parameters: $period_start, $period_end, $as_of.
-- by: priority, service, group, category, source
-- columns: view, <by>, tickets, resolved, mean_s, median_s, p90_s, business_mean_s, business_median_s, business_p90_s, still_open_pct
WITH clock AS (
  -- Only clocks that can be used below: a resolution clock stops at resolved_at, and both
  -- views use incidents resolved at or after the period start (the period view by its
  -- filter, the cohort view because they opened in the period and wall_s >= 0). Grouping
  -- every clock of history instead was most of this query's time.
  SELECT ticket_id, source, MIN(business_elapsed_s) AS business_s
  FROM sla WHERE metric = 'resolution' AND stop_at >= $period_start
  GROUP BY ticket_id, source
),
t AS (
  SELECT {{by}} AS dim, ticket_id, source, opened_at, resolved_at FROM incidents
),
base AS (
  SELECT t.dim, t.opened_at, t.resolved_at,
    CASE WHEN t.resolved_at <= $as_of
         THEN date_part('epoch', t.resolved_at) - date_part('epoch', t.opened_at) END AS wall_s,
    CASE WHEN t.resolved_at <= $as_of THEN CAST(c.business_s AS DOUBLE) END AS business_s
  FROM t LEFT JOIN clock c ON c.ticket_id = t.ticket_id AND c.source = t.source
)
-- Both views in one pass: each incident row is paired with the view(s) it belongs to
-- (DataFusion inlines CTEs, so a UNION ALL of two SELECTs joined the incidents to their
-- clocks twice). On period rows wall_s >= 0 always holds, so the CASEs change nothing there.
SELECT v.view, dim AS "{{by_name}}", COUNT(*) AS tickets, COUNT(wall_s) AS resolved,
  CAST(ROUND(AVG(CASE WHEN wall_s >= 0 THEN wall_s END)) AS BIGINT) AS mean_s,
  CAST(ROUND(percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN wall_s >= 0 THEN wall_s END)) AS BIGINT) AS median_s,
  CAST(ROUND(percentile_cont(0.9) WITHIN GROUP (ORDER BY CASE WHEN wall_s >= 0 THEN wall_s END)) AS BIGINT) AS p90_s,
  CAST(ROUND(AVG(CASE WHEN wall_s >= 0 THEN business_s END)) AS BIGINT) AS business_mean_s,
  CAST(ROUND(percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN wall_s >= 0 THEN business_s END)) AS BIGINT) AS business_median_s,
  CAST(ROUND(percentile_cont(0.9) WITHIN GROUP (ORDER BY CASE WHEN wall_s >= 0 THEN business_s END)) AS BIGINT) AS business_p90_s,
  CASE WHEN v.view = 'cohort'
       THEN ROUND(100.0 * SUM(CASE WHEN wall_s IS NULL THEN 1 ELSE 0 END) / COUNT(*), 2) END AS still_open_pct
FROM base
JOIN (VALUES ('period'), ('cohort')) v(view)
  ON (v.view = 'period' AND resolved_at >= $period_start AND resolved_at < $period_end AND wall_s >= 0)
  OR (v.view = 'cohort' AND opened_at >= $period_start AND opened_at < $period_end)
GROUP BY v.view, dim
ORDER BY 1 DESC, 2
