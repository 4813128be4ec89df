/*
 * parsers/zeek.c - Zeek conn.log and notice.log, as TSV (the #fields header names the columns)
 * or as JSON lines. Notices map through a table; connection attempts that were refused or
 * never answered are scans by their originator. docs/formats.md (section zeek) documents the mapping.
 * Invariants:
 *  - TSV is stateful: #separator, #unset_field, #empty_field, #path and #fields configure the
 *    parser for the rows after them (a later header, as in concatenated logs, reconfigures
 *    it). Rows before any #fields, or after a broken header, are rejected as bad_columns.
 *  - Columns are found by name, never by position; unset ("-") and empty fields are absent.
 *  - A masked or missing ts (BTest baselines write XXXXXXXXXX.XXXXXX) dates a report now.
 *  - Other logs (ssh, intel, software, ...) and other notices are valid and give nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parsers/parsers_int.h"

#define ZEEK_MAX_FIELDS 256
#define MARK_MAX 32 /* bytes of the unset and empty markers */
#define HOST_MAX 253
#define SEEN_MAX 64 /* distinct events remembered within one second, for seq */
#define TEXT_MAX 512

/* The columns the mapping reads. */
enum col {
    C_TS,
    C_ORIG_H,
    C_ORIG_P,
    C_RESP_H,
    C_RESP_P,
    C_PROTO,
    C_CONN_STATE,
    C_ORIG_BYTES,
    C_NOTE,
    C_MSG,
    C_SUB,
    C_SRC,
    C_DST,
    C_P,
    C_COUNT
};

static const char *const col_names[C_COUNT] = {
    "ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "conn_state",
    "orig_bytes", "note", "msg", "sub", "src", "dst", "p",
};

enum kind { K_OTHER, K_CONN, K_NOTICE };

/* An event already reported in the current second: repeats get seq 1, 2, ... */
struct seen {
    struct bw_addr key;
    bw_catmask cats;
    uint16_t port;
    uint32_t n;
};

struct zeek {
    struct bw_parser base;
    /* TSV header state */
    char sep;
    char unset[MARK_MAX + 1], empty[MARK_MAX + 1];
    enum kind path_kind; /* from #path; K_OTHER with have_path also means "ignore" */
    bool have_path, have_fields, bad_header;
    size_t n_fields;
    int col[C_COUNT]; /* column index of each, or -1 */
    /* per line */
    struct bw_slice val[C_COUNT];
    int64_t seen_t;
    size_t n_seen, next_seen;
    struct seen seen[SEEN_MAX];
    struct bw_report r;
    char evidence[BW_EVIDENCE_MAX + 1];
    char host[HOST_MAX + 1];
    char target[TEXT_MAX + 1];
};

/* What a notice means. */
enum who { FROM_SRC, FROM_INDICATOR };

static const struct {
    const char *note; /* exact, or a prefix when it ends in "::" */
    bw_catmask cats;
    uint16_t port; /* when the notice names none */
    enum who who;
} notices[] = {
    { "Scan::", 1u << BW_CAT_SCAN, 0, FROM_SRC },
    { "SSH::Password_Guessing", 1u << BW_CAT_BRUTEFORCE, 22, FROM_SRC },
    { "SSH::Login_By_Password_Guesser", 1u << BW_CAT_BRUTEFORCE, 22, FROM_SRC },
    { "FTP::Bruteforcing", 1u << BW_CAT_BRUTEFORCE, 21, FROM_SRC },
    { "HTTP::SQL_Injection_Attacker", 1u << BW_CAT_WEB_ATTACK, 0, FROM_SRC },
    { "Heartbleed::SSL_Heartbeat_Attack", 1u << BW_CAT_EXPLOIT, 0, FROM_SRC },
    { "Intel::Notice", 0, 0, FROM_INDICATOR },
};

static bool eq(struct bw_slice s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

static bool starts(struct bw_slice s, const char *lit)
{
    return s.len >= strlen(lit) && memcmp(s.ptr, lit, strlen(lit)) == 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Zeek header values escape bytes as \xNN. Unescapes s into out (cap bytes); -1 if too long. */
static int unescape(struct bw_slice s, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];

        if (c == '\\' && i + 3 < s.len && s.ptr[i + 1] == 'x' && hexval(s.ptr[i + 2]) >= 0 &&
            hexval(s.ptr[i + 3]) >= 0) {
            c = (char)(hexval(s.ptr[i + 2]) * 16 + hexval(s.ptr[i + 3]));
            i += 3;
        }
        if (o >= cap)
            return -1;
        out[o++] = c;
    }
    return (int)o;
}

