"""Comparators against published values and against themselves elementwise."""
import math
import random
import time

import pyarrow as pa
import pytest

import npimatch as nm
from conftest import as_list


# Winkler (1990) / Wikipedia worked examples.
JW_CASES = [
    ("MARTHA", "MARHTA", 0.9611111111, 0.9444444444),
    ("DWAYNE", "DUANE", 0.84, 0.8222222222),
    ("DIXON", "DICKSONX", 0.8133333333, 0.7666666667),
]


@pytest.mark.parametrize("a,b,jw,j", JW_CASES)
def test_jaro_winkler_known_values(a, b, jw, j):
    assert nm.jaro_winkler(a, b) == pytest.approx(jw, abs=1e-9)
    assert nm.jaro(a, b) == pytest.approx(j, abs=1e-9)


def test_jaro_winkler_edge_values():
    assert nm.jaro_winkler("SMITH", "SMITH") == 1.0
    assert nm.jaro_winkler("ABC", "XYZ") == 0.0
    assert nm.jaro_winkler("", "") == 0.0  # engine convention: empty scores 0
    assert nm.jaro_winkler(None, "SMITH") is None


def test_edit_distances():
    assert nm.levenshtein("KITTEN", "SITTING") == 3
    assert nm.levenshtein("", "ABC") == 3
    assert nm.levenshtein("FLAW", "LAWN") == 2
    assert nm.osa("CA", "AC") == 1
    assert nm.levenshtein("CA", "AC") == 2
    assert nm.osa("CA", "ABC") == 3  # OSA, not unrestricted Damerau (which gives 2)
    # Bounded: above max the result is max + 1.
    assert nm.levenshtein("KITTEN", "SITTING", max=1) == 2
    assert nm.levenshtein("KITTEN", "SITTING", max=5) == 3
    assert as_list(nm.levenshtein(["AB", None], ["AC", "X"])) == [1, None]
    with pytest.raises(ValueError):
        nm.levenshtein("A", "B", max=-1)


def test_vectorised_pairs_and_broadcast():
    a = ["MARTHA", "DWAYNE", None, "DIXON"]
    b = ["MARHTA", "DUANE", "X", "DICKSONX"]
    got = as_list(nm.jaro_winkler(a, b))
    assert got[2] is None
    for g, (x, y) in zip(got, zip(a, b)):
        if x is not None:
            assert g == nm.jaro_winkler(x, y)
    # str broadcast on either side
    assert as_list(nm.jaro_winkler("MARTHA", ["MARHTA", None])) == [nm.jaro_winkler("MARTHA", "MARHTA"), None]
    assert as_list(nm.jaro(["MARHTA"], "MARTHA")) == [nm.jaro("MARHTA", "MARTHA")]
    assert as_list(nm.jaro_winkler(None, ["A", "B"])) == [None, None]


def test_length_mismatch():
    with pytest.raises(ValueError, match="length mismatch"):
        nm.jaro_winkler(["A", "B"], ["A"])


def _names(n, seed):
    rnd = random.Random(seed)
    letters = "ABCDEHILMNORST"
    return ["".join(rnd.choice(letters) for _ in range(rnd.randint(0, 14))) for _ in range(n)]


def test_million_pairs_fast_and_equal_to_scalar():
    n = 1_000_000
    base_a, base_b = _names(1000, 1), _names(1000, 2)
    a = pa.array(base_a * (n // 1000))
    b = pa.array(base_b * (n // 1000))
    nm.jaro_winkler(a[:10], b[:10])  # warm-up (pyarrow import paths)
    # CPU time of the calling thread (the engine runs in it, GIL released):
    # unlike wall time it does not grow when the shared test machine is busy.
    dt = []
    for _ in range(2):
        t = time.thread_time()
        out = nm.jaro_winkler(a, b)
        dt.append(time.thread_time() - t)
    assert len(out) == n
    assert out.null_count == 0
    assert min(dt) < 0.5, f"1M jaro_winkler took {min(dt):.3f}s of CPU"
    vals = out.to_numpy()
    for i in random.Random(3).sample(range(n), 300):
        assert vals[i] == nm.jaro_winkler(base_a[i % 1000], base_b[i % 1000])


def test_query_against_column_matches_pairwise():
    # A str against a plain Arrow column takes the engine's SIMD batch kernel;
    # it must agree with the pairwise scalar path bit for bit, nulls included.
    cands = _names(5000, 4)
    cands[7] = None
    arr = pa.array(cands)
    for q in ["MARTHA", "A", "", "ABCDEHILMNORSTABCDEHILMNORST"]:
        for fn in (nm.jaro_winkler, nm.jaro):
            batch = as_list(fn(q, arr))
            pairwise = as_list(fn([q] * len(cands), cands))
            assert batch == pairwise
            sliced = as_list(fn(q, arr.slice(5, 100)))
            assert sliced == pairwise[5:105]


def test_results_are_float64_and_int32():
    assert nm.jaro_winkler(["A"], ["A"]).type == pa.float64()
    assert nm.levenshtein(["A"], ["B"]).type == pa.int32()
    assert not math.isnan(nm.jaro(["AB"], ["BA"])[0].as_py())


def test_every_simd_level_gives_identical_scores():
    # NPIMATCH_SIMD caps the kernel level per process; the batch path must be
    # bit-identical on each (the engine's rule, checked here through Python).
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, random, npimatch as nm, pyarrow as pa\n"
        "r = random.Random(5)\n"
        "c = [''.join(r.choice('ABCDEHILMNORST') for _ in range(r.randint(0, 40))) for _ in range(3000)]\n"
        "print(json.dumps([nm.simd_level(), nm.jaro_winkler('MARTHA JONES', pa.array(c)).to_pylist(),"
        " nm.jaro(pa.array(c), 'ELIZABETH').to_pylist()]))\n"
    )
    runs = {}
    for level in ("scalar", "avx2", "avx512"):
        env = dict(os.environ, NPIMATCH_SIMD=level)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        got_level, jw, j = json.loads(out.stdout)
        runs[level] = (jw, j)
    assert runs["scalar"] == runs["avx2"] == runs["avx512"]
