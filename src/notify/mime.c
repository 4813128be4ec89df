/*
 * notify/mime.c - the whole e-mail of a notice: RFC 5322 headers and a MIME multipart/mixed
 * body (the text, the CSV, the IODEF document and X-ARF reports).
 * Invariants:
 *  - Deterministic: the boundary and the Message-ID derive from the idempotency key, the Date
 *    from sent_s; nothing reads a clock or a random source. A re-send is byte-identical.
 *  - No CR or LF from a field ever reaches a header: free text is cleaned (render_int.h),
 *    then written as folded ASCII or RFC 2047 encoded-words; addresses must pass addr_ok()
 *    (which refuses control characters and the delimiters of RFC 5322) or the call fails.
 *  - Every line ends in CRLF and is at most 78 characters in the headers and 76 in the bodies
 *    (quoted-printable text, base64 attachments), so no relay has a reason to rewrap it.
 *  - The boundary starts with "=_", which neither quoted-printable nor base64 output can
 *    contain, so no part can end the message early.
 * Hand-written on purpose: the message is a fixed shape, and what matters (determinism, the
 * header-injection rules) is easier to hold in 300 lines than through a general MIME library.
 */
#include "notify/render_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HEADER_LINE 78      /* RFC 5322 2.1.1 "SHOULD" line length */
#define QP_LINE 76          /* RFC 2045 6.7 */
#define B64_RAW_PER_LINE 57 /* 57 bytes -> 76 base64 characters */
#define EW_RAW_MAX 42       /* raw bytes per encoded-word: 56 base64 + 12 = 68, so one fits
                             * after "Subject: " within HEADER_LINE */
#define SUBJECT_MAX 400     /* bytes of cleaned subject text kept */
#define XARF_PARTS_MAX 100  /* X-ARF attachments only up to this many devices */

/* ---- addresses and identifiers -------------------------------------------------------- */

/* A plain addr-spec: printable ASCII without spaces or RFC 5322 specials other than '.', one
 * '@' with something on both sides. Quoted local parts are not supported. */
static bool addr_ok(const char *s)
{
    const char *at;
    size_t len;

    if (s == NULL)
        return false;
    len = strlen(s);
    at = strchr(s, '@');
    if (len < 3 || len > 254 || at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p <= 0x20 || *p >= 0x7f || strchr("()<>[]\\,;:\"", *p) != NULL)
            return false;
    }
    return true;
}

/* Copies s into out keeping only characters allowed in a Message-ID part (atext and '.'),
 * others become '-'; "x" when empty. */
static void msgid_part(char *out, size_t cap, const char *s)
{
    size_t n = 0;

    for (const char *p = s != NULL ? s : ""; *p != '\0' && n + 1 < cap; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || strchr(".!#$%&'*+-/=?^_`{|}~", *p) != NULL;
        out[n++] = ok ? *p : '-';
    }
    if (n == 0)
        out[n++] = 'x';
    out[n] = '\0';
}

static void boundary_of(char out[48], const char *idem_key)
{
    unsigned char h[16];
    const char *k = idem_key != NULL ? idem_key : "";

    crypto_generichash(h, sizeof(h), (const unsigned char *)k, strlen(k), NULL, 0);
    memcpy(out, "=_bw_", 5);
    sodium_bin2hex(out + 5, 48 - 5, h, sizeof(h));
}

/* RFC 5322 date-time in UTC, with English names whatever the locale. */
static void rfc5322_date(char out[128], int64_t t)
{
    static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1900) {
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = 70;
        tm.tm_mday = 1;
        tm.tm_wday = 4;
    }
    snprintf(out, 128, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- header writing ------------------------------------------------------------------- */

static bool printable_ascii(const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < 0x20 || *p > 0x7e)
            return false;
    }
    return true;
}

/* RFC 2047 B encoded-words for text (UTF-8, no controls), one word per line: the first on the
 * current line (the callers leave room for it), the others on folded lines. *col is the
 * current column and is updated. Words split on character boundaries. */
static int put_encoded_words(struct bw_buf *out, const char *text, size_t *col)
{
    size_t len = strlen(text);
    int rc = BW_OK;

    for (size_t i = 0; i < len && rc == BW_OK;) {
        size_t n = bw_utf8_truncate(text + i, len - i, EW_RAW_MAX);
        char b64[sodium_base64_ENCODED_LEN(EW_RAW_MAX, sodium_base64_VARIANT_ORIGINAL)];

        if (n == 0) /* cannot happen on cleaned text; never loop forever */
            n = 1;
        sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)text + i, n,
                          sodium_base64_VARIANT_ORIGINAL);
        size_t w = strlen(b64) + 12;
        if (i > 0) {
            rc = bw_buf_append(out, "\r\n ", 3);
            *col = 1;
        }
        if (rc == BW_OK)
            rc = bw_buf_printf(out, "=?UTF-8?B?%s?=", b64);
        *col += w;
        i += n;
    }
    return rc;
}

