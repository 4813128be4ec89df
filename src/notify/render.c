/*
 * notify/render.c - the forms of a notice: the plain-text body, the CSV of its devices, X-ARF
 * and IODEF reports, and the webhook JSON.
 * Invariants:
 *  - Rendering reads only the notice: same notice, same bytes (no clock, no locale, no
 *    randomness; sorting breaks every tie by name).
 *  - Every string from the notice is outside input (evidence, host names, controller names
 *    come from reports): it reaches the output only through bw_notify__clean() and, on top of
 *    that, the target's own escaping (CSV quoting, XML escaping, jansson). No control
 *    character, no invalid UTF-8 and no line break from a field ever reaches the output.
 *  - JSON is built with jansson; the CSV and the XML are written by hand because both are a
 *    handful of fixed fields with one escaping rule each, and neither Debian's CSV nor XML
 *    writers would make that simpler or safer.
 */
#include "notify/render_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_MAX 256u   /* bytes kept of a host name, vendor, controller, ... */
#define TOP_N 5u         /* entries in the summary's top lists */
#define XARF_VERSION "3" /* the Version the published abusix X-ARF JSON schemas pin */

/* ---- text cleaning -------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p (0 when p does not start one). */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    size_t n = 0;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4;
    if (n == 0 || n > left || !bw_utf8_valid((const char *)p, n))
        return 0;
    return n;
}

/* C1 controls, U+2028/U+2029 and the bidirectional embeddings, overrides and isolates: they
 * break lines or reorder text in a reader's mail client. */
static bool is_bad_char(const unsigned char *p, size_t n)
{
    if (n == 1)
        return p[0] < 0x20 || p[0] == 0x7f;
    if (n == 2)
        return p[0] == 0xc2 && p[1] < 0xa0;
    if (n == 3 && p[0] == 0xe2 && p[1] == 0x80)
        return p[2] >= 0xa8 && p[2] <= 0xae;
    if (n == 3 && p[0] == 0xe2 && p[1] == 0x81)
        return p[2] >= 0xa6 && p[2] <= 0xa9;
    return false;
}

int bw_notify__clean(struct bw_buf *out, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len;
    int rc = BW_OK;

    if (s == NULL)
        return BW_OK;
    len = strlen(s);
    if (max != 0 && len > max)
        len = bw_utf8_truncate(s, len, max);
    for (size_t i = 0, run = 0; i <= len && rc == BW_OK;) {
        size_t n = i < len ? utf8_seq(p + i, len - i) : 0;
        if (i < len && n != 0 && !is_bad_char(p + i, n)) {
            i += n; /* good text: extend the run, append it in one go */
            continue;
        }
        rc = bw_buf_append(out, p + run, i - run);
        if (rc == BW_OK && i < len)
            rc = bw_buf_append(out, n == 0 ? "?" : " ", 1);
        i += n != 0 ? n : 1;
        run = i;
    }
    return rc;
}

char *bw_notify__clean_dup(const char *s, size_t max)
{
    struct bw_buf b;

    bw_buf_init(&b, 0);
    if (bw_notify__clean(&b, s, max) != BW_OK)
        bw_panic("notify: cleaning a string failed without a cap");
    return b.data;
}

static const char *str_or(const char *s, const char *dflt)
{
    return s != NULL && s[0] != '\0' ? s : dflt;
}

/* ---- counting for the summary --------------------------------------------------------- */

struct tally {
    const char *name;
    size_t count;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_tally(const void *a, const void *b)
{
    const struct tally *x = a, *y = b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Distinct non-empty names among names[0..n) with their counts, most frequent first; returns
 * how many, into t (room for n). names is sorted in place. */
static size_t tally_names(const char **names, size_t n, struct tally *t)
{
    size_t k = 0;

    bw_sort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && strcmp(t[k - 1].name, names[i]) == 0) {
            t[k - 1].count++;
            continue;
        }
        t[k].name = names[i];
        t[k].count = 1;
        k++;
    }
    bw_sort(t, k, sizeof(*t), cmp_tally);
    return k;
}

typedef const char *(*dev_field_fn)(const struct bw_notice_device *d);

static const char *f_type(const struct bw_notice_device *d) { return d->en.device_type; }
static const char *f_vendor(const struct bw_notice_device *d) { return d->en.device_vendor; }
static const char *f_country(const struct bw_notice_device *d) { return d->en.country; }

