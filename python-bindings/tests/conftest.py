import pytest

pa = pytest.importorskip("pyarrow")


def as_list(x):
    """Any result (pyarrow, pandas, polars, list) as a Python list with None for nulls."""
    if hasattr(x, "to_pylist"):
        return x.to_pylist()
    if hasattr(x, "isna"):  # pandas
        return [None if m else v for v, m in zip(x.tolist(), x.isna().tolist())]
    if hasattr(x, "to_list"):  # polars
        return x.to_list()
    return list(x)
