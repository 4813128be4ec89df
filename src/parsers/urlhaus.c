/*
 * parsers/urlhaus.c - abuse.ch URLhaus CSV dumps (`id,dateadded,url,url_status,last_online,
 * threat,tags,urlhaus_link,reporter`; the header either plain or as a `# ` comment): one
 * `malware` report per URL for the host that serves it. Nothing is resolved: a URL naming a
 * domain gives a report with `host`, one naming an address a report with that address.
 * Port: the URL's, else 80 for http and 443 for https. Family: the first tag that names
 * malware (tags like `elf`, `32-bit`, `opendir` describe the file or the server, not a family).
 * Time: dateadded (UTC). Evidence: the URL. Consecutive rows for the same address, second
 * and port (several URLs on one server, added together) are numbered by seq, so each URL
 * stays a report of its own.
 * Invariants:
 *  - Columns are found by name in the header; rows before any header are read in the
 *    published order (9 columns, or 8 in dumps without last_online).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parsers/parsers_int.h"

#define MAX_COLUMNS 32
#define TEXT_MAX 256
#define HOST_MAX 253

enum col { C_OTHER, C_TIME, C_URL, C_THREAT, C_TAGS, C_N };

struct urlhaus {
    struct bw_parser base;
    bool have_header;
    size_t n_columns;
    unsigned char cols[MAX_COLUMNS];
    struct bw_slice cells[MAX_COLUMNS];
    struct bw_report r;
    char evidence[BW_EVIDENCE_MAX + 1];
    char family[TEXT_MAX + 1];
    char host[HOST_MAX + 1];
    struct bw_report prev; /* the last address report: time, addr, port, seq */
    bool have_prev;
};

static bool slice_is(struct bw_slice s, const char *lit)
{
    return s.len == strlen(lit) && strncasecmp(s.ptr, lit, s.len) == 0;
}

static enum col column(struct bw_slice name)
{
    if (slice_is(name, "dateadded") || slice_is(name, "date_added"))
        return C_TIME;
    if (slice_is(name, "url"))
        return C_URL;
    if (slice_is(name, "threat"))
        return C_THREAT;
    if (slice_is(name, "tags"))
        return C_TAGS;
    return C_OTHER;
}

/* The cells name a url column and none looks like a URL or a time: a header. */
static bool try_header(struct urlhaus *u, int count)
{
    unsigned char cols[MAX_COLUMNS];
    bool has_url = false;

    for (int i = 0; i < count; i++) {
        struct bw_slice c = bw_parser__trim(u->cells[i]);

        if (memchr(c.ptr, ':', c.len) != NULL)
            return false;
        cols[i] = (unsigned char)column(c);
        has_url = has_url || cols[i] == C_URL;
    }
    if (!has_url)
        return false;
    memcpy(u->cols, cols, (size_t)count);
    u->n_columns = (size_t)count;
    u->have_header = true;
    return true;
}

static void default_header(struct urlhaus *u, int count)
{
    /* id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter */
    static const unsigned char nine[] = { C_OTHER,  C_TIME, C_URL,   C_OTHER, C_OTHER,
                                          C_THREAT, C_TAGS, C_OTHER, C_OTHER };
    /* id,dateadded,url,url_status,threat,tags,urlhaus_link,reporter */
    static const unsigned char eight[] = { C_OTHER,  C_TIME, C_URL,   C_OTHER,
                                           C_THREAT, C_TAGS, C_OTHER, C_OTHER };

    if (count == 8) {
        memcpy(u->cols, eight, sizeof(eight));
        u->n_columns = 8;
    } else {
        memcpy(u->cols, nine, sizeof(nine));
        u->n_columns = 9;
    }
}

/* Tags that describe the file, the server or the reporter's tooling rather than a family. */
static bool generic_tag(struct bw_slice t)
{
    static const char *const generic[] = {
        "elf", "32-bit", "64-bit", "mips", "mipsel", "mpsl", "arm", "arm4", "arm5", "arm6",
        "arm7", "aarch64", "x86", "x86-64", "x86_64", "i686", "i586", "sh4", "ppc", "m68k",
        "sparc", "censys", "opendir", "xml-opendir", "ua-wget", "10pluspositivesinvt",
        "encrypted", "none", "connectwise", "screenconnect", "sh", "bash", "shellcode",
        "geofenced", "exe", "dll", "msi", "lnk", "zip", "rar", "7z", "iso", "doc", "docx",
        "xls", "xlsx", "js", "vbs", "ps1", "powershell", "bat", "hta", "apk", "jar", "pdf",
        "botnetdomain", "backdoor", "tftp", "wsgidav", "hacktool", "botnet", "iot", "ddos",
        "rat", "ascii", "base64-loader", "encoded", "payload", "stealer", "miner", "loader",
        "dropper", "malware", "script", "txt", "html", "github", "discord", "mediafire",
    };
    bool digits_only = true;

    if (t.len == 0)
        return true;
    for (size_t i = 0; i < BW_ARRAY_LEN(generic); i++) {
        if (slice_is(t, generic[i]))
            return true;
    }
    if (t.len > 11 && strncasecmp(t.ptr, "dropped-by-", 11) == 0)
        return true;
    if (t.len > 3 && strncasecmp(t.ptr, "ua-", 3) == 0)
        return true;
    for (size_t i = 0; i < t.len; i++) {
        if (!((t.ptr[i] >= '0' && t.ptr[i] <= '9') || t.ptr[i] == '-' || t.ptr[i] == '.'))
            digits_only = false;
    }
    if (digits_only) /* "176-65-139-212": the server's address */
        return true;
    if (t.len <= 3) { /* country codes: "USA", "DE" */
        for (size_t i = 0; i < t.len; i++) {
            if (t.ptr[i] < 'A' || t.ptr[i] > 'Z')
                return false;
        }
        return true;
    }
    return false;
}

