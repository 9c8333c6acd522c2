"""Person resolution, generic linkage and training: ``npimatch resolve``,
``link``, ``dedupe`` and ``train`` as functions over tables.

Each call runs the engine's own function (engine/resolve,
engine/match/link.c, link_train.c, train_pairs.c) in process on the
table's CSV bytes (see npimatch._tables), without the GIL, with a progress
bar when interactive and Ctrl-C cancelling the engine at its next chunk.
Outputs are the CLI's columns, built from the engine's output in C.
"""
from __future__ import annotations

import os
import shutil
import tempfile

from . import _npimatch as _c
from ._progress import run
from ._tables import check_as, csv_data, fspath, is_path, maps_of, read_output, to_arrow
from .model import Model
from .registry import Registry

_PAIR_FLOATS = ("match_probability", "match_weight")


def _model(model, what="model"):
    if model is None:
        raise TypeError(f"{what} is required (a Model, a JSON path or 'builtin:...')")
    return Model.of(model)


def _result(outp, as_, floats, stats, report, with_stats):
    table = outp if as_ == "path" else read_output(outp, as_, floats)
    if as_ == "pandas":
        table.attrs.update({"stats": stats, "report": report})
    return (table, stats, report) if with_stats else table


def _side_maps(map):
    """map: {field: column} for both sides, or {"left": {...}, "right": {...}}."""
    if map is None:
        return (), ()
    if set(map) <= {"left", "right"} and all(isinstance(v, dict) for v in map.values()):
        return maps_of(map.get("left")), maps_of(map.get("right"))
    m = maps_of(map)
    return m, m


def _deletes(delete):
    """Keys to delete: a path, a table with source and record_id columns, or
    a list of (source, record_id) pairs."""
    if delete is None:
        return None
    if isinstance(delete, (list, tuple)) and (not delete or isinstance(delete[0], (list, tuple))):
        if any(len(k) != 2 for k in delete):
            raise ValueError("delete: expected (source, record_id) pairs")
        delete = {"source": [k[0] for k in delete], "record_id": [k[1] for k in delete]}
    return csv_data(delete, "delete")


