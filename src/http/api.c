/*
 * http/api.c - the native API under /api/v1, and /healthz and /metrics.
 * Invariants:
 *  - A POST body is checked whole before anything is written: one line the parser refuses
 *    refuses the request (400 naming the line and the field) and stores nothing. Reports the
 *    pipeline's validation turns away (non-public address, time out of range) are counted
 *    under "rejected" and the rest stored.
 *  - Reporter names and report targets reach admins only; scoped keys (isp, cert) see recent
 *    evidence for the devices in their scope and what anonymous callers see elsewhere.
 *  - Lookups answer from the device image the listing was built with (image.c): no store
 *    read per request. Admins are judged from the store at the moment they ask (every source
 *    and the full explanation), and scoped keys read recent evidence from the store for the
 *    devices in their scope: both are privileged, audited reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "http/http_int.h"
#include "parsers/parsers.h"
#include "pipeline/pipeline.h"

#define RECENT_EVIDENCE 20

/* ---- lookups ---- */

struct lookup {
    struct bw_http_req *r;
    json_t *out;
};

static bool in_scope(const struct bw_http_req *r, const struct bw_enrichment *en)
{
    if (r->auth != BW_AUTH_KEY)
        return false;
    switch (r->key.role) {
    case BW_KEY_ADMIN:
        return true;
    case BW_KEY_ISP:
        for (size_t i = 0; i < r->key.n_asns; i++) {
            if (en->asn != 0 && en->asn == r->key.asns[i])
                return true;
        }
        return false;
    case BW_KEY_CERT:
        for (size_t i = 0; i < r->key.n_countries; i++) {
            if (en->country[0] != '\0' && strcasecmp(en->country, r->key.countries[i]) == 0)
                return true;
        }
        return false;
    default:
        return false;
    }
}

static json_t *str_or_null(const char *s)
{
    return s[0] != '\0' ? json_string(s) : json_null();
}

/* The explanation for callers who may not see reporter names. */
static void why_public(const struct bw_http *h, const struct bw_verdict *v, char *buf,
                       size_t cap)
{
    const struct bw_policy *p = &h->c.policy;

    switch (v->why) {
    case BW_WHY_LISTED:
        snprintf(buf, cap, "listed: score %d reaches the threshold %d; %zu independent "
                 "source(s) corroborate it (%.1f, %.1f needed)", v->score, p->threshold,
                 v->sources, v->corroboration, p->corroboration_needed);
        break;
    case BW_WHY_NO_EVIDENCE:
        snprintf(buf, cap, "not listed: no reports in the last %lld days",
                 (long long)(p->window_s / 86400));
        break;
    case BW_WHY_ALLOWLISTED:
        snprintf(buf, cap, "not listed: the address is on the operator's allowlist");
        break;
    case BW_WHY_EXPIRED:
        snprintf(buf, cap, "not listed: no report for %lld days",
                 (long long)(p->expiry_s / 86400));
        break;
    case BW_WHY_UNCORROBORATED:
        snprintf(buf, cap, "not listed: %zu source(s) corroborate it (%.1f, %.1f needed)",
                 v->sources, v->corroboration, p->corroboration_needed);
        break;
    case BW_WHY_BELOW_THRESHOLD:
        snprintf(buf, cap, "not listed: score %d is below the threshold %d", v->score,
                 p->threshold);
        break;
    }
}

struct recent {
    json_t *a;
    bool admin;
};

static int add_recent(void *ctx, const struct bw_stored_report *sr)
{
    struct recent *rc = ctx;
    json_t *o = json_object();

    json_object_set_new(o, "time", bw_http__time_json(sr->time_s));
    json_object_set_new(o, "categories", bw_http__cats_json(sr->cats));
    json_object_set_new(o, "port", sr->port ? json_integer(sr->port) : json_null());
    json_object_set_new(o, "evidence", sr->evidence ? json_string(sr->evidence) : json_null());
    if (rc->admin) {
        json_object_set_new(o, "reporter", json_string(sr->reporter));
        json_object_set_new(o, "source", sr->source ? json_string(sr->source) : json_null());
    }
    json_array_append_new(rc->a, o);
    return 0;
}

/* The lookup object's public part: status, score, aggregates, network and device. */
static json_t *device_json(const struct bw_device *d, const struct bw_verdict *v,
                           bool allowlisted)
{
    const struct bw_enrichment *en = &d->en;
    char ip[BW_ADDR_TEXT_MAX];
    json_t *o = json_object(), *dev = json_object();

    json_object_set_new(o, "ip", json_string(bw_addr_format(&d->addr, ip)));
    json_object_set_new(o, "listed", json_boolean(v->listed));
    json_object_set_new(o, "score", json_integer(v->score));
    json_object_set_new(o, "reports", json_integer((json_int_t)d->reports));
    json_object_set_new(o, "reporters", json_integer((json_int_t)d->reporters));
    json_object_set_new(o, "first_seen", bw_http__time_json(d->first_seen_s));
    json_object_set_new(o, "last_seen", bw_http__time_json(d->last_seen_s));
    json_object_set_new(o, "categories", bw_http__cats_json(d->cats));
    json_object_set_new(o, "allowlisted", json_boolean(allowlisted));
    json_object_set_new(o, "asn", en->asn ? json_integer(en->asn) : json_null());
    json_object_set_new(o, "as_org", str_or_null(en->as_org));
    json_object_set_new(o, "prefix", str_or_null(en->prefix));
    json_object_set_new(o, "country", str_or_null(en->country));
    json_object_set_new(o, "vertical", json_string(en->vertical[0] ? en->vertical : "unknown"));
    json_object_set_new(dev, "type", str_or_null(en->device_type));
    json_object_set_new(dev, "vendor", str_or_null(en->device_vendor));
    json_object_set_new(dev, "model", str_or_null(en->device_model));
    json_object_set_new(dev, "os", str_or_null(en->device_os));
    json_object_set_new(dev, "software", str_or_null(en->device_software));
    json_object_set_new(dev, "version", str_or_null(en->device_version));
    json_object_set_new(o, "device", dev);
    json_object_set_new(o, "contact", str_or_null(en->contact));
    return o;
}

