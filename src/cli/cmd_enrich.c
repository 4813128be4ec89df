/*
 * cli/cmd_enrich.c - the enrichment commands and the loading of the knowledge sources:
 * data update|status, enrich, contact, vertical, advisory.
 * Invariants:
 *  - Data files live under the data directory (--data, BOTWATCH_DATA, default .cache/data):
 *    asn.bin (compiled from asn/asn-ipv4.csv and asn/asn-ipv6.csv), the country MMDB under
 *    geo/, and the Recog XML databases under recog/.
 *  - A missing or corrupt source is reported once, naming the file and how to fetch it, and
 *    everything goes on without that field.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/cli.h"
#include "enrich/enrich.h"
#include "pipeline/pipeline.h"

#define FETCH_HINT "run 'botwatch data update' (or scripts/fetch-data.sh)"

static void data_path(const struct bw_cli *cli, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", cli->data_dir, name);
}

static bool file_exists(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0;
}

/* ---- loading ---- */

struct override_load {
    uint32_t *asn;
    uint8_t *vertical;
    size_t n;
};

static int load_override(void *ctx, uint32_t asn, const char *vertical)
{
    struct override_load *ol = ctx;
    enum bw_vertical v;

    if (bw_vertical_parse(&v, vertical) != BW_OK)
        return 0;
    ol->asn = bw_xrealloc(ol->asn, (ol->n + 1) * sizeof(*ol->asn));
    ol->vertical = bw_xrealloc(ol->vertical, (ol->n + 1) * sizeof(*ol->vertical));
    ol->asn[ol->n] = asn; /* the store lists them sorted by asn */
    ol->vertical[ol->n] = (uint8_t)v;
    ol->n++;
    return 0;
}

static int load_contact(void *ctx, const struct bw_contact_row *row)
{
    struct bw_contact c = { 0 };

    snprintf(c.name, sizeof(c.name), "%s", row->name);
    snprintf(c.email, sizeof(c.email), "%s", row->email);
    snprintf(c.webhook, sizeof(c.webhook), "%s", row->webhook);
    snprintf(c.parent, sizeof(c.parent), "%s", row->parent);
    snprintf(c.scope, sizeof(c.scope), "%s", row->scope);
    c.role = strcmp(row->role, "cert") == 0       ? BW_ROLE_CERT
             : strcmp(row->role, "upstream") == 0 ? BW_ROLE_UPSTREAM
                                                  : BW_ROLE_ISP;
    if (bw_contacts_add(ctx, &c) != BW_OK) /* rows were checked at import; skip a bad one */
        bw_log_warn("enrich: stored contact \"%s\" is not usable", row->name);
    return 0;
}

int bw_cli_enricher_open(struct bw_cli *cli, struct bw_store *st, unsigned what,
                         struct bw_cli_enricher *ce)
{
    char path[4096];
    struct bw_diag d = { "" };
    struct override_load ol = { 0 };
    size_t fingerprints = 0, skipped = 0;
    int rc;

