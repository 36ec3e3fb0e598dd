-- Change success: changes closed in the period by type, split into successful, successful
-- with issues, failed and other (by close code, case-insensitive: "Successful", "Successful
-- with issues", "Unsuccessful"/"Failed"...), each type's share of all changes (the emergency
-- share is the Emergency row's), and the incidents opened in the period that were caused by a
-- change of that type. The "(all)" row totals every type. `followed_by_incidents` counts the
-- changes the change_impact table (written by build) marks suspect: followed on their CI, or
-- on a CI that depends on it, by more incidents than those CIs' own rate explains;
-- `confirmed` those an incident names as its cause (caused_by_change), declared failure or not.
-- Parameters: $period_start, $period_end.
-- by: service, group, category, source
-- columns: <by>, change_type, changes, successful, with_issues, failed, other, success_pct, share_pct, incidents_caused, followed_by_incidents, confirmed
WITH c AS (
  SELECT {{by}} AS dim, ticket_id, source, COALESCE(change_type, '(none)') AS change_type,
    CASE WHEN im.suspect THEN 1 ELSE 0 END AS suspect,
    CASE WHEN im.confirmed THEN 1 ELSE 0 END AS confirmed,
    CASE WHEN lower(close_code) LIKE 'successful with issue%' THEN 'with_issues'
         WHEN lower(close_code) LIKE 'success%' THEN 'successful'
         WHEN lower(close_code) LIKE 'unsuccess%' OR lower(close_code) LIKE 'fail%'
           OR lower(close_code) LIKE 'backed out%' OR lower(close_code) LIKE 'rolled back%' THEN 'failed'
         ELSE 'other' END AS outcome
  FROM changes
  LEFT JOIN (SELECT change_id, source AS impact_source, suspect, confirmed FROM change_impact) im
    ON im.change_id = ticket_id AND im.impact_source = source
  WHERE COALESCE(closed_at, resolved_at) >= $period_start AND COALESCE(closed_at, resolved_at) < $period_end
),
caused AS (
  SELECT ch.dim, ch.change_type, COUNT(*) AS n
  FROM incidents i JOIN changes k ON k.ticket_id = i.caused_by_change AND k.source = i.source
  JOIN (SELECT {{by}} AS dim, ticket_id, source, COALESCE(change_type, '(none)') AS change_type FROM changes) ch
    ON ch.ticket_id = k.ticket_id AND ch.source = k.source
  WHERE i.opened_at >= $period_start AND i.opened_at < $period_end
  GROUP BY ch.dim, ch.change_type
),
typed AS (
  SELECT dim, change_type, COUNT(*) AS changes,
    SUM(CASE WHEN outcome = 'successful' THEN 1 ELSE 0 END) AS successful,
    SUM(CASE WHEN outcome = 'with_issues' THEN 1 ELSE 0 END) AS with_issues,
    SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS failed,
    SUM(CASE WHEN outcome = 'other' THEN 1 ELSE 0 END) AS other,
    SUM(suspect) AS followed_by_incidents, SUM(confirmed) AS confirmed
  FROM c GROUP BY dim, change_type
  UNION ALL
  SELECT dim, '(all)', COUNT(*),
    SUM(CASE WHEN outcome = 'successful' THEN 1 ELSE 0 END),
    SUM(CASE WHEN outcome = 'with_issues' THEN 1 ELSE 0 END),
    SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END),
    SUM(CASE WHEN outcome = 'other' THEN 1 ELSE 0 END),
    SUM(suspect), SUM(confirmed)
  FROM c GROUP BY dim
),
caused_all AS (
  SELECT dim, change_type, n FROM caused
  UNION ALL
  SELECT dim, '(all)', SUM(n) FROM caused GROUP BY dim
)
SELECT t.dim AS "{{by_name}}", t.change_type, t.changes, t.successful, t.with_issues, t.failed, t.other,
  CASE WHEN t.changes - t.other > 0
       THEN ROUND(100.0 * t.successful / (t.changes - t.other), 2) END AS success_pct,
  ROUND(100.0 * t.changes / SUM(CASE WHEN t.change_type = '(all)' THEN 0 ELSE t.changes END)
        OVER (PARTITION BY t.dim), 2) AS share_pct,
  COALESCE(k.n, 0) AS incidents_caused, t.followed_by_incidents, t.confirmed
FROM typed t LEFT JOIN caused_all k ON k.dim = t.dim AND k.change_type = t.change_type
ORDER BY t.dim, t.change_type = '(all)', t.change_type
