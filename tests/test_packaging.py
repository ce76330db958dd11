import tomllib

from .support.paths import REPO_ROOT


def test_every_subpackage_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(REPO_ROOT).parts)
        for init in (REPO_ROOT / "localoffer_audit").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    on_disk |= {"localoffer_audit.reports", "localoffer_audit.spiders"}
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"