    memset(ce, 0, sizeof(*ce));
    rc = BW_OK;
    if (what & BW_SRC_NETWORK) {
        data_path(cli, "asn.bin", path, sizeof(path));
        if (bw_asn_open(&ce->asn, path, &d) != BW_OK)
            bw_log_warn("enrich: no network data (%s); %s", d.msg, FETCH_HINT);
        d.msg[0] = '\0';
        if (cli->conf.mmdb[0] != '\0')
            snprintf(path, sizeof(path), "%s", cli->conf.mmdb);
        else
            data_path(cli, "geo/geo-whois-asn-country.mmdb", path, sizeof(path));
        if (bw_geo_open(&ce->geo, path, &d) != BW_OK)
            bw_log_warn("enrich: no country data (%s); %s", d.msg, FETCH_HINT);
        rc = bw_store_vertical_list(st, load_override, &ol);
    }
    if (rc == BW_OK && (what & BW_SRC_DEVICE)) {
        d.msg[0] = '\0';
        data_path(cli, "recog", path, sizeof(path));
        if (bw_recog_open(&ce->recog, path, &fingerprints, &skipped, &d) != BW_OK)
            bw_log_warn("enrich: no device fingerprints (%s); %s", d.msg, FETCH_HINT);
        else if (skipped > 0) /* Recog patterns PCRE2 rejects: said once, then left out */
            bw_log_warn("enrich: %zu Recog fingerprints loaded, %zu skipped (%s)",
                        fingerprints, skipped, d.msg);
    }
    if (rc == BW_OK && (what & BW_SRC_CONTACTS)) {
        ce->contacts = bw_contacts_new();
        rc = bw_store_contacts_list(st, load_contact, ce->contacts);
        d.msg[0] = '\0';
        if (rc == BW_OK && bw_contacts_seal(ce->contacts, &d) != BW_OK) {
            bw_log_warn("enrich: contacts not used (%s)", d.msg);
            bw_contacts_free(ce->contacts);
            ce->contacts = NULL;
        }
    }
    ce->override_asn = ol.asn;
    ce->override_vertical = ol.vertical;
    ce->en = (struct bw_enricher){
        .asn = ce->asn,
        .geo = ce->geo,
        .recog = ce->recog,
        .contacts = ce->contacts,
        .override_asn = ol.asn,
        .override_vertical = ol.vertical,
        .n_overrides = ol.n,
    };
    if (rc != BW_OK)
        bw_cli_enricher_close(ce);
    return rc;
}

void bw_cli_enricher_close(struct bw_cli_enricher *ce)
{
    bw_asn_close(ce->asn);
    bw_geo_close(ce->geo);
    bw_recog_close(ce->recog);
    bw_contacts_free(ce->contacts);
    free(ce->override_asn);
    free(ce->override_vertical);
    memset(ce, 0, sizeof(*ce));
}

/* ---- data ---- */

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out;
    char buf[65536];
    size_t n;
    int rc = BW_OK;

    if (in == NULL)
        return -errno;
    out = fopen(to, "wb");
    if (out == NULL) {
        rc = -errno;
        fclose(in);
        return rc;
    }
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        if (fwrite(buf, 1, n, out) != n) {
            rc = BW_EIO;
            break;
        }
    }
    if (ferror(in))
        rc = BW_EIO;
    fclose(in);
    if (fclose(out) != 0)
        rc = BW_EIO;
    return rc;
}

