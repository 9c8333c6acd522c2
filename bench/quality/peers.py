"""Helpers shared by the peer runners (run_splink.py, run_recordlinkage.py):
reading the benchmark CSVs as strings, the HCP matches file (best NPI per record)
and meta.json. Uses pandas, so only inside bench/.venv."""
import json
import os

import pandas as pd


def read_str(path, index=None, nulls=False):
    """A CSV with every column as text; empty fields as None when nulls (Splink's nulls)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if nulls:
        df = df.replace({"": None})
    return df.set_index(index) if index else df


def write_matches(pairs, record_ids, default, out):
    """matches.csv as `npimatch match` writes it (record_id,npi,confidence,status) from
    scored (record, provider) pairs with columns id_l,id_r,score: each record takes its
    best-scoring NPI; status matched when the score reaches the system's default cut."""
    best = pairs.sort_values(["id_l", "score"], ascending=[True, False]).drop_duplicates("id_l")
    m = pd.DataFrame({"record_id": list(record_ids)}).merge(
        best.rename(columns={"id_l": "record_id", "id_r": "npi", "score": "confidence"}), on="record_id", how="left")
    m["confidence"] = m["confidence"].fillna(0.0).clip(0, 1).round(6)
    m["status"] = ["matched" if c >= default else "unmatched" for c in m["confidence"]]
    m["npi"] = m["npi"].fillna("")
    m[["record_id", "npi", "confidence", "status"]].to_csv(os.path.join(out, "matches.csv"), index=False)


def write_meta(out, meta):
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f)
