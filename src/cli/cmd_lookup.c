/*
 * cli/cmd_lookup.c - botwatch lookup (one address) and botwatch list (many): both judge
 * devices with score/ from their stored evidence, at --now.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"

#define RECENT_REPORTS 10

static json_t *time_or_null(int64_t t)
{
    char buf[BW_TIME_TEXT_MAX];

    return t > 0 ? json_string(bw_time_format(t, buf)) : json_null();
}

static json_t *categories_json(bw_catmask m)
{
    json_t *a = json_array();

    for (int c = 0; c < BW_CAT_COUNT; c++) {
        if (m & (1u << c))
            json_array_append_new(a, json_string(bw_category_name((enum bw_category)c)));
    }
    return a;
}

static json_t *str_or_null(const char *s)
{
    return s[0] != '\0' ? json_string(s) : json_null();
}

/* The enrichment fields every output carries. */
static void add_enrichment(json_t *o, const struct bw_enrichment *en)
{
    json_t *dev = json_object();

    json_object_set_new(o, "asn", en->asn ? json_integer(en->asn) : json_null());
    json_object_set_new(o, "as_org", str_or_null(en->as_org));
    json_object_set_new(o, "prefix", str_or_null(en->prefix));
    json_object_set_new(o, "country", str_or_null(en->country));
    if (en->region[0] != '\0')
        json_object_set_new(o, "region", json_string(en->region));
    if (en->city[0] != '\0')
        json_object_set_new(o, "city", json_string(en->city));
    json_object_set_new(o, "vertical", json_string(en->vertical[0] ? en->vertical : "unknown"));
    json_object_set_new(dev, "type", str_or_null(en->device_type));
    json_object_set_new(dev, "vendor", str_or_null(en->device_vendor));
    json_object_set_new(dev, "model", str_or_null(en->device_model));
    json_object_set_new(dev, "os", str_or_null(en->device_os));
    json_object_set_new(dev, "software", str_or_null(en->device_software));
    json_object_set_new(dev, "version", str_or_null(en->device_version));
    json_object_set_new(dev, "matched", str_or_null(en->device_matched));
    json_object_set_new(o, "device", dev);
}

/* ---- lookup ---- */

struct lookup {
    struct bw_cli *cli;
    struct bw_store *st;
    struct bw_pfxset *allow;
    struct bw_cli_enricher ce;     /* contacts (for the chain) */
    struct bw_advisories *advisories;
    json_t *out;
    bool json;
};

static void add_contact_and_advisories(struct lookup *lk, json_t *o,
                                       const struct bw_enrichment *en)
{
    const struct bw_contact *c = NULL;
    json_t *adv = json_array();

    if (lk->ce.contacts != NULL && en->contact[0] != '\0')
        c = bw_contacts_by_name(lk->ce.contacts, en->contact);
    if (c != NULL) {
        json_t *chain = json_array();
        const struct bw_contact *up = c;

        for (int depth = 0; up != NULL && depth < 32; depth++) {
            json_array_append_new(chain, json_string(up->name));
            up = up->parent[0] ? bw_contacts_by_name(lk->ce.contacts, up->parent) : NULL;
        }
        json_object_set_new(o, "contact", json_pack("{s:s, s:s?, s:s?, s:s, s:o}", "name",
                                                    c->name, "email",
                                                    c->email[0] ? c->email : NULL, "webhook",
                                                    c->webhook[0] ? c->webhook : NULL, "role",
                                                    c->role == BW_ROLE_CERT ? "cert"
                                                    : c->role == BW_ROLE_UPSTREAM ? "upstream"
                                                                                  : "isp",
                                                    "chain", chain));
    } else {
        json_object_set_new(o, "contact", json_null());
    }
    if ((en->device_vendor[0] != '\0' || en->device_model[0] != '\0') &&
        lk->advisories == NULL && bw_cli_advisories_load(lk->st, &lk->advisories) != BW_OK)
        lk->advisories = NULL; /* a lookup without advisories rather than none at all */
    if (lk->advisories != NULL &&
        (en->device_vendor[0] != '\0' || en->device_model[0] != '\0')) {
        struct bw_device_info dev = { 0 };
        const struct bw_advisory *hits[8];
        size_t n;

        snprintf(dev.type, sizeof(dev.type), "%s", en->device_type);
        snprintf(dev.vendor, sizeof(dev.vendor), "%s", en->device_vendor);
        snprintf(dev.model, sizeof(dev.model), "%s", en->device_model);
        snprintf(dev.os, sizeof(dev.os), "%s", en->device_os);
        snprintf(dev.software, sizeof(dev.software), "%s", en->device_software);
        snprintf(dev.version, sizeof(dev.version), "%s", en->device_version);
        n = bw_advisories_match(lk->advisories, &dev, hits, BW_ARRAY_LEN(hits));
        for (size_t i = 0; i < n; i++)
            json_array_append_new(adv, json_pack("{s:s, s:s, s:s, s:s}", "id", hits[i]->id,
                                                 "name", hits[i]->name, "product",
                                                 hits[i]->product, "action", hits[i]->action));
    }
    json_object_set_new(o, "advisories", adv);
}

