/*
 * cli/live.c - the snapshot a running `botwatch serve` answers from, kept fresh, and the
 * DNSBL served from it.
 * Invariants:
 *  - Lookups never touch the database: they read the index in service through a
 *    bw_index_ref, which a refresher thread replaces atomically.
 *  - The refresher has its own store connection. It rebuilds when another connection commits
 *    (PRAGMA data_version changes; polled every 200 ms, so a stored change reaches lookups
 *    within a second) and at least once a minute, because scores decay and listings expire
 *    with time alone.
 *  - A rebuild writes a new file and renames it over the old one: readers of the old index
 *    keep their mapping of the old inode until they drop it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dnsbl/dnsbl.h"
#include "index/index.h"

#define POLL_MS 200
#define REBUILD_EVERY_S 60

struct bw_cli_live {
    struct bw_cli *cli;
    struct bw_index_ref *ref;      /* NULL until the first snapshot is in service */
    pthread_mutex_t mu;
    pthread_cond_t ready;          /* ref set, or failed */
    bool failed;                   /* the first snapshot could not be built (mu) */
    struct bw_dnsbl_server *dns;
    char path[4096];
    pthread_t refresher;
    bool refresher_started;
    volatile int stop;
    uint64_t rebuilds;
};

static int build(struct bw_cli_live *l, struct bw_store *st, struct bw_index **out)
{
    struct bw_diag d = { "" };
    uint64_t entries = 0;
    int64_t now_s = bw_time_now();
    int rc = bw_index_build_from_store(st, &l->cli->conf.policy, now_s, l->path, &entries, &d);

    if (rc == BW_OK)
        rc = bw_index_open(out, l->path, &d);
    if (rc != BW_OK)
        bw_log_err("serve: snapshot of %s not built (%s: %s)", l->cli->db_path,
                   bw_strerror(rc), d.msg);
    else
        bw_log_info("serve: snapshot of %llu entries in service", (unsigned long long)entries);
    return rc;
}

