"""Vectorised string comparators: element i of ``a`` against element i of
``b`` (a ``str`` on either side is compared with every element of the
other). Null on either side gives null. Scores follow the engine's pinned
conventions (npimatch/compare.h): Jaro-Winkler with prefix scale 0.1, prefix
capped at 4, boost above 0.7 (Winkler 1990); two empty strings score 0.
Inputs are expected to be normalized (upper-case ASCII); bytes are compared.
"""
from __future__ import annotations

from . import _npimatch as _c
from ._progress import tracked
from ._io import like_of, prep, wrap

_JARO, _JW, _LEV, _OSA = 0, 1, 2, 3


def _pair(kind, a, b, max=-1):
    like = like_of(a, b)
    return wrap(_c._pair(kind, prep(a, "a"), prep(b, "b"), max), like)


def _bound(max):
    if max is None:
        return -1
    if isinstance(max, bool) or not isinstance(max, int) or max < 0:
        raise ValueError("max must be None or a non-negative int")
    return min(max, 2**31 - 2)


@tracked
def jaro_winkler(a, b):
    """Jaro-Winkler similarity in [0, 1] (float64; null where either side is null)."""
    return _pair(_JW, a, b)


@tracked
def jaro(a, b):
    """Jaro similarity in [0, 1] (float64; null where either side is null)."""
    return _pair(_JARO, a, b)


@tracked
def levenshtein(a, b, max=None):
    """Levenshtein distance (int32). With ``max``, distances above it are
    reported as ``max + 1`` and computed with an early exit."""
    return _pair(_LEV, a, b, _bound(max))


@tracked
def osa(a, b, max=None):
    """Optimal-string-alignment distance (Levenshtein plus adjacent
    transpositions, no substring edited twice); same ``max`` convention."""
    return _pair(_OSA, a, b, _bound(max))