static int add_recent(void *ctx, const struct bw_stored_report *r)
{
    json_t *a = ctx, *o = json_object();

    json_object_set_new(o, "time", time_or_null(r->time_s));
    json_object_set_new(o, "categories", categories_json(r->cats));
    json_object_set_new(o, "port", r->port ? json_integer(r->port) : json_null());
    json_object_set_new(o, "reporter", json_string(r->reporter));
    json_object_set_new(o, "source", json_string(r->source));
    json_object_set_new(o, "evidence", r->evidence ? json_string(r->evidence) : json_null());
    json_array_append_new(a, o);
    return 0;
}

static int judge_one(void *ctx, const struct bw_device *d, const struct bw_evidence *ev, size_t n)
{
    struct lookup *lk = ctx;
    const struct bw_policy *p = &lk->cli->conf.policy;
    char ip[BW_ADDR_TEXT_MAX];
    struct bw_prefix allowed;
    bool on_allowlist = bw_pfxset_lookup(lk->allow, &d->addr, NULL, &allowed);
    struct bw_verdict v;
    struct bw_buf why;
    json_t *o = json_object(), *sources = json_array(), *recent = json_array();
    int rc;

    bw_score(p, ev, n, lk->cli->now_s, on_allowlist, &v);
    bw_buf_init(&why, 1 << 16);
    rc = bw_score_why(p, ev, n, lk->cli->now_s, &v, &why);
    if (rc != BW_OK) {
        bw_buf_cleanup(&why);
        json_decref(o);
        json_decref(sources);
        json_decref(recent);
        return rc;
    }
    json_object_set_new(o, "ip", json_string(bw_addr_format(&d->addr, ip)));
    json_object_set_new(o, "listed", json_boolean(v.listed));
    json_object_set_new(o, "score", json_integer(v.score));
    json_object_set_new(o, "reports", json_integer((json_int_t)d->reports));
    json_object_set_new(o, "reporters", json_integer((json_int_t)d->reporters));
    json_object_set_new(o, "first_seen", time_or_null(d->first_seen_s));
    json_object_set_new(o, "last_seen", time_or_null(d->last_seen_s));
    json_object_set_new(o, "categories", categories_json(d->cats));
    json_object_set_new(o, "allowlisted", json_boolean(on_allowlist));
    if (on_allowlist) {
        char pt[BW_PREFIX_TEXT_MAX];

        json_object_set_new(o, "allowlist_prefix", json_string(bw_prefix_format(&allowed, pt)));
    }
    add_enrichment(o, &d->en);
    add_contact_and_advisories(lk, o, &d->en);
    json_object_set_new(o, "why", json_string(why.data));
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_object();

        json_object_set_new(s, "reporter", json_string(ev[i].reporter));
        json_object_set_new(s, "org", ev[i].org && ev[i].org[0] ? json_string(ev[i].org)
                                                                : json_null());
        json_object_set_new(s, "trust", json_string(bw_trust_name(ev[i].trust)));
        json_object_set_new(s, "reports", json_integer((json_int_t)ev[i].reports));
        json_object_set_new(s, "first_seen", time_or_null(ev[i].first_seen_s));
        json_object_set_new(s, "last_seen", time_or_null(ev[i].last_seen_s));
        json_object_set_new(s, "decayed", json_real(bw_decay(ev[i].mass, ev[i].mass_at_s,
                                                             lk->cli->now_s, p->half_life_s)));
        if (ev[i].via.len > 0) {
            char pt[BW_PREFIX_TEXT_MAX];

            json_object_set_new(s, "via", json_string(bw_prefix_format(&ev[i].via, pt)));
        }
        json_array_append_new(sources, s);
    }
    json_object_set_new(o, "evidence", sources);
    if (d->reports > 0) {
        rc = bw_store_report_recent(lk->st, &d->addr, RECENT_REPORTS, add_recent, recent);
        if (rc != BW_OK) {
            json_decref(recent);
            json_decref(o);
            bw_buf_cleanup(&why);
            return rc;
        }
    }
    json_object_set_new(o, "recent", recent);
    bw_buf_cleanup(&why);
    lk->out = o;
    return 0;
}

