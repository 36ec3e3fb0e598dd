-- Open tickets at $as_of by age in whole days: 0-2 d, 3-7 d, 8-30 d, over 30 d.
-- Open means opened by $as_of and neither resolved nor closed by then; cancelled tickets
-- with no close time are not backlog.
-- Parameters: $as_of.
-- by: priority, group, service, category, source
-- columns: <by>, kind, open, age_0_2d, age_3_7d, age_8_30d, age_over_30d, oldest_days
WITH o AS (
  SELECT {{by}} AS dim, kind,
    FLOOR((date_part('epoch', $as_of) - date_part('epoch', opened_at)) / 86400) AS age_d
  FROM tickets
  WHERE opened_at <= $as_of
    AND (COALESCE(resolved_at, closed_at) IS NULL OR COALESCE(resolved_at, closed_at) > $as_of)
    AND NOT (status = 'cancelled' AND COALESCE(resolved_at, closed_at) IS NULL)
)
SELECT dim AS "{{by_name}}", kind, COUNT(*) AS open,
  SUM(CASE WHEN age_d <= 2 THEN 1 ELSE 0 END) AS age_0_2d,
  SUM(CASE WHEN age_d BETWEEN 3 AND 7 THEN 1 ELSE 0 END) AS age_3_7d,
  SUM(CASE WHEN age_d BETWEEN 8 AND 30 THEN 1 ELSE 0 END) AS age_8_30d,
  SUM(CASE WHEN age_d > 30 THEN 1 ELSE 0 END) AS age_over_30d,
  CAST(MAX(age_d) AS BIGINT) AS oldest_days
FROM o
GROUP BY dim, kind
ORDER BY dim, kind
