/*
 * bench/bench_export.c - export throughput: 10,000,000 synthetic listed entries through every
 * export format (the issue's target: any text format under 3 s).
 *
 * Usage: bench_export [N_ENTRIES] [OUT_PATH] [FORMAT]   (defaults 10000000, /dev/null, all)
 * Entries are made on the fly, in address order as bw_index_walk gives them: 90% IPv4
 * addresses from 1.0.0.0 up with gaps of 1 to 4 (so the cidr, nft and ipset formats merge
 * runs), one /24 prefix every 1,000 entries, then 10% IPv6 addresses in 2a02::/16, each in its own /64; one or two
 * categories each (c2 on one entry in 16: the suricata format stops at its sid range of
 * 800,000 rules), scores 0-100. Each format is timed over the whole stream (wall clock, output
 * written to OUT_PATH), median of 3 runs; the generation alone is timed too and is included in
 * each figure (it is what an index walk costs at most).
 * Built with the other benchmarks (bench/meson.build) as build/bench/bench_export.
 */
#include "export/export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 3

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng(uint64_t *s) /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Makes the stream; calls x for each entry (x NULL: generation only). Returns entries. */
static uint64_t stream(uint64_t n, struct bw_export *x)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull, n4 = n / 10 * 9;
    uint32_t v4 = 0x01000000;
    uint64_t v6 = 0;
    uint64_t made = 0;

    for (uint64_t i = 0; i < n; i++) {
        struct bw_index_entry e;
        uint64_t r = rng(&seed);

        memset(&e, 0, sizeof(e));
        e.cats = 1u << (r % BW_CAT_COUNT);
        if ((r >> 8) % 4 == 0)
            e.cats |= 1u << ((r >> 16) % BW_CAT_COUNT);
        e.cats = (i % 16 == 0) ? e.cats | (1u << BW_CAT_C2) : e.cats & ~(1u << BW_CAT_C2);
        e.score = (uint8_t)((r >> 24) % 101);
        if (i < n4) {
            e.prefix.addr.b[10] = e.prefix.addr.b[11] = 0xff;
            if (i % 1000 == 999) { /* a /24 above the current address */
                v4 = (v4 | 0xff) + 1;
                e.prefix.len = 120;
            } else {
                v4 += 1 + (uint32_t)((r >> 32) % 4);
                e.prefix.len = 128;
            }
            e.prefix.addr.b[12] = (uint8_t)(v4 >> 24);
            e.prefix.addr.b[13] = (uint8_t)(v4 >> 16);
            e.prefix.addr.b[14] = (uint8_t)(v4 >> 8);
            e.prefix.addr.b[15] = (uint8_t)v4;
            if (e.prefix.len == 120)
                v4 += 255;
        } else {
            v6 += 1 + (r >> 40) % 7;
            e.prefix.addr.b[0] = 0x2a;
            e.prefix.addr.b[1] = 0x02;
            for (int k = 0; k < 6; k++) /* one address in each of many /64s */
                e.prefix.addr.b[2 + k] = (uint8_t)(v6 >> (40 - 8 * k));
            e.prefix.addr.b[15] = 1;
            e.prefix.len = 128;
        }
        if (x != NULL && bw_export_add(x, &e) != BW_OK) {
            fprintf(stderr, "bench_export: add failed at entry %llu\n", (unsigned long long)i);
            exit(1);
        }
        made++;
    }
    return made;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000ull;
    const char *path = argc > 2 ? argv[2] : "/dev/null";
    const char *only = argc > 3 ? argv[3] : NULL;
    double t[RUNS];

    for (int r = 0; r < RUNS; r++) {
        double t0 = now_s();

        stream(n, NULL);
        t[r] = now_s() - t0;
    }
    qsort(t, RUNS, sizeof(t[0]), cmp_double);
    printf("entries %llu, output %s, median of %d\n", (unsigned long long)n, path, RUNS);
    printf("%-10s %8.3f s  (generation only)\n", "none", t[RUNS / 2]);
    for (int f = 0; f < BW_EXPORT_COUNT; f++) {
        uint64_t written = 0;
        long bytes = 0;

        if (only != NULL && strcmp(only, bw_export_format_name((enum bw_export_format)f)) != 0)
            continue;
        for (int r = 0; r < RUNS; r++) {
            FILE *out = fopen(path, "w");
            struct bw_export *x;
            double t0;

            if (out == NULL) {
                perror(path);
                return 1;
            }
            t0 = now_s();
            x = bw_export_new((enum bw_export_format)f, out, NULL);
            stream(n, x);
            written = bw_export_written(x);
            if (bw_export_finish(x) != BW_OK) {
                fprintf(stderr, "bench_export: %s failed\n",
                        bw_export_format_name((enum bw_export_format)f));
                return 1;
            }
            bytes = ftell(out);
            fclose(out);
            t[r] = now_s() - t0;
        }
        qsort(t, RUNS, sizeof(t[0]), cmp_double);
        printf("%-10s %8.3f s  %6.1f M entries/s  written %llu  %ld bytes\n",
               bw_export_format_name((enum bw_export_format)f), t[RUNS / 2],
               (double)n / t[RUNS / 2] / 1e6, (unsigned long long)written, bytes);
    }
    return 0;
}
