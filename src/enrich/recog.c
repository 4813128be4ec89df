/*
 * enrich/recog.c - device fingerprints: Rapid7 Recog XML databases matched with PCRE2 (JIT).
 *
 * Loading: every *.xml in the directory is parsed with expat (Recog's own format: the
 * <fingerprints> root with matches/protocol/preference, <fingerprint pattern flags> holding a
 * <description>, <example>s and <param pos name value>s). Patterns are Ruby regular
 * expressions; translate() maps the few places where Ruby and PCRE2 differ (see
 * docs/enrichment.md (Device fingerprints)), then they are compiled and JIT-compiled. A pattern PCRE2 rejects
 * is counted, named once in the diag, and left out.
 *
 * Matching: a banner is tried against the databases its service or port selects, in database
 * order, and the first fingerprint that matches wins; when none of those match (or nothing was
 * selected) the remaining databases are tried. Database order: preference (Recog's attribute,
 * default 0.10) descending, then a fixed rank for well-known databases (HTTP Server header
 * before HTML title), then file name. Within a database, file order.
 *
 * Prefilter: most patterns contain a literal that every match must contain. At load time each
 * fingerprint gets a set of such literals (one per top-level alternative); one 4-byte gram of
 * each (the rarest) goes into a hash table. A banner's grams mark the fingerprints that may
 * match; fingerprints without a usable literal are always tried. The regular expression
 * decides; the prefilter only skips patterns that cannot match.
 *
 * Invariants:
 *  - After bw_recog_open() nothing is written: matching reads r, allocates its own match data
 *    and shares the (read-only) match context, so concurrent bw_recog_match() calls are safe.
 *  - r->fps is ordered by database order, then file order; r->dbs[i] covers fps[first ..
 *    first + count).
 *  - Every string hangs off r->arena and is released by bw_recog_close().
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "enrich/enrich.h"

#include <ctype.h>
#include <dirent.h>
#include <expat.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RC_FILE_MAX (64u << 20)   /* bytes of one XML database */
#define RC_FILES_MAX 256          /* databases in a directory */
#define RC_TEXT_MAX (1u << 20)    /* bytes of one description or example */
#define RC_PATTERN_MAX 65536      /* bytes of one pattern */
#define RC_PARAMS_MAX 128         /* params of one fingerprint */
#define RC_ATTRS_MAX 64           /* attributes of one example */
#define RC_BANNER_MAX 8192        /* bytes of a banner looked at; the rest is ignored */
#define RC_MATCH_LIMIT 1000000    /* PCRE2 match limit: bounds backtracking on odd banners */
#define RC_DEFAULT_PREFERENCE 0.10
#define RC_GRAM 4                 /* bytes of a prefilter gram */
#define RC_GRAM_MIN 2             /* shorter literals leave their fingerprint always tried */
#define RC_LIT_MAX 32             /* bytes kept of one literal */
#define RC_FACTOR_MAX 16          /* alternatives of one literal set */
#define RC_PRESENCE_BITS 16       /* a bitmap in front of the gram table */
#define RC_LOCAL_WORDS 128        /* candidate bitset words kept on the stack */

#define RC_FETCH_HINT                                                                          \
    "fetch the Rapid7 Recog xml/*.xml databases (github.com/rapid7/recog, BSD-2-Clause) into it"

/* Params that feed struct bw_device_info. */
enum rc_field {
    F_NONE = -1,
    F_HW_DEVICE,
    F_OS_DEVICE,
    F_HW_VENDOR,
    F_OS_VENDOR,
    F_SERVICE_VENDOR,
    F_HW_PRODUCT,
    F_OS_PRODUCT,
    F_OS_VERSION,
    F_SERVICE_PRODUCT,
    F_SERVICE_VERSION,
    F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "hw.device",  "os.device",  "hw.vendor",       "os.vendor",       "service.vendor",
    "hw.product", "os.product", "os.version",      "service.product", "service.version",
};

/* The part of a banner a database's fingerprints look at. */
enum rc_view {
    V_RAW,         /* the banner as given */
    V_HTTP_SERVER, /* the value of a "Server:" line, else the banner */
    V_HTML_TITLE,  /* the text of <title>, else the banner */
    V_WWWAUTH,     /* the value of a "WWW-Authenticate:" line, else the banner */
    V_SIP_SERVER,  /* as V_HTTP_SERVER */
    V_SIP_UA,      /* the value of a "User-Agent:" line, else the banner */
    V_SSH,         /* what follows "SSH-2.0-" (Recog's ssh.banner), else the banner */
    V_COUNT
};

/* Well-known databases: their rank among equal preferences, and the banner view they match. */
static const struct {
    const char *matches;
    enum rc_view view;
} known_dbs[] = {
    { "http_header.server", V_HTTP_SERVER },
    { "html_title", V_HTML_TITLE },
    { "http_header.wwwauth", V_WWWAUTH },
    { "ssh.banner", V_SSH },
    { "telnet_banners", V_RAW },
    { "ftp.banner", V_RAW },
    { "rtsp_header.server", V_HTTP_SERVER },
    { "sip_header.server", V_SIP_SERVER },
    { "sip_header.user_agent", V_SIP_UA },
    { "snmp.sys_description", V_RAW },
    { "snmp.sys_object_id", V_RAW },
};

/* Service names as reports spell them, and the Recog protocol they mean. */
static const struct {
    const char *service;
    const char *protocol;
} service_aliases[] = {
    { "http", "http" },     { "https", "http" },   { "http-alt", "http" }, { "http-proxy", "http" },
    { "www", "http" },      { "ssl/http", "http" }, { "ssh", "ssh" },      { "telnet", "telnet" },
    { "ftp", "ftp" },       { "ftps", "ftp" },     { "rtsp", "rtsp" },     { "sip", "sip" },
    { "sips", "sip" },      { "snmp", "snmp" },
};

static const struct {
    uint16_t port;
    const char *protocol;
} port_protocols[] = {
    { 80, "http" },   { 81, "http" },   { 443, "http" },    { 8000, "http" }, { 8008, "http" },
    { 8080, "http" }, { 8081, "http" }, { 8443, "http" },   { 8888, "http" }, { 22, "ssh" },
    { 2222, "ssh" },  { 23, "telnet" }, { 2323, "telnet" }, { 21, "ftp" },    { 554, "rtsp" },
    { 8554, "rtsp" }, { 5060, "sip" },  { 5061, "sip" },    { 161, "snmp" },
};

/* ---- arena ------------------------------------------------------------------------------ */

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap; /* bytes of data after the header */
};

struct arena {
    struct arena_chunk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
    struct arena_chunk *c = a->head;

