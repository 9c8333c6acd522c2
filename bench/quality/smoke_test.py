#!/usr/bin/env python3
"""Smoke test of the quality benchmark (run by tests/test_bench_quality.c, so
it is part of the test command): the evaluation's hand-computed self-test, then
bench/quality at --tiny sizes with npimatch only, on a tiny FEBRL-shaped
directory written here, and checks of what it wrote. Seconds; standard library.

usage: smoke_test.py NPIMATCH TMPDIR
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Tiny FEBRL-shaped files (FEBRL's header and ', ' separators). Entities 1 and 2
# have duplicates: dedupe truth pairs = C(3,2) + C(2,2) = 4; link truth = 3.
HEAD = "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id\n"
D3 = [
    "rec-1-org, mitchell, green, 7, wallaby place, delmar, cleveland, 2119, sa, 19560409, 1804974",
    "rec-1-dup-0, mitchel, green, 7, wallaby pl, delmar, cleveland, 2119, sa, 19560409, 1804974",
    "rec-1-dup-1, mitchell, grene, 7, wallaby place, , cleveland, 2119, sa, 19560490, 1804974",
    "rec-2-org, harley, mccarthy, 177, pridham street, milton, marsden, 3165, nsw, 19080419, 6089216",
    "rec-2-dup-0, harley, mccarthy, 177, pridhamstreet, milton, marsden, 3165, nsw, 19080419, 6089261",
    "rec-3-org, madeline, mason, 54, hoseason street, lakefront, ainslie, 6151, nsw, 19160620, 4541733",
]
D4A = ["rec-10-org, michaela, neumann, 8, stanley street, miami, winston hills, 4223, nsw, 19151111, 5304218",
       "rec-11-org, courtney, painter, 12, pinkerton circuit, bega flats, richlands, 4560, vic, 19161214, 4066625",
       "rec-12-org, charles, green, 38, salkauskas crescent, kela, dapto, 4566, nsw, 19480930, 4365168"]
D4B = ["rec-10-dup-0, michaela, neuman, 8, stanley street, miami, winston hills, 4223, nsw, 19151111, 5304218",
       "rec-11-dup-0, courtney, painter, 12, pinkerton circuit, bega flats, richland, 4560, vic, 19161214, 4066625",
       "rec-12-dup-0, charles, green, 38, salkauskas cres, kela, dapto, 4566, nsw, 19480930, 4365168"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def main():
    npimatch, tmp = sys.argv[1], sys.argv[2]
    root = os.path.join(tmp, "bench_quality")
    shutil.rmtree(root, ignore_errors=True)
    febrl = os.path.join(root, "febrl")
    os.makedirs(febrl)
    for name, rows in (("dataset3.csv", D3), ("dataset4a.csv", D4A), ("dataset4b.csv", D4B)):
        with open(os.path.join(febrl, name), "w") as f:
            f.write(HEAD + "\n".join(rows) + "\n")
    q = [sys.executable, os.path.join(HERE, "quality.py")]
    p = subprocess.run(q + ["--self-test"], capture_output=True, text=True)
    if p.returncode != 0 or "self-test ok" not in p.stdout:
        fail("self-test: " + p.stdout + p.stderr)
    out = os.path.join(root, "out")
    p = subprocess.run(q + ["--tiny", "--systems", "npimatch", "--febrl-dir", febrl, "--npimatch", npimatch,
                            "--work", os.path.join(root, "work"), "--out", out], capture_output=True, text=True)
    print(p.stderr)
    if p.returncode != 0:
        fail(f"quality.py exited {p.returncode}")
    sys.path.insert(0, HERE)
    import datasets as D
    for name, kind, want in (("febrl3", "dedupe", 4), ("febrl4", "link", 3)):
        ds = {"name": name, "kind": kind, "records": os.path.join(root, "work", name, "records.csv"),
              "left": os.path.join(root, "work", name, "a.csv"), "right": os.path.join(root, "work", name, "b.csv")}
        if len(D.febrl_truth(ds)) != want:
            fail(f"{name}: {len(D.febrl_truth(ds))} true pairs, want {want}")
    with open(os.path.join(out, "quality.json")) as f:
        res = json.load(f)
    rows = {r["dataset"]: r for r in res["results"]}
    if sorted(rows) != ["febrl3", "febrl4", "hcp", "patients"] or any(r["system"] != "npimatch" for r in rows.values()):
        fail(f"rows: {sorted(rows)}")
    # A dataset whose npimatch command is not built yet is reported, never an error.
    floor = {"febrl3": 0.8, "febrl4": 0.8, "hcp": 0.8, "patients": 0.8}
    for name, r in rows.items():
        st = r["status"]
        if st.startswith("not available"):
            continue
        if st != "ok":
            fail(f"{name}: {st}")
        d = r["default"]
        if not all(0.0 <= d[k] <= 1.0 for k in ("precision", "recall", "f1")):
            fail(f"{name}: metrics out of range {d}")
        if not (r["wall_s"] > 0 and r["peak_rss_mib"] > 0):
            fail(f"{name}: no time or memory measured")
        if d["f1"] < floor[name]:
            fail(f"{name}: F1 {d['f1']} below the smoke floor {floor[name]} (pipeline miswired?)")
    md = open(os.path.join(out, "quality.md")).read()
    for title in ("FEBRL4", "FEBRL3", "HCP", "patients"):
        if title not in md:
            fail(f"quality.md lacks {title}")
    # HCP and patient data were generated at the tiny sizes
    with open(os.path.join(root, "work", "hcp", "truth.csv")) as f:
        if sum(1 for _ in f) != res["info"]["sizes"]["hcp"] + 1:
            fail("hcp truth rows != --tiny size")
    print("smoke ok:", {k: v["status"] for k, v in rows.items()})


if __name__ == "__main__":
    main()
