/*
 * fuzz/fuzz_index.c - libFuzzer target for the snapshot file validator (index/index.c), the
 * only code that reads a snapshot a mirror may have fetched from anywhere.
 *
 * Each input is tried twice:
 *  - as is, through bw_index_open_mem(): anything but a well-formed file must be refused;
 *  - with its size and checksum fields made right (the layout of docs/snapshot.md: file_bytes
 *    at offset 16, BLAKE2b-256 at 96 over bytes [0, 96) and [128, end)), so the fuzzer gets
 *    past the checksum and reaches every structural check behind it.
 * Whatever opens is then used as a server would: every entry walked, each address entry looked
 * up (it must be found, as itself, with the same categories), the counts of the walk matching
 * bw_index_stat(), and lookups of addresses taken from the input. Any crash, sanitizer report
 * or failed check (abort) is a bug.
 */
#include "index/index.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_index: check failed: %s (line %d)\n", #cond, __LINE__);      \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

struct counts {
    const struct bw_index *ix;
    uint64_t addrs, prefixes;
    struct bw_index_entry last;
    bool have_last;
};

static int visit(void *ctx, const struct bw_index_entry *e)
{
    struct counts *c = ctx;
    struct bw_index_entry hit;

    CHECK(e->prefix.len >= 1 && e->prefix.len <= 128);
    CHECK(e->cats != 0 && e->score <= 100);
    if (c->have_last) { /* address order, a shorter prefix before a longer one at one address */
        int cmp = memcmp(c->last.prefix.addr.b, e->prefix.addr.b, 16);

        CHECK(cmp < 0 || (cmp == 0 && c->last.prefix.len < e->prefix.len));
    }
    c->last = *e;
    c->have_last = true;
    if (e->prefix.len == 128) {
        c->addrs++;
        CHECK(bw_index_lookup(c->ix, &e->prefix.addr, &hit));
        CHECK(hit.prefix.len == 128);
        CHECK(memcmp(hit.prefix.addr.b, e->prefix.addr.b, 16) == 0);
        CHECK(hit.cats == e->cats && hit.score == e->score);
    } else {
        c->prefixes++;
        CHECK(bw_index_lookup(c->ix, &e->prefix.addr, NULL));
    }
    return 0;
}

static void exercise(const struct bw_index *ix, const uint8_t *data, size_t size)
{
    struct counts c = { .ix = ix };
    struct bw_index_info info;

    bw_index_stat(ix, &info);
    CHECK(bw_index_walk(ix, visit, &c) == BW_OK);
    CHECK(c.addrs == info.v4_addresses + info.v6_addresses);
    CHECK(c.prefixes == info.prefixes);
    CHECK(info.file_bytes == size);
    for (size_t off = 0; off + 16 <= size && off < 4096; off += 7) {
        struct bw_addr a;
        struct bw_index_entry e;

        memcpy(a.b, data + off, 16);
        if (bw_index_lookup(ix, &a, &e))
            CHECK(e.prefix.len >= 1 && e.cats != 0 && bw_prefix_contains(&e.prefix, &a));
        memset(a.b, 0, 10); /* and as an IPv4 address */
        a.b[10] = a.b[11] = 0xff;
        if (bw_index_lookup(ix, &a, &e))
            CHECK(bw_prefix_contains(&e.prefix, &a));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bw_index *ix = NULL;
    struct bw_diag d;
    uint8_t *fixed;

    if (sodium_init() < 0)
        abort();
    if (bw_index_open_mem(&ix, data, size, &d) == BW_OK) {
        exercise(ix, data, size);
        bw_index_close(ix);
        ix = NULL;
    } else {
        CHECK(d.msg[0] != '\0');
    }
    if (size < 128)
        return 0;
    fixed = malloc(size);
    CHECK(fixed != NULL);
    memcpy(fixed, data, size);
    {
        uint64_t n = size;
        crypto_generichash_state st;

        memcpy(fixed + 16, &n, 8); /* little-endian hosts only, like the format */
        crypto_generichash_init(&st, NULL, 0, 32);
        crypto_generichash_update(&st, fixed, 96);
        crypto_generichash_update(&st, fixed + 128, size - 128);
        crypto_generichash_final(&st, fixed + 96, 32);
    }
    if (bw_index_open_mem(&ix, fixed, size, &d) == BW_OK) {
        exercise(ix, fixed, size);
        bw_index_close(ix);
    }
    free(fixed);
    return 0;
}
