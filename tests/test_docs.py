"""docs/ documents every layer and field, its Python example runs, and the site builds strictly."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

from geo.sources._schema import ALL_SPECS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_every_layer_and_output_field_is_documented():
    layers_page = (DOCS / "layers.md").read_text(encoding="utf-8")
    for spec in ALL_SPECS.values():
        section = layers_page.split(f"\n## `{spec.name}`", 1)
        assert len(section) == 2, spec.name
        body = section[1].split("\n## ", 1)[0]
        for name in spec.field_names:
            if name in ("lon", "lat"):
                continue  # stored as the geometry
            assert f"`{name}`" in body, f"{spec.name}.{name}"
        # Fields the build adds, and every value of their vocabularies.
        for field in spec.computed:
            assert f"`{field.name}`" in body, f"{spec.name}.{field.name}"
            for value in field.vocabulary or ():
                assert f"`{value}`" in body, f"{spec.name}.{field.name}: {value}"


def test_the_python_example_runs_and_does_what_it_says(tmp_path, monkeypatch, capsys):
    page = (DOCS / "python.md").read_text(encoding="utf-8")
    code = page.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/python.md", "exec"), namespace)
    catchments = namespace["catchments"]
    people = catchments.set_index(["line_id", "scenario"])["people"]  # type: ignore[attr-defined]
    # Chengdu East and Chongqing North lie within 10 km of a station; the third point does not.
    assert people[("all", "today")] == 200_000
    assert (tmp_path / "my_maps" / "maps" / "overview.html").is_file()
    assert namespace["written"] == [Path("my_maps/maps/overview.html")]


def test_the_docs_build_strictly_with_every_public_function(tmp_path):
    """A broken link or anchor, a page left out of the nav, or a docstring mkdocstrings cannot
    read is a warning, and --strict makes the build fail on it."""
    import geo

    site = tmp_path / "site"
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner, not a warning
    run = subprocess.run(
        [
            *(sys.executable, "-m", "mkdocs", "build", "--strict"),
            *("--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)),
        ],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    api_page = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in geo._PUBLIC:
        if callable(getattr(geo, name)):
            assert f'id="geo.{name}"' in api_page, name
    settings_page = (site / "api" / "settings" / "index.html").read_text(encoding="utf-8")
    # The settings are documented by their `#:` comments (griffe-sphinx).
    assert 'id="geo.settings.rail_change_minutes"' in settings_page


def _named_in_backticks(text: str) -> list[str]:
    return re.findall(r"`(geo(?:[./][A-Za-z_0-9]+)+/?)(?:\(\))?`", text)


def _resolves(reference: str) -> bool:
    if "/" in reference:
        return (ROOT / reference).exists() or (ROOT / f"{reference}.py").exists()
    parts = reference.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for name in parts[split:]:
                target = getattr(target, name)
        except AttributeError:
            return False
        return True
    return False


def test_every_module_and_function_the_docs_name_exists():
    # A module moved or a function renamed leaves prose behind that no link checker sees.
    for page in [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]:
        for reference in _named_in_backticks(page.read_text(encoding="utf-8")):
            assert _resolves(reference), f"{page.relative_to(ROOT)}: `{reference}`"


def test_the_layout_page_names_every_module_of_every_stage_and_no_other():
    layout = (DOCS / "layout.md").read_text(encoding="utf-8")
    bullets = re.findall(r"^- (.*?)(?=\n- |\n\n|\Z)", layout, flags=re.DOTALL | re.MULTILINE)
    for bullet in bullets:
        folder = re.match(r"`(geo/[a-z]+/)`", bullet)
        package = ROOT / (folder.group(1) if folder else "geo")
        named = {
            token.rstrip("/")
            for token in re.findall(r"`([a-z_][a-z0-9_]*/?)`", bullet)
            if token != "chengyu"
        }
        modules = {path.stem for path in package.glob("*.py") if path.stem != "__init__"}
        modules |= {path.name for path in package.iterdir() if (path / "__init__.py").exists()}
        if folder is None:
            assert named <= modules, f"docs/layout.md names {named - modules} not in geo/"
            continue
        nested = {path.stem for path in package.rglob("*.py")}
        assert named <= modules | nested, f"docs/layout.md: {named - modules - nested}"
        assert modules <= named, f"{folder.group(1)}: {sorted(modules - named)} not in layout.md"
    top_level = {path.stem for path in (ROOT / "geo").glob("*.py") if path.stem != "__init__"}
    assert all(f"`{name}`" in layout for name in top_level), "a module of geo/ left out"
