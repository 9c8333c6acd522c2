"""Python package vs CLI: matching N HCP records against a generated registry.

Each measurement runs in its own process, so peak memory (ru_maxrss) is that
run's alone:
  cli        npimatch match --registry R --input HCPS.csv --out OUT.csv (CSV in, CSV out)
  cli-noout  the same with --out - to /dev/null (no output file; rows still formatted)
  pandas     Registry.load(R, for_matching=True).match(df): df = the CSV read beforehand as a pandas
             DataFrame with Arrow strings (dtype "string[pyarrow]"); result as pandas
  arrow      the same with a pyarrow Table in and out
For the Python runs the wall time covers loading the registry, building the
matcher, matching and building the result (what the CLI's process does); the
table itself was read before the clock started (a notebook already holds it).
CPU seconds (user + system) are reported too: on a shared machine they
are steadier than wall time. Peak memory is the process's (Python, pyarrow, pandas and the input table
included); `baseline` is the peak of the same process before the match.

usage: python bench/py_match_1m.py --registry REG.nmx --input HCPS.csv --cli build/npimatch [--threads N]
       (bench/py_match_1m.sh generates the data and the venv)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def rss_mb(who=resource.RUSAGE_SELF):
    return resource.getrusage(who).ru_maxrss / 1024.0


def cpu_s(who=resource.RUSAGE_SELF):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def child(mode, args):
    """One measurement in this process; prints a JSON line."""
    import npimatch as nm

    nm.set_progress(False)
    if mode == "pandas":
        import pandas as pd

        import pyarrow as pa
        import pyarrow.csv as pacsv

        # Only empty fields are null (null_values=[""]): pyarrow's default
        # null strings ("NA", "NULL", "nan") occur in the generated names
        # (NA is a Korean surname), and reading them as nulls would change
        # those rows' matches against the CLI's.
        # The DataFrame of "string[pyarrow]" columns, built through pyarrow's
        # reader: pandas' own read_csv peaks at about 3x the frame's size
        # while parsing, and that transient (not npimatch's) would otherwise
        # set the process peak this benchmark compares.
        with open(args.input) as f:
            names = f.readline().rstrip("\n").split(",")
        table = pacsv.read_csv(args.input, convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True, null_values=[""]))
        data = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
        del table
        assert all(str(t) == "string" for t in data.dtypes)
        as_ = "pandas"
    else:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        with open(args.input) as f:
            names = f.readline().rstrip("\n").split(",")
        data = pacsv.read_csv(args.input, convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True, null_values=[""]))
        as_ = "arrow"
    base = rss_mb()
    t, c = time.perf_counter(), cpu_s()
    reg = nm.Registry.load(args.registry, for_matching=True)
    res = reg.match(data, as_=as_, threads=args.threads)
    wall, cpu = time.perf_counter() - t, cpu_s() - c
    rows = len(res)
    reg.close()
    print(json.dumps({"mode": mode, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_mb": round(rss_mb(), 0),
                      "baseline_mb": round(base, 0), "rows": rows}))


def run_cli(mode, args):
    tmp = tempfile.mkdtemp(prefix="py-match-bench-")
    out = os.path.join(tmp, "out.csv")
    cmd = [args.cli, "match", "--registry", args.registry, "--input", args.input,
           "--out", out if mode == "cli" else "-", "--threads", str(args.threads)]
    t = time.perf_counter()
    with open(os.devnull, "w") as dn:
        subprocess.run(cmd, check=True, stdout=dn, stderr=dn)
    wall = time.perf_counter() - t
    rows = 0
    if mode == "cli":
        with open(out, "rb") as f:
            rows = sum(1 for _ in f) - 1
        os.unlink(out)
    os.rmdir(tmp)
    return {"mode": mode, "wall_s": round(wall, 2), "cpu_s": round(cpu_s(resource.RUSAGE_CHILDREN), 2),
            "peak_mb": round(rss_mb(resource.RUSAGE_CHILDREN), 0), "rows": rows}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--registry", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--cli", default="build/npimatch")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--modes", default="cli,cli-noout,pandas,arrow")
    ap.add_argument("--child", default=None)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args)
    results = []
    for mode in args.modes.split(","):
        load = os.getloadavg()[0]
        if mode.startswith("cli"):
            # a fresh process per measurement: RUSAGE_CHILDREN is a maximum over children
            p = subprocess.run([sys.executable, __file__, "--registry", args.registry, "--input", args.input,
                                "--cli", args.cli, "--threads", str(args.threads), "--modes", mode,
                                "--child", "_cli"], check=True, capture_output=True, text=True)
            r = json.loads(p.stdout.strip().splitlines()[-1])
        else:
            p = subprocess.run([sys.executable, __file__, "--registry", args.registry, "--input", args.input,
                                "--threads", str(args.threads), "--child", mode], check=True,
                               capture_output=True, text=True)
            r = json.loads(p.stdout.strip().splitlines()[-1])
        r["load_before"] = round(load, 2)
        results.append(r)
        print(json.dumps(r), flush=True)
    # modes may repeat (e.g. cli,pandas,arrow,cli,pandas,arrow): compare medians
    import statistics

    def med(mode, key):
        v = [r[key] for r in results if r["mode"] == mode]
        return statistics.median(v) if v else None

    if med("cli", "wall_s"):
        for m in ("pandas", "arrow"):
            if med(m, "wall_s"):
                print(f"{m}: wall {med(m, 'wall_s') / med('cli', 'wall_s'):.2f}x the CLI's, "
                      f"CPU {med(m, 'cpu_s') / med('cli', 'cpu_s'):.2f}x, "
                      f"peak memory {med(m, 'peak_mb') / med('cli', 'peak_mb'):.2f}x (medians)")


if __name__ == "__main__":
    if "--child" in sys.argv and sys.argv[sys.argv.index("--child") + 1] == "_cli":
        a = argparse.ArgumentParser()
        for k in ("--registry", "--input", "--cli", "--modes", "--child"):
            a.add_argument(k)
        a.add_argument("--threads", type=int)
        ns = a.parse_args()
        print(json.dumps(run_cli(ns.modes, ns)))
    else:
        main()
