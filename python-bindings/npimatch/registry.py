"""The NPPES registry: build it from the CMS files, save and load snapshots,
look providers up by NPI."""
from __future__ import annotations

import json
import os
import threading

from . import _npimatch as _c
from ._io import _optional


def _interruptible(fn, *args):
    """Run a long engine call (build, load) in a worker thread and wait for
    it in slices, so Ctrl-C in a notebook returns control within a fraction
    of a second. The engine has no cancellation hook: an interrupted call
    keeps running in the background until it ends, then its result is
    freed. Nothing is written to disk after an interrupt (snapshots are
    saved by the caller, in this thread)."""
    box = {}

    def work():
        try:
            box["value"] = fn(*args)
        except BaseException as e:  # handed to the waiting thread
            box["error"] = e

    t = threading.Thread(target=work, name="npimatch-registry", daemon=True)
    t.start()
    while t.is_alive():
        t.join(0.1)
    if "error" in box:
        raise box.pop("error")
    return box.pop("value")


def _fspath(p) -> str:
    p = os.fspath(p)
    return os.fsdecode(p) if isinstance(p, bytes) else p


class Registry:
    """An in-memory NPPES registry held by the engine.

    Use ``Registry.build(paths)`` on the CMS files (npidata, othername, pl,
    deactivation list; plain or .zst) or ``Registry.load(snapshot)``. Close it
    with ``close()`` or a ``with`` block to free its memory at once; any call
    on a closed registry raises :class:`npimatch.RegistryClosedError`.
    """

    __slots__ = ("_h", "build_stats", "build_report")

    def __init__(self, _handle, build_stats=None, build_report=""):
        if not isinstance(_handle, _c._Registry):
            raise TypeError("use Registry.build(...) or Registry.load(...)")
        self._h = _handle
        self.build_stats = build_stats or {}
        self.build_report = build_report

    @classmethod
    def build(cls, paths, out=None, *, strict=False, threads=0, progress=None):
        """Build from NPPES files, in order (later rows replace earlier ones
        by NPI). ``out``: also save a snapshot there. Bad rows are counted in
        ``build_stats`` and described in ``build_report`` (file:line:col:
        reason, never field contents); ``strict=True`` makes them fatal.
        ``progress``: a bar of rows read (None: the global setting); Ctrl-C
        cancels the build at its next block of rows."""
        from ._progress import run

        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        paths = tuple(_fspath(p) for p in paths)
        outp = None if out is None else _fspath(out)
        h, stats, report = run(_c._registry_build, paths, bool(strict), int(threads), desc="build",
                               progress=progress, unit="rows")
        reg = cls(h, stats, report)
        if outp is not None:
            try:
                reg.save(outp)
            except BaseException:
                reg.close()
                raise
        return reg

    @classmethod
    def load(cls, path, *, for_matching=None):
        """Load a snapshot written by ``save``, ``build(..., out=...)`` or
        ``npimatch index``. ``for_matching``: a Model (or a path /
        "builtin:..." name; True means "builtin:hcp") to load the registry
        as ``npimatch match`` does: when the snapshot stores the matcher's
        data for that model, the providers' records are left on disk (less
        memory, faster start) and ``lookup``/``save`` raise; otherwise the
        whole registry is loaded."""
        model = None
        if for_matching is not None and for_matching is not False:
            from .model import Model
            spec = "builtin:hcp" if for_matching is True else for_matching
            model = Model.of(spec)
        args = (_fspath(path),) if model is None else (_fspath(path), model._h)
        return cls(_interruptible(_c._registry_load, *args))

    @property
    def has_records(self) -> bool:
        """False for a registry loaded ``for_matching`` without its records."""
        return self._h.has_records()

    def _need_records(self, what):
        if not self._h.has_records():
            raise RuntimeError(f"{what} needs the providers' records: this registry was loaded with "
                               "for_matching=...; load it again without it")

    def save(self, path, *, model=None):
        """Write a snapshot atomically. ``model`` (a Model, a path or
        "builtin:hcp"): also store the matcher's normalized rows, term
        frequencies and blocking indexes for it, as ``npimatch index`` does,
        so ``load(..., for_matching=model)`` and ``npimatch match`` start
        without building them."""
        self._need_records("save")
        if model is None:
            self._h.save(_fspath(path))
            return
        from .model import Model
        m = Model.of(model)
        _interruptible(self._h.save, _fspath(path), m._h)

    def info(self) -> dict:
        """Provider, taxonomy and memory counts."""
        return self._h.info()

    def __len__(self):
        return len(self._h)

    def __contains__(self, npi):
        return self._h.find(npi) >= 0

    def lookup(self, npis, *, as_="arrow"):
        """Providers by NPI (int or 10-digit str), one row per requested NPI
        in order; NPIs not in the registry give an all-null row.

        ``as_``: "arrow" (pyarrow Table, the default when pyarrow is
        installed), "pandas" (DataFrame) or "records" (list of dict, None for
        absent NPIs). A single NPI gives a dict (or None)."""
        self._need_records("lookup")
        if isinstance(npis, (int, str)):
            (j,) = self._h.lookup_json([npis])
            return None if j is None else json.loads(j)
        for conv in ("to_pylist", "tolist", "to_list"):  # pyarrow, numpy/pandas, polars
            if hasattr(npis, conv):
                npis = getattr(npis, conv)()
                break
        rows = [None if j is None else json.loads(j) for j in self._h.lookup_json(npis)]
        if as_ == "records":
            return rows
        if as_ == "pandas":
            pd = _optional("pandas")
            if pd is None:
                raise ImportError("as_='pandas' needs pandas")
            return pd.DataFrame.from_records([r or {} for r in rows])
        if as_ != "arrow":
            raise ValueError("as_ must be 'arrow', 'pandas' or 'records'")
        pa = _optional("pyarrow")
        if pa is None:
            raise ImportError("as_='arrow' needs pyarrow; use as_='records' or install pyarrow")
        return pa.Table.from_pylist([r or {} for r in rows])

    def match(self, records, model="builtin:hcp", *, out=None, map=None, as_="pandas", progress=None, **options):
        """Match HCP records to this registry's NPIs in one call (builds a
        :class:`npimatch.Matcher`, matches, frees it). ``records``: a CSV path
        or a table; ``model``: a Model or a path / "builtin:hcp"; ``options``:
        threads, block_cap, match_probability, ambiguity_gap_bits,
        keep_lambda. To match several files, keep one Matcher instead (its
        indexes are built once)."""
        import shutil
        import tempfile

        from ._tables import check_as, read_output
        from .match import _FLOAT_COLUMNS, Matcher

        check_as(as_, out)
        tmp = tempfile.mkdtemp(prefix="npimatch-match-")
        try:
            outp = _fspath(out) if out is not None else os.path.join(tmp, "matches.csv")
            # The matcher (row store, indexes) is freed before the result is
            # built, so the two never hold memory at once.
            with Matcher(self, model, **options) as mt:
                mt._match_to(records, outp, map, progress)
            return outp if as_ == "path" else read_output(outp, as_, _FLOAT_COLUMNS)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def blocking_stats(self, records, model="builtin:hcp", *, map=None, progress=None, **options):
        """Pairs per blocking rule, skipped blocks and largest blocks for
        matching ``records`` (a CSV path or a table) against this registry,
        as ``npimatch match --stats`` reports them: see
        :meth:`npimatch.Matcher.blocking_stats`. ``options`` as for
        :meth:`match` (block_cap, threads ...)."""
        from .match import Matcher

        with Matcher(self, model, **options) as mt:
            return mt.blocking_stats(records, map=map, progress=progress)

    def close(self):
        """Free the registry now (idempotent). Refused (RuntimeError) while
        a Matcher over it is open."""
        self._h.close()

    @property
    def closed(self) -> bool:
        return self._h.closed

    def __enter__(self):
        if self._h.closed:
            raise _c.RegistryClosedError("the registry is closed")
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if self._h.closed:
            return "<npimatch.Registry (closed)>"
        return f"<npimatch.Registry providers={len(self._h)}>"
