"""``python -m localoffer_audit`` runs the same CLI as the ``localoffer-audit`` command."""

from localoffer_audit.cli import main

if __name__ == "__main__":
    main(prog_name="localoffer-audit")
