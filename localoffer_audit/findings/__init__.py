"""Stage 4, findings: what is wrong now, what changed since the last run, dismissals, export."""
