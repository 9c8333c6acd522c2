"""resolve, link, dedupe, train and blocking_stats from tables: same results
as from the CSV files (the engine reads the same bytes), the CLI's columns,
clear exceptions for bad inputs, the engine's progress/cancel hook."""
import os
import time

import pytest

import npimatch as nm
from npimatch import _npimatch as _c

from conftest import ctrl_c_after

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def feeds(tmp_path_factory):
    d = tmp_path_factory.mktemp("feeds")
    return nm.generate_patients(1500, 31, sources=2, nights=2, out=d)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("reg")
    nm.generate_nppes(2500, 41, d / "npidata.csv")
    reg = nm.Registry.build(d / "npidata.csv")
    records, truth = nm.generate_hcp(reg, 500, 42, out=d / "hcp.csv", truth=d / "truth.csv")
    yield d, reg, records, truth
    if not reg.closed:
        reg.close()


def _one_source(t):
    return t[t["source"] == t["source"].iloc[0]].reset_index(drop=True)


# ---------------------------------------------------------------- resolve

def test_resolve_two_nights_table_equals_file(feeds, tmp_path):
    p1, p2 = feeds.night_paths()
    dels = os.path.join(feeds.dir, "night_02_deletes.csv")
    a1 = nm.resolve(p1, tmp_path / "a")
    b1 = nm.resolve(feeds.nights[0], tmp_path / "b")
    pd.testing.assert_frame_equal(a1, b1)
    assert list(b1.columns) == ["source", "record_id", "person_id", "confidence", "change"]
    assert set(b1["change"]) == {"new"} and b1["confidence"].dtype == float
    a2, st, rep = nm.resolve(p2, tmp_path / "a", delete=dels, with_stats=True)
    b2 = nm.resolve(pa.Table.from_pandas(feeds.nights[1]), tmp_path / "b", delete=feeds.deletes[2], as_="arrow")
    pd.testing.assert_frame_equal(a2, b2.to_pandas())
    assert st["generation"] == 2 and st["deleted"] == len(feeds.deletes[2]) > 0
    assert "generation 2" in rep
    # night 2 re-sends records and links new ones to known persons
    assert {"unchanged", "joined"} <= set(a2["change"])
    # person ids are stable: a record unchanged tonight keeps its id
    m = a1.merge(a2, on=["source", "record_id"], suffixes=("_1", "_2"))
    same = m[m["change_2"] == "unchanged"]
    assert len(same) and (same["person_id_1"] == same["person_id_2"]).all()


def test_resolve_all_full_and_delete_pairs(feeds, tmp_path):
    n1 = feeds.nights[0]
    nm.resolve(n1, tmp_path / "s")
    everyone = nm.resolve(n1.iloc[:0], tmp_path / "s", all=True)
    assert len(everyone) == len(n1.drop_duplicates(["source", "record_id"]))
    key = (n1["source"].iloc[0], n1["record_id"].iloc[0])
    _, st, _ = nm.resolve(n1.iloc[:0], tmp_path / "s", delete=[key], with_stats=True)
    assert st["deleted"] == 1
    keep = n1.iloc[:10]
    _, st, _ = nm.resolve(keep, tmp_path / "s", full=True, with_stats=True)
    assert st["records"] == len(keep.drop_duplicates(["source", "record_id"]))


def test_resolve_errors(feeds, tmp_path):
    n1 = feeds.nights[0]
    with pytest.raises(nm.FormatError, match="record_id"):
        nm.resolve(n1.drop(columns=["record_id"]), tmp_path / "s")
    assert not (tmp_path / "s" / "PERSONS.csv").exists()
    with pytest.raises(TypeError, match="got None"):
        nm.resolve(None, tmp_path / "s")
    with pytest.raises(ValueError, match="different lengths"):
        nm.resolve({"source": ["A", "B"], "record_id": ["1"], "first_name": ["X", "Y"]}, tmp_path / "s")
    bad = n1.iloc[:5].copy()
    bad["first_name"] = [["A"], ["B"], ["C"], ["D"], ["E"]]  # lists: not a scalar type
    with pytest.raises(TypeError, match="first_name"):
        nm.resolve(bad, tmp_path / "s")
    mixed = n1.iloc[:3].copy()
    mixed["phone"] = pd.Series(["1", 2.5, object()], dtype=object, index=mixed.index)
    with pytest.raises(TypeError, match="phone"):
        nm.resolve(mixed, tmp_path / "s")
    with pytest.raises(ValueError, match="as_"):
        nm.resolve(n1, tmp_path / "s", as_="excel")
    # None and NaN are empty fields: a row without a name is rejected and reported, not a crash
    holes = n1.iloc[:4].copy()
    holes.loc[holes.index[2], ["first_name", "middle_name", "last_name"]] = [None, None, float("nan")]
    out, st, rep = nm.resolve(holes, tmp_path / "t", with_stats=True)
    assert st["rejected"] == 1 and len(out) == 3
    assert "data:4:" in rep  # line = row + 2
    key = (holes["source"].iloc[2], holes["record_id"].iloc[2])
    assert key not in set(zip(out["source"], out["record_id"]))
    # another model than the state's is refused, the state is untouched
    with pytest.raises(nm.NpimatchError):
        nm.resolve(n1.iloc[:3], tmp_path / "t", model="builtin:febrl")


