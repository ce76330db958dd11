"""``python -m localoffer_audit`` is the same CLI as the console script."""

import subprocess
import sys


def test_python_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "localoffer_audit", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("localoffer-audit, version ")