/* Printable ASCII text folded at spaces so lines stay within HEADER_LINE where words allow. */
static int put_folded(struct bw_buf *out, const char *text, size_t *col)
{
    int rc = BW_OK;
    const char *p = text;

    while (*p != '\0' && rc == BW_OK) {
        size_t sp = strspn(p, " ");
        size_t word = strcspn(p + sp, " ");
        if (*col > 1 && *col + sp + word > HEADER_LINE && sp > 0) {
            rc = bw_buf_append(out, "\r\n", 2); /* the space that follows starts the fold */
            *col = 0;
        }
        if (rc == BW_OK)
            rc = bw_buf_append(out, p, sp + word);
        *col += sp + word;
        p += sp + word;
    }
    return rc;
}

/* An unstructured header (Subject): cleaned; folded ASCII, or encoded-words when the text is
 * not plain ASCII or looks like an encoded-word itself. */
static int put_unstructured(struct bw_buf *out, const char *name, const char *raw)
{
    char *text = bw_notify__clean_dup(raw, SUBJECT_MAX);
    size_t col = strlen(name) + 2;
    int rc = bw_buf_printf(out, "%s: ", name);

    if (rc == BW_OK && printable_ascii(text) && strstr(text, "=?") == NULL)
        rc = put_folded(out, text, &col);
    else if (rc == BW_OK)
        rc = put_encoded_words(out, text, &col);
    free(text);
    return rc == BW_OK ? bw_buf_append(out, "\r\n", 2) : rc;
}

/* "Display Name <addr>": the name as a quoted-string when it is ASCII and fits on the line,
 * else as encoded-words (which fold). The address has passed addr_ok(). */
static int put_mailbox(struct bw_buf *out, const char *name, const char *display, const char *addr)
{
    char *text = bw_notify__clean_dup(display, 200);
    size_t col = strlen(name) + 2;
    int rc = bw_buf_printf(out, "%s: ", name);

    bool quoted = printable_ascii(text) && strstr(text, "=?") == NULL &&
                  col + strlen(text) + strlen(addr) + 5 <= HEADER_LINE;

    if (rc == BW_OK && text[0] != '\0' && quoted) {
        rc = bw_buf_append(out, "\"", 1);
        for (const char *p = text; rc == BW_OK && *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                rc = bw_buf_append(out, "\\", 1);
            if (rc == BW_OK)
                rc = bw_buf_append(out, p, 1);
        }
        if (rc == BW_OK)
            rc = bw_buf_append(out, "\"", 1);
        col += strlen(text) + 2;
    } else if (rc == BW_OK && text[0] != '\0') {
        rc = put_encoded_words(out, text, &col);
    }
    if (rc == BW_OK && text[0] != '\0' && col + strlen(addr) + 3 > HEADER_LINE)
        rc = bw_buf_append(out, "\r\n", 2);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "%s<%s>\r\n", text[0] != '\0' ? " " : "", addr);
    free(text);
    return rc;
}

static int put_subject(struct bw_buf *out, const struct bw_notice *n)
{
    struct bw_buf s;
    size_t n_asns = 0;
    uint32_t asn = bw_notify__top_asn(n, &n_asns);
    const char *who = n->level > 0 && n->escalated_from != NULL && n->escalated_from[0] != '\0'
                          ? n->escalated_from
                          : n->contact;
    int rc;

    bw_buf_init(&s, 0);
    rc = bw_buf_printf(&s, "[botwatch] case %lld", (long long)n->case_id);
    if (rc == BW_OK && n->level > 0)
        rc = bw_buf_printf(&s, ", escalation %d", n->level);
    if (rc == BW_OK && n->parts > 1)
        rc = bw_buf_printf(&s, ", part %zu of %zu: %zu of %zu compromised devices", n->part,
                           n->parts, n->n_dev, n->n_total);
    else if (rc == BW_OK)
        rc = bw_buf_printf(&s, ": %zu compromised device%s", n->n_dev, n->n_dev == 1 ? "" : "s");
    if (rc == BW_OK && n_asns == 1)
        rc = bw_buf_printf(&s, " in AS%u", asn);
    else if (rc == BW_OK && n_asns > 1)
        rc = bw_buf_printf(&s, " in %zu networks", n_asns);
    if (rc == BW_OK && who != NULL && who[0] != '\0')
        rc = bw_buf_printf(&s, " (%s)", who);
    if (rc == BW_OK)
        rc = put_unstructured(out, "Subject", s.data);
    bw_buf_cleanup(&s);
    return rc;
}