/* "router 2, camera 1" for the TOP_N most common values of a field; "" when none known. */
static int put_top(struct bw_buf *out, const struct bw_notice *n, dev_field_fn field)
{
    const char **names = bw_xcalloc(n->n_dev + 1, sizeof(*names));
    struct tally *t = bw_xcalloc(n->n_dev + 1, sizeof(*t));
    size_t m = 0, k;
    int rc = BW_OK;

    for (size_t i = 0; i < n->n_dev; i++) {
        const char *v = field(&n->dev[i]);
        if (v != NULL && v[0] != '\0')
            names[m++] = v;
    }
    k = tally_names(names, m, t);
    for (size_t i = 0; i < k && i < TOP_N && rc == BW_OK; i++) {
        rc = bw_buf_printf(out, "%s", i > 0 ? ", " : "");
        if (rc == BW_OK)
            rc = bw_notify__clean(out, t[i].name, FIELD_MAX);
        if (rc == BW_OK)
            rc = bw_buf_printf(out, " %zu", t[i].count);
    }
    if (rc == BW_OK && k > TOP_N)
        rc = bw_buf_printf(out, ", %zu more", k - TOP_N);
    if (rc == BW_OK && k == 0)
        rc = bw_buf_printf(out, "not known");
    free(names);
    free(t);
    return rc;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

uint32_t bw_notify__top_asn(const struct bw_notice *n, size_t *n_asns)
{
    uint32_t *v = bw_xcalloc(n->n_dev + 1, sizeof(*v));
    size_t m = 0, best_count = 0, distinct = 0;
    uint32_t best = 0;

    for (size_t i = 0; i < n->n_dev; i++) {
        if (n->dev[i].en.asn != 0)
            v[m++] = n->dev[i].en.asn;
    }
    bw_sort(v, m, sizeof(*v), cmp_u32);
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j < m && v[j] == v[i])
            j++;
        distinct++;
        if (j - i > best_count) { /* strictly more: ties go to the lowest ASN */
            best_count = j - i;
            best = v[i];
        }
        i = j;
    }
    free(v);
    if (n_asns != NULL)
        *n_asns = distinct;
    return best;
}

/* ---- the plain-text body -------------------------------------------------------------- */

static const char *juris_words(enum bw_juris j)
{
    switch (j) {
    case BW_JURIS_SAME:
        return "in the device's country";
    case BW_JURIS_OTHER:
        return "in another country";
    case BW_JURIS_MIXED:
        return "in several countries, the device's among them";
    default:
        return "country not known";
    }
}

/* "label: value" with the value cleaned; nothing when the value is empty. */
static int put_kv(struct bw_buf *out, const char *label, const char *value, size_t max)
{
    int rc;

    if (value == NULL || value[0] == '\0')
        return BW_OK;
    rc = bw_buf_printf(out, "   %-12s ", label);
    if (rc == BW_OK)
        rc = bw_notify__clean(out, value, max);
    return rc == BW_OK ? bw_buf_append(out, "\n", 1) : rc;
}

static int put_summary(struct bw_buf *out, const struct bw_notice *n)
{
    size_t fresh = 0, n_asns = 0;
    bw_catmask seen = 0;
    char cats[256];
    int rc;

    for (size_t i = 0; i < n->n_dev; i++) {
        fresh += n->dev[i].is_new;
        seen |= n->dev[i].cats;
    }
    uint32_t asn = bw_notify__top_asn(n, &n_asns);
    rc = bw_buf_printf(out, "Summary\n   devices:     %zu (%zu newly listed, %zu still listed)\n",
                       n->n_dev, fresh, n->n_dev - fresh);
    if (rc == BW_OK && asn != 0)
        rc = bw_buf_printf(out, "   networks:    %zu ASN%s, most devices in AS%u\n", n_asns,
                           n_asns == 1 ? "" : "s", asn);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "   countries:   ");
    if (rc == BW_OK)
        rc = put_top(out, n, f_country);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "\n   device types: ");
    if (rc == BW_OK)
        rc = put_top(out, n, f_type);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "\n   vendors:     ");
    if (rc == BW_OK)
        rc = put_top(out, n, f_vendor);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "\n   categories:  %s\n\n",
                           bw_catmask_format(seen, cats, sizeof(cats)));
    return rc;
}

static int put_device_seen(struct bw_buf *out, const struct bw_notice_device *d)
{
    char t1[BW_TIME_TEXT_MAX], t2[BW_TIME_TEXT_MAX], cats[256];
    int rc;

    rc = bw_buf_printf(out, "   %-12s %s .. %s, %llu report%s from %u reporter%s\n", "seen:",
                       bw_time_format(d->first_s, t1), bw_time_format(d->last_s, t2),
                       (unsigned long long)d->reports, d->reports == 1 ? "" : "s",
                       d->reporters, d->reporters == 1 ? "" : "s");
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "   %-12s %s\n", "categories:",
                           bw_catmask_format(d->cats, cats, sizeof(cats)));
    if (rc == BW_OK && d->port != 0)
        rc = bw_buf_printf(out, "   %-12s %u\n", "port:", d->port);
    if (rc == BW_OK && d->score > 0)
        rc = bw_buf_printf(out, "   %-12s %.0f of 100\n", "score:", d->score);
    return rc;
}

