import subprocess

import pytest

import npimatch as nm
from conftest import cli_path

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("match")
    nm.generate_nppes(3000, 21, d / "npidata.csv")
    reg = nm.Registry.build(d / "npidata.csv", out=d / "reg.nmx")
    records, truth = nm.generate_hcp(reg, 600, 22, out=d / "hcp.csv", truth=d / "truth.csv")
    yield d, reg, records, truth
    reg.close()


def test_match_same_bytes_as_cli(world, tmp_path):
    d, reg, records, truth = world
    m = reg.match(d / "hcp.csv", out=tmp_path / "m.csv")
    assert len(m) == 600 and list(m["record_id"]) == list(records["record_id"])
    assert set(m["status"]) <= {"matched", "ambiguous", "unmatched"}
    assert m["confidence"].dtype == float
    cli = cli_path()
    if cli:
        subprocess.run([cli, "match", "--registry", str(d / "reg.nmx"), "--input", str(d / "hcp.csv"),
                        "--out", str(tmp_path / "cli.csv")], check=True, capture_output=True)
        assert (tmp_path / "cli.csv").read_bytes() == (tmp_path / "m.csv").read_bytes()
    # a table in gives the same result as the file
    pd.testing.assert_frame_equal(reg.match(records), m)
    # and the matches are good against the truth (generated data, built-in model)
    r = nm.evaluate(m, truth)
    assert r.precision > 0.95 and r.recall > 0.9


def test_matcher_reuse_and_registry_guard(world):
    d, reg, records, truth = world
    with nm.Matcher(reg, nm.Model.load("builtin:hcp"), threads=1) as mt:
        with pytest.raises(RuntimeError, match="in use"):
            reg.close()
        a = mt.match(records.head(100))
        b = mt.match(records.head(100), as_="arrow")
        c = mt.match(records.head(100), as_="polars")
        assert str(c.schema["confidence"]) == "Float64" and str(c.schema["npi"]) == "String"
        assert c["npi"].to_list() == b.column("npi").to_pylist()
        assert mt.stats["records"] == 100
        assert "matched" in mt.report
    assert mt.closed
    assert a["npi"].fillna("").tolist() == [x or "" for x in b.column("npi").to_pylist()]
    assert not reg.closed  # the registry is still usable after the matcher is closed
    with pytest.raises(TypeError):
        nm.Matcher("not a registry")


def test_explain_a_match(world):
    d, reg, records, truth = world
    m = reg.match(records)
    row = m[m["status"] == "matched"].iloc[0]
    wf = nm.explain(row)
    model = nm.Model.load("builtin:hcp")
    assert [s["comparison"] for s in wf.steps] == ["prior"] + [c["name"] for c in model.comparisons]
    assert wf.weight == pytest.approx(row["match_weight"])
    # each step's shown weight (one decimal) is level weight + TF share
    shown = dict((p.split("=")[0], p.split(":")[1].replace("(tf)", "")) for p in row["explanation"].split(";"))
    for s in wf.steps[1:]:
        assert s["weight"] + s["tf_weight"] == pytest.approx(float(shown[s["comparison"]]), abs=0.051)
    nocand = m[m["explanation"] == "no_candidates"]
    if len(nocand):
        with pytest.raises(ValueError, match="no comparison"):
            nm.explain(nocand.iloc[0])
    with pytest.raises(ValueError, match="does not fit"):
        nm.explain("shoe_size=exact:+1.0")


def test_explain_any_record_against_any_npi(world):
    d, reg, records, truth = world
    with nm.Matcher(reg) as mt:
        m = mt.match(records)
        hits = m[m["npi"].notna()]
        assert len(hits) > 100
        # the pair the matcher chose: same weight (printed with 2 decimals) and the same explanation
        for i in hits.index[:200]:
            wf = mt.explain(records.loc[i], hits.loc[i, "npi"])
            assert wf.weight == pytest.approx(hits.loc[i, "match_weight"], abs=0.0051)
            assert wf.explanation == hits.loc[i, "explanation"]
        # another provider for the same record: much less evidence than the chosen one
        i = hits.index[0]
        other = next(n for n in hits["npi"] if n != hits.loc[i, "npi"])
        far = nm.explain(records.loc[i], other, matcher=mt)
        assert far.weight < hits.loc[i, "match_weight"] - 10
        assert far.steps[0]["comparison"] == "prior" and len(far.steps) == len(mt.model.comparisons) + 1
        with pytest.raises(nm.NotFoundError):
            mt.explain(records.loc[i], 1234567893)
        with pytest.raises(TypeError, match="matcher"):
            nm.explain(records.loc[i], other)
        with pytest.raises(ValueError, match="rejected"):
            mt.explain({"first_name": "", "last_name": ""}, other)  # nothing to match on
        with pytest.raises(nm.FormatError, match="name"):
            mt.explain({"phone": "2125550100"}, other)  # no name column at all
        one = records.loc[[i]]  # a one-row DataFrame and a dict work too
        assert mt.explain(one, other).weight == far.weight
        assert mt.explain(records.loc[i].to_dict(), other).weight == far.weight
