/*
 * export/cidr.c - the fewest CIDR blocks covering a union of ranges, written by hand.
 * Invariants:
 *  - Addresses are 128-bit unsigned numbers (the 16-byte form; IPv4 is ::ffff:a.b.c.d), so one
 *    merge serves both families and never needs to know which one it holds.
 *  - The open range [lo, hi] is the union of everything added since the last emitted block;
 *    a new range that starts past hi + 1 closes it. Input sorted by start is what makes one
 *    open range enough.
 *  - A closed range is cut greedily from its low end: each block is the largest one aligned
 *    at the current start that does not pass hi, which is the minimal cover of an interval.
 */
#include "export/export.h"

#include <string.h>

__extension__ typedef unsigned __int128 u128;

/* Network order (big-endian) 64-bit halves to host numbers and back. */
static uint64_t be64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return v;
#else
    return __builtin_bswap64(v);
#endif
}

static u128 to_u128(const struct bw_addr *a)
{
    uint64_t hi, lo;

    memcpy(&hi, a->b, 8);
    memcpy(&lo, a->b + 8, 8);
    return (u128)be64(hi) << 64 | be64(lo);
}

static void from_u128(struct bw_addr *a, u128 v)
{
    uint64_t hi = be64((uint64_t)(v >> 64)), lo = be64((uint64_t)v);

    memcpy(a->b, &hi, 8);
    memcpy(a->b + 8, &lo, 8);
}

static unsigned ctz128(u128 v) /* 128 for 0 */
{
    uint64_t low = (uint64_t)v, high = (uint64_t)(v >> 64);

    if (low != 0)
        return (unsigned)__builtin_ctzll(low);
    if (high != 0)
        return 64 + (unsigned)__builtin_ctzll(high);
    return 128;
}

static unsigned log2_floor128(u128 v) /* v > 0 */
{
    uint64_t high = (uint64_t)(v >> 64);

    if (high != 0)
        return 127 - (unsigned)__builtin_clzll(high);
    return 63 - (unsigned)__builtin_clzll((uint64_t)v);
}

void bw_cidr_init(struct bw_cidr *c, bw_cidr_cb cb, void *ctx)
{
    memset(c, 0, sizeof(*c));
    c->cb = cb;
    c->ctx = ctx;
}

/* Emits [lo, hi] as blocks. */
static int emit(struct bw_cidr *c, u128 lo, u128 hi)
{
    for (;;) {
        unsigned k = ctz128(lo);
        u128 span_minus_1 = hi - lo;
        struct bw_prefix p;
        int rc;

        if (span_minus_1 != ~(u128)0) { /* else the whole space: k is already 128 */
            unsigned fit = log2_floor128(span_minus_1 + 1);

            if (fit < k)
                k = fit;
        }
        from_u128(&p.addr, lo);
        p.len = (uint8_t)(128 - k);
        c->blocks++;
        rc = c->cb(c->ctx, &p);
        if (rc != 0)
            return rc;
        if (k == 128)
            return BW_OK;
        u128 last = lo + (((u128)1 << k) - 1);

        if (last >= hi)
            return BW_OK;
        lo = last + 1;
    }
}

int bw_cidr_add_range(struct bw_cidr *c, const struct bw_addr *lo, const struct bw_addr *hi)
{
    u128 a = to_u128(lo), b = to_u128(hi), cur_lo, cur_hi;
    int rc;

    if (b < a)
        return BW_EINVAL;
    if (!c->open) {
        c->lo = *lo;
        c->hi = *hi;
        c->open = true;
        return BW_OK;
    }
    cur_lo = to_u128(&c->lo);
    cur_hi = to_u128(&c->hi);
    if (a < cur_lo)
        return BW_EINVAL;
    if (cur_hi == ~(u128)0 || a <= cur_hi + 1) {
        if (b > cur_hi)
            c->hi = *hi;
        return BW_OK;
    }
    rc = emit(c, cur_lo, cur_hi);
    if (rc != 0)
        return rc;
    c->lo = *lo;
    c->hi = *hi;
    return BW_OK;
}

int bw_cidr_add(struct bw_cidr *c, const struct bw_prefix *p)
{
    u128 lo, host;
    struct bw_addr hi;

    if (p->len > 128)
        return BW_EINVAL;
    lo = to_u128(&p->addr);
    host = p->len == 0 ? ~(u128)0 : (((u128)1 << (128 - p->len)) - 1);
    if ((lo & host) != 0)
        return BW_EINVAL;
    from_u128(&hi, lo | host);
    return bw_cidr_add_range(c, &p->addr, &hi);
}

int bw_cidr_finish(struct bw_cidr *c)
{
    int rc = BW_OK;

    if (c->open) {
        c->open = false;
        rc = emit(c, to_u128(&c->lo), to_u128(&c->hi));
    }
    return rc;
}
