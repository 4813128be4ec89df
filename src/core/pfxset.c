/*
 * core/pfxset.c - longest-prefix-match sets: ASN and country tables, allow/deny lists.
 *
 * Hand-written rather than taken from a library because it is a core data structure of the
 * product (every report and every DNSBL query does a lookup), and this shape lets lookups be
 * lock-free and allocation-free: after seal the set is an immutable sorted array that any number
 * of threads may binary-search at once, with no trie nodes to chase and nothing to free.
 *
 * How: bw_pfxset_add() only collects (prefix, value). bw_pfxset_seal() sorts the prefixes by
 * start address, widest first, and sweeps them with a stack of the prefixes that are open at the
 * current address, cutting the address space into disjoint ranges; each range remembers the most
 * specific prefix covering it. Prefixes either nest or are disjoint, so the stack top is always
 * the most specific open prefix. Lookup is a binary search for the last range starting at or
 * below the address.
 *
 * Invariants:
 *  - Before seal: only add. After seal: only lookup (adds fail with BW_ECONFLICT).
 *  - After seal, pfx[] holds distinct prefixes sorted by (addr, len); a prefix added twice keeps
 *    the value of its last add.
 *  - ranges[] is sorted, disjoint, and every range lies inside the prefix it points to.
 *  - n_ranges <= 2 * n_pfx + 1 (each prefix opens at most one range and splits its parent once).
 */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

struct u128 {
    uint64_t hi, lo;
};

struct entry {
    struct bw_prefix pfx;
    uint32_t value;
    size_t seq; /* add order, so the last of duplicate adds wins after sorting */
};

struct range {
    struct u128 lo, hi; /* inclusive */
    uint32_t pfx_index; /* into pfx[] */
};

struct bw_pfxset {
    struct entry *pfx;
    size_t n_pfx;
    size_t cap_pfx;
    struct range *ranges;
    size_t n_ranges;
    bool sealed;
};

static struct u128 to_u128(const struct bw_addr *a)
{
    struct u128 v = { 0, 0 };

    for (int i = 0; i < 8; i++) {
        v.hi = v.hi << 8 | a->b[i];
        v.lo = v.lo << 8 | a->b[i + 8];
    }
    return v;
}

