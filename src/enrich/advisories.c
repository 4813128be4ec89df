/*
 * enrich/advisories.c - the remediation knowledge base: CISA's Known Exploited Vulnerabilities
 * catalog (and operator notes) matched to a fingerprinted device.
 *
 * Matching, written out in docs/enrichment.md (Sector, contacts, advisories):
 *  - Vendor: both names are normalised (lower-case letters and digits only, legal forms and
 *    words like "Networks" or "Systems" dropped, the rest run together: "D-Link" -> "dlink",
 *    "NETGEAR" -> "netgear", "Palo Alto Networks" -> "paloalto"). A KEV vendorProject may name
 *    several vendors ("D-Link and TRENDnet", "Hewlett Packard (HP)"); any of them may match.
 *    A device without a vendor matches nothing.
 *  - Product, when the vendor matched: if the device model and the KEV product both name model
 *    numbers (words with a letter and a digit, punctuation removed: "DIR-859" -> "dir859"), a
 *    model must match (equal, or one continues the other with a letter: "dir820" ~ "dir820l",
 *    "wnr2000" ~ "wnr2000v5"). Otherwise words are compared: the product's significant words
 *    (lower-case, plural "s" dropped, stop words and the vendor's own words removed) against
 *    those of the device's model, software, type and os; one side's words all appearing in
 *    the other's is a match ("IP Camera" -> {camera} within "Security cameras web server"). A
 *    single generic word ("server", "web", ...) is not enough on its own. A product with no
 *    significant words ("Multiple Products", "Multiple Devices") applies to every device of
 *    the vendor.
 *  - Results come newest first (dateAdded, then ID).
 * Invariants: rows[] only grows through add; each entry's vendor keys, model words and
 * significant product words are computed once, at add; lookups only read, so matching is
 * thread-safe.
 */
#include "enrich/enrich.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEV_BYTES (64u << 20) /* the whole catalog is ~1.3 MB */
#define MAX_VKEYS 4
#define VKEY_LEN 64
#define MAX_TOKENS 24
#define TOKEN_LEN 32

struct tokens {
    char t[MAX_TOKENS][TOKEN_LEN];
    size_t n;
};

struct entry {
    struct bw_advisory row;
    char vkeys[MAX_VKEYS][VKEY_LEN]; /* normalised vendor names */
    size_t n_vkeys;
    struct tokens models; /* model words of the product */
    struct tokens words;  /* significant words of the product */
};

struct bw_advisories {
    struct entry *e;
    size_t n, cap;
};

/* ---- words -------------------------------------------------------------------------------- */

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Splits s[0..len) into lower-case alphanumeric words. */
static void split(struct tokens *tk, const char *s, size_t len)
{
    size_t i = 0;

    tk->n = 0;
    while (i < len && tk->n < MAX_TOKENS) {
        while (i < len && !is_alnum(s[i]))
            i++;
        size_t k = 0;
        while (i < len && is_alnum(s[i])) {
            if (k < TOKEN_LEN - 1)
                tk->t[tk->n][k++] = lower(s[i]);
            i++;
        }
        if (k > 0) {
            tk->t[tk->n][k] = '\0';
            tk->n++;
        }
    }
}

static bool in_list(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (w[0] == list[i][0] && strcmp(w, list[i]) == 0)
            return true;
    }
    return false;
}

/* Words a vendor name drops: legal forms and generic corporate nouns. */
static const char *const corporate[] = {
    "inc",        "incorporated", "corp",      "corporation", "co",       "company",
    "ltd",        "limited",      "llc",       "plc",         "gmbh",     "ag",
    "sa",         "bv",           "nv",        "ab",          "oy",       "srl",
    "spa",        "kk",           "pty",       "the",         "networks", "network",
    "systems",    "system",       "technologies", "technology", "international", "group",
    "holdings",   "communications", "software", "labs",
};

/* Normalises one vendor name into key[VKEY_LEN]; "" when nothing is left. */
static void vendor_key(char *key, const char *s, size_t len)
{
    struct tokens tk;
    size_t used = 0;

    split(&tk, s, len);
    for (size_t i = 0; i < tk.n; i++) {
        if (in_list(tk.t[i], corporate, BW_ARRAY_LEN(corporate)))
            continue;
        size_t l = strlen(tk.t[i]);
        if (used + l >= VKEY_LEN)
            break;
        memcpy(key + used, tk.t[i], l);
        used += l;
    }
    key[used] = '\0';
}

