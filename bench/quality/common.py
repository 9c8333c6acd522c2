"""Shared pieces of the quality benchmark: running a child process with its own
wall time and peak RSS, reading CSVs, and the evaluation every system is scored
with (pairwise precision/recall/F1 over record pairs, B-cubed over clusters).

Standard library only, so the npimatch-only smoke run needs no virtual
environment; numpy/pandas are used by the peer runners alone.
"""
import csv
import os
import subprocess
import sys
import threading
import time

csv.field_size_limit(1 << 30)

THRESHOLDS = [i / 100 for i in range(101)]


class NotAvailable(Exception):
    """A system cannot run this dataset here (command missing, peer not installed)."""


class TimedOut(Exception):
    """A system ran longer than --timeout; reported, not an error of the suite."""


def run_measured(argv, log_path, env=None, cwd=None, timeout=None):
    """Run argv as a child; return (exit status, wall seconds, peak RSS in MiB).

    os.wait4 gives the rusage of that child alone (RUSAGE_CHILDREN would be the
    maximum over every child waited for so far). ru_maxrss is in KiB on Linux.
    With timeout (seconds) the child is killed when it runs longer: TimedOut.
    """
    with open(log_path, "ab") as log:
        log.write(("$ " + " ".join(argv) + "\n").encode())
        log.flush()
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        timer = threading.Timer(timeout, p.kill) if timeout else None
        if timer:
            timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        if timer:
            timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
    if timeout and wall >= timeout and p.returncode < 0:
        raise TimedOut(f"timed out after {timeout:.0f} s")
    return p.returncode, wall, ru.ru_maxrss / 1024.0


def read_csv(path):
    """All rows of a CSV with a header, as dicts."""
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return list(csv.DictReader(f))


def write_csv(path, header, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    os.replace(tmp, path)


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def norm_pair(a, b, dedupe):
    """Dedupe pairs are unordered; link pairs are (left id, right id)."""
    if dedupe and b < a:
        return (b, a)
    return (a, b)


def truth_pairs_from_entities(ent_left, ent_right=None):
    """True pairs from entity labels {record id: entity}.

    One dict: dedupe (every unordered pair within an entity). Two: link (every
    left x right pair sharing an entity)."""
    groups = {}
    if ent_right is None:
        for rid, e in ent_left.items():
            groups.setdefault(e, []).append(rid)
        out = set()
        for ids in groups.values():
            ids.sort()
            for i in range(len(ids)):
                for j in range(i + 1, len(ids)):
                    out.add((ids[i], ids[j]))
        return out
    for rid, e in ent_right.items():
        groups.setdefault(e, []).append(rid)
    out = set()
    for lid, e in ent_left.items():
        for rid in groups.get(e, ()):
            out.add((lid, rid))
    return out


def pairwise_scores(scored, truth, default_threshold):
    """Precision/recall/F1 of scored pairs [(a, b, score)] against a truth set.

    At the system's own default threshold (score >= t), at every threshold of
    0.00..1.00 (the curve) and at the best-F1 threshold (the lowest on ties).
    Pairs never scored count as missed at every threshold."""
    best = {}
    for a, b, s in scored:
        k = (a, b)
        if s > best.get(k, -1.0):
            best[k] = s
    ntrue = len(truth)
    # Histogram by threshold bucket: a pair with score s counts for every
    # t <= s, so a suffix sum over 101 buckets gives all thresholds at once.
    tp_at = [0] * 102
    fp_at = [0] * 102
    for k, s in best.items():
        i = min(100, int(s * 100 + 1e-9)) if s >= 0 else -1
        if i < 0:
            continue
        if k in truth:
            tp_at[i] += 1
        else:
            fp_at[i] += 1
    curve = []
    tp = fp = 0
    for i in range(100, -1, -1):
        tp += tp_at[i]
        fp += fp_at[i]
        p, r, f = prf(tp, fp, ntrue - tp)
        curve.append({"threshold": i / 100, "precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp})
    curve.reverse()
    tpd = sum(1 for k, s in best.items() if s >= default_threshold and k in truth)
    fpd = sum(1 for k, s in best.items() if s >= default_threshold and k not in truth)
    p, r, f = prf(tpd, fpd, ntrue - tpd)
    top = max(curve, key=lambda c: (c["f1"], -c["threshold"]))
    return {
        "default": {"threshold": default_threshold, "precision": p, "recall": r, "f1": f,
                    "tp": tpd, "fp": fpd, "fn": ntrue - tpd},
        "best": {"threshold": top["threshold"], "precision": top["precision"], "recall": top["recall"],
                 "f1": top["f1"], "tp": top["tp"], "fp": top["fp"], "fn": ntrue - top["tp"]},
        "curve": [{k: c[k] for k in ("threshold", "precision", "recall", "f1")} for c in curve],
        "true_pairs": ntrue,
        "scored_pairs": len(best),
    }


def cluster_scores(truth, pred):
    """Pairwise and B-cubed precision/recall/F1 of a clustering.

    truth, pred: {record id: entity / cluster id}; records missing from pred
    are singletons. Counts come from the contingency table (no pair is listed):
    right pairs = sum C(n_ij, 2), predicted = sum C(b_j, 2), true = sum C(a_i, 2);
    B-cubed (Bagga & Baldwin 1998) precision = (1/N) sum n_ij^2 / b_j."""
    cell, a, b = {}, {}, {}
    for rid, t in truth.items():
        p = pred.get(rid, ("__single__", rid))
        cell[(t, p)] = cell.get((t, p), 0) + 1
        a[t] = a.get(t, 0) + 1
        b[p] = b.get(p, 0) + 1
    c2 = lambda n: n * (n - 1) // 2
    tp = sum(c2(n) for n in cell.values())
    pp = sum(c2(n) for n in b.values())
    tt = sum(c2(n) for n in a.values())
    p, r, f = prf(tp, pp - tp, tt - tp)
    n = len(truth) or 1
    bp = sum(v * v / b[pj] for (ti, pj), v in cell.items()) / n
    br = sum(v * v / a[ti] for (ti, pj), v in cell.items()) / n
    bf = 2 * bp * br / (bp + br) if bp + br else 0.0
    return {"pairwise": {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": pp - tp, "fn": tt - tp},
            "bcubed": {"precision": bp, "recall": br, "f1": bf},
            "records": len(truth), "true_entities": len(a), "predicted_entities": len(b)}


def npi_scores_from_eval_json(j):
    """The benchmark's view of `npimatch eval --json` (NPI mode)."""
    d, b = j["at_model_thresholds"], j["best_f1_threshold"]
    return {
        "default": {k: d[k] for k in ("precision", "recall", "f1", "tp", "fp", "fn")},
        "best": {k: b[k] for k in ("threshold", "precision", "recall", "f1", "tp", "fp", "fn")},
        "curve": j["sweep"],
        "records": j["counts"]["truth_records"],
    }


def log(msg):
    print(f"[quality {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)
