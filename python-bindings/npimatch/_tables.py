"""Whole tables in and out of the engine's table calls (match, resolve,
link, dedupe, train, blocking statistics).

In: a CSV path (read by the engine as the CLI reads it), or a table: a
pyarrow Table / RecordBatch / RecordBatchReader, a polars DataFrame, a
pandas DataFrame (converted once by pyarrow; Arrow-backed columns such as
"string[pyarrow]" are not copied), a dict of equal-length columns or a list
of dicts. For matching (table_columns) the engine reads the table's string
columns in place (nm_input_read_columns: the CSV reader's row function, so
the same column rules and bad-row reasons as the CLI; rows reported by
0-based row and column name); only columns of other types are rendered to
text. The other calls get it rendered in C, without the GIL, into CSV bytes
that the engine's own reader parses in memory (line N is row N - 2 of the
table). Columns may hold strings, integers, floats (an integral float is
written as an integer: an NPI in a pandas column with gaps), booleans or
dates; None and NaN are empty fields.

Out: the engine's CSV output is read back in C, in blocks of lines (never
the whole file mapped next to the columns), into Arrow columns (text, or
float64 for scores) and returned as pandas (default; text as large_string,
which pandas' Arrow strings hold, so not copied), pyarrow ("arrow") or
polars.
"""
from __future__ import annotations

import os
import re

from . import _npimatch as _c
from ._io import _optional


def is_path(x) -> bool:
    return isinstance(x, (str, bytes, os.PathLike))


def fspath(p) -> str:
    p = os.fspath(p)
    return os.fsdecode(p) if isinstance(p, bytes) else p


def _need_pyarrow(what):
    pa = _optional("pyarrow")
    if pa is None:
        raise ImportError(f"{what}: tables need pyarrow (pip install pyarrow), or pass a CSV path")
    return pa


def _arrow_error(e, what):
    # pyarrow's messages may quote the offending value: name the column
    # only (record contents are protected health information).
    m = re.search(r"column (\S+)", str(e))
    col = f" column {m.group(1)!r}" if m else ""
    return TypeError(f"{what}:{col} holds values of mixed or unsupported types "
                     "(expected strings, numbers, booleans or dates; None/NaN for missing)")


def to_arrow(data, what):
    """Anything table-like as an object with __arrow_c_stream__."""
    if data is None:
        raise TypeError(f"{what}: expected a CSV path or a table, got None")
    mod = type(data).__module__ or ""
    name = type(data).__name__
    if mod.startswith("pandas") and name == "DataFrame":
        pa = _need_pyarrow(what)
        if not data.columns.is_unique:
            raise ValueError(f"{what}: duplicate column names")
        try:
            return pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowTypeError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise _arrow_error(e, what) from None
    if mod.startswith("pandas") and name == "Series":
        raise TypeError(f"{what}: expected a table (DataFrame), got a Series")
    if hasattr(data, "__arrow_c_stream__"):
        return data
    pa = _optional("pyarrow")
    if hasattr(data, "__arrow_c_array__") and pa is not None:  # a RecordBatch
        return pa.table(data)
    if isinstance(data, dict):
        pa = _need_pyarrow(what)
        lens = {len(v) for v in data.values() if hasattr(v, "__len__") and not isinstance(v, str)}
        if len(lens) > 1:
            raise ValueError(f"{what}: columns have different lengths ({', '.join(map(str, sorted(lens)))})")
        try:
            return pa.table(data)
        except (pa.ArrowTypeError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise _arrow_error(e, what) from None
    if isinstance(data, (list, tuple)) and (not data or isinstance(data[0], dict)):
        pa = _need_pyarrow(what)
        if not data:
            raise ValueError(f"{what}: no rows and no columns")
        try:
            return pa.Table.from_pylist(list(data))
        except (pa.ArrowTypeError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise _arrow_error(e, what) from None
    raise TypeError(f"{what}: expected a CSV path or a table (pandas, polars or pyarrow; dict of columns; "
                    f"list of dicts), got {name}")


def csv_data(data, what):
    """The engine's input bytes (_CsvData) for a path or a table."""
    if is_path(data):
        return _c._csv_file(fspath(data))
    return _c._table_csv(to_arrow(data, what), what)


def table_columns(data, what):
    """A table's columns for the engine to read in place (_ColData), for
    matching: string columns are not copied; rows are reported by 0-based
    row and column name."""
    return _c._table_columns(to_arrow(data, what), what)


def read_output(path, as_, float_columns=()):
    """An engine output CSV as a table of kind ``as_``: "pandas", "arrow" or "polars"."""
    # pandas keeps Arrow strings as large_string: built so, they are not copied.
    cols = _c._read_csv_columns(path, tuple(float_columns), as_ == "pandas")
    if as_ == "columns":
        return cols
    pa = _optional("pyarrow")
    if pa is None:
        raise ImportError(f"as_={as_!r} needs pyarrow")
    # Zero copy: each Column exports its C buffers (__arrow_c_array__).
    table = pa.table({n: pa.array(c) for n, c in cols})
    if as_ == "arrow":
        return table
    if as_ == "pandas":
        pd = _optional("pandas")
        if pd is None:
            raise ImportError("as_='pandas' needs pandas")
        return table.to_pandas(types_mapper=_string_mapper(pd, pa))
    if as_ == "polars":
        pl = _optional("polars")
        if pl is None:
            raise ImportError("as_='polars' needs polars")
        return pl.from_arrow(table)
    raise ValueError("as_ must be 'pandas', 'arrow', 'polars' or 'path'")


def _string_mapper(pd, pa):
    """Text columns as pandas' Arrow-backed string dtype, taken over without
    a copy (pandas >= 2.3: the "str" dtype of pandas 3, NaN for missing);
    None (pyarrow's default conversion) on older pandas."""
    try:
        dt = pd.StringDtype("pyarrow", na_value=float("nan"))
    except TypeError:
        return None
    return {pa.string(): dt, pa.large_string(): dt}.get


def check_as(as_, out=None):
    if as_ not in ("pandas", "arrow", "polars", "path"):
        raise ValueError("as_ must be 'pandas', 'arrow', 'polars' or 'path'")
    if as_ == "path" and out is None:
        raise ValueError("as_='path' needs out")


def maps_of(mapping, what="map"):
    if mapping is None:
        return ()
    if not isinstance(mapping, dict):
        raise TypeError(f"{what} must be a dict {{model field: input column}}")
    return tuple(f"{k}={v}" for k, v in mapping.items())
