/*
 * parsers/shadowserver.c - Shadowserver report exports (CSV, a quoted header line first): one
 * report per row about the device in the `ip` / `src_ip` column, with its device fields.
 * docs/formats.md (section shadowserver) has the mapping from report kind to category.

 * Invariants:
 *  - The report kind is decided from the header's columns and the row's own cells (infection,
 *    tag, category), never from a file name.
 *  - Strings land in fixed arrays of the parser (capped on a UTF-8 boundary): parsing a row
 *    allocates nothing.
 *  - Rows that are exposure or inventory findings (an open service, a device fingerprint, a
 *    spoofing-capable network) are not evidence of compromise: 0 reports, unless the user said
 *    what the list means (opts.category).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parsers/parsers_int.h"

/* ---- the shadowserver format ---- */

#define MAX_COLUMNS 256
#define TEXT_MAX 256

enum col {
    C_OTHER,
    C_TIME,
    C_IP,
    C_PORT,
    C_PROTO,
    C_VENDOR,
    C_TYPE,
    C_MODEL,
    C_INFECTION,
    C_FAMILY,
    C_TAG,
    C_DST_IP,
    C_DST_PORT,
    C_URL,
    C_HOST,
    C_CATEGORY,
    C_BANNER,
    C_REASON,
    C_N
};

static const struct {
    const char *name;
    enum col col;
} column_names[] = {
    { "timestamp", C_TIME },         { "ip", C_IP },
    { "src_ip", C_IP },              { "port", C_PORT },
    { "protocol", C_PROTO },         { "device_vendor", C_VENDOR },
    { "device_type", C_TYPE },       { "device_model", C_MODEL },
    { "infection", C_INFECTION },    { "family", C_FAMILY },
    { "tag", C_TAG },                { "dst_ip", C_DST_IP },
    { "dst_port", C_DST_PORT },      { "url", C_URL },
    { "host", C_HOST },              { "category", C_CATEGORY },
    { "banner", C_BANNER },          { "serverid_raw", C_BANNER },
    { "reason", C_REASON },
};

/* What a report type says about the devices it lists; decided from the header. */
enum kind {
    K_EVENT,     /* event4_*: an `infection` column; sinkholes, honeypots, DDoS */
    K_URL,       /* compromised_website, malware_url: a `url` column */
    K_BLOCKLIST, /* blocklist: a `reason` column */
    K_EXPOSURE,  /* scan_*, device_id: what a scan found open or fingerprinted */
};

struct shadowserver {
    struct bw_parser base;
    bool have_header;
    bool bad_header;
    enum kind kind;
    size_t n_columns;
    unsigned char cols[MAX_COLUMNS]; /* enum col of each column */
    struct bw_slice cells[MAX_COLUMNS];
    struct bw_report r;
    char evidence[BW_EVIDENCE_MAX + 1];
    char text[7][TEXT_MAX + 1]; /* family, vendor, type, model, banner, target, host */
};

static const char *keep_text(char *dst, size_t cap, struct bw_slice s)
{
    size_t n = bw_utf8_truncate(s.ptr, s.len, cap);

    memcpy(dst, s.ptr, n);
    dst[n] = '\0';
    return dst;
}

static bool slice_is(struct bw_slice s, const char *lit)
{
    return s.len == strlen(lit) && strncasecmp(s.ptr, lit, s.len) == 0;
}

static bool slice_has(struct bw_slice s, const char *lit)
{
    size_t n = strlen(lit);

    for (size_t i = 0; i + n <= s.len; i++) {
        if (strncasecmp(s.ptr + i, lit, n) == 0)
            return true;
    }
    return false;
}

static bool slice_ends(struct bw_slice s, const char *lit)
{
    size_t n = strlen(lit);

    return s.len >= n && strncasecmp(s.ptr + s.len - n, lit, n) == 0;
}

/* Letters, digits, '-', '.', '_'; at most 253 bytes. */
static bool host_name(struct bw_slice s)
{
    if (s.len == 0 || s.len > 253)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return false;
    }
    return true;
}

static bool parse_port(struct bw_slice s, uint16_t *out)
{
    unsigned v = 0;

    if (s.len == 0 || s.len > 5)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s.ptr[i] - '0');
    }
    if (v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

static int header(struct shadowserver *s, int count, struct bw_parse_error *err)
{
    bool has[C_N] = { false };

    s->have_header = true;
    s->bad_header = false;
    s->n_columns = (size_t)count;
    for (int i = 0; i < count; i++) {
        struct bw_slice c = bw_parser__trim(s->cells[i]);

        s->cols[i] = C_OTHER;
        for (size_t k = 0; k < BW_ARRAY_LEN(column_names); k++) {
            if (slice_is(c, column_names[k].name)) {
                s->cols[i] = (unsigned char)column_names[k].col;
                break;
            }
        }
        /* the first column of a role is used */
        if (s->cols[i] != C_OTHER && has[s->cols[i]])
            s->cols[i] = C_OTHER;
        has[s->cols[i]] = true;
    }
    if (!has[C_IP]) {
        s->bad_header = true;
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "header has no \"ip\" or \"src_ip\" column");
    }
    if (has[C_INFECTION])
        s->kind = K_EVENT;
    else if (has[C_URL])
        s->kind = K_URL;
    else if (has[C_REASON])
        s->kind = K_BLOCKLIST;
    else
        s->kind = K_EXPOSURE;
    return 0;
}