static int put_device_network(struct bw_buf *out, const struct bw_notice_device *d)
{
    struct bw_buf line;
    int rc = BW_OK;

    bw_buf_init(&line, 0);
    if (d->en.asn != 0)
        rc = bw_buf_printf(&line, "AS%u", d->en.asn);
    if (rc == BW_OK && d->en.as_org[0] != '\0')
        rc = bw_buf_printf(&line, "%s%s", line.len > 0 ? " " : "", d->en.as_org);
    if (rc == BW_OK && d->en.prefix[0] != '\0')
        rc = bw_buf_printf(&line, "%s%s", line.len > 0 ? ", " : "", d->en.prefix);
    if (rc == BW_OK && d->en.country[0] != '\0')
        rc = bw_buf_printf(&line, "%s%s", line.len > 0 ? ", " : "", d->en.country);
    if (rc == BW_OK)
        rc = put_kv(out, "network:", line.data, FIELD_MAX);
    bw_buf_reset(&line);
    if (rc == BW_OK)
        rc = bw_buf_printf(&line, "%s %s %s %s %s", d->en.device_vendor, d->en.device_type,
                           d->en.device_model, d->en.device_os, d->en.device_version);
    /* Collapse the spaces that unknown fields leave. */
    size_t w = 0;
    for (size_t r = 0; r < line.len; r++) {
        if (line.data[r] == ' ' && (w == 0 || line.data[w - 1] == ' '))
            continue;
        line.data[w++] = line.data[r];
    }
    while (w > 0 && line.data[w - 1] == ' ')
        w--;
    line.data[w] = '\0';
    if (rc == BW_OK)
        rc = put_kv(out, "device:", line.data, FIELD_MAX);
    bw_buf_cleanup(&line);
    return rc;
}

static int put_device_juris(struct bw_buf *out, const struct bw_notice_device *d)
{
    int rc = BW_OK;

    if (d->controller != NULL && d->controller[0] != '\0') {
        rc = bw_buf_printf(out, "   %-12s ", "controller:");
        if (rc == BW_OK)
            rc = bw_notify__clean(out, d->controller, FIELD_MAX);
        if (rc == BW_OK && d->controller_country != NULL && d->controller_country[0] != '\0') {
            rc = bw_buf_append(out, " (", 2);
            if (rc == BW_OK)
                rc = bw_notify__clean(out, d->controller_country, 8);
            if (rc == BW_OK)
                rc = bw_buf_append(out, ")", 1);
        }
        if (rc == BW_OK)
            rc = bw_buf_printf(out, ", %s\n", juris_words(d->controller_juris));
    }
    if (rc == BW_OK && d->target_juris != BW_JURIS_UNKNOWN)
        rc = bw_buf_printf(out, "   %-12s %s\n", "targets:", juris_words(d->target_juris));
    return rc;
}

static int put_device_evidence(struct bw_buf *out, const struct bw_notice_device *d)
{
    int rc = BW_OK;

    for (size_t k = 0; k < BW_ARRAY_LEN(d->evidence) && d->evidence[k] != NULL; k++) {
        if (d->evidence[k][0] == '\0')
            continue;
        rc = bw_buf_printf(out, "%s", k == 0 ? "   evidence:\n" : "");
        if (rc == BW_OK)
            rc = bw_buf_append(out, "     > ", 7);
        if (rc == BW_OK)
            rc = bw_notify__clean(out, d->evidence[k], BW_EVIDENCE_MAX);
        if (rc == BW_OK)
            rc = bw_buf_append(out, "\n", 1);
        if (rc != BW_OK)
            break;
    }
    return rc;
}

static int put_device(struct bw_buf *out, size_t i, const struct bw_notice_device *d)
{
    char ip[BW_ADDR_TEXT_MAX];
    int rc;

    rc = bw_buf_printf(out, "%zu. %s (%s)\n", i + 1, bw_addr_format(&d->addr, ip),
                       d->is_new ? "newly listed" : "still listed");
    if (rc == BW_OK)
        rc = put_device_seen(out, d);
    if (rc == BW_OK)
        rc = put_device_network(out, d);
    if (rc == BW_OK)
        rc = put_kv(out, "hostname:", d->hostname, FIELD_MAX);
    if (rc == BW_OK)
        rc = put_device_juris(out, d);
    if (rc == BW_OK)
        rc = put_device_evidence(out, d);
    if (rc == BW_OK)
        rc = put_kv(out, "advice:", d->advice, 2048);
    return rc == BW_OK ? bw_buf_append(out, "\n", 1) : rc;
}

static int put_intro(struct bw_buf *out, const struct bw_notice *n)
{
    char sent[BW_TIME_TEXT_MAX], due[BW_TIME_TEXT_MAX];
    int rc;

    rc = bw_notify__clean(out, str_or(n->registry_name, "botwatch"), FIELD_MAX);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, ": case %lld, %zu compromised device%s\n",
                           (long long)n->case_id, n->parts > 1 ? n->n_total : n->n_dev,
                           (n->parts > 1 ? n->n_total : n->n_dev) == 1 ? "" : "s");
    if (rc == BW_OK && n->parts > 1)
        rc = bw_buf_printf(out, "This message is part %zu of %zu: it lists %zu of them (the "
                                "CSV and IODEF attached hold the same %zu).\n",
                           n->part, n->parts, n->n_dev, n->n_dev);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "\nTo: ");
    if (rc == BW_OK)
        rc = bw_notify__clean(out, str_or(n->contact, "(unnamed contact)"), FIELD_MAX);
    if (rc == BW_OK && n->contact_role != NULL && n->contact_role[0] != '\0') {
        rc = bw_buf_append(out, " (", 2);
        if (rc == BW_OK)
            rc = bw_notify__clean(out, n->contact_role, 32);
        if (rc == BW_OK)
            rc = bw_buf_append(out, ")", 1);
    }
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "\nSent: %s\n", bw_time_format(n->sent_s, sent));
    if (rc == BW_OK && n->due_s > 0)
        rc = bw_buf_printf(out, "Please acknowledge by: %s\n", bw_time_format(n->due_s, due));
    if (rc == BW_OK && n->level <= 0)
        rc = bw_buf_printf(out, "\nThese devices in your network were reported for the abuse "
                                "below by independent\nsources; they look compromised. Please "
                                "tell their owners, help them clean the\ndevices, and "
                                "acknowledge this notice.\n\n");
    else if (rc == BW_OK)
        rc = bw_buf_printf(out, "\nThese devices were reported for the abuse below by "
                                "independent sources; they look\ncompromised. The network "
                                "that hosts them was told and did not acknowledge in\ntime "
                                "(see Escalation below). Please help it act, and acknowledge "
                                "this notice.\n\n");
    return rc;
}

