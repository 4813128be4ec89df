/*
 * enrich/contacts.c - who answers for a network: the contacts table, its CSV import, and the
 * "most specific scope wins" resolution.
 *
 * A contact's scope is a space-separated list of items, each one of: "AS<n>" (an ASN, 1 to
 * 4294967295, "as" in any case), a prefix or a bare address (bw_prefix_parse), or a two-letter
 * country code (upper-cased). Resolution for a device: the longest prefix containing its
 * address, else its ASN, else its country. When two contacts claim the very same item, the one
 * with the more direct role answers (isp, then upstream, then cert), then the one added first.
 *
 * The CSV format, its checks and their messages are in docs/enrichment.md (Sector, contacts, advisories).
 *
 * Invariants:
 *  - rows[] only grows before seal; after seal nothing changes and lookups need no locks.
 *  - Names are unique (names[] is an open-addressing hash of row indices, load <= 1/2).
 *  - After a successful seal every parent names a row and the parent chains have no cycle.
 *  - pfx maps a prefix to a row index; asns[] is sorted by ASN with one entry per ASN;
 *    countries[] holds row index + 1 (0 = none) for "AA".."ZZ".
 */
#include "enrich/enrich.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONTACTS 1000000 /* rows per set; each costs under 1.1 KiB */
#define N_COUNTRIES (26 * 26)

enum item_kind { ITEM_PREFIX, ITEM_ASN, ITEM_COUNTRY };

struct item {
    enum item_kind kind;
    struct bw_prefix prefix; /* ITEM_PREFIX */
    uint32_t asn;            /* ITEM_ASN */
    unsigned country;        /* ITEM_COUNTRY: (c0 - 'A') * 26 + (c1 - 'A') */
    uint32_t row;
};

struct asn_entry {
    uint32_t asn;
    uint32_t row;
};

struct bw_contacts {
    struct bw_contact *rows;
    size_t n_rows, cap_rows;
    uint32_t *names; /* hash slots: row index + 1, 0 = empty */
    size_t n_slots;  /* power of two */
    struct item *items;
    size_t n_items, cap_items;
    bool sealed;
    struct bw_pfxset *pfx;
    struct asn_entry *asns;
    size_t n_asns;
    uint32_t countries[N_COUNTRIES];
};

/* ---- small helpers ---------------------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool ascii_ieq_n(const char *a, size_t n, const char *lit)
{
    size_t i = 0;

    for (; i < n && lit[i] != '\0'; i++) {
        if (ascii_lower(a[i]) != lit[i])
            return false;
    }
    return i == n && lit[i] == '\0';
}

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static const char *role_names[BW_ROLE_COUNT] = { "isp", "upstream", "cert" };

static int role_parse(enum bw_contact_role *out, const char *s, size_t len)
{
    for (int r = 0; r < BW_ROLE_COUNT; r++) {
        if (ascii_ieq_n(s, len, role_names[r])) {
            *out = (enum bw_contact_role)r;
            return BW_OK;
        }
    }
    return BW_EMALFORMED;
}

/* ---- scope items ------------------------------------------------------------------------ */

