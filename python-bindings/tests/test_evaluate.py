import json
import os
import pathlib
import subprocess

import pytest

import npimatch as nm

DATA = pathlib.Path(__file__).parent / "data"


def _cli():
    p = os.environ.get("NM_CLI") or str(pathlib.Path(__file__).resolve().parents[2] / "build" / "npimatch")
    return p if os.access(p, os.X_OK) else None


def test_matches_hand_computed():
    r = nm.evaluate(DATA / "eval_matches.csv", DATA / "eval_truth.csv")
    # 5 truth records, 4 with an NPI; matched R1 (right), R2 (wrong NPI), R4 (absent provider)
    assert r.kind == "matches"
    assert (r.at_model_thresholds["tp"], r.at_model_thresholds["fp"], r.at_model_thresholds["fn"]) == (1, 2, 3)
    assert r.precision == pytest.approx(1 / 3, abs=1e-6)
    assert r.recall == pytest.approx(1 / 4)
    assert r.f1 == pytest.approx(2 / 7, abs=1e-6)
    assert r.at_model_thresholds["fp_wrong_npi"] == 1 and r.at_model_thresholds["fp_absent_provider"] == 1
    # any row with an NPI and confidence >= 0.60 (R1, R3 right; R2, R4 wrong): F1 0.5, lowest threshold on ties
    assert r.best_threshold["f1"] == pytest.approx(0.5) and r.best_threshold["threshold"] == 0
    sw = r.sweep
    assert len(sw) == 101
    row = sw[sw["threshold"].round(2) == 0.96].iloc[0]  # only R1
    assert (row["precision"], row["recall"]) == (pytest.approx(1.0), pytest.approx(0.25))
    cal = r.calibration
    assert list(cal["count"]) == [0, 0, 0, 0, 0, 0, 1, 0, 0, 3]
    assert cal["right"].iloc[9] == 1
    assert r.blocking["top2_candidate_recall"] == pytest.approx(0.75)
    assert [c["record_id"] for c in r.worst_false_positives] == ["R2", "R4"]
    assert "precision 0.3333" in r.text
    assert "0.3333" in repr(r) and "<table>" in r._repr_html_()


def test_persons_hand_computed():
    r = nm.evaluate(DATA / "eval_persons.csv", DATA / "eval_person_truth.csv", kind="persons")
    assert r.kind == "persons"
    # persons P1={A1,A2,B1} P2={A3,B2} P3={B3}; clusters X={A1,A2} Y={B1,A3,B2} Z={B3}
    assert r.pairwise["tp"] == 2 and r.pairwise["predicted_pairs"] == 4 and r.pairwise["true_pairs"] == 4
    assert (r.precision, r.recall, r.f1) == (0.5, 0.5, 0.5)
    assert r.bcubed["precision"] == pytest.approx((4 / 2 + 1 / 3 + 4 / 3 + 1) / 6, abs=1e-6)
    assert r.bcubed["recall"] == pytest.approx((4 / 3 + 1 / 3 + 4 / 2 + 1) / 6, abs=1e-6)
    assert r.over_merged == 1 and r.split == 1
    assert r.to_dict()["changes"] == {"new": 4, "merged": 2}
    assert [c["record_id"] for c in r.worst_misplaced] == ["B,1"]


@pytest.mark.parametrize("kind,pred,truth", [("matches", "eval_matches.csv", "eval_truth.csv"),
                                             ("persons", "eval_persons.csv", "eval_person_truth.csv")])
def test_same_numbers_as_cli(tmp_path, kind, pred, truth):
    cli = _cli()
    if cli is None:
        pytest.skip("npimatch CLI not built (build/npimatch or NM_CLI)")
    out = tmp_path / "r.json"
    flag = "--matches" if kind == "matches" else "--persons"
    subprocess.run([cli, "eval", "--truth", str(DATA / truth), flag, str(DATA / pred), "--json", str(out)],
                   check=True, capture_output=True)
    assert nm.evaluate(DATA / pred, DATA / truth, kind=kind).to_dict() == json.loads(out.read_text())


def test_tables_in_same_as_files():
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa_csv = pytest.importorskip("pyarrow.csv")
    want = nm.evaluate(DATA / "eval_matches.csv", DATA / "eval_truth.csv").to_dict()
    # pandas reads the NPI columns as float (gaps): they must be written back as integers
    pm, pt = pd.read_csv(DATA / "eval_matches.csv"), pd.read_csv(DATA / "eval_truth.csv")
    assert pt["npi"].dtype.kind == "f"
    assert nm.evaluate(pm, pt).to_dict() == want
    assert nm.evaluate(pl.read_csv(DATA / "eval_matches.csv"), pl.read_csv(DATA / "eval_truth.csv")).to_dict() == want
    assert nm.evaluate(pa_csv.read_csv(DATA / "eval_matches.csv"), DATA / "eval_truth.csv").to_dict() == want
    recs = pd.read_csv(DATA / "eval_truth.csv", dtype=str, keep_default_na=False).to_dict("records")
    assert nm.evaluate(DATA / "eval_matches.csv", recs).to_dict() == want


def test_bad_input_raises_format_error(tmp_path):
    bad = tmp_path / "m.csv"
    bad.write_text("record_id,npi,status\nR1,1111111111,matched\n")
    with pytest.raises(nm.FormatError, match="confidence"):
        nm.evaluate(bad, DATA / "eval_truth.csv")
    with pytest.raises(ValueError):
        nm.evaluate(bad, DATA / "eval_truth.csv", kind="clusters")


def test_report_plots():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    r = nm.evaluate(DATA / "eval_matches.csv", DATA / "eval_truth.csv")
    ax = r.plot_precision_recall()
    assert len(ax.lines) >= 3  # precision, recall, F1
    ax = r.plot_calibration()
    assert len(ax.collections) == 1  # one scatter of the non-empty bins
    assert len(ax.collections[0].get_offsets()) == 2
    rp = nm.evaluate(DATA / "eval_persons.csv", DATA / "eval_person_truth.csv", kind="persons")
    ax = rp.plot_precision_recall()
    assert len(ax.patches) == 6  # pairwise and B-cubed P/R/F1
    assert rp.plot_calibration() is not None
    matplotlib.pyplot.close("all")
