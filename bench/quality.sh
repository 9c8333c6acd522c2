#!/usr/bin/env bash
# Quality benchmark of issue 6: npimatch, Splink (DuckDB) and recordlinkage on
# FEBRL3, FEBRL4, the generated HCP benchmark and the generated patient feeds,
# in one run on this machine. Results: bench/results/quality.md, quality.json
# and quality_*.png. Not part of the test suite (minutes); the smoke version is
# tests/test_bench_quality.c.
#
#   bench/quality.sh [--quick] [--datasets febrl4,febrl3,hcp,patients]
#                    [--systems npimatch,splink,recordlinkage] [--febrl-dir PATH]
#                    [--npimatch PATH] [--hcp-registry N --hcp-rows N --patients N]
#
# The peers are benchmark-only packages installed from PyPI into bench/.venv
# (bench/venv.sh), never npimatch dependencies. Build npimatch first
# (build/npimatch, or pass --npimatch).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="$("$here/venv.sh")"
"$py" -c 'import splink, recordlinkage, matplotlib, pandas, duckdb' 2>/dev/null ||
    py="$("$here/venv.sh" splink recordlinkage matplotlib pandas duckdb)"
exec "$py" "$here/quality/quality.py" "$@"
