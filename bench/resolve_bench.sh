#!/bin/sh
# Benchmark of `npimatch resolve` (engine/resolve/resolve.h).
#   1. first night: BASE generated patient records into a new state
#   2. a night of NIGHT records against that state: half re-sent with a
#      changed phone number, half new records of another generated population
# Prints wall time, CPU time and peak memory of each run (GNU time), the
# state size on disk, and the machine load (the figures are noisy on a busy
# machine: compare CPU seconds as well as wall time).
# usage: bench/resolve_bench.sh [BASE=1000000] [NIGHT=100000] [THREADS=2] [DIR=/tmp/npimatch-resolve-bench]
set -eu
BASE=${1:-1000000}
NIGHT=${2:-100000}
THREADS=${3:-2}
DIR=${4:-/tmp/npimatch-resolve-bench}
N=$(realpath "${NPIMATCH:-$(dirname "$0")/../build/npimatch}")
mkdir -p "$DIR"
cd "$DIR"
rm -rf base new state night2.csv
echo "generating $BASE base records and a night of $NIGHT ..."
"$N" gen patients --rows "$BASE" --seed 1 --sources 3 --nights 1 --out base >/dev/null
"$N" gen patients --rows $((NIGHT / 2)) --seed 2 --sources 3 --nights 1 --out new >/dev/null
{
    head -1 base/night_01.csv
    # changed: every k-th base record with the last digit of its phone changed
    awk -F, -v OFS=, -v k=$((BASE * 2 / NIGHT)) 'NR > 1 && NR % k == 0 && n < '"$((NIGHT / 2))"' {
        p = $14; if (p != "" && p !~ /"/) { d = substr(p, length(p), 1); $14 = substr(p, 1, length(p) - 1) ((d + 1) % 10) } else $14 = "555-010-" NR % 10000
        print; n++ }' base/night_01.csv
    # new: another population, sources renamed so the keys are new
    tail -n +2 new/night_01.csv | sed 's/^SRC/NEW/'
} > night2.csv
echo "night 2: $(($(wc -l < night2.csv) - 1)) rows"
run() {
    label=$1
    shift
    /usr/bin/time -f "$label: wall %e s, user %U s, sys %S s, peak RSS %M KB" "$N" "$@" 2>&1 | grep -v '^$'
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
run "first night ($BASE records)" resolve --input base/night_01.csv --state state --out persons1.csv --threads "$THREADS"
echo "state size: $(du -sh state | cut -f1)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
run "night of $NIGHT against $BASE" resolve --input night2.csv --state state --out persons2.csv --threads "$THREADS"
echo "state size: $(du -sh state | cut -f1)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