/* Adds the recent evidence of d for a caller whose scope covers it (reads the store). */
static int add_evidence(struct bw_http_req *r, struct bw_store *st, const struct bw_device *d,
                        json_t *o)
{
    struct recent rec = { .a = json_array(),
                          .admin = r->auth == BW_AUTH_KEY && r->key.role == BW_KEY_ADMIN };
    int rc = BW_OK;

    if (d->reports > 0)
        rc = bw_store_report_recent(st, &d->addr, RECENT_EVIDENCE, add_recent, &rec);
    json_object_set_new(o, "evidence", rec.a);
    bw_http__audit(r, "evidence read");
    return rc;
}

/* Admins: judged from the store now, with every source and the full explanation. */
static int lookup_cb(void *ctx, struct bw_store *st, const struct bw_http_judged *j)
{
    struct lookup *lk = ctx;
    struct bw_http_req *r = lk->r;
    json_t *o = device_json(j->d, &j->v, j->allowlisted), *sources = json_array();
    struct bw_buf wb;
    int rc;

    bw_buf_init(&wb, 1 << 16);
    rc = bw_score_why(&r->h->c.policy, j->ev, j->n, bw_time_now(), &j->v, &wb);
    json_object_set_new(o, "why", json_string(rc == BW_OK ? wb.data : ""));
    bw_buf_cleanup(&wb);
    for (size_t i = 0; i < j->n; i++) {
        const struct bw_evidence *e = &j->ev[i];
        json_t *src = json_pack("{s:s, s:s, s:I, s:o, s:o}", "reporter", e->reporter, "trust",
                                bw_trust_name(e->trust), "reports", (json_int_t)e->reports,
                                "first_seen", bw_http__time_json(e->first_seen_s), "last_seen",
                                bw_http__time_json(e->last_seen_s));

        json_object_set_new(src, "org", e->org && e->org[0] ? json_string(e->org) : json_null());
        if (e->via.len > 0) {
            char pt[BW_PREFIX_TEXT_MAX];

            json_object_set_new(src, "via", json_string(bw_prefix_format(&e->via, pt)));
        }
        json_array_append_new(sources, src);
    }
    json_object_set_new(o, "sources", sources);
    if (rc == BW_OK)
        rc = add_evidence(r, st, j->d, o);
    if (rc != BW_OK) {
        json_decref(o);
        return rc;
    }
    lk->out = o;
    return 0;
}

/* Everyone else: answered from the image the listing was built with (no store read), plus
 * recent evidence from the store for scoped keys on devices in their scope. A device that is
 * not listed on its own but lies in a listed network is listed as part of it. */