static void print_lookup_text(json_t *o)
{
    size_t i;
    json_t *r;

    printf("%s  %s  score %lld\n", json_string_value(json_object_get(o, "ip")),
           json_is_true(json_object_get(o, "listed")) ? "LISTED" : "not listed",
           (long long)json_integer_value(json_object_get(o, "score")));
    printf("  reports %lld from %lld reporter(s)", (long long)json_integer_value(
               json_object_get(o, "reports")),
           (long long)json_integer_value(json_object_get(o, "reporters")));
    if (json_is_string(json_object_get(o, "first_seen")))
        printf(", first seen %s, last seen %s",
               json_string_value(json_object_get(o, "first_seen")),
               json_string_value(json_object_get(o, "last_seen")));
    printf("\n  categories:");
    json_array_foreach(json_object_get(o, "categories"), i, r)
        printf(" %s", json_string_value(r));
    if (json_is_integer(json_object_get(o, "asn")) || json_is_string(json_object_get(o, "country")))
        printf("\n  network: AS%lld %s, %s, %s, sector %s",
               (long long)json_integer_value(json_object_get(o, "asn")),
               json_is_string(json_object_get(o, "as_org"))
                   ? json_string_value(json_object_get(o, "as_org")) : "?",
               json_is_string(json_object_get(o, "prefix"))
                   ? json_string_value(json_object_get(o, "prefix")) : "?",
               json_is_string(json_object_get(o, "country"))
                   ? json_string_value(json_object_get(o, "country")) : "??",
               json_string_value(json_object_get(o, "vertical")));
    r = json_object_get(o, "device");
    if (json_is_string(json_object_get(r, "vendor")) || json_is_string(json_object_get(r, "type")))
        printf("\n  device: %s %s %s (%s)",
               json_is_string(json_object_get(r, "vendor"))
                   ? json_string_value(json_object_get(r, "vendor")) : "",
               json_is_string(json_object_get(r, "type"))
                   ? json_string_value(json_object_get(r, "type")) : "",
               json_is_string(json_object_get(r, "model"))
                   ? json_string_value(json_object_get(r, "model")) : "",
               json_is_string(json_object_get(r, "matched"))
                   ? json_string_value(json_object_get(r, "matched")) : "");
    r = json_object_get(o, "contact");
    if (json_is_object(r))
        printf("\n  contact: %s <%s> (%s)", json_string_value(json_object_get(r, "name")),
               json_is_string(json_object_get(r, "email"))
                   ? json_string_value(json_object_get(r, "email")) : "",
               json_string_value(json_object_get(r, "role")));
    json_array_foreach(json_object_get(o, "advisories"), i, r)
        printf("\n  advisory: %s %s: %s", json_string_value(json_object_get(r, "id")),
               json_string_value(json_object_get(r, "name")),
               json_string_value(json_object_get(r, "action")));
    printf("\n  why: %s\n", json_string_value(json_object_get(o, "why")));
    json_array_foreach(json_object_get(o, "recent"), i, r) {
        json_t *ev = json_object_get(r, "evidence");

        if (i == 0)
            printf("  recent reports:\n");
        printf("    %s %s %s%s%s\n", json_string_value(json_object_get(r, "time")),
               json_string_value(json_object_get(r, "reporter")),
               json_string_value(json_array_get(json_object_get(r, "categories"), 0)),
               json_is_string(ev) ? ": " : "", json_is_string(ev) ? json_string_value(ev) : "");
    }
}