    n = (n + 7) & ~(size_t)7;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        c = bw_xmalloc(sizeof(*c) + cap);
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = (char *)(c + 1) + c->used;
    c->used += n;
    return p;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

static void arena_free(struct arena *a)
{
    while (a->head != NULL) {
        struct arena_chunk *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* ---- the object ------------------------------------------------------------------------- */

struct rc_param {
    const char *name;
    const char *value; /* pos 0: the fixed value (may hold {name} references); else NULL */
    int pos;           /* 0 = fixed value, N = capture group N */
    int field;         /* enum rc_field */
};

struct rc_example {
    const char *text; /* decoded (base64 examples) */
    size_t len;
    const char **attrs; /* n_attrs name/value pairs */
    uint32_t n_attrs;
    uint32_t line;
};

struct rc_fp {
    pcre2_code *code;    /* NULL: rejected, never matched */
    const char *pattern; /* as written */
    const char *flags;   /* as written, or NULL */
    const char *desc;    /* whitespace collapsed */
    struct rc_param *params;
    uint32_t n_params;
    uint32_t db;
    uint32_t line;
    struct rc_example *ex; /* only kept for bw_recog__verify() */
    uint32_t n_ex;
};

struct rc_db {
    const char *file;     /* base name, "http_servers.xml" */
    const char *matches;  /* the matches attribute, else the file name without ".xml" */
    const char *protocol; /* lower case; "" when absent */
    double preference;
    int rank;             /* index in known_dbs, or BW_ARRAY_LEN(known_dbs) */
    enum rc_view view;
    uint32_t first, count; /* fingerprints fps[first .. first + count) */
};

struct gram_slot {
    uint32_t key;
    uint32_t off; /* into r->gram_ids */
    uint32_t n;   /* 0 = empty slot */
};

struct bw_recog {
    struct arena arena;
    struct rc_db *dbs;
    size_t n_dbs;
    struct rc_fp *fps;
    size_t n_fps;
    size_t n_compiled;
    uint32_t max_pairs;  /* ovector pairs any pattern needs */
    uint64_t *always;    /* fingerprints the prefilter cannot rule out */
    size_t n_words;
    struct gram_slot *grams;
    uint32_t gram_bits;  /* table has 1 << gram_bits slots */
    uint64_t present[(1u << RC_PRESENCE_BITS) / 64]; /* presence_bit() of every indexed key */
    uint32_t *gram_ids;
    pcre2_compile_context *cctx;
    pcre2_match_context *mctx;
};

/* ---- Ruby regular expressions -> PCRE2 --------------------------------------------------- */

static bool is_pcre_escape_letter(char c)
{
    return c != '\0' && strchr("aAbBcCdDeEfgGhHkKnNopPQrRsStvVwWxXzZ", c) != NULL;
}

/* Rewrites the Ruby-only syntax of p into out: inline (?m) is Ruby's dot-all, so (?s); \h and
 * \H are hex digits in Ruby; \uXXXX is a code point; an escaped letter PCRE2 does not know is
 * the letter itself in Ruby. Returns false when out would pass RC_PATTERN_MAX. */
static bool translate(const char *p, struct bw_buf *out)
{
    bool in_class = false;
    int rc = BW_OK;

    bw_buf_reset(out);
    for (size_t i = 0; p[i] != '\0' && rc == BW_OK;) {
        char c = p[i];
        if (c == '\\' && p[i + 1] == 'Q') {
            const char *e = strstr(p + i + 2, "\\E");
            size_t n = e != NULL ? (size_t)(e - (p + i)) + 2 : strlen(p + i);
            rc = bw_buf_append(out, p + i, n);
            i += n;
        } else if (c == '\\' && p[i + 1] == 'u' && isxdigit((unsigned char)p[i + 2]) &&
                   isxdigit((unsigned char)p[i + 3]) && isxdigit((unsigned char)p[i + 4]) &&
                   isxdigit((unsigned char)p[i + 5])) {
            rc = bw_buf_append(out, "\\x{", 3); /* Ruby's \uXXXX: a code point */
            if (rc == BW_OK)
                rc = bw_buf_append(out, p + i + 2, 4);
            if (rc == BW_OK)
                rc = bw_buf_append(out, "}", 1);
            i += 6;
        } else if (c == '\\' && p[i + 1] != '\0') {
            char e = p[i + 1];
            if (e == 'h')
                rc = in_class ? bw_buf_append(out, "0-9a-fA-F", 9)
                              : bw_buf_append(out, "[0-9a-fA-F]", 11);
            else if (e == 'H' && !in_class)
                rc = bw_buf_append(out, "[^0-9a-fA-F]", 12);
            else if (isalpha((unsigned char)e) && !is_pcre_escape_letter(e))
                rc = bw_buf_append(out, &e, 1);
            else
                rc = bw_buf_append(out, p + i, 2);
            i += 2;
        } else if (in_class) {
            if (c == '[' && p[i + 1] == ':') {
                const char *e = strstr(p + i + 2, ":]");
                size_t n = e != NULL ? (size_t)(e - (p + i)) + 2 : 1;
                rc = bw_buf_append(out, p + i, n);
                i += n;
                continue;
            }
            if (c == ']')
                in_class = false;
            rc = bw_buf_append(out, &c, 1);
            i++;
        } else if (c == '[') {
            rc = bw_buf_append(out, &c, 1);
            i++;
            in_class = true;
            if (p[i] == '^' && rc == BW_OK) {
                rc = bw_buf_append(out, "^", 1);
                i++;
            }
            if (p[i] == ']' && rc == BW_OK) {
                rc = bw_buf_append(out, "]", 1);
                i++;
            }
        } else if (c == '(' && p[i + 1] == '?' && p[i + 2] != '\0' &&
                   strchr("imx-", p[i + 2]) != NULL) {
            size_t j = i + 2;
            while (p[j] != '\0' && strchr("imx-", p[j]) != NULL)
                j++;
            if (p[j] == ')' || p[j] == ':') {
                rc = bw_buf_append(out, "(?", 2);
                for (size_t k = i + 2; k < j && rc == BW_OK; k++)
                    rc = bw_buf_append(out, p[k] == 'm' ? "s" : p + k, 1);
                i = j;
            } else {
                rc = bw_buf_append(out, &c, 1);
                i++;
            }
        } else {
            rc = bw_buf_append(out, &c, 1);
            i++;
        }
    }
    return rc == BW_OK;
}

/* True when a pattern means bytes rather than characters: an escape of a byte over 0x7f, or
 * text that is not UTF-8. Those are matched byte by byte. */
static bool wants_bytes(const char *p)
{
    if (!bw_utf8_valid(p, strlen(p)))
        return true;
    for (; *p != '\0'; p++) {
        if (p[0] != '\\' || p[1] == '\0')
            continue;
        if (p[1] == 'x' && (p[2] == '{' || (p[2] != '\0' && strchr("89abcdefABCDEF", p[2]))))
            return true;
        if (p[1] >= '2' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7')
            return true;
        p++;
    }
    return false;
}

/* Recog flags (comma- or bar-separated) to PCRE2 options. Ruby's ^ and $ always match at line
 * ends, hence PCRE2_MULTILINE everywhere; Ruby's MULTILINE is PCRE2's DOTALL. Ruby matches
 * UTF-8 text by character: PCRE2_UTF, with PCRE2_MATCH_INVALID_UTF so that a banner that is
 * not UTF-8 is still matched (its bad bytes match nothing). */
static bool flags_to_options(const char *pattern, const char *flags, uint32_t *opts, char *bad,
                             size_t bad_cap)
{
    *opts = PCRE2_MULTILINE | PCRE2_NEVER_UCP;
    if (wants_bytes(pattern))
        *opts |= PCRE2_NEVER_UTF;
    else
        *opts |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    if (flags == NULL)
        return true;
    for (const char *p = flags; *p != '\0';) {
        while (*p == ',' || *p == '|' || *p == ' ')
            p++;
        size_t n = strcspn(p, ",| ");
        if (n == 0)
            break;
        if (n == 9 && strncmp(p, "REG_ICASE", n) == 0) {
            *opts |= PCRE2_CASELESS;
        } else if ((n == 15 && strncmp(p, "REG_DOT_NEWLINE", n) == 0) ||
                   (n == 13 && strncmp(p, "REG_MULTILINE", n) == 0) ||
                   (n == 17 && strncmp(p, "REG_LINE_ANY_CRLF", n) == 0)) {
            *opts |= PCRE2_DOTALL;
        } else {
            snprintf(bad, bad_cap, "unsupported flag %.*s", (int)(n > 40 ? 40 : n), p);
            return false;
        }
        p += n;
    }
    return true;
}

/* ---- literal extraction for the prefilter ------------------------------------------------ */

struct lit {
    uint8_t len;
    uint8_t s[RC_LIT_MAX];
};

/* A set of literals at least one of which every match contains; n == 0: none known. */
struct factor {
    uint8_t n;
    struct lit m[RC_FACTOR_MAX];
};

struct px {
    const char *p, *end;
    bool fail;
    int depth;
};

static int factor_score(const struct factor *f)
{
    if (f->n == 0)
        return -1;
    int min = RC_LIT_MAX;
    for (unsigned i = 0; i < f->n; i++)
        if (f->m[i].len < min)
            min = f->m[i].len;
    if (min < RC_GRAM_MIN)
        return -1;
    return (min > 8 ? 8 : min) * 32 - f->n; /* longer literals first, then fewer of them */
}

static void factor_consider(struct factor *best, const struct factor *f)
{
    if (factor_score(f) > factor_score(best))
        *best = *f;
}

static void run_flush(struct factor *best, struct lit *run)
{
    if (run->len > 0) {
        struct factor f = { .n = 1 };
        f.m[0] = *run;
        factor_consider(best, &f);
    }
    run->len = 0;
}

/* Only ASCII goes into literals: beyond it, caseless UTF matching folds more than tolower(). */
static void run_add(struct factor *best, struct lit *run, unsigned char c)
{
    if (c >= 0x80) {
        run_flush(best, run);
        return;
    }
    if (run->len == RC_LIT_MAX)
        run_flush(best, run);
    run->s[run->len++] = (uint8_t)tolower(c);
}

/* Parses a quantifier at x->p, if any; *min gets its minimum, *single whether it is exactly one. */
static void parse_quant(struct px *x, unsigned *min, bool *single)
{
    const char *p = x->p;

    *min = 1;
    *single = true;
    if (p >= x->end)
        return;
    if (*p == '?' || *p == '*') {
        *min = 0;
        *single = false;
        p++;
    } else if (*p == '+') {
        *single = false;
        p++;
    } else if (*p == '{') {
        const char *q = p + 1;
        unsigned lo = 0, hi = 0;
        bool have_lo = false, comma = false, have_hi = false;
        while (q < x->end && *q >= '0' && *q <= '9') {
            lo = lo < 100000 ? lo * 10 + (unsigned)(*q - '0') : lo;
            have_lo = true;
            q++;
        }
        if (q < x->end && *q == ',') {
            comma = true;
            q++;
            while (q < x->end && *q >= '0' && *q <= '9') {
                hi = hi < 100000 ? hi * 10 + (unsigned)(*q - '0') : hi;
                have_hi = true;
                q++;
            }
        }
        if (q >= x->end || *q != '}' || !have_lo)
            return; /* a literal '{' (PCRE2 10.42 reads "{,n}" literally too) */
        *min = lo;
        *single = !comma ? lo == 1 : (have_hi && lo == 1 && hi == 1);
        p = q + 1;
    } else {
        return;
    }
    if (p < x->end && (*p == '?' || *p == '+'))
        p++;
    x->p = p;
}

static void skip_class(struct px *x)
{
    const char *p = x->p; /* just after '[' */
    if (p < x->end && *p == '^')
        p++;
    if (p < x->end && *p == ']')
        p++;
    while (p < x->end && *p != ']') {
        if (*p == '\\') {
            p += 2;
        } else if (*p == '[' && p + 1 < x->end && p[1] == ':') {
            const char *e = p + 2;
            while (e + 1 < x->end && !(e[0] == ':' && e[1] == ']'))
                e++;
            p = e + 2;
        } else {
            p++;
        }
    }
    if (p >= x->end) {
        x->fail = true;
        x->p = x->end;
        return;
    }
    x->p = p + 1;
}

static void parse_alt(struct px *x, struct factor *out);

/* Skips a group name "<name>" / "'name'" / "{name}" after its opening character. */
static void skip_to(struct px *x, char close)
{
    while (x->p < x->end && *x->p != close)
        x->p++;
    if (x->p >= x->end)
        x->fail = true;
    else
        x->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One atom. Returns 1 for a literal byte (*ch), 2 for a group (*f), 0 for something that
 * consumes text but gives no literal, 3 for a zero-width item. */
static int parse_atom(struct px *x, unsigned char *ch, struct factor *f)
{
    char c = *x->p++;

    f->n = 0;
    switch (c) {
    case '.':
        return 0;
    case '^':
    case '$':
        return 3;
    case '[':
        skip_class(x);
        return 0;
    case '(': {
        bool zero = false;
        if (x->p < x->end && *x->p == '*') {
            x->fail = true;
            return 0;
        }
        if (x->p < x->end && *x->p == '?') {
            x->p++;
            char k = x->p < x->end ? *x->p : '\0';
            if (k == '#') {
                skip_to(x, ')');
                return 3;
            } else if (k == ':' || k == '>' || k == '|') {
                x->p++;
            } else if (k == '=' || k == '!') {
                x->p++;
                zero = true;
            } else if (k == '<' && x->p + 1 < x->end && (x->p[1] == '=' || x->p[1] == '!')) {
                x->p += 2;
                zero = true;
            } else if (k == '<' || k == '\'') {
                x->p++;
                skip_to(x, k == '<' ? '>' : '\'');
            } else if (k == 'P' && x->p + 1 < x->end && x->p[1] == '<') {
                x->p += 2;
                skip_to(x, '>');
            } else if (k != '\0' && strchr("imsx-^", k) != NULL) {
                while (x->p < x->end && strchr("imsx-^", *x->p) != NULL) {
                    if (*x->p == 'x')
                        x->fail = true;
                    x->p++;
                }
                if (x->p < x->end && *x->p == ')') {
                    x->p++;
                    return 3;
                }
                if (x->p < x->end && *x->p == ':')
                    x->p++;
                else
                    x->fail = true;
            } else {
                x->fail = true;
                return 0;
            }
        }
        if (x->fail)
            return 0;
        if (++x->depth > 200) {
            x->fail = true;
            return 0;
        }
        parse_alt(x, f);
        x->depth--;
        if (x->p >= x->end || *x->p != ')') {
            x->fail = true;
            return 0;
        }
        x->p++;
        if (zero) {
            f->n = 0;
            return 3;
        }
        return 2;
    }
    case '\\': {
        if (x->p >= x->end) {
            x->fail = true;
            return 0;
        }
        char e = *x->p++;
        if (e >= '1' && e <= '9') {
            while (x->p < x->end && *x->p >= '0' && *x->p <= '9')
                x->p++;
            return 0;
        }
        switch (e) {
        case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K': case 'E':
            return 3;
        case 'N':
            if (x->p < x->end && *x->p == '{')
                x->fail = true; /* \N{U+hh}: a character this parser does not decode */
            return 0;
        case 'd': case 'D': case 'w': case 'W': case 's': case 'S': case 'h': case 'H':
        case 'v': case 'V': case 'R': case 'X': case 'C':
            return 0;
        case 'n': *ch = '\n'; return 1;
        case 'r': *ch = '\r'; return 1;
        case 't': *ch = '\t'; return 1;
        case 'f': *ch = '\f'; return 1;
        case 'e': *ch = 0x1b; return 1;
        case 'a': *ch = 0x07; return 1;
        case '0': {
            unsigned v = 0;
            for (int k = 0; k < 2 && x->p < x->end && *x->p >= '0' && *x->p <= '7'; k++)
                v = v * 8 + (unsigned)(*x->p++ - '0');
            *ch = (unsigned char)v;
            return 1;
        }
        case 'x': {
            unsigned v = 0;
            if (x->p < x->end && *x->p == '{') {
                x->p++;
                while (x->p < x->end && hexval(*x->p) >= 0 && v <= 0xff)
                    v = v * 16 + (unsigned)hexval(*x->p++);
                if (x->p >= x->end || *x->p != '}' || v > 0xff) {
                    x->fail = true;
                    return 0;
                }
                x->p++;
            } else {
                for (int k = 0; k < 2 && x->p < x->end && hexval(*x->p) >= 0; k++)
                    v = v * 16 + (unsigned)hexval(*x->p++);
            }
            *ch = (unsigned char)v;
            return 1;
        }
        case 'c':
            if (x->p >= x->end) {
                x->fail = true;
                return 0;
            }
            *ch = (unsigned char)(toupper((unsigned char)*x->p++) ^ 0x40);
            return 1;
        case 'p': case 'P':
            if (x->p < x->end && *x->p == '{') {
                x->p++;
                skip_to(x, '}');
            } else if (x->p < x->end) {
                x->p++;
            }
            return 0;
        case 'k': case 'g': case 'o': case 'Q':
            x->fail = true; /* rare in Recog; give up on the prefilter */
            return 0;
        default:
            *ch = (unsigned char)e;
            return 1;
        }
    }
    default:
        *ch = (unsigned char)c;
        return 1;
    }
}

static void parse_seq(struct px *x, struct factor *best)
{
    struct lit run = { 0 };

    best->n = 0;
    while (x->p < x->end && !x->fail && *x->p != '|' && *x->p != ')') {
        unsigned char ch = 0;
        struct factor f;
        unsigned min;
        bool single;
        int kind = parse_atom(x, &ch, &f);
        if (x->fail)
            break;
        parse_quant(x, &min, &single);
        if (kind == 3) {
            if (!single)
                run_flush(best, &run);
        } else if (kind == 1) {
            if (min == 0) {
                run_flush(best, &run);
            } else {
                run_add(best, &run, ch);
                if (!single)
                    run_flush(best, &run);
            }
        } else {
            run_flush(best, &run);
            if (kind == 2 && min > 0)
                factor_consider(best, &f);
        }
    }
    run_flush(best, &run);
}

static void parse_alt(struct px *x, struct factor *out)
{
    bool none = false;

    parse_seq(x, out);
    if (factor_score(out) < 0)
        none = true;
    while (!x->fail && x->p < x->end && *x->p == '|') {
        struct factor g;
        x->p++;
        parse_seq(x, &g);
        if (factor_score(&g) < 0 || out->n + g.n > RC_FACTOR_MAX) {
            none = true;
            continue;
        }
        if (!none) {
            memcpy(out->m + out->n, g.m, g.n * sizeof(g.m[0]));
            out->n = (uint8_t)(out->n + g.n);
        }
    }
    if (none)
        out->n = 0;
}

/* The literals every match of the (translated) pattern contains; false when unknown. */
static bool extract_factor(const char *pat, size_t len, struct factor *f)
{
    struct px x = { .p = pat, .end = pat + len };

    parse_alt(&x, f);
    if (x.fail || x.p != x.end)
        return false;
    return factor_score(f) >= 0;
}

/* ---- the prefilter index ----------------------------------------------------------------- */

static uint32_t gram_hash(uint32_t key, uint32_t bits)
{
    return (uint32_t)((key * 2654435761u) >> (32 - bits));
}

/* A gram of g bytes (2..4) as a key; shorter grams carry their length in the top byte. The
 * tags may collide with 4-byte grams that start with byte 2 or 3: that only adds candidates. */
static uint32_t gram_key(const uint8_t *s, unsigned g)
{
    uint32_t k = 0;
    for (unsigned i = 0; i < g; i++)
        k = k << 8 | s[i];
    return g == 4 ? k : k | (uint32_t)g << 24;
}

static uint32_t presence_bit(uint32_t key)
{
    return (key * 0x9e3779b1u) >> (32 - RC_PRESENCE_BITS);
}

/* A growable open-addressing counter used while choosing grams. */
struct gram_count {
    uint32_t *keys;
    uint32_t *counts; /* 0 = empty */
    uint32_t bits;
};

static uint32_t *gram_count_slot(struct gram_count *gc, uint32_t key)
{
    uint32_t mask = (1u << gc->bits) - 1;
    for (uint32_t h = gram_hash(key, gc->bits);; h = (h + 1) & mask) {
        if (gc->counts[h] == 0)
            gc->keys[h] = key;
        if (gc->keys[h] == key)
            return &gc->counts[h];
    }
}

struct gram_pair {
    uint32_t key;
    uint32_t fp;
};

static int gram_pair_cmp(const void *a, const void *b)
{
    const struct gram_pair *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->fp < y->fp ? -1 : x->fp > y->fp;
}

static void build_prefilter(struct bw_recog *r)
{
    struct factor *fs = bw_xcalloc(r->n_fps ? r->n_fps : 1, sizeof(*fs));
    struct bw_buf tr;
    size_t total = 0;

    r->n_words = (r->n_fps + 63) / 64;
    r->always = bw_xcalloc(r->n_words ? r->n_words : 1, sizeof(uint64_t));
    bw_buf_init(&tr, RC_PATTERN_MAX);
    for (size_t i = 0; i < r->n_fps; i++) {
        if (r->fps[i].code == NULL)
            continue;
        if (!translate(r->fps[i].pattern, &tr) || !extract_factor(tr.data, tr.len, &fs[i])) {
            fs[i].n = 0;
            r->always[i / 64] |= (uint64_t)1 << (i % 64);
            continue;
        }
        for (unsigned k = 0; k < fs[i].n; k++)
            total += fs[i].m[k].len;
    }
    bw_buf_cleanup(&tr);

    /* Count in how many literals each gram occurs, then index each literal by its rarest. */
    struct gram_count gc = { 0 };
    gc.bits = 4;
    while ((1u << gc.bits) < total * 2 + 16)
        gc.bits++;
    gc.keys = bw_xcalloc((size_t)1 << gc.bits, sizeof(uint32_t));
    gc.counts = bw_xcalloc((size_t)1 << gc.bits, sizeof(uint32_t));
    size_t n_pairs = 0, cap_pairs = 64;
    struct gram_pair *pairs = bw_xmalloc(cap_pairs * sizeof(*pairs));
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < r->n_fps; i++) {
            for (unsigned k = 0; k < fs[i].n; k++) {
                const struct lit *l = &fs[i].m[k];
                uint32_t best_key = 0, best_count = UINT32_MAX;
                unsigned g = l->len < RC_GRAM ? l->len : RC_GRAM;
                for (unsigned j = 0; j + g <= l->len; j++) {
                    uint32_t key = gram_key(l->s + j, g);
                    uint32_t *cnt = gram_count_slot(&gc, key);
                    if (pass == 0) {
                        (*cnt)++;
                    } else if (*cnt < best_count) {
                        best_count = *cnt;
                        best_key = key;
                    }
                }
                if (pass == 1) {
                    if (n_pairs == cap_pairs) {
                        cap_pairs *= 2;
                        pairs = bw_xrealloc(pairs, cap_pairs * sizeof(*pairs));
                    }
                    pairs[n_pairs++] = (struct gram_pair){ best_key, (uint32_t)i };
                    r->present[presence_bit(best_key) / 64] |=
                        (uint64_t)1 << (presence_bit(best_key) % 64);
                }
            }
        }
    }
    free(gc.keys);
    free(gc.counts);
    free(fs);

    bw_sort(pairs, n_pairs, sizeof(*pairs), gram_pair_cmp);
    size_t n_keys = 0;
    for (size_t i = 0; i < n_pairs; i++)
        if (i == 0 || pairs[i].key != pairs[i - 1].key)
            n_keys++;
    r->gram_ids = bw_xmalloc((n_pairs ? n_pairs : 1) * sizeof(uint32_t));
    r->gram_bits = 4;
    while ((1u << r->gram_bits) < n_keys * 2 + 16)
        r->gram_bits++;
    r->grams = bw_xcalloc((size_t)1 << r->gram_bits, sizeof(*r->grams));
    size_t n_ids = 0;
    for (size_t i = 0; i < n_pairs;) {
        size_t j = i;
        uint32_t off = (uint32_t)n_ids;
        for (; j < n_pairs && pairs[j].key == pairs[i].key; j++)
            if (j == i || pairs[j].fp != pairs[j - 1].fp)
                r->gram_ids[n_ids++] = pairs[j].fp;
        uint32_t mask = (1u << r->gram_bits) - 1, h = gram_hash(pairs[i].key, r->gram_bits);
        while (r->grams[h].n != 0)
            h = (h + 1) & mask;
        r->grams[h] = (struct gram_slot){ pairs[i].key, off, (uint32_t)(n_ids - off) };
        i = j;
    }
    free(pairs);
}

static void mark_candidates(const struct bw_recog *r, const char *s, size_t len, uint64_t *bits)
{
    uint32_t key = 0, mask = (1u << r->gram_bits) - 1;

    memcpy(bits, r->always, r->n_words * sizeof(uint64_t));
    if (r->grams == NULL)
        return;
    for (size_t i = 0, seen = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        /* Caseless UTF matching also takes U+212A KELVIN SIGN for k and U+017F LONG S for s. */
        if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x84 &&
            (unsigned char)s[i + 2] == 0xaa) {
            c = 'k';
            i += 2;
        } else if (c == 0xc5 && i + 1 < len && (unsigned char)s[i + 1] == 0xbf) {
            c = 's';
            i += 1;
        }
        key = key << 8 | (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        seen++;
        for (unsigned g = RC_GRAM_MIN; g <= RC_GRAM && g <= seen; g++) {
            uint32_t k = g == 4 ? key : (key & ((1u << (8 * g)) - 1)) | (uint32_t)g << 24;
            uint32_t pb = presence_bit(k);
            if (!(r->present[pb / 64] >> (pb % 64) & 1))
                continue;
            for (uint32_t h = gram_hash(k, r->gram_bits); r->grams[h].n != 0; h = (h + 1) & mask) {
                if (r->grams[h].key != k)
                    continue;
                const uint32_t *ids = r->gram_ids + r->grams[h].off;
                for (uint32_t x = 0; x < r->grams[h].n; x++)
                    bits[ids[x] / 64] |= (uint64_t)1 << (ids[x] % 64);
                break;
            }
        }
    }
}

/* ---- loading ----------------------------------------------------------------------------- */

enum text_kind { T_NONE, T_DESC, T_EXAMPLE };

struct load {
    struct bw_recog *r;
    XML_Parser xp;
    const char *file; /* base name, for diags */
    uint32_t db;
    bool keep_examples;
    int depth;
    int err;          /* first fatal error; the parser is stopped */
    struct bw_diag *d;
    size_t *skipped;
    bool skip_named;
    size_t cap_fps;

    bool in_fp;
    struct rc_fp fp;
    struct rc_param params[RC_PARAMS_MAX];
    uint32_t n_params;
    size_t cap_ex;

    enum text_kind text_kind;
    bool text_overflow;
    struct bw_buf text;
    bool ex_base64;
    const char *ex_attrs[2 * RC_ATTRS_MAX];
    uint32_t ex_n_attrs;
    uint32_t ex_line;

    struct bw_buf tr; /* translated pattern */
    pcre2_compile_context *cctx;
};

static void load_fail(struct load *L, int rc, const char *fmt, const char *what)
{
    if (L->err != BW_OK)
        return;
    L->err = rc;
    bw_diag_set(L->d, "recog: %s:%lu: %s%s", L->file,
                (unsigned long)XML_GetCurrentLineNumber(L->xp), fmt, what != NULL ? what : "");
    XML_StopParser(L->xp, XML_FALSE);
}

static const char *attr(const XML_Char **atts, const char *name)
{
    for (size_t i = 0; atts[i] != NULL; i += 2)
        if (strcmp(atts[i], name) == 0)
            return atts[i + 1];
    return NULL;
}

static int field_of(const char *name)
{
    for (int i = 0; i < F_COUNT; i++)
        if (strcmp(field_names[i], name) == 0)
            return i;
    return F_NONE;
}

/* Ruby's String#to_i on the pos attribute: leading digits, else 0. */
static int parse_pos(const char *s)
{
    long v = 0;
    bool neg = false;

    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    while (*s >= '0' && *s <= '9' && v < 100000)
        v = v * 10 + (*s++ - '0');
    return (int)(neg ? -v : v);
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct load *L = ud;
    struct bw_recog *r = L->r;

    L->depth++;
    if (L->err != BW_OK)
        return;
    if (L->depth == 1) {
        if (strcmp(name, "fingerprints") != 0) {
            load_fail(L, BW_EMALFORMED, "not a Recog database (root element is not <fingerprints>)",
                      NULL);
            return;
        }
        struct rc_db *db = &r->dbs[L->db];
        const char *m = attr(atts, "matches");
        const char *proto = attr(atts, "protocol");
        const char *pref = attr(atts, "preference");
        if (m != NULL && *m != '\0') {
            db->matches = arena_strdup(&r->arena, m);
        } else {
            size_t n = strlen(L->file);
            if (n > 4 && strcmp(L->file + n - 4, ".xml") == 0)
                n -= 4;
            db->matches = arena_strndup(&r->arena, L->file, n);
        }
        char *pr = arena_strdup(&r->arena, proto != NULL ? proto : "");
        for (char *p = pr; *p != '\0'; p++)
            *p = (char)tolower((unsigned char)*p);
        db->protocol = pr;
        db->preference = RC_DEFAULT_PREFERENCE;
        if (pref != NULL) {
            char *end;
            double v = strtod(pref, &end);
            if (end != pref && v >= 0.0 && v <= 1.0)
                db->preference = v;
        }
        db->rank = (int)BW_ARRAY_LEN(known_dbs);
        db->view = V_RAW;
        for (size_t i = 0; i < BW_ARRAY_LEN(known_dbs); i++) {
            if (strcmp(known_dbs[i].matches, db->matches) == 0) {
                db->rank = (int)i;
                db->view = known_dbs[i].view;
            }
        }
        return;
    }
    if (L->depth == 2 && strcmp(name, "fingerprint") == 0) {
        const char *pat = attr(atts, "pattern");
        const char *flags = attr(atts, "flags");
        memset(&L->fp, 0, sizeof(L->fp));
        L->in_fp = true;
        L->n_params = 0;
        L->cap_ex = 0;
        L->fp.db = L->db;
        L->fp.line = (uint32_t)XML_GetCurrentLineNumber(L->xp);
        L->fp.pattern = pat != NULL ? arena_strdup(&r->arena, pat) : NULL;
        L->fp.flags = flags != NULL ? arena_strdup(&r->arena, flags) : NULL;
        return;
    }
    if (L->depth != 3 || !L->in_fp)
        return;
    if (strcmp(name, "description") == 0) {
        L->text_kind = T_DESC;
        L->text_overflow = false;
        bw_buf_reset(&L->text);
    } else if (strcmp(name, "example") == 0 && L->keep_examples) {
        L->text_kind = T_EXAMPLE;
        L->text_overflow = false;
        bw_buf_reset(&L->text);
        L->ex_base64 = false;
        L->ex_n_attrs = 0;
        L->ex_line = (uint32_t)XML_GetCurrentLineNumber(L->xp);
        for (size_t i = 0; atts[i] != NULL; i += 2) {
            if (strcmp(atts[i], "_encoding") == 0 && strcmp(atts[i + 1], "base64") == 0)
                L->ex_base64 = true;
            if (L->ex_n_attrs < RC_ATTRS_MAX) {
                L->ex_attrs[2 * L->ex_n_attrs] = arena_strdup(&r->arena, atts[i]);
                L->ex_attrs[2 * L->ex_n_attrs + 1] = arena_strdup(&r->arena, atts[i + 1]);
                L->ex_n_attrs++;
            }
        }
    } else if (strcmp(name, "param") == 0) {
        const char *pname = attr(atts, "name");
        const char *pos = attr(atts, "pos");
        const char *value = attr(atts, "value");
        if (pname == NULL)
            return;
        int p = pos != NULL ? parse_pos(pos) : 0;
        struct rc_param *slot = NULL;
        for (uint32_t i = 0; i < L->n_params; i++) /* Recog keeps the last of a name */
            if (strcmp(L->params[i].name, pname) == 0)
                slot = &L->params[i];
        if (slot == NULL) {
            if (L->n_params == RC_PARAMS_MAX) {
                load_fail(L, BW_ETOOBIG, "too many params in a fingerprint", NULL);
                return;
            }
            slot = &L->params[L->n_params++];
            slot->name = arena_strdup(&r->arena, pname);
            slot->field = field_of(pname);
        }
        slot->pos = p;
        slot->value = p == 0 ? arena_strdup(&r->arena, value != NULL ? value : "") : NULL;
    }
}

static void on_text(void *ud, const XML_Char *s, int len)
{
    struct load *L = ud;

    if (L->err != BW_OK || L->text_kind == T_NONE || len <= 0)
        return;
    if (bw_buf_append(&L->text, s, (size_t)len) != BW_OK)
        L->text_overflow = true;
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Lenient like Ruby's Base64.decode64: other characters are skipped; decodes in place. */
static size_t b64_decode(char *s, size_t len)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;

    for (size_t i = 0; i < len && s[i] != '='; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            continue;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            s[o++] = (char)(acc >> bits & 0xff);
        }
    }
    return o;
}

/* Recog's description: whitespace runs become one space, ends trimmed. */
static char *collapse_ws(struct arena *a, const char *s, size_t len)
{
    char *out = arena_alloc(a, len + 1);
    size_t o = 0;
    bool space = false;

    for (size_t i = 0; i < len; i++) {
        if (isspace((unsigned char)s[i])) {
            space = o > 0;
            continue;
        }
        if (space)
            out[o++] = ' ';
        space = false;
        out[o++] = s[i];
    }
    out[o] = '\0';
    return out;
}

static void end_fingerprint(struct load *L)
{
    struct bw_recog *r = L->r;
    struct rc_fp *fp = &L->fp;
    char why[160];
    uint32_t opts;

    L->in_fp = false;
    if (fp->desc == NULL)
        fp->desc = "";
    fp->params = arena_alloc(&r->arena, (L->n_params ? L->n_params : 1) * sizeof(*fp->params));
    memcpy(fp->params, L->params, L->n_params * sizeof(*fp->params));
    fp->n_params = L->n_params;

    why[0] = '\0';
    if (fp->pattern == NULL) {
        snprintf(why, sizeof(why), "no pattern attribute");
    } else if (!flags_to_options(fp->pattern, fp->flags, &opts, why, sizeof(why))) {
        /* why is set */
    } else if (!translate(fp->pattern, &L->tr)) {
        snprintf(why, sizeof(why), "pattern too long");
    } else {
        int errcode;
        PCRE2_SIZE erroff;
        fp->code = pcre2_compile((PCRE2_SPTR)L->tr.data, L->tr.len, opts, &errcode, &erroff,
                                 L->cctx);
        if (fp->code == NULL) {
            PCRE2_UCHAR msg[120];
            if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
                snprintf((char *)msg, sizeof(msg), "error %d", errcode);
            snprintf(why, sizeof(why), "%s at offset %zu", (const char *)msg, (size_t)erroff);
        }
    }
    if (fp->code != NULL) {
        uint32_t top = 0;
        (void)pcre2_jit_compile(fp->code, PCRE2_JIT_COMPLETE); /* interpreter when no JIT */
        if (pcre2_pattern_info(fp->code, PCRE2_INFO_CAPTURECOUNT, &top) == 0 &&
            top + 1 > r->max_pairs)
            r->max_pairs = top + 1;
        r->n_compiled++;
    } else {
        (*L->skipped)++;
        if (!L->skip_named) {
            L->skip_named = true;
            bw_diag_set(L->d, "recog: %s:%u: pattern skipped (%s): %.200s", L->file, fp->line,
                        why, fp->pattern != NULL ? fp->pattern : "");
        }
        if (!L->keep_examples)
            return;
    }
    if (r->n_fps == L->cap_fps) {
        L->cap_fps = L->cap_fps ? L->cap_fps * 2 : 256;
        r->fps = bw_xrealloc(r->fps, L->cap_fps * sizeof(*r->fps));
    }
    r->fps[r->n_fps++] = *fp;
}

static void on_end(void *ud, const XML_Char *name)
{
    struct load *L = ud;
    struct bw_recog *r = L->r;
    int depth = L->depth--;

    if (L->err != BW_OK)
        return;
    if (depth == 2 && L->in_fp && strcmp(name, "fingerprint") == 0) {
        end_fingerprint(L);
        return;
    }
    if (depth != 3 || L->text_kind == T_NONE)
        return;
    if (L->text_kind == T_DESC) {
        L->fp.desc = collapse_ws(&r->arena, L->text.data, L->text.len);
    } else if (!L->text_overflow) {
        struct rc_fp *fp = &L->fp;
        if (fp->n_ex == L->cap_ex) {
            L->cap_ex = L->cap_ex ? L->cap_ex * 2 : 8;
            struct rc_example *ex = arena_alloc(&r->arena, L->cap_ex * sizeof(*ex));
            if (fp->n_ex > 0)
                memcpy(ex, fp->ex, fp->n_ex * sizeof(*ex));
            fp->ex = ex;
        }
        struct rc_example *e = &fp->ex[fp->n_ex++];
        size_t n = L->text.len;
        char *t = arena_strndup(&r->arena, L->text.data, n);
        if (L->ex_base64) {
            n = b64_decode(t, n);
            t[n] = '\0';
        }
        e->text = t;
        e->len = n;
        e->n_attrs = L->ex_n_attrs;
        e->attrs = arena_alloc(&r->arena, (2 * L->ex_n_attrs + 1) * sizeof(char *));
        memcpy(e->attrs, L->ex_attrs, 2 * L->ex_n_attrs * sizeof(char *));
        e->line = L->ex_line;
    }
    L->text_kind = T_NONE;
}

static struct bw_recog *recog_new(void)
{
    struct bw_recog *r = bw_xcalloc(1, sizeof(*r));
    r->cctx = pcre2_compile_context_create(NULL);
    r->mctx = pcre2_match_context_create(NULL);
    if (r->cctx == NULL || r->mctx == NULL)
        bw_panic("recog: out of memory");
    pcre2_set_newline(r->cctx, PCRE2_NEWLINE_LF);
    pcre2_set_match_limit(r->mctx, RC_MATCH_LIMIT);
    r->dbs = bw_xcalloc(RC_FILES_MAX, sizeof(*r->dbs));
    return r;
}

/* Parses one database held in memory into r. */
static int load_buffer(struct bw_recog *r, const char *file, const char *xml, size_t len,
                       bool keep_examples, size_t *cap_fps, size_t *skipped, bool *skip_named,
                       struct bw_diag *d)
{
    struct load L;
    int rc = BW_OK;

    if (r->n_dbs == RC_FILES_MAX) {
        bw_diag_set(d, "recog: more than %d databases", RC_FILES_MAX);
        return BW_ETOOBIG;
    }
    if (len > RC_FILE_MAX || len > (size_t)INT32_MAX) {
        bw_diag_set(d, "recog: %s: larger than %u bytes", file, RC_FILE_MAX);
        return BW_ETOOBIG;
    }
    memset(&L, 0, sizeof(L));
    L.r = r;
    L.file = arena_strdup(&r->arena, file);
    L.db = (uint32_t)r->n_dbs;
    L.keep_examples = keep_examples;
    L.d = d;
    L.skipped = skipped;
    L.skip_named = *skip_named;
    L.cap_fps = *cap_fps;
    L.cctx = r->cctx;
    bw_buf_init(&L.text, RC_TEXT_MAX);
    bw_buf_init(&L.tr, RC_PATTERN_MAX);
    L.xp = XML_ParserCreate(NULL);
    if (L.xp == NULL)
        bw_panic("recog: out of memory");
    XML_SetUserData(L.xp, &L);
    XML_SetElementHandler(L.xp, on_start, on_end);
    XML_SetCharacterDataHandler(L.xp, on_text);

    struct rc_db *db = &r->dbs[L.db];
    memset(db, 0, sizeof(*db));
    db->file = L.file;
    db->first = (uint32_t)r->n_fps;
    if (XML_Parse(L.xp, xml, (int)len, XML_TRUE) == XML_STATUS_ERROR && L.err == BW_OK) {
        L.err = BW_EMALFORMED;
        bw_diag_set(d, "recog: %s:%lu: %s", file, (unsigned long)XML_GetCurrentLineNumber(L.xp),
                    XML_ErrorString(XML_GetErrorCode(L.xp)));
    }
    if (L.err == BW_OK && db->matches == NULL) {
        L.err = BW_EMALFORMED;
        bw_diag_set(d, "recog: %s: empty document", file);
    }
    rc = L.err;
    db->count = (uint32_t)(r->n_fps - db->first);
    if (rc == BW_OK)
        r->n_dbs++;
    *cap_fps = L.cap_fps;
    *skip_named = L.skip_named;
    XML_ParserFree(L.xp);
    bw_buf_cleanup(&L.text);
    bw_buf_cleanup(&L.tr);
    return rc;
}

static int db_order_cmp(const struct rc_db *a, const struct rc_db *b)
{
    if (a->preference != b->preference)
        return a->preference > b->preference ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return strcmp(a->file, b->file);
}

struct db_idx {
    const struct rc_db *db;
    uint32_t i;
};

static int db_idx_cmp(const void *a, const void *b)
{
    const struct db_idx *x = a, *y = b;
    int c = db_order_cmp(x->db, y->db);
    return c != 0 ? c : (x->i < y->i ? -1 : x->i > y->i);
}

/* Orders databases and their fingerprints (see the invariants), then builds the prefilter. */
static void finish(struct bw_recog *r)
{
    struct db_idx *order = bw_xmalloc((r->n_dbs ? r->n_dbs : 1) * sizeof(*order));
    for (size_t i = 0; i < r->n_dbs; i++)
        order[i] = (struct db_idx){ &r->dbs[i], (uint32_t)i };
    bw_sort(order, r->n_dbs, sizeof(*order), db_idx_cmp);

    struct rc_db *dbs = bw_xcalloc(r->n_dbs ? r->n_dbs : 1, sizeof(*dbs));
    struct rc_fp *fps = bw_xmalloc((r->n_fps ? r->n_fps : 1) * sizeof(*fps));
    size_t n = 0;
    for (size_t k = 0; k < r->n_dbs; k++) {
        const struct rc_db *src = order[k].db;
        dbs[k] = *src;
        dbs[k].first = (uint32_t)n;
        for (uint32_t j = 0; j < src->count; j++) {
            fps[n] = r->fps[src->first + j];
            fps[n].db = (uint32_t)k;
            n++;
        }
    }
    free(order);
    free(r->dbs);
    free(r->fps);
    r->dbs = dbs;
    r->fps = fps;
    build_prefilter(r);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_file(const char *path, char **out, size_t *len, struct bw_diag *d)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 1 << 16, n = 0;
    char *buf;

    if (f == NULL) {
        int e = errno;
        bw_diag_set(d, "recog: %s: %s", path, strerror(e));
        return -e;
    }
    buf = bw_xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap >= RC_FILE_MAX) {
                fclose(f);
                free(buf);
                bw_diag_set(d, "recog: %s: larger than %u bytes", path, RC_FILE_MAX);
                return BW_ETOOBIG;
            }
            cap *= 2;
            buf = bw_xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fclose(f);
        free(buf);
        bw_diag_set(d, "recog: %s: read error", path);
        return BW_EIO;
    }
    fclose(f);
    *out = buf;
    *len = n;
    return BW_OK;
}

