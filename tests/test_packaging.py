"""What the package imports is what pyproject.toml declares."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> tuple[set[str], set[str]]:
    """Distributions of ``dependencies``, and of every optional extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(requirements: list[str]) -> set[str]:
        return {_normalised(re.split(r"[<>=!~\[; ]", item, maxsplit=1)[0]) for item in requirements}

    extras = set().union(*(names(group) for group in project["optional-dependencies"].values()))
    return names(project["dependencies"]), extras


def _imported() -> dict[str, set[str]]:
    """Top-level third-party modules imported anywhere in ``geo/``, with the files."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "geo").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top != "geo" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(path.relative_to(ROOT).as_posix())
    return found


def test_every_imported_package_is_declared():
    required, extras = _declared()
    distributions = packages_distributions()
    # Imported only where an extra is needed (Dask) or said to be (playwright: the browser
    # tests and screenshots, with a clear error without it).
    optional = {"dask", "dask_geopandas", "distributed", "playwright"}
    missing = {}
    for module, files in _imported().items():
        names = {_normalised(name) for name in distributions.get(module, [module])}
        declared = required | (extras if module in optional else set())
        if not names & declared:
            missing[module] = sorted(files)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_scikit_learn_is_not_a_dependency():
    required, _ = _declared()
    assert "scikit-learn" not in required
    assert "sklearn" not in _imported()