static int lookup_image(struct bw_http_req *r, const struct bw_addr *a, json_t **out)
{
    const struct bw_http_listing *l = bw_http__listing_get(r->h);
    const struct bw_http_entry *net;
    const struct bw_http_dev *x;
    struct bw_device d;
    struct bw_verdict v;
    char why[320];
    json_t *o;
    int rc = BW_OK;

    if (l == NULL)
        return BW_EAGAIN;
    x = bw_http__image_find(&l->image, a);
    if (x != NULL) {
        bw_http__image_device(&l->image, x, &d, &v);
    } else {
        memset(&d, 0, sizeof(d));
        memset(&v, 0, sizeof(v));
        d.addr = *a;
        v.why = BW_WHY_NO_EVIDENCE;
        /* never reported (or not lately): where it is still says something */
        if (r->h->c.enricher != NULL && bw_addr_class(a) == BW_ADDR_PUBLIC)
            bw_enrich_network(r->h->c.enricher, a, &d.en);
    }
    net = v.listed ? NULL : bw_http__listing_find(l, a);
    if (net != NULL && net->prefix.len < 128 && !(x != NULL && x->allowlisted)) {
        char pt[BW_PREFIX_TEXT_MAX];

        v.listed = true;
        v.score = net->score;
        d.cats |= net->cats;
        o = device_json(&d, &v, false);
        snprintf(why, sizeof(why), "listed: part of the listed network %s (score %d)",
                 bw_prefix_format(&net->prefix, pt), net->score);
    } else {
        o = device_json(&d, &v, x != NULL && x->allowlisted);
        why_public(r->h, &v, why, sizeof(why));
    }
    bw_http__listing_put(r->h, l);
    json_object_set_new(o, "why", json_string(why));
    if (in_scope(r, &d.en)) {
        struct bw_store *st = bw_http__store_get(r->h);

        rc = st != NULL ? add_evidence(r, st, &d, o) : BW_EBACKEND;
        if (st != NULL)
            bw_http__store_put(r->h, st);
    }
    if (rc != BW_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return BW_OK;
}

static enum MHD_Result get_device(struct bw_http_req *r, const char *ip)
{
    struct lookup lk = { .r = r };
    struct bw_addr a;
    int rc;

    if (bw_addr_parse(&a, ip, strlen(ip)) != BW_OK)
        return bw_http__reply_error(r, 400, "invalid_ip", "ip", "\"%.60s\" is not an IP address",
                                    ip);
    if (r->auth == BW_AUTH_KEY && r->key.role == BW_KEY_ADMIN)
        rc = bw_http__judge(r->h, &a, lookup_cb, &lk);
    else
        rc = lookup_image(r, &a, &lk.out);
    if (rc != BW_OK) {
        bw_log_err("http: lookup failed (%s)", bw_strerror(rc));
        return bw_http__reply_error(r, 503, "unavailable", NULL, "the store did not answer");
    }
    if (bw_addr_class(&a) != BW_ADDR_PUBLIC) {
        char why[160];

        snprintf(why, sizeof(why), "not listed: %s address space is never stored or listed",
                 bw_addr_class_name(bw_addr_class(&a)));
        json_object_set_new(lk.out, "why", json_string(why));
    }
    return bw_http__reply_json(r, 200, lk.out);
}

/* ---- reports ---- */

struct precheck {
    uint64_t reports;
};

static int count_report(void *ctx, const struct bw_report *rep)
{
    (void)rep;
    ((struct precheck *)ctx)->reports++;
    return 0;
}

static const char *field_of(const struct bw_parse_error *e)
{
    static const char *const named[] = { "proto", "reporter", "evidence", "banner",
                                         "controller", "family", "target", "service" };

    switch (e->reason) {
    case BW_REJECT_MISSING_IP:
    case BW_REJECT_INVALID_IP:
    case BW_REJECT_NON_PUBLIC:
    case BW_REJECT_HOST_ONLY:
        return "ip";
    case BW_REJECT_INVALID_TIME:
    case BW_REJECT_TIME_IN_FUTURE:
    case BW_REJECT_TIME_TOO_OLD:
        return "time";
    case BW_REJECT_MISSING_CATEGORY:
    case BW_REJECT_UNKNOWN_CATEGORY:
        return "category";
    case BW_REJECT_INVALID_PORT:
        return "port";
    case BW_REJECT_INVALID_FIELD:
        for (size_t i = 0; i < BW_ARRAY_LEN(named); i++) {
            size_t n = strlen(named[i]);
            const char *d = e->detail[0] == '"' ? e->detail + 1 : e->detail;

            if (strncmp(d, named[i], n) == 0)
                return named[i];
        }
        return NULL;
    default:
        return NULL;
    }
}

/* A JSON body (Content-Type application/json): one object, or an array of them, becomes
 * NDJSON; anything else is taken as NDJSON already. */
static int body_to_ndjson(struct bw_http_req *r, struct bw_buf *out, char *err, size_t cap)
{
    const char *ct = bw_http__header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    json_error_t jerr;
    json_t *root, *v;
    size_t i;

    if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
        *out = r->body; /* borrowed: the caller does not clean it */
        return BW_OK;
    }
    root = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(err, cap, "not JSON (%s at line %d, column %d)", jerr.text, jerr.line,
                 jerr.column);
        return BW_EMALFORMED;
    }
    bw_buf_init(out, r->h->c.max_body * 2);
    if (json_is_object(root)) {
        char *line = json_dumps(root, JSON_COMPACT);

        if (line == NULL || bw_buf_append(out, line, strlen(line)) != BW_OK)
            snprintf(err, cap, "the report does not fit");
        free(line);
    } else if (json_is_array(root)) {
        json_array_foreach(root, i, v) {
            char *line = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL;

            if (line == NULL) {
                snprintf(err, cap, "element %zu of the array is not a report object", i);
                json_decref(root);
                bw_buf_cleanup(out);
                return BW_EMALFORMED;
            }
            if (bw_buf_append(out, line, strlen(line)) != BW_OK ||
                bw_buf_append(out, "\n", 1) != BW_OK) {
                free(line);
                json_decref(root);
                bw_buf_cleanup(out);
                snprintf(err, cap, "the reports do not fit");
                return BW_ETOOBIG;
            }
            free(line);
        }
    } else {
        snprintf(err, cap, "a report is a JSON object");
        json_decref(root);
        bw_buf_cleanup(out);
        return BW_EMALFORMED;
    }
    json_decref(root);
    return BW_OK;
}

static enum MHD_Result post_reports(struct bw_http_req *r)
{
    struct bw_buf nd;
    struct bw_parser *p;
    struct bw_parse_error perr;
    struct precheck pc = { 0 };
    struct bw_ingest_stats stats;
    struct bw_diag d;
    char err[256];
    uint64_t lineno = 0;
    const char *line, *end;
    json_t *rej, *o;
    int rc;

    bw_http__authenticate(r, "X-Api-Key");
    if (r->auth != BW_AUTH_KEY)
        return bw_http__reply_error(r, 401, "unauthorized", NULL,
                                    r->auth == BW_AUTH_NONE ? "an X-Api-Key header is needed"
                                                            : "the key is not known");
    if (r->key.role != BW_KEY_REPORTER && r->key.role != BW_KEY_ADMIN)
        return bw_http__reply_error(r, 403, "forbidden", NULL,
                                    "a %s key cannot submit reports",
                                    bw_key_role_name(r->key.role));
    rc = body_to_ndjson(r, &nd, err, sizeof(err));
    if (rc != BW_OK) {
        atomic_fetch_add(&r->h->ingest_refused, 1);
        return bw_http__reply_error(r, 400, "malformed", NULL, "%s", err);
    }
    p = bw_parser_new("ndjson", bw_time_now());
    line = nd.data;
    end = nd.data + nd.len;
    rc = BW_OK;
    while (line < end && rc == BW_OK) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t len = (size_t)((nl != NULL ? nl : end) - line);