static int recog_open_dir(struct bw_recog **out, const char *dir, bool keep_examples,
                          size_t *fingerprints, size_t *skipped, struct bw_diag *d)
{
    DIR *dh = opendir(dir);
    char *names[RC_FILES_MAX];
    size_t n_names = 0, cap_fps = 0, skips = 0;
    bool skip_named = false;
    struct bw_diag skip_diag = { { 0 } };
    int rc = BW_OK;

    if (dh == NULL) {
        int e = errno;
        bw_diag_set(d, "recog: %s: %s (%s)", dir, strerror(e), RC_FETCH_HINT);
        return -e;
    }
    for (struct dirent *de = readdir(dh); de != NULL; de = readdir(dh)) {
        size_t n = strlen(de->d_name);
        if (n <= 4 || strcmp(de->d_name + n - 4, ".xml") != 0 || de->d_name[0] == '.')
            continue;
        if (n_names == RC_FILES_MAX) {
            rc = BW_ETOOBIG;
            bw_diag_set(d, "recog: %s: more than %d databases", dir, RC_FILES_MAX);
            break;
        }
        names[n_names++] = bw_xstrdup(de->d_name);
    }
    closedir(dh);
    if (rc == BW_OK && n_names == 0) {
        rc = BW_ENOENT;
        bw_diag_set(d, "recog: %s: no *.xml databases (%s)", dir, RC_FETCH_HINT);
    }
    bw_sort(names, n_names, sizeof(names[0]), name_cmp);

    struct bw_recog *r = recog_new();
    struct bw_buf path;
    bw_buf_init(&path, 4096);
    for (size_t i = 0; i < n_names && rc == BW_OK; i++) {
        char *xml = NULL;
        size_t len = 0;
        bw_buf_reset(&path);
        rc = bw_buf_printf(&path, "%s/%s", dir, names[i]);
        if (rc != BW_OK) {
            bw_diag_set(d, "recog: %s: path too long", dir);
            break;
        }
        rc = read_file(path.data, &xml, &len, d);
        if (rc != BW_OK)
            break;
        rc = load_buffer(r, names[i], xml, len, keep_examples, &cap_fps, &skips, &skip_named,
                         &skip_diag);
        free(xml);
        if (rc != BW_OK)
            bw_diag_set(d, "%s (in %s; %s)", skip_diag.msg, dir, RC_FETCH_HINT);
    }
    bw_buf_cleanup(&path);
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    if (rc != BW_OK) {
        bw_recog_close(r);
        return rc;
    }
    finish(r);
    if (skip_named)
        bw_diag_set(d, "%s (and %zu more)", skip_diag.msg, skips - 1);
    *out = r;
    if (fingerprints != NULL)
        *fingerprints = r->n_compiled;
    if (skipped != NULL)
        *skipped = skips;
    return BW_OK;
}

