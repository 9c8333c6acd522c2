#!/bin/sh
# Run the Jaro-Winkler peer baselines (bench/jw_peers.py) in a private venv
# under bench/.venv (git-ignored). rapidfuzz and jellyfish are benchmark-only
# tools, never npimatch dependencies.
#   bench/jw_peers.sh NAMES_FILE [jw_peers.py options]
# Make the names file with: build/bench_jw --n 10000 --dump-names NAMES_FILE
set -eu
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
fi
"$venv/bin/python" -c 'import rapidfuzz, jellyfish, numpy' 2>/dev/null ||
    "$venv/bin/pip" install --quiet rapidfuzz jellyfish numpy
exec "$venv/bin/python" "$here/jw_peers.py" "$@"