static void set_family(struct urlhaus *u, struct bw_slice tags)
{
    size_t i = 0;

    while (i < tags.len) {
        const char *comma = memchr(tags.ptr + i, ',', tags.len - i);
        size_t end = comma != NULL ? (size_t)(comma - tags.ptr) : tags.len;
        struct bw_slice t = bw_parser__trim((struct bw_slice){ tags.ptr + i, end - i });

        if (!generic_tag(t)) {
            size_t n = bw_utf8_truncate(t.ptr, t.len, TEXT_MAX);

            memcpy(u->family, t.ptr, n);
            u->family[n] = '\0';
            u->r.family = u->family;
            return;
        }
        i = end + 1;
    }
}

static bool scheme_char(char c, size_t i)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
}

static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_';
}

/* A host name, lower-cased, without a final dot, into u->host. */
static int set_host(struct urlhaus *u, const char *h, size_t n, struct bw_parse_error *err)
{
    if (n > HOST_MAX)
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "url host is over %d bytes", HOST_MAX);
    for (size_t k = 0; k < n; k++) {
        char c = h[k];

        u->host[k] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    while (n > 0 && u->host[n - 1] == '.')
        n--;
    if (n == 0)
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "url names no host");
    u->host[n] = '\0';
    u->r.host = u->host;
    return BW_OK;
}

/* scheme://[user@]host[:port][/path]: the host into r (addr or host), and the port. */
static int url_host(struct urlhaus *u, struct bw_slice url, struct bw_parse_error *err)
{
    struct bw_report *r = &u->r;
    const char *p = url.ptr;
    size_t i, a, e, h, he, scheme_len = 0;
    bool dotted = true;
    int rc;

    for (i = 0; i + 2 < url.len && scheme_char(p[i], i); i++)
        ;
    if (i == 0 || i + 2 >= url.len || p[i] != ':' || p[i + 1] != '/' || p[i + 2] != '/')
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "url \"%.*s\" has no scheme://",
                               (int)(url.len > 60 ? 60 : url.len), p);
    scheme_len = i;
    a = i + 3;
    for (e = a; e < url.len && p[e] != '/' && p[e] != '?' && p[e] != '#'; e++)
        ;
    for (h = e; h > a && p[h - 1] != '@'; h--) /* the last '@' ends any user info */
        ;
    if (h < e && p[h] == '[') { /* [IPv6] */
        const char *close = memchr(p + h, ']', e - h);

        if (close == NULL)
            return bw_parser__fail(err, BW_REJECT_INVALID_IP, "url has an unclosed [ address");
        he = (size_t)(close - p);
        if (bw_addr_parse(&r->addr, p + h + 1, he - h - 1) != BW_OK)
            return bw_parser__fail(err, BW_REJECT_INVALID_IP, "url address \"%.*s\" is not IPv6",
                                   (int)(he - h - 1 > 48 ? 48 : he - h - 1), p + h + 1);
        he++;
    } else {
        for (he = h; he < e && p[he] != ':'; he++) {
            if (!host_char(p[he]))
                return bw_parser__fail(err, BW_REJECT_INVALID_FIELD,
                                       "url host \"%.*s\" has a character "
                                       "a host name cannot have",
                                       (int)(e - h > 60 ? 60 : e - h), p + h);
            if (!(p[he] >= '0' && p[he] <= '9') && p[he] != '.')
                dotted = false;
        }
        if (he == h)
            return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "url \"%.*s\" names no host",
                                   (int)(url.len > 60 ? 60 : url.len), p);
        if (dotted) {
            if (bw_addr_parse(&r->addr, p + h, he - h) != BW_OK)
                return bw_parser__fail(err, BW_REJECT_INVALID_IP,
                                       "url address \"%.*s\" is not IPv4",
                                       (int)(he - h > 48 ? 48 : he - h), p + h);
        } else {
            rc = set_host(u, p + h, he - h, err);
            if (rc != BW_OK)
                return rc;
        }
    }
    if (he < e && p[he] != ':')
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD,
                               "url has text after the host's address");
    if (he < e && he + 1 < e) {
        unsigned port = 0;

        if (e - he - 1 > 5)
            return bw_parser__fail(err, BW_REJECT_INVALID_PORT, "url port is not 0-65535");
        for (size_t k = he + 1; k < e; k++) {
            if (p[k] < '0' || p[k] > '9')
                return bw_parser__fail(err, BW_REJECT_INVALID_PORT, "url port is not a number");
            port = port * 10 + (unsigned)(p[k] - '0');
        }
        if (port > 65535)
            return bw_parser__fail(err, BW_REJECT_INVALID_PORT, "url port %u is over 65535", port);
        r->port = (uint16_t)port;
    } else if (scheme_len == 4 && strncasecmp(p, "http", 4) == 0) {
        r->port = 80;
    } else if (scheme_len == 5 && strncasecmp(p, "https", 5) == 0) {
        r->port = 443;
    }
    return BW_OK;
}