int bw_recog_open(struct bw_recog **out, const char *dir, size_t *fingerprints, size_t *skipped,
                  struct bw_diag *d)
{
    return recog_open_dir(out, dir, false, fingerprints, skipped, d);
}

/* Cross-file private (fuzz/fuzz_recog.c): one database from memory, as if it were file
 * `name` in a directory of its own. */
int bw_recog__open_xml(struct bw_recog **out, const char *name, const char *xml, size_t len,
                       size_t *fingerprints, size_t *skipped, struct bw_diag *d);

int bw_recog__open_xml(struct bw_recog **out, const char *name, const char *xml, size_t len,
                       size_t *fingerprints, size_t *skipped, struct bw_diag *d)
{
    struct bw_recog *r = recog_new();
    size_t cap_fps = 0, skips = 0;
    bool skip_named = false;
    struct bw_diag skip_diag = { { 0 } };
    int rc = load_buffer(r, name, xml, len, false, &cap_fps, &skips, &skip_named, &skip_diag);

    if (rc != BW_OK) {
        bw_diag_set(d, "%s", skip_diag.msg);
        bw_recog_close(r);
        return rc;
    }
    finish(r);
    if (skip_named)
        bw_diag_set(d, "%s (and %zu more)", skip_diag.msg, skips - 1);
    *out = r;
    if (fingerprints != NULL)
        *fingerprints = r->n_compiled;
    if (skipped != NULL)
        *skipped = skips;
    return BW_OK;
}

