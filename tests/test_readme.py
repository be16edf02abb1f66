"""README.md opens with the two commands, stays short, and its links to docs/ lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_build_and_the_test_command():
    block = README.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert block == ["pip install -e . && chengyu build", "bash scripts/test.sh"]


def test_readme_fits_on_two_screens_and_its_links_lead_to_files():
    # The reference lives in docs/ (built strictly by tests/test_docs.py); README is the door.
    assert len(README.splitlines()) <= 200
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    assert "docs/layers.md" in targets
    for target in targets:
        if "://" not in target:
            assert (ROOT / target).exists(), target


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
