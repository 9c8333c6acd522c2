"""HCP-to-NPI matching (npimatch/match.h) and explanations of its results.

A :class:`Matcher` is built once per registry and model (fields extracted
and normalized, one index per blocking rule, term frequencies) and matches
any number of HCP files or tables; ``Registry.match`` does both in one call.
The results are the engine's match output, one row per input row in input
order: record_id, npi, confidence, match_weight, status (matched, ambiguous,
unmatched), runner_up_npi, runner_up_confidence, match_key, explanation.
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
import shutil
import tempfile

from . import _npimatch as _c
from ._io import _optional
from ._progress import run
from ._tables import check_as, fspath, is_path, maps_of, read_output, table_columns
from .model import Model, Waterfall
from .registry import Registry, _interruptible

_FLOAT_COLUMNS = ("confidence", "match_weight", "runner_up_confidence")


class Matcher:
    """Matches HCP records to registry NPIs with a model.

    ``Matcher(registry, model="builtin:hcp")``; ``model`` is a :class:`Model`
    or anything ``Model.load`` takes. Options: ``threads`` (0: all cores),
    ``block_cap`` (skip blocks with more registry rows; 0: 2000),
    ``match_probability`` / ``ambiguity_gap_bits`` (override the model's
    thresholds), ``keep_lambda`` (use the model's prior instead of 1/N active
    providers). The registry cannot be closed while the matcher is open:
    close it (or use ``with``) first."""

    def __init__(self, registry, model="builtin:hcp", *, threads=0, block_cap=0, match_probability=None,
                 ambiguity_gap_bits=None, keep_lambda=False):
        if not isinstance(registry, Registry):
            raise TypeError("registry must be an npimatch.Registry")
        self.model = Model.of(model)
        # Building the indexes is long for a full registry and has no hook
        # point: wait for it in slices so Ctrl-C returns at once (the
        # matcher is then freed when the build ends).
        self._h = _interruptible(_c._matcher_create, registry._h, self.model._h, int(threads), int(block_cap),
                                     -1.0 if match_probability is None else float(match_probability),
                                     -1.0 if ambiguity_gap_bits is None else float(ambiguity_gap_bits),
                                     bool(keep_lambda))
        self.stats = None
        self.report = ""

    def match(self, records, *, out=None, map=None, as_="pandas", progress=None):
        """Match the records: a CSV path (plain or .zst) or a table (pandas,
        polars, pyarrow, dict of columns, list of dicts) with record_id and
        name columns (first_name/last_name or organization_name; see
        ``npimatch match --help``). ``map``: {model field: input column}
        for other column names. ``out``: also keep the output CSV there.
        Returns the matches as ``as_`` ("pandas", "arrow", "polars", or
        "path" with ``out``). A table's string columns are read by the
        engine in place (see npimatch._tables); results are built from the
        engine's output in C. Bad rows are matched as unmatched and
        described in ``self.report`` (file:line:col: reason for a file;
        "records: row N, column C: reason" for a table, N the 0-based row;
        never field contents); counts in
        ``self.stats``. ``progress``: a bar for this call (None: the global
        setting); Ctrl-C cancels the engine within a second."""
        check_as(as_, out)
        tmp = tempfile.mkdtemp(prefix="npimatch-match-")
        try:
            outp = fspath(out) if out is not None else os.path.join(tmp, "matches.csv")
            self._match_to(records, outp, map, progress)
            return outp if as_ == "path" else read_output(outp, as_, _FLOAT_COLUMNS)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _match_to(self, records, outp, map, progress):
        """Match into the CSV file outp; the table's CSV bytes are freed on return."""
        maps = maps_of(map)
        if is_path(records):
            fn, src = self._h.match_file, fspath(records)
        else:
            fn, src = self._h.match_data, table_columns(records, "records")
        self.stats, self.report = run(fn, src, outp, maps, desc="match", progress=progress)

    def blocking_stats(self, records, *, map=None, progress=None):
        """What ``npimatch match --stats`` reports for these records: per
        blocking rule (in model order) the candidate pairs it found first,
        the blocks skipped for exceeding the cap, its keys and its largest
        blocks (registry rows per key). Returns a pandas DataFrame (a list
        of dicts without pandas) with columns rule, pairs, blocks_skipped,
        keys, largest_blocks; ``.attrs`` (and ``self.stats``) hold the run's
        totals (records, pairs, matched ...) and the block cap."""
        maps = maps_of(map)
        tmp = tempfile.mkdtemp(prefix="npimatch-stats-")
        try:
            if is_path(records):
                src = _c._csv_file(fspath(records))
            else:
                src = table_columns(records, "records")
            self.stats, self.report, rules = run(self._h.blocking_stats, src, os.path.join(tmp, "m.csv"), maps,
                                                 desc="blocking stats", progress=progress)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        m = re.search(r"blocking \(cap (\d+) rows per block\)", self.report)
        totals = dict(self.stats, block_cap=int(m.group(1)) if m else None)
        pd = _optional("pandas")
        if pd is None:
            return rules
        df = pd.DataFrame(rules, columns=["rule", "pairs", "blocks_skipped", "keys", "largest_blocks"])
        df.attrs.update(totals)
        return df

    def explain(self, record, npi, *, map=None) -> Waterfall:
        """The waterfall of one record against one registry NPI, whether or
        not blocking would have found the pair: the comparison levels the
        engine gives them, the record's term frequencies and the matcher's
        prior, so the final weight is the match_weight this matcher gives
        the pair. ``record``: a dict or a pandas Series / one-row DataFrame
        with the input columns (as for ``match``); ``npi``: int or str.
        NotFoundError for an NPI not in the registry; ValueError for a
        record the matcher rejects (no name...)."""
        row = _one_record(record)
        row.setdefault("record_id", "explain")
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(list(row))
        w.writerow(["" if _missing(v) else str(v) for v in row.values()])
        maps = tuple(f"{k}={v}" for k, v in (map or {}).items())
        steps, text = self._h.explain(buf.getvalue().encode(), int(npi), maps)
        return Waterfall(steps, text)

    def close(self):
        """Free the matcher and release the registry (idempotent)."""
        self._h.close()

    @property
    def closed(self) -> bool:
        return self._h.closed

    def __enter__(self):
        return self

    def __exit__(self, etype, *exc):
        try:
            self.close()
        except RuntimeError:
            # Interrupted while matching: the engine call still runs in the
            # background and holds the matcher; it is freed when that ends.
            if etype is None:
                raise

    def __repr__(self):
        return f"<npimatch.Matcher model='{self.model.name}'{' (closed)' if self.closed else ''}>"


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _one_record(record) -> dict:
    if isinstance(record, dict):
        return dict(record)
    if hasattr(record, "to_dict") and hasattr(record, "columns"):  # a one-row DataFrame
        rows = record.to_dict("records") if hasattr(record, "iloc") else record.to_dicts()
        if len(rows) != 1:
            raise ValueError(f"expected one record, got {len(rows)}")
        return rows[0]
    if hasattr(record, "to_dict"):  # a pandas Series
        return record.to_dict()
    raise TypeError("record must be a dict, a pandas Series or a one-row DataFrame")


