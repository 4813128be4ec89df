/*
 * bench/bench_context.c - the per-device enrichment that is not a data-file lookup: sector
 * classification, contact resolution and KEV advisory matching, per second on one core.
 *
 * Usage: bench_context [DATA_DIR [KEV_JSON]]
 *   DATA_DIR defaults to $BW_DATA, else .cache/data (scripts/fetch-data.sh);
 *   KEV_JSON defaults to tests/fixtures/kev/known_exploited_vulnerabilities.json.
 * Measures (each pass median of 5):
 *  - vertical: bw_vertical_classify(0, org) over the organisation name of every range in
 *    DATA_DIR/asn/asn-ipv4.csv, repeats on adjacent ranges dropped (356,551 names; ASN 0, so
 *    every name goes through the keyword rules: the worst case), names/s;
 *  - contacts: 10,000 contacts (one /24 prefix, one ASN and, for 250 of them, a country
 *    each) parsed from CSV (ms), then 1,000,000 resolutions of random IPv4 addresses with
 *    random ASNs and countries, lookups/s;
 *  - advisories: the KEV catalog parsed (ms), then 100,000 matches of devices drawn from
 *    a fixed list (Hikvision camera, D-Link router, Netgear router, unknown vendor, ...),
 *    matches/s.
 * Built by `make bench` (bench/meson.build) as build/bench/bench_context; bench/run.sh runs it.
 */