static void lookup_usage(FILE *out)
{
    fprintf(out, "usage: botwatch lookup [--json] IP\n"
                 "\n"
                 "What botwatch knows of one address at --now: listed or not, score, reports,\n"
                 "reporters, categories, first and last seen, its evidence and why (how the\n"
                 "score was reached and what decided the listing).\n");
}

int bw_cmd_lookup(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct lookup lk = { .cli = cli };
    struct bw_addr a;
    int c, rc;

    while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j': lk.json = true; break;
        case 'h': lookup_usage(stdout); return BW_EXIT_OK;
        default: lookup_usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        bw_cli_error("lookup", "give exactly one IP address");
        return BW_EXIT_USAGE;
    }
    if (bw_addr_parse(&a, argv[optind], strlen(argv[optind])) != BW_OK) {
        bw_cli_error("lookup", "\"%s\" is not an IP address", argv[optind]);
        return BW_EXIT_USAGE;
    }
    if (bw_cli_open_store(cli, &lk.st) != BW_OK)
        return BW_EXIT_FAIL;
    rc = bw_store_allow_load(lk.st, &lk.allow);
    if (rc == BW_OK)
        rc = bw_cli_enricher_open(cli, lk.st, BW_SRC_CONTACTS, &lk.ce);
    if (rc == BW_OK)
        rc = bw_store_evidence_get(lk.st, &a, judge_one, &lk);
    if (rc != BW_OK) {
        bw_cli_error("lookup", "%s: %s (%s)", cli->db_path, bw_strerror(rc),
                     bw_store_errmsg(lk.st));
        bw_pfxset_free(lk.allow);
        bw_cli_enricher_close(&lk.ce);
        bw_advisories_free(lk.advisories);
        bw_store_close(lk.st);
        return BW_EXIT_FAIL;
    }
    if (bw_addr_class(&a) != BW_ADDR_PUBLIC) {
        char why[160];

        snprintf(why, sizeof(why), "not listed: %s address space is never stored or listed",
                 bw_addr_class_name(bw_addr_class(&a)));
        json_object_set_new(lk.out, "why", json_string(why));
    }
    if (lk.json) {
        json_dumpf(lk.out, stdout, JSON_COMPACT);
        putchar('\n');
    } else {
        print_lookup_text(lk.out);
    }
    json_decref(lk.out);
    bw_pfxset_free(lk.allow);
    bw_cli_enricher_close(&lk.ce);
    bw_advisories_free(lk.advisories);
    bw_store_close(lk.st);
    return BW_EXIT_OK;
}

/* ---- list ---- */

