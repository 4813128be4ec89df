/*
 * dnsbl/rrl.c - response rate limiting against reflection: a token bucket per client network
 * (IPv4 /24, IPv6 /56), so a spoofed victim cannot be flooded with our answers.
 * Invariants:
 *  - A fixed table of n_slots buckets, allocated once: an attacker varying source addresses
 *    cannot grow memory. A slot taken by another network is reset for the newcomer, which
 *    can only make limiting kick in later for the evicted one, never answer more than rate
 *    plus burst per second for a network that keeps its slot.
 *  - Tokens are counted in milli-responses so that refills at any rate stay integers.
 *  - Slots are guarded by striped mutexes; UDP threads share one table, since SO_REUSEPORT
 *    spreads one network's packets over every thread.
 */
#include "dnsbl/dnsbl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64

struct slot {
    uint64_t key;      /* network + 1 (0 = empty) */
    int64_t tokens_m;  /* milli-responses available */
    uint64_t last_ms;  /* last refill */
    uint32_t limited;  /* responses limited since the bucket emptied (for slip) */
};

struct bw_rrl {
    uint32_t rate, burst, slip;
    size_t mask;
    struct slot *slots;
    pthread_mutex_t locks[STRIPES];
};

struct bw_rrl *bw_rrl_new(uint32_t rate, uint32_t burst, uint32_t slip, size_t n_slots)
{
    struct bw_rrl *r;
    size_t n = 64;

    if (rate == 0)
        return NULL;
    while (n < n_slots && n < ((size_t)1 << 24))
        n <<= 1;
    r = bw_xcalloc(1, sizeof(*r));
    r->rate = rate;
    r->burst = burst > 0 ? burst : rate;
    r->slip = slip;
    r->mask = n - 1;
    r->slots = bw_xcalloc(n, sizeof(*r->slots));
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&r->locks[i], NULL);
    return r;
}

void bw_rrl_free(struct bw_rrl *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&r->locks[i]);
    free(r->slots);
    free(r);
}

/* The client's network as a 64-bit key: /24 of IPv4, /56 of IPv6; the top bit tells them
 * apart so ::ffff:0:0/96 and an IPv6 /56 never meet. */
static uint64_t net_key(const struct bw_addr *a)
{
    uint64_t k = 0;

    if (bw_addr_is_v4(a))
        return (1ull << 63) | (uint64_t)a->b[12] << 16 | (uint64_t)a->b[13] << 8 | a->b[14];
    for (int i = 0; i < 7; i++)
        k = k << 8 | a->b[i];
    return k & ~(1ull << 63);
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

enum bw_rrl_action bw_rrl_check(struct bw_rrl *r, const struct bw_addr *client, uint64_t now_ms)
{
    enum bw_rrl_action act = BW_RRL_SEND;

    if (r == NULL)
        return BW_RRL_SEND;
    uint64_t key = net_key(client) + 1;
    uint64_t h = mix(key);
    struct slot *s = &r->slots[h & r->mask];
    pthread_mutex_t *lk = &r->locks[(h >> 32) % STRIPES];
    int64_t cap_m = (int64_t)r->burst * 1000;

    pthread_mutex_lock(lk);
    if (s->key != key) {
        s->key = key;
        s->tokens_m = cap_m;
        s->last_ms = now_ms;
        s->limited = 0;
    } else if (now_ms > s->last_ms) {
        uint64_t dt = now_ms - s->last_ms;
        /* cap dt first so the product cannot overflow after a long idle time */
        if (dt > 1000000)
            dt = 1000000;
        s->tokens_m += (int64_t)(dt * r->rate);
        if (s->tokens_m > cap_m)
            s->tokens_m = cap_m;
        s->last_ms = now_ms;
    }
    if (s->tokens_m >= 1000) {
        s->tokens_m -= 1000;
        s->limited = 0;
    } else {
        s->limited++;
        act = (r->slip > 0 && s->limited % r->slip == 0) ? BW_RRL_SLIP : BW_RRL_DROP;
    }
    pthread_mutex_unlock(lk);
    return act;
}
