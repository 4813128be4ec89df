/*
 * http/compat.c - the shapes existing tools speak: AbuseIPDB v2 (report, check, blacklist)
 * for fail2ban's action and AbuseIPDB scripts, and the CrowdSec Local API's decisions for
 * bouncers. docs/api.md documents both and the category mapping.
 * Invariants:
 *  - Compat reports take the same path as native ones (bw_http__ingest): same validation,
 *    same identities, same durability before the answer.
 *  - A bouncer's stream state (what it was last sent) is kept per key name in memory: after
 *    a restart of the server every bouncer's next pull is a full one, which bouncers handle.
 *  - Error bodies follow each API's own shape, so the tools report them sensibly.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "http/http_int.h"

/* ---- AbuseIPDB categories (https://www.abuseipdb.com/categories) ---- */

/* AbuseIPDB category number -> ours. 0 means no category of ours fits (ignored). */
static const int8_t abuseipdb_to_ours[24] = {
    [1] = BW_CAT_MALWARE,     /* DNS Compromise */
    [2] = BW_CAT_MALWARE,     /* DNS Poisoning */
    [3] = BW_CAT_SPAM,        /* Fraud Orders */
    [4] = BW_CAT_DDOS,        /* DDoS Attack */
    [5] = BW_CAT_BRUTEFORCE,  /* FTP Brute-Force */
    [6] = BW_CAT_DDOS,        /* Ping of Death */
    [7] = BW_CAT_PHISHING,    /* Phishing */
    [8] = BW_CAT_SPAM,        /* Fraud VoIP */
    [9] = BW_CAT_PROXY,       /* Open Proxy */
    [10] = BW_CAT_SPAM,       /* Web Spam */
    [11] = BW_CAT_SPAM,       /* Email Spam */
    [12] = BW_CAT_SPAM,       /* Blog Spam */
    [13] = BW_CAT_PROXY,      /* VPN IP */
    [14] = BW_CAT_SCAN,       /* Port Scan */
    [15] = BW_CAT_EXPLOIT,    /* Hacking */
    [16] = BW_CAT_WEB_ATTACK, /* SQL Injection */
    [17] = BW_CAT_SPAM,       /* Spoofing */
    [18] = BW_CAT_BRUTEFORCE, /* Brute-Force */
    [19] = BW_CAT_WEB_ATTACK, /* Bad Web Bot */
    [20] = BW_CAT_BOT,        /* Exploited Host */
    [21] = BW_CAT_WEB_ATTACK, /* Web App Attack */
    [22] = BW_CAT_BRUTEFORCE, /* SSH */
    [23] = BW_CAT_EXPLOIT,    /* IoT Targeted */
};

/* Ours -> the AbuseIPDB number that says it best. */
static const uint8_t ours_to_abuseipdb[BW_CAT_COUNT] = {
    [BW_CAT_SCAN] = 14,       [BW_CAT_BRUTEFORCE] = 18, [BW_CAT_EXPLOIT] = 15,
    [BW_CAT_WEB_ATTACK] = 21, [BW_CAT_DDOS] = 4,        [BW_CAT_SPAM] = 11,
    [BW_CAT_MALWARE] = 20,    [BW_CAT_C2] = 20,         [BW_CAT_BOT] = 20,
    [BW_CAT_PHISHING] = 7,    [BW_CAT_PROXY] = 9,
};

static enum MHD_Result abuse_error(struct bw_http_req *r, unsigned status, const char *param,
                                   const char *detail)
{
    json_t *e = json_pack("{s:s, s:i}", "detail", detail, "status", (int)status);

    if (param != NULL)
        json_object_set_new(e, "source", json_pack("{s:s}", "parameter", param));
    return bw_http__reply_json(r, status, json_pack("{s:[o]}", "errors", e));
}

/* Decodes one application/x-www-form-urlencoded value in place; returns its length. */
static size_t url_decode(char *s, size_t len)
{
    size_t j = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            s[j++] = ' ';
        } else if (s[i] == '%' && i + 2 < len && isxdigit((unsigned char)s[i + 1]) &&
                   isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = { s[i + 1], s[i + 2], '\0' };

            s[j++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            s[j++] = s[i];
        }
    }
    return j;
}

