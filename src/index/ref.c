/*
 * index/ref.c - the slot a server serves from: readers pin the index in service without a
 * lock, a reload swaps in a new one, and the old one is closed when its last reader lets go.
 *
 * How: every index carries a reference count; the slot holds one reference on the index in
 * service, and each reader one more while it uses it. The only hard moment is between a
 * reader loading the pointer and counting its reference: a swap must not drop the last
 * reference in that gap. Readers announce that gap in one of two "entering" counters, chosen
 * by the parity of an epoch that every swap advances; a swap installs the new pointer, advances
 * the epoch, and waits until the counter of the old parity is zero. Readers that announced
 * themselves under the new epoch load the pointer after it was installed, so only the few
 * already inside the gap (a handful of instructions) are waited for, never a reader that is
 * using an index. A reader re-checks the epoch after announcing itself, so a reader delayed
 * across several swaps cannot hide under a parity no swap waits for.
 *
 * Invariants:
 *  - r->cur always holds a reference (the slot's); a retired index is closed by whoever drops
 *    its count to zero: the swap, or the last reader's bw_index_ref_put().
 *  - Swaps are serialised by r->swap_lock; readers never take it.
 */
#include "index/index.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

void bw_index__ref_add(const struct bw_index *ix);
bool bw_index__ref_drop(const struct bw_index *ix);

struct bw_index_ref {
    _Atomic(struct bw_index *) cur;
    atomic_uint epoch;
    /* Separate cache lines: readers of one parity should not slow those of the other. */
    _Alignas(64) atomic_uint entering[2];
    _Alignas(64) pthread_mutex_t swap_lock;
};

struct bw_index_ref *bw_index_ref_new(struct bw_index *ix)
{
    /* aligned_alloc: the counters' cache-line alignment must hold on the heap too */
    struct bw_index_ref *r = aligned_alloc(64, sizeof(*r));

    BW_ASSERT(ix != NULL);
    if (r == NULL)
        bw_panic("index: out of memory for a slot");
    memset(r, 0, sizeof(*r));
    bw_index__ref_add(ix);
    atomic_init(&r->cur, ix);
    atomic_init(&r->epoch, 0);
    atomic_init(&r->entering[0], 0);
    atomic_init(&r->entering[1], 0);
    pthread_mutex_init(&r->swap_lock, NULL);
    return r;
}

const struct bw_index *bw_index_ref_get(struct bw_index_ref *r)
{
    struct bw_index *ix;

    for (;;) {
        unsigned e = atomic_load(&r->epoch);

        atomic_fetch_add(&r->entering[e & 1], 1);
        if (atomic_load(&r->epoch) == e) {
            ix = atomic_load(&r->cur);
            bw_index__ref_add(ix);
            atomic_fetch_sub(&r->entering[e & 1], 1);
            return ix;
        }
        atomic_fetch_sub(&r->entering[e & 1], 1);
    }
}

void bw_index_ref_put(struct bw_index_ref *r, const struct bw_index *ix)
{
    (void)r;
    if (ix != NULL && bw_index__ref_drop(ix))
        bw_index_close((struct bw_index *)(uintptr_t)ix);
}

void bw_index_ref_swap(struct bw_index_ref *r, struct bw_index *ix)
{
    struct bw_index *old;
    unsigned e;

    BW_ASSERT(ix != NULL);
    bw_index__ref_add(ix);
    pthread_mutex_lock(&r->swap_lock);
    old = atomic_exchange(&r->cur, ix);
    e = atomic_fetch_add(&r->epoch, 1);
    while (atomic_load(&r->entering[e & 1]) != 0)
        sched_yield();
    pthread_mutex_unlock(&r->swap_lock);
    if (bw_index__ref_drop(old))
        bw_index_close(old);
}

void bw_index_ref_free(struct bw_index_ref *r)
{
    struct bw_index *ix;

    if (r == NULL)
        return;
    ix = atomic_load(&r->cur);
    if (bw_index__ref_drop(ix))
        bw_index_close(ix);
    pthread_mutex_destroy(&r->swap_lock);
    free(r);
}
