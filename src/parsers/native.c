/*
 * parsers/native.c - botwatch's own report formats: NDJSON (one object a line) and CSV (the
 * same fields, a header line first). docs/formats.md documents the fields.
 * Invariants:
 *  - Both formats go through set_field(), so a field means the same thing in either.
 *  - Strings land in fixed per-parser arrays (truncated at their caps on a UTF-8 boundary):
 *    parsing a line allocates nothing beyond jansson's own tree.
 *  - The CSV splitter is written by hand: RFC 4180 quoting on one line is all it needs, and
 *    a parser of outside input is product core (fuzzed in fuzz/fuzz_native.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parsers/parsers_int.h"

enum field {
    F_IP,
    F_TIME,
    F_CATEGORY,
    F_PORT,
    F_PROTO,
    F_REPORTER,
    F_EVIDENCE,
    F_BANNER,
    F_CONTROLLER,
    F_FAMILY,
    F_TARGET,
    F_SERVICE,
    F_COUNT,
    F_UNKNOWN = F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "ip", "time", "category", "port", "proto", "reporter", "evidence", "banner", "controller",
    "family", "target", "service",
};

#define TEXT_MAX 1024 /* banner, controller, family, target */
#define CSV_MAX_COLUMNS 64

struct native {
    struct bw_parser base;
    struct bw_report r;
    bool seen[F_COUNT];
    char reporter[BW_NAME_MAX_REPORTER + 1];
    char evidence[BW_EVIDENCE_MAX + 1];
    char text[4][TEXT_MAX + 1]; /* banner, controller, family, target */
    char service[32];
    /* CSV only */
    bool have_header;
    bool bad_header;
    size_t n_columns;
    enum field columns[CSV_MAX_COLUMNS];
};

static enum field field_lookup(const char *name, size_t len)
{
    for (int i = 0; i < F_COUNT; i++) {
        if (strlen(field_names[i]) == len && memcmp(field_names[i], name, len) == 0)
            return (enum field)i;
    }
    return F_UNKNOWN;
}

/* Copies at most cap bytes of s (not cutting a UTF-8 sequence) into dst; NUL-terminates. */
static const char *keep_text(char *dst, size_t cap, const char *s, size_t len)
{
    size_t n = bw_utf8_truncate(s, len, cap);

    memcpy(dst, s, n);
    dst[n] = '\0';
    return dst;
}