/* Copies the *.xml files of a Recog checkout into the data directory. */
static int copy_recog(const char *from_dir, const char *to_dir, size_t *copied)
{
    DIR *dir = opendir(from_dir);
    struct dirent *de;
    int rc = BW_OK;

    *copied = 0;
    if (dir == NULL)
        return -errno;
    mkdir(to_dir, 0755);
    while (rc == BW_OK && (de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        char a[8192], b[8192];

        if (len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0)
            continue;
        snprintf(a, sizeof(a), "%s/%s", from_dir, de->d_name);
        snprintf(b, sizeof(b), "%s/%s", to_dir, de->d_name);
        rc = copy_file(a, b);
        if (rc == BW_OK)
            (*copied)++;
    }
    closedir(dir);
    return rc;
}

/* True when s can go inside single quotes in a shell command as is. */
static bool shell_safe(const char *s)
{
    return strchr(s, '\'') == NULL && s[0] != '\0';
}

static int data_update(struct bw_cli *cli, bool force, const char *recog_from)
{
    char v4[4096], v6[4096], bin[4096], cmd[16384], recog[4096];
    uint64_t ranges = 0, bad = 0;
    struct bw_diag d = { "" };
    size_t copied = 0;
    int rc;

    data_path(cli, "asn/asn-ipv4.csv", v4, sizeof(v4));
    data_path(cli, "asn/asn-ipv6.csv", v6, sizeof(v6));
    data_path(cli, "asn.bin", bin, sizeof(bin));
    data_path(cli, "recog", recog, sizeof(recog));
    if (force || !file_exists(v4)) {
        if (!shell_safe(cli->data_dir)) {
            bw_cli_error("data", "the data directory \"%s\" cannot contain a quote",
                         cli->data_dir);
            return BW_EXIT_USAGE;
        }
        /* npm is the registry client this project fetches data sets with */
        snprintf(cmd, sizeof(cmd),
                 "set -e; d='%s'; mkdir -p \"$d/npm\" \"$d/asn\" \"$d/geo\"; "
                 "cd \"$d/npm\"; rm -f ip-location-db-*.tgz; "
                 "npm pack --silent @ip-location-db/asn @ip-location-db/geo-whois-asn-country-mmdb "
                 ">/dev/null; "
                 "tar xzf ip-location-db-asn-*.tgz -C ../asn --strip-components=1; "
                 "tar xzf ip-location-db-geo-whois-asn-country-mmdb-*.tgz -C ../geo "
                 "--strip-components=1; ls ip-location-db-*.tgz > ../VERSIONS",
                 cli->data_dir);
        if (system(cmd) != 0) {
            bw_cli_error("data", "fetching @ip-location-db packages with npm into %s failed",
                         cli->data_dir);
            return BW_EXIT_FAIL;
        }
    }
    rc = bw_asn_compile(v4, v6, bin, &ranges, &bad, &d);
    if (rc != BW_OK) {
        bw_cli_error("data", "%s", d.msg[0] ? d.msg : bw_strerror(rc));
        return BW_EXIT_FAIL;
    }
    printf("data: %s: %llu ranges compiled (%llu bad rows skipped)\n", bin,
           (unsigned long long)ranges, (unsigned long long)bad);
    if (recog_from == NULL && !file_exists(recog))
        recog_from = BW_RECOG_SOURCE;
    if (recog_from != NULL) {
        rc = copy_recog(recog_from, recog, &copied);
        if (rc != BW_OK) {
            bw_cli_error("data", "%s: cannot copy the Recog databases (%s)", recog_from,
                         bw_strerror(rc));
            return BW_EXIT_FAIL;
        }
        printf("data: %s: %zu Recog databases\n", recog, copied);
    }
    return BW_EXIT_OK;
}

int bw_cmd_data(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { "recog", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *recog_from = NULL;
    bool force = false;
    int c;

    while ((c = getopt_long(argc, argv, "fr:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': force = true; break;
        case 'r': recog_from = optarg; break;
        case 'h':
            printf("usage: botwatch [--data DIR] data update [--force] [--recog DIR]\n"
                   "       botwatch [--data DIR] data status\n"
                   "\n"
                   "update fetches the IP-to-ASN and country data sets (npm packages\n"
                   "@ip-location-db/asn, CC-BY-4.0 RouteViews and DB-IP; and\n"
                   "@ip-location-db/geo-whois-asn-country-mmdb, CC0) when missing or with\n"
                   "--force, compiles the ASN range table, and copies the Recog XML databases\n"
                   "(from --recog DIR, by default the project's copy). Then run\n"
                   "'botwatch enrich --all' to re-enrich stored devices.\n");
            return BW_EXIT_OK;
        default: return BW_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc ||
        (strcmp(argv[optind], "update") != 0 && strcmp(argv[optind], "status") != 0)) {
        bw_cli_error("data", "give one action: update or status");
        return BW_EXIT_USAGE;
    }
    if (strcmp(argv[optind], "update") == 0)
        return data_update(cli, force, recog_from);
    {
        struct bw_cli_enricher ce;
        struct bw_store *st;

        if (bw_cli_open_store(cli, &st) != BW_OK)
            return BW_EXIT_FAIL;
        if (bw_cli_enricher_open(cli, st, BW_SRC_ALL, &ce) != BW_OK) {
            bw_store_close(st);
            return BW_EXIT_FAIL;
        }
        printf("data directory: %s\n", cli->data_dir);
        printf("  network (asn.bin):   %s\n", ce.asn ? "loaded" : "missing");
        printf("  country (mmdb):      %s\n", ce.geo ? "loaded" : "missing");
        printf("  devices (recog):     %s\n", ce.recog ? "loaded" : "missing");
        printf("  contacts:            %zu\n", ce.contacts ? bw_contacts_count(ce.contacts) : 0);
        printf("  sector overrides:    %zu\n", ce.en.n_overrides);
        bw_cli_enricher_close(&ce);
        bw_store_close(st);
    }
    return BW_EXIT_OK;
}

/* ---- enrich ---- */

struct reenrich {
    struct bw_store *st;
    const struct bw_enricher *en;
    int64_t now_s;
    uint64_t n;
};

static int reenrich_one(void *ctx, const struct bw_addr *a)
{
    struct reenrich *re = ctx;
    struct bw_enrichment e = { 0 };

    bw_enrich_network(re->en, a, &e);
    re->n++;
    return bw_store_device_enrich(re->st, a, &e, BW_ENRICH_NETWORK, re->now_s);
}

int bw_cmd_enrich(struct bw_cli *cli, int argc, char **argv)
{
    struct bw_cli_enricher ce;
    struct bw_store *st;
    struct reenrich re = { .now_s = cli->now_s };
    int rc;

    if (bw_cli_wants_help(argc, argv)) {
        printf("usage: botwatch enrich [--all]\n\nRe-enriches every stored device's network, "
               "country, sector and contact from the current data (after 'data update',\n"
               "'contact import' or 'vertical import').\n");
        return BW_EXIT_OK;
    }
    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--all") != 0)) {
        bw_cli_error("enrich", "usage: botwatch enrich [--all]");
        return BW_EXIT_USAGE;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    rc = bw_cli_enricher_open(cli, st, BW_SRC_NETWORK | BW_SRC_CONTACTS, &ce);
    if (rc == BW_OK) {
        re.st = st;
        re.en = &ce.en;
        rc = bw_store_begin(st);
        if (rc == BW_OK)
            rc = bw_store_device_addrs(st, reenrich_one, &re);
        if (rc == BW_OK)
            rc = bw_store_commit(st);
        else
            bw_store_rollback(st);
        bw_cli_enricher_close(&ce);
    }
    if (rc != BW_OK)
        bw_cli_error("enrich", "%s: %s (%s)", cli->db_path, bw_strerror(rc), bw_store_errmsg(st));
    else
        printf("enrich: %llu devices re-enriched\n", (unsigned long long)re.n);
    bw_store_close(st);
    return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
}

/* ---- contact ---- */

static char *read_all(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct bw_buf b;
    char chunk[65536];
    size_t n;

    if (f == NULL)
        return NULL;
    bw_buf_init(&b, max);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (bw_buf_append(&b, chunk, n) != BW_OK) {
            fclose(f);
            bw_buf_cleanup(&b);
            errno = EFBIG;
            return NULL;
        }
    }
    fclose(f);
    *len = b.len;
    return b.data;
}

static const char *role_name(enum bw_contact_role r)
{
    return r == BW_ROLE_CERT ? "cert" : r == BW_ROLE_UPSTREAM ? "upstream" : "isp";
}

static int print_contact(void *ctx, const struct bw_contact_row *r)
{
    json_t *arr = ctx;

    if (arr == NULL)
        printf("%-20s %-9s %-32s %-20s %s\n", r->name, r->role, r->email[0] ? r->email : "-",
               r->parent[0] ? r->parent : "-", r->scope);
    else
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "name", r->name,
                                             "scope", r->scope, "email", r->email, "webhook",
                                             r->webhook, "role", r->role, "parent", r->parent));
    return 0;
}

struct find_contact {
    const char *name;
    struct bw_contact_row row;
    bool found;
};

static int find_contact(void *ctx, const struct bw_contact_row *r)
{
    struct find_contact *fc = ctx;

    if (strcmp(r->name, fc->name) == 0) {
        fc->row = *r;
        fc->found = true;
    }
    return 0;
}

static int contact_import(struct bw_cli *cli, const char *path)
{
    struct bw_contacts *set;
    struct bw_buf errors;
    struct bw_contact_row *rows;
    struct bw_store *st;
    size_t len = 0, bad = 0, n;
    char *csv = read_all(path, 64u << 20, &len);
    int rc;

    if (csv == NULL) {
        bw_cli_error("contact", "%s: cannot read (%s)", path, bw_strerror(-errno));
        return BW_EXIT_FAIL;
    }
    bw_buf_init(&errors, 1u << 20);
    rc = bw_contacts_parse(&set, csv, len, &errors, &bad);
    free(csv);
    for (const char *line = errors.data; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t n_line = nl != NULL ? (size_t)(nl - line) : strlen(line);

        fprintf(stderr, "botwatch: contact: %s: %.*s\n", path, (int)n_line, line);
        line += n_line + (nl != NULL);
    }
    bw_buf_cleanup(&errors);
    if (rc != BW_OK) {
        bw_cli_error("contact", "%s: not a contacts CSV (%s)", path, bw_strerror(rc));
        return BW_EXIT_FAIL;
    }
    n = bw_contacts_count(set);
    rows = bw_xcalloc(n ? n : 1, sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        const struct bw_contact *c = bw_contacts_at(set, i);

        snprintf(rows[i].name, sizeof(rows[i].name), "%s", c->name);
        snprintf(rows[i].scope, sizeof(rows[i].scope), "%s", c->scope);
        snprintf(rows[i].email, sizeof(rows[i].email), "%s", c->email);
        snprintf(rows[i].webhook, sizeof(rows[i].webhook), "%s", c->webhook);
        snprintf(rows[i].role, sizeof(rows[i].role), "%s", role_name(c->role));
        snprintf(rows[i].parent, sizeof(rows[i].parent), "%s", c->parent);
    }
    bw_contacts_free(set);
    if (bw_cli_open_store(cli, &st) != BW_OK) {
        free(rows);
        return BW_EXIT_FAIL;
    }
    rc = bw_store_begin(st);
    if (rc == BW_OK)
        rc = bw_store_contacts_replace(st, rows, n);
    if (rc == BW_OK)
        rc = bw_store_commit(st);
    else
        bw_store_rollback(st);
    free(rows);
    if (rc != BW_OK) {
        bw_cli_error("contact", "%s: %s", cli->db_path, bw_store_errmsg(st));
        bw_store_close(st);
        return BW_EXIT_FAIL;
    }
    bw_store_close(st);
    printf("contact: %zu contacts imported, %zu rows skipped; run 'botwatch enrich --all' to "
           "apply them to stored devices\n", n, bad);
    return BW_EXIT_OK;
}

int bw_cmd_contact(struct bw_cli *cli, int argc, char **argv)
{
    struct bw_store *st;
    bool json = false;
    int first = 1, rc;

    if (bw_cli_wants_help(argc, argv) || argc < 2) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: botwatch contact import FILE\n"
                "       botwatch contact list [--json]\n"
                "       botwatch contact show NAME\n"
                "\n"
                "FILE is a CSV with the header name,scope,email,webhook,role,parent: scope is\n"
                "space-separated AS<n>, prefixes and/or two-letter country codes; role isp,\n"
                "upstream or cert; parent names the next contact up the escalation chain.\n"
                "The most specific scope answers for a device: prefix, then ASN, then country.\n");
        return argc < 2 ? BW_EXIT_USAGE : BW_EXIT_OK;
    }
    if (strcmp(argv[first], "import") == 0) {
        if (argc != 3) {
            bw_cli_error("contact", "import takes one FILE");
            return BW_EXIT_USAGE;
        }
        return contact_import(cli, argv[2]);
    }
    if (strcmp(argv[first], "list") == 0) {
        json_t *arr;

        json = argc == 3 && strcmp(argv[2], "--json") == 0;
        if (argc > 3 || (argc == 3 && !json)) {
            bw_cli_error("contact", "usage: botwatch contact list [--json]");
            return BW_EXIT_USAGE;
        }
        if (bw_cli_open_store(cli, &st) != BW_OK)
            return BW_EXIT_FAIL;
        arr = json ? json_array() : NULL;
        rc = bw_store_contacts_list(st, print_contact, arr);
        if (rc == BW_OK && arr != NULL) {
            json_dumpf(arr, stdout, JSON_COMPACT);
            putchar('\n');
        }
        json_decref(arr);
        bw_store_close(st);
        return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
    }
    if (strcmp(argv[first], "show") == 0) {
        struct find_contact fc = { .name = argc == 3 ? argv[2] : "" };

        if (argc != 3) {
            bw_cli_error("contact", "show takes one NAME");
            return BW_EXIT_USAGE;
        }
        if (bw_cli_open_store(cli, &st) != BW_OK)
            return BW_EXIT_FAIL;
        rc = bw_store_contacts_list(st, find_contact, &fc);
        if (rc == BW_OK && !fc.found) {
            bw_cli_error("contact", "no contact named \"%s\"", argv[2]);
            bw_store_close(st);
            return BW_EXIT_FAIL;
        }
        if (rc == BW_OK) {
            printf("name:    %s\nrole:    %s\nscope:   %s\nemail:   %s\nwebhook: %s\n",
                   fc.row.name, fc.row.role, fc.row.scope, fc.row.email, fc.row.webhook);
            printf("chain:   %s", fc.row.name);
            /* walk the parents; import refused cycles, the bound is for safety */
            for (int depth = 0; fc.row.parent[0] != '\0' && depth < 32; depth++) {
                struct find_contact up = { .name = fc.row.parent };

                printf(" -> %s", fc.row.parent);
                if (bw_store_contacts_list(st, find_contact, &up) != BW_OK || !up.found)
                    break;
                fc.row = up.row;
            }
            putchar('\n');
        }
        bw_store_close(st);
        return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
    }
    bw_cli_error("contact", "unknown action \"%s\" (import, list or show)", argv[first]);
    return BW_EXIT_USAGE;
}

