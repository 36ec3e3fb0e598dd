-- First-contact resolution: incidents resolved in the period with no reassignment, never on
-- hold, and resolved within one business hour of opening. Business time is the resolution
-- SLA clock's (its calendar); where no resolution SLA applies, wall time is used.
-- Parameters: $period_start, $period_end.
-- by: priority, service, group, category, source
-- columns: <by>, resolved, first_contact, fcr_pct
WITH hold AS (
  SELECT DISTINCT ticket_id, source FROM status_intervals WHERE status = 'on_hold'
),
clock AS (
  SELECT ticket_id, source, MIN(business_elapsed_s) AS business_s
  FROM sla WHERE metric = 'resolution' AND stop_at IS NOT NULL
  GROUP BY ticket_id, source
),
t AS (
  SELECT {{by}} AS dim, ticket_id, source, opened_at, resolved_at, reassignment_count
  FROM incidents
  WHERE resolved_at >= $period_start AND resolved_at < $period_end
),
f AS (
  SELECT t.dim,
    CASE WHEN COALESCE(t.reassignment_count, 0) = 0 AND h.ticket_id IS NULL
          AND t.resolved_at >= t.opened_at
          AND COALESCE(CAST(c.business_s AS DOUBLE),
                       date_part('epoch', t.resolved_at) - date_part('epoch', t.opened_at)) <= 3600
         THEN 1 ELSE 0 END AS first_contact
  FROM t
  LEFT JOIN hold h ON h.ticket_id = t.ticket_id AND h.source = t.source
  LEFT JOIN clock c ON c.ticket_id = t.ticket_id AND c.source = t.source
)
SELECT dim AS "{{by_name}}", COUNT(*) AS resolved, SUM(first_contact) AS first_contact,
  ROUND(100.0 * SUM(first_contact) / COUNT(*), 2) AS fcr_pct
FROM f
GROUP BY dim
ORDER BY dim
