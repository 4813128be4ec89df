/*
 * bench/bench_asn.c - ASN range table load time and ASN + country lookups per second.
 *
 * Usage: bench_asn [DATA_DIR]   (default $BW_DATA, else .cache/data; scripts/fetch-data.sh)
 * Compiles DATA_DIR/asn/asn-ipv{4,6}.csv into a temporary table, then measures:
 *  - load: bw_asn_open() + bw_asn_close() of the table, median of 21 runs (ms);
 *  - lookups on one core over 1,000,000 random public addresses (90% IPv4 uniform over public
 *    space, 10% IPv6 inside 2000::/4), each pass median of 5, in thread CPU time: ASN alone,
 *    country alone (the table bw_geo_open compiles from the MMDB), both together (the figure
 *    the 5M/s target is about), and for comparison libmaxminddb on the same MMDB, alone and
 *    with the ASN lookup.
 * Built by `make bench` (bench/meson.build) as build/bench/bench_asn; bench/run.sh runs it.
 */
#include "enrich/enrich.h"

#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_ADDRS 1000000
#define LOAD_RUNS 21
#define PASSES 5

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Lookup passes are timed in this thread's CPU time: on a shared machine, wall time also
 * counts the time other processes had the core. */
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

static void random_public(struct bw_addr *a)
{
    do {
        memset(a->b, 0, sizeof(a->b));
        if (rng() % 10 != 0) {
            uint32_t v = (uint32_t)rng();
            a->b[10] = 0xff;
            a->b[11] = 0xff;
            a->b[12] = (uint8_t)(v >> 24);
            a->b[13] = (uint8_t)(v >> 16);
            a->b[14] = (uint8_t)(v >> 8);
            a->b[15] = (uint8_t)v;
        } else {
            uint64_t hi = rng();
            uint64_t lo = rng();
            hi = (hi & 0x0fffffffffffffffull) | 0x2000000000000000ull;
            for (int i = 0; i < 8; i++) {
                a->b[i] = (uint8_t)(hi >> (56 - 8 * i));
                a->b[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
            }
        }
    } while (bw_addr_class(a) != BW_ADDR_PUBLIC);
}

enum mode { MODE_ASN, MODE_GEO, MODE_BOTH, MODE_MMDB, MODE_BOTH_MMDB };

/* What bw_geo_lookup() did before the country table: libmaxminddb on the file. */
static bool mmdb_country(const MMDB_s *m, const struct bw_addr *a, char cc[3])
{
    struct sockaddr_storage ss;
    int err = 0;
    MMDB_entry_data_s v;

    memset(&ss, 0, sizeof(ss));
    if (bw_addr_class(a) != BW_ADDR_PUBLIC)
        return false;
    if (bw_addr_is_v4(a)) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, a->b + 12, 4);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, a->b, 16);
    }
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(m, (struct sockaddr *)&ss, &err);
    if (err != MMDB_SUCCESS || !r.found_entry ||
        MMDB_get_value(&r.entry, &v, "country_code", NULL) != MMDB_SUCCESS || !v.has_data ||
        v.type != MMDB_DATA_TYPE_UTF8_STRING || v.data_size != 2)
        return false;
    memcpy(cc, v.utf8_string, 2);
    cc[2] = '\0';
    return true;
}

static double pass(const struct bw_asn *t, const struct bw_geo *g, const MMDB_s *mm,
                   const struct bw_addr *addrs, enum mode m, uint64_t *hits)
{
    double t0 = cpu_s();
    uint64_t h = 0;

    for (size_t i = 0; i < N_ADDRS; i++) {
        struct bw_asn_info info;
        char cc[3];
        if (m == MODE_MMDB || m == MODE_BOTH_MMDB) {
            if (m == MODE_BOTH_MMDB)
                h += bw_asn_lookup(t, &addrs[i], &info);
            h += mmdb_country(mm, &addrs[i], cc);
            continue;
        }
        if (m != MODE_GEO)
            h += bw_asn_lookup(t, &addrs[i], &info);
        if (m != MODE_ASN)
            h += bw_geo_lookup(g, &addrs[i], cc, NULL, 0, NULL, 0);
    }
    *hits = h;
    return cpu_s() - t0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : getenv("BW_DATA");
    char v4[512], v6[512], mmdb[512], table[64];
    struct bw_diag d = { "" };
    uint64_t ranges = 0, bad = 0;
    struct bw_asn *t = NULL;
    struct bw_geo *g = NULL;
    double times[LOAD_RUNS];

    if (dir == NULL)
        dir = ".cache/data";
    snprintf(v4, sizeof(v4), "%s/asn/asn-ipv4.csv", dir);
    snprintf(v6, sizeof(v6), "%s/asn/asn-ipv6.csv", dir);
    snprintf(mmdb, sizeof(mmdb), "%s/geo/geo-whois-asn-country.mmdb", dir);
    snprintf(table, sizeof(table), "/tmp/bench_asn.%ld.bwasn", (long)getpid());

    double t0 = now_s();
    if (bw_asn_compile(v4, v6, table, &ranges, &bad, &d) != BW_OK) {
        fprintf(stderr, "bench_asn: %s\n", d.msg);
        return 1;
    }
    printf("compile: %.0f ms, %llu ranges, %llu bad rows\n", (now_s() - t0) * 1e3,
           (unsigned long long)ranges, (unsigned long long)bad);

    for (int i = 0; i < LOAD_RUNS; i++) {
        double s = now_s();
        if (bw_asn_open(&t, table, &d) != BW_OK) {
            fprintf(stderr, "bench_asn: %s\n", d.msg);
            return 1;
        }
        times[i] = now_s() - s;
        if (i + 1 < LOAD_RUNS)
            bw_asn_close(t);
    }
    printf("load (open, validate, checksum; page cache warm): median %.2f ms of %d\n",
           median(times, LOAD_RUNS) * 1e3, LOAD_RUNS);
    t0 = now_s();
    if (bw_geo_open(&g, mmdb, &d) != BW_OK) {
        fprintf(stderr, "bench_asn: %s\n", d.msg);
        return 1;
    }
    printf("geo open (country-only MMDB compiled to a range table): %.0f ms\n",
           (now_s() - t0) * 1e3);

    struct bw_addr *addrs = bw_xmalloc(N_ADDRS * sizeof(*addrs));
    for (size_t i = 0; i < N_ADDRS; i++)
        random_public(&addrs[i]);

    static const char *const names[] = { "ASN only", "country only",
                                         "ASN + country", "country, libmaxminddb alone",
                                         "ASN + country by libmaxminddb" };
    MMDB_s mm;
    if (MMDB_open(mmdb, MMDB_MODE_MMAP, &mm) != MMDB_SUCCESS) {
        fprintf(stderr, "bench_asn: cannot open %s\n", mmdb);
        return 1;
    }
    for (int m = MODE_ASN; m <= MODE_BOTH_MMDB; m++) {
        double p[PASSES];
        uint64_t hits = 0;
        for (int i = 0; i < PASSES; i++)
            p[i] = pass(t, g, &mm, addrs, (enum mode)m, &hits);
        double med = median(p, PASSES);
        printf("%-28s %6.2f M lookups/s (median of %d passes over %d addresses, %llu hits)\n",
               names[m], N_ADDRS / med / 1e6, PASSES, N_ADDRS, (unsigned long long)hits);
    }
    free(addrs);
    MMDB_close(&mm);
    bw_geo_close(g);
    bw_asn_close(t);
    unlink(table);
    return 0;
}