static void *refresher_main(void *arg)
{
    struct bw_cli_live *l = arg;
    struct bw_store *st = NULL;
    struct bw_diag d = { "" };
    uint64_t seen = 0, v;
    struct timespec last, now;

    if (bw_store_open(&st, l->cli->db_path, &d) != BW_OK) {
        bw_log_err("serve: refresher cannot open %s (%s)", l->cli->db_path, d.msg);
        return NULL;
    }
    bw_store_set_half_life(st, l->cli->conf.policy.half_life_s);
    if (bw_store_data_version(st, &seen) != BW_OK)
        seen = 0; /* the first poll then rebuilds once: harmless */
    clock_gettime(CLOCK_MONOTONIC, &last);
    while (!l->stop) {
        struct timespec pause = { 0, POLL_MS * 1000000L };
        bool due;

        nanosleep(&pause, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        due = now.tv_sec - last.tv_sec >= REBUILD_EVERY_S;
        if (bw_store_data_version(st, &v) == BW_OK && v != seen) {
            seen = v;
            due = true;
        }
        if (due && !l->stop) {
            struct bw_index *ix;

            if (build(l, st, &ix) == BW_OK) {
                bw_index_ref_swap(l->ref, ix);
                l->rebuilds++;
            }
            last = now;
        }
    }
    bw_store_close(st);
    return NULL;
}

/* The DNSBL's view of the index in service. The sockets are bound before the first snapshot
 * is built, so queries that arrive meanwhile wait here (briefly) and get a true answer
 * rather than a refused connection or a wrong NXDOMAIN. */
static struct bw_index_ref *live_ref(struct bw_cli_live *l)
{
    struct bw_index_ref *ref = __atomic_load_n(&l->ref, __ATOMIC_ACQUIRE);

    if (ref == NULL) {
        pthread_mutex_lock(&l->mu);
        while ((ref = __atomic_load_n(&l->ref, __ATOMIC_ACQUIRE)) == NULL && !l->failed)
            pthread_cond_wait(&l->ready, &l->mu);
        pthread_mutex_unlock(&l->mu);
    }
    return ref;
}

/* A whole received batch at once: the index pinned once (as the standalone DNSBL does). */
static void live_lookup_batch(void *ctx, size_t n, const struct bw_addr *a,
                              struct bw_dnsbl_hit *out)
{
    struct bw_index_ref *ref = live_ref(ctx);
    const struct bw_index *ix;

    if (ref == NULL) {
        memset(out, 0, n * sizeof(*out));
        return;
    }
    ix = bw_index_ref_get(ref);
    bw_cli_dnsbl_batch(ix, n, a, out);
    bw_index_ref_put(ref, ix);
}

static bool live_lookup(void *ctx, const struct bw_addr *a, bw_catmask *cats, int *score)
{
    struct bw_index_ref *ref = live_ref(ctx);
    const struct bw_index *ix;

    if (ref == NULL)
        return false;
    ix = bw_index_ref_get(ref);
    struct bw_index_entry e;
    bool hit = bw_index_lookup(ix, a, &e);

    bw_index_ref_put(ref, ix);
    if (hit) {
        *cats = e.cats;
        *score = e.score;
    }
    return hit;
}

int bw_cli_live_start(struct bw_cli *cli, const char *dns_listen, struct bw_cli_live **out)
{
    struct bw_cli_live *l = bw_xcalloc(1, sizeof(*l));
    struct bw_dnsbl_config c;
    struct bw_store *st;
    struct bw_index *ix;
    const char *tmp = getenv("TMPDIR");
    int rc;

    l->cli = cli;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->ready, NULL);
    snprintf(l->path, sizeof(l->path), "%s/botwatch-serve-%ld.snap", tmp ? tmp : "/tmp",
             (long)getpid());
    bw_dnsbl_config_default(&c);
    if (dns_listen != NULL) { /* bind first: see live_lookup() */
        struct bw_diag d = { "" };

        c.listen = dns_listen;
        c.lookup_batch = live_lookup_batch;
        if (c.rrl_burst < c.rrl_rate * 2)
            c.rrl_burst = c.rrl_rate * 2;
        rc = bw_dnsbl_server_start(&l->dns, &c, live_lookup, l, &d);
        if (rc != BW_OK) {
            bw_cli_error("serve", "DNS on %s: %s", dns_listen, d.msg);
            free(l);
            return rc;
        }
    }
    rc = bw_cli_open_store(cli, &st) == BW_OK ? BW_OK : BW_EBACKEND;
    if (rc == BW_OK) {
        rc = build(l, st, &ix);
        bw_store_close(st);
    }
    if (rc != BW_OK) {
        pthread_mutex_lock(&l->mu);
        l->failed = true; /* release any query waiting in live_lookup() */
        pthread_cond_broadcast(&l->ready);
        pthread_mutex_unlock(&l->mu);
        bw_dnsbl_server_stop(l->dns);
        unlink(l->path);
        free(l);
        return rc;
    }
    pthread_mutex_lock(&l->mu);
    __atomic_store_n(&l->ref, bw_index_ref_new(ix), __ATOMIC_RELEASE);
    pthread_cond_broadcast(&l->ready);
    pthread_mutex_unlock(&l->mu);
    if (l->dns != NULL)
        fprintf(stderr, "botwatch: serve: DNSBL %s on %s (udp, tcp); try: dig @%.*s -p %u "
                "2.0.0.127.%s A\n", c.zone, dns_listen, (int)strcspn(dns_listen, ":"),
                dns_listen, bw_dnsbl_server_port(l->dns), c.zone);
    if (pthread_create(&l->refresher, NULL, refresher_main, l) == 0)
        l->refresher_started = true;
    *out = l;
    return BW_OK;
}

struct bw_index_ref *bw_cli_live_ref(struct bw_cli_live *l)
{
    return l->ref;
}

void bw_cli_live_stop(struct bw_cli_live *l)
{
    if (l == NULL)
        return;
    l->stop = 1;
    if (l->refresher_started)
        pthread_join(l->refresher, NULL);
    bw_dnsbl_server_stop(l->dns);
    bw_index_ref_free(l->ref);
    unlink(l->path);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->ready);
    free(l);
}
