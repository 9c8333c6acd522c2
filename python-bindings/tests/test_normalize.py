"""Normalizers and phonetic codes: values from the engine contracts
(npimatch/normalize.h, compare.h) and published test vectors."""
import datetime

import pyarrow as pa
import pytest

import npimatch as nm
from conftest import as_list

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")


def test_soundex_nara():
    # NARA rule: same-code consonants separated by H or W are coded once.
    got = as_list(nm.soundex(["ROBERT", "RUPERT", "ASHCRAFT", "TYMCZAK", "PFISTER", None, "123"]))
    assert got == ["R163", "R163", "A261", "T522", "P236", None, None]


def test_nysiis():
    assert nm.nysiis("MACINTOSH", max_len=0) == "MCANT"
    assert nm.nysiis("montgomery", max_len=0) == "MANTGANARY"
    assert nm.nysiis("montgomery") == "MANTGA"  # original 6-character truncation
    assert as_list(nm.nysiis(["Catherine", "Katherine", None], max_len=0)) == ["CATARAN", "CATARAN", None]
    with pytest.raises(ValueError):
        nm.nysiis("X", max_len=-1)


def test_double_metaphone():
    assert nm.double_metaphone("SMITH") == ("SM0", "XMT")
    primary, alternate = nm.double_metaphone(pa.array(["SCHMIDT", None]))
    assert as_list(primary) == ["XMT", None] and as_list(alternate) == ["SMT", None]


def test_phone_zip_email():
    assert as_list(nm.normalize_phone(["(402) 555-1234 ext. 45", "+1 402.555.1234", "555-1234", None])) == [
        "4025551234", "4025551234", None, None]
    assert nm.normalize_zip("68847-2944") == "68847"
    assert nm.normalize_zip("6884") == "06884"  # leading zero lost in a spreadsheet
    t = nm.normalize_zip(["68847-2944", "68847", None], plus4=True)
    assert t.column_names == ["zip5", "plus4"]
    assert t.to_pylist() == [{"zip5": "68847", "plus4": "2944"}, {"zip5": "68847", "plus4": None},
                             {"zip5": None, "plus4": None}]
    assert nm.normalize_email("  John.Doe@Example.COM ") == "john.doe@example.com"
    assert nm.normalize_email("not-an-address") is None


def test_parse_date():
    vals = ["03/04/1985", "1985-03-04", "19850304", "02/30/2000", "13/01/2000", None]
    assert as_list(nm.parse_date(vals, as_int=True)) == [19850304] * 3 + [None] * 3
    dates = nm.parse_date(vals)
    assert dates.type == pa.date32()
    assert as_list(dates)[:3] == [datetime.date(1985, 3, 4)] * 3
    assert nm.parse_date("1985-03-04") == datetime.date(1985, 3, 4)
    s = nm.parse_date(pd.Series(vals))
    assert str(s.dtype).startswith("datetime64") and s.isna().tolist() == [False] * 3 + [True] * 3
    assert nm.parse_date(pl.Series(vals)).dtype == pl.Date


def test_normalize_text():
    assert nm.normalize_text("  Muñoz-Peña  ") == "MUNOZ PENA"
    assert nm.normalize_text("Smith-Jones", keep_hyphen=True) == "SMITH-JONES"
    assert nm.normalize_text("O'Brien") == "OBRIEN"


def test_normalize_name_full_and_parts():
    t = nm.normalize_name(["Dr. Robert J. Smith Jr., M.D.", "SMITH, ROBERT J", None])
    assert t.column_names == ["prefix", "first", "middle", "last", "suffix", "credentials"]
    rows = t.to_pylist()
    assert rows[0] == {"prefix": "DR", "first": "ROBERT", "middle": "J", "last": "SMITH", "suffix": "JR",
                       "credentials": "MD"}
    assert (rows[1]["first"], rows[1]["middle"], rows[1]["last"]) == ("ROBERT", "J", "SMITH")
    assert set(rows[2].values()) == {None}
    parts = nm.normalize_name(first=pd.Series(["john jr", None], index=[3, 4]), last=pd.Series(["smith md", None]).set_axis([3, 4]))
    assert isinstance(parts, pd.DataFrame) and list(parts.index) == [3, 4]
    assert parts.loc[3, "first"] == "JOHN" and parts.loc[3, "suffix"] == "JR"
    assert parts.loc[3, "last"] == "SMITH" and parts.loc[3, "credentials"] == "MD"
    assert parts.loc[4].isna().all()
    assert nm.normalize_name("Mary Ann Smith-Jones, PhD")["last"] == "SMITH-JONES"
    with pytest.raises(TypeError):
        nm.normalize_name("A B", first="A")
    with pytest.raises(TypeError):
        nm.normalize_name()


def test_normalize_address():
    t = nm.normalize_address(["1824 North Main Street", "P.O. Box 123", None], ["Suite 300", None, None])
    assert t.column_names == ["number", "street", "unit", "po_box", "line"]
    r = t.to_pylist()
    assert (r[0]["number"], r[0]["street"], r[0]["unit"]) == ("1824", "N MAIN ST", "STE 300")
    assert r[1]["po_box"] == "123"
    assert set(r[2].values()) == {None}
    # Same address typed two ways compares equal.
    assert nm.normalize_address("1824 N. Main St., Ste 300")["line"] == r[0]["line"]
    df = nm.normalize_address(pl.Series(["1824 North Main Street"]))
    assert isinstance(df, pl.DataFrame) and df["street"][0] == "N MAIN ST"
    with pytest.raises(ValueError, match="length mismatch"):
        nm.normalize_address(["1 MAIN ST", "2 MAIN ST"], ["STE 1"])


def test_random_garbage_same_results_for_list_and_arrow():
    # Odd input must never crash and must not depend on the container:
    # accents, punctuation, digits, very long values (past every engine
    # buffer), empty and blank strings, nulls.
    import random

    r = random.Random(11)
    alphabet = "ABC xyz-.,'#/0123456789éñÆß\t\"ÿ漢"
    vals = []
    for i in range(1500):
        k = r.choice([0, 1, 3, 10, 40, 70, 130, 300, 2000])
        vals.append(None if i % 17 == 0 else "".join(r.choice(alphabet) for _ in range(k)))
    arrow = pa.array(vals, pa.string_view())
    fns = [nm.soundex, nm.nysiis, lambda a: nm.nysiis(a, max_len=0), nm.normalize_text, nm.normalize_phone,
           nm.normalize_email, nm.normalize_zip, lambda a: nm.parse_date(a, as_int=True),
           lambda a: nm.double_metaphone(a)[1], lambda a: nm.normalize_name(a).column("last"),
           lambda a: nm.normalize_name(first=a, last=a).column("first"),
           lambda a: nm.normalize_address(a, a).column("line")]
    for fn in fns:
        assert as_list(fn(vals)) == as_list(fn(arrow))
    assert as_list(nm.jaro_winkler(vals, arrow)) == as_list(nm.jaro_winkler(arrow, vals))
    assert as_list(nm.levenshtein(vals, vals[::-1], max=3)) == as_list(nm.levenshtein(arrow, pa.array(vals[::-1], pa.string_view()), max=3))
