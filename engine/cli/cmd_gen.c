/* npimatch gen: synthetic test data.
 *
 * One row per generator in GENERATORS below; `gen hcp` and `gen patients`
 * are added the same way (a parse-and-run function taking the arguments after
 * the generator name). */
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "gen/gen.h"
#include "gen/labelled.h"

static int usage_nppes(FILE *out) {
    fprintf(out,
            "usage: npimatch gen nppes --rows N --seed S --out FILE [--threads N] [--layout 330|329]\n"
            "                          [--deactivated-fraction F]\n\n"
            "Write a synthetic NPPES main file (npidata_pfile layout: quoted header, every field quoted,\n"
            "MM/DD/YYYY dates, LF line ends). Same seed => same bytes, whatever --threads.\n"
            "FILE ending in .zst is zstd-compressed; '-' writes to stdout.\n"
            "  --layout 330   current header (default); 329: the 2015 header (Provider Gender Code)\n"
            "  --deactivated-fraction F   share of deactivated stub rows (default 0.015)\n");
    return out == stdout ? NM_EXIT_OK : NM_EXIT_USAGE;
}

static int run_nppes(int argc, char **argv) {
    const char *cmd = "gen nppes";
    nm_gen_nppes_opts o = {.rows = 0, .seed = 1, .threads = 0, .layout = 330, .deactivated = 0.015, .out = NULL};
    int have_rows = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage_nppes(stdout);
        if (!v) {
            fprintf(stderr, "npimatch %s: %s needs a value\n", cmd, a);
            return usage_nppes(stderr);
        }
        i++;
        if (!strcmp(a, "--rows")) o.rows = (uint64_t)nm_cli_parse_long(cmd, a, v, 0, NM_GEN_NPI_SPACE), have_rows = 1;
        else if (!strcmp(a, "--seed")) o.seed = (uint64_t)nm_cli_parse_long(cmd, a, v, 0, 0x7FFFFFFFFFFFFFFFL);
        else if (!strcmp(a, "--threads")) o.threads = (int)nm_cli_parse_long(cmd, a, v, 1, 1024);
        else if (!strcmp(a, "--layout")) o.layout = (int)nm_cli_parse_long(cmd, a, v, 329, 330);
        else if (!strcmp(a, "--out")) o.out = v;
        else if (!strcmp(a, "--deactivated-fraction")) {
            char *end = NULL;
            o.deactivated = strtod(v, &end);
            if (!*v || *end || !(o.deactivated >= 0 && o.deactivated <= 1)) {
                fprintf(stderr, "npimatch %s: --deactivated-fraction needs a number from 0 to 1\n", cmd);
                return NM_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "npimatch %s: unknown option '%s'\n", cmd, a);
            return usage_nppes(stderr);
        }
    }
    if (!have_rows || !o.out) {
        fprintf(stderr, "npimatch %s: --rows and --out are required\n", cmd);
        return usage_nppes(stderr);
    }
    nm_err err = {0};
    if (nm_gen_nppes(&o, &err) < 0) {
        nm_cli_error(cmd, &err);
        return NM_EXIT_FAIL;
    }
    return NM_EXIT_OK;
}

/* A fraction option value in [0, 1], or a usage error. */
static int parse_fraction(const char *cmd, const char *opt, const char *v, double *out) {
    char *end = NULL;
    *out = strtod(v, &end);
    if (!*v || *end || !(*out >= 0 && *out <= 1)) {
        fprintf(stderr, "npimatch %s: %s needs a number from 0 to 1\n", cmd, opt);
        return -1;
    }
    return 0;
}

static int usage_hcp(FILE *out) {
    fprintf(out,
            "usage: npimatch gen hcp (--nppes NPPES.csv [--nppes pl_pfile.csv ...] | --registry REG.nmx) --rows N\n"
            "                        --seed S --out HCPS.csv\n"
            "                        --truth TRUTH.csv [--absent-fraction F] [--org-fraction F] [--threads N] [--counts]\n\n"
            "Write a customer HCP file drawn from registry providers, typed through the error model of\n"
            "docs/error-model.md (typos, nicknames, swapped names, old/mailing/secondary addresses, NPI column\n"
            "sometimes wrong ...), and its truth (record_id,npi; npi empty for providers absent from the\n"
            "registry). --nppes may repeat (main file, then othername/pl/deactivation files, as for index).\n"
            "Columns: record_id, first_name, middle_name, last_name, suffix, credential,\n"
            "organization_name, npi, address_line1, address_line2, city, state, postal_code, phone,\n"
            "taxonomy_code, license_number, license_state. Same seed and input => same bytes, whatever --threads.\n"
            "  --absent-fraction F   share of providers not in the registry (default 0.10)\n"
            "  --org-fraction F      share of organization providers (default 0.15)\n"
            "  --counts              print eligible/applied counts of each error kind to stderr\n");
    return out == stdout ? NM_EXIT_OK : NM_EXIT_USAGE;
}

