/*
 * parsers/json.c - the hand-written JSON line scanner the JSON formats share (cowrie,
 * suricata), and the repeat counter (seq) for identical reports.
 * Invariants:
 *  - Written by hand because jansson's tree costs too much at 200 MB/s: it validates the
 *    whole line as RFC 8259 JSON (escapes, surrogate pairs, numbers, nesting up to
 *    JSON_DEPTH_MAX, UTF-8 inside strings), never reads outside [line, line + len), and keeps
 *    only the keys it is asked for, as spans of the line. Fuzzed through fuzz_cowrie and
 *    fuzz_suricata.
 */
#include <string.h>

#include "parsers/parsers_int.h"



static bool jfail(struct jscan *s, enum bw_reject reason, const char *why)
{
    if (s->why == NULL) {
        s->why = why;
        s->reason = reason;
    }
    return false;
}

static void jws(struct jscan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool is_digit(unsigned c)
{
    return c >= '0' && c <= '9';
}

static int hexdigit(unsigned c)
{
    if (is_digit(c))
        return (int)(c - '0');
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    return -1;
}

/* Reads the four hex digits at p into *u; false when there are not four before end. */
static bool hex4(const unsigned char *p, const unsigned char *end, unsigned *u)
{
    unsigned v = 0;

    if (end - p < 4)
        return false;
    for (int i = 0; i < 4; i++) {
        int d = hexdigit(p[i]);

        if (d < 0)
            return false;
        v = v << 4 | (unsigned)d;
    }
    *u = v;
    return true;
}

/* Length of the well-formed UTF-8 sequence at p (lead byte >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0], lo = 0x80, hi = 0xbf;
    size_t n;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    }
    return n;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* True when one of the 8 bytes in w is '"', '\\', below 0x20 or above 0x7f (exact for "some
 * byte": the borrow tricks can only misplace which byte, and the caller rescans bytewise). */
static bool word_special(uint64_t w)
{
    uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

    return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w) | w) & HIGHS;
}

/* At the opening quote: scans the string, leaves p after the closing quote. */
static bool jstring(struct jscan *s, struct jval *v)
{
    const unsigned char *p = s->p + 1, *end = s->end;
    bool escaped = false;

    v->ptr = (const char *)p;
    for (;;) {
        unsigned c;

        while (end - p >= 8) {
            uint64_t w;

            memcpy(&w, p, 8);
            if (word_special(w))
                break;
            p += 8;
        }
        if (p >= end)
            return jfail(s, BW_REJECT_MALFORMED, "unterminated string");
        c = *p;
        if (c == '"')
            break;
        if (c == '\\') {
            unsigned u, lo;

            escaped = true;
            if (end - p < 2)
                return jfail(s, BW_REJECT_MALFORMED, "unterminated string");
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                continue;
            case 'u':
                if (!hex4(p + 2, end, &u))
                    return jfail(s, BW_REJECT_MALFORMED, "bad \\u escape");
                p += 6;
                if (u >= 0xdc00 && u <= 0xdfff)
                    return jfail(s, BW_REJECT_MALFORMED, "unpaired low surrogate escape");
                if (u >= 0xd800 && u <= 0xdbff) {
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, end, &lo) ||
                        lo < 0xdc00 || lo > 0xdfff)
                        return jfail(s, BW_REJECT_MALFORMED, "unpaired high surrogate escape");
                    p += 6;
                }
                continue;
            default:
                return jfail(s, BW_REJECT_MALFORMED, "bad escape in a string");
            }
        }
        if (c < 0x20)
            return jfail(s, BW_REJECT_MALFORMED, "control character in a string");
        if (c >= 0x80) {
            size_t n = utf8_seq(p, end);

            if (n == 0)
                return jfail(s, BW_REJECT_INVALID_UTF8, "invalid UTF-8 in a string");
            p += n;
            continue;
        }
        p++;
    }
    v->type = J_STRING;
    v->len = (size_t)(p - (const unsigned char *)v->ptr);
    v->escaped = escaped;
    s->p = p + 1;
    return true;
}

static bool jnumber(struct jscan *s, struct jval *v)
{
    const unsigned char *p = s->p, *end = s->end;

    v->ptr = (const char *)p;
    if (p < end && *p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return jfail(s, BW_REJECT_MALFORMED, "bad number");
    if (*p == '0') {
        p++;
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p))
            return jfail(s, BW_REJECT_MALFORMED, "bad number");
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return jfail(s, BW_REJECT_MALFORMED, "bad number");
        while (p < end && is_digit(*p))
            p++;
    }
    v->type = J_NUMBER;
    v->len = (size_t)(p - (const unsigned char *)v->ptr);
    s->p = p;
    return true;
}

static bool jliteral(struct jscan *s, struct jval *v, const char *word, size_t n, enum jtype t)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return jfail(s, BW_REJECT_MALFORMED, "unexpected character");
    v->type = t;
    v->ptr = (const char *)s->p;
    v->len = n;
    s->p += n;
    return true;
}

static bool jobject(struct jscan *s, const struct jkey *keys, int depth);
static bool jarray(struct jscan *s, int depth);

