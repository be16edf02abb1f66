#!/usr/bin/env bash
# Install what the tests need (Debian's gdal-bin for ogrinfo, the package with its test extras)
# and run the linters, the type checker and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v ogrinfo >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq gdal-bin >/dev/null
fi
python -m pip install -q -e '.[test]'

ruff check .
ruff format --check .
mypy
python -m pytest
