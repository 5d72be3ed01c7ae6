"""No import cycles inside juesuan/: data flows one way, so imports do too (docs/STYLE: layout).

Read statically from the AST of every module, so it needs no optional dependency and sees every branch. Every
``import`` statement that runs counts, at module level and inside functions (lazy imports): a lazy import only
postpones a two-way dependency, the two modules still cannot be read, tested or moved apart, and which one finishes
loading first becomes an accident of call order. Imports under ``if TYPE_CHECKING:`` never run: they name a type for
annotations only (e.g. the exporters in io/ annotate ``Document``, whose convenience methods call them), so they are
not edges. A package's ``__init__`` is an edge only where a module
names it (``from juesuan import __version__``), not for every submodule import, as Python runs the (empty) parent
``__init__`` once and it imports nothing back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import juesuan

PACKAGE = Path(juesuan.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, dict[str, int]]:
    """module → {imported juesuan module: first line}, for every module under juesuan/."""
    paths = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}

    def resolve(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, int]] = {}
    for name, path in paths.items():
        edges: dict[str, int] = {}
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative import
                    base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                found = resolve(target) if target.split(".")[0] == "juesuan" else None
                if found is not None and found != name:
                    edges.setdefault(found, node.lineno)
        graph[name] = edges
    return graph


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except the bodies of ``if TYPE_CHECKING:`` (their ``else`` still runs)."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, ast.If) and ast.unparse(node.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}:
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return out


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
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
                    work.append((child, iter(graph[child])))
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
                    found.append(sorted(component))
    return found


def test_cycle_finder_sees_lazy_and_long_cycles() -> None:
    graph = {"a": {"b": 1}, "b": {"c": 9}, "c": {"a": 40}, "d": {"a": 2}, "e": {}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b": 1}, "b": {}}) == []


def test_type_checking_imports_are_not_edges() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\nelse:\n    import b\nimport c\n"
    )
    names = {alias.name for node in _runtime_nodes(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert names == {"b", "c"}


def test_graph_reads_function_level_and_relative_imports() -> None:
    graph = import_graph()
    assert "juesuan.validation.check" in graph["juesuan.inference.pipeline"]  # imported inside Pipeline.finish
    assert "juesuan.inference.registry" in graph["juesuan.inference.pipeline"]  # from juesuan.inference import registry
    assert len(graph) > 80


def test_no_import_cycle_inside_juesuan() -> None:
    graph = import_graph()
    report = [
        f"{a} imports {b} (line {line})" for c in cycles(graph) for a in c for b, line in graph[a].items() if b in c
    ]
    assert report == []


def test_no_import_error_fallback_around_our_own_modules() -> None:
    """An ``except ImportError`` around ``juesuan.*`` hides a broken module behind a silent fallback; optional
    third-party extras (ray, mlflow, cv2) may still be guarded."""
    guarded = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Try):
                continue
            caught = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
            if not caught & {"ImportError", "ModuleNotFoundError", "(ImportError, ModuleNotFoundError)"}:
                continue
            for inner in (n for stmt in node.body for n in ast.walk(stmt)):
                names = [inner.module or ""] if isinstance(inner, ast.ImportFrom) else []
                names += [a.name for a in inner.names] if isinstance(inner, ast.Import) else []
                if isinstance(inner, ast.Call) and ast.unparse(inner.func).endswith("import_module") and inner.args:
                    names.append(str(getattr(inner.args[0], "value", "")))
                if any(n.split(".")[0] == "juesuan" for n in names):
                    guarded.append(f"{module_name(path)}:{node.lineno}")
    assert guarded == []
