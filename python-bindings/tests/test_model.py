import math

import pytest

import npimatch as nm

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.mark.parametrize("name", ["builtin:hcp", "builtin:patient", "builtin:febrl"])
def test_builtin_models_load_and_round_trip(tmp_path, name):
    m = nm.Model.load(name)
    d = m.to_dict()
    assert d["npimatch_model_version"] == 1
    assert m.name == d["name"] and m.name
    # save -> load gives the same model (same JSON bytes)
    p = tmp_path / "m.json"
    m.save(p)
    m2 = nm.Model.load(p)
    assert m2.to_json() == m.to_json()
    assert p.read_text() == m.to_json()
    # dict -> engine -> dict is stable
    m3 = nm.Model.from_dict(d)
    assert m3.to_dict() == d


def test_properties_and_weights():
    m = nm.Model.load("builtin:hcp")
    lam = m.probability_two_random_records_match
    assert 0 < lam < 1 and m.lambda_ == lam
    assert m.prior_weight == pytest.approx(math.log2(lam / (1 - lam)))
    comps = m.comparisons
    assert [c["name"] for c in comps] == [c["name"] for c in m.to_dict()["comparisons"]]
    for c in comps:
        for lv in c["levels"]:
            if lv["predicate"] == "null":
                assert lv["weight"] == 0
            else:
                # the saved weight is log2(m/u), rounded to 3 decimals by the writer
                assert lv["weight"] == pytest.approx(math.log2(lv["m"] / lv["u"]), abs=1e-3)
    w = m.weights()
    assert len(w) == sum(len(c["levels"]) for c in comps)
    assert list(w.columns) == ["comparison", "level", "predicate", "m", "u", "weight"]


def test_edited_model_changes_scores():
    d = nm.Model.load("builtin:hcp").to_dict()
    c = next(c for c in d["comparisons"] if c["name"] == "last_name")
    ex = next(lv for lv in c["levels"] if lv["label"] == "exact")
    ex["m"], ex["u"] = 0.5, 0.5  # weight 0
    m = nm.Model.from_dict(d)
    wf = m.waterfall({"last_name": "exact"})
    step = next(s for s in wf.steps if s["comparison"] == "last_name")
    assert step["weight"] == pytest.approx(0.0)


def test_invalid_model_names_the_json_path():
    d = nm.Model.load("builtin:febrl").to_dict()
    d["comparisons"][0]["levels"][-1]["predicate"] = "no_such_predicate"
    with pytest.raises(nm.NpimatchError, match=r"comparisons\[0\]\.levels"):
        nm.Model.from_dict(d)
    with pytest.raises(nm.NpimatchError):
        nm.Model.load("builtin:nope")


def test_waterfall_sums_and_probability():
    m = nm.Model.load("builtin:hcp")
    levels = {"npi": "exact", "last_name": "exact", "first_name": "exact"}
    wf = m.waterfall(levels)
    assert wf.steps[0]["comparison"] == "prior"
    assert wf.steps[0]["cumulative"] == pytest.approx(m.prior_weight)
    assert len(wf.steps) == len(m.comparisons) + 1
    total = m.prior_weight
    by_name = {c["name"]: c for c in m.comparisons}
    for s in wf.steps[1:]:
        lv = next(lv for lv in by_name[s["comparison"]]["levels"] if lv["label"] == s["level"])
        assert s["weight"] == pytest.approx(lv["weight"], abs=1e-3)
        total += s["weight"] + s["tf_weight"]
        assert s["cumulative"] == pytest.approx(total)
    assert wf.probability == pytest.approx(2 ** wf.weight / (1 + 2 ** wf.weight))
    # comparisons left out are null; the engine's compact form agrees
    assert "middle_name=null:0" in wf.explanation
    assert m.explain(levels) == wf.explanation
    df = wf.to_pandas()
    assert list(df["comparison"])[:2] == ["prior", "npi"]
    assert "npi" in repr(wf) and "<table>" in wf._repr_html_()


def test_waterfall_rejects_bad_levels():
    m = nm.Model.load("builtin:hcp")
    with pytest.raises(ValueError, match="no level"):
        m.waterfall({"npi": "nearly"})
    with pytest.raises(ValueError, match="unknown comparisons"):
        m.waterfall({"shoe_size": "exact"})
    with pytest.raises(ValueError):
        m.waterfall([0, 1])
    with pytest.raises(ValueError, match="out of range"):
        m.waterfall([99] * len(m.comparisons))


def test_plots_produce_figures():
    m = nm.Model.load("builtin:patient")
    fig = m.plot_weights()
    assert isinstance(fig, matplotlib.figure.Figure)
    axw, axp = fig.axes
    non_null = sum(1 for c in m.comparisons for lv in c["levels"] if lv["predicate"] != "null")
    assert len(axw.patches) == non_null
    assert len(axp.patches) == 2 * non_null  # m and u bars
    wf = m.waterfall({m.comparisons[0]["name"]: m.comparisons[0]["levels"][1]["label"]})
    ax = wf.plot()
    assert len(ax.patches) == len(wf.steps) + 1  # steps and the final bar
    matplotlib.pyplot.close("all")