        lineno++;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (len > BW_LINE_MAX) {
            perr.reason = BW_REJECT_LINE_TOO_LONG;
            snprintf(perr.detail, sizeof(perr.detail), "line over 64 KiB");
            rc = BW_EMALFORMED;
        } else if (len > 0 && !bw_utf8_valid(line, len)) {
            perr.reason = BW_REJECT_INVALID_UTF8;
            snprintf(perr.detail, sizeof(perr.detail), "the line is not valid UTF-8");
            rc = BW_EMALFORMED;
        } else if (len > 0) {
            int n = bw_parser_line(p, line, len, lineno, count_report, &pc, &perr);

            rc = n < 0 ? n : BW_OK;
        }
        line = nl != NULL ? nl + 1 : end;
    }
    bw_parser_free(p);
    if (rc == BW_OK && pc.reports == 0) {
        perr.reason = BW_REJECT_MALFORMED;
        snprintf(perr.detail, sizeof(perr.detail), "the body holds no report");
        rc = BW_EMALFORMED;
        lineno = 0;
    }
    if (rc != BW_OK) {
        if (nd.data != r->body.data)
            bw_buf_cleanup(&nd);
        atomic_fetch_add(&r->h->ingest_refused, 1);
        o = json_pack("{s:{s:i, s:s, s:s, s:o, s:I}}", "error", "status", 400, "code",
                      bw_reject_name(perr.reason), "detail", perr.detail, "field",
                      field_of(&perr) ? json_string(field_of(&perr)) : json_null(), "line",
                      (json_int_t)lineno);
        return bw_http__reply_json(r, 400, o);
    }
    rc = bw_http__ingest(r->h, r->key.name, nd.data, nd.len, &stats, &d);
    if (nd.data != r->body.data)
        bw_buf_cleanup(&nd);
    if (rc != BW_OK) {
        bw_log_err("http: reports of key %s not stored (%s: %s)", r->key.name, bw_strerror(rc),
                   d.msg);
        return bw_http__reply_error(r, rc == BW_EAGAIN ? 503 : 500, "not_stored", NULL,
                                    "the reports were not stored; send them again");
    }
    rej = json_object();
    for (int i = 0; i < BW_REJECT_COUNT; i++) {
        if (stats.rejected[i] > 0)
            json_object_set_new(rej, bw_reject_name((enum bw_reject)i),
                                json_integer((json_int_t)stats.rejected[i]));
    }
    snprintf(err, sizeof(err), "reports accepted=%llu duplicates=%llu",
             (unsigned long long)stats.accepted, (unsigned long long)stats.duplicates);
    bw_http__audit(r, err);
    return bw_http__reply_json(r, 202,
                               json_pack("{s:I, s:I, s:I, s:o}", "lines",
                                         (json_int_t)stats.lines, "accepted",
                                         (json_int_t)stats.accepted, "duplicates",
                                         (json_int_t)stats.duplicates, "rejected", rej));
}

/* ---- blocklist ---- */

static int entry_text(const struct bw_http_entry *e, char *buf)
{
    if (e->prefix.len == 128) {
        bw_addr_format(&e->prefix.addr, buf);
        return BW_OK;
    }
    bw_prefix_format(&e->prefix, buf);
    return BW_OK;
}

static void make_etag(const char *body, size_t len, char *etag, size_t cap)
{
    uint8_t h[16];
    char hex[33];

    crypto_generichash(h, sizeof(h), (const unsigned char *)body, len, NULL, 0);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    snprintf(etag, cap, "\"%s\"", hex);
}

static enum MHD_Result get_blocklist(struct bw_http_req *r)
{
    const char *fmt = bw_http__arg(r, "format");
    const struct bw_http_listing *l;
    struct bw_buf b;
    const char *ctype;
    char etag[40];
    enum MHD_Result ret;
    int rc = BW_OK;

    if (fmt == NULL)
        fmt = "txt";
    if (strcmp(fmt, "txt") != 0 && strcmp(fmt, "csv") != 0 && strcmp(fmt, "json") != 0)
        return bw_http__reply_error(r, 400, "invalid_value", "format",
                                    "format is txt, csv or json");
    l = bw_http__listing_get(r->h);
    if (l == NULL)
        return bw_http__reply_error(r, 503, "unavailable", NULL, "the listing is not built");
    bw_buf_init(&b, 0);
    if (strcmp(fmt, "txt") == 0) {
        ctype = "text/plain; charset=utf-8";
        for (size_t i = 0; i < l->n && rc == BW_OK; i++) {
            char t[BW_PREFIX_TEXT_MAX];

            (void)entry_text(&l->e[i], t);
            rc = bw_buf_printf(&b, "%s\n", t);
        }
    } else if (strcmp(fmt, "csv") == 0) {
        ctype = "text/csv; charset=utf-8";
        rc = bw_buf_printf(&b, "ip,score,categories,last_seen\n");
        for (size_t i = 0; i < l->n && rc == BW_OK; i++) {
            char t[BW_PREFIX_TEXT_MAX], cats[160], ts[BW_TIME_TEXT_MAX];

            (void)entry_text(&l->e[i], t);
            rc = bw_buf_printf(&b, "%s,%u,\"%s\",%s\n", t, l->e[i].score,
                               bw_catmask_format(l->e[i].cats, cats, sizeof(cats)),
                               bw_time_format(l->e[i].last_seen_s, ts));
        }
    } else {
        char ts[BW_TIME_TEXT_MAX];

        ctype = "application/json";
        rc = bw_buf_printf(&b, "{\"generated\":\"%s\",\"count\":%zu,\"entries\":[",
                           bw_time_format(l->built_s, ts), l->n);
        for (size_t i = 0; i < l->n && rc == BW_OK; i++) {
            char t[BW_PREFIX_TEXT_MAX], cats[160];
            char *c = bw_catmask_format(l->e[i].cats, cats, sizeof(cats));

            (void)entry_text(&l->e[i], t);
            rc = bw_buf_printf(&b, "%s{\"ip\":\"%s\",\"score\":%u,\"categories\":[", i ? "," : "",
                               t, l->e[i].score);
            /* category names are fixed lower-case words: quoting them needs no escaping */
            for (char *p = c; rc == BW_OK && *p != '\0';) {
                char *comma = strchr(p, ',');
                size_t n = comma ? (size_t)(comma - p) : strlen(p);

                rc = bw_buf_printf(&b, "%s\"%.*s\"", p == c ? "" : ",", (int)n, p);
                p += n + (comma != NULL);
            }
            if (rc == BW_OK)
                rc = bw_buf_printf(&b, "],\"last_seen\":\"%s\"}",
                                   bw_time_format(l->e[i].last_seen_s, ts));
        }
        if (rc == BW_OK)
            rc = bw_buf_printf(&b, "]}\n");
    }
    bw_http__listing_put(r->h, l);
    if (rc != BW_OK) {
        bw_buf_cleanup(&b);
        return bw_http__reply_error(r, 500, "internal", NULL, "the list was not rendered");
    }
    make_etag(b.data, b.len, etag, sizeof(etag));
    ret = bw_http__reply_cached(r, ctype, b.data, b.len, etag);
    bw_buf_cleanup(&b);
    return ret;
}

