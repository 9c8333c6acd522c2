import contextlib
import os
import pathlib
import signal
import time

import pytest

pa = pytest.importorskip("pyarrow")


def cli_path():
    """The npimatch CLI to compare with ($NM_CLI or build/npimatch of this checkout), None when absent."""
    p = os.environ.get("NM_CLI") or str(pathlib.Path(__file__).resolve().parents[2] / "build" / "npimatch")
    return p if os.access(p, os.X_OK) else None


def as_list(x):
    """Any result (pyarrow, pandas, polars, list) as a Python list with None for nulls."""
    if hasattr(x, "to_pylist"):
        return x.to_pylist()
    if hasattr(x, "isna"):  # pandas
        return [None if m else v for v, m in zip(x.tolist(), x.isna().tolist())]
    if hasattr(x, "to_list"):  # polars
        return x.to_list()
    return list(x)


@contextlib.contextmanager
def ctrl_c_after(seconds):
    """Simulate Ctrl-C: a SIGALRM handler raises KeyboardInterrupt after
    `seconds`. Yields a list that receives the time from the alarm being set
    to the end of the block."""
    def boom(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, boom)
    elapsed = []
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        t = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            yield elapsed
        elapsed.append(time.perf_counter() - t)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
