#!/usr/bin/env bash
# Install what the tests need (Debian's gdal-bin for ogrinfo, the package with its test extras)
# and run the linters, the type checker and the whole test suite (which builds docs/ with
# `mkdocs build --strict`: tests/test_docs.py).
set -euo pipefail
cd "$(dirname "$0")/.."

# gdal-bin: ogrinfo reads the GeoPackage as GDAL users do; chromium and a CJK font: the maps
# are opened and screenshotted in headless Chromium (Playwright drives Debian's browser).
missing=""
command -v ogrinfo >/dev/null 2>&1 || missing="$missing gdal-bin"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk" || missing="$missing fonts-wqy-zenhei"
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
python -m pip install -q -e '.[test]'

ruff check .
ruff format --check .
mypy
# Two workers at most (each computes the analysis once, ~1 GB at its peak); a test module
# stays on one worker, so its module-wide fixtures (a build, a browser) are made once; modules
# are handed out in collection order, the slowest first (tests/conftest.py).
python -m pytest -n auto --maxprocesses 2 --dist loadfile --no-loadscope-reorder