/* ---- vertical ---- */

int bw_cmd_vertical(struct bw_cli *cli, int argc, char **argv)
{
    struct bw_store *st;
    char *csv, *line, *next;
    size_t len = 0, bad = 0, n = 0;
    unsigned lineno = 0;
    int rc;

    if (bw_cli_wants_help(argc, argv) || argc != 3 || strcmp(argv[1], "import") != 0) {
        bool help = bw_cli_wants_help(argc, argv);

        fprintf(help ? stdout : stderr,
                "usage: botwatch vertical import FILE\n\nFILE is a CSV 'asn,vertical' (a header "
                "line is optional); vertical is one of hosting, isp, mobile,\neducation, "
                "government, enterprise, unknown. It overrides the classifier; run\n'botwatch "
                "enrich --all' to apply it to stored devices.\n");
        return help ? BW_EXIT_OK : BW_EXIT_USAGE;
    }
    csv = read_all(argv[2], 64u << 20, &len);
    if (csv == NULL) {
        bw_cli_error("vertical", "%s: cannot read (%s)", argv[2], bw_strerror(-errno));
        return BW_EXIT_FAIL;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK) {
        free(csv);
        return BW_EXIT_FAIL;
    }
    rc = bw_store_begin(st);
    for (line = csv; rc == BW_OK && line != NULL && *line != '\0'; line = next) {
        char *comma, *end;
        enum bw_vertical v;
        unsigned long asn;

        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        end = line + strlen(line);
        while (end > line && (end[-1] == '\r' || end[-1] == ' '))
            *--end = '\0';
        if (*line == '\0' || (lineno == 1 && strncmp(line, "asn,", 4) == 0))
            continue;
        comma = strchr(line, ',');
        if (comma != NULL)
            *comma = '\0';
        if (strncasecmp(line, "AS", 2) == 0)
            line += 2;
        errno = 0;
        asn = strtoul(line, &end, 10);
        if (comma == NULL || *line == '\0' || *end != '\0' || errno != 0 || asn == 0 ||
            asn > UINT32_MAX || bw_vertical_parse(&v, comma + 1) != BW_OK) {
            fprintf(stderr, "botwatch: vertical: %s: line %u: not 'asn,vertical' with a "
                    "known vertical\n", argv[2], lineno);
            bad++;
            continue;
        }
        rc = bw_store_vertical_put(st, (uint32_t)asn, bw_vertical_name(v));
        n += rc == BW_OK;
    }
    free(csv);
    if (rc == BW_OK)
        rc = bw_store_commit(st);
    else
        bw_store_rollback(st);
    if (rc != BW_OK)
        bw_cli_error("vertical", "%s: %s", cli->db_path, bw_store_errmsg(st));
    else
        printf("vertical: %zu overrides imported, %zu rows skipped\n", n, bad);
    bw_store_close(st);
    return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
}