def test_resolve_cancelled_leaves_state(feeds, tmp_path):
    data = _c._table_csv(pa.Table.from_pandas(feeds.nights[0]), "data")
    hook = _c._Progress()
    hook.cancel()
    out = str(tmp_path / "p.csv")
    with pytest.raises(KeyboardInterrupt):
        _c._resolve(data, str(tmp_path / "s"), out, None, None, False, False, 1, 0, hook)
    assert hook.cancelled and not os.path.exists(out)
    _, st, _ = nm.resolve(feeds.nights[0], tmp_path / "s", with_stats=True)
    assert st["generation"] == 1  # the cancelled night committed nothing


# ---------------------------------------------------------- link, dedupe

def test_dedupe_table_equals_file(feeds, tmp_path):
    one = _one_source(feeds.nights[0])
    one.to_csv(tmp_path / "one.csv", index=False)
    a = nm.dedupe(tmp_path / "one.csv", "builtin:patient")
    b, pairs = nm.dedupe(pl_or_arrow(one), "builtin:patient", pairs=True, as_="arrow")
    pd.testing.assert_frame_equal(a, b.to_pandas())
    assert list(a.columns) == ["record_id", "cluster_id", "confidence"]
    assert len(a) == len(one) and a["cluster_id"].nunique() < len(one)
    assert pairs.column_names == ["left_id", "right_id", "match_probability", "match_weight", "match_key",
                                  "explanation"]
    assert pairs.num_rows > 0
    pl = pytest.importorskip("polars")
    c = nm.dedupe(pl.from_pandas(one), "builtin:patient", as_="polars")  # __arrow_c_stream__ of polars
    assert isinstance(c, pl.DataFrame) and c["cluster_id"].to_list() == list(a["cluster_id"])
    with pytest.raises(nm.FormatError, match="duplicate record id"):
        nm.dedupe(feeds.nights[0], "builtin:patient")  # two sources reuse record ids


def pl_or_arrow(df):
    return pa.Table.from_pandas(df, preserve_index=False)


def test_link_sides_and_maps(feeds):
    n1 = feeds.nights[0]
    src = n1["source"].iloc[0]
    left = n1[n1["source"] == src].reset_index(drop=True)
    right = n1[n1["source"] != src].reset_index(drop=True)
    p = nm.link(left, right, "builtin:patient")
    assert list(p.columns) == ["left_id", "right_id", "match_probability", "match_weight", "match_key",
                               "explanation"]
    assert len(p) > 0 and (p["match_probability"] >= 0).all()
    assert set(p["left_id"]) <= set(left["record_id"]) and set(p["right_id"]) <= set(right["record_id"])
    # a renamed column read through map= gives the same pairs
    r2 = right.rename(columns={"last_name": "surname"})
    q = nm.link(left, r2, "builtin:patient", map={"right": {"last_name": "surname"}})
    pd.testing.assert_frame_equal(p, q)
    hi = nm.link(left, right, "builtin:patient", threshold=0.999)
    assert len(hi) <= len(p)
    with pytest.raises(nm.FormatError, match="record id"):
        nm.link(left.drop(columns=["record_id"]), right, "builtin:patient")
    with pytest.raises(TypeError, match="model"):
        nm.link(left, right, None)


# ------------------------------------------------------------------ train

def test_train_dedupe_and_link(feeds):
    one = _one_source(feeds.nights[0])
    m = nm.train(one, model="builtin:patient", random_pairs=20000, seed=3)
    assert isinstance(m, nm.Model) and m.training["random_pairs"] == 20000
    assert m.training["em_runs"] and all(r["pairs"] > 0 for r in m.training["em_runs"])
    base = nm.Model.load("builtin:patient")
    assert m.to_dict() != base.to_dict()  # estimated
    again = nm.train(one, model=base, random_pairs=20000, seed=3)
    assert again.to_dict() == m.to_dict()  # seeded: deterministic
    other = feeds.nights[0][feeds.nights[0]["source"] != one["source"].iloc[0]]
    lk = nm.train(one, right=other, model="builtin:patient", random_pairs=20000)
    assert isinstance(lk, nm.Model)
    # labels: known matching pairs of the table (m from them, not EM)
    tr = feeds.truth.merge(one[["source", "record_id"]], on=["source", "record_id"])
    firsts = tr.groupby("person_id")["record_id"].agg(list)
    pairs = [(v[0], v[1]) for v in firsts if len(v) > 1]
    assert pairs
    lab = {"left_id": [a for a, _ in pairs], "right_id": [b for _, b in pairs]}
    ml = nm.train(one, model="builtin:patient", labels=lab, random_pairs=20000)
    assert ml.training["labelled_pairs"] == len(pairs) and not ml.training["em_runs"]
    with pytest.raises(TypeError, match="model"):
        nm.train(one)