void bw_recog_close(struct bw_recog *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_fps; i++)
        pcre2_code_free(r->fps[i].code);
    pcre2_compile_context_free(r->cctx);
    pcre2_match_context_free(r->mctx);
    free(r->dbs);
    free(r->fps);
    free(r->always);
    free(r->grams);
    free(r->gram_ids);
    arena_free(&r->arena);
    free(r);
}

/* ---- params ------------------------------------------------------------------------------ */

struct val {
    const char *p; /* NULL = nil (a capture that did not take part) */
    size_t len;
};

/* The raw value of each param of fp after a match of s (captures from ov). */
static void param_values(const struct rc_fp *fp, const char *s, const PCRE2_SIZE *ov, int rc,
                         struct val *vals)
{
    for (uint32_t i = 0; i < fp->n_params; i++) {
        const struct rc_param *pr = &fp->params[i];
        vals[i] = (struct val){ NULL, 0 };
        if (pr->pos == 0) {
            vals[i] = (struct val){ pr->value, strlen(pr->value) };
        } else if (pr->pos > 0 && pr->pos < rc && ov[2 * pr->pos] != PCRE2_UNSET) {
            vals[i] = (struct val){ s + ov[2 * pr->pos], ov[2 * pr->pos + 1] - ov[2 * pr->pos] };
        }
    }
}

