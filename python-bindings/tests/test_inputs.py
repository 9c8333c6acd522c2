"""Every supported input kind gives the same values; wrong inputs raise."""
import numpy as np
import pyarrow as pa
import pytest

import npimatch as nm
from conftest import as_list

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

A = ["MARTHA", None, "DWAYNE", "", "DIXON", "JOSÉ"]
B = ["MARHTA", "X", "DUANE", "", "DICKSONX", "JOSE"]
EXPECTED = [nm.jaro_winkler(x, y) for x, y in zip(A, B)]


def variants(values):
    return {
        "list": list(values),
        "tuple": tuple(values),
        "pa_string": pa.array(values, pa.string()),
        "pa_large_string": pa.array(values, pa.large_string()),
        "pa_string_view": pa.array(values, pa.string_view()),
        "pa_dictionary": pa.array(values).dictionary_encode(),
        "pa_chunked": pa.chunked_array([values[:2], values[2:]]),
        "pd_object": pd.Series(values, dtype=object),
        "pd_arrow": pd.Series(values, dtype=pd.ArrowDtype(pa.string())),
        "pd_string": pd.Series(values, dtype="string"),
        "pd_category": pd.Series(values, dtype="category"),
        "pl_string": pl.Series(values),
        "pl_categorical": pl.Series(values, dtype=pl.Categorical),
        "pl_two_chunks": pl.concat([pl.Series(values[:3]), pl.Series(values[3:])], rechunk=False),
        "np_object": np.array(values, dtype=object),
    }


@pytest.mark.parametrize("kind", list(variants(A)))
def test_same_values_for_every_input_kind(kind):
    a, b = variants(A)[kind], variants(B)[kind]
    assert as_list(nm.jaro_winkler(a, b)) == EXPECTED
    assert as_list(nm.jaro_winkler(a, "MARHTA")) == [nm.jaro_winkler(x, "MARHTA") for x in A]
    assert as_list(nm.soundex(a)) == [nm.soundex(x) for x in A]


def test_mixed_input_kinds():
    assert as_list(nm.jaro_winkler(pa.array(A), pl.Series(B))) == EXPECTED
    assert as_list(nm.jaro_winkler(pd.Series(A, dtype=object), B)) == EXPECTED


def test_sliced_and_offset_arrays():
    arr = pa.array(["XX"] * 3 + A, pa.large_string()).slice(3)
    assert as_list(nm.jaro_winkler(arr, B)) == EXPECTED
    view = pa.array(["XX"] * 3 + A, pa.string_view()).slice(3)
    assert as_list(nm.jaro_winkler(view, B)) == EXPECTED


def test_long_strings_in_string_view():
    long_a = ["A" * 40 + "MARTHA", None, "SHORT"]
    long_b = ["A" * 40 + "MARHTA", "Q", "SHORT"]
    want = [nm.jaro_winkler(x, y) for x, y in zip(long_a, long_b)]
    assert as_list(nm.jaro_winkler(pa.array(long_a, pa.string_view()), long_b)) == want


def test_nan_and_none_are_null():
    got = nm.jaro_winkler(pd.Series(["MARTHA", np.nan, None], dtype=object), "MARHTA")
    assert as_list(got)[1:] == [None, None]
    assert as_list(nm.jaro_winkler(["MARTHA", float("nan")], "MARHTA"))[1] is None
    assert as_list(nm.jaro_winkler(pa.nulls(3), "X")) == [None] * 3


def test_output_container_follows_input():
    s = pd.Series(["MARTHA", "DWAYNE"], index=[10, 20])
    out = nm.jaro_winkler(s, "MARHTA")
    assert isinstance(out, pd.Series) and list(out.index) == [10, 20]
    assert isinstance(nm.jaro_winkler(pl.Series(["A"]), "A"), pl.Series)
    assert isinstance(nm.jaro_winkler(["A"], "A"), pa.Array)
    assert isinstance(nm.jaro_winkler("A", "A"), float)


def test_zero_copy_arrow_export():
    col = nm._npimatch._pair(1, ["MARTHA", None], ["MARHTA", "X"])
    assert isinstance(col, nm.Column) and len(col) == 2 and col.null_count == 1
    a1, a2 = pa.array(col), pa.array(col)  # two independent exports of one buffer
    assert a1.buffers()[1].address == a2.buffers()[1].address
    del col
    assert a1.to_pylist()[1] is None and a2[0].as_py() == pytest.approx(0.9611111, abs=1e-6)
    num = np.asarray(nm._npimatch._pair(2, ["AB", "AB"], ["AC", "AB"]))
    assert num.dtype == np.int32 and num.tolist() == [1, 0]