/* ---- device lists and statistics: walks of the device image ---- */

typedef int (*image_cb)(void *ctx, const struct bw_device *d, const struct bw_verdict *v,
                        bool allowlisted);

/* Visits the image's devices after `after` (NULL: from the first) whose last report is at or
 * after since, in address order; a non-zero return stops the walk. BW_EAGAIN before the first
 * image is built. */
static int image_walk(struct bw_http *h, const struct bw_addr *after, int64_t since, image_cb cb,
                      void *ctx)
{
    const struct bw_http_listing *l = bw_http__listing_get(h);
    const struct bw_http_image *im;
    size_t lo = 0;
    int rc = 0;

    if (l == NULL)
        return BW_EAGAIN;
    im = &l->image;
    if (after != NULL) {
        lo = bw_http__image_after(im, after);
        lo += lo < im->n && bw_addr_cmp(&im->dev[lo].addr, after) == 0; /* strictly after */
    }
    for (size_t i = lo; i < im->n && rc == 0; i++) {
        struct bw_device d;
        struct bw_verdict v;

        if (im->dev[i].last_s < since)
            continue;
        bw_http__image_device(im, &im->dev[i], &d, &v);
        rc = cb(ctx, &d, &v, im->dev[i].allowlisted);
    }
    bw_http__listing_put(h, l);
    return rc;
}

#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 1000

struct list {
    struct bw_http *h;
    int64_t now_s;
    /* filters; 0 / NULL / -1 = any */
    uint32_t asn;
    const char *country;
    const char *vertical;
    int category;
    int listed;
    bool have_cursor;
    struct bw_addr cursor;   /* answers start after this address */
    size_t limit;
    json_t *items;
    bool more;
    struct bw_addr last;
};

static int list_one(void *ctx, const struct bw_device *d, const struct bw_verdict *vp,
                    bool allowlisted)
{
    struct list *l = ctx;
    const struct bw_enrichment *en = &d->en;
    const char *vertical = en->vertical[0] ? en->vertical : "unknown";
    struct bw_verdict v = *vp;
    char ip[BW_ADDR_TEXT_MAX];

    (void)allowlisted;
    if ((l->asn != 0 && en->asn != l->asn) ||
        (l->country != NULL && strcasecmp(en->country, l->country) != 0) ||
        (l->vertical != NULL && strcmp(vertical, l->vertical) != 0) ||
        (l->category >= 0 && !(d->cats & (1u << l->category))))
        return 0;
    if (l->listed >= 0 && v.listed != (l->listed == 1))
        return 0;
    if (json_array_size(l->items) == l->limit) {
        l->more = true;
        return 1; /* one more than the page: there is a next page */
    }
    json_array_append_new(
        l->items,
        json_pack("{s:s, s:b, s:i, s:I, s:i, s:o, s:o, s:o, s:o, s:o, s:s}", "ip",
                  bw_addr_format(&d->addr, ip), "listed", v.listed, "score", v.score, "reports",
                  (json_int_t)d->reports, "reporters", (int)d->reporters, "first_seen",
                  bw_http__time_json(d->first_seen_s), "last_seen",
                  bw_http__time_json(d->last_seen_s), "categories", bw_http__cats_json(d->cats),
                  "asn", en->asn ? json_integer(en->asn) : json_null(), "country",
                  str_or_null(en->country), "vertical", vertical));
    l->last = d->addr;
    return 0;
}

static enum MHD_Result get_devices(struct bw_http_req *r)
{
    struct list l = { .h = r->h, .now_s = bw_time_now(), .category = -1, .listed = -1,
                      .limit = LIST_LIMIT_DEFAULT };
    const char *v;
    int64_t since = l.now_s - r->h->c.policy.window_s;
    uint64_t u;
    json_t *o;
    int rc;