def resolve(data, state, *, model=None, delete=None, full=False, all=False, threads=0, block_cap=0, out=None,
            as_="pandas", progress=None, with_stats=False):
    """One night of person resolution against the state directory
    ``state`` (``npimatch resolve``; created on the first night, one run at
    a time). ``data``: tonight's records, a CSV path or a table with
    ``source``, ``record_id`` and the model's fields; rows are upserts keyed
    by (source, record_id). ``delete``: keys to remove tonight (a table or
    path with source, record_id, or a list of (source, record_id)).
    ``full=True``: the input is everything, stored keys not in it are
    removed. ``all=True``: return every record of the state, not only
    tonight's. ``model``: a JSON path or builtin name, only on the first
    night (default builtin:patient; later nights use the state's model and
    refuse another).

    Returns source, record_id, person_id, confidence, change (new,
    unchanged, joined, merged, split, moved) as ``as_``; with
    ``with_stats=True`` a tuple (table, stats, report). Pandas results carry
    them in ``.attrs``. Rejected rows are skipped and described in the
    report (name:line:col: reason, never field contents). The state is
    committed only when the night completes: an error or Ctrl-C leaves it
    as it was."""
    check_as(as_, out)
    if isinstance(model, Model):
        raise TypeError("resolve: model must be a JSON path or a builtin name (the state stores it)")
    src = csv_data(data, "data")
    dels = _deletes(delete)
    tmp = tempfile.mkdtemp(prefix="npimatch-resolve-")
    try:
        outp = fspath(out) if out is not None else os.path.join(tmp, "persons.csv")
        stats, report = run(_c._resolve, src, fspath(state), outp, None if model is None else fspath(model), dels,
                            bool(full), bool(all), int(threads), int(block_cap), desc="resolve", progress=progress)
        return _result(outp, as_, ("confidence",), stats, report, with_stats)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def link(left, right, model, *, threshold=None, block_cap=0, threads=0, map=None, out=None, as_="pandas",
         progress=None, with_stats=False):
    """Score every candidate pair of ``left`` x ``right`` (``npimatch
    link``): tables or CSV paths with a record id column (the model's
    id_column, else record_id, rec_id or id; or map={"record_id": col}).
    ``map``: {field: column} for both sides or {"left": {...}, "right":
    {...}}. Returns left_id, right_id, match_probability, match_weight,
    match_key, explanation: pairs with probability >= ``threshold``
    (default the model's match_probability) or satisfying a deterministic
    rule, ordered by left input order then weight descending."""
    check_as(as_, out)
    m = _model(model)
    ml, mr = _side_maps(map)
    a, b = csv_data(left, "left"), csv_data(right, "right")
    tmp = tempfile.mkdtemp(prefix="npimatch-link-")
    try:
        outp = fspath(out) if out is not None else os.path.join(tmp, "pairs.csv")
        stats, report = run(_c._link, a, b, m._h, outp, int(threads), -1.0 if threshold is None else float(threshold),
                            int(block_cap), ml, mr, None, desc="link", progress=progress)
        return _result(outp, as_, _PAIR_FLOATS, stats, report, with_stats)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def dedupe(data, model, *, pairs=False, threshold=None, block_cap=0, threads=0, map=None, out=None, as_="pandas",
           progress=None, with_stats=False):
    """Cluster the records of one table (``npimatch dedupe``). Returns
    record_id, cluster_id, confidence per input row in input order
    (cluster_id: the smallest record id of the cluster; a rejected row has
    none); with ``pairs=True`` a tuple (clusters, pairs) where pairs has
    link's columns. Fails (FormatError) on a duplicate record id."""
    check_as(as_, out)
    m = _model(model)
    src = csv_data(data, "data")
    tmp = tempfile.mkdtemp(prefix="npimatch-dedupe-")
    try:
        outp = fspath(out) if out is not None else os.path.join(tmp, "clusters.csv")
        pairp = os.path.join(tmp, "pairs.csv") if pairs else None
        stats, report = run(_c._dedupe, src, None, m._h, outp, int(threads),
                            -1.0 if threshold is None else float(threshold), int(block_cap), maps_of(map), (),
                            pairp, desc="dedupe", progress=progress)
        clusters = _result(outp, as_, ("confidence",), stats, report, False)
        if as_ == "path":
            res = (clusters, None) if pairs else clusters
        else:
            res = (clusters, read_output(pairp, as_, _PAIR_FLOATS)) if pairs else clusters
        return (res, stats, report) if with_stats else res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def train(data, *, registry=None, right=None, model=None, labels=None, seed=1, random_pairs=0, threads=0, map=None,
          progress=None) -> Model:
    """Estimate a model's m and u (``npimatch train``) and return the
    trained :class:`Model` (``.training`` holds the run's report).

    With ``registry`` (a :class:`Registry`): ``data`` are HCP records
    matched against it; ``model`` defaults to builtin:hcp; ``labels``
    (table or path, record_id,npi) gives m from known matches. Without:
    dedupe training on ``data`` or, with ``right``, linkage training of
    ``data`` (left) and ``right``; ``model`` is required; ``labels`` are
    left_id,right_id pairs. u always comes from ``random_pairs`` random
    pairs (0: 200,000; seeded); m by EM per training blocking rule unless
    labels are given. The starting model is not modified."""
    if registry is not None and not isinstance(registry, Registry):
        raise TypeError("registry must be an npimatch.Registry")
    if registry is not None and right is not None:
        raise ValueError("train: right= is for linkage training without a registry")
    m = _model("builtin:hcp" if model is None and registry is not None else model)
    a = csv_data(data, "data")
    b = None if right is None else csv_data(right, "right")
    ml, mr = _side_maps(map)
    tmp = tempfile.mkdtemp(prefix="npimatch-train-") if labels is not None else None
    try:
        lab = None
        if labels is not None:
            if is_path(labels):
                lab = fspath(labels)
            else:
                lab = os.path.join(tmp, "labels.csv")
                with open(lab, "wb") as f:
                    f.write(_c._table_csv(to_arrow(labels, "labels"), "labels").tobytes())
        h, rep, text = run(_c._train, None if registry is None else registry._h, a, b, m._h, int(seed),
                           int(random_pairs), lab, int(threads), ml, mr, desc="train", progress=progress)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    trained = Model(h)
    trained.training = dict(rep, report=text)
    return trained
