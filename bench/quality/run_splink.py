#!/usr/bin/env python3
"""Splink (DuckDB backend) on one benchmark dataset, run as a child process so
the parent measures its wall time and peak RSS alone.

Configured as Splink's documentation recommends: blocking rules for prediction,
name comparisons with Jaro-Winkler levels and term-frequency adjustment, date of
birth by Splink's DOB comparison, exact matches with TF on postcode/suburb/city,
Damerau-Levenshtein on identifiers and phone; lambda from deterministic rules,
u by random sampling, m by EM once per training blocking rule; prediction at
match probability 0.5 (Splink's documented default cut), clustering at 0.5 for
dedupe.

usage: run_splink.py KIND OUTDIR FILE... (febrl3: records; febrl4: a b;
       hcp: hcp providers; patients: final)
Writes OUTDIR/pairs.csv (id_l,id_r,score), and for hcp OUTDIR/matches.csv,
for patients OUTDIR/clusters.csv; OUTDIR/meta.json (version, threshold).
"""
import os
import sys

import splink
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from peers import read_str, write_matches, write_meta

MAX_PAIRS_U = 1e7  # Splink docs: 1e6..1e8 for u sampling; 1e7 is their common choice
DEFAULT = 0.5


def febrl_settings(link_type):
    # Shaped like Splink's FEBRL3/FEBRL4 examples.
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="rec_id",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
            block_on("date_of_birth", "postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
        ],
        retain_intermediate_calculation_columns=False,
    )


def train(linker, deterministic, em_rules, recall):
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=MAX_PAIRS_U, seed=1)
    for r in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(r)


def predict_pairs(linker, out, thr=0.001):
    df = linker.inference.predict(threshold_match_probability=thr)
    p = df.as_pandas_dataframe()
    return df, p


def main():
    kind, out, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    db = DuckDBAPI()
    meta = {"system": "splink", "version": splink.__version__, "default_threshold": DEFAULT}
    if kind in ("febrl3", "febrl4"):
        dfs = [db.register(read_str(f, nulls=True), dataset_display_name=os.path.basename(f).split(".")[0]) for f in files]
        link_type = "dedupe_only" if kind == "febrl3" else "link_only"
        linker = Linker(dfs if len(dfs) > 1 else dfs[0], febrl_settings(link_type))
        train(linker, [block_on("given_name", "surname", "date_of_birth"), block_on("soc_sec_id")],
              [block_on("date_of_birth"), block_on("postcode"), block_on("given_name", "surname")], 0.8)
        _, p = predict_pairs(linker, out, None)  # 5,000 records: keep every blocked pair for the curve
        p[["rec_id_l", "rec_id_r", "match_probability"]].to_csv(
            os.path.join(out, "pairs.csv"), header=["id_l", "id_r", "score"], index=False)
    elif kind == "hcp":
        hcp, prov = read_str(files[0], nulls=True), read_str(files[1], nulls=True)
        s = SettingsCreator(
            link_type="link_only",
            blocking_rules_to_generate_predictions=[
                block_on("npi"),
                block_on("last_name", "zip5"),
                block_on("first_name", "last_name", "state"),
                block_on("phone"),
                block_on("org_name", "state"),
                block_on("last_name", "city"),
            ],
            comparisons=[
                cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
                cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
                cl.JaroWinklerAtThresholds("org_name", [0.95, 0.88]),
                cl.ExactMatch("npi"),
                cl.JaroWinklerAtThresholds("address", [0.95, 0.85]),
                cl.ExactMatch("city").configure(term_frequency_adjustments=True),
                cl.ExactMatch("state").configure(term_frequency_adjustments=True),
                cl.DamerauLevenshteinAtThresholds("zip5", [1]).configure(term_frequency_adjustments=True),
                cl.DamerauLevenshteinAtThresholds("phone", [1, 2]),
            ],
        )
        linker = Linker([db.register(hcp, dataset_display_name="hcp"), db.register(prov, dataset_display_name="nppes")], s)
        train(linker, [block_on("npi"), block_on("first_name", "last_name", "zip5")],
              [block_on("last_name", "zip5"), block_on("first_name", "state"), block_on("phone")], 0.7)
        _, p = predict_pairs(linker, out)
        # Pairs are (hcp, nppes) in input order for link_only; keep the best NPI per record.
        if "source_dataset_l" in p.columns:
            flip = p["source_dataset_l"] != "hcp"
            l, r = p["unique_id_l"].where(~flip, p["unique_id_r"]), p["unique_id_r"].where(~flip, p["unique_id_l"])
            p = p.assign(unique_id_l=l, unique_id_r=r)
        pairs = p[["unique_id_l", "unique_id_r", "match_probability"]].set_axis(["id_l", "id_r", "score"], axis=1)
        pairs.to_csv(os.path.join(out, "pairs.csv"), index=False)
        write_matches(pairs, hcp["unique_id"], DEFAULT, out)
    elif kind == "patients":
        df = read_str(files[0], nulls=True)
        s = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("first_name", "last_name"),
                block_on("birth_date"),
                block_on("phone"),
                block_on("email"),
                block_on("last_name", "zip5"),
            ],
            comparisons=[
                cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
                cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
                cl.DateOfBirthComparison("birth_date", input_is_string=True, datetime_format="%Y-%m-%d"),
                cl.ExactMatch("sex"),
                cl.ExactMatch("suffix"),
                cl.JaroWinklerAtThresholds("address_line1", [0.95, 0.85]),
                cl.ExactMatch("city").configure(term_frequency_adjustments=True),
                cl.DamerauLevenshteinAtThresholds("zip5", [1]).configure(term_frequency_adjustments=True),
                cl.DamerauLevenshteinAtThresholds("phone", [1, 2]),
                cl.EmailComparison("email"),
            ],
        )
        linker = Linker(db.register(df, dataset_display_name="patients"), s)
        train(linker, [block_on("first_name", "last_name", "birth_date")],
              [block_on("birth_date"), block_on("first_name", "last_name"), block_on("phone")], 0.7)
        pred, p = predict_pairs(linker, out)
        p[["unique_id_l", "unique_id_r", "match_probability"]].to_csv(
            os.path.join(out, "pairs.csv"), header=["id_l", "id_r", "score"], index=False)
        c = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, DEFAULT).as_pandas_dataframe()
        c[["unique_id", "cluster_id"]].to_csv(os.path.join(out, "clusters.csv"), index=False)
    else:
        sys.exit(f"unknown dataset kind {kind}")
    write_meta(out, meta)


if __name__ == "__main__":
    main()