/* Parses one scope item; BW_EMALFORMED when it is none of the three kinds. */
static int item_parse(struct item *it, const char *s, size_t len)
{
    if (len == 2 && ((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z') &&
        ((s[1] | 32) >= 'a' && (s[1] | 32) <= 'z')) {
        it->kind = ITEM_COUNTRY;
        it->country = (unsigned)((s[0] | 32) - 'a') * 26 + (unsigned)((s[1] | 32) - 'a');
        return BW_OK;
    }
    if (len >= 3 && (s[0] | 32) == 'a' && (s[1] | 32) == 's' && s[2] >= '0' && s[2] <= '9') {
        uint64_t v = 0;

        if (s[2] == '0' || len > 12)
            return BW_EMALFORMED; /* AS0 is reserved; no leading zeros */
        for (size_t i = 2; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return BW_EMALFORMED;
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v > UINT32_MAX)
            return BW_EMALFORMED;
        it->kind = ITEM_ASN;
        it->asn = (uint32_t)v;
        return BW_OK;
    }
    if (bw_prefix_parse(&it->prefix, s, len) == BW_OK) {
        it->kind = ITEM_PREFIX;
        return BW_OK;
    }
    return BW_EMALFORMED;
}

/* Parses each item of scope into items (up to max). Returns the item count, or -1 with
 * *bad / *bad_len set to the first item that does not parse. */
static int scope_split(const char *scope, struct item *items, size_t max, const char **bad,
                       size_t *bad_len)
{
    size_t n = 0;
    const char *p = scope;

    for (;;) {
        while (is_space(*p))
            p++;
        if (*p == '\0')
            break;
        const char *start = p;
        while (*p != '\0' && !is_space(*p))
            p++;
        struct item it;
        if (item_parse(&it, start, (size_t)(p - start)) != BW_OK) {
            *bad = start;
            *bad_len = (size_t)(p - start);
            return -1;
        }
        if (n < max)
            items[n] = it;
        n++;
    }
    return (int)n;
}

/* ---- the set ---------------------------------------------------------------------------- */

struct bw_contacts *bw_contacts_new(void)
{
    struct bw_contacts *c = bw_xcalloc(1, sizeof(*c));

    c->n_slots = 64;
    c->names = bw_xcalloc(c->n_slots, sizeof(c->names[0]));
    return c;
}

void bw_contacts_free(struct bw_contacts *c)
{
    if (c == NULL)
        return;
    free(c->rows);
    free(c->names);
    free(c->items);
    bw_pfxset_free(c->pfx);
    free(c->asns);
    free(c);
}

size_t bw_contacts_count(const struct bw_contacts *c)
{
    return c->n_rows;
}

const struct bw_contact *bw_contacts_at(const struct bw_contacts *c, size_t i)
{
    return i < c->n_rows ? &c->rows[i] : NULL;
}

static size_t name_slot(const struct bw_contacts *c, const char *name)
{
    size_t mask = c->n_slots - 1;
    size_t i = (size_t)hash_name(name) & mask;

    while (c->names[i] != 0 && strcmp(c->rows[c->names[i] - 1].name, name) != 0)
        i = (i + 1) & mask;
    return i;
}

const struct bw_contact *bw_contacts_by_name(const struct bw_contacts *c, const char *name)
{
    if (name == NULL)
        return NULL;
    size_t i = name_slot(c, name);
    return c->names[i] != 0 ? &c->rows[c->names[i] - 1] : NULL;
}

static void names_grow(struct bw_contacts *c)
{
    uint32_t *old = c->names;
    size_t old_n = c->n_slots;

    c->n_slots *= 2;
    c->names = bw_xcalloc(c->n_slots, sizeof(c->names[0]));
    for (size_t i = 0; i < old_n; i++) {
        if (old[i] != 0)
            c->names[name_slot(c, c->rows[old[i] - 1].name)] = old[i];
    }
    free(old);
}

static bool blank(const char *s)
{
    while (is_space(*s))
        s++;
    return *s == '\0';
}

/* Checks a row on its own (not its parent); on failure writes why into why[why_cap]. The
 * problems are looked for in the order the documentation lists them. role_text (may be NULL)
 * is the role as the input spelled it, for the message. */
static int row_check(const struct bw_contact *row, const char *role_text, char *why,
                     size_t why_cap)
{
    if (!terminated(row->name, sizeof(row->name)) || !terminated(row->email, sizeof(row->email)) ||
        !terminated(row->webhook, sizeof(row->webhook)) ||
        !terminated(row->parent, sizeof(row->parent)) ||
        !terminated(row->scope, sizeof(row->scope))) {
        snprintf(why, why_cap, "a field is not NUL-terminated");
        return BW_EINVAL;
    }
    if (row->name[0] == '\0') {
        snprintf(why, why_cap, "missing name");
        return BW_EINVAL;
    }
    if (blank(row->scope)) {
        snprintf(why, why_cap, "empty scope");
        return BW_EINVAL;
    }
    /* A contact without email and webhook is kept: it still answers for its scope, its
     * parent still hears of escalations, and its cases wait with "no delivery route". */
    if (row->email[0] != '\0' &&
        (strchr(row->email, '@') == NULL || strpbrk(row->email, " \t\r\n,;<>") != NULL)) {
        snprintf(why, why_cap, "bad email \"%s\"", row->email);
        return BW_EINVAL;
    }
    if (row->webhook[0] != '\0' && strncmp(row->webhook, "https://", 8) != 0 &&
        strncmp(row->webhook, "http://", 7) != 0) {
        snprintf(why, why_cap, "webhook \"%s\" is not an http(s) URL", row->webhook);
        return BW_EINVAL;
    }
    if ((unsigned)row->role >= BW_ROLE_COUNT) {
        snprintf(why, why_cap, "unknown role \"%s\" (want isp, upstream or cert)",
                 role_text != NULL ? role_text : "?");
        return BW_EINVAL;
    }
    if (strcmp(row->parent, row->name) == 0) {
        snprintf(why, why_cap, "its own parent");
        return BW_EINVAL;
    }

    const char *bad = NULL;
    size_t bad_len = 0;
    if (scope_split(row->scope, NULL, 0, &bad, &bad_len) < 0) {
        snprintf(why, why_cap,
                 "bad scope item \"%.*s\" (want AS<n>, a prefix, an address or a country code)",
                 (int)(bad_len > 64 ? 64 : bad_len), bad);
        return BW_EINVAL;
    }
    return BW_OK;
}

static int add_checked(struct bw_contacts *c, const struct bw_contact *row, const char *role_text,
                       char *why, size_t why_cap)
{
    int rc;

    if (c->sealed) {
        snprintf(why, why_cap, "the set is sealed");
        return BW_ECONFLICT;
    }
    rc = row_check(row, role_text, why, why_cap);
    if (rc != BW_OK)
        return rc;
    if (bw_contacts_by_name(c, row->name) != NULL) {
        snprintf(why, why_cap, "duplicate name \"%s\"", row->name);
        return BW_ECONFLICT;
    }
    if (c->n_rows >= MAX_CONTACTS) {
        snprintf(why, why_cap, "more than %d contacts", MAX_CONTACTS);
        return BW_ETOOBIG;
    }

    const char *bad;
    size_t bad_len;
    size_t n = (size_t)scope_split(row->scope, NULL, 0, &bad, &bad_len);
    if (c->n_items + n > c->cap_items) {
        c->cap_items = c->cap_items * 2 + n + 16;
        c->items = bw_xrealloc(c->items, c->cap_items * sizeof(c->items[0]));
    }
    (void)scope_split(row->scope, c->items + c->n_items, n, &bad, &bad_len);
    for (size_t i = 0; i < n; i++)
        c->items[c->n_items + i].row = (uint32_t)c->n_rows;
    c->n_items += n;

    if (c->n_rows == c->cap_rows) {
        c->cap_rows = c->cap_rows * 2 + 16;
        c->rows = bw_xrealloc(c->rows, c->cap_rows * sizeof(c->rows[0]));
    }
    c->rows[c->n_rows] = *row;
    c->n_rows++;
    if (c->n_rows * 2 > c->n_slots)
        names_grow(c);
    c->names[name_slot(c, row->name)] = (uint32_t)c->n_rows;
    return BW_OK;
}

int bw_contacts_add(struct bw_contacts *c, const struct bw_contact *row)
{
    char why[256];

    return add_checked(c, row, NULL, why, sizeof(why));
}

/* ---- parent chains ---------------------------------------------------------------------- */

enum walk_state { W_NEW, W_ON_PATH, W_OK, W_BAD };

enum walk_problem {
    P_NONE,
    P_UNKNOWN_PARENT,  /* the parent names no row (or a row in rejected[]) */
    P_PARENT_DROPPED,  /* the parent was dropped for its own problem */
    P_CYCLE,           /* the row is on a cycle */
};

struct walk {
    enum walk_state *state;
    enum walk_problem *problem;
    uint32_t *parent; /* row index of the parent, UINT32_MAX when none or unknown */
};

/* Marks every row W_OK or W_BAD with its problem, in time linear in the rows: each walk
 * follows parents from a row until the top, a missing parent, a row already decided, or a row
 * already on this walk (a cycle), then gives the whole walk that outcome. */
static void walk_parents(const struct bw_contacts *c, struct walk *w)
{
    uint32_t *path = bw_xmalloc((c->n_rows + 1) * sizeof(path[0]));

    for (size_t i = 0; i < c->n_rows; i++) {
        const struct bw_contact *p = c->rows[i].parent[0] != '\0'
                                         ? bw_contacts_by_name(c, c->rows[i].parent)
                                         : NULL;
        w->parent[i] = p != NULL ? (uint32_t)(p - c->rows) : UINT32_MAX;
        w->state[i] = W_NEW;
        w->problem[i] = P_NONE;
    }
    for (size_t start = 0; start < c->n_rows; start++) {
        size_t n = 0;
        uint32_t r = (uint32_t)start;
        enum walk_state end = W_OK;
        bool stopped = false;

        while (w->state[r] == W_NEW) {
            w->state[r] = W_ON_PATH;
            path[n++] = r;
            if (c->rows[r].parent[0] == '\0') {
                stopped = true;
                break;
            }
            if (w->parent[r] == UINT32_MAX) {
                w->problem[r] = P_UNKNOWN_PARENT;
                end = W_BAD;
                stopped = true;
                break;
            }
            r = w->parent[r];
        }
        if (n == 0)
            continue;
        if (!stopped) {
            if (w->state[r] == W_ON_PATH) {
                size_t k = 0;
                while (path[k] != r)
                    k++;
                for (size_t j = k; j < n; j++)
                    w->problem[path[j]] = P_CYCLE;
                end = W_BAD;
            } else {
                end = w->state[r];
            }
        }
        for (size_t j = 0; j < n; j++) {
            if (end == W_BAD && w->problem[path[j]] == P_NONE)
                w->problem[path[j]] = P_PARENT_DROPPED;
            w->state[path[j]] = end;
        }
    }
    free(path);
}

/* ---- seal and resolve ------------------------------------------------------------------- */

static bool item_beats(const struct bw_contacts *c, uint32_t a, uint32_t b)
{
    if (c->rows[a].role != c->rows[b].role)
        return c->rows[a].role < c->rows[b].role;
    return a < b;
}

static int asn_cmp(const void *x, const void *y)
{
    const struct asn_entry *a = x, *b = y;

    return a->asn < b->asn ? -1 : a->asn > b->asn;
}

/* Sorting context for prefix items; qsort has no user pointer, so ties are broken by a role
 * copied into the key. */
struct pfx_key {
    struct bw_prefix prefix;
    enum bw_contact_role role;
    uint32_t row;
};

static int pfx_key_cmp(const void *x, const void *y)
{
    const struct pfx_key *a = x, *b = y;
    int d = bw_addr_cmp(&a->prefix.addr, &b->prefix.addr);

    if (d != 0)
        return d;
    if (a->prefix.len != b->prefix.len)
        return a->prefix.len < b->prefix.len ? -1 : 1;
    if (a->role != b->role)
        return a->role < b->role ? -1 : 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

int bw_contacts_seal(struct bw_contacts *c, struct bw_diag *d)
{
    if (c->sealed)
        return BW_OK;

    struct walk w;
    w.state = bw_xmalloc((c->n_rows + 1) * sizeof(w.state[0]));
    w.problem = bw_xmalloc((c->n_rows + 1) * sizeof(w.problem[0]));
    w.parent = bw_xmalloc((c->n_rows + 1) * sizeof(w.parent[0]));
    walk_parents(c, &w);
    int rc = BW_OK;
    for (size_t i = 0; i < c->n_rows && rc == BW_OK; i++) {
        if (w.problem[i] == P_UNKNOWN_PARENT) {
            bw_diag_set(d, "contact \"%s\": parent \"%s\" is not a known contact",
                        c->rows[i].name, c->rows[i].parent);
            rc = BW_ECONFLICT;
        } else if (w.problem[i] == P_CYCLE) {
            bw_diag_set(d, "contact \"%s\" is in a cycle of parents", c->rows[i].name);
            rc = BW_ECONFLICT;
        }
    }
    free(w.state);
    free(w.problem);
    free(w.parent);
    if (rc != BW_OK)
        return rc;

    /* Prefixes: one winner per distinct prefix, then the set. */
    size_t n_pfx = 0;
    struct pfx_key *keys = bw_xmalloc((c->n_items + 1) * sizeof(keys[0]));
    c->asns = bw_xmalloc((c->n_items + 1) * sizeof(c->asns[0]));
    c->n_asns = 0;
    memset(c->countries, 0, sizeof(c->countries));
    for (size_t i = 0; i < c->n_items; i++) {
        const struct item *it = &c->items[i];

        switch (it->kind) {
        case ITEM_PREFIX:
            keys[n_pfx].prefix = it->prefix;
            keys[n_pfx].role = c->rows[it->row].role;
            keys[n_pfx].row = it->row;
            n_pfx++;
            break;
        case ITEM_ASN:
            c->asns[c->n_asns].asn = it->asn;
            c->asns[c->n_asns].row = it->row;
            c->n_asns++;
            break;
        case ITEM_COUNTRY: {
            uint32_t cur = c->countries[it->country];
            if (cur == 0 || item_beats(c, it->row, cur - 1))
                c->countries[it->country] = it->row + 1;
            break;
        }
        }
    }
    bw_sort(keys, n_pfx, sizeof(keys[0]), pfx_key_cmp);
    c->pfx = bw_pfxset_new();
    for (size_t i = 0; i < n_pfx; i++) {
        if (i > 0 && keys[i].prefix.len == keys[i - 1].prefix.len &&
            bw_addr_cmp(&keys[i].prefix.addr, &keys[i - 1].prefix.addr) == 0)
            continue; /* the first of a run is the winner */
        if (bw_pfxset_add(c->pfx, &keys[i].prefix, keys[i].row) != BW_OK)
            bw_panic("contacts: adding to a fresh prefix set failed");
    }
    bw_pfxset_seal(c->pfx);
    free(keys);

    /* ASNs: sort (stable by row through the tie-break), keep one winner per ASN. */
    bw_sort(c->asns, c->n_asns, sizeof(c->asns[0]), asn_cmp);
    size_t out = 0;
    for (size_t i = 0; i < c->n_asns;) {
        size_t j = i;
        uint32_t best = c->asns[i].row;
        while (j < c->n_asns && c->asns[j].asn == c->asns[i].asn) {
            if (item_beats(c, c->asns[j].row, best))
                best = c->asns[j].row;
            j++;
        }
        c->asns[out].asn = c->asns[i].asn;
        c->asns[out].row = best;
        out++;
        i = j;
    }
    c->n_asns = out;
    c->sealed = true;
    return BW_OK;
}

const struct bw_contact *bw_contacts_resolve(const struct bw_contacts *c, const struct bw_addr *a,
                                             uint32_t asn, const char *country)
{
    uint32_t row;

    if (!c->sealed)
        return NULL;
    if (a != NULL && bw_pfxset_lookup(c->pfx, a, &row, NULL))
        return &c->rows[row];
    if (asn != 0) {
        struct asn_entry key = { asn, 0 };
        const struct asn_entry *e = bsearch(&key, c->asns, c->n_asns, sizeof(key), asn_cmp);
        if (e != NULL)
            return &c->rows[e->row];
    }
    if (country != NULL && ((country[0] | 32) >= 'a' && (country[0] | 32) <= 'z') &&
        ((country[1] | 32) >= 'a' && (country[1] | 32) <= 'z') && country[2] == '\0') {
        unsigned k = (unsigned)((country[0] | 32) - 'a') * 26 + (unsigned)((country[1] | 32) - 'a');
        if (c->countries[k] != 0)
            return &c->rows[c->countries[k] - 1];
    }
    return NULL;
}

/* ---- CSV import ------------------------------------------------------------------------- */

enum col { COL_NAME, COL_SCOPE, COL_EMAIL, COL_WEBHOOK, COL_ROLE, COL_PARENT, COL_COUNT };
static const char *const col_names[COL_COUNT] = { "name", "scope", "email",
                                                  "webhook", "role", "parent" };

#define MAX_FIELDS 64
#define MAX_FIELD 4096 /* bytes kept of one field; longer ones are reported */

struct csv {
    const char *p, *end;
    uint64_t line; /* physical line of p, 1-based */
};

struct field {
    char *text; /* NUL-terminated, unquoted, trimmed */
    size_t len;
    bool too_long;
};

/* Reads one record (RFC 4180: quoted fields may hold commas, "" and line breaks; CRLF or LF).
 * Fields go into f[] (up to MAX_FIELDS; *n_fields counts them all) with text in arena. Returns
 * false at end of input. */
static bool csv_record(struct csv *in, struct field *f, size_t *n_fields, char *arena,
                       size_t arena_cap, bool *bad_quote)
{
    size_t nf = 0, used = 0;

    *bad_quote = false;
    if (in->p >= in->end)
        return false;
    for (;;) {
        size_t start = used;
        bool quoted = false, too_long = false;

        while (in->p < in->end && (*in->p == ' ' || *in->p == '\t'))
            in->p++;
        if (in->p < in->end && *in->p == '"') {
            quoted = true;
            in->p++;
        }
        for (;;) {
            if (in->p >= in->end) {
                if (quoted)
                    *bad_quote = true;
                break;
            }
            char ch = *in->p;
            if (quoted) {
                if (ch == '"') {
                    if (in->p + 1 < in->end && in->p[1] == '"') {
                        in->p += 2;
                    } else {
                        in->p++;
                        quoted = false;
                        continue;
                    }
                } else {
                    if (ch == '\n')
                        in->line++;
                    in->p++;
                }
            } else {
                if (ch == ',' || ch == '\n' || ch == '\r')
                    break;
                if (ch == '"')
                    *bad_quote = true; /* a quote inside an unquoted field */
                in->p++;
            }
            if (used + 1 < arena_cap && used - start < MAX_FIELD)
                arena[used++] = ch;
            else
                too_long = true;
        }
        while (used > start && (arena[used - 1] == ' ' || arena[used - 1] == '\t'))
            used--;
        arena[used] = '\0';
        if (nf < MAX_FIELDS) {
            f[nf].text = arena + start;
            f[nf].len = used - start;
            f[nf].too_long = too_long;
        }
        nf++;
        if (used + 1 < arena_cap)
            used++;
        if (in->p < in->end && *in->p == ',') {
            in->p++;
            continue;
        }
        /* End of record: eat a line break. */
        if (in->p < in->end && *in->p == '\r')
            in->p++;
        if (in->p < in->end && *in->p == '\n')
            in->p++;
        in->line++;
        break;
    }
    *n_fields = nf;
    return true;
}

static void report(struct bw_buf *errors, uint64_t line, const char *fmt, ...)
    BW_PRINTF(3, 4);

static void report(struct bw_buf *errors, uint64_t line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (errors == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* Names and values come from the input: keep the message on one line. */
    for (char *q = msg; *q != '\0'; q++) {
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            *q = '?';
    }
    if (bw_buf_printf(errors, "line %llu: %s\n", (unsigned long long)line, msg) != BW_OK) {
        /* The errors buffer is full: bad_rows still counts every row. */
    }
}

struct rejected {
    char name[64];
    uint64_t line;
};

static bool copy_field(char *dst, size_t cap, const struct field *f)
{
    if (f->too_long || f->len >= cap)
        return false;
    memcpy(dst, f->text, f->len + 1);
    return true;
}

/* Finds the first rejected row of that name. */
static const struct rejected *find_rejected(const struct rejected *rej, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++) {
        if (strcmp(rej[k].name, name) == 0)
            return &rej[k];
    }
    return NULL;
}

static void reject_name(struct rejected **rej, size_t *n, size_t *cap, const char *name,
                        uint64_t line)
{
    if (*n == *cap) {
        *cap = *cap * 2 + 16;
        *rej = bw_xrealloc(*rej, *cap * sizeof((*rej)[0]));
    }
    memcpy((*rej)[*n].name, name, sizeof((*rej)[*n].name));
    (*rej)[*n].line = line;
    (*n)++;
}

#define WANT_HEADER "name,scope,email,webhook,role,parent"

int bw_contacts_parse(struct bw_contacts **out, const char *csv, size_t len,
                      struct bw_buf *errors, size_t *bad_rows)
{
    struct csv in = { csv, csv + len, 1 };
    struct field f[MAX_FIELDS];
    size_t nf;
    bool bad_quote;
    size_t arena_cap = len + MAX_FIELDS + 2;
    char *arena = bw_xmalloc(arena_cap);
    int col_of[COL_COUNT];
    size_t header_fields = 0;
    size_t bad = 0;
    uint64_t header_line;

    if (len >= 3 && memcmp(csv, "\xef\xbb\xbf", 3) == 0)
        in.p += 3;
    /* The header; blank lines before it are skipped. */
    do {
        header_line = in.line;
        if (!csv_record(&in, f, &nf, arena, arena_cap, &bad_quote)) {
            report(errors, header_line, "no header (want " WANT_HEADER ")");
            free(arena);
            return BW_EMALFORMED;
        }
    } while (nf == 1 && f[0].len == 0);
    for (int k = 0; k < COL_COUNT; k++)
        col_of[k] = -1;
    for (size_t i = 0; i < nf && i < MAX_FIELDS; i++) {
        for (int k = 0; k < COL_COUNT; k++) {
            if (!ascii_ieq_n(f[i].text, f[i].len, col_names[k]))
                continue;
            if (col_of[k] >= 0) {
                report(errors, header_line, "the header names column \"%s\" twice",
                       col_names[k]);
                free(arena);
                return BW_EMALFORMED;
            }
            col_of[k] = (int)i;
            if (i + 1 > header_fields)
                header_fields = i + 1;
        }
    }
    if (bad_quote || nf > MAX_FIELDS || col_of[COL_NAME] < 0 || col_of[COL_SCOPE] < 0 ||
        col_of[COL_ROLE] < 0 || (col_of[COL_EMAIL] < 0 && col_of[COL_WEBHOOK] < 0)) {
        report(errors, header_line, "bad header (want " WANT_HEADER ", in any order)");
        free(arena);
        return BW_EMALFORMED;
    }

    struct bw_contacts *c = bw_contacts_new();
    uint64_t *lines = NULL; /* input line of each row in c */
    size_t cap_lines = 0;
    struct rejected *rej = NULL; /* rows refused on their own, by name */
    size_t n_rej = 0, cap_rej = 0;
    char why[384];

    for (;;) {
        uint64_t line = in.line;
        if (!csv_record(&in, f, &nf, arena, arena_cap, &bad_quote))
            break;
        if (nf == 1 && f[0].len == 0)
            continue; /* a blank line */
        bad++;
        if (bad_quote) {
            report(errors, line, "bad quoting (RFC 4180: a quoted field ends with a lone \")");
            continue;
        }
        if (nf > MAX_FIELDS) {
            report(errors, line, "%zu fields, more than %d", nf, MAX_FIELDS);
            continue;
        }
        if (nf < header_fields) {
            report(errors, line, "%zu fields, the header has %zu", nf, header_fields);
            continue;
        }

        struct bw_contact row;
        char role_text[32];
        memset(&row, 0, sizeof(row));
        role_text[0] = '\0';
        char *dst[COL_COUNT] = { row.name, row.scope, row.email, row.webhook, role_text,
                                 row.parent };
        const size_t caps[COL_COUNT] = { sizeof(row.name),    sizeof(row.scope),
                                         sizeof(row.email),   sizeof(row.webhook),
                                         sizeof(role_text),   sizeof(row.parent) };
        int too_long = -1;
        for (int k = 0; k < COL_COUNT && too_long < 0; k++) {
            if (col_of[k] >= 0 && !copy_field(dst[k], caps[k], &f[col_of[k]]))
                too_long = k;
        }
        if (too_long >= 0) {
            report(errors, line, "%s is longer than %zu bytes", col_names[too_long],
                   caps[too_long] - 1);
            if (too_long != COL_NAME && row.name[0] != '\0')
                reject_name(&rej, &n_rej, &cap_rej, row.name, line);
            continue;
        }
        if (row.name[0] == '\0') {
            report(errors, line, "missing name");
            continue;
        }
        const struct bw_contact *dup = bw_contacts_by_name(c, row.name);
        if (dup != NULL) {
            report(errors, line, "duplicate name \"%s\" (first on line %llu)", row.name,
                   (unsigned long long)lines[dup - c->rows]);
            continue;
        }
        if (role_parse(&row.role, role_text, strlen(role_text)) != BW_OK)
            row.role = BW_ROLE_COUNT; /* row_check reports it in its turn */
        if (add_checked(c, &row, role_text, why, sizeof(why)) != BW_OK) {
            report(errors, line, "contact \"%s\": %s", row.name, why);
            reject_name(&rej, &n_rej, &cap_rej, row.name, line);
            continue;
        }
        if (c->n_rows > cap_lines) {
            cap_lines = cap_lines * 2 + 16;
            lines = bw_xrealloc(lines, cap_lines * sizeof(lines[0]));
        }
        lines[c->n_rows - 1] = line;
        bad--;
    }
    free(arena);

    /* Parents: drop rows whose parent is unknown or refused, or whose chain loops. */
    struct walk w;
    w.state = bw_xmalloc((c->n_rows + 1) * sizeof(w.state[0]));
    w.problem = bw_xmalloc((c->n_rows + 1) * sizeof(w.problem[0]));
    w.parent = bw_xmalloc((c->n_rows + 1) * sizeof(w.parent[0]));
    walk_parents(c, &w);
    struct bw_contacts *kept = bw_contacts_new();
    for (size_t i = 0; i < c->n_rows; i++) {
        const struct bw_contact *row = &c->rows[i];

        switch (w.problem[i]) {
        case P_NONE:
            if (bw_contacts_add(kept, row) != BW_OK)
                bw_panic("contacts: a checked row was refused");
            continue;
        case P_UNKNOWN_PARENT: {
            const struct rejected *r = find_rejected(rej, n_rej, row->parent);
            if (r != NULL)
                report(errors, lines[i],
                       "contact \"%s\": parent \"%s\" (line %llu) was not accepted", row->name,
                       row->parent, (unsigned long long)r->line);
            else
                report(errors, lines[i], "contact \"%s\": parent \"%s\" is not a known contact",
                       row->name, row->parent);
            break;
        }
        case P_PARENT_DROPPED:
            report(errors, lines[i], "contact \"%s\": parent \"%s\" (line %llu) was not accepted",
                   row->name, row->parent, (unsigned long long)lines[w.parent[i]]);
            break;
        case P_CYCLE: {
            /* Name the whole cycle, starting from this row. */
            char chain[400];
            size_t used = 0;
            uint32_t r = (uint32_t)i;
            do {
                int k = snprintf(chain + used, sizeof(chain) - used, "%s -> ", c->rows[r].name);
                if (k < 0 || (size_t)k >= sizeof(chain) - used)
                    break;
                used += (size_t)k;
                r = w.parent[r];
            } while (r != i);
            if (used < sizeof(chain))
                snprintf(chain + used, sizeof(chain) - used, "%s", row->name);
            report(errors, lines[i], "contact \"%s\" is in a cycle of parents (%s)", row->name,
                   chain);
            break;
        }
        }
        bad++;
    }
    free(w.state);
    free(w.problem);
    free(w.parent);
    free(lines);
    free(rej);
    bw_contacts_free(c);

    struct bw_diag d;
    if (bw_contacts_seal(kept, &d) != BW_OK)
        bw_panic("contacts: a checked set failed to seal: %s", d.msg);
    *out = kept;
    if (bad_rows != NULL)
        *bad_rows = bad;
    return BW_OK;
}
