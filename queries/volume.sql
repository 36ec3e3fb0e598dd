-- Tickets opened, resolved and closed in the period, and the open backlog at its end.
-- A ticket is in the backlog at the period's end when it was opened before it and neither
-- resolved nor closed by then; cancelled tickets with no close time are never backlog.
-- Parameters: $period_start, $period_end.
-- by: priority, service, group, category, source
-- columns: <by>, kind, opened, resolved, closed, backlog_at_end
WITH t AS (
  SELECT {{by}} AS dim, kind, opened_at, resolved_at, closed_at, status,
         COALESCE(resolved_at, closed_at) AS done_at
  FROM tickets
  WHERE opened_at < $period_end
)
SELECT dim AS "{{by_name}}", kind,
  SUM(CASE WHEN opened_at >= $period_start THEN 1 ELSE 0 END) AS opened,
  SUM(CASE WHEN resolved_at >= $period_start AND resolved_at < $period_end THEN 1 ELSE 0 END) AS resolved,
  SUM(CASE WHEN closed_at >= $period_start AND closed_at < $period_end THEN 1 ELSE 0 END) AS closed,
  SUM(CASE WHEN (done_at IS NULL OR done_at >= $period_end)
            AND NOT (status = 'cancelled' AND done_at IS NULL) THEN 1 ELSE 0 END) AS backlog_at_end
FROM t
GROUP BY dim, kind
HAVING SUM(CASE WHEN opened_at >= $period_start
                  OR (resolved_at >= $period_start AND resolved_at < $period_end)
                  OR (closed_at >= $period_start AND closed_at < $period_end)
                  OR ((done_at IS NULL OR done_at >= $period_end)
                      AND NOT (status = 'cancelled' AND done_at IS NULL)) THEN 1 ELSE 0 END) > 0
ORDER BY dim, kind
