"""Canned queries offered in Datasette (`localoffer-audit browse`)."""

from localoffer_audit.store.findings import VISIBLE_FINDING

# What a worklist would show: open or reopened, confirmed, not dismissed.
_OPEN = VISIBLE_FINDING

CANNED_QUERIES: dict[str, dict[str, str]] = {
    "open_findings_by_manager": {
        "title": "Open findings by content manager",
        "description": "Open, confirmed, undismissed findings (as worklists show them), mapped by "
        "service id, then organisation (as `managers import` loaded them); services without a "
        "mapping row show as 'default owner' (worklists may also use the service's own email).",
        "sql": f"""
SELECT COALESCE(ms.manager_email, mo.manager_email, 'default owner') AS manager,
       f.severity, COUNT(*) AS open_findings
FROM findings f
JOIN services s ON s.id = f.service_id
LEFT JOIN manager_assignments ms ON ms.match_type = 'service_id' AND ms.match_value = s.id
LEFT JOIN manager_assignments mo ON mo.match_type = 'organisation'
     AND lower(trim(mo.match_value)) = lower(trim(s.organisation))
WHERE {_OPEN}
GROUP BY 1, 2
ORDER BY 1, CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2
                            WHEN 'low' THEN 3 ELSE 4 END""",
    },
    "broken_links_by_host": {
        "title": "Links needing attention, by host",
        "description": "Confirmed link problems, counted per host and verdict.",
        "sql": """
SELECT host, verdict, COUNT(*) AS links
FROM links
WHERE verdict NOT IN ('ok', 'excluded', 'unsupported') AND confirmed = 1
GROUP BY host, verdict
ORDER BY links DESC, host""",
    },
    "stale_services": {
        "title": "Stale services",
        "description": "Live services whose review or last-updated date is old or missing.",
        "sql": f"""
SELECT s.id, s.name, s.organisation, s.url, f.rule, f.message, f.first_seen_at
FROM findings f JOIN services s ON s.id = f.service_id
WHERE f.rule IN ('stale_date', 'missing_date') AND {_OPEN} AND s.state = 'live'
ORDER BY f.first_seen_at, s.name""",
    },
}
