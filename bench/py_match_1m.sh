#!/usr/bin/env bash
# Python package vs CLI on N HCP records against a generated registry
# (bench/py_match_1m.py). Creates bench/.venv (bench/venv.sh) with pyarrow
# and pandas, installs ./python-bindings into it, generates the data once
# into DIR, runs every measurement in its own process and prints the load
# average (the machine is shared: figures are noisy).
# usage: bench/py_match_1m.sh [ROWS=1000000] [PROVIDERS=1500000] [THREADS=2] [DIR=/tmp/npimatch-py-bench]
set -euo pipefail
ROWS=${1:-1000000}
PROVIDERS=${2:-1500000}
THREADS=${3:-2}
DIR=${4:-/tmp/npimatch-py-bench}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
N=$(realpath "${NPIMATCH:-$here/../build/npimatch}")
py=$("$here/venv.sh" pyarrow pandas | tail -1)
"$py" -m pip install -q "$here/../python-bindings"
mkdir -p "$DIR"
cd "$DIR"
[ -s nppes.csv ] || "$N" gen nppes --rows "$PROVIDERS" --seed 7 --out nppes.csv --threads "$THREADS"
[ -s reg.nmx ] || "$N" index --out reg.nmx --quiet --threads "$THREADS" nppes.csv
[ -s hcp.csv ] || "$N" gen hcp --registry reg.nmx --rows "$ROWS" --seed 8 --out hcp.csv --truth truth.csv --threads "$THREADS"
echo "registry: $PROVIDERS providers ($(du -h reg.nmx | cut -f1)); input: $ROWS HCP records ($(du -h hcp.csv | cut -f1)); threads $THREADS"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$py" "$here/py_match_1m.py" --registry reg.nmx --input hcp.csv --cli "$N" --threads "$THREADS"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