static bool all_digits(const char *s, size_t len)
{
    if (len == 0 || len > 18)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

static int64_t digits_value(const char *s, size_t len)
{
    int64_t v = 0;

    for (size_t i = 0; i < len; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Adds the category names in s (separated by commas, semicolons, bars or spaces). */
static int add_categories(struct native *n, const char *s, size_t len,
                          struct bw_parse_error *err)
{
    size_t i = 0;

    while (i < len) {
        size_t j;
        enum bw_category c;

        while (i < len && strchr(",;| ", s[i]) != NULL)
            i++;
        j = i;
        while (j < len && strchr(",;| ", s[j]) == NULL)
            j++;
        if (j == i)
            break;
        if (bw_category_parse(&c, s + i, j - i) != BW_OK)
            return bw_parser__fail(err, BW_REJECT_UNKNOWN_CATEGORY, "unknown category \"%.*s\"",
                                   (int)(j - i > 40 ? 40 : j - i), s + i);
        n->r.cats |= 1u << c;
        i = j;
    }
    return BW_OK;
}

/* Sets one field from its text form (CSV cells, JSON strings). */
static int set_text(struct native *n, enum field f, const char *s, size_t len,
                    struct bw_parse_error *err)
{
    int64_t v;

    n->seen[f] = true;
    switch (f) {
    case F_IP:
        if (memchr(s, '/', len) != NULL) { /* a network listing: "a.b.c.0/24" */
            struct bw_prefix p;

            if (bw_prefix_parse(&p, s, len) != BW_OK)
                return bw_parser__fail(err, BW_REJECT_INVALID_IP,
                                       "ip \"%.*s\" is not an address or a "
                                       "prefix without host bits",
                                       (int)(len > 48 ? 48 : len), s);
            n->r.addr = p.addr;
            n->r.net_len = p.len == 128 ? 0 : p.len;
            return BW_OK;
        }
        if (bw_addr_parse(&n->r.addr, s, len) != BW_OK)
            return bw_parser__fail(err, BW_REJECT_INVALID_IP, "ip \"%.*s\" is not an IP address",
                                   (int)(len > 48 ? 48 : len), s);
        return BW_OK;
    case F_TIME:
        if (all_digits(s, len)) {
            n->r.time_s = digits_value(s, len);
            return BW_OK;
        }
        if (bw_time_parse(&n->r.time_s, s, len) != BW_OK)
            return bw_parser__fail(err, BW_REJECT_INVALID_TIME,
                                   "time \"%.*s\" is neither RFC 3339 nor "
                                   "Unix seconds",
                                   (int)(len > 40 ? 40 : len), s);
        return BW_OK;
    case F_CATEGORY:
        return add_categories(n, s, len, err);
    case F_PORT:
        if (!all_digits(s, len) || (v = digits_value(s, len)) > 65535)
            return bw_parser__fail(err, BW_REJECT_INVALID_PORT, "port \"%.*s\" is not 0-65535",
                                   (int)(len > 20 ? 20 : len), s);
        n->r.port = (uint16_t)v;
        return BW_OK;
    case F_PROTO:
        if (len == 3 && strncasecmp(s, "tcp", 3) == 0)
            n->r.proto = BW_PROTO_TCP;
        else if (len == 3 && strncasecmp(s, "udp", 3) == 0)
            n->r.proto = BW_PROTO_UDP;
        else if (len == 4 && strncasecmp(s, "icmp", 4) == 0)
            n->r.proto = BW_PROTO_ICMP;
        else if (all_digits(s, len) && (v = digits_value(s, len)) <= 255)
            n->r.proto = (uint8_t)v;
        else
            return bw_parser__fail(err, BW_REJECT_INVALID_FIELD,
                                   "proto \"%.*s\" is not tcp, udp, icmp "
                                   "or 0-255",
                                   (int)(len > 20 ? 20 : len), s);
        return BW_OK;
    case F_REPORTER:
        if (len == 0 || len > BW_NAME_MAX_REPORTER)
            return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "reporter name must be 1-%d bytes",
                                   BW_NAME_MAX_REPORTER);
        for (size_t i = 0; i < len; i++) {
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "reporter name has a control "
                                       "character");
        }
        n->r.reporter = keep_text(n->reporter, BW_NAME_MAX_REPORTER, s, len);
        return BW_OK;
    case F_EVIDENCE:
        n->r.evidence = keep_text(n->evidence, BW_EVIDENCE_MAX, s, len);
        return BW_OK;
    case F_BANNER:
        n->r.banner = keep_text(n->text[0], TEXT_MAX, s, len);
        return BW_OK;
    case F_CONTROLLER:
        n->r.controller = keep_text(n->text[1], TEXT_MAX, s, len);
        return BW_OK;
    case F_FAMILY:
        n->r.family = keep_text(n->text[2], TEXT_MAX, s, len);
        return BW_OK;
    case F_TARGET:
        n->r.target = keep_text(n->text[3], TEXT_MAX, s, len);
        return BW_OK;
    case F_SERVICE:
        n->r.service = keep_text(n->service, sizeof(n->service) - 1, s, len);
        return BW_OK;
    case F_UNKNOWN:
        break;
    }
    return BW_OK;
}

static void start_report(struct native *n)
{
    memset(&n->r, 0, sizeof(n->r));
    memset(n->seen, 0, sizeof(n->seen));
    n->r.time_s = n->base.now_s;
    n->r.source = n->base.format;
}

static int finish_report(struct native *n, uint64_t lineno, bw_emit_cb emit, void *ctx,
                         struct bw_parse_error *err)
{
    int rc;

    if (!n->seen[F_IP])
        return bw_parser__fail(err, BW_REJECT_MISSING_IP, "no \"ip\" field");
    if (n->r.cats == 0)
        return bw_parser__fail(err, BW_REJECT_MISSING_CATEGORY, "no \"category\" given");
    n->r.line = lineno;
    rc = emit(ctx, &n->r);
    return rc != 0 ? rc : 1;
}

/* ---- NDJSON ---- */

static int json_field(struct native *n, enum field f, json_t *v, struct bw_parse_error *err)
{
    if (json_is_null(v))
        return BW_OK;
    if (json_is_string(v))
        return set_text(n, f, json_string_value(v), json_string_length(v), err);
    switch (f) {
    case F_TIME:
        if (json_is_integer(v)) {
            n->r.time_s = (int64_t)json_integer_value(v);
            n->seen[f] = true;
            return BW_OK;
        }
        if (json_is_real(v) && json_real_value(v) > -1e15 && json_real_value(v) < 1e15) {
            n->r.time_s = (int64_t)json_real_value(v);
            n->seen[f] = true;
            return BW_OK;
        }
        return bw_parser__fail(err, BW_REJECT_INVALID_TIME,
                               "time is neither a string nor a number");
    case F_PORT:
        if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 65535) {
            n->r.port = (uint16_t)json_integer_value(v);
            n->seen[f] = true;
            return BW_OK;
        }
        return bw_parser__fail(err, BW_REJECT_INVALID_PORT, "port is not an integer 0-65535");
    case F_PROTO:
        if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 255) {
            n->r.proto = (uint8_t)json_integer_value(v);
            n->seen[f] = true;
            return BW_OK;
        }
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "proto is not a name or 0-255");
    case F_CATEGORY:
        if (json_is_array(v)) {
            size_t i;
            json_t *c;

            json_array_foreach(v, i, c) {
                int rc;

                if (!json_is_string(c))
                    return bw_parser__fail(err, BW_REJECT_UNKNOWN_CATEGORY, "category %zu is not a "
                                           "string", i);
                rc = set_text(n, f, json_string_value(c), json_string_length(c), err);
                if (rc != BW_OK)
                    return rc;
            }
            return BW_OK;
        }
        return bw_parser__fail(err, BW_REJECT_UNKNOWN_CATEGORY,
                               "category is not a name or an array of "
                               "names");
    case F_IP: return bw_parser__fail(err, BW_REJECT_INVALID_IP, "ip is not a string");
    default:
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "\"%s\" is not a string",
                               field_names[f]);
    }
}

