"""The package's layout: stages in folders, each importing only itself and earlier stages.

The imports are read with ``ast`` (nothing is imported), everywhere in a module: at the top,
inside functions and under ``TYPE_CHECKING``, since each is a tie a reader has to follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "geo"

#: The data's path: each stage may import the stages before it, never one after.
STAGES = ("sources", "networks", "analysis", "outputs", "scenario", "cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imported(module: str, path: Path) -> set[str]:
    """The package's modules that ``module`` imports, as dotted names."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from geo.scenario import compare`` names a module; ``from geo.x import name`` not.
            names = [
                f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES
            ]
            names = names or [base]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("geo.") and name != module:
                found.add(name)
    return found


def _stage(module: str) -> int:
    """0 for the shared modules at the package's root, else 1 + the stage's place."""
    parts = module.split(".")
    return STAGES.index(parts[1]) + 1 if len(parts) > 1 and parts[1] in STAGES else 0


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    # ``geo/__init__.py`` hands on every stage's public names (imported on first use): it is
    # the package's face, above every stage, and no module of the package needs it for code.
    for module, path in MODULES.items():
        if module == "geo":
            continue
        graph.add_node(module)
        graph.add_edges_from((module, name) for name in _imported(module, path) if name != "geo")
    return graph


def test_every_subfolder_is_a_stage():
    folders = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert folders == set(STAGES)


def test_the_import_reader_sees_the_packages_own_imports():
    # A check that found nothing would pass; this is a tie that is known to be there.
    assert "geo.sources._schema" in _imported("geo.sources.layers", MODULES["geo.sources.layers"])
    assert "geo.scenario.compare" in _imported("geo.cli.sources", MODULES["geo.cli.sources"])


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "geo"))
def test_no_module_imports_a_later_stage(module):
    later = sorted(
        name for name in _imported(module, MODULES[module]) if _stage(name) > _stage(module)
    )
    assert later == [], f"{module} ({_stage(module)}) imports a later stage"


def test_no_import_cycle():
    cycles = sorted(sorted(cycle) for cycle in nx.simple_cycles(_graph()))
    assert cycles == []
