"""Names a reader understands for the closed vocabularies: link verdicts, rules, stages.

docs/verdicts.md and docs/rules.md have the exact meaning of each; these are the words
the report, the history pages and the worklists print instead of ids.
"""

from __future__ import annotations

# Link verdicts as a reader says them (docs/verdicts.md has the exact meaning of each).
VERDICT_LABELS = {
    "ok": "Working", "redirected": "Moved (redirects to a working page)", "moved_offsite": "Now leads to another website",
    "broken": "Broken", "server_error": "Website failing", "timeout": "Does not answer", "soft_404": "'Page not found' page",
    "parked": "Parked or for-sale domain", "tls_error": "Security certificate problem", "blocked": "Could not be checked automatically",
    "insecure": "http:// where https:// works", "internal_address": "Private network address",
    "invalid_email": "Email address cannot be right", "invalid_phone": "Phone number cannot be right",
    "excluded": "Not checked (excluded in the config)", "unsupported": "Not checked (not a web address)",
    "unchecked": "Not checked yet",
}
# Verdicts that need nobody to do anything.
FINE_VERDICTS = ("ok", "redirected", "excluded", "unsupported", "unchecked")
STAGE_LABELS = {
    "crawl": "Reading the directory", "links": "Checking links", "findings": "Content checks and findings",
    "managers": "Content managers", "worklists": "Worklists", "email": "Email",
}


def rule_title(rule: str) -> str:
    from localoffer_audit.catalogue import ALL_RULES

    info = ALL_RULES.get(rule)
    return info.title if info else rule.replace("_", " ").capitalize()


def verdict_label(verdict: str) -> str:
    return VERDICT_LABELS.get(verdict, verdict.replace("_", " ").capitalize())