static void add_vkey(struct entry *e, const char *s, size_t len)
{
    if (e->n_vkeys >= MAX_VKEYS)
        return;
    vendor_key(e->vkeys[e->n_vkeys], s, len);
    if (e->vkeys[e->n_vkeys][0] != '\0')
        e->n_vkeys++;
}

/* The vendor keys of a KEV vendorProject: split at " and ", "/", "," and "(...)". */
static void vendor_keys(struct entry *e, const char *v)
{
    size_t n = strlen(v);
    size_t start = 0;

    e->n_vkeys = 0;
    for (size_t i = 0; i <= n; i++) {
        bool cut = i == n || v[i] == '/' || v[i] == ',' || v[i] == '(' || v[i] == ')';
        size_t skip = 1;
        if (!cut && i + 5 <= n && (v[i] == ' ') && lower(v[i + 1]) == 'a' &&
            lower(v[i + 2]) == 'n' && lower(v[i + 3]) == 'd' && v[i + 4] == ' ') {
            cut = true;
            skip = 5;
        }
        if (!cut)
            continue;
        if (i > start)
            add_vkey(e, v + start, i - start);
        start = i + skip;
        i += skip - 1;
    }
}

/* ---- product words ------------------------------------------------------------------------ */

static const char *const stop[] = {
    "and",     "or",       "the",    "of",      "for",      "with",   "a",     "an",
    "in",      "on",       "multiple", "various", "product", "device", "firmware",
    "software", "series",  "model",  "ip",      "version",  "other",  "all",   "certain",
};

/* Single words too generic to decide a match alone. */
static const char *const weak[] = {
    "server", "web",       "http",    "https",    "service",   "system", "network",
    "client", "application", "management", "interface", "portal", "manager", "platform",
    "suite",  "component", "library", "kernel",   "console",
};

static void singular(char *w)
{
    size_t l = strlen(w);

    if (l > 4 && (strcmp(w + l - 4, "ches") == 0 || strcmp(w + l - 4, "shes") == 0))
        w[l - 2] = '\0';
    else if (l > 3 && w[l - 1] == 's' && w[l - 2] != 's' && w[l - 2] != 'u' && w[l - 2] != 'i')
        w[l - 1] = '\0';
}

/* Significant words of s: split, singular, minus stop words and the vendor's own words. */
static void significant(struct tokens *out, const char *s, const struct tokens *vendor_words)
{
    struct tokens tk;

    split(&tk, s, strlen(s));
    out->n = 0;
    for (size_t i = 0; i < tk.n; i++) {
        singular(tk.t[i]);
        if (in_list(tk.t[i], stop, BW_ARRAY_LEN(stop)))
            continue;
        bool own = false;
        for (size_t k = 0; k < vendor_words->n && !own; k++)
            own = strcmp(tk.t[i], vendor_words->t[k]) == 0;
        if (own)
            continue;
        memcpy(out->t[out->n], tk.t[i], TOKEN_LEN);
        out->n++;
    }
}

static bool has(const struct tokens *tk, const char *w)
{
    for (size_t i = 0; i < tk->n; i++) {
        if (tk->t[i][0] == w[0] && strcmp(tk->t[i], w) == 0)
            return true;
    }
    return false;
}

static bool subset(const struct tokens *a, const struct tokens *b)
{
    if (a->n == 0)
        return false;
    if (a->n == 1 && in_list(a->t[0], weak, BW_ARRAY_LEN(weak)))
        return false;
    for (size_t i = 0; i < a->n; i++) {
        if (!has(b, a->t[i]))
            return false;
    }
    return true;
}

/* Model words: whitespace/comma-separated words holding a letter and a digit, with everything
 * but letters and digits removed, lower-cased. */