    if ((v = bw_http__arg(r, "asn")) != NULL) {
        if (strncasecmp(v, "AS", 2) == 0)
            v += 2;
        if (bw_u64_parse(v, 0, UINT32_MAX, &u) != BW_OK || u == 0)
            return bw_http__reply_error(r, 400, "invalid_value", "asn", "asn is a number");
        l.asn = (uint32_t)u;
    }
    if ((v = bw_http__arg(r, "country")) != NULL) {
        if (strlen(v) != 2)
            return bw_http__reply_error(r, 400, "invalid_value", "country",
                                        "country is a two-letter code");
        l.country = v;
    }
    l.vertical = bw_http__arg(r, "vertical");
    if ((v = bw_http__arg(r, "category")) != NULL) {
        enum bw_category c;

        if (bw_category_parse(&c, v, strlen(v)) != BW_OK)
            return bw_http__reply_error(r, 400, "invalid_value", "category",
                                        "unknown category \"%.40s\"", v);
        l.category = (int)c;
    }
    if ((v = bw_http__arg(r, "listed")) != NULL) {
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
            return bw_http__reply_error(r, 400, "invalid_value", "listed",
                                        "listed is true or false");
        l.listed = strcmp(v, "true") == 0;
    }
    if ((v = bw_http__arg(r, "since")) != NULL && bw_time_parse(&since, v, strlen(v)) != BW_OK)
        return bw_http__reply_error(r, 400, "invalid_value", "since",
                                    "since is an RFC 3339 time");
    if ((v = bw_http__arg(r, "limit")) != NULL) {
        if (bw_u64_parse(v, 0, LIST_LIMIT_MAX, &u) != BW_OK || u == 0)
            return bw_http__reply_error(r, 400, "invalid_value", "limit", "limit is 1-%d",
                                        LIST_LIMIT_MAX);
        l.limit = (size_t)u;
    }
    if ((v = bw_http__arg(r, "cursor")) != NULL) {
        /* the cursor is the last address of the previous page, as text: opaque to clients */
        if (bw_addr_parse(&l.cursor, v, strlen(v)) != BW_OK)
            return bw_http__reply_error(r, 400, "invalid_value", "cursor",
                                        "cursor is not one this server gave");
        l.have_cursor = true;
    }
    l.items = json_array();
    rc = image_walk(r->h, l.have_cursor ? &l.cursor : NULL, since, list_one, &l);
    if (rc < 0) {
        json_decref(l.items);
        return bw_http__reply_error(r, 503, "unavailable", NULL, "the list is not built yet");
    }
    o = json_pack("{s:o}", "devices", l.items);
    if (l.more) {
        char ip[BW_ADDR_TEXT_MAX];

        json_object_set_new(o, "next_cursor", json_string(bw_addr_format(&l.last, ip)));
    } else {
        json_object_set_new(o, "next_cursor", json_null());
    }
    return bw_http__reply_json(r, 200, o);
}

struct summary {
    struct bw_http *h;
    int64_t now_s;
    uint64_t devices, listed;
    json_t *by[5]; /* country, asn, vertical, device_type, category */
};

static void bump(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    if (v != NULL)
        json_integer_set(v, json_integer_value(v) + 1);
    else
        json_object_set_new(o, key, json_integer(1));
}

static int summary_one(void *ctx, const struct bw_device *d, const struct bw_verdict *v,
                       bool allowlisted)
{
    struct summary *s = ctx;
    const struct bw_enrichment *en = &d->en;
    char asn[16];

    (void)allowlisted;
    s->devices++;
    if (!v->listed)
        return 0;
    s->listed++;
    snprintf(asn, sizeof(asn), "%u", en->asn);
    bump(s->by[0], en->country[0] ? en->country : "unknown");
    bump(s->by[1], en->asn ? asn : "unknown");
    bump(s->by[2], en->vertical[0] ? en->vertical : "unknown");
    bump(s->by[3], en->device_type[0] ? en->device_type : "unknown");
    for (int c = 0; c < BW_CAT_COUNT; c++) {
        if (d->cats & (1u << c))
            bump(s->by[4], bw_category_name((enum bw_category)c));
    }
    return 0;
}

static enum MHD_Result get_summary(struct bw_http_req *r)
{
    struct summary s = { .h = r->h, .now_s = bw_time_now() };
    int rc;

    for (int i = 0; i < 5; i++)
        s.by[i] = json_object();
    rc = image_walk(r->h, NULL, s.now_s - r->h->c.policy.window_s, summary_one, &s);
    if (rc != BW_OK) {
        for (int i = 0; i < 5; i++)
            json_decref(s.by[i]);
        return bw_http__reply_error(r, 503, "unavailable", NULL, "the list is not built yet");
    }
    return bw_http__reply_json(
        r, 200,
        json_pack("{s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "generated",
                  bw_http__time_json(s.now_s), "devices", (json_int_t)s.devices, "listed",
                  (json_int_t)s.listed, "by_country", s.by[0], "by_asn", s.by[1], "by_vertical",
                  s.by[2], "by_device_type", s.by[3], "by_category", s.by[4]));
}

/* ---- metrics ---- */

/* The notification side, for operators to alert on: cases by state, messages by state, and
 * cases waiting with a delivery problem. Read from the store (a scrape is rare). */
static int notify_metrics(struct bw_http *h, struct bw_buf *b)
{
    static const char *const outbox[3] = { "pending", "sent", "failed" };
    struct bw_store *st = bw_http__store_get(h);
    struct bw_notify_counts n;
    int rc;

    if (st == NULL)
        return BW_OK; /* the rest of the metrics still answer */
    rc = bw_store_notify_counts(st, &n);
    bw_http__store_put(h, st);
    if (rc != BW_OK)
        return BW_OK;
    rc = bw_buf_printf(b, "# HELP botwatch_cases Notification cases by state.\n"
                          "# TYPE botwatch_cases gauge\n");
    for (int i = 0; i < BW_CASE_STATE_COUNT && rc == BW_OK; i++)
        rc = bw_buf_printf(b, "botwatch_cases{state=\"%s\"} %llu\n",
                           bw_case_state_name((enum bw_case_state)i),
                           (unsigned long long)n.cases[i]);
    if (rc == BW_OK)
        rc = bw_buf_printf(b, "# HELP botwatch_notify_messages Notices in the outbox by state.\n"
                              "# TYPE botwatch_notify_messages gauge\n");
    for (int i = 0; i < 3 && rc == BW_OK; i++)
        rc = bw_buf_printf(b, "botwatch_notify_messages{state=\"%s\"} %llu\n", outbox[i],
                           (unsigned long long)n.outbox[i]);
    if (rc == BW_OK)
        rc = bw_buf_printf(b, "# HELP botwatch_notify_cases_waiting Open cases waiting for "
                              "delivery, with a reason (no route, relay down, ...).\n"
                              "# TYPE botwatch_notify_cases_waiting gauge\n"
                              "botwatch_notify_cases_waiting %llu\n",
                           (unsigned long long)n.undeliverable);
    return rc;
}

