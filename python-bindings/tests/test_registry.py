"""Registry build / save / load / lookup on a tiny NPPES file written here.

The 330 column names are copied into tests/data/npidata_header.csv from the
CMS header file; the rows are made up (NPIs with valid check digits)."""
import csv
import pathlib

import pyarrow as pa
import pytest

import npimatch as nm

HEADER = next(csv.reader((pathlib.Path(__file__).parent / "data" / "npidata_header.csv").open()))

PROVIDERS = [
    {"NPI": "1234567893", "Entity Type Code": "1", "Provider Last Name (Legal Name)": "SMITH",
     "Provider First Name": "ROBERT", "Provider Credential Text": "M.D.",
     "Provider First Line Business Practice Location Address": "1824 N MAIN ST",
     "Provider Business Practice Location Address City Name": "OMAHA",
     "Provider Business Practice Location Address State Name": "NE",
     "Provider Business Practice Location Address Postal Code": "681021234",
     "Provider Enumeration Date": "05/23/2005", "Last Update Date": "07/08/2007",
     "Provider Sex Code": "M", "Healthcare Provider Taxonomy Code_1": "207Q00000X",
     "Healthcare Provider Primary Taxonomy Switch_1": "Y"},
    {"NPI": "1558598797", "Entity Type Code": "1", "Provider Last Name (Legal Name)": "JONES",
     "Provider First Name": "MARY", "Provider Enumeration Date": "01/02/2010",
     "Last Update Date": "01/02/2010", "Provider Sex Code": "F"},
    {"NPI": "1295723567", "Entity Type Code": "2",
     "Provider Organization Name (Legal Business Name)": "PRAIRIE CLINIC LLC",
     "Provider Enumeration Date": "03/04/2008", "Last Update Date": "03/04/2008"},
]


@pytest.fixture
def nppes(tmp_path):
    assert len(HEADER) == 330
    p = tmp_path / "npidata_pfile_20240101-20240107.csv"
    with p.open("w", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(HEADER)
        for prov in PROVIDERS:
            w.writerow([prov.get(c, "") for c in HEADER])
    return p


def test_build_info_lookup_save_load(nppes, tmp_path):
    snap = tmp_path / "nppes.snap"
    reg = nm.Registry.build(nppes, out=snap)
    assert len(reg) == 3
    assert reg.build_stats["rows_read"] == 3 and reg.build_stats["rows_skipped"] == 0
    info = reg.info()
    assert (info["providers"], info["individuals"], info["organizations"]) == (3, 2, 1)
    t = reg.lookup([1234567893, "1295723567", 1234567890, None])
    assert isinstance(t, pa.Table) and t.num_rows == 4
    rows = t.to_pylist()
    assert rows[0]["npi"] == "1234567893" and rows[1]["npi"] == "1295723567"
    assert rows[2]["npi"] is None and rows[3]["npi"] is None  # absent NPIs: all-null rows
    one = reg.lookup(1558598797)
    assert one["npi"] == "1558598797" and "JONES" in str(one)
    assert reg.lookup(1234567890) is None
    assert 1234567893 in reg and 1234567890 not in reg
    import numpy as np
    import polars as pl

    for npis in (np.array([1558598797]), pl.Series([1558598797]), pa.array(["1558598797"])):
        assert reg.lookup(npis, as_="records")[0]["npi"] == "1558598797"
    df = reg.lookup([1558598797], as_="pandas")
    assert df.loc[0, "npi"] == "1558598797"
    reg.close()

    with nm.Registry.load(snap) as again:
        assert again.info()["providers"] == 3
        assert again.lookup([1234567893], as_="records")[0] == rows[0]
    assert again.closed


def test_closed_registry_raises(nppes):
    reg = nm.Registry.build([nppes])
    reg.close()
    reg.close()  # idempotent
    for call in (reg.info, lambda: reg.lookup([1234567893]), lambda: len(reg), lambda: reg.save("x")):
        with pytest.raises(nm.RegistryClosedError, match="closed"):
            call()
    assert issubclass(nm.RegistryClosedError, nm.NpimatchError)


def test_engine_errors_become_npimatch_errors(tmp_path, nppes):
    bad = tmp_path / "not-a-snapshot.snap"
    bad.write_bytes(b"this is not a registry snapshot" * 10)
    with pytest.raises(nm.NpimatchError) as ei:
        nm.Registry.load(bad)
    assert ei.value.code in (nm._npimatch.NM_E_FORMAT, nm._npimatch.NM_E_CORRUPT, nm._npimatch.NM_E_VERSION)
    with pytest.raises(nm.NpimatchError) as ei:
        nm.Registry.load(tmp_path / "missing.snap")
    assert ei.value.code in (nm._npimatch.NM_E_IO, nm._npimatch.NM_E_NOTFOUND)
    assert "missing.snap" in str(ei.value)
    notnppes = tmp_path / "other.csv"
    notnppes.write_text("a,b\n1,2\n")
    with pytest.raises(nm.NpimatchError):
        nm.Registry.build([notnppes])
    # Truncated snapshot: refused, not crashed.
    good = tmp_path / "good.snap"
    nm.Registry.build([nppes], out=good).close()
    data = good.read_bytes()
    (tmp_path / "trunc.snap").write_bytes(data[: len(data) // 2])
    with pytest.raises(nm.NpimatchError):
        nm.Registry.load(tmp_path / "trunc.snap")
    with pytest.raises(TypeError):
        nm.Registry(object())


def test_long_registry_calls_are_interruptible():
    # Registry.build/load wait for the engine in slices; Ctrl-C (here a
    # SIGALRM handler raising KeyboardInterrupt) returns within a second even
    # though the engine call itself cannot be cancelled.
    import time

    from conftest import ctrl_c_after
    from npimatch.registry import _interruptible

    with ctrl_c_after(0.1) as elapsed:
        _interruptible(time.sleep, 5)
    assert elapsed[0] < 1.0
    assert _interruptible(sum, [1, 2]) == 3
    with pytest.raises(ZeroDivisionError):
        _interruptible(lambda: 1 / 0)


def test_load_for_matching_skips_records_and_matches_the_same(nppes, tmp_path):
    """save(model=...) stores the matcher data as `npimatch index` does; a
    load for_matching of that snapshot leaves the records on disk, matches
    exactly like a full load, and refuses lookups clearly."""
    plain, stored = tmp_path / "plain.nmx", tmp_path / "stored.nmx"
    reg = nm.Registry.build(nppes, out=plain)
    reg.save(stored, model="builtin:hcp")
    reg.close()
    records = pa.table({"record_id": ["a", "b", "c"], "first_name": ["BOB", "MARY", ""],
                        "last_name": ["SMITH", "JONES", ""], "organization_name": ["", "", "PRAIRIE CLINIC"],
                        "city": ["OMAHA", "", ""], "state": ["NE", "", ""]})
    with nm.Registry.load(plain) as full:
        assert full.has_records
        expected = full.match(records, as_="arrow")
    with nm.Registry.load(stored, for_matching=True) as lean:
        assert not lean.has_records
        assert len(lean) == 3
        got = lean.match(records, as_="arrow")
        with pytest.raises(RuntimeError, match="for_matching"):
            lean.lookup(1234567893)
    assert got.equals(expected)
    assert got.column("npi").to_pylist()[0] == "1234567893"
    # A snapshot without stored data for the model loads whole.
    with nm.Registry.load(plain, for_matching=True) as whole:
        assert whole.has_records and whole.lookup(1234567893)["npi"] == "1234567893"
