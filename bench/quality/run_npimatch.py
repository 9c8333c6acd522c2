"""npimatch on one benchmark dataset, driven through its CLI. Each command runs
as a child process measured alone (os.wait4): wall times add up, peak RSS is
the largest of the commands. Standard library only.

  hcp       npimatch match --registry --input (builtin HCP model) -> npimatch eval --json
  febrl3    npimatch dedupe --input records.csv --model bench/models/febrl3.json
  febrl4    npimatch link --left a.csv --right b.csv --model bench/models/febrl4.json
  patients  npimatch resolve, night by night, on the nightly feeds; final person ids scored

The registry snapshot (`index`) is built once at preparation and is not timed, as
Splink's provider table flattening is not timed either.
"""
import json
import os
import subprocess

from common import NotAvailable, read_csv, run_measured

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(os.path.dirname(HERE), "models")


def has_command(npimatch, cmd):
    """True when this build has `npimatch CMD` (unfinished commands print 'not part of this build')."""
    p = subprocess.run([npimatch, cmd, "--help"], capture_output=True, text=True)
    return "not part of this build" not in (p.stdout + p.stderr) and "unknown command" not in (p.stdout + p.stderr)


def version(npimatch):
    p = subprocess.run([npimatch, "--help"], capture_output=True, text=True)
    first = (p.stdout or p.stderr).splitlines()[:1]
    return first[0].split(":")[0].replace("npimatch ", "") if first else "?"


class Runner:
    def __init__(self, npimatch, out):
        self.npimatch, self.out, self.wall, self.rss = npimatch, out, 0.0, 0.0
        os.makedirs(out, exist_ok=True)

    def __call__(self, *args):
        rc, wall, rss = run_measured([self.npimatch] + list(args), os.path.join(self.out, "run.log"))
        self.wall += wall
        self.rss = max(self.rss, rss)
        if rc != 0:
            raise RuntimeError(f"npimatch {args[0]} exited {rc}; see {self.out}/run.log")


def _col(header, names):
    for n in names:
        if n in header:
            return n
    return None


def read_pairs(path):
    """Scored pairs from a `link` output: two id columns and a probability column,
    found by name (the output format of `link` is the command's own)."""
    rows = read_csv(path)
    if not rows:
        return []
    h = list(rows[0].keys())
    ids = [c for c in h if c.lower() in ("id_l", "id_r", "left_id", "right_id", "record_id_l", "record_id_r",
                                         "left_record_id", "right_record_id", "unique_id_l", "unique_id_r")]
    if len(ids) < 2:
        ids = h[:2]
    sc = _col(h, ["match_probability", "probability", "confidence", "score"])
    return [(r[ids[0]], r[ids[1]], float(r[sc]) if sc and r[sc] else 1.0) for r in rows]


def read_clusters(path, id_names=("record_id", "rec_id", "unique_id", "id")):
    rows = read_csv(path)
    h = list(rows[0].keys()) if rows else []
    rid = _col(h, list(id_names)) or (h[0] if h else None)
    cid = _col(h, ["cluster_id", "person_id", "entity_id", "cluster"]) or (h[1] if len(h) > 1 else None)
    return {r[rid]: r[cid] for r in rows}


def model_threshold(name):
    with open(os.path.join(MODELS, name + ".json")) as f:
        return float(json.load(f).get("thresholds", {}).get("match_probability", 0.5))


def run(ds, npimatch, out):
    """Run npimatch on dataset ds; returns (result dict, wall, rss)."""
    r = Runner(npimatch, out)
    kind = ds["name"]
    if kind == "hcp":
        if not has_command(npimatch, "match"):
            raise NotAvailable("`npimatch match` is not in this build")
        m = os.path.join(out, "matches.csv")
        r("match", "--registry", ds["registry"], "--input", ds["hcp"], "--out", m)
        return {"matches": m}, r.wall, r.rss
    if kind == "febrl4":
        if not has_command(npimatch, "link"):
            raise NotAvailable("`npimatch link` is not in this build")
        p = os.path.join(out, "pairs.csv")
        # pairs down to 0.01 for the curve; the default cut is the model's match_probability
        r("link", "--left", ds["left"], "--right", ds["right"], "--model", os.path.join(MODELS, "febrl4.json"),
          "--threshold", "0.01", "--out", p)
        return {"pairs": read_pairs(p), "default_threshold": model_threshold("febrl4")}, r.wall, r.rss
    if kind == "febrl3":
        if not has_command(npimatch, "dedupe"):
            raise NotAvailable("`npimatch dedupe` is not in this build")
        c, p = os.path.join(out, "clusters.csv"), os.path.join(out, "pairs.csv")
        # default: the clusters (the command's answer); curve and best cut: its scored pairs
        r("dedupe", "--input", ds["records"], "--model", os.path.join(MODELS, "febrl3.json"), "--out", c,
          "--pairs", p, "--threshold", "0.01")
        return {"clusters": read_clusters(c), "pairs": read_pairs(p),
                "default_threshold": model_threshold("febrl3")}, r.wall, r.rss
    if kind == "patients":
        if not has_command(npimatch, "resolve"):
            raise NotAvailable("`npimatch resolve` is not in this build")
        state = os.path.join(out, "state")
        persons = os.path.join(out, "persons.csv")
        for t in range(1, ds["nights"] + 1):
            args = ["resolve", "--state", state, "--input", os.path.join(ds["feeds"], f"night_{t:02d}.csv")]
            dp = os.path.join(ds["feeds"], f"night_{t:02d}_deletes.csv")
            if os.path.exists(dp):
                args += ["--delete", dp]
            r(*args, "--all", "--out", persons)   # --all: every record of the state, scored at the end
        return {"persons": persons}, r.wall, r.rss
    raise NotAvailable(f"no npimatch runner for {kind}")
