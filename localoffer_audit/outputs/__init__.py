"""Stage 5, outputs: worklists, email, the run report, QA samples and history pages."""
