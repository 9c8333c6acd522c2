"""Tables matched in place (the engine reads their string columns without a
CSV copy): the same bytes as the CLI on the same data, bad rows reported by
row and column and counted (never dropped), column mapping, None/NaN, and
every layout producers hand over (large strings, string views,
dictionaries, numbers)."""
import subprocess

import pytest

import npimatch as nm
from conftest import cli_path

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pacsv = pytest.importorskip("pyarrow.csv")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("match_columns")
    nm.generate_nppes(2000, 31, d / "npidata.csv")
    reg = nm.Registry.build(d / "npidata.csv", out=d / "reg.nmx")
    nm.generate_hcp(reg, 400, 32, out=d / "hcp.csv", truth=d / "truth.csv")
    with open(d / "hcp.csv") as f:
        names = f.readline().rstrip("\n").split(",")
    # only empty fields are null: pyarrow's default null strings ("NA",
    # "NULL", "nan") are also names (Na, a Korean surname)
    opts = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True,
                                null_values=[""])
    table = pacsv.read_csv(d / "hcp.csv", read_options=pacsv.ReadOptions(block_size=8192), convert_options=opts)
    yield d, reg, table
    reg.close()


def test_string_frame_gives_the_cli_bytes(world, tmp_path):
    d, reg, table = world
    assert table.column(0).num_chunks > 1  # several batches
    df = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    m = reg.match(df, out=tmp_path / "df.csv")
    reg.match(table, out=tmp_path / "arrow.csv")
    assert len(m) == 400 and list(m["record_id"]) == df["record_id"].tolist()
    cli = cli_path()
    if cli:
        subprocess.run([cli, "match", "--registry", str(d / "reg.nmx"), "--input", str(d / "hcp.csv"),
                        "--out", str(tmp_path / "cli.csv")], check=True, capture_output=True)
        assert (tmp_path / "cli.csv").read_bytes() == (tmp_path / "df.csv").read_bytes()
    assert (tmp_path / "arrow.csv").read_bytes() == (tmp_path / "df.csv").read_bytes()
    assert (d / "hcp.csv").exists()
    assert reg.match(d / "hcp.csv", as_="arrow").equals(reg.match(table, as_="arrow"))


def test_every_layout_matches_alike(world):
    d, reg, table = world
    base = reg.match(table, as_="arrow")
    large = table.cast(pa.schema([pa.field(n, pa.large_string()) for n in table.column_names]))
    assert reg.match(large, as_="arrow").equals(base)
    views = table.cast(pa.schema([pa.field(n, pa.string_view()) for n in table.column_names]))
    assert reg.match(views, as_="arrow").equals(base)
    dicts = table.set_column(table.column_names.index("state"), "state",
                             table.column("state").dictionary_encode())
    assert reg.match(dicts, as_="arrow").equals(base)
    pl = pytest.importorskip("polars")
    assert reg.match(pl.from_arrow(table), as_="arrow").equals(base)


def test_bad_row_reported_by_row_and_counted(world):
    d, reg, table = world
    df = table.slice(0, 6).to_pandas()
    df.loc[2, [c for c in df.columns if c.endswith("name")]] = None
    df.loc[4, "record_id"] = float("nan")
    with nm.Matcher(reg, threads=2) as mt:
        m = mt.match(df)
        assert len(m) == 6, "bad rows are matched as unmatched, not dropped"
        assert m["status"][2] == "unmatched" and m["explanation"][2] == "rejected:no_name"
        assert m["explanation"][4] == "rejected:missing_key"
        assert mt.stats["rejected"] == 2 and mt.stats["records"] == 6
        assert "records: row 2: no usable name (row skipped)" in mt.report
        assert "records: row 4, column record_id: missing record key" in mt.report
        for v in df.loc[2].dropna():
            assert str(v) not in mt.report.split("match:")[0]  # never field contents


def test_map_none_nan_and_numbers(world):
    d, reg, table = world
    df = table.slice(0, 8).to_pandas()   # object columns: None for missing
    want = reg.match(df, as_="arrow")
    ren = df.rename(columns={"last_name": "surname", "first_name": "given"})
    ren["given"] = ren["given"].where(ren["given"].notna(), float("nan"))   # NaN instead of None
    got = reg.match(ren, map={"last_name": "surname", "first_name": "given"}, as_="arrow")
    assert got.equals(want)
    with pytest.raises(nm.FormatError, match="no such column"):
        reg.match(ren, map={"last_name": "nosuch"})
    # an NPI column of floats with gaps reads as the integers it holds
    npis = table.column("npi").to_pylist()[:8]
    assert any(npis) and not all(npis)
    num = df.assign(npi=[float(x) if x else float("nan") for x in npis])
    assert reg.match(num, as_="arrow").equals(want)
    # a full name in one column
    full = pd.DataFrame({"record_id": ["f1", "f2"], "name": ["Dr. Mary Ann Smith MD", None]})
    m = reg.match(full)
    assert m["explanation"][1] == "rejected:no_name" and not m["explanation"][0].startswith("rejected")


@pytest.mark.parametrize("trailing_newline", [True, False])
def test_output_read_in_blocks(tmp_path, trailing_newline):
    # larger than one 16 MiB block: rows cut at block ends are carried over
    from npimatch import _npimatch as c

    n = 300_000
    rows = ["record_id,confidence,explanation"]
    for i in range(n):
        conf = "" if i % 11 == 0 else f"{i / n:.6f}"
        expl = f'"first=exact:{i % 97},last=""x""' + "y" * (i % 70) + '"' if i % 5 else ""
        rows.append(f"R{i},{conf},{expl}")
    text = "\n".join(rows) + ("\n" if trailing_newline else "")
    (tmp_path / "m.csv").write_text(text)
    assert len(text) > (16 << 20)
    for large in (False, True):
        cols = dict(c._read_csv_columns(str(tmp_path / "m.csv"), ("confidence",), large))
        ids = pa.array(cols["record_id"])
        assert ids.type == (pa.large_string() if large else pa.string())
        assert len(ids) == n and ids[n - 1].as_py() == f"R{n - 1}" and ids[123457].as_py() == "R123457"
        conf = pa.array(cols["confidence"]).to_pylist()
        assert conf[0] is None and conf[12] == pytest.approx(12 / n, abs=1e-6)
        ex = pa.array(cols["explanation"]).to_pylist()
        assert ex[5] is None and ex[n - 1] == f'first=exact:{(n - 1) % 97},last="x"' + "y" * ((n - 1) % 70)
