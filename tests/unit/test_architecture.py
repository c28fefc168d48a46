"""The package's shape, read from its imports: no cycles, layers respected, sessions contained.

Built with ``ast`` from the source (nothing is imported), every ``import sentra...``
anywhere in a module counts, including the lazy ones inside functions: a cycle through
a lazy import is still a cycle a reader has to untangle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "include"
PACKAGE = ROOT / "sentra"

# Private helpers one module borrows from another. Empty since matching.incremental's
# borrowings from dedup and link became public names (issue #26); the test holds the line.
PRIVATE_IMPORTS_BEING_REWRITTEN: set[tuple[str, str]] = set()
# A unit of work (a ledger session) is opened by an entry point: a task (sentra.tasks)
# or a command (sentra.cli), or by the ledger itself; the code below takes one.
SESSION_OPENERS = ("sentra.ledger", "sentra.tasks", "sentra.cli")
# Modules that still open ledger sessions themselves instead of taking one from an
# entry point. A ratchet, empty since issue #26: none may join.
SESSIONS_STILL_OPENED_BY: set[str] = set()
# The Airflow-facing layer: nothing below it may import it.
TOP_LAYER = ("sentra.tasks", "sentra.orchestration", "sentra.assets", "sentra.runner")
MAY_IMPORT_TOP = ("sentra.tasks", "sentra.orchestration", "sentra.cli", "sentra.demo")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _owner(name: str) -> str | None:
    """The module a dotted name lives in (``sentra.a.b.func`` → ``sentra.a.b``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> list[tuple[str, str]]:
    """(imported module, full imported name) for every sentra import in a module."""
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, a.name) for a in node.names if a.name.startswith("sentra")]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").startswith("sentra")
        ):
            found += [(node.module, f"{node.module}.{a.name}") for a in node.names]
    out = []
    for mod, full in found:
        target = full if full in MODULES else _owner(mod)
        if target and target != module:
            out.append((target, full))
    return out


GRAPH = {m: {t for t, _ in _imports(m)} for m in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return groups


def test_the_graph_is_read_from_the_real_package():
    assert "sentra.tasks.consolidate" in GRAPH
    assert "sentra.consolidation" in GRAPH["sentra.tasks.consolidate"]


def test_no_import_cycles():
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_private_name_is_imported_across_modules():
    private = {
        (m, full)
        for m in MODULES
        for target, full in _imports(m)
        if full not in MODULES and full.rpartition(".")[2].startswith("_")
    }
    assert private <= PRIVATE_IMPORTS_BEING_REWRITTEN, sorted(
        private - PRIVATE_IMPORTS_BEING_REWRITTEN
    )
    assert private == PRIVATE_IMPORTS_BEING_REWRITTEN, "fixed, remove from the list: " + str(
        sorted(PRIVATE_IMPORTS_BEING_REWRITTEN - private)
    )


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.startswith(MAY_IMPORT_TOP)))
def test_domain_code_does_not_import_the_airflow_layer(module):
    upward = sorted(t for t in GRAPH[module] if t.startswith(TOP_LAYER))
    assert upward == [], f"{module} imports {upward}"


def test_ledger_sessions_are_opened_by_entry_points_only():
    openers = {
        m
        for m, path in MODULES.items()
        if "session_scope(" in path.read_text() and not m.startswith(SESSION_OPENERS)
    }
    assert openers <= SESSIONS_STILL_OPENED_BY, sorted(openers - SESSIONS_STILL_OPENED_BY)
    assert openers == SESSIONS_STILL_OPENED_BY, (
        "no longer opens sessions, remove from the list: "
        + str(sorted(SESSIONS_STILL_OPENED_BY - openers))
    )


def test_pure_consolidation_touches_no_ledger_warehouse_or_files():
    """compute and audit see only what they are handed (load → compute → write)."""
    reached = GRAPH["sentra.consolidation"]
    forbidden = ("sentra.ledger.db", "sentra.warehouse", "sentra.staging", "sentra.landing")
    assert not [t for t in reached if t.startswith(forbidden) and t != "sentra.warehouse.tables"]
