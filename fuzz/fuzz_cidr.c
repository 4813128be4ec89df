/*
 * fuzz/fuzz_cidr.c - libFuzzer target for the CIDR aggregation of export/cidr.c and the
 * hand-written prefix and rpz-ip text of export/formats.c.
 * Input: records of 17 bytes (16 address bytes, then a length taken modulo 129); host bits
 * are cleared, the records sorted, then aggregated. Properties checked (abort on violation):
 *  - blocks come in address order, never overlap, and have zero host bits;
 *  - the union of the blocks is exactly the union of the input prefixes (compared with a
 *    naive interval merge done here on 128-bit numbers);
 *  - the cover is minimal: no two neighbouring blocks are the two halves of one prefix;
 *  - bw_export_put_prefix() text parses back to the same prefix and fits
 *    BW_EXPORT_PREFIX_MAX; bw_export_put_rpz_ip() fits 64 bytes.
 */
#include "export/export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_cidr: check failed: %s (line %d)\n", #cond, __LINE__);       \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#define MAX_IN 512

__extension__ typedef unsigned __int128 u128;

static u128 num(const struct bw_addr *a)
{
    u128 v = 0;

    for (int i = 0; i < 16; i++)
        v = v << 8 | a->b[i];
    return v;
}

static u128 last_of(u128 lo, unsigned len)
{
    return len == 0 ? ~(u128)0 : lo | (len == 128 ? 0 : (((u128)1 << (128 - len)) - 1));
}

struct seen {
    u128 lo[MAX_IN * 256 + 1], hi[MAX_IN * 256 + 1]; /* blocks as ranges */
    unsigned len[MAX_IN * 256 + 1];
    size_t n;
};

static struct seen seen;

static int on_block(void *ctx, const struct bw_prefix *p)
{
    char text[BW_EXPORT_PREFIX_MAX + 1], rpz[80];
    struct bw_prefix back;
    size_t n;
    u128 lo = num(&p->addr);

    (void)ctx;
    CHECK(p->len <= 128);
    CHECK(last_of(lo, p->len) - lo == last_of(0, p->len)); /* host bits zero */
    CHECK(seen.n < BW_ARRAY_LEN(seen.lo));
    seen.lo[seen.n] = lo;
    seen.hi[seen.n] = last_of(lo, p->len);
    seen.len[seen.n] = p->len;
    seen.n++;
    n = bw_export_put_prefix(text, p);
    CHECK(n <= BW_EXPORT_PREFIX_MAX);
    text[n] = '\0';
    /* An IPv4-mapped block shorter than /96 is printed as IPv6 and parses back as such. */
    CHECK(bw_prefix_parse(&back, text, n) == BW_OK);
    CHECK(back.len == p->len && memcmp(back.addr.b, p->addr.b, 16) == 0);
    n = bw_export_put_rpz_ip(rpz, p);
    CHECK(n <= 64);
    return 0;
}

static int cmp_prefix(const void *a, const void *b)
{
    const struct bw_prefix *x = a, *y = b;
    int c = memcmp(x->addr.b, y->addr.b, 16);

    return c != 0 ? c : (int)x->len - (int)y->len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bw_prefix in[MAX_IN];
    static u128 mlo[MAX_IN], mhi[MAX_IN];
    size_t n = size / 17, m = 0, bi = 0;
    struct bw_cidr c;

    if (n > MAX_IN)
        n = MAX_IN;
    for (size_t i = 0; i < n; i++) {
        memcpy(in[i].addr.b, data + 17 * i, 16);
        in[i].len = (uint8_t)(data[17 * i + 16] % 129);
        for (unsigned bit = in[i].len; bit < 128; bit++)
            in[i].addr.b[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
    }
    qsort(in, n, sizeof(in[0]), cmp_prefix);
    seen.n = 0;
    bw_cidr_init(&c, on_block, NULL);
    for (size_t i = 0; i < n; i++)
        CHECK(bw_cidr_add(&c, &in[i]) == BW_OK);
    CHECK(bw_cidr_finish(&c) == BW_OK);
    CHECK(c.blocks == seen.n);

    /* the naive union: merge touching or overlapping intervals */
    for (size_t i = 0; i < n; i++) {
        u128 lo = num(&in[i].addr), hi = last_of(lo, in[i].len);

        if (m > 0 && (mhi[m - 1] == ~(u128)0 || lo <= mhi[m - 1] + 1)) {
            if (hi > mhi[m - 1])
                mhi[m - 1] = hi;
        } else {
            mlo[m] = lo;
            mhi[m] = hi;
            m++;
        }
    }
    /* blocks tile the merged intervals exactly, in order */
    for (size_t k = 0; k < m; k++) {
        u128 at = mlo[k];

        for (;;) {
            CHECK(bi < seen.n);
            CHECK(seen.lo[bi] == at);
            CHECK(seen.hi[bi] <= mhi[k]);
            if (bi > 0 && seen.len[bi] == seen.len[bi - 1] && seen.len[bi] > 0 &&
                seen.lo[bi] == seen.hi[bi - 1] + 1) {
                /* two equal neighbours must not be the halves of their parent */
                u128 parent_bit = (u128)1 << (128 - seen.len[bi]);

                CHECK((seen.lo[bi - 1] & parent_bit) != 0);
            }
            if (seen.hi[bi] == mhi[k]) {
                bi++;
                break;
            }
            at = seen.hi[bi] + 1;
            bi++;
        }
    }
    CHECK(bi == seen.n);
    return 0;
}
