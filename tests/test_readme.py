import re

from .support.paths import REPO_ROOT


def _readme_test_command() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"Install and run the tests:\s*```sh\n(.+?)\n```", readme, re.S)
    assert match, "README lost its 'Install and run the tests' block"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command_exactly() -> None:
    ci_lines = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _readme_test_command() in ci_lines
