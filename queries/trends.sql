-- Month-over-month trends over the 13 months ending with the period: incidents opened, MTTR
-- median (wall seconds, incidents resolved in the month) and SLA attainment (clocks that
-- stopped in the month, plus running clocks that breached in it), each with its change from
-- the month before and, on every row of a group, the trend test over the 13 months:
-- Theil-Sen slope per month with Mann-Kendall significance (p < 0.05), as improving,
-- worsening, no clear trend, or insufficient data (fewer than 4 months).
-- Parameters: $period_end. The window's bounds are written out in each filter, not joined
-- from a one-row CTE: a join would be a nested loop over every row and keep the filters out
-- of the Parquet scans. Months are truncated as naive UTC timestamps (every timestamp is UTC):
-- `date_trunc` on a zoned timestamp converts each row through the zone, several times slower.
-- by: service, category, group, priority, source
-- columns: <by>, month, opened, opened_delta, mttr_median_s, mttr_median_delta_s, attainment_pct, attainment_delta_pp, volume_trend, mttr_trend, mttr_slope_s_per_month, mttr_trend_p, attainment_trend, attainment_slope_pp_per_month, attainment_trend_p
WITH t AS (
  SELECT {{by}} AS dim, ticket_id, source, opened_at, resolved_at FROM incidents
),
vol AS (
  SELECT dim, date_trunc('month', CAST(opened_at AS TIMESTAMP)) AS month, COUNT(*) AS opened
  FROM t
  WHERE opened_at >= date_trunc('month', CAST($period_end AS TIMESTAMP) - INTERVAL '13 months')
    AND opened_at < $period_end
  GROUP BY 1, 2
),
res AS (
  SELECT dim, date_trunc('month', CAST(resolved_at AS TIMESTAMP)) AS month,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', resolved_at) - date_part('epoch', opened_at)) AS mttr_median_s
  FROM t
  WHERE resolved_at >= date_trunc('month', CAST($period_end AS TIMESTAMP) - INTERVAL '13 months')
    AND resolved_at < $period_end AND resolved_at >= opened_at
  GROUP BY 1, 2
),
att AS (
  SELECT t.dim, date_trunc('month', CAST(COALESCE(s.stop_at, s.breach_at) AS TIMESTAMP)) AS month,
    100.0 * SUM(CASE WHEN s.state = 'met' THEN 1 ELSE 0 END)
      / NULLIF(SUM(CASE WHEN s.state IN ('met', 'breached', 'in_progress_breached') THEN 1 ELSE 0 END), 0) AS attainment_pct
  FROM sla s JOIN t ON t.ticket_id = s.ticket_id AND t.source = s.source
  WHERE COALESCE(s.stop_at, s.breach_at) >= date_trunc('month', CAST($period_end AS TIMESTAMP) - INTERVAL '13 months')
    AND COALESCE(s.stop_at, s.breach_at) < $period_end
  GROUP BY 1, 2
),
m AS (
  -- One FULL JOIN chain, so each grouped CTE is computed once (DataFusion inlines CTEs:
  -- a UNION of the months plus LEFT JOINs back would compute each of them twice).
  SELECT COALESCE(vol.dim, res.dim, att.dim) AS dim,
    COALESCE(vol.month, res.month, att.month) AS month,
    COALESCE(vol.opened, 0) AS opened, res.mttr_median_s, att.attainment_pct
  FROM vol
  FULL JOIN res ON res.dim = vol.dim AND res.month = vol.month
  FULL JOIN att ON att.dim = COALESCE(vol.dim, res.dim) AND att.month = COALESCE(vol.month, res.month)
)
-- The trend tests are window aggregates over each group's months, so `m` is read once.
SELECT dim AS "{{by_name}}", to_char(month, '%Y-%m') AS month, opened,
  opened - LAG(opened) OVER (PARTITION BY dim ORDER BY month) AS opened_delta,
  CAST(ROUND(mttr_median_s) AS BIGINT) AS mttr_median_s,
  CAST(ROUND(mttr_median_s - LAG(mttr_median_s) OVER (PARTITION BY dim ORDER BY month)) AS BIGINT) AS mttr_median_delta_s,
  ROUND(attainment_pct, 2) AS attainment_pct,
  ROUND(attainment_pct - LAG(attainment_pct) OVER (PARTITION BY dim ORDER BY month), 2) AS attainment_delta_pp,
  trend_verdict(array_agg(CAST(opened AS DOUBLE)) OVER g, false) AS volume_trend,
  trend_verdict(array_agg(mttr_median_s) OVER g, false) AS mttr_trend,
  CAST(ROUND(trend_slope(array_agg(mttr_median_s) OVER g)) AS BIGINT) AS mttr_slope_s_per_month,
  ROUND(trend_p(array_agg(mttr_median_s) OVER g), 4) AS mttr_trend_p,
  trend_verdict(array_agg(attainment_pct) OVER g, true) AS attainment_trend,
  ROUND(trend_slope(array_agg(attainment_pct) OVER g), 3) AS attainment_slope_pp_per_month,
  ROUND(trend_p(array_agg(attainment_pct) OVER g), 4) AS attainment_trend_p
FROM m
WINDOW g AS (PARTITION BY dim ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
ORDER BY 1, 2
