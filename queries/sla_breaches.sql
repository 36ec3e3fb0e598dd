-- The SLA breaches of the period, worst overrun first: every clock whose breach instant falls
-- in the period, with how long it ran past its target (wall time from the breach to the
-- clock's stop, or to $as_of while it is still running).
-- Parameters: $period_start, $period_end, $as_of.
-- columns: sla_name, ticket_id, source, priority, service, assignment_group, title, state, breach_at, stop_at, target_s, business_elapsed_s, overrun_s
SELECT s.sla_name, s.ticket_id, s.source, t.priority, t.service, t.assignment_group, t.title,
  s.state, s.breach_at, s.stop_at, s.target_s, s.business_elapsed_s,
  CAST(date_part('epoch', COALESCE(s.stop_at, $as_of)) - date_part('epoch', s.breach_at) AS BIGINT) AS overrun_s
FROM sla s JOIN tickets t ON t.ticket_id = s.ticket_id AND t.source = s.source
WHERE s.breached AND s.breach_at >= $period_start AND s.breach_at < $period_end
  AND s.breach_at <= $as_of
ORDER BY overrun_s DESC, s.sla_name, s.source, s.ticket_id
