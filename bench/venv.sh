#!/usr/bin/env bash
# Shared helper for benchmark scripts: create bench/.venv (once) and install
# the benchmark-only Python packages given as arguments. These packages
# (DuckDB, rapidfuzz, jellyfish, Splink, recordlinkage) are never runtime
# dependencies of the engine.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
fi
if [ $# -gt 0 ]; then
  "$venv/bin/pip" install -q "$@"
fi
echo "$venv/bin/python"
