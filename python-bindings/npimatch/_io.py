"""Input coercion and output wrapping shared by the public functions.

Inputs reach the C extension as one of: ``str``/``None`` (a scalar that is
broadcast), a ``list``/``tuple`` of ``str``/``None``, or any object that
implements the Arrow PyCapsule interface (``__arrow_c_array__`` /
``__arrow_c_stream__``: pyarrow arrays and chunked arrays, polars Series,
Arrow-backed pandas Series). The extension reads the strings in place; this
module only converts the few inputs that are not Arrow yet (numpy object
arrays, object-dtype pandas Series), once per call, never per row.

Results follow the input: a pandas Series in gives a pandas Series (same
index), a polars Series gives a polars Series, everything else gives a
pyarrow Array when pyarrow is installed (else the extension's ``Column``,
which supports ``numpy.asarray`` and ``to_pylist()``); all-scalar inputs
give a Python scalar.
"""
from __future__ import annotations

import importlib
import sys

_missing = object()
_cache: dict[str, object] = {}


def _optional(name: str):
    mod = _cache.get(name, _missing)
    if mod is _missing:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            mod = None
        _cache[name] = mod
    return mod


def _kind(x) -> str:
    """'pandas', 'polars', 'numpy', 'scalar' or 'other' (without importing anything)."""
    if x is None or isinstance(x, str):
        return "scalar"
    mod = type(x).__module__ or ""
    if mod.startswith("pandas") and type(x).__name__ in ("Series", "Index"):
        return "pandas"
    if mod.startswith("polars") and type(x).__name__ == "Series":
        return "polars"
    if mod == "numpy" and type(x).__name__ == "ndarray":
        return "numpy"
    return "other"


def prep(x, name: str):
    """Turn an input into something the extension reads without Python work per row."""
    k = _kind(x)
    if k == "scalar" or isinstance(x, (list, tuple)):
        return x
    if k == "polars":
        return x
    if k in ("pandas", "numpy"):
        if k == "numpy" and x.dtype.kind not in "OUS":
            raise TypeError(f"argument '{name}': expected strings, got a numpy array of dtype {x.dtype}")
        if k == "pandas" and x.dtype.kind in "biufcmM":
            raise TypeError(f"argument '{name}': expected strings, got a pandas column of dtype {x.dtype}")
        pa = _optional("pyarrow")
        if pa is None:
            return x.tolist()
        try:
            # from_pandas: NaN and None become nulls; Arrow-backed data is not copied.
            return pa.array(x, from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            # pyarrow's message quotes the offending value: never repeat
            # record contents (they may be protected health information).
            raise TypeError(f"argument '{name}': expected strings or None, found a value of another type") from None
    if hasattr(x, "__arrow_c_array__") or hasattr(x, "__arrow_c_stream__"):
        return x
    if isinstance(x, (bytes, bytearray, int, float)):
        raise TypeError(f"argument '{name}': expected str or a column of str, got {type(x).__name__}")
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"argument '{name}': expected str or a column of str, got {type(x).__name__}") from None


def like_of(*args):
    """The first non-scalar input: results take its container type."""
    for a in args:
        if _kind(a) != "scalar":
            return a
    return None


def wrap(col, like):
    """One result Column as the caller's container type (see module doc)."""
    if like is None:
        return col._item0()
    k = _kind(like)
    pa = _optional("pyarrow")
    if k == "pandas":
        pd = sys.modules["pandas"]
        index = like.index if type(like).__name__ == "Series" else None
        if pa is None:
            return pd.Series(col.to_pylist(), index=index)
        arr = pa.array(col)
        if isinstance(getattr(like, "dtype", None), pd.ArrowDtype):
            return pd.Series(pd.arrays.ArrowExtensionArray(arr), index=index)
        s = arr.to_pandas(date_as_object=False)
        if index is not None:
            s.index = index
        return s
    if k == "polars":
        pl = sys.modules["polars"]
        try:
            return pl.Series(col)  # polars >= 1.3 imports the Arrow capsule itself, zero-copy
        except TypeError:
            return pl.from_arrow(pa.array(col)) if pa is not None else pl.Series(col.to_pylist())
    return pa.array(col) if pa is not None else col


def wrap_table(cols, names, like):
    """Several result Columns as one table of the caller's kind (a dict for scalars)."""
    if like is None:
        return {n: c._item0() for n, c in zip(names, cols)}
    k = _kind(like)
    pa = _optional("pyarrow")
    if k == "pandas":
        pd = sys.modules["pandas"]
        index = like.index if type(like).__name__ == "Series" else None
        return pd.DataFrame({n: wrap(c, like) for n, c in zip(names, cols)}, index=index)
    if k == "polars":
        pl = sys.modules["polars"]
        return pl.DataFrame([wrap(c, like).alias(n) for n, c in zip(names, cols)])
    if pa is not None:
        return pa.table({n: pa.array(c) for n, c in zip(names, cols)})
    return dict(zip(names, cols))


def read_text_csv(path, as_, float_columns=()):
    """A CSV written by the engine as a table of the requested kind: "pandas",
    "arrow", "polars" or "path" (the path itself). Every column is text
    (NPIs, ZIP codes and record ids keep their leading zeros) except
    ``float_columns``; only empty fields are missing (a surname such as NA
    stays a name)."""
    if as_ == "path":
        return path
    if as_ == "pandas":
        pd = _optional("pandas")
        if pd is None:
            raise ImportError("as_='pandas' needs pandas")
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        for c in float_columns:
            df[c] = df[c].astype(float)
        return df
    if as_ == "arrow":
        pa, pa_csv = _optional("pyarrow"), _optional("pyarrow.csv")
        if pa_csv is None:
            raise ImportError("as_='arrow' needs pyarrow")
        with open(path, newline="") as f:
            names = f.readline().rstrip("\n").split(",")
        types = {n: (pa.float64() if n in float_columns else pa.string()) for n in names}
        return pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(
            column_types=types, strings_can_be_null=True, null_values=[""]))
    if as_ == "polars":
        pl = _optional("polars")
        if pl is None:
            raise ImportError("as_='polars' needs polars")
        return pl.read_csv(path, infer_schema=False).with_columns(
            [pl.col(c).cast(pl.Float64) for c in float_columns])
    raise ValueError("as_ must be 'pandas', 'arrow', 'polars' or 'path'")
