-- Unresolved configuration items: every config_item of the tickets opened in the period that
-- names no CI of the CMDB (neither an id nor a name exactly one CI has, in any case), with how
-- many tickets of each kind give it and when it was first and last seen. Names two CIs share
-- are ambiguous and listed here too. Fix them in the CMDB or in the ticketing tool; the CI
-- queries keep these tickets under class '(not in CMDB)', never drop them.
-- Parameters: $period_start, $period_end.
-- by: kind, source, service, group
-- columns: <by>, config_item, tickets, incidents, changes, other, ambiguous, first_opened, last_opened
WITH names AS (
  SELECT lower(trim(name)) AS key, COUNT(*) AS cis FROM config_items
  WHERE name IS NOT NULL GROUP BY lower(trim(name))
),
t AS (
  SELECT {{by}} AS dim, lower(trim(x.config_item)) AS key, trim(x.config_item) AS config_item,
    x.kind, x.opened_at
  FROM tickets x LEFT JOIN ci_keys k ON k.key = lower(trim(x.config_item))
  WHERE x.opened_at >= $period_start AND x.opened_at < $period_end
    AND k.ci_id IS NULL AND NULLIF(trim(x.config_item), '') IS NOT NULL
)
SELECT t.dim AS "{{by_name}}", MIN(t.config_item) AS config_item, COUNT(*) AS tickets,
  SUM(CASE WHEN t.kind = 'incident' THEN 1 ELSE 0 END) AS incidents,
  SUM(CASE WHEN t.kind = 'change' THEN 1 ELSE 0 END) AS changes,
  SUM(CASE WHEN t.kind NOT IN ('incident', 'change') THEN 1 ELSE 0 END) AS other,
  MAX(CASE WHEN n.cis > 1 THEN true ELSE false END) AS ambiguous,
  MIN(t.opened_at) AS first_opened, MAX(t.opened_at) AS last_opened
FROM t LEFT JOIN names n ON n.key = t.key
GROUP BY t.dim, t.key
ORDER BY 1, 3 DESC, 2