static void model_words(struct tokens *out, const char *s)
{
    size_t i = 0, n = strlen(s);

    out->n = 0;
    while (i < n && out->n < MAX_TOKENS) {
        while (i < n && (s[i] == ' ' || s[i] == ',' || s[i] == '/' || s[i] == '(' || s[i] == ')'))
            i++;
        size_t k = 0;
        bool letter = false, digit = false;
        while (i < n && !(s[i] == ' ' || s[i] == ',' || s[i] == '/' || s[i] == '(' ||
                          s[i] == ')')) {
            if (is_alnum(s[i]) && k < TOKEN_LEN - 1) {
                char c = lower(s[i]);
                letter = letter || (c >= 'a' && c <= 'z');
                digit = digit || (c >= '0' && c <= '9');
                out->t[out->n][k++] = c;
            }
            i++;
        }
        if (k > 0 && letter && digit) {
            out->t[out->n][k] = '\0';
            out->n++;
        }
    }
}

static bool model_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    const char *longer = la >= lb ? a : b;
    size_t ls = la >= lb ? lb : la;

    if (strncmp(a, b, ls) != 0)
        return false;
    return la == lb || (longer[ls] >= 'a' && longer[ls] <= 'z');
}

/* The device's side of a match, computed once per call. */
struct dev_words {
    struct tokens models;
    struct tokens fields[4]; /* model, software, type, os */
};

static bool product_matches(const struct entry *e, const struct dev_words *dw)
{
    if (e->models.n > 0 && dw->models.n > 0) {
        for (size_t i = 0; i < e->models.n; i++) {
            for (size_t k = 0; k < dw->models.n; k++) {
                if (model_eq(e->models.t[i], dw->models.t[k]))
                    return true;
            }
        }
        return false;
    }
    if (e->words.n == 0)
        return true; /* "Multiple Products": the whole vendor */
    for (size_t f = 0; f < BW_ARRAY_LEN(dw->fields); f++) {
        if (subset(&dw->fields[f], &e->words) || subset(&e->words, &dw->fields[f]))
            return true;
    }
    return false;
}

/* ---- the set ------------------------------------------------------------------------------ */

struct bw_advisories *bw_advisories_new(void)
{
    return bw_xcalloc(1, sizeof(struct bw_advisories));
}

void bw_advisories_free(struct bw_advisories *a)
{
    if (a == NULL)
        return;
    free(a->e);
    free(a);
}

size_t bw_advisories_count(const struct bw_advisories *a)
{
    return a->n;
}

const struct bw_advisory *bw_advisories_at(const struct bw_advisories *a, size_t i)
{
    return i < a->n ? &a->e[i].row : NULL;
}

void bw_advisories_add(struct bw_advisories *a, const struct bw_advisory *row)
{
    if (a->n == a->cap) {
        a->cap = a->cap * 2 + 64;
        a->e = bw_xrealloc(a->e, a->cap * sizeof(a->e[0]));
    }
    struct entry *e = &a->e[a->n];
    memset(e, 0, sizeof(*e));
    e->row = *row;
    e->row.id[sizeof(e->row.id) - 1] = '\0';
    e->row.vendor[sizeof(e->row.vendor) - 1] = '\0';
    e->row.product[sizeof(e->row.product) - 1] = '\0';
    e->row.name[sizeof(e->row.name) - 1] = '\0';
    e->row.action[sizeof(e->row.action) - 1] = '\0';
    vendor_keys(e, e->row.vendor);
    struct tokens vendor_words;
    split(&vendor_words, e->row.vendor, strlen(e->row.vendor));
    model_words(&e->models, e->row.product);
    significant(&e->words, e->row.product, &vendor_words);
    a->n++;
}

/* Newer first, then the greater ID first: a total order, so results are deterministic. */
static bool newer(const struct bw_advisory *x, const struct bw_advisory *y)
{
    if (x->added_s != y->added_s)
        return x->added_s > y->added_s;
    return strcmp(x->id, y->id) > 0;
}

