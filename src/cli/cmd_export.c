/*
 * cli/cmd_export.c - botwatch export: the blocklist judged at --now, in one of the formats of
 * export/ (txt, cidr, csv, json, nft, ipset, rbldnsd, rbldnsd6, rpz, suricata).
 *
 * Entries come from a snapshot index built for the purpose (what the DNSBL and the HTTP API
 * serve, so every face publishes the same list), or with --from-store from the store directly,
 * judged here as `botwatch list` judges them. -o writes FILE.tmp and renames it over FILE, so a
 * firewall or rbldnsd reloading the file never reads half of one.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "export/export.h"
#include "index/index.h"

/* Declared in cli/cli.h once the command is registered; repeated so this file stands alone. */

static void export_usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch export --format NAME [--min-score N] [--category C...] [-o FILE]\n"
            "\n"
            "The listed addresses and networks at --now, in one format:\n"
            "  txt       one address or prefix a line\n"
            "  cidr      the fewest CIDR blocks covering them\n"
            "  csv       ip,categories,score\n"
            "  json      an array of {ip, categories, score}\n"
            "  nft       an nftables script (nft -f): table inet botwatch, interval sets\n"
            "            blocklist_v4 and blocklist_v6\n"
            "  ipset     an ipset restore file: hash:net sets botwatch4 and botwatch6\n"
            "  rbldnsd   an rbldnsd ip4set zone file (IPv4), 127.0.1.N per category\n"
            "  rbldnsd6  an rbldnsd ip6tset zone file (IPv6 /64s)\n"
            "  rpz       a DNS response policy zone of controller addresses (c2, malware)\n"
            "  suricata  Suricata rules for controller (c2) addresses\n"
            "\n"
            "  --min-score N    only entries scoring N or more (0-100)\n"
            "  --category C     only entries with category C (repeat, or C1,C2)\n"
            "  -o, --output F   write to F (atomically: F.tmp, then renamed); default stdout\n"
            "  --name NAME      nft table / ipset set name (default botwatch)\n"
            "  --zone ZONE      rbldnsd SOA/NS zone (default bl.botwatch.local)\n"
            "  --lookup-url URL rbldnsd TXT and suricata reference (the address is appended)\n"
            "  --drop           suricata: drop rules instead of alert rules\n"
            "  --from-store     judge the store directly instead of through a snapshot index\n"
            "  --snapshot FILE  export this snapshot file (botwatch snapshot build; a mirror's\n"
            "                   copy) instead of the database: no database is opened\n"
            "\n"
            "docs/export.md describes each format and how to load it.\n");
}

struct entries {
    struct bw_index_entry *v;
    size_t n, cap;
    const struct bw_policy *pol;
    struct bw_pfxset *allow;
    int64_t now_s;
};

static int judge(void *ctx, const struct bw_device *d, const struct bw_evidence *ev, size_t n,
                 uint8_t len)
{
    struct entries *es = ctx;
    struct bw_verdict v;

    bw_score(es->pol, ev, n, es->now_s, bw_pfxset_lookup(es->allow, &d->addr, NULL, NULL), &v);
    if (!v.listed)
        return 0;
    if (es->n == es->cap) {
        es->cap = es->cap ? 2 * es->cap : 4096;
        es->v = bw_xrealloc(es->v, es->cap * sizeof(*es->v));
    }
    es->v[es->n].prefix.addr = d->addr;
    es->v[es->n].prefix.len = len;
    es->v[es->n].cats = d->cats;
    es->v[es->n].score = (uint8_t)v.score;
    if (d->cats == 0) /* a network's aggregates live in its evidence */
        for (size_t i = 0; i < n; i++)
            es->v[es->n].cats |= ev[i].cats;
    es->n++;
    return 0;
}

static int on_device(void *ctx, const struct bw_device *d, const struct bw_evidence *ev, size_t n)
{
    return judge(ctx, d, ev, n, 128);
}

static int on_network(void *ctx, const struct bw_device *d, const struct bw_evidence *ev, size_t n)
{
    return judge(ctx, d, ev, n, n > 0 && ev[0].via.len > 0 ? ev[0].via.len : 128);
}