static void reset_header(struct zeek *z)
{
    z->sep = '\t';
    memcpy(z->unset, "-", 2);
    memcpy(z->empty, "(empty)", 8);
    z->path_kind = K_OTHER;
    z->have_path = false;
    z->have_fields = false;
    z->bad_header = false;
    z->n_fields = 0;
}

/* Splits s at the separator into at most max parts; returns the count, or max + 1 if more. */
static size_t split(struct bw_slice s, char sep, struct bw_slice *parts, size_t max)
{
    size_t n = 0, start = 0;

    for (size_t i = 0; i <= s.len; i++) {
        if (i < s.len && s.ptr[i] != sep)
            continue;
        if (n == max)
            return max + 1;
        parts[n++] = (struct bw_slice){ s.ptr + start, i - start };
        start = i + 1;
    }
    return n;
}

/* A "#..." line: configures the TSV reader, or is a comment. */
static int header_line(struct zeek *z, const char *line, size_t len, struct bw_parse_error *err)
{
    struct bw_slice s = { line, len }, key, val;
    char buf[MARK_MAX + 1];
    int n;

    if (starts(s, "#separator ")) {
        /* a new log begins: everything but the separator goes back to its default */
        reset_header(z);
        val = (struct bw_slice){ line + 11, len - 11 };
        n = unescape(val, buf, sizeof(buf));
        if (n != 1 || buf[0] == '\n' || buf[0] == '\0') {
            z->bad_header = true;
            return bw_parser__fail(err, BW_REJECT_COLUMNS, "#separator is not one byte");
        }
        z->sep = buf[0];
        return 0;
    }
    /* "#key<sep>value" */
    {
        const char *e = memchr(line, z->sep, len);

        if (e == NULL)
            return 0; /* a comment ("### BTest baseline ...") */
        key = (struct bw_slice){ line + 1, (size_t)(e - line) - 1 };
        val = (struct bw_slice){ e + 1, len - (size_t)(e - line) - 1 };
    }
    if (eq(key, "unset_field") || eq(key, "empty_field")) {
        n = unescape(val, buf, MARK_MAX);
        if (n < 0) {
            z->bad_header = true;
            return bw_parser__fail(err, BW_REJECT_COLUMNS, "#%.*s over %d bytes", (int)key.len,
                                   key.ptr, MARK_MAX);
        }
        buf[n] = '\0';
        memcpy(eq(key, "unset_field") ? z->unset : z->empty, buf, (size_t)n + 1);
    } else if (eq(key, "path")) {
        z->have_path = true;
        z->path_kind = eq(val, "conn") ? K_CONN : eq(val, "notice") ? K_NOTICE : K_OTHER;
    } else if (eq(key, "fields")) {
        struct bw_slice names[ZEEK_MAX_FIELDS];
        size_t count = split(val, z->sep, names, ZEEK_MAX_FIELDS);

        z->have_fields = false;
        if (count > ZEEK_MAX_FIELDS) {
            z->bad_header = true;
            return bw_parser__fail(err, BW_REJECT_COLUMNS, "#fields names over %d columns",
                                   ZEEK_MAX_FIELDS);
        }
        for (int c = 0; c < C_COUNT; c++)
            z->col[c] = -1;
        for (size_t i = 0; i < count; i++) {
            for (int c = 0; c < C_COUNT; c++) {
                if (z->col[c] < 0 && eq(names[i], col_names[c]))
                    z->col[c] = (int)i;
            }
        }
        z->n_fields = count;
        z->have_fields = true;
        z->bad_header = false;
        if (!z->have_path) /* no #path: what the columns say */
            z->path_kind = z->col[C_NOTE] >= 0 ? K_NOTICE
                           : z->col[C_CONN_STATE] >= 0 ? K_CONN
                                                       : K_OTHER;
    }
    return 0; /* #types, #open, #close, #set_separator: nothing to keep */
}