static int row(struct urlhaus *u, int count, uint64_t lineno, bw_emit_cb emit, void *ctx,
               struct bw_parse_error *err)
{
    struct bw_report *r = &u->r;
    struct bw_slice v[C_N];
    size_t n;
    int rc;

    if (!u->have_header)
        default_header(u, count);
    if ((size_t)count != u->n_columns)
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "%d columns where the header has %zu", count,
                               u->n_columns);
    memset(v, 0, sizeof(v));
    for (size_t i = 0; i < u->n_columns; i++) {
        if (u->cols[i] != C_OTHER && v[u->cols[i]].ptr == NULL)
            v[u->cols[i]] = bw_parser__trim(u->cells[i]);
    }
    memset(r, 0, sizeof(*r));
    r->cats = 1u << BW_CAT_MALWARE;
    r->proto = BW_PROTO_TCP;
    r->time_s = u->base.now_s;
    r->source = u->base.format;
    r->line = lineno;
    if (v[C_URL].len == 0)
        return bw_parser__fail(err, BW_REJECT_MISSING_IP, "empty url column");
    rc = url_host(u, v[C_URL], err);
    if (rc != BW_OK)
        return rc;
    if (v[C_TIME].len > 0 &&
        bw_parser__feed_time(&r->time_s, v[C_TIME].ptr, v[C_TIME].len) != BW_OK)
        return bw_parser__fail(err, BW_REJECT_INVALID_TIME,
                               "dateadded \"%.*s\" is not a date and time",
                               (int)(v[C_TIME].len > 40 ? 40 : v[C_TIME].len), v[C_TIME].ptr);
    if (r->host == NULL) {
        if (u->have_prev && u->prev.time_s == r->time_s && u->prev.port == r->port &&
            bw_addr_cmp(&u->prev.addr, &r->addr) == 0)
            r->seq = u->prev.seq + 1;
        u->prev = *r;
        u->have_prev = true;
    }
    set_family(u, v[C_TAGS]);
    n = bw_utf8_truncate(v[C_URL].ptr, v[C_URL].len, BW_EVIDENCE_MAX);
    memcpy(u->evidence, v[C_URL].ptr, n);
    u->evidence[n] = '\0';
    r->evidence = u->evidence;
    rc = emit(ctx, r);
    return rc != 0 ? rc : 1;
}

static int urlhaus_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                        bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct urlhaus *u = (struct urlhaus *)p;
    struct bw_slice s;
    int count, rc;

    rc = bw_parser__feed_line(p, line, &len, &s, err);
    if (rc <= 0)
        return rc;
    if (s.ptr[0] == '#') { /* a comment; the dumps name the columns in one */
        s.ptr++;
        s.len--;
        s = bw_parser__trim(s);
        count = bw_parser__csv_split(s.ptr, s.len, p->scratch, u->cells, MAX_COLUMNS);
        if (count > 1)
            (void)try_header(u, count);
        return 0;
    }
    count = bw_parser__csv_split(line, len, p->scratch, u->cells, MAX_COLUMNS);
    if (count == -1)
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "unbalanced or misplaced quote");
    if (count == -2)
        return bw_parser__fail(err, BW_REJECT_COLUMNS, "more than %d columns", MAX_COLUMNS);
    if (try_header(u, count))
        return 0;
    return row(u, count, lineno, emit, ctx, err);
}

struct bw_parser *bw_parser__urlhaus_new(const struct bw_parser_opts *o)
{
    struct urlhaus *u = bw_xcalloc(1, sizeof(*u));

    bw_parser__init(&u->base, "urlhaus", o);
    u->base.default_reporter = "urlhaus";
    u->base.line = urlhaus_line;
    return &u->base;
}

/* abuse.ch's banner names URLhaus; a bare header has the urlhaus_link column. */
int bw_parser__urlhaus_detect(const char *head, size_t len)
{
    if (len > 4096)
        len = 4096;
    if (BW_HAS(head, len, "URLhaus"))
        return 90;
    if (BW_HAS(head, len, "urlhaus_link") || BW_HAS(head, len, "urlhaus.abuse.ch/url/"))
        return 80;
    return 0;
}
