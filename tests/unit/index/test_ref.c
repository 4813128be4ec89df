/*
 * tests/unit/index/test_ref.c - the reference-counted slot servers swap snapshots in: a reader
 * keeps the index it pinned across a swap, and under concurrent readers 100 swaps never show a
 * reader a freed or half-swapped index (ASan builds catch a use after free; LeakSanitizer a
 * retired index that is never closed).
 */
#include "test.h"
#include "index/index.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define READERS 4
#define SWAPS 100

struct fx {
    char dir[64];
    char a[128], b[128]; /* a lists 81.2.69.142 (built_s 1), b lists 89.160.21.7 (built_s 2) */
};

static struct bw_addr addr(const char *s)
{
    struct bw_addr a;

    if (bw_addr_parse(&a, s, strlen(s)) != BW_OK)
        fail_msg("%s: test address does not parse", s);
    return a;
}

static void build(const char *path, const char *ip, int64_t built_s)
{
    struct bw_index_builder *b = bw_index_builder_new();
    struct bw_prefix p = { .addr = addr(ip), .len = 128 };
    struct bw_diag d = { "" };
    uint64_t n;

    assert_int_equal(bw_index_builder_add(b, &p, 1u << BW_CAT_SCAN, 50), BW_OK);
    assert_int_equal(bw_index_builder_finish(b, path, built_s, &n, &d), BW_OK);
}

static struct bw_index *open_ix(const char *path)
{
    struct bw_index *ix = NULL;
    struct bw_diag d = { "" };

    if (bw_index_open(&ix, path, &d) != BW_OK)
        fail_msg("open: %s", d.msg);
    return ix;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/bw-test-ref-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->a, sizeof(f->a), "%s/a.bin", f->dir);
    snprintf(f->b, sizeof(f->b), "%s/b.bin", f->dir);
    build(f->a, "81.2.69.142", 1);
    build(f->b, "89.160.21.7", 2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    unlink(f->a);
    unlink(f->b);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void pinned_index_survives_a_swap(void **state)
{
    struct fx *f = *state;
    struct bw_index_ref *r = bw_index_ref_new(open_ix(f->a));
    struct bw_addr x = addr("81.2.69.142"), y = addr("89.160.21.7");
    const struct bw_index *old, *cur;
    struct bw_index_info info;

    old = bw_index_ref_get(r);
    bw_index_ref_swap(r, open_ix(f->b));
    /* the old one is still whole for the reader that holds it */
    assert_true(bw_index_lookup(old, &x, NULL));
    assert_false(bw_index_lookup(old, &y, NULL));
    bw_index_stat(old, &info);
    assert_int_equal(info.built_s, 1);
    cur = bw_index_ref_get(r);
    assert_ptr_not_equal(cur, old);
    assert_true(bw_index_lookup(cur, &y, NULL));
    bw_index_ref_put(r, old); /* the last reference: closed here */
    bw_index_ref_put(r, cur);
    bw_index_ref_free(r);
}

struct shared {
    struct bw_index_ref *r;
    atomic_bool stop;
    atomic_ulong lookups;
    atomic_ulong bad;       /* a lookup that saw neither index whole */
    atomic_ulong seen[2];   /* lookups answered by a and by b */
};

static void *reader(void *arg)
{
    struct shared *s = arg;
    struct bw_addr x = addr("81.2.69.142"), y = addr("89.160.21.7");

    while (!atomic_load(&s->stop)) {
        const struct bw_index *ix = bw_index_ref_get(s->r);
        struct bw_index_info info;
        bool hx = bw_index_lookup(ix, &x, NULL);
        bool hy = bw_index_lookup(ix, &y, NULL);

        bw_index_stat(ix, &info);
        if (hx == hy || (hx && info.built_s != 1) || (hy && info.built_s != 2))
            atomic_fetch_add(&s->bad, 1);
        else
            atomic_fetch_add(&s->seen[hx ? 0 : 1], 1);
        atomic_fetch_add(&s->lookups, 1);
        bw_index_ref_put(s->r, ix);
    }
    return NULL;
}

static void swaps_under_concurrent_readers(void **state)
{
    struct fx *f = *state;
    struct shared s = { .r = bw_index_ref_new(open_ix(f->a)) };
    pthread_t t[READERS];
    unsigned long before;

    atomic_init(&s.stop, false);
    atomic_init(&s.lookups, 0);
    atomic_init(&s.bad, 0);
    atomic_init(&s.seen[0], 0);
    atomic_init(&s.seen[1], 0);
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, &s), 0);
    for (int i = 0; i < SWAPS; i++) {
        /* let the readers run between swaps: wait for a few more lookups (bounded) */
        before = atomic_load(&s.lookups);
        for (int spin = 0; spin < 1000000 && atomic_load(&s.lookups) < before + 20; spin++)
            sched_yield();
        bw_index_ref_swap(s.r, open_ix(i % 2 == 0 ? f->b : f->a));
    }
    atomic_store(&s.stop, true);
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(atomic_load(&s.bad), 0);
    assert_true(atomic_load(&s.lookups) > 0);
    assert_int_equal(atomic_load(&s.seen[0]) + atomic_load(&s.seen[1]),
                     atomic_load(&s.lookups));
    /* 100 swaps alternate: the last one put a back in service */
    {
        const struct bw_index *ix = bw_index_ref_get(s.r);
        struct bw_index_info info;

        bw_index_stat(ix, &info);
        assert_int_equal(info.built_s, 1);
        bw_index_ref_put(s.r, ix);
    }
    bw_index_ref_free(s.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pinned_index_survives_a_swap, setup, teardown),
        cmocka_unit_test_setup_teardown(swaps_under_concurrent_readers, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