static enum MHD_Result get_metrics(struct bw_http_req *r)
{
    static const char *const bounds[BW_HTTP_LAT_BUCKETS] = { "0.0005", "0.001", "0.002", "0.005",
                                                             "0.01",   "0.05",  "0.1",   "0.5" };
    struct bw_http *h = r->h;
    struct bw_buf b;
    uint64_t cum = 0;
    int64_t age = -1;
    size_t entries = 0, devices = 0;
    double build_s = 0;
    struct timespec now;
    enum MHD_Result ret;
    int rc;

    pthread_mutex_lock(&h->listing_mu);
    if (h->listing != NULL) {
        age = bw_time_now() - h->listing->built_s;
        entries = h->listing->n;
        devices = h->listing->image.n;
        build_s = (double)h->listing->build_us / 1e6;
    }
    pthread_mutex_unlock(&h->listing_mu);
    clock_gettime(CLOCK_MONOTONIC, &now);
    bw_buf_init(&b, 0);
    rc = bw_buf_printf(&b, "# HELP botwatch_http_requests_total HTTP requests answered, by "
                           "status class.\n# TYPE botwatch_http_requests_total counter\n");
    for (int i = 1; i <= 5 && rc == BW_OK; i++)
        rc = bw_buf_printf(&b, "botwatch_http_requests_total{code=\"%dxx\"} %llu\n", i,
                           (unsigned long long)atomic_load(&h->requests[i]));
    if (rc == BW_OK)
        rc = bw_buf_printf(&b, "# HELP botwatch_http_request_duration_seconds Time to answer "
                               "a request.\n# TYPE botwatch_http_request_duration_seconds "
                               "histogram\n");
    for (int i = 0; i < BW_HTTP_LAT_BUCKETS && rc == BW_OK; i++) {
        cum += atomic_load(&h->lat_bucket[i]);
        rc = bw_buf_printf(&b, "botwatch_http_request_duration_seconds_bucket{le=\"%s\"} %llu\n",
                           bounds[i], (unsigned long long)cum);
    }
    cum += atomic_load(&h->lat_bucket[BW_HTTP_LAT_BUCKETS]);
    if (rc == BW_OK)
        rc = bw_buf_printf(
            &b,
            "botwatch_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
            "botwatch_http_request_duration_seconds_sum %.6f\n"
            "botwatch_http_request_duration_seconds_count %llu\n"
            "# HELP botwatch_ingest_reports_total Reports received over HTTP, by outcome.\n"
            "# TYPE botwatch_ingest_reports_total counter\n"
            "botwatch_ingest_reports_total{result=\"accepted\"} %llu\n"
            "botwatch_ingest_reports_total{result=\"duplicate\"} %llu\n"
            "botwatch_ingest_reports_total{result=\"rejected\"} %llu\n"
            "# HELP botwatch_ingest_requests_refused_total Report requests refused whole (400).\n"
            "# TYPE botwatch_ingest_requests_refused_total counter\n"
            "botwatch_ingest_requests_refused_total %llu\n"
            "# HELP botwatch_snapshot_age_seconds Age of the listing in service (-1: none).\n"
            "# TYPE botwatch_snapshot_age_seconds gauge\n"
            "botwatch_snapshot_age_seconds %lld\n"
            "# HELP botwatch_snapshot_entries Addresses and networks in the listing in service.\n"
            "# TYPE botwatch_snapshot_entries gauge\n"
            "botwatch_snapshot_entries %zu\n"
            "# HELP botwatch_snapshot_devices Devices in the lookup image (reports in the window).\n"
            "# TYPE botwatch_snapshot_devices gauge\n"
            "botwatch_snapshot_devices %zu\n"
            "# HELP botwatch_snapshot_build_seconds How long the listing in service took to build.\n"
            "# TYPE botwatch_snapshot_build_seconds gauge\n"
            "botwatch_snapshot_build_seconds %.6f\n"
            "# HELP botwatch_uptime_seconds Seconds since the server started.\n"
            "# TYPE botwatch_uptime_seconds gauge\n"
            "botwatch_uptime_seconds %lld\n",
            (unsigned long long)cum, (double)atomic_load(&h->lat_sum_us) / 1e6,
            (unsigned long long)cum, (unsigned long long)atomic_load(&h->ingest_accepted),
            (unsigned long long)atomic_load(&h->ingest_duplicates),
            (unsigned long long)atomic_load(&h->ingest_rejected),
            (unsigned long long)atomic_load(&h->ingest_refused), (long long)age, entries,
            devices, build_s, (long long)(now.tv_sec - h->started.tv_sec));
    if (rc == BW_OK)
        rc = notify_metrics(h, &b);
    ret = rc == BW_OK ? bw_http__reply(r, 200, "text/plain; version=0.0.4", b.data, b.len, NULL)
                      : bw_http__reply_error(r, 500, "internal", NULL, "metrics not rendered");
    bw_buf_cleanup(&b);
    return ret;
}

/* ---- routing ---- */

/* ---- delisting requests ---- */

#define DELIST_REASON_MAX 1000
#define DELIST_CONTACT_MAX 255

static int delist_store(struct bw_store *st, void *ctx)
{
    return bw_store_delist_add(st, ctx);
}

/* A required string field of at most max bytes of valid UTF-8 without control characters;
 * NULL when it is fine, else what is wrong. */
static const char *text_field(json_t *o, const char *name, size_t max, const char **out)
{
    json_t *v = json_object_get(o, name);
    const char *t;
    size_t len;

    if (v == NULL)
        return "is missing";
    if (!json_is_string(v))
        return "must be a string";
    t = json_string_value(v);
    len = json_string_length(v);
    if (len == 0)
        return "is empty";
    if (len > max)
        return "is too long";
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
            return "holds control characters";
    }
    *out = t;
    return NULL;
}