static int put_ack(struct bw_buf *out, const struct bw_notice *n)
{
    int rc = bw_buf_printf(out, "How to acknowledge\n");

    if (rc == BW_OK && n->ack_url != NULL && n->ack_url[0] != '\0') {
        rc = bw_buf_printf(out, "   Open this link: ");
        if (rc == BW_OK)
            rc = bw_notify__clean(out, n->ack_url, 2048);
        if (rc == BW_OK)
            rc = bw_buf_append(out, "\n", 1);
    }
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "   or run: botwatch case ack %lld (operators), or POST "
                                "/api/v1/cases/%lld/ack with your ISP key.\n\n",
                           (long long)n->case_id, (long long)n->case_id);
    return rc;
}

/* History lines are cleaned one by one so the text keeps its line structure. */
static int put_history(struct bw_buf *out, const struct bw_notice *n)
{
    int rc = BW_OK;

    if (n->level <= 0 && (n->history == NULL || n->history[0] == '\0'))
        return BW_OK;
    rc = bw_buf_printf(out, "Escalation\n   This notice is escalation level %d", n->level);
    if (rc == BW_OK && n->escalated_from != NULL && n->escalated_from[0] != '\0') {
        rc = bw_buf_printf(out, ": the case was first sent to ");
        if (rc == BW_OK)
            rc = bw_notify__clean(out, n->escalated_from, FIELD_MAX);
        if (rc == BW_OK)
            rc = bw_buf_printf(out, ", who did not acknowledge it in time");
    }
    if (rc == BW_OK)
        rc = bw_buf_printf(out, ".\n");
    for (const char *p = n->history; rc == BW_OK && p != NULL && *p != '\0';) {
        size_t len = strcspn(p, "\r\n");
        if (len > 0) {
            char *line = bw_xstrndup(p, len > 1024 ? 1024 : len);
            rc = bw_buf_append(out, "   ", 3);
            if (rc == BW_OK)
                rc = bw_notify__clean(out, line, 0);
            if (rc == BW_OK)
                rc = bw_buf_append(out, "\n", 1);
            free(line);
        }
        p += len;
        p += strspn(p, "\r\n");
    }
    return rc == BW_OK ? bw_buf_append(out, "\n", 1) : rc;
}

int bw_notice_text(const struct bw_notice *n, struct bw_buf *out)
{
    int rc = put_intro(out, n);

    if (rc == BW_OK)
        rc = put_summary(out, n);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "Devices\n");
    for (size_t i = 0; i < n->n_dev && rc == BW_OK; i++)
        rc = put_device(out, i, &n->dev[i]);
    if (rc == BW_OK)
        rc = put_ack(out, n);
    if (rc == BW_OK)
        rc = put_history(out, n);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "The attached CSV lists the devices, one row each; the IODEF "
                                "(RFC 7970) and\nX-ARF attachments carry the same for "
                                "automated processing.\n");
    return rc;
}

/* The infection column: our categories joined by ';' (so the CSV column needs no quoting). */
static const char *infection(bw_catmask cats, char *buf, size_t cap)
{
    bw_catmask_format(cats, buf, cap);
    for (char *c = buf; *c != '\0'; c++)
        *c = *c == ',' ? ';' : *c;
    return buf;
}

/* ---- CSV ------------------------------------------------------------------------------ */

/* One RFC 4180 field: cleaned (so no CR or LF is left to quote), quoted when it holds a comma
 * or a quote. A text field a spreadsheet would run as a formula (= + - @) gets a leading
 * apostrophe (the OWASP advice), since these values come from reports. */
static int csv_field(struct bw_buf *out, const char *s, bool text, bool last)
{
    char *v = bw_notify__clean_dup(s, FIELD_MAX);
    bool quote = strpbrk(v, ",\"") != NULL;
    bool formula = text && strchr("=+-@", v[0]) != NULL && v[0] != '\0';
    int rc = quote ? bw_buf_append(out, "\"", 1) : BW_OK;

    if (rc == BW_OK && formula)
        rc = bw_buf_append(out, "'", 1);
    for (const char *p = v; rc == BW_OK && *p != '\0';) {
        size_t run = strcspn(p, "\"");
        rc = bw_buf_append(out, p, run);
        p += run;
        if (rc == BW_OK && *p == '"') {
            rc = bw_buf_append(out, "\"\"", 2);
            p++;
        }
    }
    if (rc == BW_OK && quote)
        rc = bw_buf_append(out, "\"", 1);
    if (rc == BW_OK)
        rc = last ? bw_buf_append(out, "\r\n", 2) : bw_buf_append(out, ",", 1);
    free(v);
    return rc;
}