struct row {
    struct bw_addr addr;
    uint8_t net_len;       /* a network listing when > 0 */
    int64_t first_seen_s, last_seen_s;
    uint64_t reports;
    uint32_t reporters;
    bw_catmask cats;
    int score;
    bool listed;
    uint32_t asn;
    char country[3];
    size_t strings;        /* offset in the list's pool: as_org, prefix, vertical, device type,
                            * vendor, model, each NUL-terminated */
};

struct list {
    struct bw_cli *cli;
    struct bw_pfxset *allow;
    bool listed_only;
    /* filters (0 / NULL = any) */
    uint32_t asn;
    const char *country;
    const char *vertical;
    const char *device_type;
    struct bw_buf pool;
    struct row *rows;
    size_t n, cap;
};

static int collect(void *ctx, const struct bw_device *d, const struct bw_evidence *ev, size_t n)
{
    struct list *l = ctx;
    struct bw_verdict v;
    struct row *r;

    const struct bw_enrichment *en = &d->en;
    const char *vertical = en->vertical[0] ? en->vertical : "unknown";
    int rc;

    if ((l->asn != 0 && en->asn != l->asn) ||
        (l->country != NULL && strcasecmp(en->country, l->country) != 0) ||
        (l->vertical != NULL && strcmp(vertical, l->vertical) != 0) ||
        (l->device_type != NULL && strcasecmp(en->device_type, l->device_type) != 0))
        return 0;
    bw_score(&l->cli->conf.policy, ev, n, l->cli->now_s,
             bw_pfxset_lookup(l->allow, &d->addr, NULL, NULL), &v);
    if (l->listed_only && !v.listed)
        return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4096;
        l->rows = bw_xrealloc(l->rows, l->cap * sizeof(*l->rows));
    }
    r = &l->rows[l->n++];
    r->addr = d->addr;
    r->net_len = n > 0 ? ev[0].via.len : 0;
    r->first_seen_s = d->first_seen_s;
    r->last_seen_s = d->last_seen_s;
    r->reports = d->reports;
    r->reporters = d->reporters;
    r->cats = d->cats;
    r->score = v.score;
    r->listed = v.listed;
    r->asn = en->asn;
    memcpy(r->country, en->country, sizeof(r->country));
    r->strings = l->pool.len;
    rc = bw_buf_append(&l->pool, en->as_org, strlen(en->as_org) + 1);
    if (rc == BW_OK)
        rc = bw_buf_append(&l->pool, en->prefix, strlen(en->prefix) + 1);
    if (rc == BW_OK)
        rc = bw_buf_append(&l->pool, vertical, strlen(vertical) + 1);
    if (rc == BW_OK)
        rc = bw_buf_append(&l->pool, en->device_type, strlen(en->device_type) + 1);
    if (rc == BW_OK)
        rc = bw_buf_append(&l->pool, en->device_vendor, strlen(en->device_vendor) + 1);
    if (rc == BW_OK)
        rc = bw_buf_append(&l->pool, en->device_model, strlen(en->device_model) + 1);
    return rc;
}

/* The i-th pooled string of a row (0 as_org, 1 prefix, 2 vertical, 3-5 device). */
static const char *row_string(const struct list *l, const struct row *r, int i)
{
    const char *p = l->pool.data + r->strings;

    while (i-- > 0)
        p += strlen(p) + 1;
    return p;
}

static void csv_cell(const char *s)
{
    putchar('"');
    for (; *s != '\0'; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static int by_score(const void *a, const void *b)
{
    const struct row *x = a, *y = b;

    if (x->score != y->score)
        return y->score - x->score;
    return bw_addr_cmp(&x->addr, &y->addr);
}

static int by_addr(const void *a, const void *b)
{
    return bw_addr_cmp(&((const struct row *)a)->addr, &((const struct row *)b)->addr);
}

static void list_usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch list [--listed] [--format txt|csv|json] [--sort score|ip]\n"
            "                     [--limit N]\n"
            "\n"
            "Devices and listed networks judged at --now, highest score first. txt is one\n"
            "address or prefix a line;\n"
            "csv and json carry ip, listed, score, reports, reporters, first_seen, last_seen\n"
            "and categories.\n"
            "\n"
            "  --listed        only the listed ones\n"
            "  --format F      txt (default), csv or json\n"
            "  --sort S        score (default) or ip\n"
            "  --limit N       at most N devices\n"
            "  --asn N, --country CC, --vertical V, --device-type T   only those devices\n");
}

