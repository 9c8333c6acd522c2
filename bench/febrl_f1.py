"""Pairwise precision, recall, F1 of npimatch link/dedupe output on FEBRL (truth: rec-N-org / rec-N-dup-K share N).
 usage: febrl_f1.py link PAIRS.csv A.csv B.csv | clusters CLUSTERS.csv RECORDS.csv | pairs PAIRS.csv RECORDS.csv"""
import csv, sys, re, itertools, collections
def ent(i): return re.match(r'rec-(\d+)-', i).group(1)
mode = sys.argv[1]
if mode == 'link':
    pairs = set()
    for r in csv.DictReader(open(sys.argv[2])): pairs.add((r['left_id'], r['right_id']))
    A = [r['rec_id'] for r in csv.DictReader(open(sys.argv[3]))]
    B = [r['rec_id'] for r in csv.DictReader(open(sys.argv[4]))]
    bb = collections.defaultdict(list)
    for x in B: bb[ent(x)].append(x)
    truth = set((a, b) for a in A for b in bb[ent(a)])
else:
    recs = [r['rec_id'] for r in csv.DictReader(open(sys.argv[3]))]
    g = collections.defaultdict(list)
    for x in recs: g[ent(x)].append(x)
    truth = set()
    for v in g.values():
        for a, b in itertools.combinations(sorted(v), 2): truth.add((a, b))
    pairs = set()
    if mode == 'clusters':
        cl = collections.defaultdict(list)
        for r in csv.DictReader(open(sys.argv[2])):
            if r['cluster_id']: cl[r['cluster_id']].append(r['record_id'])
        for v in cl.values():
            for a, b in itertools.combinations(sorted(v), 2): pairs.add((a, b))
    else:
        for r in csv.DictReader(open(sys.argv[2])):
            a, b = sorted((r['left_id'], r['right_id'])); pairs.add((a, b))
tp = len(pairs & truth); fp = len(pairs - truth); fn = len(truth - pairs)
p = tp / max(1, tp + fp); r = tp / max(1, tp + fn)
print(f"{mode}: truth {len(truth)} predicted {len(pairs)} tp {tp} fp {fp} fn {fn} P {p:.5f} R {r:.5f} F1 {2*p*r/max(1e-12,p+r):.5f}")