static int csv_row(struct bw_buf *out, const struct bw_notice_device *d)
{
    char ts[BW_TIME_TEXT_MAX], ip[BW_ADDR_TEXT_MAX], port[8] = "", asn[12] = "", cats[256];
    int rc;

    if (d->port != 0)
        snprintf(port, sizeof(port), "%u", d->port);
    if (d->en.asn != 0)
        snprintf(asn, sizeof(asn), "%u", d->en.asn);
    infection(d->cats, cats, sizeof(cats));
    rc = csv_field(out, bw_time_format(d->last_s, ts), false, false);
    if (rc == BW_OK)
        rc = csv_field(out, bw_addr_format(&d->addr, ip), false, false);
    if (rc == BW_OK)
        rc = csv_field(out, port, false, false);
    if (rc == BW_OK)
        rc = csv_field(out, asn, false, false);
    if (rc == BW_OK)
        rc = csv_field(out, d->en.country, true, false);
    if (rc == BW_OK)
        rc = csv_field(out, d->hostname, true, false);
    if (rc == BW_OK)
        rc = csv_field(out, d->en.device_vendor, true, false);
    if (rc == BW_OK)
        rc = csv_field(out, d->en.device_type, true, false);
    if (rc == BW_OK)
        rc = csv_field(out, d->en.device_model, true, false);
    if (rc == BW_OK)
        rc = csv_field(out, cats, false, false);
    if (rc == BW_OK)
        rc = csv_field(out, d->controller, true, true);
    return rc;
}

int bw_notice_csv(const struct bw_notice *n, struct bw_buf *out)
{
    int rc = bw_buf_printf(out, "timestamp,ip,port,asn,geo,hostname,device_vendor,device_type,"
                                "device_model,infection,controller\r\n");

    for (size_t i = 0; i < n->n_dev && rc == BW_OK; i++)
        rc = csv_row(out, &n->dev[i]);
    return rc;
}

/* ---- JSON helpers (jansson) ----------------------------------------------------------- */

static json_t *jstr(const char *s, size_t max)
{
    char *v = bw_notify__clean_dup(s, max);
    json_t *j = json_string(v); /* valid UTF-8 by construction */

    free(v);
    if (j == NULL)
        bw_panic("notify: jansson refused a cleaned string");
    return j;
}

static json_t *jtime(int64_t t)
{
    char buf[BW_TIME_TEXT_MAX];

    return json_string(bw_time_format(t, buf));
}

static int dump_json(json_t *root, size_t flags, struct bw_buf *out)
{
    char *text = json_dumps(root, flags);
    int rc;

    json_decref(root);
    if (text == NULL)
        return BW_ENOMEM;
    rc = bw_buf_append(out, text, strlen(text));
    free(text);
    return rc;
}

/* The part of an address after '@' ("" when there is none). */
static const char *mail_domain(const char *addr)
{
    const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

    return at != NULL ? at + 1 : "";
}

/* ---- X-ARF ---------------------------------------------------------------------------- */

/* Our categories as X-ARF ReportClass/ReportType (the abusix schema set). A device with
 * several categories is reported under the first of them in this order: what the device
 * *is* (bot, controller, infected) before what it *did*. docs/notify.md has the table. */
static const struct xarf_map {
    enum bw_category cat;
    const char *cls, *type;
} xarf_map[] = {
    { BW_CAT_BOT, "Content", "Botnet" },       { BW_CAT_C2, "Content", "Botnet" },
    { BW_CAT_MALWARE, "Content", "Malware" },  { BW_CAT_DDOS, "Activity", "DOS" },
    { BW_CAT_SPAM, "Activity", "Spam" },       { BW_CAT_BRUTEFORCE, "Activity", "LoginAttack" },
    { BW_CAT_EXPLOIT, "Activity", "Exploit" }, { BW_CAT_WEB_ATTACK, "Activity", "Exploit" },
    { BW_CAT_PHISHING, "Content", "Phishing" }, { BW_CAT_PROXY, "Vulnerability", "OpenService" },
    { BW_CAT_SCAN, "Activity", "PortScan" },
};

_Static_assert(BW_ARRAY_LEN(xarf_map) == BW_CAT_COUNT, "every category has an X-ARF type");

static const struct xarf_map *xarf_pick(bw_catmask cats)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(xarf_map); i++) {
        if (cats & (1u << xarf_map[i].cat))
            return &xarf_map[i];
    }
    return &xarf_map[BW_ARRAY_LEN(xarf_map) - 1]; /* no category: report as seen scanning */
}

static json_t *xarf_reporter(const struct bw_notice *n)
{
    json_t *r = json_object();
    const char *from = str_or(n->from, "botwatch@localhost.invalid");

    json_object_set_new(r, "ReporterOrg", jstr(str_or(n->registry_name, "botwatch"), 200));
    json_object_set_new(r, "ReporterOrgDomain", jstr(str_or(mail_domain(from), "invalid"), 253));
    json_object_set_new(r, "ReporterOrgEmail", jstr(from, 254));
    return r;
}

