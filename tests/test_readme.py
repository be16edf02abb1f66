"""README.md documents every layer and field, and opens with the two commands."""

from __future__ import annotations

from pathlib import Path

from geo._schema import ALL_SPECS

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


def test_readme_opens_with_the_build_and_the_test_command():
    block = README.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert block == ["pip install -e . && chengyu build", "bash scripts/test.sh"]
