"""The package's import graph, read from the source: no cycle, and every
import points down the layers (docs/architecture.md draws them).

A module may import its own package's modules and any module of a lower
layer.  Imports made only for type checking (under ``if TYPE_CHECKING:``)
count too: a type a module names belongs below it as well."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "src" / "cqlmatch"

# Lowest first.  Modules at the top of the package are named alone.  The
# native extensions are read from their Cython sources (``cext/NAME.pyx`` is
# ``cqlmatch._NAME``): the small ones sit at the bottom with the tables every
# layer may use; the VM reads the event model and the values of ``lang``.
LAYERS: list[set[str]] = [
    {"codes", "limits", "version", "records"},
    {"errors", "_regexset", "_scan", "_fields", "_blockio", "_candidates", "_hsscan"},
    {"lang"},
    {"_vm"},
    {"syntax"},
    {"semantics"},
    {"functions"},
    {"reference"},
    {"bytecode"},
    {"ingest"},
    {"runtime"},
    {"testing", "synth"},
    {"packs"},
    {"scale"},
    {"cli", "pytest_plugin", "integrations", "dask", "spark"},
    {"__init__", "__main__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _unit(module: str) -> str:
    """The layer unit of ``cqlmatch.x.y``: its first name below the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules(package: Path = PACKAGE) -> dict[str, Path]:
    found = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()
NATIVE = {f"cqlmatch._{path.stem}": path for path in (ROOT / "cext").glob("*.pyx")}


def _imports(module: str, path: Path, known: dict[str, Path] = MODULES) -> set[str]:
    """The cqlmatch modules ``module`` imports (a name imported from a
    package counts as its submodule when there is one)."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("cqlmatch"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("cqlmatch"):
                continue
            subs = [f"{target}.{a.name}" for a in node.names]
            named = [s for s in subs if s in known]
            out.update(named if named else [target])
            if len(named) < len(subs):
                out.add(target)
    out.discard(module)
    return out


def _native_imports(path: Path) -> set[str]:
    """The cqlmatch modules a Cython source imports at run time (its
    ``cimport``s are C declarations, not modules)."""
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("from", "import") and words[1].startswith("cqlmatch"):
            out.add(words[1].rstrip(","))
    return out


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}
GRAPH.update({module: _native_imports(path) for module, path in NATIVE.items()})


def test_every_unit_has_a_layer() -> None:
    assert NATIVE, "no Cython sources found"
    units = {_unit(m) for m in [*MODULES, *NATIVE]}
    assert units <= set(RANK), f"give these a layer: {sorted(units - set(RANK))}"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module: str) -> None:
    unit = _unit(module)
    upward = []
    for target in sorted(GRAPH[module]):
        other = _unit(target)
        if other == unit or target == "cqlmatch":
            if target == "cqlmatch" and unit != "__init__":
                upward.append(target)  # the package's __init__ is the top layer
            continue
        if RANK.get(other, len(LAYERS)) >= RANK[unit]:
            upward.append(target)
    assert not upward, f"{module} imports from its own layer or above: {upward}"


def test_no_import_cycle() -> None:
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if target not in GRAPH:
                continue
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_the_checker_sees_a_cycle_and_an_upward_import(tmp_path: Path) -> None:
    """The graph reader itself: relative imports resolved, names taken as
    submodules where there is one."""
    pkg = tmp_path / "cqlmatch"
    (pkg / "syntax").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "syntax" / "__init__.py").write_text("")
    (pkg / "syntax" / "a.py").write_text("from . import b\nfrom ..runtime.query import x\n")
    (pkg / "syntax" / "b.py").write_text("from .a import y\n")
    known = _modules(pkg)
    found = _imports("cqlmatch.syntax.a", pkg / "syntax" / "a.py", known)
    assert found == {"cqlmatch.syntax.b", "cqlmatch.runtime.query"}
    assert _imports("cqlmatch.syntax.b", pkg / "syntax" / "b.py", known) == {"cqlmatch.syntax.a"}
