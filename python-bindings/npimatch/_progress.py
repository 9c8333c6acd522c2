"""Progress bars for long engine calls.

The extension's chunked runner calls a per-thread hook ``hook(done, total)``
between chunks of 65,536 rows (only for calls longer than one chunk). This
module turns that into a tqdm bar when the session is interactive (a Jupyter
kernel or a terminal on stderr) and tqdm is installed; otherwise nothing is
shown and nothing is imported. ``set_progress(False)`` turns bars off
everywhere, ``set_progress(True)`` on even when not interactive; each call
taking ``progress=`` overrides the global setting for that call.
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys

from . import _npimatch as _c
from ._io import _optional

_setting: object = "auto"


def set_progress(enabled=True):
    """Show progress bars for long calls: True (always, when tqdm is
    installed), False (never) or "auto" (the default: only in a notebook or
    when stderr is a terminal). The environment variable NPIMATCH_PROGRESS=0
    turns "auto" off."""
    global _setting
    if enabled not in (True, False, "auto"):
        raise ValueError("set_progress takes True, False or 'auto'")
    _setting = enabled


def get_progress():
    """The global setting: True, False or "auto"."""
    return _setting


def _in_notebook() -> bool:
    ipy = sys.modules.get("IPython")
    if ipy is None:
        return False
    try:
        shell = ipy.get_ipython()
    except Exception:
        return False
    return shell is not None and hasattr(shell, "kernel")


def _interactive() -> bool:
    if os.environ.get("NPIMATCH_PROGRESS", "") == "0":
        return False
    if _in_notebook():
        return True
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def enabled(progress=None) -> bool:
    """Whether a call with ``progress=`` (None: the global setting) shows a bar."""
    p = _setting if progress is None else progress
    if p == "auto":
        return _interactive()
    return bool(p)


def _bar_class():
    """tqdm's notebook bar in a kernel with ipywidgets, else the text bar;
    None without tqdm."""
    if _optional("tqdm") is None:
        return None
    if _in_notebook() and _optional("ipywidgets") is not None:
        from tqdm.notebook import tqdm
    else:
        from tqdm import tqdm
    return tqdm


@contextlib.contextmanager
def scope(progress=None, desc="npimatch"):
    """Show a bar for the engine calls made inside the block (when enabled).
    The bar appears at the first progress report, so short calls (one
    chunk) never draw one."""
    if not enabled(progress):
        yield
        return
    cls = _bar_class()
    if cls is None:
        yield
        return
    bar = None

    def hook(done, total):
        nonlocal bar
        if bar is None:
            bar = cls(total=total, desc=desc, unit="rows", unit_scale=True, leave=False)
        elif total != bar.total or done < bar.n:  # the next engine call of the block
            bar.reset(total=total)
        bar.update(done - bar.n)

    prev = _c._set_progress_hook(hook)
    try:
        yield
    finally:
        _c._set_progress_hook(prev)
        if bar is not None:
            bar.close()


def tracked(fn):
    """Give a vectorised function a ``progress=`` keyword (None: global setting)."""
    desc = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, progress=None, **kwargs):
        with scope(progress, desc):
            return fn(*args, **kwargs)

    return wrapper


def run(fn, *args, desc="npimatch", progress=None, unit="records"):
    """Run a long engine call ``fn(*args, hook)`` (``hook``: a _Progress the
    extension installs as the engine's progress/cancel hook,
    npimatch/progress.h) in a worker thread while this thread waits in
    slices of 0.1 s: it draws the bar from the engine's counts (when
    enabled) and, on Ctrl-C, raises the hook's cancel flag so the engine
    stops at its next chunk of records (well within a second), then
    re-raises KeyboardInterrupt. A phase without a hook point (building the
    matcher's indexes) ends in the background; its result is freed."""
    import threading

    hook = _c._Progress()
    box = {}

    def work():
        try:
            box["value"] = fn(*args, hook)
        except BaseException as e:  # handed to the waiting thread
            box["error"] = e

    t = threading.Thread(target=work, name=f"npimatch-{desc}", daemon=True)
    cls = _bar_class() if enabled(progress) else None
    bar = None
    try:
        t.start()
        while t.is_alive():
            t.join(0.1)
            if cls is None or not t.is_alive():
                continue
            done, total = hook.state()
            if not done and not total:
                continue
            if bar is None:
                bar = cls(total=total or None, desc=desc, unit=unit, unit_scale=True, leave=False)
            if (total or None) != bar.total or done < bar.n:  # the call's next phase
                bar.reset(total=total or None)
            bar.update(done - bar.n)
    except KeyboardInterrupt:
        hook.cancel()
        t.join(1.0)
        raise
    finally:
        if bar is not None:
            bar.close()
    if "error" in box:
        raise box.pop("error")
    return box.pop("value")
