import hashlib
import os
import pathlib
import subprocess

import pytest

import npimatch as nm

pd = pytest.importorskip("pandas")


def _cli():
    p = os.environ.get("NM_CLI") or str(pathlib.Path(__file__).resolve().parents[2] / "build" / "npimatch")
    return p if os.access(p, os.X_OK) else None


def _sha(p):
    return hashlib.sha256(pathlib.Path(p).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    d = tmp_path_factory.mktemp("gen")
    p = nm.generate_nppes(2000, 11, d / "npidata.csv")
    with nm.Registry.build(p) as reg:
        yield reg


def test_nppes_deterministic_and_as_cli(tmp_path):
    a = nm.generate_nppes(500, 3, tmp_path / "a.csv")
    b = nm.generate_nppes(500, 3, tmp_path / "b.csv", threads=1)
    c = nm.generate_nppes(500, 4, tmp_path / "c.csv")
    assert _sha(a) == _sha(b) != _sha(c)
    lines = pathlib.Path(a).read_text().splitlines()
    assert len(lines) == 501 and lines[0].startswith('"NPI"')
    cli = _cli()
    if cli:
        subprocess.run([cli, "gen", "nppes", "--rows", "500", "--seed", "3", "--out", str(tmp_path / "d.csv")],
                       check=True)
        assert _sha(tmp_path / "d.csv") == _sha(a)
    with pytest.raises(ValueError):
        nm.generate_nppes(10, 1, tmp_path / "e.csv", layout=331)


def test_hcp_deterministic(registry, tmp_path):
    r1, t1 = nm.generate_hcp(registry, 300, 5)
    r2, t2 = nm.generate_hcp(registry, 300, 5, threads=1)
    r3, _ = nm.generate_hcp(registry, 300, 6)
    pd.testing.assert_frame_equal(r1, r2)
    pd.testing.assert_frame_equal(t1, t2)
    assert not r1.equals(r3)
    assert len(r1) == len(t1) == 300
    assert list(t1.columns) == ["record_id", "npi"]
    assert list(r1["record_id"]) == list(t1["record_id"])
    # truth NPIs are 10-digit strings of registry providers; absent providers have none
    npis = t1["npi"].dropna()
    assert npis.str.fullmatch(r"\d{10}").all()
    assert all(n in registry for n in npis)
    assert 0 < t1["npi"].isna().sum() < 300
    counts = nm.generate_hcp.last_counts
    assert counts["records"] == 300 and "nickname" in counts["errors"]
    # kept files: same bytes as the in-memory tables
    po, pt = nm.generate_hcp(registry, 300, 5, out=tmp_path / "h.csv", truth=tmp_path / "t.csv", as_="path")
    pd.testing.assert_frame_equal(pd.read_csv(po, dtype=str, keep_default_na=False, na_values=[""]), r1)


def test_hcp_from_snapshot_and_arrow(registry, tmp_path):
    pa = pytest.importorskip("pyarrow")
    snap = tmp_path / "reg.nmx"
    registry.save(snap)
    r, t = nm.generate_hcp(snap, 50, 5, as_="arrow")
    assert isinstance(r, pa.Table) and r.num_rows == 50
    assert r.schema.field("npi").type == pa.string()
    r1, _ = nm.generate_hcp(registry, 50, 5)
    assert r.column("record_id").to_pylist() == list(r1["record_id"])


def test_closed_registry_refused(tmp_path):
    p = nm.generate_nppes(50, 1, tmp_path / "n.csv")
    reg = nm.Registry.build(p)
    reg.close()
    with pytest.raises(nm.RegistryClosedError):
        nm.generate_hcp(reg, 10, 1)


def test_patients_deterministic(tmp_path):
    a = nm.generate_patients(400, 9, sources=2, nights=2)
    b = nm.generate_patients(400, 9, sources=2, nights=2, out=tmp_path / "p", threads=1)
    assert len(a.nights) == 2 and a.dir is None
    for x, y in zip(a.nights, b.nights):
        pd.testing.assert_frame_equal(x, y)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert [pathlib.Path(p).name for p in b.night_paths()] == ["night_01.csv", "night_02.csv"]
    keys = set(zip(a.truth["source"], a.truth["record_id"]))
    assert len(keys) == len(a.truth) == 400  # every distinct record has a person
    for n in a.nights:
        assert set(zip(n["source"], n["record_id"])) <= keys
    assert a.truth["person_id"].nunique() < 400  # duplicates exist
    c = nm.generate_patients(400, 10, sources=2, nights=2)
    assert not c.truth.equals(a.truth)
    cli = _cli()
    if cli:
        subprocess.run([cli, "gen", "patients", "--rows", "400", "--seed", "9", "--sources", "2", "--nights", "2",
                        "--out", str(tmp_path / "q")], check=True)
        for name in ("night_01.csv", "night_02.csv", "truth.csv"):
            assert _sha(tmp_path / "q" / name) == _sha(tmp_path / "p" / name)