def test_train_against_registry(world):
    d, reg, records, truth = world
    m = nm.train(records, registry=reg, random_pairs=20000)
    assert m.name == nm.Model.load("builtin:hcp").name and m.training["random_pairs"] == 20000
    lab = truth.dropna().rename(columns={"npi": "npi"})
    ml = nm.train(records, registry=reg, labels=lab, random_pairs=20000)
    assert ml.training["labelled_pairs"] > 0
    with pytest.raises(TypeError):
        nm.train(records, registry="reg.nmx")


# --------------------------------------------------------- blocking stats

def test_blocking_stats(world):
    d, reg, records, truth = world
    s = reg.blocking_stats(records)
    model = nm.Model.load("builtin:hcp")
    assert list(s["rule"]) == [r["name"] for r in model.to_dict()["blocking_rules"]]
    assert list(s.columns) == ["rule", "pairs", "blocks_skipped", "keys", "largest_blocks"]
    assert s["pairs"].sum() == s.attrs["pairs"] > 0 and s.attrs["records"] == len(records)
    assert s.attrs["block_cap"] == 2000
    assert all(list(b) == sorted(b, reverse=True) for b in s["largest_blocks"])
    tight = reg.blocking_stats(d / "hcp.csv", block_cap=1)
    assert tight["blocks_skipped"].sum() > 0 and tight["pairs"].sum() < s["pairs"].sum()


def test_closed_registry_raises(world, tmp_path):
    d = tmp_path
    nm.generate_nppes(200, 5, d / "n.csv")
    r = nm.Registry.build(d / "n.csv")
    r.close()
    recs = {"record_id": ["1"], "first_name": ["A"], "last_name": ["B"]}
    with pytest.raises(nm.RegistryClosedError):
        r.blocking_stats(recs)
    with pytest.raises(nm.RegistryClosedError):
        r.match(recs)
    with pytest.raises(nm.RegistryClosedError):
        nm.train(recs, registry=r)


# ---------------------------------------------------- tables and progress

def test_table_rendering_types_and_quoting():
    import datetime

    t = pa.table({
        "record_id": pa.array([1, 2, 3], pa.int64()),
        "name": pa.array(['Smith, "Jr"', None, "two\nlines"]),
        "npi": pa.array([1234567893.0, float("nan"), 2.5]),
        "d": pa.array([datetime.date(1970, 1, 2), None, datetime.date(2001, 12, 31)]),
        "ok": pa.array([True, False, None]),
        "cat": pa.array(["a", "b", "a"]).dictionary_encode(),
    })
    got = _c._table_csv(t, "t").tobytes().decode()
    assert got == ('record_id,name,npi,d,ok,cat\n'
                   '1,"Smith, ""Jr""",1234567893,1970-01-02,true,a\n'
                   '2,,,,false,b\n'
                   '3,two lines,2.5,2001-12-31,,a\n')
    with pytest.raises(TypeError, match="'l'.*unsupported|unsupported.*'l'"):
        _c._table_csv(pa.table({"record_id": ["1"], "l": pa.array([[1]])}), "t")
    with pytest.raises(ValueError, match="duplicate"):
        nm.dedupe(pd.DataFrame([[1, 2]], columns=["a", "a"]), "builtin:patient")


def test_match_progress_reaches_total(world, tmp_path):
    d, reg, records, truth = world
    mt = nm.Matcher(reg)
    try:
        hook = _c._Progress()
        data = _c._table_csv(pa.Table.from_pandas(records), "records")
        mt._h.match_data(data, str(tmp_path / "o.csv"), (), hook)
        assert hook.state() == (len(records), len(records))
        hook = _c._Progress()
        hook.cancel()
        with pytest.raises(KeyboardInterrupt):
            mt._h.match_data(data, str(tmp_path / "c.csv"), (), hook)
        assert not (tmp_path / "c.csv").exists()
    finally:
        mt.close()


def test_ctrl_c_cancels_a_long_match(world):
    d, reg, records, truth = world
    big = pd.concat([records] * 400, ignore_index=True)  # 200,000 records
    big["record_id"] = [f"R{i}" for i in range(len(big))]
    mt = nm.Matcher(reg, threads=1)
    try:
        with ctrl_c_after(0.5) as elapsed:
            mt.match(big)
        assert elapsed[0] < 1.5
        # the engine call stopped: the matcher is free again and works
        t = time.perf_counter()
        while time.perf_counter() - t < 2:
            try:
                assert len(mt.match(records)) == len(records)
                break
            except RuntimeError:  # still finishing its chunk
                time.sleep(0.05)
    finally:
        mt.close()


def test_engine_progress_bar(world, capsys):
    pytest.importorskip("tqdm")
    d, reg, records, truth = world
    big = pd.concat([records] * 200, ignore_index=True)  # 100,000 records: long enough for a bar
    big["record_id"] = [f"R{i}" for i in range(len(big))]
    with nm.Matcher(reg, threads=1) as mt:
        mt.match(big, progress=True)
        err = capsys.readouterr().err
        assert "match" in err and "records" in err
        mt.match(big)  # "auto" under pytest: silent
        assert capsys.readouterr().err == ""
