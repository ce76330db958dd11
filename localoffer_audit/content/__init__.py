"""Stage 3, content: pure rules over one stored service entry (no I/O, no database)."""
