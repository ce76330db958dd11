"""The package's import graph: no cycles (demo included), the pipeline never imports the demo,
and no module imports a higher layer or a peer stage (the layers are drawn in
docs/architecture.md).

The graph is read from the source with ``ast`` (imports inside functions count too: a
lazy import that closes a loop is still a loop a newcomer has to untangle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import localoffer_audit

PACKAGE_DIR = Path(localoffer_audit.__file__).parent
PACKAGE = "localoffer_audit"


def _modules() -> dict[str, tuple[Path, bool]]:
    found: dict[str, tuple[Path, bool]] = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = [PACKAGE, *path.relative_to(PACKAGE_DIR).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, (path, is_package) in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                graph[name].update(alias.name for alias in node.names if alias.name in modules)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    submodule = f"{target}.{alias.name}"
                    if submodule in modules:
                        graph[name].add(submodule)
                    elif target in modules:
                        graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_the_package_has_no_import_cycle():
    assert _cycles(_import_graph()) == []


def test_the_cycle_finder_sees_a_loop():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_pipeline_never_imports_the_demo():
    graph = _import_graph()
    allowed = {f"{PACKAGE}.commands.demo", f"{PACKAGE}.cli", f"{PACKAGE}.commands"}
    offenders = sorted(
        name
        for name, targets in graph.items()
        if not name.startswith(f"{PACKAGE}.demo")
        and name not in allowed
        and any(t == f"{PACKAGE}.demo" or t.startswith(f"{PACKAGE}.demo.") for t in targets)
    )
    assert offenders == []


# Layers, bottom to top. A module may import its own top-level part and any lower layer;
# parts on the same layer (the stages crawl, links and content) are peers and never import
# each other, so each stage can be read, tested and replaced on its own.
LAYERS: list[set[str]] = [
    {"__init__", "errors", "exitcodes", "redact", "logfilters", "malloc", "progress", "snapshots"},
    {"models"},
    {"catalogue", "parsing"},
    {"config", "store", "preflight"},
    {"crawl", "links", "content", "spiders"},
    {"findings"},
    {"outputs"},
    {"nightly"},
    {"demo"},
    {"national"},
    {"commands"},
    {"cli"},
    {"__main__"},
]


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layer_of(part: str) -> int:
    for rank, layer in enumerate(LAYERS):
        if part in layer:
            return rank
    raise AssertionError(f"localoffer_audit.{part} is on no layer: add it to LAYERS in this test")


def test_every_part_of_the_package_is_on_a_layer() -> None:
    for module in _import_graph():
        _layer_of(_part(module))


def test_nothing_imports_a_higher_layer_or_a_peer_stage() -> None:
    wrong = []
    for module, imported in _import_graph().items():
        here = _part(module)
        for target in imported:
            there = _part(target)
            if there != here and _layer_of(there) >= _layer_of(here):
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports that go up a layer or across to a peer:\n" + "\n".join(sorted(wrong))


def test_only_the_cli_imports_the_national_run():
    """The single-council path stays a plain install: nothing in it imports the national
    package (the optional extra), and only the CLI registers its commands."""
    graph = _import_graph()
    national = f"{PACKAGE}.national"
    offenders = sorted(
        name
        for name, targets in graph.items()
        if not name.startswith(national)
        and name != f"{PACKAGE}.cli"
        and any(t == national or t.startswith(f"{national}.") for t in targets)
    )
    assert offenders == []
    # The CLI imports only the commands module, which loads the extra when a command runs.
    assert {t for t in graph[f"{PACKAGE}.cli"] if t.startswith(national)} == {f"{national}.commands"}
    commands_source = (PACKAGE_DIR / "national" / "commands.py").read_text(encoding="utf-8")
    top_level = [
        node for node in ast.parse(commands_source).body if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    modules = {node.module if isinstance(node, ast.ImportFrom) else node.names[0].name for node in top_level}
    assert not any(m and m.split(".")[0] in ("procrastinate", "psycopg") for m in modules)
    assert modules & {f"{national}.jobs", f"{national}.database"} == set()