/* "1521911721.255387" (Unix seconds) or RFC 3339 into *t; false when neither (masked). */
static bool parse_ts(struct bw_slice s, int64_t *t)
{
    int64_t v = 0;
    size_t i = 0;

    if (s.ptr == NULL || s.len == 0)
        return false;
    while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9' && i < 15)
        v = v * 10 + (s.ptr[i++] - '0');
    if (i > 0 && (i == s.len || s.ptr[i] == '.')) {
        for (size_t k = i + 1; k < s.len; k++) {
            if (s.ptr[k] < '0' || s.ptr[k] > '9')
                return false;
        }
        *t = v;
        return true;
    }
    return bw_time_parse(t, s.ptr, s.len) == BW_OK;
}

static int parse_port(struct bw_slice s)
{
    int v = 0;

    if (s.ptr == NULL || s.len == 0 || s.len > 5)
        return -1;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return -1;
        v = v * 10 + (s.ptr[i] - '0');
    }
    return v <= 65535 ? v : -1;
}

static uint8_t parse_proto(struct bw_slice s)
{
    if (eq(s, "tcp"))
        return BW_PROTO_TCP;
    if (eq(s, "udp"))
        return BW_PROTO_UDP;
    if (eq(s, "icmp"))
        return BW_PROTO_ICMP;
    return BW_PROTO_NONE;
}

static bool host_name(struct bw_slice s)
{
    bool dot = false;

    if (s.len == 0 || s.len > HOST_MAX || s.ptr[0] == '.' || s.ptr[0] == '-')
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return false;
        dot |= c == '.';
    }
    return dot;
}