/* The behaviour an `infection` or `tag` label names; 0 for a malware name. *skip is set for
 * labels that are no evidence of compromise. */
static bw_catmask behaviour(struct bw_slice v, bool *skip)
{
    *skip = false;
    if (slice_is(v, "ddos-participant") || slice_is(v, "ddos"))
        return 1u << BW_CAT_DDOS;
    if (slice_has(v, "brute-force") || slice_has(v, "bruteforce"))
        return 1u << BW_CAT_BRUTEFORCE;
    if (slice_is(v, "scan") || slice_ends(v, "-scan") || slice_ends(v, "_scan"))
        return 1u << BW_CAT_SCAN;
    if (slice_is(v, "phishing"))
        return 1u << BW_CAT_PHISHING;
    if (slice_is(v, "spam"))
        return 1u << BW_CAT_SPAM;
    if (slice_is(v, "ip-spoofer"))
        *skip = true;
    return 0;
}

static bw_catmask categories(struct shadowserver *s, const struct bw_slice *v, bool *skip)
{
    bw_catmask cats = 0;

    *skip = false;
    switch (s->kind) {
    case K_EVENT:
        if (v[C_INFECTION].len > 0) {
            cats = behaviour(v[C_INFECTION], skip);
            if (cats == 0 && !*skip) { /* a malware name: an infected device */
                cats = 1u << BW_CAT_BOT;
                s->r.family = keep_text(s->text[0], TEXT_MAX, v[C_INFECTION]);
            }
        } else if (v[C_TAG].len > 0) {
            cats = behaviour(v[C_TAG], skip);
        }
        if (cats == 0 && !*skip)
            cats = 1u << BW_CAT_BOT;
        return cats;
    case K_URL:
        if (slice_is(v[C_CATEGORY], "phishing") || slice_is(v[C_TAG], "phishing"))
            return 1u << BW_CAT_PHISHING;
        return 1u << BW_CAT_MALWARE;
    case K_BLOCKLIST:
        return s->base.opts.category != 0 ? s->base.opts.category : 1u << BW_CAT_MALWARE;
    case K_EXPOSURE:
        if (slice_has(v[C_TAG], "synfulknock"))
            return 1u << BW_CAT_BOT; /* only an implanted router answers the knock */
        *skip = true;
        return 0;
    }
    return 0;
}

static void set_target(struct shadowserver *s, const struct bw_slice *v)
{
    char t[TEXT_MAX + 1];
    struct bw_slice ip = v[C_DST_IP], port = v[C_DST_PORT];
    int n = snprintf(t, sizeof(t), "%.*s%s%.*s", (int)(ip.len > 64 ? 64 : ip.len), ip.ptr,
                     port.len > 0 ? ":" : "", (int)(port.len > 8 ? 8 : port.len), port.ptr);

    s->r.target = keep_text(s->text[5], TEXT_MAX, (struct bw_slice){ t, n < 0 ? 0 : (size_t)n });
}

