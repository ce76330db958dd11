"""How long the national run's workers wait for each other, written once: the worker's
options, the job app and `national status` read these (docs/national.md, "Stalled jobs").

A plain module (no procrastinate, no psycopg), so the command-line options can show the
defaults without loading the optional extra.
"""

# A running job whose worker has sent no heartbeat for this long is given back to the
# queue (and reported stuck by `national status`).
LEASE_SECONDS = 30.0
# Seconds between a worker's heartbeats: well inside the lease.
HEARTBEAT_SECONDS = 10.0
# Seconds between the looks for jobs a dead worker left.
STALLED_CHECK_SECONDS = 60