/* A parameter from the form body, else from the query string; NULL when absent. The value
 * is copied into out (cap bytes, NUL-terminated, truncated). */
static const char *param(struct bw_http_req *r, const char *name, char *out, size_t cap)
{
    const char *ct = bw_http__header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t nl = strlen(name);
    const char *q;

    if (r->body.len > 0 &&
        (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0)) {
        const char *p = r->body.data, *end = r->body.data + r->body.len;

        while (p < end) {
            const char *amp = memchr(p, '&', (size_t)(end - p));
            const char *stop = amp != NULL ? amp : end;
            const char *eq = memchr(p, '=', (size_t)(stop - p));

            if (eq != NULL && (size_t)(eq - p) == nl && memcmp(p, name, nl) == 0) {
                size_t vl = (size_t)(stop - eq - 1);
                char *tmp = bw_xstrndup(eq + 1, vl);

                vl = url_decode(tmp, vl);
                vl = vl < cap - 1 ? vl : cap - 1;
                memcpy(out, tmp, vl);
                out[vl] = '\0';
                free(tmp);
                return out;
            }
            p = stop + 1;
        }
    }
    q = bw_http__arg(r, name);
    if (q == NULL && bw_http__has_arg(r, name))
        q = ""; /* "?verbose", "?plaintext": present without a value */
    if (q == NULL)
        return NULL;
    snprintf(out, cap, "%s", q);
    return out;
}

struct check {
    struct bw_http_req *r;
    int64_t max_age_s;
    bool verbose;
    json_t *data;
};

struct verbose_ctx {
    json_t *a;
    int64_t since_s;
};

static int add_abuse_report(void *ctx, const struct bw_stored_report *sr)
{
    struct verbose_ctx *vc = ctx;
    json_t *cats = json_array();
    bool seen[24] = { false };

    if (sr->time_s < vc->since_s)
        return 1; /* newest first: the rest are older still */
    for (int c = 0; c < BW_CAT_COUNT; c++) {
        uint8_t n = ours_to_abuseipdb[c];

        if ((sr->cats & (1u << c)) && !seen[n]) {
            seen[n] = true;
            json_array_append_new(cats, json_integer(n));
        }
    }
    json_array_append_new(vc->a, json_pack("{s:o, s:o, s:o, s:i, s:n, s:n}", "reportedAt",
                                           bw_http__time_json(sr->time_s), "comment",
                                           sr->evidence ? json_string(sr->evidence)
                                                        : json_string(""),
                                           "categories", cats, "reporterId", 0,
                                           "reporterCountryCode", "reporterCountryName"));
    return 0;
}

static int check_cb(void *ctx, struct bw_store *st, const struct bw_http_judged *j)
{
    struct check *ck = ctx;
    const struct bw_device *d = j->d;
    int64_t since = bw_time_now() - ck->max_age_s, last = 0;
    uint64_t total = 0, users = 0;
    char ip[BW_ADDR_TEXT_MAX];
    json_t *o;
    int rc = BW_OK;

    for (size_t i = 0; i < j->n; i++) {
        if (j->ev[i].via.len == 0 && j->ev[i].last_seen_s >= since) {
            total += j->ev[i].reports;
            users++;
            last = j->ev[i].last_seen_s > last ? j->ev[i].last_seen_s : last;
        }
    }
    o = json_object();
    json_object_set_new(o, "ipAddress", json_string(bw_addr_format(&d->addr, ip)));
    json_object_set_new(o, "isPublic", json_boolean(bw_addr_class(&d->addr) == BW_ADDR_PUBLIC));
    json_object_set_new(o, "ipVersion", json_integer(bw_addr_is_v4(&d->addr) ? 4 : 6));
    json_object_set_new(o, "isWhitelisted", json_boolean(j->allowlisted));
    json_object_set_new(o, "abuseConfidenceScore", json_integer(j->v.score));
    json_object_set_new(o, "countryCode",
                        d->en.country[0] ? json_string(d->en.country) : json_null());
    json_object_set_new(o, "usageType", d->en.vertical[0] ? json_string(d->en.vertical)
                                                          : json_null());
    json_object_set_new(o, "isp", d->en.as_org[0] ? json_string(d->en.as_org) : json_null());
    json_object_set_new(o, "domain", json_null());
    json_object_set_new(o, "hostnames", json_array());
    json_object_set_new(o, "isTor", json_false());
    json_object_set_new(o, "totalReports", json_integer((json_int_t)total));
    json_object_set_new(o, "numDistinctUsers", json_integer((json_int_t)users));
    json_object_set_new(o, "lastReportedAt", bw_http__time_json(last));
    if (ck->verbose) {
        struct verbose_ctx vc = { .a = json_array(), .since_s = since };

        if (d->reports > 0) {
            rc = bw_store_report_recent(st, &d->addr, 100, add_abuse_report, &vc);
            rc = rc > 0 ? BW_OK : rc;
        }
        json_object_set_new(o, "reports", vc.a);
    }
    if (rc != BW_OK) {
        json_decref(o);
        return rc;
    }
    ck->data = o;
    return 0;
}