static int ndjson_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                       bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct native *n = (struct native *)p;
    json_error_t jerr;
    json_t *root, *v;
    const char *key;
    int rc = BW_OK;

    root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "not JSON (%s at column %d)", jerr.text,
                               jerr.column);
    if (!json_is_object(root)) {
        json_decref(root);
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "not a JSON object");
    }
    start_report(n);
    json_object_foreach(root, key, v) {
        enum field f = field_lookup(key, strlen(key));

        if (f == F_UNKNOWN)
            continue;
        rc = json_field(n, f, v, err);
        if (rc != BW_OK)
            break;
    }
    if (rc == BW_OK)
        rc = finish_report(n, lineno, emit, ctx, err);
    json_decref(root);
    return rc;
}

/* ---- CSV ---- */

/* Splits one CSV line into cells (RFC 4180 quoting; a quoted cell cannot span lines).
 * Unquoted cells point into line; quoted ones are unescaped into buf. Returns the count, or -1
 * for a quote error, or -2 for too many cells. */
static int csv_split(const char *line, size_t len, char *buf, struct bw_slice *cells,
                     size_t max_cells)
{
    size_t i = 0, o = 0, n = 0;

    for (;;) {
        if (n == max_cells)
            return -2;
        if (i < len && line[i] == '"') {
            size_t start = o;

            i++;
            for (;;) {
                if (i >= len)
                    return -1;
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        buf[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                buf[o++] = line[i++];
            }
            cells[n++] = (struct bw_slice){ buf + start, o - start };
            if (i < len && line[i] != ',')
                return -1;
        } else {
            size_t start = i;

            while (i < len && line[i] != ',') {
                if (line[i] == '"')
                    return -1;
                i++;
            }
            cells[n++] = (struct bw_slice){ line + start, i - start };
        }
        if (i >= len)
            return (int)n;
        i++; /* the comma */
    }
}

static int csv_header(struct native *n, const struct bw_slice *cells, int count,
                      struct bw_parse_error *err)
{
    bool has_ip = false;

    n->have_header = true;
    n->n_columns = (size_t)count;
    for (int i = 0; i < count; i++) {
        struct bw_slice c = cells[i];

        while (c.len > 0 && (c.ptr[0] == ' ' || c.ptr[0] == '\t')) {
            c.ptr++;
            c.len--;
        }
        while (c.len > 0 && (c.ptr[c.len - 1] == ' ' || c.ptr[c.len - 1] == '\t'))
            c.len--;
        n->columns[i] = field_lookup(c.ptr, c.len);
        if (n->columns[i] == F_IP)
            has_ip = true;
    }
    if (!has_ip) {
        n->bad_header = true;
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "header has no \"ip\" column");
    }
    return 0;
}

static int csv_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                    bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct native *n = (struct native *)p;
    struct bw_slice cells[CSV_MAX_COLUMNS];
    char *buf = p->scratch;
    int count;

    if (len >= sizeof(p->scratch))
        return bw_parser__fail(err, BW_REJECT_LINE_TOO_LONG, "line over %zu bytes",
                               sizeof(p->scratch));
    count = csv_split(line, len, buf, cells, CSV_MAX_COLUMNS);
    if (count == -1)
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "unbalanced or misplaced quote");
    if (count == -2)
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "more than %d columns", CSV_MAX_COLUMNS);
    if (!n->have_header)
        return csv_header(n, cells, count, err);
    if (n->bad_header)
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "no usable header line");
    if ((size_t)count != n->n_columns)
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "%d columns where the header has %zu", count,
                               n->n_columns);
    start_report(n);
    for (int i = 0; i < count; i++) {
        int rc;

        if (n->columns[i] == F_UNKNOWN || cells[i].len == 0)
            continue;
        rc = set_text(n, n->columns[i], cells[i].ptr, cells[i].len, err);
        if (rc != BW_OK)
            return rc;
    }
    return finish_report(n, lineno, emit, ctx, err);
}

struct bw_parser *bw_parser__native_new(const char *format, int64_t now_s)
{
    struct native *n;

    if (strcmp(format, "ndjson") != 0 && strcmp(format, "csv") != 0)
        return NULL;
    n = bw_xcalloc(1, sizeof(*n));
    n->base.format = strcmp(format, "ndjson") == 0 ? "ndjson" : "csv";
    n->base.now_s = now_s;
    n->base.line = n->base.format[0] == 'n' ? ndjson_line : csv_line;
    n->base.free = NULL;
    return &n->base;
}
