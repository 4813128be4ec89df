/*
 * parsers/feodo.c - abuse.ch Feodo Tracker: the botnet C2 blocklist as CSV (a quoted header
 * line, or in older exports a `# first_seen_utc,...` comment header) and as a plain list of
 * addresses. Every entry is a `c2` report: the malware column is the family, dst_port the port,
 * first_seen the time (UTC), the original line the evidence.
 * Invariants:
 *  - Columns are found by name in the header (case and `_` do not matter); rows before any
 *    header are read in the published column order.
 *  - `#` lines are comments, except the one that names the columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parsers/parsers_int.h"

#define MAX_COLUMNS 32
#define TEXT_MAX 256

enum col { C_OTHER, C_TIME, C_IP, C_PORT, C_FAMILY, C_N };

struct feodo {
    struct bw_parser base;
    bool have_header;
    size_t n_columns;
    unsigned char cols[MAX_COLUMNS];
    struct bw_slice cells[MAX_COLUMNS];
    struct bw_report r;
    char evidence[BW_EVIDENCE_MAX + 1];
    char family[TEXT_MAX + 1];
};

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

/* A column's role from its name, ignoring case and underscores. */
static enum col column(struct bw_slice name)
{
    static const struct {
        const char *name;
        enum col col;
    } names[] = {
        { "firstseenutc", C_TIME }, { "firstseen", C_TIME }, { "dateadded", C_TIME },
        { "dstip", C_IP },          { "ipaddress", C_IP },   { "ip", C_IP },
        { "dstport", C_PORT },      { "port", C_PORT },      { "malware", C_FAMILY },
    };
    char k[32];
    size_t n = 0;

    for (size_t i = 0; i < name.len && n < sizeof(k) - 1; i++) {
        if (name.ptr[i] != '_')
            k[n++] = name.ptr[i];
    }
    k[n] = '\0';
    for (size_t i = 0; i < BW_ARRAY_LEN(names); i++) {
        if (strcasecmp(k, names[i].name) == 0)
            return names[i].col;
    }
    return C_OTHER;
}

/* The cells name an ip column and none is an address: a header. */
static bool try_header(struct feodo *f, int count)
{
    unsigned char cols[MAX_COLUMNS];
    bool has_ip = false;

    for (int i = 0; i < count; i++) {
        struct bw_slice c = bw_parser__trim(f->cells[i]);
        struct bw_addr a;

        if (bw_addr_parse(&a, c.ptr, c.len) == BW_OK)
            return false;
        cols[i] = (unsigned char)column(c);
        has_ip = has_ip || cols[i] == C_IP;
    }
    if (!has_ip)
        return false;
    memcpy(f->cols, cols, (size_t)count);
    f->n_columns = (size_t)count;
    f->have_header = true;
    return true;
}

/* Rows before a header: the current layout (6 columns) or the older one (5). */
static void default_header(struct feodo *f, int count)
{
    static const unsigned char six[] = { C_TIME, C_IP, C_PORT, C_OTHER, C_OTHER, C_FAMILY };
    static const unsigned char five[] = { C_TIME, C_IP, C_PORT, C_OTHER, C_FAMILY };

    if (count == 5) {
        memcpy(f->cols, five, sizeof(five));
        f->n_columns = 5;
    } else {
        memcpy(f->cols, six, sizeof(six));
        f->n_columns = 6;
    }
}

static void start(struct feodo *f, const char *line, size_t len, uint64_t lineno)
{
    size_t n = bw_utf8_truncate(line, len, BW_EVIDENCE_MAX);

    memset(&f->r, 0, sizeof(f->r));
    f->r.cats = 1u << BW_CAT_C2;
    f->r.proto = BW_PROTO_TCP;
    f->r.time_s = f->base.now_s;
    f->r.source = f->base.format;
    f->r.line = lineno;
    memcpy(f->evidence, line, n);
    f->evidence[n] = '\0';
    f->r.evidence = f->evidence;
}

static int finish(struct feodo *f, bw_emit_cb emit, void *ctx)
{
    int rc = emit(ctx, &f->r);

    return rc != 0 ? rc : 1;
}

