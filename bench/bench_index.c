/*
 * bench/bench_index.c - the snapshot index at 10,000,000 IPv4 addresses: build time, time to
 * serving (open = mmap + full validation + BLAKE2b checksum), lookups per second, and bytes
 * per address.
 *
 * Usage: bench_index [N_ADDRESSES [FILE]]   (default 10000000, a temporary file in /tmp;
 *        a FILE given is kept, for `botwatch snapshot info FILE`)
 * Measures, each the median of its runs:
 *  - build: N random IPv4 addresses (random order, 11 categories x 21 score bands of classes)
 *    added to a builder, then finish (radix sort, classes, write + fsync + rename); 3 runs;
 *  - open: bw_index_open() of the file just built (in the page cache, as after a build or a
 *    copy), and close; 11 runs; plus the checksum alone (libsodium BLAKE2b over the file);
 *  - lookups: 10M lookups, half of them listed addresses, half random (mostly misses), in this
 *    thread's CPU time; 5 passes; then the same with bw_index_ref_get/put around each lookup
 *    (what a server thread pays to pin the index in service);
 *  - bytes per address: file size / N (the mapping is the whole resident cost).
 * Built by `make bench` (bench/meson.build) as build/bench/bench_index.
 */
#include "index/index.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#define BUILD_RUNS 3
#define OPEN_RUNS 11
#define PASSES 5
#define N_LOOKUPS 10000000

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[n / 2];
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    uint64_t x = rng_state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

static void v4(struct bw_addr *a, uint32_t v)
{
    memset(a->b, 0, sizeof(a->b));
    a->b[10] = 0xff;
    a->b[11] = 0xff;
    a->b[12] = (uint8_t)(v >> 24);
    a->b[13] = (uint8_t)(v >> 16);
    a->b[14] = (uint8_t)(v >> 8);
    a->b[15] = (uint8_t)v;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000000;
    char path[256];
    uint32_t *keys;
    double build[BUILD_RUNS], open_t[OPEN_RUNS], sum_t[OPEN_RUNS], pass[PASSES], ref[PASSES];
    struct bw_index_ref *slot;
    struct bw_index_info info;
    struct bw_index *ix = NULL;
    struct bw_diag d = { "" };
    uint64_t entries = 0, hits = 0;

    if (argc > 2)
        snprintf(path, sizeof(path), "%s", argv[2]);
    else
        snprintf(path, sizeof(path), "/tmp/bench_index.%ld.bin", (long)getpid());
    if (n == 0 || sodium_init() < 0)
        return 1;
    keys = malloc(n * sizeof(*keys));
    for (size_t i = 0; i < n; i++)
        keys[i] = (uint32_t)rng();

    for (int r = 0; r < BUILD_RUNS; r++) {
        struct bw_index_builder *b = bw_index_builder_new();
        double t0 = now_s();
        int rc = BW_OK;

        for (size_t i = 0; i < n && rc == BW_OK; i++) {
            struct bw_prefix p = { .len = 128 };

            v4(&p.addr, keys[i]);
            rc = bw_index_builder_add(b, &p, 1u << (keys[i] % 11), (int)(keys[i] >> 8) % 101);
        }
        if (rc == BW_OK)
            rc = bw_index_builder_finish(b, path, 1780000000, &entries, &d);
        else
            bw_index_builder_free(b);
        if (rc != BW_OK) {
            fprintf(stderr, "bench_index: build: %s (%s)\n", bw_strerror(rc), d.msg);
            return 1;
        }
        build[r] = now_s() - t0;
    }

    for (int r = 0; r < OPEN_RUNS; r++) {
        double t0 = now_s();
        int fd;
        struct stat sb;
        void *p;
        unsigned char h[32];

        if (bw_index_open(&ix, path, &d) != BW_OK) {
            fprintf(stderr, "bench_index: open: %s\n", d.msg);
            return 1;
        }
        open_t[r] = now_s() - t0;
        if (r + 1 < OPEN_RUNS)
            bw_index_close(ix);
        /* the checksum alone, over the same bytes, for the breakdown */
        fd = open(path, O_RDONLY);
        if (fd < 0 || fstat(fd, &sb) != 0)
            return 1;
        p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        close(fd);
        if (p == MAP_FAILED)
            return 1;
        t0 = now_s();
        crypto_generichash(h, sizeof(h), p, (size_t)sb.st_size, NULL, 0);
        sum_t[r] = now_s() - t0;
        munmap(p, (size_t)sb.st_size);
    }
    bw_index_stat(ix, &info);

    for (int r = 0; r < PASSES; r++) {
        double t0 = cpu_s();

        for (size_t i = 0; i < N_LOOKUPS; i++) {
            struct bw_addr a;
            struct bw_index_entry e;
            uint64_t x = rng();

            v4(&a, (x & 1) ? keys[(x >> 1) % n] : (uint32_t)(x >> 32));
            hits += bw_index_lookup(ix, &a, &e);
        }
        pass[r] = cpu_s() - t0;
    }

    /* The same lookups through the slot a server uses: pin, look up, unpin, each time. */
    slot = bw_index_ref_new(ix);
    for (int r = 0; r < PASSES; r++) {
        double t0 = cpu_s();

        for (size_t i = 0; i < N_LOOKUPS; i++) {
            struct bw_addr a;
            struct bw_index_entry e;
            uint64_t x = rng();
            const struct bw_index *pin = bw_index_ref_get(slot);

            v4(&a, (x & 1) ? keys[(x >> 1) % n] : (uint32_t)(x >> 32));
            hits += bw_index_lookup(pin, &a, &e);
            bw_index_ref_put(slot, pin);
        }
        ref[r] = cpu_s() - t0;
    }

    printf("bench_index: %zu random IPv4 addresses (%llu distinct), file %llu bytes\n", n,
           (unsigned long long)entries, (unsigned long long)info.file_bytes);
    printf("  build (add + sort + write + fsync): %.3f s median of %d\n",
           median(build, BUILD_RUNS), BUILD_RUNS);
    printf("  open (mmap + validate + checksum):  %.1f ms median of %d (checksum alone %.1f ms)\n",
           1e3 * median(open_t, OPEN_RUNS), OPEN_RUNS, 1e3 * median(sum_t, OPEN_RUNS));
    printf("  lookups: %.2f M/s on one core (%.0f ns each), median of %d passes of %d; "
           "%.1f%% listed\n",
           N_LOOKUPS / median(pass, PASSES) / 1e6, 1e9 * median(pass, PASSES) / N_LOOKUPS,
           PASSES, N_LOOKUPS, 100.0 * (double)hits / (2.0 * PASSES * N_LOOKUPS));
    printf("  lookups with bw_index_ref_get/put around each: %.2f M/s (%.0f ns each)\n",
           N_LOOKUPS / median(ref, PASSES) / 1e6, 1e9 * median(ref, PASSES) / N_LOOKUPS);
    printf("  bytes per address: %.2f (file / addresses)\n",
           (double)info.file_bytes / (double)info.v4_addresses);
    bw_index_ref_free(slot);
    if (argc <= 2)
        unlink(path);
    free(keys);
    return 0;
}
