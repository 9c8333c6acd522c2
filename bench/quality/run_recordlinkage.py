#!/usr/bin/env python3
"""The Python Record Linkage Toolkit (recordlinkage) on one benchmark dataset,
as its documentation shows: an Index of blocking keys (the union of several
Block indexers), a Compare of exact and Jaro-Winkler string features (threshold
0.85) and the documented classification by the sum of the agreeing features
(FEBRL example: matches are pairs with more than 3 of 6 features agreeing).
The score is the share of agreeing features, so the default cut (sum > 3 of 6)
is score >= 4/6; the benchmark also sweeps every other cut.

usage: run_recordlinkage.py KIND OUTDIR FILE...   (as run_splink.py)
Writes OUTDIR/pairs.csv (id_l,id_r,score), for hcp OUTDIR/matches.csv, for
patients OUTDIR/clusters.csv, and OUTDIR/meta.json.
"""
import os
import sys

import pandas as pd
import recordlinkage as rl

from peers import read_str, write_matches, write_meta


def index_union(keys, a, b=None):
    """Union of Block indexers. Empty fields are read as missing (None) so that
    Block drops them: as empty strings every record without a phone would block
    with every other one."""
    idx = rl.Index()
    for k in keys:
        idx.block(k)
    return idx.index(a) if b is None else idx.index(a, b)


def features(pairs, a, b, exact, strings):
    c = rl.Compare()
    for f in exact:
        c.exact(f, f, label=f)
    for f in strings:
        c.string(f, f, method="jarowinkler", threshold=0.85, label=f)
    return c.compute(pairs, a, b if b is not None else a)


def write_pairs(feat, out):
    n = feat.shape[1]
    score = feat.sum(axis=1) / n
    df = pd.DataFrame({"id_l": feat.index.get_level_values(0), "id_r": feat.index.get_level_values(1),
                       "score": score.values.round(6)})
    df.to_csv(os.path.join(out, "pairs.csv"), index=False)
    return df, n


def components(ids, edges):
    """Connected components (union-find) of the accepted pairs: the clusters."""
    parent = {i: i for i in ids}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {i: find(i) for i in ids}


def main():
    kind, out, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    meta = {"system": "recordlinkage", "version": rl.__version__}
    if kind in ("febrl3", "febrl4"):
        a = read_str(files[0], "rec_id", nulls=True)
        b = read_str(files[1], "rec_id", nulls=True) if len(files) > 1 else None
        pairs = index_union(["given_name", "surname", "date_of_birth", "soc_sec_id"], a, b)
        feat = features(pairs, a, b, ["given_name", "date_of_birth", "suburb", "state"], ["surname", "address_1"])
        _, n = write_pairs(feat, out)
        meta["default_threshold"] = 4 / n - 1e-9  # sum > 3
    elif kind == "hcp":
        a, b = read_str(files[0], "unique_id", nulls=True), read_str(files[1], "unique_id", nulls=True)
        pairs = index_union(["npi", ["last_name", "zip5"], ["first_name", "last_name", "state"], "phone"], a, b)
        feat = features(pairs, a, b, ["npi", "zip5", "city", "state", "phone"], ["first_name", "last_name", "org_name"])
        df, n = write_pairs(feat, out)
        meta["default_threshold"] = default = 5 / n - 1e-9  # more than half of 8 features agree
        write_matches(df, a.index, default, out)
    elif kind == "patients":
        a = read_str(files[0], "unique_id", nulls=True)
        pairs = index_union([["first_name", "last_name"], "birth_date", "phone", ["last_name", "zip5"]], a)
        feat = features(pairs, a, None, ["birth_date", "sex", "zip5", "phone", "email"],
                        ["first_name", "last_name", "address_line1"])
        df, n = write_pairs(feat, out)
        meta["default_threshold"] = default = 5 / n - 1e-9
        acc = df[df["score"] >= default]
        comp = components(list(a.index), zip(acc["id_l"], acc["id_r"]))
        pd.DataFrame({"unique_id": list(comp.keys()), "cluster_id": list(comp.values())}).to_csv(
            os.path.join(out, "clusters.csv"), index=False)
    else:
        sys.exit(f"unknown dataset kind {kind}")
    write_meta(out, meta)


if __name__ == "__main__":
    main()