/* ---- advisory ---- */

static void advisory_usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch advisory import FILE\n"
            "       botwatch advisory add --vendor V --product P --action TEXT [--name N]\n"
            "       botwatch advisory list [--json]\n"
            "\n"
            "Remediation knowledge: 'import' reads CISA's Known Exploited Vulnerabilities\n"
            "catalog (JSON); 'add' records an operator's own note for a vendor and product.\n"
            "Lookups and notices show the entries that match a device's vendor and product,\n"
            "with the action to take.\n");
}

static int advisory_import(struct bw_cli *cli, const char *path)
{
    struct bw_advisories *set;
    struct bw_store *st;
    struct bw_diag d = { "" };
    size_t len = 0, skipped = 0, n;
    char *json = read_all(path, 256u << 20, &len);
    int rc;

    if (json == NULL) {
        bw_cli_error("advisory", "%s: cannot read (%s)", path, bw_strerror(-errno));
        return BW_EXIT_FAIL;
    }
    rc = bw_advisories_parse_kev(&set, json, len, &skipped, &d);
    free(json);
    if (rc != BW_OK) {
        bw_cli_error("advisory", "%s: %s", path, d.msg[0] ? d.msg : bw_strerror(rc));
        return BW_EXIT_FAIL;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK) {
        bw_advisories_free(set);
        return BW_EXIT_FAIL;
    }
    n = bw_advisories_count(set);
    rc = bw_store_begin(st);
    for (size_t i = 0; rc == BW_OK && i < n; i++) {
        const struct bw_advisory *a = bw_advisories_at(set, i);
        struct bw_advisory_row row = { .added_s = a->added_s };

        snprintf(row.id, sizeof(row.id), "%s", a->id);
        snprintf(row.vendor, sizeof(row.vendor), "%s", a->vendor);
        snprintf(row.product, sizeof(row.product), "%s", a->product);
        snprintf(row.name, sizeof(row.name), "%s", a->name);
        snprintf(row.action, sizeof(row.action), "%s", a->action);
        snprintf(row.source, sizeof(row.source), "kev");
        rc = bw_store_advisory_put(st, &row);
    }
    if (rc == BW_OK)
        rc = bw_store_commit(st);
    else
        bw_store_rollback(st);
    bw_advisories_free(set);
    if (rc != BW_OK)
        bw_cli_error("advisory", "%s: %s", cli->db_path, bw_store_errmsg(st));
    else
        printf("advisory: %zu advisories imported, %zu entries skipped\n", n, skipped);
    bw_store_close(st);
    return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
}

