"""Linkage models (Fellegi-Sunter, npimatch/model.h): load, inspect, save,
plot their weights, and explain a comparison vector as a waterfall.

The model is held by the engine; Python reads it through its JSON form (the
exact bytes ``save`` writes), so what you inspect is what the engine scores
with. matplotlib is imported only by the plotting methods (optional
dependency: ``pip install npimatch[plot]``).
"""
from __future__ import annotations

import json
import math
import os

from . import _npimatch as _c
from ._io import _optional

BUILTIN = ("builtin:hcp", "builtin:patient", "builtin:febrl")


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install matplotlib") from None
    return plt


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def _frame(rows, columns):
    """rows as a pandas DataFrame when pandas is installed, else a list of dicts."""
    pd = _optional("pandas")
    if pd is None:
        return [dict(zip(columns, r)) for r in rows]
    return pd.DataFrame.from_records(rows, columns=columns)


class Waterfall:
    """How one pair's match weight is built: the prior (lambda), then one
    step per comparison with its level, the level's weight log2(m/u), the
    term-frequency adjustment, the running total and the probability after
    the step (from the engine's nm_waterfall).

    ``steps`` is a list of dicts; ``to_pandas()`` a DataFrame; ``plot()`` a
    waterfall chart; ``weight`` and ``probability`` the final figures."""

    COLUMNS = ("comparison", "level", "weight", "tf_weight", "cumulative", "probability")

    def __init__(self, steps, explanation=""):
        self.steps = [dict(zip(self.COLUMNS, s)) for s in steps]
        self.explanation = explanation

    @property
    def weight(self) -> float:
        return self.steps[-1]["cumulative"]

    @property
    def probability(self) -> float:
        return self.steps[-1]["probability"]

    def to_pandas(self):
        """The steps as a DataFrame (needs pandas)."""
        pd = _optional("pandas")
        if pd is None:
            raise ImportError("to_pandas needs pandas")
        return pd.DataFrame.from_records(self.steps, columns=self.COLUMNS)

    def to_dict(self) -> dict:
        return {"steps": [dict(s) for s in self.steps], "weight": self.weight, "probability": self.probability,
                "explanation": self.explanation}

    def plot(self, ax=None, *, figsize=(8, 4.5)):
        """A waterfall chart: one bar per step from the running total before it
        to the total after it (green adds evidence, red removes it), and the
        final weight. Returns the matplotlib Axes."""
        fig, ax = _axes(ax, figsize)
        labels, bottoms, heights, colors = [], [], [], []
        prev = 0.0
        for s in self.steps:
            step = s["weight"] + s["tf_weight"] if s["comparison"] != "prior" else s["cumulative"]
            labels.append("prior" if s["comparison"] == "prior" else f"{s['comparison']}\n{s['level']}")
            bottoms.append(prev)
            heights.append(step)
            colors.append("#888888" if s["comparison"] == "prior" else ("#2a9d4a" if step >= 0 else "#c0392b"))
            prev = s["cumulative"]
        labels.append("final")
        bottoms.append(0.0)
        heights.append(prev)
        colors.append("#1f4e9a")
        x = range(len(labels))
        ax.bar(x, heights, bottom=bottoms, color=colors)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(list(x))
        ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=8)
        ax.set_ylabel("match weight (bits)")
        ax.set_title(f"match weight {self.weight:+.2f}, probability {self.probability:.4f}")
        fig.tight_layout()
        return ax

    def __repr__(self):
        lines = [f"{'comparison':<20} {'level':<16} {'weight':>8} {'tf':>6} {'total':>8} {'prob':>8}"]
        for s in self.steps:
            lines.append(f"{s['comparison']:<20} {s['level']:<16} {s['weight']:>+8.2f} {s['tf_weight']:>+6.2f} "
                         f"{s['cumulative']:>+8.2f} {s['probability']:>8.4f}")
        return "\n".join(lines)

    def _repr_html_(self):
        rows = "".join(
            f"<tr><td>{s['comparison']}</td><td>{s['level']}</td><td>{s['weight']:+.2f}</td>"
            f"<td>{s['tf_weight']:+.2f}</td><td>{s['cumulative']:+.2f}</td><td>{s['probability']:.4f}</td></tr>"
            for s in self.steps)
        head = "".join(f"<th>{c}</th>" for c in self.COLUMNS)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