static json_t *xarf_samples(const struct bw_notice_device *d)
{
    json_t *a = json_array();

    for (size_t k = 0; k < BW_ARRAY_LEN(d->evidence) && d->evidence[k] != NULL; k++) {
        if (d->evidence[k][0] == '\0')
            continue;
        json_t *s = json_object();
        json_object_set_new(s, "ContentType", json_string("text/plain"));
        json_object_set_new(s, "Base64Encoded", json_false());
        json_object_set_new(s, "Description", json_string("evidence line"));
        json_object_set_new(s, "Payload", jstr(d->evidence[k], BW_EVIDENCE_MAX));
        json_array_append_new(a, s);
    }
    return a;
}

static json_t *xarf_custom(const struct bw_notice *n, const struct bw_notice_device *d)
{
    json_t *c = json_object();
    char cats[256];

    json_object_set_new(c, "Categories", json_string(bw_catmask_format(d->cats, cats,
                                                                       sizeof(cats))));
    json_object_set_new(c, "Reports", json_integer((json_int_t)d->reports));
    json_object_set_new(c, "Reporters", json_integer((json_int_t)d->reporters));
    json_object_set_new(c, "CaseId", json_integer((json_int_t)n->case_id));
    if (d->en.country[0] != '\0')
        json_object_set_new(c, "Country", jstr(d->en.country, 8));
    if (d->en.device_type[0] != '\0')
        json_object_set_new(c, "DeviceType", jstr(d->en.device_type, FIELD_MAX));
    if (d->en.device_vendor[0] != '\0')
        json_object_set_new(c, "DeviceVendor", jstr(d->en.device_vendor, FIELD_MAX));
    if (d->controller != NULL && d->controller[0] != '\0')
        json_object_set_new(c, "Controller", jstr(d->controller, FIELD_MAX));
    return c;
}

static json_t *xarf_report(const struct bw_notice *n, const struct bw_notice_device *d)
{
    const struct xarf_map *m = xarf_pick(d->cats);
    char ip[BW_ADDR_TEXT_MAX], id[64], url[BW_ADDR_TEXT_MAX + 16];
    json_t *r = json_object();

    bw_addr_format(&d->addr, ip);
    json_object_set_new(r, "ReportClass", json_string(m->cls));
    json_object_set_new(r, "ReportType", json_string(m->type));
    snprintf(id, sizeof(id), "case-%lld", (long long)n->case_id);
    json_object_set_new(r, "ReporterCaseID", json_string(id));
    json_object_set_new(r, "Date", jtime(d->last_s));
    if (d->first_s != 0 && d->first_s < d->last_s)
        json_object_set_new(r, "FirstSeen", jtime(d->first_s));
    json_object_set_new(r, "SourceIp", json_string(ip));
    if (d->port != 0)
        json_object_set_new(r, "SourcePort", json_integer(d->port));
    if (d->en.asn != 0)
        json_object_set_new(r, "ASN", json_integer(d->en.asn));
    if (m->cat == BW_CAT_PROXY)
        json_object_set_new(r, "ServiceName", json_string("proxy"));
    if (m->cat == BW_CAT_PHISHING) { /* the schema wants a URL; the device itself is all we know */
        snprintf(url, sizeof(url), bw_addr_is_v4(&d->addr) ? "http://%s/" : "http://[%s]/", ip);
        json_object_set_new(r, "SourceUrl", json_string(url));
    }
    json_object_set_new(r, "Ongoing", json_true());
    json_t *samples = xarf_samples(d);
    if (json_array_size(samples) > 0)
        json_object_set_new(r, "Samples", samples);
    else
        json_decref(samples);
    json_object_set_new(r, "Custom", xarf_custom(n, d));
    return r;
}

int bw_notice_xarf(const struct bw_notice *n, size_t i, struct bw_buf *out)
{
    json_t *root;

    if (i >= n->n_dev)
        return BW_EINVAL;
    root = json_object();
    json_object_set_new(root, "Version", json_string(XARF_VERSION));
    json_object_set_new(root, "ReporterInfo", xarf_reporter(n));
    json_object_set_new(root, "Disclosure", json_true());
    json_object_set_new(root, "Report", xarf_report(n, &n->dev[i]));
    return dump_json(root, JSON_INDENT(2), out);
}

/* ---- the webhook JSON ----------------------------------------------------------------- */

static json_t *json_device(const struct bw_notice_device *d)
{
    char ip[BW_ADDR_TEXT_MAX], buf[256];
    json_t *o = json_object(), *cats = json_array();

    json_object_set_new(o, "timestamp", jtime(d->last_s));
    json_object_set_new(o, "ip", json_string(bw_addr_format(&d->addr, ip)));
    json_object_set_new(o, "port", d->port != 0 ? json_integer(d->port) : json_null());
    json_object_set_new(o, "asn", d->en.asn != 0 ? json_integer(d->en.asn) : json_null());
    json_object_set_new(o, "geo", jstr(d->en.country, 8));
    json_object_set_new(o, "hostname", jstr(d->hostname, FIELD_MAX));
    json_object_set_new(o, "device_vendor", jstr(d->en.device_vendor, FIELD_MAX));
    json_object_set_new(o, "device_type", jstr(d->en.device_type, FIELD_MAX));
    json_object_set_new(o, "device_model", jstr(d->en.device_model, FIELD_MAX));
    for (unsigned c = 0; c < BW_CAT_COUNT; c++) {
        if (d->cats & (1u << c))
            json_array_append_new(cats, json_string(bw_category_name(c)));
    }
    json_object_set_new(o, "infection", json_string(infection(d->cats, buf, sizeof(buf))));
    json_object_set_new(o, "controller", jstr(d->controller, FIELD_MAX));
    json_object_set_new(o, "categories", cats);
    json_object_set_new(o, "score", json_real(d->score));
    json_object_set_new(o, "first_seen", jtime(d->first_s));
    json_object_set_new(o, "last_seen", jtime(d->last_s));
    json_object_set_new(o, "reports", json_integer((json_int_t)d->reports));
    json_object_set_new(o, "new", json_boolean(d->is_new));
    return o;
}

