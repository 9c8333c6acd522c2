#!/bin/sh
# End-to-end issue 4 measurement: 1M HCP records against a 9M-provider
# registry on 2 threads (registry load + match + output write), with wall
# time, CPU time and peak RSS (GNU time) and the load average at the start.
# Generates what is missing in $DIR (NPPES 9M rows ~12 GB while indexing,
# removed afterwards; minutes). Usage: bench/match_9m.sh [BUILD_DIR (build)]
# Env: DIR (/tmp/nmbench9m), RECORDS (1000000), THREADS (2), IN (an existing input).
set -eu
B=${1:-build}
NM=$B/npimatch
DIR=${DIR:-/tmp/nmbench9m}
RECORDS=${RECORDS:-1000000}
THREADS=${THREADS:-2}
mkdir -p "$DIR"
REG=$DIR/registry_mc.nmx          # snapshot with the matcher data (format 2)
if [ ! -f "$REG" ]; then
    if [ -f "$DIR/registry.nmx" ]; then   # an older snapshot: re-save it with the matcher data
        "$NM" index --registry "$DIR/registry.nmx" --out "$REG" --threads "$THREADS"
    else
        "$NM" gen nppes --rows 9000000 --seed 11 --out "$DIR/nppes.csv"
        "$NM" index --quiet --out "$REG" --threads "$THREADS" "$DIR/nppes.csv"
        rm -f "$DIR/nppes.csv"
    fi
fi
IN=${IN:-$DIR/hcps_$RECORDS.csv}   # IN=...: an existing input file
[ -f "$IN" ] || "$NM" gen hcp --registry "$REG" --rows "$RECORDS" --seed 5 --out "$IN" --truth "$DIR/truth_$RECORDS.csv"
cat "$REG" > /dev/null            # page cache warm, as on a machine that matches often
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KB" \
    "$NM" match --registry "$REG" --input "$IN" --out "$DIR/matches_$RECORDS.csv" --threads "$THREADS"