static int by_prefix(const void *a, const void *b)
{
    const struct bw_index_entry *x = a, *y = b;
    int c = bw_addr_cmp(&x->prefix.addr, &y->prefix.addr);

    return c != 0 ? c : (int)x->prefix.len - (int)y->prefix.len;
}

static int add_entry(void *ctx, const struct bw_index_entry *e)
{
    return bw_export_add(ctx, e);
}

/* The store path: every device and network judged here, sorted, then exported. */
static int export_from_store(struct bw_cli *cli, struct bw_store *st, struct bw_export *x)
{
    const struct bw_policy *p = &cli->conf.policy;
    struct entries es = { .pol = p, .now_s = cli->now_s };
    int64_t since = cli->now_s - (p->expiry_s < p->window_s ? p->expiry_s : p->window_s);
    int rc = bw_store_allow_load(st, &es.allow);

    if (rc == BW_OK)
        rc = bw_store_device_walk(st, since, on_device, &es);
    if (rc == BW_OK)
        rc = bw_store_network_walk(st, since, on_network, &es);
    if (rc != BW_OK)
        bw_cli_error("export", "%s: %s (%s)", cli->db_path, bw_strerror(rc),
                     bw_store_errmsg(st));
    bw_sort(es.v, es.n, sizeof(*es.v), by_prefix);
    for (size_t i = 0; i < es.n && rc == BW_OK; i++)
        rc = bw_export_add(x, &es.v[i]);
    free(es.v);
    bw_pfxset_free(es.allow);
    return rc;
}

/* A snapshot file given with --snapshot: walked as it is, no database needed (a mirror). */
static int export_from_snapshot(const char *path, struct bw_export *x)
{
    struct bw_diag diag = { "" };
    struct bw_index *ix = NULL;
    int rc = bw_index_open(&ix, path, &diag);

    if (rc != BW_OK) {
        bw_cli_error("export", "%s", diag.msg[0] ? diag.msg : bw_strerror(rc));
        return rc;
    }
    rc = bw_index_walk(ix, add_entry, x);
    bw_index_close(ix);
    return rc;
}

/* The index path: a snapshot built into a private temporary directory, walked, removed. */
static int export_from_index(struct bw_cli *cli, struct bw_store *st, struct bw_export *x)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096], path[4200];
    struct bw_diag diag = { "" };
    struct bw_index *ix = NULL;
    uint64_t entries = 0;
    int rc;

    snprintf(dir, sizeof(dir), "%s/botwatch-export-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        bw_cli_error("export", "%s: cannot create a temporary directory (%s)", dir,
                     bw_strerror(-errno));
        return -errno;
    }
    snprintf(path, sizeof(path), "%s/snapshot.bwi", dir);
    rc = bw_index_build_from_store(st, &cli->conf.policy, cli->now_s, path, &entries, &diag);
    if (rc == BW_OK)
        rc = bw_index_open(&ix, path, &diag);
    if (rc != BW_OK) {
        bw_cli_error("export", "%s: building the snapshot failed: %s (%s)", cli->db_path,
                     bw_strerror(rc), diag.msg);
    } else {
        rc = bw_index_walk(ix, add_entry, x);
        bw_index_close(ix);
    }
    unlink(path);
    rmdir(dir);
    return rc;
}

static int parse_categories(const char *arg, bw_catmask *mask)
{
    const char *s = arg;

    while (*s != '\0') {
        const char *end = strchr(s, ',');
        size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
        enum bw_category c;

        if (bw_category_parse(&c, s, len) != BW_OK) {
            bw_cli_error("export", "--category \"%.*s\" is not a category", (int)len, s);
            return BW_EMALFORMED;
        }
        *mask |= 1u << c;
        s += len;
        if (*s == ',')
            s++;
    }
    return BW_OK;
}