struct advisory_count {
    size_t notes;
    json_t *arr; /* list --json */
};

static int count_notes(void *ctx, const struct bw_advisory_row *r)
{
    struct advisory_count *ac = ctx;

    ac->notes += strcmp(r->source, "note") == 0;
    return 0;
}

static int print_advisory(void *ctx, const struct bw_advisory_row *r)
{
    struct advisory_count *ac = ctx;
    char t[BW_TIME_TEXT_MAX];

    if (ac->arr != NULL)
        json_array_append_new(ac->arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
                                                 r->id, "vendor", r->vendor, "product",
                                                 r->product, "name", r->name, "action",
                                                 r->action, "added",
                                                 bw_time_format(r->added_s, t), "source",
                                                 r->source));
    else
        printf("%-16s %-20s %-28s %s\n", r->id, r->vendor, r->product, r->name);
    return 0;
}

static int advisory_add(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "vendor", required_argument, NULL, 'v' },
        { "product", required_argument, NULL, 'p' },
        { "action", required_argument, NULL, 'a' },
        { "name", required_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    struct bw_advisory_row row = { .added_s = cli->now_s };
    struct advisory_count ac = { 0 };
    const char *vendor = NULL, *product = NULL, *action = NULL, *name = NULL;
    struct bw_store *st;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "v:p:a:n:", opts, NULL)) != -1) {
        switch (c) {
        case 'v': vendor = optarg; break;
        case 'p': product = optarg; break;
        case 'a': action = optarg; break;
        case 'n': name = optarg; break;
        default: advisory_usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (vendor == NULL || product == NULL || action == NULL || vendor[0] == '\0' ||
        product[0] == '\0' || action[0] == '\0' || optind + 1 != argc) {
        bw_cli_error("advisory", "add needs --vendor, --product and --action");
        return BW_EXIT_USAGE;
    }
    if (strlen(vendor) >= sizeof(row.vendor) || strlen(product) >= sizeof(row.product) ||
        strlen(action) >= sizeof(row.action) || (name && strlen(name) >= sizeof(row.name))) {
        bw_cli_error("advisory", "a field is too long (vendor %zu, product %zu, action %zu, "
                     "name %zu bytes at most)", sizeof(row.vendor) - 1, sizeof(row.product) - 1,
                     sizeof(row.action) - 1, sizeof(row.name) - 1);
        return BW_EXIT_USAGE;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    rc = bw_store_advisory_list(st, count_notes, &ac);
    snprintf(row.id, sizeof(row.id), "note:%zu", ac.notes + 1);
    snprintf(row.vendor, sizeof(row.vendor), "%s", vendor);
    snprintf(row.product, sizeof(row.product), "%s", product);
    snprintf(row.action, sizeof(row.action), "%s", action);
    snprintf(row.name, sizeof(row.name), "%s", name != NULL ? name : "operator note");
    snprintf(row.source, sizeof(row.source), "note");
    if (rc == BW_OK)
        rc = bw_store_advisory_put(st, &row);
    if (rc != BW_OK)
        bw_cli_error("advisory", "%s: %s", cli->db_path, bw_store_errmsg(st));
    else
        printf("advisory: %s added for %s %s\n", row.id, row.vendor, row.product);
    bw_store_close(st);
    return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
}

int bw_cmd_advisory(struct bw_cli *cli, int argc, char **argv)
{
    struct advisory_count ac = { 0 };
    struct bw_store *st;
    bool json;
    int rc;

    if (bw_cli_wants_help(argc, argv)) {
        advisory_usage(stdout);
        return BW_EXIT_OK;
    }
    if (argc >= 2 && strcmp(argv[1], "add") == 0)
        return advisory_add(cli, argc, argv);
    if (argc == 3 && strcmp(argv[1], "import") == 0)
        return advisory_import(cli, argv[2]);
    json = argc == 3 && strcmp(argv[2], "--json") == 0;
    if (argc < 2 || strcmp(argv[1], "list") != 0 || argc > 3 || (argc == 3 && !json)) {
        advisory_usage(stderr);
        return BW_EXIT_USAGE;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    ac.arr = json ? json_array() : NULL;
    rc = bw_store_advisory_list(st, print_advisory, &ac);
    if (rc == BW_OK && ac.arr != NULL) {
        json_dumpf(ac.arr, stdout, JSON_COMPACT);
        putchar('\n');
    }
    json_decref(ac.arr);
    bw_store_close(st);
    return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
}

/* Loads the stored advisories for matching in lookups. */
static int load_advisory(void *ctx, const struct bw_advisory_row *r)
{
    struct bw_advisory a = { .added_s = r->added_s };

    snprintf(a.id, sizeof(a.id), "%s", r->id);
    snprintf(a.vendor, sizeof(a.vendor), "%s", r->vendor);
    snprintf(a.product, sizeof(a.product), "%s", r->product);
    snprintf(a.name, sizeof(a.name), "%s", r->name);
    snprintf(a.action, sizeof(a.action), "%s", r->action);
    bw_advisories_add(ctx, &a);
    return 0;
}

int bw_cli_advisories_load(struct bw_store *st, struct bw_advisories **out)
{
    struct bw_advisories *a = bw_advisories_new();
    int rc = bw_store_advisory_list(st, load_advisory, a);

    if (rc != BW_OK) {
        bw_advisories_free(a);
        return rc;
    }
    *out = a;
    return BW_OK;
}