int bw_cmd_list(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "listed", no_argument, NULL, 'l' },
        { "format", required_argument, NULL, 'f' },
        { "sort", required_argument, NULL, 's' },
        { "limit", required_argument, NULL, 'n' },
        { "json", no_argument, NULL, 'j' },
        { "asn", required_argument, NULL, 'A' },
        { "country", required_argument, NULL, 'C' },
        { "vertical", required_argument, NULL, 'V' },
        { "device-type", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct list l = { .cli = cli };
    uint64_t asn;
    const char *format = "txt", *sort = "score";
    uint64_t limit = UINT64_MAX;
    struct bw_store *st;
    int64_t since = 0;
    json_t *arr = NULL;
    int c, rc;

    while ((c = getopt_long(argc, argv, "lf:s:n:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'l': l.listed_only = true; break;
        case 'f': format = optarg; break;
        case 'j': format = "json"; break;
        case 's': sort = optarg; break;
        case 'n':
            if (bw_cli_parse_u64(optarg, 0, UINT64_MAX - 1, &limit) != BW_OK) {
                bw_cli_error("list", "--limit \"%s\" is not a number", optarg);
                return BW_EXIT_USAGE;
            }
            break;
        case 'A':
            if (strncasecmp(optarg, "AS", 2) == 0)
                optarg += 2;
            if (bw_cli_parse_u64(optarg, 1, UINT32_MAX, &asn) != BW_OK) {
                bw_cli_error("list", "--asn \"%s\" is not an AS number", optarg);
                return BW_EXIT_USAGE;
            }
            l.asn = (uint32_t)asn;
            break;
        case 'C':
            if (strlen(optarg) != 2) {
                bw_cli_error("list", "--country \"%s\" is not a two-letter code", optarg);
                return BW_EXIT_USAGE;
            }
            l.country = optarg;
            break;
        case 'V': l.vertical = optarg; break;
        case 'T': l.device_type = optarg; break;
        case 'h': list_usage(stdout); return BW_EXIT_OK;
        default: list_usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (strcmp(format, "txt") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
        bw_cli_error("list", "--format \"%s\" is not txt, csv or json", format);
        return BW_EXIT_USAGE;
    }
    if (strcmp(sort, "score") != 0 && strcmp(sort, "ip") != 0) {
        bw_cli_error("list", "--sort \"%s\" is not score or ip", sort);
        return BW_EXIT_USAGE;
    }
    if (optind != argc) {
        bw_cli_error("list", "unexpected argument \"%s\"", argv[optind]);
        return BW_EXIT_USAGE;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    if (l.listed_only) /* nothing older than both the window and the expiry can be listed */
        since = cli->now_s - (cli->conf.policy.expiry_s < cli->conf.policy.window_s
                                  ? cli->conf.policy.expiry_s
                                  : cli->conf.policy.window_s);
    bw_buf_init(&l.pool, 0);
    rc = bw_store_allow_load(st, &l.allow);
    if (rc == BW_OK)
        rc = bw_store_device_walk(st, since, collect, &l);
    if (rc == BW_OK && l.asn == 0 && l.country == NULL && l.vertical == NULL &&
        l.device_type == NULL)
        rc = bw_store_network_walk(st, since, collect, &l);
    if (rc != BW_OK) {
        bw_cli_error("list", "%s: %s (%s)", cli->db_path, bw_strerror(rc), bw_store_errmsg(st));
        free(l.rows);
        bw_buf_cleanup(&l.pool);
        bw_pfxset_free(l.allow);
        bw_store_close(st);
        return BW_EXIT_FAIL;
    }
    bw_sort(l.rows, l.n, sizeof(*l.rows), strcmp(sort, "ip") == 0 ? by_addr : by_score);
    if (limit < l.n)
        l.n = (size_t)limit;
    if (strcmp(format, "csv") == 0)
        printf("ip,listed,score,reports,reporters,first_seen,last_seen,categories,asn,as_org,"
               "prefix,country,vertical,device_type,device_vendor,device_model\n");
    if (strcmp(format, "json") == 0)
        arr = json_array();
    for (size_t i = 0; i < l.n; i++) {
        const struct row *r = &l.rows[i];
        char ip[BW_PREFIX_TEXT_MAX], f[BW_TIME_TEXT_MAX], t[BW_TIME_TEXT_MAX], cats[160];

        if (r->net_len > 0) {
            struct bw_prefix p = { .addr = r->addr, .len = r->net_len };

            bw_prefix_format(&p, ip);
        } else {
            bw_addr_format(&r->addr, ip);
        }
        if (format[0] == 't') {
            printf("%s\n", ip);
        } else if (format[0] == 'c') {
            printf("%s,%s,%d,%llu,%u,%s,%s,\"%s\",", ip, r->listed ? "true" : "false", r->score,
                   (unsigned long long)r->reports, r->reporters,
                   bw_time_format(r->first_seen_s, f), bw_time_format(r->last_seen_s, t),
                   bw_catmask_format(r->cats, cats, sizeof(cats)));
            if (r->asn != 0)
                printf("%u", r->asn);
            putchar(',');
            csv_cell(row_string(&l, r, 0));
            printf(",%s,%s,%s,", row_string(&l, r, 1), r->country, row_string(&l, r, 2));
            csv_cell(row_string(&l, r, 3));
            putchar(',');
            csv_cell(row_string(&l, r, 4));
            putchar(',');
            csv_cell(row_string(&l, r, 5));
            putchar('\n');
        } else {
            json_t *o = json_object();

            json_object_set_new(o, "ip", json_string(ip));
            json_object_set_new(o, "listed", json_boolean(r->listed));
            json_object_set_new(o, "score", json_integer(r->score));
            json_object_set_new(o, "reports", json_integer((json_int_t)r->reports));
            json_object_set_new(o, "reporters", json_integer(r->reporters));
            json_object_set_new(o, "first_seen", time_or_null(r->first_seen_s));
            json_object_set_new(o, "last_seen", time_or_null(r->last_seen_s));
            json_object_set_new(o, "categories", categories_json(r->cats));
            json_object_set_new(o, "asn", r->asn ? json_integer(r->asn) : json_null());
            json_object_set_new(o, "as_org", str_or_null(row_string(&l, r, 0)));
            json_object_set_new(o, "prefix", str_or_null(row_string(&l, r, 1)));
            json_object_set_new(o, "country", str_or_null(r->country));
            json_object_set_new(o, "vertical", json_string(row_string(&l, r, 2)));
            json_object_set_new(o, "device", json_pack("{s:o, s:o, s:o}", "type",
                                                       str_or_null(row_string(&l, r, 3)),
                                                       "vendor",
                                                       str_or_null(row_string(&l, r, 4)),
                                                       "model",
                                                       str_or_null(row_string(&l, r, 5))));
            json_array_append_new(arr, o);
        }
    }
    if (arr != NULL) {
        json_dumpf(arr, stdout, JSON_INDENT(0) | JSON_COMPACT);
        putchar('\n');
        json_decref(arr);
    }
    free(l.rows);
    bw_buf_cleanup(&l.pool);
    bw_pfxset_free(l.allow);
    bw_store_close(st);
    return BW_EXIT_OK;
}