static enum MHD_Result post_delist(struct bw_http_req *r)
{
    static const char *const fields[] = { "ip", "reason", "contact" };
    struct bw_delist req = { 0 };
    const struct bw_http_listing *l;
    const char *ip = NULL, *reason = NULL, *contact = NULL, *bad, *key;
    json_error_t jerr;
    json_t *root, *v;
    struct bw_diag d;
    char ipt[BW_ADDR_TEXT_MAX], note[96];
    bool listed;
    int rc;

    bw_http__authenticate(r, "X-Api-Key");
    if (r->auth == BW_AUTH_BAD)
        return bw_http__reply_error(r, 401, "unauthorized", NULL, "the key is not known");
    root = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return bw_http__reply_error(r, 400, "malformed", NULL,
                                    "the body must be one JSON object: %s",
                                    root == NULL ? jerr.text : "not an object");
    }
    json_object_foreach(root, key, v) {
        bool known = false;

        for (size_t i = 0; i < BW_ARRAY_LEN(fields); i++)
            known = known || strcmp(key, fields[i]) == 0;
        if (!known) {
            enum MHD_Result res = bw_http__reply_error(r, 400, "unknown_field", key,
                                                       "unknown field \"%.60s\"", key);

            json_decref(root);
            return res;
        }
    }
    if ((bad = text_field(root, "ip", BW_ADDR_TEXT_MAX - 1, &ip)) != NULL ||
        bw_addr_parse(&req.addr, ip, strlen(ip)) != BW_OK) {
        enum MHD_Result res = bw_http__reply_error(r, 400, "invalid_ip", "ip",
                                                   "ip %s", bad ? bad : "is not an IP address");

        json_decref(root);
        return res;
    }
    if ((bad = text_field(root, "reason", DELIST_REASON_MAX, &reason)) != NULL ||
        (bad = text_field(root, "contact", DELIST_CONTACT_MAX, &contact)) != NULL) {
        const char *f = reason == NULL ? "reason" : "contact";
        enum MHD_Result res = bw_http__reply_error(r, 400, "invalid_field", f, "%s %s", f, bad);

        json_decref(root);
        return res;
    }
    l = bw_http__listing_get(r->h);
    listed = l != NULL && bw_http__listing_find(l, &req.addr) != NULL;
    bw_http__listing_put(r->h, l);
    if (!listed) {
        json_decref(root);
        return bw_http__reply_json(r, 200, json_pack("{s:s, s:b, s:s}", "ip",
                                                     bw_addr_format(&req.addr, ipt), "listed",
                                                     0, "state", "not_listed"));
    }
    snprintf(req.reason, sizeof(req.reason), "%s", reason);
    snprintf(req.contact, sizeof(req.contact), "%s", contact);
    snprintf(req.requested_by, sizeof(req.requested_by), "%s",
             r->auth == BW_AUTH_KEY ? r->key.name : "anonymous");
    req.requested_s = bw_time_now();
    json_decref(root);
    rc = bw_http__with_writer(r->h, delist_store, &req, &d);
    if (rc != BW_OK && rc != BW_ECONFLICT) {
        bw_log_err("http: delisting request not stored (%s: %s)", bw_strerror(rc), d.msg);
        return bw_http__reply_error(r, 503, "not_stored", NULL,
                                    "the request was not recorded; send it again");
    }
    snprintf(note, sizeof(note), "delist request %lld%s", (long long)req.id,
             rc == BW_ECONFLICT ? " (already pending)" : "");
    bw_http__audit(r, note);
    return bw_http__reply_json(r, rc == BW_OK ? 202 : 200,
                               json_pack("{s:I, s:s, s:b, s:s, s:b}", "id", (json_int_t)req.id,
                                         "ip", bw_addr_format(&req.addr, ipt), "listed", 1,
                                         "state", "pending", "duplicate", rc == BW_ECONFLICT));
}

/* ---- the router ---- */

enum MHD_Result bw_http__api(struct bw_http_req *r)
{
    const char *p = r->path;
    bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    bool post = strcmp(r->method, "POST") == 0;

    if (strcmp(p, "/healthz") == 0 && get)
        return bw_http__reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
    if (strcmp(p, "/metrics") == 0 && get)
        return get_metrics(r);
    p += strlen("/api/v1");
    if (strcmp(p, "/reports") == 0 && post)
        return post_reports(r);
    if (strncmp(p, "/devices/", 9) == 0 && p[9] != '\0' && get) {
        bw_http__authenticate(r, "X-Api-Key");
        if (r->auth == BW_AUTH_BAD)
            return bw_http__reply_error(r, 401, "unauthorized", NULL, "the key is not known");
        return get_device(r, p + 9);
    }
    if (strcmp(p, "/devices") == 0 && get)
        return get_devices(r);
    if (strcmp(p, "/blocklist") == 0 && get)
        return get_blocklist(r);
    if (strcmp(p, "/stats/summary") == 0 && get)
        return get_summary(r);
    if (strcmp(p, "/delist") == 0 && post)
        return post_delist(r);
    if (strncmp(p, "/cases/", 7) == 0)
        return bw_http__cases(r, p + 7);
    if (strcmp(p, "/reports") == 0 || strcmp(p, "/delist") == 0 || strncmp(p, "/devices/", 9) == 0 ||
        strcmp(p, "/blocklist") == 0)
        return bw_http__reply_error(r, 405, "method_not_allowed", NULL,
                                    "%s is not allowed here", r->method);
    return bw_http__reply_error(r, 404, "not_found", NULL, "no such resource");
}