size_t bw_advisories_match(const struct bw_advisories *a, const struct bw_device_info *dev,
                           const struct bw_advisory **out, size_t max)
{
    char key[VKEY_LEN];
    struct tokens vendor_words;
    struct dev_words dw;
    bool dw_ready = false;
    size_t n = 0;

    if (dev == NULL || max == 0)
        return 0;
    vendor_key(key, dev->vendor, strnlen(dev->vendor, sizeof(dev->vendor)));
    if (key[0] == '\0')
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct entry *e = &a->e[i];
        bool vendor = false;

        for (size_t k = 0; k < e->n_vkeys && !vendor; k++)
            vendor = e->vkeys[k][0] == key[0] && strcmp(e->vkeys[k], key) == 0;
        if (!vendor)
            continue;
        if (!dw_ready) {
            /* The device's words, once, and only when some vendor matched. */
            const char *fields[] = { dev->model, dev->software, dev->type, dev->os };
            split(&vendor_words, dev->vendor, strnlen(dev->vendor, sizeof(dev->vendor)));
            model_words(&dw.models, dev->model);
            for (size_t f = 0; f < BW_ARRAY_LEN(fields); f++)
                significant(&dw.fields[f], fields[f], &vendor_words);
            dw_ready = true;
        }
        if (!product_matches(e, &dw))
            continue;
        /* Insert into out[0..n) kept newest first, dropping the oldest past max. */
        size_t pos = n;
        while (pos > 0 && newer(&e->row, out[pos - 1]))
            pos--;
        if (pos >= max)
            continue;
        size_t last = n < max ? n : max - 1;
        memmove(out + pos + 1, out + pos, (last - pos) * sizeof(out[0]));
        out[pos] = &e->row;
        if (n < max)
            n++;
    }
    return n;
}

/* ---- the KEV catalog ---------------------------------------------------------------------- */

/* Copies a JSON string member, trimmed of surrounding spaces and cut at a UTF-8 boundary to
 * fit dst[cap]. False when the member is missing or not a string. */
static bool get_str(char *dst, size_t cap, json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);

    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (memchr(s, '\0', len) != NULL)
        return false;
    len = bw_utf8_truncate(s, len, cap - 1);
    memcpy(dst, s, len);
    dst[len] = '\0';
    return true;
}

static bool parse_date(int64_t *out, const char *s)
{
    char buf[32];

    if (strlen(s) != 10)
        return false;
    snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
    return bw_time_parse(out, buf, strlen(buf)) == BW_OK;
}

int bw_advisories_parse_kev(struct bw_advisories **out, const char *json, size_t len,
                            size_t *skipped, struct bw_diag *d)
{
    json_error_t err;

    if (len > MAX_KEV_BYTES) {
        bw_diag_set(d, "KEV catalog: %zu bytes, over the %u-byte cap", len, MAX_KEV_BYTES);
        return BW_ETOOBIG;
    }
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL) {
        bw_diag_set(d, "KEV catalog: not JSON (line %d, column %d: %s)", err.line, err.column,
                    err.text);
        return BW_EMALFORMED;
    }
    json_t *vulns = json_object_get(root, "vulnerabilities");
    if (!json_is_object(root) || !json_is_array(vulns)) {
        bw_diag_set(d, "KEV catalog: no \"vulnerabilities\" array (is this CISA's "
                       "known_exploited_vulnerabilities.json?)");
        json_decref(root);
        return BW_EMALFORMED;
    }

    struct bw_advisories *a = bw_advisories_new();
    size_t bad = 0;
    size_t i;
    json_t *v;
    json_array_foreach(vulns, i, v)
    {
        struct bw_advisory row;
        char date[32];

        memset(&row, 0, sizeof(row));
        if (!json_is_object(v) || !get_str(row.id, sizeof(row.id), v, "cveID") ||
            strncmp(row.id, "CVE-", 4) != 0 ||
            !get_str(row.vendor, sizeof(row.vendor), v, "vendorProject") ||
            !get_str(row.product, sizeof(row.product), v, "product") ||
            !get_str(row.name, sizeof(row.name), v, "vulnerabilityName") ||
            !get_str(row.action, sizeof(row.action), v, "requiredAction") ||
            !get_str(date, sizeof(date), v, "dateAdded") || !parse_date(&row.added_s, date)) {
            bad++;
            continue;
        }
        bw_advisories_add(a, &row);
    }
    json_decref(root);
    *out = a;
    if (skipped != NULL)
        *skipped = bad;
    return BW_OK;
}