static int row(struct shadowserver *s, size_t count, const char *line, size_t len,
               uint64_t lineno, bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct bw_slice v[C_N], port;
    struct bw_report *r = &s->r;
    bool skip;
    int rc;

    memset(v, 0, sizeof(v));
    for (size_t i = 0; i < count; i++) {
        if (s->cols[i] != C_OTHER)
            v[s->cols[i]] = bw_parser__trim(s->cells[i]);
    }
    memset(r, 0, sizeof(*r));
    r->source = s->base.format;
    r->line = lineno;
    r->time_s = s->base.now_s;
    r->cats = categories(s, v, &skip);
    if (skip) {
        if (s->base.opts.category == 0)
            return 0;
        r->cats = s->base.opts.category;
    }

    if (v[C_IP].len > 0) {
        if (bw_parser__set_net(r, v[C_IP].ptr, v[C_IP].len) != BW_OK)
            return bw_parser__fail(err, BW_REJECT_INVALID_IP,
                                   "ip \"%.*s\" is not an address or prefix",
                                   (int)(v[C_IP].len > 48 ? 48 : v[C_IP].len), v[C_IP].ptr);
    } else if (v[C_HOST].len > 0) {
        if (!host_name(v[C_HOST]))
            return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "host \"%.*s\" is not a host name",
                                   (int)(v[C_HOST].len > 48 ? 48 : v[C_HOST].len), v[C_HOST].ptr);
        r->host = keep_text(s->text[6], TEXT_MAX, v[C_HOST]);
    } else {
        return bw_parser__fail(err, BW_REJECT_MISSING_IP, "empty ip column");
    }
    if (v[C_TIME].len > 0 &&
        bw_parser__feed_time(&r->time_s, v[C_TIME].ptr, v[C_TIME].len) != BW_OK)
        return bw_parser__fail(err, BW_REJECT_INVALID_TIME,
                               "timestamp \"%.*s\" is not a date and time",
                               (int)(v[C_TIME].len > 40 ? 40 : v[C_TIME].len), v[C_TIME].ptr);
    /* events: the port the device talked to; scans: the port it serves */
    port = s->kind == K_EVENT ? v[C_DST_PORT] : v[C_PORT];
    if (port.len > 0 && !parse_port(port, &r->port))
        return bw_parser__fail(err, BW_REJECT_INVALID_PORT, "port \"%.*s\" is not 0-65535",
                               (int)(port.len > 20 ? 20 : port.len), port.ptr);
    if (slice_is(v[C_PROTO], "tcp"))
        r->proto = BW_PROTO_TCP;
    else if (slice_is(v[C_PROTO], "udp"))
        r->proto = BW_PROTO_UDP;
    else if (slice_is(v[C_PROTO], "icmp"))
        r->proto = BW_PROTO_ICMP;

    if (v[C_FAMILY].len > 0)
        r->family = keep_text(s->text[0], TEXT_MAX, v[C_FAMILY]);
    if (v[C_VENDOR].len > 0)
        r->device_vendor = keep_text(s->text[1], TEXT_MAX, v[C_VENDOR]);
    if (v[C_TYPE].len > 0)
        r->device_type = keep_text(s->text[2], TEXT_MAX, v[C_TYPE]);
    if (v[C_MODEL].len > 0)
        r->device_model = keep_text(s->text[3], TEXT_MAX, v[C_MODEL]);
    if (v[C_BANNER].len > 0)
        r->banner = keep_text(s->text[4], TEXT_MAX, v[C_BANNER]);
    /* what it attacked: the destination of brute-force, DDoS and scan events */
    if (s->kind == K_EVENT && v[C_DST_IP].len > 0 &&
        (r->cats & (1u << BW_CAT_BRUTEFORCE | 1u << BW_CAT_DDOS | 1u << BW_CAT_SCAN)) != 0)
        set_target(s, v);
    r->evidence = keep_text(s->evidence, BW_EVIDENCE_MAX, (struct bw_slice){ line, len });
    rc = emit(ctx, r);
    return rc != 0 ? rc : 1;
}

static int shadowserver_line(struct bw_parser *p, const char *line, size_t len,
                             uint64_t lineno, bw_emit_cb emit, void *ctx,
                             struct bw_parse_error *err)
{
    struct shadowserver *s = (struct shadowserver *)p;
    int count;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len >= sizeof(p->scratch))
        return bw_parser__fail(err, BW_REJECT_LINE_TOO_LONG, "line over %zu bytes",
                               sizeof(p->scratch) - 1);
    if (len == 0 || line[0] == '#')
        return 0;
    if (!bw_parser__utf8_ok(line, len))
        return bw_parser__fail(err, BW_REJECT_INVALID_UTF8, "line is not valid UTF-8");
    count = bw_parser__csv_split(line, len, p->scratch, s->cells, MAX_COLUMNS);
    if (count == -1)
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "unbalanced or misplaced quote");
    if (count == -2)
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "more than %d columns", MAX_COLUMNS);
    /* a header line, also where exports were concatenated */
    if (slice_is(bw_parser__trim(s->cells[0]), "timestamp"))
        return header(s, count, err);
    if (!s->have_header || s->bad_header)
        return bw_parser__fail(err, BW_REJECT_COLUMNS,
                               "no usable header line (\"timestamp\",...,\"ip\")");
    /* rows that leave out empty trailing cells are common; more cells than names are not */
    if ((size_t)count > s->n_columns)
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "%d columns where the header has %zu", count,
                               s->n_columns);
    return row(s, (size_t)count, line, len, lineno, emit, ctx, err);
}

struct bw_parser *bw_parser__shadowserver_new(const struct bw_parser_opts *o)
{
    struct shadowserver *s = bw_xcalloc(1, sizeof(*s));

    bw_parser__init(&s->base, "shadowserver", o);
    s->base.default_reporter = "shadowserver";
    s->base.line = shadowserver_line;
    return &s->base;
}

/* A header line that starts with "timestamp" and names the address and Shadowserver's
 * geolocation columns. */
int bw_parser__shadowserver_detect(const char *head, size_t len)
{
    const char *eol = memchr(head, '\n', len);
    size_t n = eol != NULL ? (size_t)(eol - head) : len, i = 0;
    struct bw_slice h;

    if (n >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    h = (struct bw_slice){ head + i, n - i };
    if (!(h.len >= 11 && memcmp(h.ptr, "\"timestamp\"", 11) == 0) &&
        !(h.len >= 10 && memcmp(h.ptr, "timestamp,", 10) == 0))
        return 0;
    if (!slice_has(h, "ip\"") && !slice_has(h, "ip,"))
        return 0;
    return slice_has(h, "geo") && slice_has(h, "asn") ? 70 : 45;
}