static uint32_t next_seq(struct zeek *z, const struct bw_report *r)
{
    struct bw_addr key = r->addr;
    struct seen *s;

    if (r->host != NULL) {
        uint64_t h = 14695981039346656037u;

        for (const char *c = r->host; *c != '\0'; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211u;
        memset(&key, 0xff, sizeof(key));
        memcpy(key.b, &h, sizeof(h));
    }
    if (z->n_seen == 0 || z->seen_t != r->time_s) {
        z->seen_t = r->time_s;
        z->n_seen = 0;
        z->next_seen = 0;
    }
    for (size_t i = 0; i < z->n_seen; i++) {
        s = &z->seen[i];
        if (s->port == r->port && s->cats == r->cats && bw_addr_cmp(&s->key, &key) == 0)
            return ++s->n;
    }
    if (z->n_seen < SEEN_MAX)
        s = &z->seen[z->n_seen++];
    else
        s = &z->seen[z->next_seen++ % SEEN_MAX];
    *s = (struct seen){ .key = key, .cats = r->cats, .port = r->port };
    return 0;
}

/* Appends "s" to the evidence at *o (within the cap, on a UTF-8 boundary). */
static void ev_add(struct zeek *z, size_t *o, const char *s, size_t len)
{
    size_t n = bw_utf8_truncate(s, len, BW_EVIDENCE_MAX - *o);

    memcpy(z->evidence + *o, s, n);
    *o += n;
    z->evidence[*o] = '\0';
}

static void ev_slice(struct zeek *z, size_t *o, struct bw_slice s)
{
    if (s.ptr != NULL)
        ev_add(z, o, s.ptr, s.len);
}

/* The address (or host name) of a report from the value of a column; false if none. */
static bool set_who(struct zeek *z, struct bw_slice v)
{
    if (v.ptr == NULL || v.len == 0)
        return false;
    if (bw_addr_parse(&z->r.addr, v.ptr, v.len) == BW_OK)
        return true;
    if (!host_name(v))
        return false;
    memcpy(z->host, v.ptr, v.len);
    z->host[v.len] = '\0';
    z->r.host = z->host;
    return true;
}

static int finish(struct zeek *z, uint64_t lineno, bw_emit_cb emit, void *ctx)
{
    int rc;

    z->r.source = z->base.format;
    z->r.line = lineno;
    z->r.seq = next_seq(z, &z->r);
    rc = emit(ctx, &z->r);
    return rc != 0 ? rc : 1;
}

/* A conn.log row: a TCP attempt that was refused or never answered (S0, REJ, RSTOS0, SH, or
 * RSTO without a byte from the originator) is a scan by the originator. */
static int conn_row(struct zeek *z, uint64_t lineno, bw_emit_cb emit, void *ctx,
                    struct bw_parse_error *err)
{
    struct bw_slice st = z->val[C_CONN_STATE], ob = z->val[C_ORIG_BYTES];
    struct bw_report *r = &z->r;
    size_t o = 0;
    int port;

    if (!eq(z->val[C_PROTO], "tcp"))
        return 0;
    if (!(eq(st, "S0") || eq(st, "REJ") || eq(st, "RSTOS0") || eq(st, "SH") ||
          (eq(st, "RSTO") && (ob.ptr == NULL || eq(ob, "0")))))
        return 0;
    if (z->val[C_ORIG_H].ptr == NULL)
        return bw_parser__fail(err, BW_REJECT_MISSING_IP, "no id.orig_h");
    if (bw_addr_parse(&r->addr, z->val[C_ORIG_H].ptr, z->val[C_ORIG_H].len) != BW_OK)
        return bw_parser__fail(err, BW_REJECT_INVALID_IP, "id.orig_h \"%.*s\" is not an IP address",
                               (int)(z->val[C_ORIG_H].len > 48 ? 48 : z->val[C_ORIG_H].len),
                               z->val[C_ORIG_H].ptr);
    port = parse_port(z->val[C_RESP_P]);
    if (z->val[C_RESP_P].ptr != NULL && port < 0)
        return bw_parser__fail(err, BW_REJECT_INVALID_PORT, "id.resp_p \"%.*s\" is not 0-65535",
                               (int)(z->val[C_RESP_P].len > 16 ? 16 : z->val[C_RESP_P].len),
                               z->val[C_RESP_P].ptr);
    r->cats = 1u << BW_CAT_SCAN;
    r->proto = BW_PROTO_TCP;
    r->port = port > 0 ? (uint16_t)port : 0;
    if (z->val[C_RESP_H].ptr != NULL) {
        struct bw_slice h = z->val[C_RESP_H];
        bool v6 = memchr(h.ptr, ':', h.len) != NULL;
        int n;

        if (h.len > BW_ADDR_TEXT_MAX)
            h.len = BW_ADDR_TEXT_MAX;
        if (port >= 0)
            n = snprintf(z->target, sizeof(z->target), "%s%.*s%s:%d", v6 ? "[" : "",
                         (int)h.len, h.ptr, v6 ? "]" : "", port);
        else
            n = snprintf(z->target, sizeof(z->target), "%.*s", (int)h.len, h.ptr);
        r->target = n > 0 ? z->target : NULL;
    }
    ev_add(z, &o, "conn ", 5);
    ev_slice(z, &o, st);
    ev_add(z, &o, ": ", 2);
    ev_slice(z, &o, z->val[C_ORIG_H]);
    ev_add(z, &o, " -> ", 4);
    ev_slice(z, &o, z->val[C_RESP_H]);
    ev_add(z, &o, ":", 1);
    ev_slice(z, &o, z->val[C_RESP_P]);
    ev_add(z, &o, "/tcp", 4);
    r->evidence = z->evidence;
    return finish(z, lineno, emit, ctx);
}

/* A notice.log row, through the notices[] table. */
static int notice_row(struct zeek *z, uint64_t lineno, bw_emit_cb emit, void *ctx,
                      struct bw_parse_error *err)
{
    struct bw_slice note = z->val[C_NOTE], who;
    struct bw_report *r = &z->r;
    size_t i, o = 0;
    int port;

    if (note.ptr == NULL)
        return 0;
    for (i = 0; i < BW_ARRAY_LEN(notices); i++) {
        size_t n = strlen(notices[i].note);

        if (notices[i].note[n - 1] == ':' ? starts(note, notices[i].note)
                                          : eq(note, notices[i].note))
            break;
    }
    if (i == BW_ARRAY_LEN(notices))
        return 0;
    if (notices[i].who == FROM_INDICATOR) {
        /* Intel::Notice: the indicator is in sub; where it was seen says what it did */
        who = z->val[C_SUB];
        if (!set_who(z, who))
            return bw_parser__fail(err, BW_REJECT_MISSING_IP,
                                   "Intel::Notice without an address or host "
                                   "name in sub");
        r->cats = z->val[C_MSG].ptr != NULL &&
                          memmem(z->val[C_MSG].ptr, z->val[C_MSG].len, "IN_ORIG", 7) != NULL
                      ? 1u << BW_CAT_SCAN
                      : 1u << BW_CAT_C2;
    } else {
        who = z->val[C_SRC].ptr != NULL ? z->val[C_SRC] : z->val[C_ORIG_H];
        if (who.ptr == NULL)
            return bw_parser__fail(err, BW_REJECT_MISSING_IP, "%.*s without src or id.orig_h",
                                   (int)(note.len > 48 ? 48 : note.len), note.ptr);
        if (bw_addr_parse(&r->addr, who.ptr, who.len) != BW_OK)
            return bw_parser__fail(err, BW_REJECT_INVALID_IP, "src \"%.*s\" is not an IP address",
                                   (int)(who.len > 48 ? 48 : who.len), who.ptr);
        r->cats = notices[i].cats;
    }
    port = parse_port(z->val[C_P].ptr != NULL ? z->val[C_P] : z->val[C_RESP_P]);
    r->port = port >= 0 ? (uint16_t)port : notices[i].port;
    r->proto = parse_proto(z->val[C_PROTO]);
    if (r->proto == BW_PROTO_NONE && notices[i].port != 0)
        r->proto = BW_PROTO_TCP;
    if (z->val[C_DST].ptr != NULL) {
        int n = snprintf(z->target, sizeof(z->target), "%.*s",
                         (int)(z->val[C_DST].len > 64 ? 64 : z->val[C_DST].len),
                         z->val[C_DST].ptr);
        r->target = n > 0 ? z->target : NULL;
    }
    ev_slice(z, &o, note);
    if (z->val[C_MSG].ptr != NULL) {
        ev_add(z, &o, ": ", 2);
        ev_slice(z, &o, z->val[C_MSG]);
    }
    if (z->val[C_SUB].ptr != NULL) {
        ev_add(z, &o, " (", 2);
        ev_slice(z, &o, z->val[C_SUB]);
        ev_add(z, &o, ")", 1);
    }
    r->evidence = z->evidence;
    return finish(z, lineno, emit, ctx);
}

static void start(struct zeek *z)
{
    memset(&z->r, 0, sizeof(z->r));
    z->r.time_s = z->base.now_s;
    z->evidence[0] = '\0';
}

static int row(struct zeek *z, enum kind kind, uint64_t lineno, bw_emit_cb emit, void *ctx,
               struct bw_parse_error *err)
{
    int64_t t;

    if (z->val[C_TS].ptr != NULL && parse_ts(z->val[C_TS], &t))
        z->r.time_s = t;
    if (kind == K_CONN)
        return conn_row(z, lineno, emit, ctx, err);
    if (kind == K_NOTICE)
        return notice_row(z, lineno, emit, ctx, err);
    return 0;
}

static int tsv_line(struct zeek *z, const char *line, size_t len, uint64_t lineno,
                    bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct bw_slice cells[ZEEK_MAX_FIELDS];
    size_t count;

    if (z->bad_header)
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "no usable #fields header");
    if (!z->have_fields)
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "a row before any #fields header");
    count = split((struct bw_slice){ line, len }, z->sep, cells, ZEEK_MAX_FIELDS);
    if (count != z->n_fields)
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "%s%zu columns where #fields names %zu",
                               count > ZEEK_MAX_FIELDS ? "over " : "",
                               count > ZEEK_MAX_FIELDS ? ZEEK_MAX_FIELDS : count, z->n_fields);
    if (z->path_kind == K_OTHER)
        return 0;
    start(z);
    for (int c = 0; c < C_COUNT; c++) {
        struct bw_slice v = { NULL, 0 };

        if (z->col[c] >= 0) {
            v = cells[z->col[c]];
            if (eq(v, z->unset) || eq(v, z->empty) || v.len == 0)
                v = (struct bw_slice){ NULL, 0 };
        }
        z->val[c] = v;
    }
    return row(z, z->path_kind, lineno, emit, ctx, err);
}

