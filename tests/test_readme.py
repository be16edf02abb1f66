"""README.md documents every layer and field, and opens with the two commands."""

from __future__ import annotations

from pathlib import Path

from geo.sources._schema import ALL_SPECS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_layer_and_output_field_is_documented():
    for spec in ALL_SPECS.values():
        section = README.split(f"### `{spec.name}`", 1)
        assert len(section) == 2, spec.name
        body = section[1].split("\n### ", 1)[0]
        for name in spec.field_names:
            if name in ("lon", "lat"):
                continue  # stored as the geometry
            assert f"`{name}`" in body, f"{spec.name}.{name}"
        # Fields the build adds, and every value of their vocabularies.
        for field in spec.computed:
            assert f"`{field.name}`" in body, f"{spec.name}.{field.name}"
            for value in field.vocabulary or ():
                assert f"`{value}`" in body, f"{spec.name}.{field.name}: {value}"


def test_readme_opens_with_the_build_and_the_test_command():
    block = README.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert block == ["pip install -e . && chengyu build", "bash scripts/test.sh"]


def test_the_python_example_runs_and_does_what_it_says(tmp_path, monkeypatch, capsys):
    code = README.split("## Use it from Python", 1)[1].split("```python\n", 1)[1]
    code = code.split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    catchments = namespace["catchments"]
    people = catchments.set_index(["line_id", "scenario"])["people"]  # type: ignore[attr-defined]
    # Chengdu East and Chongqing North lie within 10 km of a station; the third point does not.
    assert people[("all", "today")] == 200_000
    assert (tmp_path / "my_maps" / "maps" / "overview.html").is_file()
    assert namespace["written"] == [Path("my_maps/maps/overview.html")]


def test_the_package_exports_its_public_functions_lazily():
    import subprocess
    import sys

    import geo

    assert set(geo.__all__) == {"__version__", *geo._PUBLIC}
    for name in geo._PUBLIC:
        assert callable(getattr(geo, name)) or name == "SCENARIOS", name
    fresh = (
        "import sys, geo; "
        "print(sorted(m for m in ('geopandas', 'geo.sources.layers') if m in sys.modules))"
    )
    assert (
        subprocess.run(
            [sys.executable, "-c", fresh], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "[]"
    )