_STEP = re.compile(r"^([^=;]+)=([^:;]+):([+-]?[0-9.]+|0)(\(tf\))?$")


def explain(match, npi=None, *, matcher=None, model="builtin:hcp") -> Waterfall:
    """Why a record matches (or not) an NPI, as a :class:`Waterfall`.

    ``explain(record, npi, matcher=mt)``: any record against any registry
    NPI through ``Matcher.explain`` (exact: the engine compares the pair).

    ``explain(match_row)``: the waterfall of a match result: how the chosen
    NPI's match weight is built, comparison by comparison, from the row alone.

    ``match``: one row of a match output (a pandas Series, a dict, or a
    polars/pyarrow row as a dict) with ``explanation`` and ``match_weight``,
    or an explanation string. ``model``: the model the match ran with.
    Each step's weight is the model's log2(m/u) for the level; the
    term-frequency share is the rest of the engine's explained weight (one
    decimal), and the prior is what makes the steps add up to the row's
    match_weight (the matcher's prior is 1/N active providers unless
    keep_lambda). Rows without a candidate or rejected rows have nothing to
    explain (ValueError)."""
    if npi is not None:
        if not isinstance(matcher, Matcher):
            raise TypeError("explain(record, npi) needs matcher=npimatch.Matcher(registry, model)")
        return matcher.explain(match, npi)
    m = Model.of(model)
    if isinstance(match, str):
        text, total = match, None
    else:
        get = match.get if hasattr(match, "get") else (lambda k, d=None: match[k] if k in match else d)
        text, total = get("explanation"), get("match_weight")
        if total is not None and isinstance(total, float) and math.isnan(total):
            total = None
    if not isinstance(text, str) or "=" not in text:
        # "no_candidates", "vetoed:<n>", "rejected:<reason>": engine codes, never record contents
        raise ValueError(f"this row has no comparison to explain ({text!r}: no candidate or a rejected row)")
    comps = {c["name"]: c for c in m.comparisons}
    parsed = []
    for part in text.split(";"):
        g = _STEP.match(part)
        if not g or g.group(1) not in comps:
            raise ValueError(f"explanation does not fit model '{m.name}': {part.split('=')[0]!r}")
        name, label, shown, tf = g.group(1), g.group(2), float(g.group(3)), bool(g.group(4))
        lv = next((lv for lv in comps[name]["levels"] if lv["label"] == label), None)
        if lv is None:
            raise ValueError(f"model '{m.name}' has no level {label!r} in comparison {name!r}")
        w = float(lv.get("weight", 0.0))
        parsed.append((name, label, w, shown - w if tf else 0.0))
    evidence = sum(w + t for _, _, w, t in parsed)
    prior = (float(total) - evidence) if total is not None else m.prior_weight
    steps, cum = [], prior

    def prob(x):
        return 1.0 / (1.0 + 2.0 ** -x) if x > -1000 else 0.0

    steps.append(("prior", "lambda", prior, 0.0, cum, prob(cum)))
    for name, label, w, t in parsed:
        cum += w + t
        steps.append((name, label, w, t, cum, prob(cum)))
    return Waterfall(steps, text)