static bool v2_auth(struct bw_http_req *r)
{
    bw_http__authenticate(r, "Key");
    return r->auth != BW_AUTH_BAD;
}

static enum MHD_Result v2_check(struct bw_http_req *r)
{
    struct check ck = { .r = r, .max_age_s = 30 * 86400 };
    struct bw_addr a;
    char ip[128], age[16], verb[8];
    uint64_t days;

    if (param(r, "ipAddress", ip, sizeof(ip)) == NULL)
        return abuse_error(r, 422, "ipAddress", "The ip address field is required.");
    if (bw_addr_parse(&a, ip, strlen(ip)) != BW_OK)
        return abuse_error(r, 422, "ipAddress", "The ip address must be a valid IPv4 or IPv6 "
                                                "address (e.g. 8.8.8.8 or 2001:4860:4860::8888).");
    if (param(r, "maxAgeInDays", age, sizeof(age)) != NULL) {
        days = 0;
        for (const char *c = age; *c != '\0'; c++)
            days = *c >= '0' && *c <= '9' && days < 1000 ? days * 10 + (uint64_t)(*c - '0')
                                                         : 1000;
        if (days < 1 || days > 365)
            return abuse_error(r, 422, "maxAgeInDays",
                               "The max age in days must be between 1 and 365.");
        ck.max_age_s = (int64_t)days * 86400;
    }
    ck.verbose = param(r, "verbose", verb, sizeof(verb)) != NULL;
    if (bw_http__judge(r->h, &a, check_cb, &ck) != BW_OK)
        return abuse_error(r, 503, NULL, "The store did not answer; try again.");
    return bw_http__reply_json(r, 200, json_pack("{s:o}", "data", ck.data));
}

struct score_only {
    int score;
};

static int score_cb(void *ctx, struct bw_store *st, const struct bw_http_judged *j)
{
    (void)st;
    ((struct score_only *)ctx)->score = j->v.score;
    return 0;
}

static enum MHD_Result v2_report(struct bw_http_req *r)
{
    char ip[128], cats[256], comment[BW_EVIDENCE_MAX + 1], ts[64];
    struct bw_ingest_stats stats;
    struct score_only so = { 0 };
    struct bw_addr a;
    struct bw_diag d;
    json_t *line, *names;
    bw_catmask mask = 0;
    char *text, *p;
    int64_t t = bw_time_now();
    int rc;