static int put_headers(struct bw_buf *out, const struct bw_notice *n, const char *boundary)
{
    char date[128], key[200], dom[200];
    const char *at = strrchr(n->from, '@');
    int rc;

    msgid_part(key, sizeof(key), n->idem_key);
    msgid_part(dom, sizeof(dom), at != NULL ? at + 1 : NULL);
    rfc5322_date(date, n->sent_s);
    rc = put_mailbox(out, "From", n->registry_name, n->from);
    if (rc == BW_OK && n->to != NULL && n->to[0] != '\0')
        rc = put_mailbox(out, "To", n->contact, n->to);
    else if (rc == BW_OK)
        rc = bw_buf_printf(out, "To: undisclosed-recipients:;\r\n");
    if (rc == BW_OK)
        rc = put_subject(out, n);
    if (rc == BW_OK)
        rc = bw_buf_printf(out,
                           "Date: %s\r\nMessage-ID: <%s@%s>\r\nAuto-Submitted: auto-generated\r\n"
                           "X-Botwatch-Case: %lld\r\nX-Botwatch-Level: %d\r\nMIME-Version: 1.0\r\n"
                           "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n"
                           "This is a message in MIME format.\r\n",
                           date, key, dom, (long long)n->case_id, n->level, boundary);
    return rc;
}

/* ---- bodies --------------------------------------------------------------------------- */

/* The quoted-printable token for byte i of a line (len bytes) written at column col. */
static size_t qp_token(char tok[4], const unsigned char *line, size_t i, size_t len, size_t col)
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char c = line[i];
    bool enc = c == '=' || c > 126 || (c < 32 && c != '\t');

    enc = enc || ((c == ' ' || c == '\t') && i + 1 == len); /* trailing white space */
    enc = enc || (col == 0 && c == '.');                    /* SMTP's lone dot */
    enc = enc || (col == 0 && c == 'F' && len - i >= 5 && memcmp(line + i, "From ", 5) == 0);
    if (!enc) {
        tok[0] = (char)c;
        return 1;
    }
    tok[0] = '=';
    tok[1] = hex[c >> 4];
    tok[2] = hex[c & 15];
    return 3;
}

/* Quoted-printable of text (LF or CRLF line ends) with CRLF hard breaks. Each output line
 * is built in out_line and appended whole. */
static int put_qp(struct bw_buf *out, const char *text, size_t len)
{
    char out_line[QP_LINE + 8];
    int rc = BW_OK;

    for (size_t start = 0; start < len && rc == BW_OK;) {
        const unsigned char *line = (const unsigned char *)text + start;
        const char *nl = memchr(text + start, '\n', len - start);
        size_t n = nl != NULL ? (size_t)(nl - (text + start)) : len - start, col = 0;
        size_t body = n > 0 && line[n - 1] == '\r' ? n - 1 : n;
        for (size_t i = 0; i < body && rc == BW_OK; i++) {
            char tok[4];
            size_t t = qp_token(tok, line, i, body, col);
            if (col + t > QP_LINE - 1) { /* room for the '=' of a soft break */
                memcpy(out_line + col, "=\r\n", 3);
                rc = bw_buf_append(out, out_line, col + 3);
                col = 0;
                t = qp_token(tok, line, i, body, col);
            }
            memcpy(out_line + col, tok, t);
            col += t;
        }
        memcpy(out_line + col, "\r\n", 2);
        if (rc == BW_OK)
            rc = bw_buf_append(out, out_line, col + 2);
        start += n + 1;
    }
    return rc;
}

static int put_base64(struct bw_buf *out, const char *data, size_t len)
{
    char line[sodium_base64_ENCODED_LEN(B64_RAW_PER_LINE, sodium_base64_VARIANT_ORIGINAL) + 2];
    int rc = BW_OK;

    for (size_t i = 0; i < len && rc == BW_OK; i += B64_RAW_PER_LINE) {
        size_t n = len - i < B64_RAW_PER_LINE ? len - i : B64_RAW_PER_LINE;
        sodium_bin2base64(line, sizeof(line) - 2, (const unsigned char *)data + i, n,
                          sodium_base64_VARIANT_ORIGINAL);
        size_t w = strlen(line);
        memcpy(line + w, "\r\n", 2);
        rc = bw_buf_append(out, line, w + 2);
    }
    return rc;
}

/* Whether text can go as it is ("7bit", RFC 2045): ASCII without NUL or bare CR, lines of at
 * most 998 bytes, none starting with '.' (SMTP) or "--" (a boundary). The CSV and the IODEF
 * document nearly always can, and then cost neither base64's third more bytes nor its time. */