int bw_notice_json(const struct bw_notice *n, struct bw_buf *out)
{
    json_t *root = json_object(), *devs = json_array();

    json_object_set_new(root, "case_id", json_integer((json_int_t)n->case_id));
    json_object_set_new(root, "contact", jstr(n->contact, FIELD_MAX));
    json_object_set_new(root, "role", jstr(n->contact_role, 32));
    json_object_set_new(root, "level", json_integer(n->level));
    json_object_set_new(root, "escalated_from", jstr(n->escalated_from, FIELD_MAX));
    json_object_set_new(root, "sent", jtime(n->sent_s));
    json_object_set_new(root, "due", n->due_s > 0 ? jtime(n->due_s) : json_null());
    json_object_set_new(root, "ack_url", jstr(n->ack_url, 2048));
    json_object_set_new(root, "idempotency_key", jstr(n->idem_key, FIELD_MAX));
    json_object_set_new(root, "part", json_integer((json_int_t)(n->parts > 1 ? n->part : 1)));
    json_object_set_new(root, "parts", json_integer((json_int_t)(n->parts > 1 ? n->parts : 1)));
    json_object_set_new(root, "devices_total",
                        json_integer((json_int_t)(n->parts > 1 ? n->n_total : n->n_dev)));
    for (size_t i = 0; i < n->n_dev; i++)
        json_array_append_new(devs, json_device(&n->dev[i]));
    json_object_set_new(root, "devices", devs);
    return dump_json(root, JSON_COMPACT, out);
}

/* ---- IODEF (RFC 7970) ----------------------------------------------------------------- */

/* Character data or an attribute value: cleaned, then the five XML entities. Cleaning has
 * removed every control character, so the result is well-formed XML 1.0 text. */
static int xml_text(struct bw_buf *out, const char *s, size_t max)
{
    char *v = bw_notify__clean_dup(s, max);
    int rc = BW_OK;

    for (const char *p = v; rc == BW_OK && *p != '\0'; p++) {
        size_t run = strcspn(p, "&<>\"'");
        if (run > 0) {
            rc = bw_buf_append(out, p, run);
            p += run - 1;
            continue;
        }
        switch (*p) {
        case '&':
            rc = bw_buf_append(out, "&amp;", 5);
            break;
        case '<':
            rc = bw_buf_append(out, "&lt;", 4);
            break;
        case '>':
            rc = bw_buf_append(out, "&gt;", 4);
            break;
        case '"':
            rc = bw_buf_append(out, "&quot;", 6);
            break;
        case '\'':
            rc = bw_buf_append(out, "&apos;", 6);
            break;
        default: /* not reached: strcspn() stops at these five only */
            rc = bw_buf_append(out, p, 1);
        }
    }
    free(v);
    return rc;
}

/* <tag>text</tag> on its own line at the given indent. */
static int xml_elem(struct bw_buf *out, int indent, const char *tag, const char *text, size_t max)
{
    int rc = bw_buf_printf(out, "%*s<%s>", indent, "", tag);

    if (rc == BW_OK)
        rc = xml_text(out, text, max);
    return rc == BW_OK ? bw_buf_printf(out, "</%s>\n", tag) : rc;
}

static int iodef_times(struct bw_buf *out, const struct bw_notice *n,
                       const struct bw_notice_device *d)
{
    char t[BW_TIME_TEXT_MAX];
    int rc = xml_elem(out, 4, "DetectTime", bw_time_format(d->first_s, t), 0);

    if (rc == BW_OK)
        rc = xml_elem(out, 4, "StartTime", bw_time_format(d->first_s, t), 0);
    if (rc == BW_OK)
        rc = xml_elem(out, 4, "GenerationTime", bw_time_format(n->sent_s, t), 0);
    return rc;
}