    if (r->auth != BW_AUTH_KEY)
        return abuse_error(r, 401, NULL, "Authentication failed. Your API key is either "
                                         "missing, incorrect, or revoked.");
    if (r->key.role != BW_KEY_REPORTER && r->key.role != BW_KEY_ADMIN)
        return abuse_error(r, 403, NULL, "This key may not submit reports.");
    if (param(r, "ip", ip, sizeof(ip)) == NULL)
        return abuse_error(r, 422, "ip", "The ip field is required.");
    if (bw_addr_parse(&a, ip, strlen(ip)) != BW_OK)
        return abuse_error(r, 422, "ip", "The ip must be a valid IPv4 or IPv6 address.");
    if (bw_addr_class(&a) != BW_ADDR_PUBLIC) {
        char detail[320];

        snprintf(detail, sizeof(detail), "You can only report public IP addresses (%s is %s "
                 "address space).", ip, bw_addr_class_name(bw_addr_class(&a)));
        return abuse_error(r, 422, "ip", detail);
    }
    if (param(r, "categories", cats, sizeof(cats)) == NULL)
        return abuse_error(r, 422, "categories", "The categories field is required.");
    for (p = cats; *p != '\0';) {
        long n = 0;
        int digits = 0;

        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        while (*p >= '0' && *p <= '9' && digits < 3) {
            n = n * 10 + (*p++ - '0');
            digits++;
        }
        if (digits == 0 || (*p != '\0' && *p != ',' && *p != ' ') || n < 1 || n > 23)
            return abuse_error(r, 422, "categories", "The categories must be numbers 1-23 "
                                                     "separated by commas.");
        mask |= 1u << abuseipdb_to_ours[n];
    }
    if (mask == 0)
        return abuse_error(r, 422, "categories", "The categories field is required.");
    if (param(r, "timestamp", ts, sizeof(ts)) != NULL && bw_time_parse(&t, ts, strlen(ts)) != BW_OK)
        return abuse_error(r, 422, "timestamp", "The timestamp must be an ISO 8601 time.");
    names = json_array();
    for (int c = 0; c < BW_CAT_COUNT; c++) {
        if (mask & (1u << c))
            json_array_append_new(names, json_string(bw_category_name((enum bw_category)c)));
    }
    line = json_pack("{s:s, s:o, s:I}", "ip", ip, "category", names, "time", (json_int_t)t);
    if (param(r, "comment", comment, sizeof(comment)) != NULL && comment[0] != '\0' &&
        bw_utf8_valid(comment, strlen(comment)))
        json_object_set_new(line, "evidence", json_string(comment));
    text = json_dumps(line, JSON_COMPACT);
    json_decref(line);
    if (text == NULL)
        return abuse_error(r, 500, NULL, "Out of memory.");
    rc = bw_http__ingest(r->h, r->key.name, text, strlen(text), &stats, &d);
    free(text);
    if (rc != BW_OK) {
        bw_log_err("http: abuseipdb report of key %s not stored (%s: %s)", r->key.name,
                   bw_strerror(rc), d.msg);
        return abuse_error(r, 503, NULL, "The report was not stored; try again.");
    }
    if (stats.accepted + stats.duplicates == 0)
        return abuse_error(r, 422, "timestamp", "The timestamp is out of range.");
    bw_http__audit(r, "abuseipdb report");
    if (bw_http__judge(r->h, &a, score_cb, &so) != BW_OK)
        so.score = 0;
    return bw_http__reply_json(r, 200, json_pack("{s:{s:s, s:i}}", "data", "ipAddress", ip,
                                                 "abuseConfidenceScore", so.score));
}

static enum MHD_Result v2_blacklist(struct bw_http_req *r)
{
    const struct bw_http_listing *l;
    char v[32], ts[BW_TIME_TEXT_MAX];
    uint64_t min = (uint64_t)r->h->c.policy.threshold, limit = 10000, n = 0;
    const char *accept = bw_http__header(r, MHD_HTTP_HEADER_ACCEPT);
    bool plain = param(r, "plaintext", v, sizeof(v)) != NULL ||
                 (accept != NULL && strstr(accept, "text/plain") != NULL);
    struct bw_buf b;
    json_t *data;
    enum MHD_Result ret;

