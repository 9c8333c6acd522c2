#!/usr/bin/env python3
"""Peer baselines for bench_jw: the same all-pairs Jaro-Winkler over the same
names file (written by `bench_jw --dump-names FILE`), through

  * rapidfuzz  process.cdist(scorer=JaroWinkler.similarity, workers=1)
    (its SIMD one-vs-many path for short strings), and
  * jellyfish  jaro_winkler_similarity, on the first --jelly-queries queries
    (a Python loop: ~100x slower, so sampled).

Reports CPU seconds of this process (time.process_time, so other load on a
shared machine does not count) and wall time, in ns per pair, and the same
checksum as bench_jw (sum over queries of every 97th candidate's score) so the
scores can be compared. A benchmark only: npimatch never depends on these.

usage: jw_peers.py NAMES_FILE [--queries Q] [--jelly-queries J] [--chunk C]
"""
import argparse
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names")
    ap.add_argument("--queries", type=int, default=0, help="rapidfuzz queries (default: all names)")
    ap.add_argument("--jelly-queries", type=int, default=0, help="jellyfish queries (default: names/50)")
    ap.add_argument("--chunk", type=int, default=500, help="queries per cdist call (bounds memory)")
    a = ap.parse_args()
    with open(a.names, encoding="latin-1") as f:
        names = [line.rstrip("\r\n") for line in f if line.rstrip("\r\n")]
    n = len(names)
    nq = a.queries or n
    print(f"names: {n} from {a.names}, mean length {sum(map(len, names)) / n:.2f}")

    try:
        import numpy as np
        from rapidfuzz import process
        from rapidfuzz.distance import JaroWinkler
        import rapidfuzz

        chk = 0.0
        c0, w0 = time.process_time(), time.perf_counter()
        for s in range(0, nq, a.chunk):
            m = process.cdist(names[s:min(nq, s + a.chunk)], names, scorer=JaroWinkler.similarity,
                              workers=1, dtype=np.float64)
            chk += float(m[:, ::97].sum())
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        pairs = nq * n
        print(f"rapidfuzz {rapidfuzz.__version__} cdist(JaroWinkler, workers=1) {pairs:11d} pairs  "
              f"cpu {cpu:7.3f} s  {cpu * 1e9 / pairs:7.3f} ns/pair  (wall {wall * 1e9 / pairs:7.3f} ns/pair)  "
              f"checksum(first {nq} queries) {chk:.6f}")
    except ImportError as e:
        print(f"rapidfuzz not available: {e}")

    try:
        import jellyfish

        jq = a.jelly_queries or max(1, n // 50)
        jw = jellyfish.jaro_winkler_similarity
        chk = 0.0
        c0, w0 = time.process_time(), time.perf_counter()
        for q in names[:jq]:
            row = [jw(q, c) for c in names]
            chk += sum(row[::97])
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        pairs = jq * n
        try:
            from importlib.metadata import version
            ver = version("jellyfish")
        except Exception:
            ver = getattr(jellyfish, "__version__", "?")
        print(f"jellyfish {ver} jaro_winkler_similarity (Python loop) {pairs:11d} pairs  cpu {cpu:7.3f} s  "
              f"{cpu * 1e9 / pairs:7.3f} ns/pair  (wall {wall * 1e9 / pairs:7.3f} ns/pair)  "
              f"checksum(first {jq} queries) {chk:.6f}")
    except ImportError as e:
        print(f"jellyfish not available: {e}")


if __name__ == "__main__":
    main()