static const struct val *val_of(const struct rc_fp *fp, const struct val *vals, const char *name,
                                size_t len, const char *protocol, struct val *tmp)
{
    for (uint32_t i = 0; i < fp->n_params; i++)
        if (strncmp(fp->params[i].name, name, len) == 0 && fp->params[i].name[len] == '\0')
            return &vals[i];
    if (len == 16 && strncmp(name, "service.protocol", 16) == 0 && protocol[0] != '\0') {
        *tmp = (struct val){ protocol, strlen(protocol) };
        return tmp;
    }
    return NULL;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* Param i's value with its {name} references filled in, into out. False when it is nil or
 * refers to a nil or unknown param (Recog fills only cpe23 versions, with "-"). */
static bool resolve(const struct bw_recog *r, const struct rc_fp *fp, const struct val *vals,
                    uint32_t i, struct bw_buf *out)
{
    const struct rc_param *pr = &fp->params[i];
    const char *proto = r->dbs[fp->db].protocol;

    bw_buf_reset(out);
    if (vals[i].p == NULL)
        return false;
    if (pr->pos != 0)
        return bw_buf_append(out, vals[i].p, vals[i].len) == BW_OK;
    for (const char *p = pr->value; *p != '\0';) {
        const char *open = strchr(p, '{');
        const char *close = open != NULL ? open + 1 + strcspn(open + 1, "{} \t\r\n") : NULL;
        if (open == NULL || *close != '}' || close == open + 1) {
            size_t n = open == NULL ? strlen(p) : (size_t)(open - p) + 1;
            if (bw_buf_append(out, p, n) != BW_OK)
                return false;
            p += n;
            continue;
        }
        if (bw_buf_append(out, p, (size_t)(open - p)) != BW_OK)
            return false;
        struct val tmp;
        size_t nlen = (size_t)(close - open - 1);
        const struct val *v = val_of(fp, vals, open + 1, nlen, proto, &tmp);
        if (v != NULL && v->p != NULL) {
            if (bw_buf_append(out, v->p, v->len) != BW_OK)
                return false;
        } else if (ends_with(pr->name, strlen(pr->name), ".cpe23") &&
                   ends_with(open + 1, nlen, ".version")) {
            if (bw_buf_append(out, "-", 1) != BW_OK)
                return false;
        } else {
            return false;
        }
        p = close + 1;
    }
    return true;
}

/* Copies text into a fixed field: control characters become spaces, bytes that are not UTF-8
 * become '?', the ends are trimmed, and a cut never splits a character. */
static void copy_field(char *dst, size_t cap, const char *s, size_t len)
{
    size_t o = 0;

    while (len > 0 && (unsigned char)*s <= ' ') {
        s++;
        len--;
    }
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (n > len - i || !bw_utf8_valid(s + i, n)) {
            n = 1;
            c = '?';
        } else if (n == 1 && (c < 0x20 || c == 0x7f)) {
            c = ' ';
        }
        if (o + n >= cap)
            break;
        if (n == 1)
            dst[o] = (char)c;
        else
            memcpy(dst + o, s + i, n);
        o += n;
        i += n;
    }
    while (o > 0 && dst[o - 1] == ' ')
        o--;
    dst[o] = '\0';
}

