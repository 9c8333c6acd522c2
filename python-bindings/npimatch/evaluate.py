"""Evaluation against generated truth, by the engine's evaluator.

``evaluate(predictions, truth)`` runs the same C code as ``npimatch eval``
(engine/eval) in process and returns a :class:`Report` holding exactly the
figures of ``npimatch eval --json`` (docs/eval.md). Inputs are CSV paths or
tables (pandas/polars DataFrame, pyarrow Table, list of dicts), which are
rendered in C to a temporary CSV first.
"""
from __future__ import annotations

import html
import json
import os
import shutil
import tempfile

from . import _npimatch as _c
from ._io import _optional
from .model import _axes, _frame
from .registry import _interruptible


def _is_path(x) -> bool:
    return isinstance(x, (str, bytes, os.PathLike))


def _write_csv(table, path):
    """A table as CSV with a header, rendered in C (npimatch._tables): NPIs
    read by pandas as floats (a column with gaps) are written as integers,
    never as 1234567893.0."""
    from ._tables import to_arrow

    if isinstance(table, (list, tuple)) and table and not isinstance(table[0], dict):
        raise TypeError("predictions and truth must be paths or tables (pandas, polars, pyarrow, list of dicts)")
    try:
        data = _c._table_csv(to_arrow(table, "table"), "table")
    except TypeError as e:
        raise TypeError(f"predictions and truth must be paths or tables (pandas, polars, pyarrow, list of dicts): {e}") from None
    with open(path, "wb") as f:
        f.write(data.tobytes())


class Report:
    """The figures of one evaluation (``npimatch eval --json``).

    ``kind`` is "matches" or "persons". Headline figures: ``precision``,
    ``recall``, ``f1`` (at the model's thresholds for matches, pairwise for
    persons). Matches: ``best_threshold`` (dict), ``sweep`` (DataFrame:
    threshold, precision, recall, f1), ``worst_false_positives`` /
    ``worst_false_negatives``, ``blocking``. Persons: ``bcubed``,
    ``over_merged``, ``split``, ``worst_misplaced``. Both: ``calibration``
    (DataFrame of 10 confidence bins), ``counts``, ``text`` (the CLI's text
    report), ``to_dict()``."""

    def __init__(self, data: dict, text: str = ""):
        self._d = data
        self.text = text
        self.kind = "persons" if data.get("mode") == "persons" else "matches"

    def to_dict(self) -> dict:
        """The JSON report as a dict (a copy)."""
        return json.loads(json.dumps(self._d))

    @property
    def _headline(self) -> dict:
        return self._d["pairwise"] if self.kind == "persons" else self._d["at_model_thresholds"]

    @property
    def precision(self) -> float:
        return float(self._headline["precision"])

    @property
    def recall(self) -> float:
        return float(self._headline["recall"])

    @property
    def f1(self) -> float:
        return float(self._headline["f1"])

    @property
    def counts(self) -> dict:
        return dict(self._d["counts"])

    @property
    def at_model_thresholds(self) -> dict:
        return dict(self._d.get("at_model_thresholds", {}))

    @property
    def best_threshold(self) -> dict | None:
        b = self._d.get("best_f1_threshold")
        return dict(b) if b else None

    @property
    def sweep(self):
        # the JSON writes whole numbers as integers: columns are floats here
        rows = [tuple(float(s[k]) for k in ("threshold", "precision", "recall", "f1")) for s in self._d.get("sweep", [])]
        return _frame(rows, ("threshold", "precision", "recall", "f1"))

    @property
    def calibration(self):
        cols = ("lo", "hi", "count", "right", "share_right", "mean_confidence")
        return _frame([(float(b["lo"]), float(b["hi"]), int(b["count"]), int(b["right"]), float(b["share_right"]),
                        float(b["mean_confidence"])) for b in self._d.get("calibration", [])], cols)

    @property
    def blocking(self) -> dict:
        return dict(self._d.get("blocking", {}))

    @property
    def worst_false_positives(self) -> list:
        return list(self._d.get("worst_false_positives", []))

    @property
    def worst_false_negatives(self) -> list:
        return list(self._d.get("worst_false_negatives", []))

    @property
    def pairwise(self) -> dict:
        return dict(self._d.get("pairwise", {}))

    @property
    def bcubed(self) -> dict:
        return dict(self._d.get("bcubed", {}))

    @property
    def over_merged(self) -> int | None:
        return self._d.get("over_merged_persons")

    @property
    def split(self) -> int | None:
        return self._d.get("split_persons")

    @property
    def worst_misplaced(self) -> list:
        return list(self._d.get("worst_misplaced", []))

    # ---- plots ----
    def plot_precision_recall(self, ax=None, *, figsize=(7, 4.5)):
        """Matches: precision, recall and F1 against the confidence threshold
        (the sweep), with the best-F1 threshold marked. Persons (no
        threshold sweep): pairwise and B-cubed precision, recall and F1 as
        bars. Returns the matplotlib Axes."""
        fig, ax = _axes(ax, figsize)
        if self.kind == "persons":
            names = ("precision", "recall", "f1")
            pw, b3 = self._d["pairwise"], self._d["bcubed"]
            x = range(len(names))
            ax.bar([i - 0.2 for i in x], [pw[n] for n in names], width=0.4, label="pairwise")
            ax.bar([i + 0.2 for i in x], [b3[n] for n in names], width=0.4, label="B-cubed")
            ax.set_xticks(list(x))
            ax.set_xticklabels(names)
            ax.set_ylim(0, 1.05)
            ax.legend()
            ax.set_title("person resolution")
        else:
            sw = self._d["sweep"]
            t = [s["threshold"] for s in sw]
            for key in ("precision", "recall", "f1"):
                ax.plot(t, [s[key] for s in sw], label=key)
            b = self._d["best_f1_threshold"]
            ax.axvline(b["threshold"], color="grey", linestyle="--", linewidth=0.8)
            ax.annotate(f"best F1 {b['f1']:.3f} at {b['threshold']:.2f}", (b["threshold"], b["f1"]),
                        textcoords="offset points", xytext=(5, -15), fontsize=8)
            ax.set_xlabel("confidence threshold")
            ax.set_ylim(0, 1.05)
            ax.legend(loc="lower left")
            ax.set_title("NPI matching: precision / recall sweep")
        fig.tight_layout()
        return ax

    def plot_calibration(self, ax=None, *, figsize=(6, 4.5)):
        """Share right against mean confidence per confidence bin (a
        calibrated model follows the diagonal); marker size grows with the
        bin's count. Returns the matplotlib Axes."""
        fig, ax = _axes(ax, figsize)
        bins = [b for b in self._d.get("calibration", []) if b["count"]]
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8, label="perfect calibration")
        if bins:
            total = max(b["count"] for b in bins)
            ax.scatter([b["mean_confidence"] for b in bins], [b["share_right"] for b in bins],
                       s=[20 + 200 * b["count"] / total for b in bins], zorder=3, label="bins")
            ax.plot([b["mean_confidence"] for b in bins], [b["share_right"] for b in bins], linewidth=1)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("mean confidence")
        ax.set_ylabel("share right")
        ax.legend(loc="upper left", fontsize=8)
        ax.set_title("calibration")
        fig.tight_layout()
        return ax

    # ---- display ----
    def _summary(self):
        rows = [("precision", self.precision), ("recall", self.recall), ("F1", self.f1)]
        if self.kind == "matches":
            b = self._d["best_f1_threshold"]
            rows.append((f"best F1 (threshold {b['threshold']:.2f})", float(b["f1"])))
            rows.append(("top-2 candidate recall", float(self._d["blocking"]["top2_candidate_recall"])))
        else:
            rows += [("B-cubed precision", float(self._d["bcubed"]["precision"])),
                     ("B-cubed recall", float(self._d["bcubed"]["recall"])),
                     ("B-cubed F1", float(self._d["bcubed"]["f1"])),
                     ("over-merged persons", self.over_merged), ("split persons", self.split)]
        return rows

    def __repr__(self):
        head = "pairwise" if self.kind == "persons" else "at the model's thresholds"
        lines = [f"<npimatch.Report {self.kind} ({head})"]
        for k, v in self._summary():
            lines.append(f"  {k:<32} {v:.4f}" if isinstance(v, float) else f"  {k:<32} {v}")
        return "\n".join(lines) + ">"

    def _repr_html_(self):
        def fmt(v):
            return f"{v:.4f}" if isinstance(v, float) else html.escape(str(v))
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{fmt(v)}</td></tr>" for k, v in self._summary())
        counts = ", ".join(f"{html.escape(k)} {v}" for k, v in self._d["counts"].items())
        return (f"<b>npimatch evaluation: {self.kind}</b><table>{rows}</table>"
                f"<small>{counts}</small>")