    if (param(r, "confidenceMinimum", v, sizeof(v)) != NULL) {
        min = 0;
        for (const char *c = v; *c != '\0'; c++)
            min = *c >= '0' && *c <= '9' && min < 1000 ? min * 10 + (uint64_t)(*c - '0') : 1000;
        if (min < 1 || min > 100)
            return abuse_error(r, 422, "confidenceMinimum",
                               "The confidence minimum must be between 1 and 100.");
    }
    if (param(r, "limit", v, sizeof(v)) != NULL) {
        limit = 0;
        for (const char *c = v; *c != '\0'; c++)
            limit = *c >= '0' && *c <= '9' && limit < 100000000 ? limit * 10 + (uint64_t)(*c - '0')
                                                               : 0;
        if (limit == 0)
            return abuse_error(r, 422, "limit", "The limit must be a positive number.");
    }
    l = bw_http__listing_get(r->h);
    if (l == NULL)
        return abuse_error(r, 503, NULL, "The list is not available; try again.");
    bw_buf_init(&b, 0);
    data = json_array();
    for (size_t i = 0; i < l->n && n < limit; i++) {
        char t[BW_PREFIX_TEXT_MAX];

        if (l->e[i].score < min || l->e[i].prefix.len != 128)
            continue;
        bw_addr_format(&l->e[i].prefix.addr, t);
        n++;
        if (plain) {
            if (bw_buf_printf(&b, "%s\n", t) != BW_OK)
                break;
        } else {
            json_array_append_new(data, json_pack("{s:s, s:n, s:i, s:o}", "ipAddress", t,
                                                  "countryCode", "abuseConfidenceScore",
                                                  (int)l->e[i].score, "lastReportedAt",
                                                  bw_http__time_json(l->e[i].last_seen_s)));
        }
    }
    bw_time_format(l->built_s, ts);
    bw_http__listing_put(r->h, l);
    if (plain) {
        json_decref(data);
        ret = bw_http__reply(r, 200, "text/plain; charset=utf-8", b.data, b.len, NULL);
        bw_buf_cleanup(&b);
        return ret;
    }
    bw_buf_cleanup(&b);
    return bw_http__reply_json(r, 200, json_pack("{s:{s:s}, s:o}", "meta", "generatedAt", ts,
                                                 "data", data));
}

enum MHD_Result bw_http__abuseipdb(struct bw_http_req *r)
{
    const char *p = r->path + strlen("/api/v2");
    bool get = strcmp(r->method, "GET") == 0;
    bool post = strcmp(r->method, "POST") == 0;

    if (!v2_auth(r))
        return abuse_error(r, 401, NULL, "Authentication failed. Your API key is either "
                                         "missing, incorrect, or revoked.");
    if (strcmp(p, "/report") == 0 && post)
        return v2_report(r);
    if (strcmp(p, "/check") == 0 && get)
        return v2_check(r);
    if (strcmp(p, "/blacklist") == 0 && get)
        return v2_blacklist(r);
    return abuse_error(r, 404, NULL, "The requested endpoint does not exist.");
}

/* ---- CrowdSec Local API: decisions for bouncers ---- */

static void go_duration(int64_t s, char *buf, size_t cap)
{
    if (s < 1)
        s = 1;
    if (s >= 3600)
        snprintf(buf, cap, "%lldh%lldm%llds", (long long)(s / 3600), (long long)(s % 3600 / 60),
                 (long long)(s % 60));
    else if (s >= 60)
        snprintf(buf, cap, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
    else
        snprintf(buf, cap, "%llds", (long long)s);
}

static json_t *decision(const struct bw_http *h, const struct bw_prefix *p,
                        const struct bw_http_entry *e, int64_t now_s)
{
    uint8_t hash[16];
    char uuid[40], value[BW_PREFIX_TEXT_MAX], dur[48], scenario[64];
    uint64_t id = 0;
    int c = 0;

    /* the same prefix always gets the same id and uuid: a bouncer can match a deletion to
     * the ban it removes */
    crypto_generichash(hash, sizeof(hash), p->addr.b, sizeof(p->addr.b), &p->len, 1);
    for (int i = 0; i < 6; i++)
        id = id << 8 | hash[i];
    id &= (1ULL << 47) - 1;
    snprintf(uuid, sizeof(uuid),
             "%02x%02x%02x%02x-%02x%02x-4%01x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", hash[0],
             hash[1], hash[2], hash[3], hash[4], hash[5], hash[6] & 0xf, hash[7],
             (hash[8] & 0x3f) | 0x80, hash[9], hash[10], hash[11], hash[12], hash[13],
             hash[14], hash[15]);
    if (p->len == 128)
        bw_addr_format(&p->addr, value);
    else
        bw_prefix_format(p, value);
    if (e != NULL)
        go_duration(e->last_seen_s + h->c.policy.expiry_s - now_s, dur, sizeof(dur));
    else
        snprintf(dur, sizeof(dur), "0s");
    while (e != NULL && c < BW_CAT_COUNT && !(e->cats & (1u << c)))
        c++;
    snprintf(scenario, sizeof(scenario), "botwatch/%s",
             e != NULL && c < BW_CAT_COUNT ? bw_category_name((enum bw_category)c) : "listed");
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)(id + 1),
                     "uuid", uuid, "origin", "botwatch", "type", "ban", "scope",
                     p->len == 128 ? "Ip" : "Range", "value", value, "duration", dur,
                     "scenario", scenario);
}