static bool jvalue(struct jscan *s, struct jval *v, int depth)
{
    if (s->p >= s->end)
        return jfail(s, BW_REJECT_MALFORMED, "value missing");
    switch (*s->p) {
    case '"':
        return jstring(s, v);
    case '{':
        v->type = J_OBJECT;
        v->ptr = (const char *)s->p;
        return jobject(s, NULL, depth);
    case '[':
        v->type = J_ARRAY;
        v->ptr = (const char *)s->p;
        return jarray(s, depth);
    case 't':
        return jliteral(s, v, "true", 4, J_TRUE);
    case 'f':
        return jliteral(s, v, "false", 5, J_FALSE);
    case 'n':
        return jliteral(s, v, "null", 4, J_NULL);
    default:
        if (*s->p == '-' || is_digit(*s->p))
            return jnumber(s, v);
        return jfail(s, BW_REJECT_MALFORMED, "unexpected character");
    }
}

/* The character a one-letter escape stands for (\" \\ \/ stand for themselves). */
static char unescape(unsigned char c)
{
    switch (c) {
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return (char)c;
    }
}

/* Decodes the escapes of a string already checked by jstring() into dst, which has room for
 * v->len bytes (decoding never grows a string). Returns the length, or -1 for U+0000. */
static long jdecode(const struct jval *v, char *dst)
{
    const unsigned char *p = (const unsigned char *)v->ptr, *end = p + v->len;
    char *o = dst;

    while (p < end) {
        unsigned u = 0, lo = 0;

        if (*p != '\\') {
            *o++ = (char)*p++;
            continue;
        }
        if (p[1] != 'u') {
            *o++ = unescape(p[1]);
            p += 2;
            continue;
        }
        (void)hex4(p + 2, end, &u);
        p += 6;
        if (u >= 0xd800 && u <= 0xdbff) {
            (void)hex4(p + 2, end, &lo);
            p += 6;
            u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (u == 0)
            return -1;
        if (u < 0x80) {
            *o++ = (char)u;
        } else if (u < 0x800) {
            *o++ = (char)(0xc0 | u >> 6);
            *o++ = (char)(0x80 | (u & 0x3f));
        } else if (u < 0x10000) {
            *o++ = (char)(0xe0 | u >> 12);
            *o++ = (char)(0x80 | ((u >> 6) & 0x3f));
            *o++ = (char)(0x80 | (u & 0x3f));
        } else {
            *o++ = (char)(0xf0 | u >> 18);
            *o++ = (char)(0x80 | ((u >> 12) & 0x3f));
            *o++ = (char)(0x80 | ((u >> 6) & 0x3f));
            *o++ = (char)(0x80 | (u & 0x3f));
        }
    }
    return (long)(o - dst);
}

static const struct jkey *jkey_find(const struct jkey *keys, const struct jval *k)
{
    char buf[64];
    const char *name = k->ptr;
    size_t len = k->len;

    if (k->escaped) {
        long n;

        if (k->len > sizeof(buf))
            return NULL;
        n = jdecode(k, buf);
        if (n < 0)
            return NULL;
        name = buf;
        len = (size_t)n;
    }
    for (; keys->name != NULL; keys++) {
        if (keys->len == len && memcmp(keys->name, name, len) == 0)
            return keys;
    }
    return NULL;
}

/* At '{': scans the object; the values of keys (NULL: none) land in s->vals. */
static bool jobject(struct jscan *s, const struct jkey *keys, int depth)
{
    if (depth > JSON_DEPTH_MAX)
        return jfail(s, BW_REJECT_MALFORMED, "nested too deep");
    s->p++;
    jws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return true;
    }
    for (;;) {
        struct jval key, other;
        const struct jkey *k;

        if (s->p >= s->end || *s->p != '"')
            return jfail(s, BW_REJECT_MALFORMED, "object key expected");
        if (!jstring(s, &key))
            return false;
        jws(s);
        if (s->p >= s->end || *s->p != ':')
            return jfail(s, BW_REJECT_MALFORMED, "':' expected after a key");
        s->p++;
        jws(s);
        k = keys != NULL ? jkey_find(keys, &key) : NULL;
        if (k != NULL) {
            struct jval *v = &s->vals[k->field];

            if (v->type != J_NONE)
                return jfail(s, BW_REJECT_MALFORMED, "duplicate key");
            if (k->sub != NULL && s->p < s->end && *s->p == '{') {
                v->type = J_OBJECT;
                v->ptr = (const char *)s->p;
                if (!jobject(s, k->sub, depth + 1))
                    return false;
            } else if (!jvalue(s, v, depth + 1)) {
                return false;
            }
        } else if (!jvalue(s, &other, depth + 1)) {
            return false;
        }
        jws(s);
        if (s->p >= s->end)
            return jfail(s, BW_REJECT_MALFORMED, "unterminated object");
        if (*s->p == '}') {
            s->p++;
            return true;
        }
        if (*s->p != ',')
            return jfail(s, BW_REJECT_MALFORMED, "',' or '}' expected in an object");
        s->p++;
        jws(s);
    }
}