def evaluate(predictions, truth, kind="matches", *, stats=None, worst=10) -> Report:
    """Score predictions against truth with the engine's evaluator.

    kind="matches": ``predictions`` is a match output (record_id, npi,
    confidence, status; optional runner_up_npi, explanation, candidates) and
    ``truth`` the truth of ``generate_hcp`` (record_id, npi). ``stats``: the
    optional stats JSON path of ``match --stats``.
    kind="persons": predictions (source, record_id, person_id; optional
    confidence, change) against the truth of ``generate_patients``.
    Each input is a CSV path or a table. ``worst``: review cases to keep.
    Errors in the inputs raise :class:`npimatch.FormatError` with
    file:line:col (of the temporary file for tables) and never field values."""
    if kind not in ("matches", "persons"):
        raise ValueError("kind must be 'matches' or 'persons'")
    if stats is not None and kind != "matches":
        raise ValueError("stats is only read for kind='matches'")
    tmp = None
    try:
        paths = []
        for name, x in (("predictions", predictions), ("truth", truth)):
            if _is_path(x):
                p = os.fspath(x)
                paths.append(os.fsdecode(p) if isinstance(p, bytes) else p)
            else:
                if tmp is None:
                    tmp = tempfile.mkdtemp(prefix="npimatch-eval-")
                p = os.path.join(tmp, f"{name}.csv")
                _write_csv(x, p)
                paths.append(p)
        st = None if stats is None else os.fsdecode(os.fspath(stats))
        data, text = _interruptible(_c._eval, kind, paths[1], paths[0], st, int(worst))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return Report(json.loads(data), text)