static enum MHD_Result lapi_error(struct bw_http_req *r, unsigned status, const char *msg)
{
    return bw_http__reply_json(r, status, json_pack("{s:s}", "message", msg));
}

static int cmp_prefix(const void *a, const void *b)
{
    const struct bw_prefix *x = a, *y = b;
    int c = bw_addr_cmp(&x->addr, &y->addr);

    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* A bouncer's view survives restarts: after each pull that changed it, the prefixes it holds
 * are written (17 bytes each, sorted; to a temporary file, then renamed) to
 * <db>.bouncers/<hex of the key name>, and read back the first time that bouncer pulls after a
 * start. Without it a restart would forget what to delete from the bouncers. A file that does
 * not read back whole and sorted is ignored: that bouncer then gets a full list. */
#define BOUNCER_REC 17

static void bouncer_file(const struct bw_http *h, const char *name, char *dir, size_t dcap,
                         char *path, size_t pcap)
{
    char hex[2 * BW_KEY_NAME_MAX + 1];

    sodium_bin2hex(hex, sizeof(hex), (const unsigned char *)name, strlen(name));
    snprintf(dir, dcap, "%s.bouncers", h->db_path);
    snprintf(path, pcap, "%s/%s", dir, hex);
}

static void bouncer_load(const struct bw_http *h, struct bw_http_bouncer *bo)
{
    char dir[4200], path[4400];
    unsigned char rec[BOUNCER_REC];
    FILE *f;
    size_t n = 0, cap = 0;
    struct bw_prefix *v = NULL;
    bool ok = true;

    bouncer_file(h, bo->name, dir, sizeof(dir), path, sizeof(path));
    f = fopen(path, "rb");
    if (f == NULL)
        return;
    while (ok && fread(rec, 1, sizeof(rec), f) == sizeof(rec)) {
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            v = bw_xrealloc(v, cap * sizeof(*v));
        }
        memcpy(v[n].addr.b, rec, 16);
        v[n].len = rec[16];
        ok = v[n].len >= 1 && v[n].len <= 128 && (n == 0 || cmp_prefix(&v[n - 1], &v[n]) < 0);
        n++;
    }
    ok = ok && feof(f) && !ferror(f);
    fclose(f);
    if (!ok) {
        bw_log_warn("http: %s is damaged; bouncer %s gets a full list", path, bo->name);
        free(v);
        return;
    }
    bo->sent = v;
    bo->n_sent = n;
    bo->known = true;
}

static void bouncer_save(const struct bw_http *h, const struct bw_http_bouncer *bo)
{
    char dir[4200], path[4400], tmp[4500];
    unsigned char rec[BOUNCER_REC];
    FILE *f;
    bool ok = true;

    bouncer_file(h, bo->name, dir, sizeof(dir), path, sizeof(path));
    (void)mkdir(dir, 0700);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "wb");
    if (f == NULL) {
        bw_log_warn("http: cannot save bouncer %s's view in %s: %s", bo->name, tmp,
                    strerror(errno));
        return;
    }
    for (size_t i = 0; i < bo->n_sent && ok; i++) {
        memcpy(rec, bo->sent[i].addr.b, 16);
        rec[16] = bo->sent[i].len;
        ok = fwrite(rec, 1, sizeof(rec), f) == sizeof(rec);
    }
    ok = fflush(f) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        bw_log_warn("http: cannot save bouncer %s's view in %s", bo->name, path);
        unlink(tmp);
    }
}

static enum MHD_Result decisions_stream(struct bw_http_req *r)
{
    struct bw_http *h = r->h;
    const char *startup = bw_http__arg(r, "startup");
    bool full = startup != NULL && strcmp(startup, "true") == 0, changed;
    const struct bw_http_listing *l = bw_http__listing_get(h);
    struct bw_http_bouncer *bo = NULL;
    struct bw_prefix *now_set;
    json_t *news = json_array(), *dels = json_array();
    int64_t now_s = bw_time_now();
    size_t i = 0, j = 0;