/* The text of a JSON value as a slice: strings as they are, integers and reals printed into
 * buf (ports, counts, ts); NULL for null, absent and other types. */
static struct bw_slice json_text(json_t *v, char *buf, size_t cap)
{
    int n;

    if (json_is_string(v))
        return (struct bw_slice){ json_string_value(v), json_string_length(v) };
    if (json_is_integer(v)) {
        n = snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return (struct bw_slice){ buf, (size_t)n };
    }
    if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 1e15) {
        n = snprintf(buf, cap, "%lld", (long long)json_real_value(v)); /* whole seconds */
        return (struct bw_slice){ buf, (size_t)n };
    }
    return (struct bw_slice){ NULL, 0 };
}

static int json_line(struct zeek *z, const char *line, size_t len, uint64_t lineno,
                     bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    /* the columns Zeek writes as numbers; the others must be strings */
    static const bool numeric[C_COUNT] = { [C_TS] = true, [C_ORIG_P] = true, [C_RESP_P] = true,
                                           [C_ORIG_BYTES] = true, [C_P] = true };
    char nums[C_COUNT][32];
    json_error_t jerr;
    json_t *root, *ids;
    enum kind kind;
    int rc;

    root = json_loadb(line, len, 0, &jerr);
    if (root == NULL)
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "not JSON (%s at column %d)", jerr.text,
                               jerr.column);
    if (!json_is_object(root)) {
        json_decref(root);
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "not a JSON object");
    }
    start(z);
    ids = json_object_get(root, "id"); /* some exporters nest the connection id */
    for (int c = 0; c < C_COUNT; c++) {
        json_t *v = json_object_get(root, col_names[c]);

        if (v == NULL && json_is_object(ids) && strncmp(col_names[c], "id.", 3) == 0)
            v = json_object_get(ids, col_names[c] + 3);

        z->val[c] = json_text(v, nums[c], sizeof(nums[c]));
        if (json_is_number(v) && !numeric[c])
            z->val[c] = (struct bw_slice){ NULL, 0 };
        if (v != NULL && !json_is_null(v) && z->val[c].ptr == NULL) {
            json_decref(root);
            return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "\"%s\" has the wrong type",
                                   col_names[c]);
        }
    }
    kind = z->val[C_NOTE].ptr != NULL ? K_NOTICE
           : z->val[C_CONN_STATE].ptr != NULL ? K_CONN
                                             : K_OTHER;
    rc = row(z, kind, lineno, emit, ctx, err);
    json_decref(root);
    return rc;
}