static void print_counts(const nm_gen_counts *k, int nkinds, const char *(*name)(int), double (*rate)(int)) {
    fprintf(stderr, "records %llu, providers/persons %llu, absent %llu, organizations %llu, duplicates %llu\n",
            (unsigned long long)k->records, (unsigned long long)k->providers, (unsigned long long)k->absent_records,
            (unsigned long long)k->org_records, (unsigned long long)k->dup_records);
    fprintf(stderr, "%-30s %10s %10s %8s %8s\n", "error", "eligible", "applied", "rate", "target");
    for (int i = 0; i < nkinds; i++)
        fprintf(stderr, "%-30s %10llu %10llu %8.4f %8.4f\n", name(i), (unsigned long long)k->eligible[i],
                (unsigned long long)k->applied[i], k->eligible[i] ? (double)k->applied[i] / (double)k->eligible[i] : 0.0,
                rate(i));
}

static int run_hcp(int argc, char **argv) {
    const char *cmd = "gen hcp", *nppes[16], *snap = NULL;
    size_t nnppes = 0;
    nm_gen_hcp_opts o = {.seed = 1, .absent = 0.10, .orgs = 0.15};
    int have_rows = 0, counts = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage_hcp(stdout);
        if (!strcmp(a, "--counts")) { counts = 1; continue; }
        if (!v) {
            fprintf(stderr, "npimatch %s: %s needs a value\n", cmd, a);
            return usage_hcp(stderr);
        }
        i++;
        if (!strcmp(a, "--rows")) o.rows = (uint64_t)nm_cli_parse_long(cmd, a, v, 0, 0xFFFFFFFEL), have_rows = 1;
        else if (!strcmp(a, "--seed")) o.seed = (uint64_t)nm_cli_parse_long(cmd, a, v, 0, 0x7FFFFFFFFFFFFFFFL);
        else if (!strcmp(a, "--threads")) o.threads = (int)nm_cli_parse_long(cmd, a, v, 1, 1024);
        else if (!strcmp(a, "--out")) o.out = v;
        else if (!strcmp(a, "--truth")) o.truth = v;
        else if (!strcmp(a, "--nppes")) {
            if (nnppes == sizeof nppes / sizeof nppes[0]) {
                fprintf(stderr, "npimatch %s: at most 16 --nppes files\n", cmd);
                return NM_EXIT_USAGE;
            }
            nppes[nnppes++] = v;
        }
        else if (!strcmp(a, "--registry")) snap = v;
        else if (!strcmp(a, "--absent-fraction")) { if (parse_fraction(cmd, a, v, &o.absent)) return NM_EXIT_USAGE; }
        else if (!strcmp(a, "--org-fraction")) { if (parse_fraction(cmd, a, v, &o.orgs)) return NM_EXIT_USAGE; }
        else {
            fprintf(stderr, "npimatch %s: unknown option '%s'\n", cmd, a);
            return usage_hcp(stderr);
        }
    }
    if (!have_rows || !o.out || !o.truth || !nnppes == !snap) {
        fprintf(stderr, "npimatch %s: --rows, --out, --truth and one of --nppes / --registry are required\n", cmd);
        return usage_hcp(stderr);
    }
    nm_err err = {0};
    nm_registry *reg = NULL;
    int rc;
    if (snap) {
        rc = nm_registry_load(snap, &reg, &err);
    } else {
        nm_index_opts io = {.threads = o.threads, .quiet = 1};
        rc = nm_registry_build(nppes, nnppes, &io, &reg, NULL, &err);
    }
    nm_gen_counts k;
    o.reg = reg;
    o.counts = &k;
    if (rc >= 0) rc = nm_gen_hcp(&o, &err);
    nm_registry_free(reg);
    if (rc < 0) {
        nm_cli_error(cmd, &err);
        return NM_EXIT_FAIL;
    }
    if (counts) print_counts(&k, NM_HCP_NKINDS, nm_gen_hcp_error_name, nm_gen_hcp_error_rate);
    return NM_EXIT_OK;
}

