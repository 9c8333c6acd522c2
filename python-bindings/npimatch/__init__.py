"""npimatch: identity resolution and NPI matching, Python bindings.

Vectorised over pyarrow, pandas, polars, numpy and list inputs with no
per-row Python work; strings are read in place through the Arrow PyCapsule
interface and results come back as Arrow data (see npimatch._io for the
input and output rules). Also: linkage models (Model: load, save,
weights, waterfall explanations, plots), the engine's evaluator
(evaluate -> Report), person resolution across nights (resolve), generic
linkage (link, dedupe), training (train) and data generators
(generate_nppes, generate_hcp, generate_patients), with progress bars and
Ctrl-C cancellation for long calls (set_progress).
"""
from ._npimatch import (
    BadRowsError,
    Column,
    CorruptError,
    FormatError,
    NotFoundError,
    NpimatchError,
    NpimatchIOError,
    RegistryClosedError,
    UnsupportedError,
    VersionError,
    simd_level,
)
from .compare import jaro, jaro_winkler, levenshtein, osa
from .normalize import (
    double_metaphone,
    normalize_address,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_text,
    normalize_zip,
    nysiis,
    parse_date,
    soundex,
)
from .registry import Registry
from .model import Model, Waterfall
from .match import Matcher, explain
from .linkage import dedupe, link, resolve, train
from .evaluate import Report, evaluate
from .generate import PatientFeeds, generate_hcp, generate_nppes, generate_patients
from ._progress import get_progress, set_progress

__version__ = "0.1.0"

__all__ = [
    "BadRowsError", "Column", "CorruptError", "FormatError", "NotFoundError", "NpimatchError",
    "NpimatchIOError", "RegistryClosedError", "UnsupportedError", "VersionError", "simd_level",
    "jaro", "jaro_winkler", "levenshtein", "osa",
    "double_metaphone", "normalize_address", "normalize_email", "normalize_name", "normalize_phone",
    "normalize_text", "normalize_zip", "nysiis", "parse_date", "soundex",
    "Registry",
    "Model", "Waterfall", "Matcher", "explain", "Report", "evaluate",
    "resolve", "link", "dedupe", "train",
    "PatientFeeds", "generate_hcp", "generate_nppes", "generate_patients",
    "get_progress", "set_progress",
]
