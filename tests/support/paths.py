"""Where the checkout is, for tests that read its files (README, pyproject, scrapy.cfg)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