#include "enrich/enrich.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PASSES 5
#define N_RESOLVE 1000000
#define N_CONTACTS 10000
#define N_MATCH 100000

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(v[0]), cmp_double);
    return v[n / 2];
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = bw_xmalloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Distinct organisation names of the IPv4 CSV (the last field, maybe quoted). */
static char **load_orgs(const char *dir, size_t *n_out)
{
    char path[1024], line[2048];
    snprintf(path, sizeof(path), "%s/asn/asn-ipv4.csv", dir);
    FILE *f = fopen(path, "r");
    size_t n = 0, cap = 1 << 17;
    char **orgs = bw_xmalloc(cap * sizeof(orgs[0]));
    char *prev = NULL;

    if (f == NULL) {
        fprintf(stderr, "bench_context: %s: cannot open (run scripts/fetch-data.sh)\n", path);
        exit(1);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *c = line;
        for (int k = 0; k < 3 && c != NULL; k++) {
            c = strchr(c, ',');
            if (c != NULL)
                c++;
        }
        if (c == NULL)
            continue;
        c[strcspn(c, "\r\n")] = '\0';
        if (*c == '"') {
            c++;
            char *q = strrchr(c, '"');
            if (q != NULL)
                *q = '\0';
        }
        if (prev != NULL && strcmp(prev, c) == 0)
            continue; /* adjacent ranges of one AS */
        if (n == cap) {
            cap *= 2;
            orgs = bw_xrealloc(orgs, cap * sizeof(orgs[0]));
        }
        orgs[n++] = bw_xstrdup(c);
        prev = orgs[n - 1];
    }
    fclose(f);
    *n_out = n;
    return orgs;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : getenv("BW_DATA");
    const char *kev_path =
        argc > 2 ? argv[2] : "tests/fixtures/kev/known_exploited_vulnerabilities.json";
    double t[PASSES];
    volatile size_t sink = 0;

    if (dir == NULL || dir[0] == '\0')
        dir = ".cache/data";

    /* vertical */
    size_t n_orgs;
    char **orgs = load_orgs(dir, &n_orgs);
    size_t counts[BW_VERTICAL_COUNT] = { 0 };
    for (int p = 0; p < PASSES; p++) {
        double t0 = now_s();
        for (size_t i = 0; i < n_orgs; i++)
            counts[bw_vertical_classify(0, orgs[i])]++;
        t[p] = now_s() - t0;
    }
    double vert = (double)n_orgs / median(t, PASSES);
    printf("vertical: names=%zu classify_per_s=%.0f unknown_share=%.3f\n", n_orgs, vert,
           (double)counts[BW_VERTICAL_UNKNOWN] / (double)(n_orgs * PASSES));

    /* contacts */
    struct bw_buf csv;
    bw_buf_init(&csv, 0);
    if (bw_buf_printf(&csv, "name,scope,email,webhook,role,parent\n") != BW_OK)
        return 1;
    for (unsigned i = 0; i < N_CONTACTS; i++) {
        char cc[4] = "";
        if (i < 250)
            snprintf(cc, sizeof(cc), " %c%c", 'A' + i / 26 % 26, 'A' + i % 26);
        if (bw_buf_printf(&csv, "c%u,AS%u %u.%u.%u.0/24%s,c%u@x.example,,isp,\n", i, 64512 + i,
                          1 + i % 200, i / 200, i % 256, cc, i) != BW_OK)
            return 1;
    }
    struct bw_contacts *c = NULL;
    size_t bad = 0;
    for (int p = 0; p < PASSES; p++) {
        double t0 = now_s();
        if (bw_contacts_parse(&c, csv.data, csv.len, NULL, &bad) != BW_OK || bad != 0)
            return 1;
        t[p] = now_s() - t0;
        if (p + 1 < PASSES)
            bw_contacts_free(c);
    }
    double parse_ms = median(t, PASSES) * 1e3;
    struct bw_addr *addrs = bw_xmalloc(N_RESOLVE * sizeof(addrs[0]));
    uint32_t *asns = bw_xmalloc(N_RESOLVE * sizeof(asns[0]));
    char (*ccs)[3] = bw_xmalloc(N_RESOLVE * sizeof(ccs[0]));
    for (size_t i = 0; i < N_RESOLVE; i++) {
        uint64_t r = next();
        memset(&addrs[i], 0, sizeof(addrs[i]));
        addrs[i].b[10] = addrs[i].b[11] = 0xff;
        addrs[i].b[12] = (uint8_t)(1 + r % 200);
        addrs[i].b[13] = (uint8_t)(r >> 8 & 0x3f);
        addrs[i].b[14] = (uint8_t)(r >> 16);
        addrs[i].b[15] = (uint8_t)(r >> 24);
        asns[i] = 64512 + (uint32_t)(r >> 32) % (2 * N_CONTACTS);
        ccs[i][0] = (char)('A' + (r >> 48) % 26);
        ccs[i][1] = (char)('A' + (r >> 56) % 26);
        ccs[i][2] = '\0';
    }
    for (int p = 0; p < PASSES; p++) {
        double t0 = now_s();
        for (size_t i = 0; i < N_RESOLVE; i++)
            sink += bw_contacts_resolve(c, &addrs[i], asns[i], ccs[i]) != NULL;
        t[p] = now_s() - t0;
    }
    printf("contacts: contacts=%d parse_ms=%.1f resolve_per_s=%.0f\n", N_CONTACTS, parse_ms,
           (double)N_RESOLVE / median(t, PASSES));
    bw_contacts_free(c);
    bw_buf_cleanup(&csv);

    /* advisories */
    size_t len;
    char *json = slurp(kev_path, &len);
    if (json == NULL) {
        fprintf(stderr, "bench_context: %s: cannot read\n", kev_path);
        return 1;
    }
    struct bw_advisories *a = NULL;
    struct bw_diag d;
    size_t skipped;
    for (int p = 0; p < PASSES; p++) {
        double t0 = now_s();
        if (bw_advisories_parse_kev(&a, json, len, &skipped, &d) != BW_OK)
            return 1;
        t[p] = now_s() - t0;
        if (p + 1 < PASSES)
            bw_advisories_free(a);
    }
    double kev_ms = median(t, PASSES) * 1e3;
    static const char *devs[][4] = {
        { "Hikvision", "IP Camera", "", "" },   { "D-Link", "Router", "DIR-859", "" },
        { "Netgear", "Router", "DGN2200", "" }, { "Netwave", "IP Camera", "", "" },
        { "Microsoft", "", "", "IIS" },         { "Cisco", "Router", "", "IOS" },
        { "", "DVR", "", "" },                  { "Ubiquiti", "WAP", "", "AirOS" },
    };
    struct bw_device_info dev[BW_ARRAY_LEN(devs)];
    for (size_t k = 0; k < BW_ARRAY_LEN(devs); k++) {
        memset(&dev[k], 0, sizeof(dev[k]));
        snprintf(dev[k].vendor, sizeof(dev[k].vendor), "%s", devs[k][0]);
        snprintf(dev[k].type, sizeof(dev[k].type), "%s", devs[k][1]);
        snprintf(dev[k].model, sizeof(dev[k].model), "%s", devs[k][2]);
        snprintf(dev[k].software, sizeof(dev[k].software), "%s", devs[k][3]);
    }
    const struct bw_advisory *out[16];
    for (int p = 0; p < PASSES; p++) {
        double t0 = now_s();
        for (size_t i = 0; i < N_MATCH; i++)
            sink += bw_advisories_match(a, &dev[i % BW_ARRAY_LEN(dev)], out, 16);
        t[p] = now_s() - t0;
    }
    printf("advisories: entries=%zu parse_ms=%.1f match_per_s=%.0f\n", bw_advisories_count(a),
           kev_ms, (double)N_MATCH / median(t, PASSES));
    bw_advisories_free(a);
    free(json);
    free(addrs);
    free(asns);
    free(ccs);
    for (size_t i = 0; i < n_orgs; i++)
        free(orgs[i]);
    free(orgs);
    return sink == 0;
}