static int u128_cmp(struct u128 a, struct u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

static struct u128 u128_inc(struct u128 a)
{
    a.lo++;
    if (a.lo == 0)
        a.hi++;
    return a;
}

static struct u128 u128_dec(struct u128 a)
{
    if (a.lo == 0)
        a.hi--;
    a.lo--;
    return a;
}

/* Last address of a prefix: the start with all host bits set. */
static struct u128 prefix_end(const struct bw_prefix *p)
{
    struct u128 v = to_u128(&p->addr);
    unsigned host = 128u - p->len;

    if (host >= 64) {
        v.lo = UINT64_MAX;
        v.hi |= host == 128 ? UINT64_MAX : (UINT64_C(1) << (host - 64)) - 1;
    } else if (host > 0) {
        v.lo |= (UINT64_C(1) << host) - 1;
    }
    return v;
}

static int entry_cmp(const void *pa, const void *pb)
{
    const struct entry *a = pa;
    const struct entry *b = pb;
    int c = memcmp(a->pfx.addr.b, b->pfx.addr.b, sizeof(a->pfx.addr.b));

    if (c != 0)
        return c;
    if (a->pfx.len != b->pfx.len)
        return a->pfx.len < b->pfx.len ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

struct bw_pfxset *bw_pfxset_new(void)
{
    return bw_xcalloc(1, sizeof(struct bw_pfxset));
}

void bw_pfxset_free(struct bw_pfxset *s)
{
    if (s == NULL)
        return;
    free(s->pfx);
    free(s->ranges);
    free(s);
}

int bw_pfxset_add(struct bw_pfxset *s, const struct bw_prefix *p, uint32_t value)
{
    struct bw_prefix check;

    BW_ASSERT(s != NULL && p != NULL);
    if (s->sealed)
        return BW_ECONFLICT;
    if (p->len > 128)
        return BW_EINVAL;
    /* A prefix with host bits set would break the nesting the sweep relies on. */
    check.addr = p->addr;
    check.len = p->len;
    for (unsigned i = p->len; i < 128; i++) {
        if (check.addr.b[i / 8] & (0x80u >> (i % 8)))
            return BW_EINVAL;
    }
    /* pfx_index is 32 bits wide; a set this size would be a bug long before memory runs out. */
    if (s->n_pfx >= UINT32_MAX)
        return BW_ETOOBIG;
    if (s->n_pfx == s->cap_pfx) {
        size_t cap = s->cap_pfx ? s->cap_pfx * 2 : 64;
        if (cap > SIZE_MAX / sizeof(*s->pfx) / 2)
            return BW_ETOOBIG;
        s->pfx = bw_xrealloc(s->pfx, cap * sizeof(*s->pfx));
        s->cap_pfx = cap;
    }
    s->pfx[s->n_pfx].pfx = check;
    s->pfx[s->n_pfx].value = value;
    s->pfx[s->n_pfx].seq = s->n_pfx;
    s->n_pfx++;
    return BW_OK;
}

static void emit(struct bw_pfxset *s, struct u128 lo, struct u128 hi, size_t pfx_index)
{
    struct range *r = &s->ranges[s->n_ranges++];

    r->lo = lo;
    r->hi = hi;
    r->pfx_index = (uint32_t)pfx_index;
}

void bw_pfxset_seal(struct bw_pfxset *s)
{
    size_t *stack;
    size_t depth = 0;
    size_t n = 0;
    struct u128 pos = { 0, 0 };
    bool past_end = false; /* pos wrapped past ffff...ffff: nothing is left to emit */

    if (s->sealed)
        return;
    s->sealed = true;
    if (s->n_pfx == 0)
        return;

    bw_sort(s->pfx, s->n_pfx, sizeof(*s->pfx), entry_cmp);
    /* Keep one entry per prefix: the last of a run of equals, which has the highest seq. */
    for (size_t i = 0; i < s->n_pfx; i++) {
        if (i + 1 < s->n_pfx && s->pfx[i + 1].pfx.len == s->pfx[i].pfx.len &&
            memcmp(s->pfx[i + 1].pfx.addr.b, s->pfx[i].pfx.addr.b, 16) == 0)
            continue;
        s->pfx[n++] = s->pfx[i];
    }
    s->n_pfx = n;
    s->pfx = bw_xrealloc(s->pfx, n * sizeof(*s->pfx));
    s->cap_pfx = n;

    s->ranges = bw_xcalloc(2 * n + 1, sizeof(*s->ranges));
    /* Nesting depth is at most 129 (one prefix per length), but n bounds it too. */
    stack = bw_xcalloc(n < 129 ? n : 129, sizeof(*stack));

    for (size_t i = 0; i <= n; i++) {
        struct u128 start = { 0, 0 };
        if (i < n)
            start = to_u128(&s->pfx[i].pfx.addr);
        /* Close every open prefix that ends before this one starts (all of them at the end). */
        while (depth > 0) {
            size_t top = stack[depth - 1];
            struct u128 end = prefix_end(&s->pfx[top].pfx);
            if (i < n && u128_cmp(end, start) >= 0)
                break;
            if (!past_end && u128_cmp(pos, end) <= 0) {
                emit(s, pos, end, top);
                pos = u128_inc(end);
                past_end = pos.hi == 0 && pos.lo == 0;
            }
            depth--;
        }
        if (i == n)
            break;
        /* The enclosing prefix owns the stretch up to where this more specific one begins. */
        if (depth > 0 && !past_end && u128_cmp(pos, start) < 0)
            emit(s, pos, u128_dec(start), stack[depth - 1]);
        BW_ASSERT(depth < 129);
        stack[depth++] = i;
        pos = start;
        past_end = false;
    }
    free(stack);
    BW_ASSERT(s->n_ranges <= 2 * n + 1);
}

size_t bw_pfxset_count(const struct bw_pfxset *s)
{
    return s->n_pfx;
}

bool bw_pfxset_lookup(const struct bw_pfxset *s, const struct bw_addr *a, uint32_t *value,
                      struct bw_prefix *match)
{
    struct u128 key = to_u128(a);
    size_t lo = 0;
    size_t hi = s->n_ranges;

    BW_ASSERT(s->sealed);
    /* Find the first range starting above key; the one before it is the candidate. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u128_cmp(s->ranges[mid].lo, key) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    const struct range *r = &s->ranges[lo - 1];
    if (u128_cmp(key, r->hi) > 0)
        return false;
    if (value != NULL)
        *value = s->pfx[r->pfx_index].value;
    if (match != NULL)
        *match = s->pfx[r->pfx_index].pfx;
    return true;
}
