-- SLA attainment: met / (met + breached + in_progress_breached), per SLA.
-- A clock counts in the period it stopped in (met, breached, cancelled, invalid); a clock
-- still running counts in the period it breached in (in_progress_breached) or, if not
-- breached, in the period it started in (in_progress, not in the ratio).
-- by=month groups by the month the clock is counted in.
-- Parameters: $period_start, $period_end.
-- by: priority, service, group, category, source
-- by month: to_char(COALESCE(stop_at, breach_at, start_at), '%Y-%m')
-- columns: sla_name, <by>, clocks, met, breached, in_progress_breached, in_progress, cancelled, invalid, attainment_pct
WITH x AS (
  SELECT s.sla_name, s.state, s.start_at, s.stop_at, s.breach_at,
         t.priority, t.service, t.assignment_group, t.category, t.source, t.opened_at
  FROM sla s JOIN tickets t ON t.ticket_id = s.ticket_id AND t.source = s.source
),
counted AS (
  SELECT sla_name, state, {{by}} AS dim FROM x
  WHERE (stop_at >= $period_start AND stop_at < $period_end)
     OR (stop_at IS NULL AND state = 'in_progress_breached'
         AND breach_at >= $period_start AND breach_at < $period_end)
     OR (stop_at IS NULL AND state = 'in_progress'
         AND start_at >= $period_start AND start_at < $period_end)
),
n AS (
  SELECT sla_name, dim, COUNT(*) AS clocks,
    SUM(CASE WHEN state = 'met' THEN 1 ELSE 0 END) AS met,
    SUM(CASE WHEN state = 'breached' THEN 1 ELSE 0 END) AS breached,
    SUM(CASE WHEN state = 'in_progress_breached' THEN 1 ELSE 0 END) AS in_progress_breached,
    SUM(CASE WHEN state = 'in_progress' THEN 1 ELSE 0 END) AS in_progress,
    SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
    SUM(CASE WHEN state = 'invalid' THEN 1 ELSE 0 END) AS invalid
  FROM counted GROUP BY sla_name, dim
)
SELECT sla_name, dim AS "{{by_name}}", clocks, met, breached, in_progress_breached,
  in_progress, cancelled, invalid,
  CASE WHEN met + breached + in_progress_breached > 0
       THEN ROUND(100.0 * met / (met + breached + in_progress_breached), 2) END AS attainment_pct
FROM n
ORDER BY sla_name, dim