static int iodef_head(struct bw_buf *out, const struct bw_notice *n,
                      const struct bw_notice_device *d, size_t i)
{
    char cats[256];
    int rc = bw_buf_printf(out, "  <Incident purpose=\"mitigation\" restriction=\"amber\">\n"
                                "    <IncidentID name=\"");

    if (rc == BW_OK)
        rc = xml_text(out, str_or(mail_domain(n->from), "botwatch.invalid"), 253);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "\">case-%lld-%zu</IncidentID>\n", (long long)n->case_id, i + 1);
    if (rc == BW_OK)
        rc = iodef_times(out, n, d);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "    <Description>Compromised device (%s)</Description>\n",
                           bw_catmask_format(d->cats, cats, sizeof(cats)));
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "    <Assessment occurrence=\"actual\">\n"
                                "      <SystemImpact severity=\"%s\" completion=\"succeeded\" "
                                "type=\"takeover-system\"/>\n"
                                "    </Assessment>\n",
                           d->score >= 75 ? "high" : "medium");
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "    <Contact role=\"creator\" type=\"organization\">\n");
    if (rc == BW_OK)
        rc = xml_elem(out, 6, "ContactName", str_or(n->registry_name, "botwatch"), FIELD_MAX);
    if (rc == BW_OK && n->from != NULL && n->from[0] != '\0') {
        rc = bw_buf_printf(out, "      <Email>\n");
        if (rc == BW_OK)
            rc = xml_elem(out, 8, "EmailTo", n->from, FIELD_MAX);
        if (rc == BW_OK)
            rc = bw_buf_printf(out, "      </Email>\n");
    }
    return rc == BW_OK ? bw_buf_printf(out, "    </Contact>\n") : rc;
}

static int iodef_node(struct bw_buf *out, const struct bw_addr *a)
{
    char ip[BW_ADDR_TEXT_MAX];

    return bw_buf_printf(out, "          <Node>\n"
                              "            <Address category=\"%s\">%s</Address>\n"
                              "          </Node>\n",
                         bw_addr_is_v4(a) ? "ipv4-addr" : "ipv6-addr", bw_addr_format(a, ip));
}

static int iodef_source(struct bw_buf *out, const struct bw_notice_device *d)
{
    int rc = bw_buf_printf(out, "        <System category=\"source\">\n");

    if (rc == BW_OK)
        rc = iodef_node(out, &d->addr);
    if (rc == BW_OK && d->port != 0)
        rc = bw_buf_printf(out, "          <Service>\n            <Port>%u</Port>\n"
                                "          </Service>\n", d->port);
    if (rc == BW_OK && d->hostname != NULL && d->hostname[0] != '\0')
        rc = xml_elem(out, 10, "Description", d->hostname, FIELD_MAX);
    return rc == BW_OK ? bw_buf_printf(out, "        </System>\n") : rc;
}

/* The controller as a second system when it is an address. */
static int iodef_controller(struct bw_buf *out, const struct bw_notice_device *d)
{
    struct bw_addr c;
    int rc;

    if (d->controller == NULL || d->controller[0] == '\0' ||
        bw_addr_parse(&c, d->controller, strlen(d->controller)) != BW_OK)
        return BW_OK;
    rc = bw_buf_printf(out, "        <System category=\"intermediate\">\n");
    if (rc == BW_OK)
        rc = iodef_node(out, &c);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "          <NodeRole category=\"c2-server\"/>\n"
                                "        </System>\n");
    return rc;
}

static int iodef_record(struct bw_buf *out, const struct bw_notice_device *d)
{
    char t[BW_TIME_TEXT_MAX];
    int rc;

    if (d->evidence[0] == NULL)
        return BW_OK;
    rc = bw_buf_printf(out, "      <Record>\n        <RecordData>\n");
    if (rc == BW_OK)
        rc = xml_elem(out, 10, "DateTime", bw_time_format(d->last_s, t), 0);
    if (rc == BW_OK)
        rc = xml_elem(out, 10, "Description", "recent evidence lines", 0);
    for (size_t k = 0; k < BW_ARRAY_LEN(d->evidence) && d->evidence[k] != NULL; k++) {
        if (rc == BW_OK)
            rc = bw_buf_printf(out, "          <RecordItem dtype=\"string\">");
        if (rc == BW_OK)
            rc = xml_text(out, d->evidence[k], BW_EVIDENCE_MAX);
        if (rc == BW_OK)
            rc = bw_buf_printf(out, "</RecordItem>\n");
    }
    return rc == BW_OK ? bw_buf_printf(out, "        </RecordData>\n      </Record>\n") : rc;
}

static int iodef_incident(struct bw_buf *out, const struct bw_notice *n, size_t i)
{
    const struct bw_notice_device *d = &n->dev[i];
    int rc = iodef_head(out, n, d, i);

    if (rc == BW_OK)
        rc = bw_buf_printf(out, "    <EventData>\n      <Flow>\n");
    if (rc == BW_OK)
        rc = iodef_source(out, d);
    if (rc == BW_OK)
        rc = iodef_controller(out, d);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "      </Flow>\n      <Expectation action=\"investigate\"/>\n");
    if (rc == BW_OK)
        rc = iodef_record(out, d);
    if (rc == BW_OK)
        rc = bw_buf_printf(out, "    </EventData>\n  </Incident>\n");
    return rc;
}

int bw_notice_iodef(const struct bw_notice *n, struct bw_buf *out)
{
    int rc;

    if (n->n_dev == 0) /* IODEF wants at least one Incident */
        return BW_EINVAL;
    rc = bw_buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                "<IODEF-Document version=\"2.00\" xml:lang=\"en\" "
                                "xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\">\n");

    for (size_t i = 0; i < n->n_dev && rc == BW_OK; i++)
        rc = iodef_incident(out, n, i);
    return rc == BW_OK ? bw_buf_printf(out, "</IODEF-Document>\n") : rc;
}