struct fill_ctx {
    const struct bw_recog *r;
    const struct rc_fp *fp;
    const struct val *vals;
    int by_field[F_COUNT]; /* param index of each field, -1 = none */
    struct bw_buf tmp;
};

/* dst gets field f's value; false (dst untouched or "") when the fingerprint has none. */
static bool set_field(struct fill_ctx *c, char *dst, size_t cap, enum rc_field f)
{
    int i = c->by_field[f];

    if (i < 0 || !resolve(c->r, c->fp, c->vals, (uint32_t)i, &c->tmp) || c->tmp.len == 0)
        return false;
    copy_field(dst, cap, c->tmp.data, c->tmp.len);
    return dst[0] != '\0';
}

static void fill(const struct bw_recog *r, const struct rc_fp *fp, const char *s,
                 const PCRE2_SIZE *ov, int rc, struct bw_device_info *out)
{
    struct val vals[RC_PARAMS_MAX];
    struct fill_ctx c = { .r = r, .fp = fp, .vals = vals };
    char os_version[sizeof(out->os)];

    memset(out, 0, sizeof(*out));
    param_values(fp, s, ov, rc, vals);
    for (int f = 0; f < F_COUNT; f++)
        c.by_field[f] = -1;
    for (uint32_t i = 0; i < fp->n_params; i++)
        if (fp->params[i].field != F_NONE)
            c.by_field[fp->params[i].field] = (int)i;
    bw_buf_init(&c.tmp, 4096);

    if (!set_field(&c, out->type, sizeof(out->type), F_HW_DEVICE))
        (void)set_field(&c, out->type, sizeof(out->type), F_OS_DEVICE);
    if (!set_field(&c, out->vendor, sizeof(out->vendor), F_HW_VENDOR) &&
        !set_field(&c, out->vendor, sizeof(out->vendor), F_OS_VENDOR))
        (void)set_field(&c, out->vendor, sizeof(out->vendor), F_SERVICE_VENDOR);
    (void)set_field(&c, out->model, sizeof(out->model), F_HW_PRODUCT);
    (void)set_field(&c, out->software, sizeof(out->software), F_SERVICE_PRODUCT);
    (void)set_field(&c, out->version, sizeof(out->version), F_SERVICE_VERSION);
    if (set_field(&c, out->os, sizeof(out->os), F_OS_PRODUCT) &&
        set_field(&c, os_version, sizeof(os_version), F_OS_VERSION)) {
        bw_buf_reset(&c.tmp);
        if (bw_buf_printf(&c.tmp, "%s %s", out->os, os_version) == BW_OK)
            copy_field(out->os, sizeof(out->os), c.tmp.data, c.tmp.len);
    }
    bw_buf_reset(&c.tmp);
    if (bw_buf_printf(&c.tmp, "%s: %s", r->dbs[fp->db].file, fp->desc) == BW_OK)
        copy_field(out->matched, sizeof(out->matched), c.tmp.data, c.tmp.len);
    bw_buf_cleanup(&c.tmp);
}

/* ---- matching ---------------------------------------------------------------------------- */

static bool line_value(const char *s, size_t len, const char *header, struct bw_slice *out)
{
    size_t hn = strlen(header);

    for (size_t i = 0; i + hn <= len;) {
        if (strncasecmp(s + i, header, hn) == 0) {
            size_t b = i + hn, e;
            while (b < len && (s[b] == ' ' || s[b] == '\t'))
                b++;
            for (e = b; e < len && s[e] != '\r' && s[e] != '\n';)
                e++;
            *out = (struct bw_slice){ s + b, e - b };
            return true;
        }
        const char *nl = memchr(s + i, '\n', len - i);
        if (nl == NULL)
            break;
        i = (size_t)(nl - s) + 1;
    }
    return false;
}

static void strip_eol(struct bw_slice *v)
{
    while (v->len > 0 && (v->ptr[v->len - 1] == '\n' || v->ptr[v->len - 1] == '\r'))
        v->len--;
}

/* The part of banner s that database view v matches: a header's value when the banner is a
 * whole response, the text after "SSH-2.0-", the HTML title; else the banner itself. */
static struct bw_slice view_of(enum rc_view v, const char *s, size_t len)
{
    struct bw_slice out = { s, len };

    switch (v) {
    case V_HTTP_SERVER:
    case V_SIP_SERVER:
        if (!line_value(s, len, "Server:", &out))
            strip_eol(&out);
        break;
    case V_WWWAUTH:
        if (!line_value(s, len, "WWW-Authenticate:", &out))
            strip_eol(&out);
        break;
    case V_SIP_UA:
        if (!line_value(s, len, "User-Agent:", &out))
            strip_eol(&out);
        break;
    case V_HTML_TITLE:
        for (const char *lt = memchr(s, '<', len); lt != NULL;
             lt = memchr(lt + 1, '<', len - (size_t)(lt + 1 - s))) {
            size_t i = (size_t)(lt - s);
            if (i + 7 > len)
                break;
            if (strncasecmp(s + i, "<title", 6) == 0 && (s[i + 6] == '>' || s[i + 6] == ' ')) {
                const char *gt = memchr(s + i, '>', len - i);
                if (gt == NULL)
                    break;
                size_t b = (size_t)(gt - s) + 1, e = b;
                while (e < len && !(s[e] == '<' && e + 1 < len && s[e + 1] == '/'))
                    e++;
                out = (struct bw_slice){ s + b, e - b };
                break;
            }
        }
        break;
    case V_SSH:
        for (size_t i = 0; i + 4 <= len; i++) {
            if ((i == 0 || s[i - 1] == '\n') && memcmp(s + i, "SSH-", 4) == 0) {
                const char *dash = memchr(s + i + 4, '-', len - i - 4);
                if (dash != NULL) {
                    size_t b = (size_t)(dash - s) + 1, e = b;
                    while (e < len && s[e] != '\r' && s[e] != '\n')
                        e++;
                    out = (struct bw_slice){ s + b, e - b };
                }
                break;
            }
        }
        strip_eol(&out);
        break;
    default:
        break;
    }
    return out;
}

static const char *protocol_of_service(const char *service)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(service_aliases); i++)
        if (strcasecmp(service, service_aliases[i].service) == 0)
            return service_aliases[i].protocol;
    return NULL;
}

static const char *protocol_of_port(uint16_t port)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(port_protocols); i++)
        if (port_protocols[i].port == port)
            return port_protocols[i].protocol;
    return NULL;
}

