"""Synthetic labelled data from the engine's generators (engine/gen), so a
notebook needs no shell: the same bytes as ``npimatch gen`` for the same
seed and options, whatever the thread count (docs/error-model.md describes
the errors typed into the records and their rates)."""
from __future__ import annotations

import dataclasses
import glob
import os
import shutil
import tempfile

from . import _npimatch as _c
from ._io import read_text_csv as _read_csv
from .registry import Registry, _fspath, _interruptible


def generate_nppes(rows, seed, path, *, layout=330, deactivated=0.015, threads=0):
    """Write a synthetic NPPES main file (npidata_pfile layout, every field
    quoted) of ``rows`` providers to ``path`` (".zst" compresses) and return
    the path. ``layout``: 330 (current header) or 329 (2015 header);
    ``deactivated``: share of deactivated stub rows."""
    path = _fspath(path)
    _interruptible(_c._gen_nppes, path, int(rows), int(seed), int(threads), int(layout), float(deactivated))
    return path


def generate_hcp(registry, rows, seed, *, out=None, truth=None, absent=0.10, orgs=0.15, threads=0, as_="pandas"):
    """A customer HCP file drawn from the registry's providers, typed through
    the error model, and its truth (record_id, npi; npi missing for the
    providers absent from the registry).

    ``registry``: a :class:`Registry` or the path of a registry snapshot.
    ``out`` / ``truth``: CSV paths to keep the files (else they are written
    to a temporary directory, read and deleted). ``absent``: share of
    providers not in the registry; ``orgs``: share of organizations.
    Returns ``(records, truth)`` as ``as_`` tables: "pandas" (default),
    "arrow", "polars" or "path" (the paths; needs ``out`` and ``truth``).
    Error counts of the last call: ``generate_hcp.last_counts``."""
    if as_ == "path" and (out is None or truth is None):
        raise ValueError("as_='path' needs out and truth paths")
    own = None
    if not isinstance(registry, Registry):
        registry = own = Registry.load(registry)
    tmp = None
    try:
        if out is None or truth is None:
            tmp = tempfile.mkdtemp(prefix="npimatch-hcp-")
        po = _fspath(out) if out is not None else os.path.join(tmp, "hcp.csv")
        pt = _fspath(truth) if truth is not None else os.path.join(tmp, "truth.csv")
        generate_hcp.last_counts = _interruptible(_c._gen_hcp, registry._h, po, pt, int(rows), int(seed), float(absent),
                                               float(orgs), int(threads))
        return _read_csv(po, as_), _read_csv(pt, as_)
    finally:
        if own is not None:
            try:
                own.close()
            except RuntimeError:  # interrupted: the engine call still runs; freed when it ends
                pass
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


generate_hcp.last_counts = None


@dataclasses.dataclass
class PatientFeeds:
    """Nightly patient feeds: ``nights[t]`` holds night t+1's records
    (source, record_id, names, birth_date, sex, address, phone, email);
    ``deletes`` maps a night number (1-based) to its deletions (source,
    record_id); ``truth`` gives the person of every record (source,
    record_id, person_id); ``dir`` is where the files are (None when they
    were temporary); ``counts`` the realised error counts."""
    nights: list
    deletes: dict
    truth: object
    dir: str | None
    counts: dict

    def night_paths(self):
        if self.dir is None:
            raise ValueError("the feeds were written to a temporary directory; pass out= to keep them")
        return sorted(glob.glob(os.path.join(self.dir, "night_[0-9][0-9].csv")))


def generate_patients(rows, seed, *, sources=2, nights=2, out=None, threads=0, as_="pandas") -> PatientFeeds:
    """Nightly patient feeds from ``sources`` sources over ``nights`` nights
    (``rows`` distinct records in all) with duplicates within and across
    sources, twins, Jr/Sr pairs, common names, moves, updates and deletions,
    and the person truth. ``out``: a directory to keep the files (else a
    temporary one, read and deleted). Tables come back as ``as_`` ("pandas",
    "arrow", "polars"; "path" needs ``out``)."""
    if as_ == "path" and out is None:
        raise ValueError("as_='path' needs an out directory")
    tmp = None
    try:
        d = _fspath(out) if out is not None else tempfile.mkdtemp(prefix="npimatch-patients-")
        tmp = None if out is not None else d
        counts = _interruptible(_c._gen_patients, d, int(rows), int(seed), int(sources), int(nights), int(threads))
        night_tables, deletes = [], {}
        for t in range(1, int(nights) + 1):
            p = os.path.join(d, f"night_{t:02d}.csv")
            night_tables.append(_read_csv(p, as_))
            dp = os.path.join(d, f"night_{t:02d}_deletes.csv")
            if os.path.exists(dp):
                deletes[t] = _read_csv(dp, as_)
        truth = _read_csv(os.path.join(d, "truth.csv"), as_)
        return PatientFeeds(night_tables, deletes, truth, None if tmp else d, counts)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