static bool seven_bit(const char *p, size_t len)
{
    size_t col = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c == '\n') {
            col = 0;
            continue;
        }
        if (c == 0 || c >= 0x80 || (c == '\r' && (i + 1 == len || p[i + 1] != '\n')))
            return false;
        if (c == '\r')
            continue;
        if ((col == 0 && c == '.') || (col == 0 && c == '-' && i + 1 < len && p[i + 1] == '-') ||
            ++col > 998)
            return false;
    }
    return true;
}

/* data as 7bit text with CRLF line ends (seven_bit() said it may). */
static int put_7bit(struct bw_buf *out, const char *p, size_t len)
{
    int rc = BW_OK;

    while (len > 0 && rc == BW_OK) {
        const char *nl = memchr(p, '\n', len);
        size_t n = nl != NULL ? (size_t)(nl - p) : len;
        size_t text = n > 0 && p[n - 1] == '\r' ? n - 1 : n;

        rc = bw_buf_append(out, p, text);
        if (rc == BW_OK && nl != NULL)
            rc = bw_buf_append(out, "\r\n", 2);
        if (nl == NULL)
            break;
        p += n + 1;
        len -= n + 1;
    }
    return rc;
}

static int put_attachment(struct bw_buf *out, const char *boundary, const char *type,
                          const char *filename, const struct bw_buf *data)
{
    bool plain = seven_bit(data->data, data->len);
    int rc = bw_buf_printf(out,
                           "\r\n--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
                           "Content-Disposition: attachment; filename=\"%s\"\r\n"
                           "Content-Transfer-Encoding: %s\r\n\r\n",
                           boundary, type, filename, filename, plain ? "7bit" : "base64");

    if (rc != BW_OK)
        return rc;
    return plain ? put_7bit(out, data->data, data->len) : put_base64(out, data->data, data->len);
}

/* Renders one form into part and attaches it; part is reset first. */
typedef int (*form_fn)(const struct bw_notice *n, struct bw_buf *out);

static int attach_form(struct bw_buf *out, const struct bw_notice *n, const char *boundary,
                       form_fn form, const char *type, const char *filename, struct bw_buf *part)
{
    int rc;

    bw_buf_reset(part);
    rc = form(n, part);
    return rc == BW_OK ? put_attachment(out, boundary, type, filename, part) : rc;
}

static int put_parts(struct bw_buf *out, const struct bw_notice *n, const char *boundary)
{
    struct bw_buf part;
    char name[96], stem[64];
    int rc;

    bw_buf_init(&part, 0);
    rc = bw_notice_text(n, &part);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "\r\n--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                           boundary);
    if (rc == BW_OK)
        rc = put_qp(out, part.data, part.len);
    if (n->parts > 1)
        snprintf(stem, sizeof(stem), "botwatch-case-%lld-part%zu", (long long)n->case_id,
                 n->part);
    else
        snprintf(stem, sizeof(stem), "botwatch-case-%lld", (long long)n->case_id);
    snprintf(name, sizeof(name), "%s.csv", stem);
    if (rc == BW_OK)
        rc = attach_form(out, n, boundary, bw_notice_csv, "text/csv; charset=utf-8", name, &part);
    snprintf(name, sizeof(name), "%s.iodef.xml", stem);
    if (rc == BW_OK && n->n_dev > 0)
        rc = attach_form(out, n, boundary, bw_notice_iodef, "application/xml", name, &part);
    for (size_t i = 0; rc == BW_OK && n->n_dev <= XARF_PARTS_MAX && i < n->n_dev; i++) {
        bw_buf_reset(&part);
        snprintf(name, sizeof(name), "botwatch-case-%lld-xarf-%zu.json", (long long)n->case_id,
                 i + 1);
        rc = bw_notice_xarf(n, i, &part);
        if (rc == BW_OK)
            rc = put_attachment(out, boundary, "application/json", name, &part);
    }
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "\r\n--%s--\r\n", boundary);
    bw_buf_cleanup(&part);
    return rc;
}

int bw_notice_mime(const struct bw_notice *n, struct bw_buf *out)
{
    char boundary[48];
    int rc;

    if (!addr_ok(n->from))
        return BW_EINVAL;
    if (n->to != NULL && n->to[0] != '\0' && !addr_ok(n->to))
        return BW_EINVAL;
    if (sodium_init() < 0)
        return BW_EIO;
    boundary_of(boundary, n->idem_key);
    rc = put_headers(out, n, boundary);
    return rc == BW_OK ? put_parts(out, n, boundary) : rc;
}
