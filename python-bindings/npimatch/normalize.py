"""Vectorised normalizers and phonetic codes.

Each takes a ``str``, a list of ``str`` or an Arrow-compatible column and
returns the same kind of thing (see npimatch._io). Null in gives null out,
and so does an input with nothing usable in it (a phone that is not a
10-digit NANP number, an e-mail without a single '@', a name with no
letters): one representation for "missing". Functions with several outputs
return a table (pyarrow Table, pandas or polars DataFrame, or a dict for a
scalar input).
"""
from __future__ import annotations

from . import _npimatch as _c
from ._progress import tracked
from ._io import like_of, prep, wrap, wrap_table

NAME_FIELDS = ("prefix", "first", "middle", "last", "suffix", "credentials")
ADDRESS_FIELDS = ("number", "street", "unit", "po_box", "line")


def _one(kind, a, param=0):
    (col,) = _c._rows(kind, (prep(a, "a"),), param, ("a",))
    return wrap(col, like_of(a))


@tracked
def soundex(a):
    """American Soundex (NARA rule for H and W), e.g. ROBERT -> R163."""
    return _one("soundex", a)


@tracked
def nysiis(a, max_len=6):
    """NYSIIS code (Taft 1970); max_len=6 is the original truncation, 0 none."""
    if isinstance(max_len, bool) or not isinstance(max_len, int) or not 0 <= max_len <= 1 << 20:
        raise ValueError("max_len must be an int >= 0")
    return _one("nysiis", a, max_len)


@tracked
def double_metaphone(a):
    """Double Metaphone (Philips 2000): a tuple (primary, alternate)."""
    cols = _c._rows("double_metaphone", (prep(a, "a"),))
    like = like_of(a)
    return tuple(wrap(c, like) for c in cols)


@tracked
def normalize_text(a, keep_hyphen=False):
    """Upper-case ASCII with accents folded, punctuation to spaces, spaces collapsed."""
    return _one("normalize_text", a, 1 if keep_hyphen else 0)


@tracked
def normalize_phone(a):
    """US phone numbers to 10 digits (null when not a NANP number)."""
    return _one("normalize_phone", a)


@tracked
def normalize_email(a):
    """E-mail addresses lower-cased and trimmed (null when not an address)."""
    return _one("normalize_email", a)


@tracked
def normalize_zip(a, plus4=False):
    """ZIP codes to 5 digits; with plus4=True a table with columns zip5 and plus4."""
    cols = _c._rows("normalize_zip", (prep(a, "a"),))
    like = like_of(a)
    if plus4:
        return wrap_table(cols, ("zip5", "plus4"), like)
    return wrap(cols[0], like)


@tracked
def parse_date(a, as_int=False):
    """Dates (YYYY-MM-DD, MM/DD/YYYY, M/D/YY, YYYYMMDD, ...) to dates, or to
    int YYYYMMDD with as_int=True. Impossible dates are null."""
    return wrap(_c._parse_date(prep(a, "a"), not as_int), like_of(a))


@tracked
def normalize_name(full=None, *, first=None, middle=None, last=None, suffix=None, credential=None):
    """Person names to a table with columns prefix, first, middle, last,
    suffix, credentials. Either one full-name column ("Dr. Robert J. Smith
    Jr., M.D.", "SMITH, ROBERT J") or separate part columns (keywords)."""
    parts = (first, middle, last, suffix, credential)
    if full is not None:
        if any(p is not None for p in parts):
            raise TypeError("normalize_name: give either a full name or name parts, not both")
        cols = _c._rows("parse_full_name", (prep(full, "full"),), 0, ("full",))
        return wrap_table(cols, NAME_FIELDS, like_of(full))
    if all(p is None for p in parts):
        raise TypeError("normalize_name: give a full name or at least one of first, middle, last, suffix, credential")
    names = ("first", "middle", "last", "suffix", "credential")
    cols = _c._rows("normalize_name", tuple(prep(p, n) for p, n in zip(parts, names)), 0, names)
    return wrap_table(cols, NAME_FIELDS, like_of(*parts))


@tracked
def normalize_address(line1, line2=None):
    """Address lines (USPS Publication 28) to a table with columns number,
    street, unit, po_box, line."""
    cols = _c._rows("normalize_address", (prep(line1, "line1"), prep(line2, "line2")), 0, ("line1", "line2"))
    return wrap_table(cols, ADDRESS_FIELDS, like_of(line1, line2))
