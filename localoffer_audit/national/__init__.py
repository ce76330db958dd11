"""The national audit: many councils' nightly runs on procrastinate workers and PostgreSQL.

Optional (``pip install -e '.[national]'``): nothing in the single-council path imports
this package. Each council keeps its own SQLite store and runs its own stages unchanged;
PostgreSQL holds only what councils share (the job queue, tonight's plan, the national
link cache). docs/national.md has the architecture.
"""