/* A service alias gives a protocol; else the service may name a protocol or a matches key. */
static bool db_selected(const struct rc_db *db, const char *service, const char *protocol)
{
    if (protocol != NULL)
        return strcmp(db->protocol, protocol) == 0;
    return service != NULL && db->protocol[0] != '\0' &&
           (strcasecmp(db->protocol, service) == 0 || strcasecmp(db->matches, service) == 0);
}

struct match_state {
    const struct bw_recog *r;
    const char *s;
    size_t len;
    const uint64_t *bits;
    pcre2_match_data *md;
    struct bw_slice views[V_COUNT];
    bool have_view[V_COUNT];
};

static const struct rc_fp *try_db(struct match_state *m, size_t k, const char **subject, int *rc)
{
    const struct rc_db *db = &m->r->dbs[k];

    if (!m->have_view[db->view]) {
        m->views[db->view] = view_of(db->view, m->s, m->len);
        m->have_view[db->view] = true;
    }
    const struct bw_slice *v = &m->views[db->view];
    if (v->len == 0)
        return NULL;
    for (size_t i = db->first; i < (size_t)db->first + db->count;) {
        uint64_t w = m->bits[i / 64] >> (i % 64);
        if (w == 0) {
            i = (i / 64 + 1) * 64;
            continue;
        }
        i += (size_t)__builtin_ctzll(w);
        if (i >= (size_t)db->first + db->count)
            break;
        const struct rc_fp *fp = &m->r->fps[i];
        int got = pcre2_match(fp->code, (PCRE2_SPTR)v->ptr, v->len, 0, 0, m->md, m->r->mctx);
        if (got > 0) {
            *subject = v->ptr;
            *rc = got;
            return fp;
        }
        i++;
    }
    return NULL;
}

bool bw_recog_match(const struct bw_recog *r, const char *banner, const char *service,
                    uint16_t port, struct bw_device_info *out)
{
    uint64_t local[RC_LOCAL_WORDS];
    uint64_t *bits = local;
    struct match_state m;
    const struct rc_fp *fp = NULL;
    const char *subject = NULL;
    int rc = 0;

    if (r == NULL || banner == NULL || out == NULL || r->n_dbs == 0 || r->n_compiled == 0)
        return false;
    memset(&m, 0, sizeof(m));
    m.r = r;
    m.s = banner;
    m.len = strnlen(banner, RC_BANNER_MAX);
    if (m.len == 0)
        return false;
    if (r->n_words > RC_LOCAL_WORDS)
        bits = bw_xmalloc(r->n_words * sizeof(uint64_t));
    mark_candidates(r, m.s, m.len, bits);
    m.bits = bits;
    m.md = pcre2_match_data_create(r->max_pairs, NULL);
    if (m.md == NULL)
        bw_panic("recog: out of memory");

    /* The service picks the databases (by alias, Recog protocol or matches key); a service
     * that picks none leaves it to the port. */
    const char *protocol = NULL;
    bool by_service = false;
    if (service != NULL && service[0] != '\0') {
        protocol = protocol_of_service(service);
        for (size_t k = 0; k < r->n_dbs && !by_service; k++)
            by_service = db_selected(&r->dbs[k], service, protocol);
    }
    if (!by_service) {
        service = NULL;
        protocol = protocol_of_port(port);
    }
    bool selected_any = false;
    for (size_t k = 0; k < r->n_dbs && fp == NULL; k++) {
        if (db_selected(&r->dbs[k], service, protocol)) {
            selected_any = true;
            fp = try_db(&m, k, &subject, &rc);
        }
    }
    for (size_t k = 0; k < r->n_dbs && fp == NULL; k++)
        if (!selected_any || !db_selected(&r->dbs[k], service, protocol))
            fp = try_db(&m, k, &subject, &rc);
    if (fp != NULL)
        fill(r, fp, subject, pcre2_get_ovector_pointer(m.md), rc, out);
    pcre2_match_data_free(m.md);
    if (bits != local)
        free(bits);
    return fp != NULL;
}

/* ---- Recog's self-test ------------------------------------------------------------------- */

/* Cross-file private (tests/unit/enrich/test_recog.c): Recog's own verifier over every
 * database in dir. Each <example> must match its fingerprint's pattern, and every attribute
 * it carries (but _encoding and _filename) must equal the param of that name after
 * interpolation (service.protocol defaults to the database protocol, fingerprint_db to its
 * matches key), and the prefilter must not rule the example out. One line per failure goes to
 * failures. *identified counts the examples that
 * bw_recog_match() identifies (with the database protocol as service; possibly by another
 * fingerprint). */
int bw_recog__verify(const char *dir, size_t *examples, size_t *passed, size_t *identified,
                     struct bw_buf *failures, struct bw_diag *d);

static int verify_example(const struct bw_recog *r, const struct rc_fp *fp,
                          const struct rc_example *e, pcre2_match_data *md, char *why,
                          size_t why_cap)
{
    struct val vals[RC_PARAMS_MAX];
    struct bw_buf v;
    const struct rc_db *db = &r->dbs[fp->db];
    int ok = 1;

    why[0] = '\0';
    if (fp->code == NULL) {
        snprintf(why, why_cap, "pattern rejected by PCRE2");
        return 0;
    }
    int rc = pcre2_match(fp->code, (PCRE2_SPTR)e->text, e->len, 0, 0, md, r->mctx);
    if (rc <= 0) {
        snprintf(why, why_cap, "no match (%d)", rc);
        return 0;
    }
    param_values(fp, e->text, pcre2_get_ovector_pointer(md), rc, vals);
    bw_buf_init(&v, 0);
    for (uint32_t a = 0; a < e->n_attrs && ok; a++) {
        const char *name = e->attrs[2 * a], *want = e->attrs[2 * a + 1];
        bool have = false;
        if (strcmp(name, "_encoding") == 0 || strcmp(name, "_filename") == 0)
            continue;
        bw_buf_reset(&v);
        uint32_t i;
        for (i = 0; i < fp->n_params; i++)
            if (strcmp(fp->params[i].name, name) == 0)
                break;
        if (i < fp->n_params) {
            have = resolve(r, fp, vals, i, &v);
        } else if (strcmp(name, "service.protocol") == 0 && db->protocol[0] != '\0') {
            have = bw_buf_append(&v, db->protocol, strlen(db->protocol)) == BW_OK;
        } else if (strcmp(name, "fingerprint_db") == 0) {
            have = bw_buf_append(&v, db->matches, strlen(db->matches)) == BW_OK;
        }
        if (!have || v.len != strlen(want) || memcmp(v.data, want, v.len) != 0) {
            snprintf(why, why_cap, "%s: want \"%.60s\", got %s%.60s%s", name, want,
                                have ? "\"" : "", have ? v.data : "nothing", have ? "\"" : "");
            ok = 0;
        }
    }
    bw_buf_cleanup(&v);
    return ok;
}

int bw_recog__verify(const char *dir, size_t *examples, size_t *passed, size_t *identified,
                     struct bw_buf *failures, struct bw_diag *d)
{
    struct bw_recog *r;
    size_t n = 0, good = 0, ident = 0;
    char why[256];
    int rc = recog_open_dir(&r, dir, true, NULL, NULL, d);

    if (rc != BW_OK)
        return rc;
    pcre2_match_data *md = pcre2_match_data_create(r->max_pairs, NULL);
    if (md == NULL)
        bw_panic("recog: out of memory");
    uint64_t *bits = bw_xcalloc(r->n_words ? r->n_words : 1, sizeof(uint64_t));
    for (size_t i = 0; i < r->n_fps; i++) {
        const struct rc_fp *fp = &r->fps[i];
        for (uint32_t k = 0; k < fp->n_ex; k++) {
            struct bw_device_info dev;
            n++;
            if (bw_recog_match(r, fp->ex[k].text, r->dbs[fp->db].protocol, 0, &dev)) {
                ident++;
            } else if (failures != NULL) {
                char shown[64];
                bool nul = memchr(fp->ex[k].text, '\0', fp->ex[k].len) != NULL;
                copy_field(shown, sizeof(shown), fp->ex[k].text, fp->ex[k].len);
                if (bw_buf_printf(failures, "%s:%u: %s: example \"%s\": not identified by "
                                  "bw_recog_match%s\n", r->dbs[fp->db].file, fp->ex[k].line,
                                  fp->desc, shown,
                                  nul ? " (it holds a NUL byte; a banner is a C string)" : "")
                    != BW_OK)
                    failures = NULL;
            }
            if (verify_example(r, fp, &fp->ex[k], md, why, sizeof(why))) {
                mark_candidates(r, fp->ex[k].text, fp->ex[k].len, bits);
                if (bits[i / 64] >> (i % 64) & 1) {
                    good++;
                    continue;
                }
                snprintf(why, sizeof(why), "the prefilter rules it out");
            }
            char shown[64];
            copy_field(shown, sizeof(shown), fp->ex[k].text, fp->ex[k].len);
            if (failures != NULL &&
                bw_buf_printf(failures, "%s:%u: %s: example \"%s\": %s\n", r->dbs[fp->db].file,
                              fp->ex[k].line, fp->desc, shown, why) != BW_OK)
                failures = NULL; /* over its cap: the counts still hold */
        }
    }
    pcre2_match_data_free(md);
    free(bits);
    bw_recog_close(r);
    *examples = n;
    *passed = good;
    *identified = ident;
    return BW_OK;
}