def test_wrong_types_raise_not_crash():
    with pytest.raises(TypeError, match="element 1 is int"):
        nm.jaro_winkler(["A", 3], "A")
    with pytest.raises(TypeError):
        nm.jaro_winkler(pa.array([1, 2]), "A")
    with pytest.raises(TypeError):
        nm.jaro_winkler(np.array([1.0, 2.0]), "A")
    with pytest.raises(TypeError):
        nm.jaro_winkler(pd.Series([1, 2]), "A")
    with pytest.raises(TypeError, match="table or nested"):
        nm.jaro_winkler(pa.table({"x": ["A"]}), "A")
    with pytest.raises(TypeError):
        nm.jaro_winkler(b"bytes", "A")
    with pytest.raises(TypeError):
        nm.jaro_winkler(12, "A")
    with pytest.raises(TypeError):
        nm.Column()


def test_other_threads_run_during_a_long_call():
    import threading
    import time

    a = pa.array(["MARTHA", "JONATHAN", "ELIZABETH"] * 400_000)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        for _ in range(3):
            nm.levenshtein(a, "MARHTA")
    finally:
        stop.set()
        t.join()
    assert len(ticks) > 5  # the GIL was released while the engine worked


def test_ctrl_c_stops_a_long_call():
    from conftest import ctrl_c_after

    a = pa.array(["MARTHA JONES SMITH", "JONATHAN Q PUBLIC"] * 2_000_000)
    with ctrl_c_after(0.05) as elapsed:
        for _ in range(50):  # far longer than 50 ms in total
            nm.levenshtein(a, "MARHTA JONES SMYTHE")
    assert elapsed[0] < 1.0


def test_without_pyarrow_results_are_columns(monkeypatch):
    from npimatch import _io

    monkeypatch.setitem(_io._cache, "pyarrow", None)
    col = nm.jaro_winkler(["MARTHA", None], np.array(["MARHTA", "X"], dtype=object))
    assert isinstance(col, nm.Column) and col.format == "g"
    assert col.to_pylist()[1] is None
    assert np.asarray(col)[0] == pytest.approx(0.9611111, abs=1e-6)
    assert np.isnan(np.asarray(col)[1])  # nulls read as NaN through the buffer protocol
    s = nm.soundex(pd.Series(["ROBERT", None], dtype=object))
    assert isinstance(s, pd.Series) and as_list(s) == ["R163", None]
    with pytest.raises(BufferError):
        memoryview(nm._npimatch._rows("soundex", (["A"],))[0])


def test_error_messages_do_not_quote_values():
    secret = "1961-07-04"
    with pytest.raises(TypeError) as ei:
        nm.soundex(np.array(["SMITH", __import__("datetime").date(1961, 7, 4)], dtype=object))
    assert secret not in str(ei.value) and "1961" not in str(ei.value)
    with pytest.raises(TypeError) as ei:
        nm.soundex(["SMITH", 19610704])
    assert "19610704" not in str(ei.value)


class _Producer:
    """A hand-made Arrow PyCapsule producer returning whatever it is given."""

    def __init__(self, make):
        self.make = make

    def __arrow_c_array__(self, requested_schema=None):
        return self.make()


def test_malformed_producers_raise_not_crash():
    good = pa.array(["A", "B"])
    caps = good.__arrow_c_array__()
    assert as_list(nm.soundex(_Producer(lambda: caps))) == ["A000", "B000"]
    with pytest.raises(ValueError, match="already consumed"):
        nm.soundex(_Producer(lambda: caps))  # the capsules were moved out above
    with pytest.raises(TypeError):
        nm.soundex(_Producer(lambda: "not a tuple"))
    with pytest.raises(ValueError):
        nm.soundex(_Producer(lambda: tuple(reversed(good.__arrow_c_array__()))))  # wrong capsule names
    # Offsets that go backwards and dictionary indices out of range are
    # refused before any string is read.
    bad_offsets = pa.Array.from_buffers(pa.string(), 2, [None, pa.py_buffer(np.array([0, 5, 2], np.int32)),
                                                         pa.py_buffer(b"HELLO")])
    with pytest.raises(ValueError, match="offsets"):
        nm.soundex(bad_offsets)
    bad_dict = pa.DictionaryArray.from_arrays(pa.array([0, 7], pa.int32()), pa.array(["A"]), safe=False)
    with pytest.raises(ValueError, match="dictionary index"):
        nm.soundex(bad_dict)