static bool jarray(struct jscan *s, int depth)
{
    if (depth > JSON_DEPTH_MAX)
        return jfail(s, BW_REJECT_MALFORMED, "nested too deep");
    s->p++;
    jws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return true;
    }
    for (;;) {
        struct jval v;

        if (!jvalue(s, &v, depth + 1))
            return false;
        jws(s);
        if (s->p >= s->end)
            return jfail(s, BW_REJECT_MALFORMED, "unterminated array");
        if (*s->p == ']') {
            s->p++;
            return true;
        }
        if (*s->p != ',')
            return jfail(s, BW_REJECT_MALFORMED, "',' or ']' expected in an array");
        s->p++;
        jws(s);
    }
}

/* Scans one line that must be a single JSON object; vals (n entries) get the kept keys. */
bool bw_json_parse(struct jscan *s, const char *line, size_t len, const struct jkey *keys,
                   struct jval *vals, size_t n)
{
    memset(vals, 0, n * sizeof(*vals));
    s->start = (const unsigned char *)line;
    s->p = s->start;
    s->end = s->start + len;
    s->vals = vals;
    s->why = NULL;
    jws(s);
    if (s->p >= s->end || *s->p != '{')
        return jfail(s, BW_REJECT_MALFORMED, "not a JSON object");
    if (!jobject(s, keys, 1))
        return false;
    jws(s);
    if (s->p != s->end)
        return jfail(s, BW_REJECT_MALFORMED, "text after the JSON object");
    return true;
}

/* The value of a string as a NUL-terminated copy bump-allocated in arena (from *used), cut at
 * cap bytes on a UTF-8 boundary. NULL when it holds U+0000 or the arena is full. */
const char *bw_json_text(const struct jval *v, char *arena, size_t arena_len, size_t *used,
                         size_t cap, size_t *out_len)
{
    char *dst = arena + *used;
    size_t n;

    if (arena_len - *used < v->len + 1)
        return NULL;
    if (v->escaped) {
        long d = jdecode(v, dst);

        if (d < 0)
            return NULL;
        n = (size_t)d;
    } else {
        memcpy(dst, v->ptr, v->len);
        n = v->len;
    }
    n = bw_utf8_truncate(dst, n, cap);
    dst[n] = '\0';
    *used += n + 1;
    if (out_len != NULL)
        *out_len = n;
    return dst;
}

/* A non-negative JSON integer no larger than max. */
bool bw_json_integer(const struct jval *v, uint64_t max, uint64_t *out)
{
    uint64_t x = 0;

    if (v->type != J_NUMBER || v->len == 0 || v->len > 18)
        return false;
    for (size_t i = 0; i < v->len; i++) {
        if (!is_digit((unsigned char)v->ptr[i]))
            return false;
        x = x * 10 + (uint64_t)(v->ptr[i] - '0');
    }
    if (x > max)
        return false;
    *out = x;
    return true;
}

/* ---- seq: the n-th identical report (same second, address, categories, port) ---- */



uint32_t bw_parser__seq_next(struct seqtab *t, const struct bw_report *r)
{
    uint32_t h = 2166136261u;

    if (t->gen == 0 || r->time_s != t->time_s) {
        if (++t->gen == 0) {
            memset(t->slot, 0, sizeof(t->slot));
            t->gen = 1;
        }
        t->time_s = r->time_s;
        t->used = 0;
    }
    for (size_t i = 0; i < sizeof(r->addr.b); i++)
        h = (h ^ r->addr.b[i]) * 16777619u;
    h = (h ^ r->cats ^ ((uint32_t)r->port << 16)) * 16777619u;
    for (uint32_t i = 0; i < SEQ_SLOTS; i++) {
        struct seq_slot *sl = &t->slot[(h + i) % SEQ_SLOTS];

        if (sl->gen != t->gen) {
            if (t->used >= SEQ_SLOTS * 3 / 4)
                return 0;
            sl->gen = t->gen;
            sl->addr = r->addr;
            sl->cats = r->cats;
            sl->port = r->port;
            sl->next = 1;
            t->used++;
            return 0;
        }
        if (sl->cats == r->cats && sl->port == r->port &&
            memcmp(sl->addr.b, r->addr.b, sizeof(sl->addr.b)) == 0)
            return sl->next++;
    }
    return 0;
}

const char *bw_json_next_value(const char **from, const char *end, const char *key,
                               size_t key_len)
{
    for (const char *k = *from; end - k >= (ptrdiff_t)key_len; k++) {
        const char *j;

        k = memchr(k, '"', (size_t)(end - k));
        if (k == NULL || end - k < (ptrdiff_t)key_len)
            break;
        if (memcmp(k, key, key_len) != 0)
            continue;
        j = k + key_len;
        while (j < end && (*j == ' ' || *j == '\t'))
            j++;
        if (j >= end || *j != ':')
            continue;
        j++;
        while (j < end && (*j == ' ' || *j == '\t'))
            j++;
        *from = k + 1;
        return j;
    }
    *from = end;
    return NULL;
}