class Model:
    """A linkage model: fields, comparisons with levels (m, u, match
    weight), blocking and deterministic rules, thresholds.

    ``Model.load("builtin:hcp")`` (also "builtin:patient", "builtin:febrl")
    or ``Model.load("my_model.json")``; ``Model.from_dict(d)`` builds one from
    a dict in the model-file schema (docs in npimatch/model.h). Invalid
    models raise :class:`npimatch.NpimatchError` naming the JSON path."""

    __slots__ = ("_h", "_d", "training")

    def __init__(self, _handle):
        if not isinstance(_handle, _c._Model):
            raise TypeError("use Model.load(...) or Model.from_dict(...)")
        self._h = _handle
        self._d = json.loads(_handle.to_json())
        self.training = None  # npimatch.train's report for a model it trained

    @classmethod
    def load(cls, path):
        """Load a model file (JSON, plain or .zst) or a built-in model."""
        p = os.fspath(path)
        return cls(_c._model_load(os.fsdecode(p) if isinstance(p, bytes) else p))

    @classmethod
    def of(cls, model):
        """``model`` itself when it is a Model, else ``Model.load(model)`` (a
        path or a "builtin:..." name): what every call taking a model accepts."""
        return model if isinstance(model, cls) else cls.load(model)

    @classmethod
    def from_json(cls, text: str, name: str = "<json>"):
        return cls(_c._model_parse(text, name))

    @classmethod
    def from_dict(cls, d: dict):
        return cls.from_json(json.dumps(d), "<dict>")

    def save(self, path):
        """Write the model JSON atomically (a .zst path compresses)."""
        p = os.fspath(path)
        self._h.save(os.fsdecode(p) if isinstance(p, bytes) else p)

    def to_json(self) -> str:
        """The model as JSON, the bytes ``save`` writes (each level with its weight)."""
        return self._h.to_json()

    def to_dict(self) -> dict:
        """The model as a dict (a copy: edit it and ``Model.from_dict`` it back)."""
        return json.loads(self._h.to_json())

    # ---- properties ----
    @property
    def name(self) -> str:
        return self._d.get("name", "")

    @property
    def description(self) -> str:
        return self._d.get("description", "")

    @property
    def link_type(self) -> str:
        return self._d.get("link_type", "link_only")

    @property
    def probability_two_random_records_match(self) -> float:
        """lambda, the prior probability that two random records match."""
        return self._d["probability_two_random_records_match"]

    lambda_ = probability_two_random_records_match  # `model.lambda` is a syntax error in Python

    @property
    def prior_weight(self) -> float:
        """log2(lambda / (1 - lambda))."""
        lam = self.probability_two_random_records_match
        return math.log2(lam / (1 - lam))

    @property
    def fields(self) -> list:
        return [dict(f) for f in self._d["fields"]]

    @property
    def comparisons(self) -> list:
        """One dict per comparison: name, fields, levels (label, predicate, m,
        u, weight = log2(m/u); the null level has no m/u and weight 0)."""
        out = []
        for c in self._d["comparisons"]:
            levels = []
            for lv in c["levels"]:
                lv = dict(lv)
                if lv["predicate"] == "null":
                    lv.setdefault("weight", 0.0)
                levels.append(lv)
            out.append({"name": c["name"], "fields": list(c["fields"]), "levels": levels})
        return out

    @property
    def thresholds(self) -> dict:
        return dict(self._d.get("thresholds", {}))

    def weights(self):
        """One row per (comparison, level): comparison, level, predicate, m,
        u, weight. A DataFrame with pandas, else a list of dicts."""
        rows = []
        for c in self.comparisons:
            for lv in c["levels"]:
                rows.append((c["name"], lv["label"], lv["predicate"], lv.get("m"), lv.get("u"), lv.get("weight", 0.0)))
        return _frame(rows, ("comparison", "level", "predicate", "m", "u", "weight"))

    # ---- scoring and explanation ----
    def _vector(self, levels):
        comps = self._d["comparisons"]
        if isinstance(levels, dict):
            names = {c["name"] for c in comps}
            unknown = set(levels) - names
            if unknown:
                raise ValueError(f"unknown comparisons: {sorted(unknown)}")
            seq = []
            for c in comps:
                v = levels.get(c["name"])
                if v is None:
                    nulls = [i for i, lv in enumerate(c["levels"]) if lv["predicate"] == "null"]
                    if not nulls:
                        raise ValueError(f"comparison '{c['name']}' has no null level: give its level")
                    v = nulls[0]
                seq.append(v)
        else:
            seq = list(levels)
        if len(seq) != len(comps):
            raise ValueError(f"expected {len(comps)} levels (one per comparison), got {len(seq)}")
        out = []
        for c, v in zip(comps, seq):
            if isinstance(v, str):
                labels = [lv["label"] for lv in c["levels"]]
                if v not in labels:
                    raise ValueError(f"comparison '{c['name']}' has no level '{v}' (levels: {labels})")
                v = labels.index(v)
            out.append(int(v))
        return out

    def _tf(self, tf):
        if tf is None:
            return None
        if isinstance(tf, dict):
            return [float(tf.get(c["name"], 0.0)) for c in self._d["comparisons"]]
        return [float(x) for x in tf]

    def waterfall(self, levels, tf=None) -> Waterfall:
        """The waterfall of one comparison vector. ``levels``: a dict
        {comparison: level label or index} (comparisons left out are null),
        or one label/index per comparison in model order. ``tf``: optional
        relative term frequencies, a dict or one per comparison."""
        steps, text = self._h.explain(self._vector(levels), self._tf(tf))
        return Waterfall(steps, text)

    def explain(self, levels, tf=None) -> str:
        """The engine's compact explanation ("last_name=exact:+9.8;...")."""
        return self._h.explain(self._vector(levels), self._tf(tf))[1]

    def score(self, levels, tf=None) -> float:
        """Match weight (bits) of one comparison vector, prior included."""
        return self.waterfall(levels, tf).weight

    # ---- plots ----
    def plot_weights(self, *, figsize=None):
        """Splink-style chart of the model: per comparison and level, the
        match weight log2(m/u) (left) and the m and u probabilities (right,
        log scale). Null levels are left out (they weigh 0). Returns the
        matplotlib Figure (axes in ``fig.axes``)."""
        plt = _pyplot()
        labels, weights, ms, us = [], [], [], []
        for c in self.comparisons:
            for lv in c["levels"]:
                if lv["predicate"] == "null":
                    continue
                labels.append(f"{c['name']}: {lv['label']}")
                weights.append(lv.get("weight", 0.0))
                ms.append(lv.get("m", float("nan")))
                us.append(lv.get("u", float("nan")))
        n = len(labels)
        fig, (axw, axp) = plt.subplots(1, 2, sharey=True, figsize=figsize or (11, max(3.0, 0.22 * n + 1.2)))
        y = list(range(n))
        axw.barh(y, weights, color=["#2a9d4a" if w >= 0 else "#c0392b" for w in weights])
        axw.axvline(0, color="black", linewidth=0.8)
        axw.set_yticks(y)
        axw.set_yticklabels(labels, fontsize=7)
        axw.invert_yaxis()
        axw.set_xlabel("match weight log2(m/u)")
        axw.set_title(f"{self.name}: weights (prior {self.prior_weight:+.1f})")
        h = 0.4
        axp.barh([i - h / 2 for i in y], ms, height=h, label="m", color="#1f77b4")
        axp.barh([i + h / 2 for i in y], us, height=h, label="u", color="#ff7f0e")
        axp.set_xscale("log")
        axp.set_xlabel("probability (log)")
        axp.set_title("m and u")
        axp.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        return fig

    def __repr__(self):
        return (f"<npimatch.Model '{self.name}' {self.link_type}, {len(self._d['fields'])} fields, "
                f"{len(self._d['comparisons'])} comparisons, lambda={self.probability_two_random_records_match:g}>")

