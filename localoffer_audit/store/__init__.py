"""The store: the SQLite database, its schema and migrations (``db.py``), the run lock, and
the query helpers, one module per area. Only in this package is there SQL."""