static int usage_patients(FILE *out) {
    fprintf(out,
            "usage: npimatch gen patients --rows N --seed S --sources K --nights T --out DIR [--threads N] [--counts]\n\n"
            "Write nightly patient feeds from K sources over T nights: DIR/night_01.csv ... (columns source,\n"
            "record_id, first_name, middle_name, last_name, suffix, birth_date, sex, address_line1,\n"
            "address_line2, city, state, postal_code, phone, email), DIR/night_NN_deletes.csv (source,record_id)\n"
            "on nights with deletions, and DIR/truth.csv (source,record_id,person_id) for every record.\n"
            "N counts distinct records; updates re-send a record on a later night. Duplicates within and across\n"
            "sources, twins, Jr/Sr pairs and very common names; errors as in docs/error-model.md.\n"
            "Same seed => same bytes, whatever --threads.\n");
    return out == stdout ? NM_EXIT_OK : NM_EXIT_USAGE;
}

static int run_patients(int argc, char **argv) {
    const char *cmd = "gen patients";
    nm_gen_patients_opts o = {.seed = 1, .sources = 1, .nights = 1};
    int have_rows = 0, counts = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage_patients(stdout);
        if (!strcmp(a, "--counts")) { counts = 1; continue; }
        if (!v) {
            fprintf(stderr, "npimatch %s: %s needs a value\n", cmd, a);
            return usage_patients(stderr);
        }
        i++;
        if (!strcmp(a, "--rows")) o.rows = (uint64_t)nm_cli_parse_long(cmd, a, v, 0, 0xFFFFFFFEL), have_rows = 1;
        else if (!strcmp(a, "--seed")) o.seed = (uint64_t)nm_cli_parse_long(cmd, a, v, 0, 0x7FFFFFFFFFFFFFFFL);
        else if (!strcmp(a, "--sources")) o.sources = (int)nm_cli_parse_long(cmd, a, v, 1, 99);
        else if (!strcmp(a, "--nights")) o.nights = (int)nm_cli_parse_long(cmd, a, v, 1, 99);
        else if (!strcmp(a, "--threads")) o.threads = (int)nm_cli_parse_long(cmd, a, v, 1, 1024);
        else if (!strcmp(a, "--out")) o.dir = v;
        else {
            fprintf(stderr, "npimatch %s: unknown option '%s'\n", cmd, a);
            return usage_patients(stderr);
        }
    }
    if (!have_rows || !o.dir) {
        fprintf(stderr, "npimatch %s: --rows and --out are required\n", cmd);
        return usage_patients(stderr);
    }
    nm_gen_counts k;
    o.counts = &k;
    nm_err err = {0};
    if (nm_gen_patients(&o, &err) < 0) {
        nm_cli_error(cmd, &err);
        return NM_EXIT_FAIL;
    }
    if (counts) print_counts(&k, NM_PAT_NKINDS, nm_gen_patients_error_name, nm_gen_patients_error_rate);
    return NM_EXIT_OK;
}

static const struct {
    const char *name;
    const char *help;
    int (*run)(int argc, char **argv);
} GENERATORS[] = {
    {"nppes", "a synthetic NPPES main file (330 or 329 columns)", run_nppes},
    {"hcp", "a customer HCP file drawn from a registry, with NPI truth", run_hcp},
    {"patients", "nightly patient feeds from several sources, with person truth", run_patients},
};

static void usage(FILE *out) {
    fprintf(out, "usage: npimatch gen GENERATOR [OPTIONS]\n\ngenerators:\n");
    for (size_t i = 0; i < sizeof GENERATORS / sizeof GENERATORS[0]; i++)
        fprintf(out, "  %-9s %s\n", GENERATORS[i].name, GENERATORS[i].help);
    fprintf(out, "\nRun 'npimatch gen GENERATOR --help' for its options.\n");
}

int nm_cmd_gen(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? NM_EXIT_USAGE : NM_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof GENERATORS / sizeof GENERATORS[0]; i++)
        if (!strcmp(argv[1], GENERATORS[i].name)) return GENERATORS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "npimatch gen: unknown generator '%s'\n\n", argv[1]);
    usage(stderr);
    return NM_EXIT_USAGE;
}