static int row(struct feodo *f, const char *line, size_t len, int count, uint64_t lineno,
               bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct bw_slice v[C_N];

    if (!f->have_header)
        default_header(f, count);
    if ((size_t)count != f->n_columns)
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "%d columns where the header has %zu", count,
                               f->n_columns);
    memset(v, 0, sizeof(v));
    for (size_t i = 0; i < f->n_columns; i++) {
        if (f->cols[i] != C_OTHER && v[f->cols[i]].ptr == NULL)
            v[f->cols[i]] = bw_parser__trim(f->cells[i]);
    }
    start(f, line, len, lineno);
    if (v[C_IP].len == 0)
        return bw_parser__fail(err, BW_REJECT_MISSING_IP, "empty dst_ip column");
    if (bw_addr_parse(&f->r.addr, v[C_IP].ptr, v[C_IP].len) != BW_OK)
        return bw_parser__fail(err, BW_REJECT_INVALID_IP, "dst_ip \"%.*s\" is not an IP address",
                               (int)(v[C_IP].len > 48 ? 48 : v[C_IP].len), v[C_IP].ptr);
    if (v[C_TIME].len > 0 &&
        bw_parser__feed_time(&f->r.time_s, v[C_TIME].ptr, v[C_TIME].len) != BW_OK)
        return bw_parser__fail(err, BW_REJECT_INVALID_TIME,
                               "first_seen \"%.*s\" is not a date and time",
                               (int)(v[C_TIME].len > 40 ? 40 : v[C_TIME].len), v[C_TIME].ptr);
    if (v[C_PORT].len > 0 && !parse_port(v[C_PORT], &f->r.port))
        return bw_parser__fail(err, BW_REJECT_INVALID_PORT, "dst_port \"%.*s\" is not 0-65535",
                               (int)(v[C_PORT].len > 20 ? 20 : v[C_PORT].len), v[C_PORT].ptr);
    if (v[C_FAMILY].len > 0) {
        size_t n = bw_utf8_truncate(v[C_FAMILY].ptr, v[C_FAMILY].len, TEXT_MAX);

        memcpy(f->family, v[C_FAMILY].ptr, n);
        f->family[n] = '\0';
        f->r.family = f->family;
    }
    return finish(f, emit, ctx);
}

static int feodo_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                      bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct feodo *f = (struct feodo *)p;
    struct bw_slice s;
    int count, rc;

    rc = bw_parser__feed_line(p, line, &len, &s, err);
    if (rc <= 0)
        return rc;
    if (s.ptr[0] == '#') { /* a comment; older exports name the columns in one */
        s.ptr++;
        s.len--;
        s = bw_parser__trim(s);
        count = bw_parser__csv_split(s.ptr, s.len, p->scratch, f->cells, MAX_COLUMNS);
        if (count > 1)
            (void)try_header(f, count);
        return 0;
    }
    /* the plain list: one address a line */
    if (memchr(s.ptr, ',', s.len) == NULL && s.ptr[0] != '"') {
        start(f, line, len, lineno);
        if (bw_addr_parse(&f->r.addr, s.ptr, s.len) != BW_OK)
            return bw_parser__fail(err, BW_REJECT_INVALID_IP, "\"%.*s\" is not an IP address",
                                   (int)(s.len > 48 ? 48 : s.len), s.ptr);
        return finish(f, emit, ctx);
    }
    count = bw_parser__csv_split(line, len, p->scratch, f->cells, MAX_COLUMNS);
    if (count == -1)
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "unbalanced or misplaced quote");
    if (count == -2)
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "more than %d columns", MAX_COLUMNS);
    if (try_header(f, count))
        return 0;
    return row(f, line, len, count, lineno, emit, ctx, err);
}

struct bw_parser *bw_parser__feodo_new(const struct bw_parser_opts *o)
{
    struct feodo *f = bw_xcalloc(1, sizeof(*f));

    bw_parser__init(&f->base, "feodo", o);
    f->base.default_reporter = "feodo";
    f->base.line = feodo_line;
    return &f->base;
}

/* abuse.ch's banner names the tracker; a bare header names its columns. */
int bw_parser__feodo_detect(const char *head, size_t len)
{
    if (len > 4096)
        len = 4096;
    if (BW_HAS(head, len, "Feodo Tracker"))
        return 90;
    if (BW_HAS(head, len, "first_seen_utc") && BW_HAS(head, len, "dst_ip"))
        return 80;
    return 0;
}
