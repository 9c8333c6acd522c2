#!/usr/bin/env bash
# NPPES ingest benchmark, npimatch vs DuckDB on the same file in the same run.
#   bench/ingest_vs_duckdb.sh [ROWS]      (default 2,000,000 rows, ~2.5 GB)
# Generates an NPPES-format main file with `npimatch gen nppes`, then times:
#   - npimatch index with 1 and 2 threads (wall time, MB/s, rows/s, peak RSS)
#   - snapshot load (npimatch info on the snapshot)
#   - DuckDB read_csv of the same file into a table (all columns VARCHAR,
#     2 threads), the way an analyst would load NPPES.
# Needs a Release build in build/ (./scripts/setup). Work files go to bench/work/.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-2000000}
work=bench/work
mkdir -p "$work"
bin=./build/npimatch
csv=$work/npidata_${rows}.csv
[ -f "$csv" ] || $bin gen nppes --rows "$rows" --seed 7 --out "$csv"
bytes=$(stat -c %s "$csv")
mb=$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}')
echo "file: $csv ($rows rows, $mb MB)"
cat "$csv" > /dev/null   # warm the page cache so every system reads from memory

measure() {   # measure LABEL CMD... -> prints wall seconds, CPU seconds (user+sys, all threads), peak RSS (MB)
  local label=$1; shift
  local t0 t1 rss cpu
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M %U %S" -o "$work/rss.txt" "$@" >/dev/null 2>"$work/stderr.txt" || { cat "$work/stderr.txt"; exit 1; }
  t1=$(date +%s.%N)
  rss=$(awk '{printf "%.0f", $1/1024}' "$work/rss.txt")
  cpu=$(awk '{printf "%.2f", $2+$3}' "$work/rss.txt")
  awk -v l="$label" -v a="$t0" -v b="$t1" -v by="$bytes" -v r="$rows" -v m="$rss" -v c="$cpu" \
    'BEGIN{s=b-a; printf "| %-35s | %8.2f | %8.2f | %9.0f | %11.0f | %8s |\n", l, s, c, by/1e6/s, r/s, m}'
}

# The machine may be shared: the load average says how much of it was ours,
# and the CPU column (user + sys of all threads) shows the work itself.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
echo
echo "| step | wall s | CPU s | MB/s (wall) | rows/s (wall) | peak MB |"
echo "|---|---|---|---|---|---|"
measure "npimatch index, 1 thread" $bin index --threads 1 --quiet --out "$work/reg1.nmx" "$csv"
measure "npimatch index, 2 threads" $bin index --threads 2 --quiet --out "$work/reg2.nmx" "$csv"
cmp "$work/reg1.nmx" "$work/reg2.nmx" && echo "| snapshots from 1 and 2 threads are byte-identical | | | | | |"
measure "snapshot load (npimatch info)" $bin info "$work/reg2.nmx"

py=$(bench/venv.sh duckdb)
cat > "$work/duck.py" <<PY
import duckdb, sys
con = duckdb.connect()
con.execute("SET threads TO 2")
con.execute("CREATE TABLE nppes AS SELECT * FROM read_csv('$csv', all_varchar=true, header=true, quote='\"', delim=',')")
print(con.execute("SELECT count(*) FROM nppes").fetchone()[0])
PY
measure "DuckDB read_csv -> table, 2 threads" "$py" "$work/duck.py"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "snapshot size: $(stat -c %s "$work/reg2.nmx") bytes"
$bin info "$work/reg2.nmx"