    if (l == NULL) {
        json_decref(news);
        json_decref(dels);
        return lapi_error(r, 503, "the list is not available");
    }
    now_set = bw_xmalloc((l->n + 1) * sizeof(*now_set));
    for (size_t k = 0; k < l->n; k++)
        now_set[k] = l->e[k].prefix; /* the listing is sorted the same way */
    pthread_mutex_lock(&h->bouncer_mu);
    for (size_t k = 0; k < h->n_bouncers; k++) {
        if (strcmp(h->bouncers[k].name, r->key.name) == 0)
            bo = &h->bouncers[k];
    }
    if (bo == NULL) {
        h->bouncers = bw_xrealloc(h->bouncers, (h->n_bouncers + 1) * sizeof(*h->bouncers));
        bo = &h->bouncers[h->n_bouncers++];
        memset(bo, 0, sizeof(*bo));
        snprintf(bo->name, sizeof(bo->name), "%s", r->key.name);
        bouncer_load(h, bo);
    }
    full = full || !bo->known;
    if (full) {
        for (size_t k = 0; k < l->n; k++)
            json_array_append_new(news, decision(h, &l->e[k].prefix, &l->e[k], now_s));
    } else {
        /* a merge of two sorted sets: what is new, and what is gone */
        while (i < l->n || j < bo->n_sent) {
            int c = i == l->n       ? 1
                    : j == bo->n_sent ? -1
                                      : cmp_prefix(&l->e[i].prefix, &bo->sent[j]);

            if (c < 0) {
                json_array_append_new(news, decision(h, &l->e[i].prefix, &l->e[i], now_s));
                i++;
            } else if (c > 0) {
                json_array_append_new(dels, decision(h, &bo->sent[j], NULL, now_s));
                j++;
            } else {
                i++;
                j++;
            }
        }
    }
    changed = full || json_array_size(news) > 0 || json_array_size(dels) > 0;
    free(bo->sent);
    bo->sent = now_set;
    bo->n_sent = l->n;
    bo->known = true;
    if (changed)
        bouncer_save(h, bo);
    pthread_mutex_unlock(&h->bouncer_mu);
    bw_http__listing_put(h, l);
    return bw_http__reply_json(r, 200, json_pack("{s:o, s:o}", "new", news, "deleted", dels));
}

static enum MHD_Result decisions_ip(struct bw_http_req *r)
{
    const char *ip = bw_http__arg(r, "ip");
    const struct bw_http_listing *l;
    const struct bw_http_entry *e;
    struct bw_addr a;
    json_t *out;

    if (ip == NULL)
        ip = bw_http__arg(r, "value");
    if (ip == NULL || bw_addr_parse(&a, ip, strlen(ip)) != BW_OK)
        return lapi_error(r, 400, "ip: not an IP address");
    l = bw_http__listing_get(r->h);
    if (l == NULL)
        return lapi_error(r, 503, "the list is not available");
    e = bw_http__listing_find(l, &a);
    /* the Local API answers null, not [], when nothing applies; bouncers expect that */
    out = e != NULL ? json_pack("[o]", decision(r->h, &e->prefix, e, bw_time_now()))
                    : json_null();
    bw_http__listing_put(r->h, l);
    return bw_http__reply_json(r, 200, out);
}

enum MHD_Result bw_http__crowdsec(struct bw_http_req *r)
{
    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
        return lapi_error(r, 405, "method not allowed");
    bw_http__authenticate(r, "X-Api-Key");
    if (r->auth != BW_AUTH_KEY)
        return lapi_error(r, 403, "access forbidden");
    if (r->key.role != BW_KEY_BOUNCER && r->key.role != BW_KEY_ADMIN)
        return lapi_error(r, 403, "access forbidden: not a bouncer key");
    if (strcmp(r->path, "/v1/decisions/stream") == 0)
        return decisions_stream(r);
    if (strcmp(r->path, "/v1/decisions") == 0)
        return decisions_ip(r);
    return lapi_error(r, 404, "page not found");
}