static int zeek_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                     bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct zeek *z = (struct zeek *)p;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > BW_LINE_MAX)
        return bw_parser__fail(err, BW_REJECT_LINE_TOO_LONG, "line over %d bytes", BW_LINE_MAX);
    if (!bw_utf8_valid(line, len))
        return bw_parser__fail(err, BW_REJECT_INVALID_UTF8, "the line is not valid UTF-8");
    if (len == 0)
        return 0;
    if (line[0] == '#')
        return header_line(z, line, len, err);
    if (line[0] == '{')
        return json_line(z, line, len, lineno, emit, ctx, err);
    return tsv_line(z, line, len, lineno, emit, ctx, err);
}

struct bw_parser *bw_parser__zeek_new(const struct bw_parser_opts *o)
{
    struct zeek *z = bw_xcalloc(1, sizeof(*z));

    bw_parser__init(&z->base, "zeek", o);
    z->base.line = zeek_line;
    reset_header(z);
    return &z->base;
}

int bw_parser__zeek_detect(const char *head, size_t len)
{
    size_t i = 0;

    if (len >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    /* a BTest baseline starts with a "### BTest" comment line */
    if (len - i >= 9 && memcmp(head + i, "### BTest", 9) == 0) {
        const char *nl = memchr(head + i, '\n', len - i);

        i = nl != NULL ? (size_t)(nl - head) + 1 : len;
    }
    if (len - i >= 11 && memcmp(head + i, "#separator ", 11) == 0)
        return 95;
    if (len - i >= 1 && head[i] == '{') {
        /* Zeek JSON: "ts" and a connection id or a note (unset fields are left out) */
        const char *end = memchr(head + i, '\n', len - i);
        size_t n = end != NULL ? (size_t)(end - head) - i : len - i;

        if (memmem(head + i, n, "\"ts\":", 5) != NULL &&
            (memmem(head + i, n, "\"id.orig_h\":", 12) != NULL ||
             memmem(head + i, n, "\"note\":", 7) != NULL))
            return 75;
    }
    return 0;
}
