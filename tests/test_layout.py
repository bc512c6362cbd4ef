"""The floor plan holds: the engine's top level stays small, the project's modules import one
another without a cycle, and the shipped packages import nothing of the tests or benchmarks."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("routing", "app", "testkit")
SHIPPED = ("routing", "app")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _imported(name: str, path: Path, known: set[str]) -> set[str]:
    """Every project module that ``name`` imports anywhere (module level, in functions, under
    TYPE_CHECKING): ``from a import b`` counts as importing ``a.b`` where that is a module."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            # the longest known module the import names (``a.b.c`` -> ``a.b`` if c is a name)
            parts = target.split(".")
            while parts and ".".join(parts) not in known:
                parts.pop()
            if parts and ".".join(parts) != name:
                out.add(".".join(parts))
    return out


def import_graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for target in _imported(name, path, set(modules)):
            graph.add_edge(name, target)
    return graph


def test_the_engine_has_at_most_sixteen_modules_at_its_top_level() -> None:
    top = sorted(p.name for p in (ROOT / "routing").glob("*.py"))
    assert len(top) <= 16, top


def test_no_import_cycle_among_the_project_modules() -> None:
    graph = import_graph()
    assert graph.number_of_edges() > 100  # the walk found the imports
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def test_the_shipped_packages_import_nothing_of_the_tests_or_benchmarks() -> None:
    modules = _modules()
    for name, path in modules.items():
        if not name.startswith(SHIPPED):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            for imported in names:
                assert imported.split(".")[0] not in ("tests", "testkit", "bench"), (name, imported)


def test_the_engine_imports_nothing_of_the_service() -> None:
    graph = import_graph()
    for name in graph:
        if name.startswith("routing"):
            assert not [t for t in graph.successors(name) if t.startswith("app")], name


def test_the_public_face_of_the_engine() -> None:
    import routing

    for name in routing.__all__:
        assert getattr(routing, name) is not None, name
    from routing import Budget, PlanDocument, load_inputs, plan  # noqa: F401