int bw_cmd_export(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "min-score", required_argument, NULL, 'm' },
        { "category", required_argument, NULL, 'c' },
        { "output", required_argument, NULL, 'o' },
        { "name", required_argument, NULL, 'N' },
        { "zone", required_argument, NULL, 'Z' },
        { "lookup-url", required_argument, NULL, 'U' },
        { "drop", no_argument, NULL, 'D' },
        { "from-store", no_argument, NULL, 'S' },
        { "snapshot", required_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct bw_export_opts eo = { .now_s = cli->now_s };
    enum bw_export_format f = BW_EXPORT_TXT;
    const char *format = NULL, *output = NULL, *snapshot = NULL;
    char tmp_path[4200];
    bool from_store = false;
    struct bw_store *st = NULL;
    struct bw_export *x;
    FILE *out = stdout;
    uint64_t v;
    int c, rc;

    while ((c = getopt_long(argc, argv, "f:m:c:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'm':
            if (bw_cli_parse_u64(optarg, 0, 100, &v) != BW_OK) {
                bw_cli_error("export", "--min-score \"%s\" is not a number from 0 to 100",
                             optarg);
                return BW_EXIT_USAGE;
            }
            eo.min_score = (int)v;
            break;
        case 'c':
            if (parse_categories(optarg, &eo.cats) != BW_OK)
                return BW_EXIT_USAGE;
            break;
        case 'o': output = optarg; break;
        case 'N': eo.name = optarg; break;
        case 'Z': eo.zone = optarg; break;
        case 'U': eo.lookup_url = optarg; break;
        case 'D': eo.suricata_drop = true; break;
        case 'S': from_store = true; break;
        case 'P': snapshot = optarg; break;
        case 'h': export_usage(stdout); return BW_EXIT_OK;
        default: export_usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        bw_cli_error("export", "unexpected argument \"%s\"", argv[optind]);
        return BW_EXIT_USAGE;
    }
    if (format == NULL) {
        bw_cli_error("export", "--format is required (txt, cidr, csv, json, nft, ipset, "
                               "rbldnsd, rbldnsd6, rpz, suricata)");
        return BW_EXIT_USAGE;
    }
    if (bw_export_format_parse(&f, format) != BW_OK) {
        bw_cli_error("export", "--format \"%s\" is not txt, cidr, csv, json, nft, ipset, "
                               "rbldnsd, rbldnsd6, rpz or suricata", format);
        return BW_EXIT_USAGE;
    }
    if (bw_export_opts_check(&eo) != BW_OK) {
        bw_cli_error("export", "--name (letters, digits, _; at most 24), --zone (a domain "
                               "name) or --lookup-url (no quotes, ';' or newlines) is not "
                               "usable in a script");
        return BW_EXIT_USAGE;
    }
    if (snapshot != NULL && from_store) {
        bw_cli_error("export", "--snapshot and --from-store exclude each other");
        return BW_EXIT_USAGE;
    }
    if (snapshot == NULL && bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    if (output != NULL) {
        snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", output);
        out = fopen(tmp_path, "w");
        if (out == NULL) {
            bw_cli_error("export", "%s: %s", tmp_path, bw_strerror(-errno));
            bw_store_close(st);
            return BW_EXIT_FAIL;
        }
    }
    x = bw_export_new(f, out, &eo);
    if (snapshot != NULL)
        rc = export_from_snapshot(snapshot, x);
    else
        rc = from_store ? export_from_store(cli, st, x) : export_from_index(cli, st, x);
    bw_store_close(st);
    if (rc != BW_OK) {
        bw_export_free(x);
    } else {
        uint64_t written = bw_export_written(x), skipped = bw_export_skipped(x);

        rc = bw_export_finish(x);
        if (rc != BW_OK)
            bw_cli_error("export", "%s: writing failed (%s)", output ? tmp_path : "stdout",
                         bw_strerror(rc));
        else if (output != NULL)
            printf("export: %llu entries as %s to %s\n", (unsigned long long)written, format,
                   output);
        if (rc == BW_OK && skipped > 0)
            bw_cli_error("export", "%llu IPv6 prefixes shorter than /48 left out (an ip6tset "
                                   "file lists /64s)", (unsigned long long)skipped);
    }
    if (output != NULL) {
        if (fclose(out) != 0 && rc == BW_OK) {
            rc = -errno;
            bw_cli_error("export", "%s: %s", tmp_path, bw_strerror(rc));
        }
        if (rc == BW_OK && rename(tmp_path, output) != 0) {
            rc = -errno;
            bw_cli_error("export", "%s: %s", output, bw_strerror(rc));
        }
        if (rc != BW_OK)
            unlink(tmp_path);
    }
    return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
}
