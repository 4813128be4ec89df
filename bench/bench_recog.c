/*
 * bench/bench_recog.c - Recog fingerprinting speed: database load time, and banners per second
 * through bw_recog_match() against every loaded database.
 *
 *   bench_recog DIR [N] [RUNS]
 *
 * DIR holds the Recog XML databases (tests/fixtures/recog). The banners are N (default
 * 100000) real-looking ones: the databases' own <example>s (base64 ones decoded), drawn at
 * random with a fixed seed. Each run times three passes over them:
 *  - all:     no service, no port: every database in order (the figure the issue asks for);
 *  - service: the example's own database protocol as the service ("http", "ssh", ...);
 *  - miss:    each banner reversed, which matches (almost) nothing: the worst case, every
 *             database tried and every candidate pattern run.
 * RUNS (default 3) runs; prints each run and the medians as key=value lines. Times are the
 * process's CPU time (single-threaded), so other load on the machine disturbs them less; the
 * "all" pass also prints its wall-clock rate.
 *
 * Built by `make bench` (bench/meson.build) as build/bench/bench_recog; bench/run.sh runs it.
 */
#define _POSIX_C_SOURCE 200809L

#include "enrich/enrich.h"

#include <dirent.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sample {
    char *text;
    char *protocol;
};

struct collect {
    struct sample *v;
    size_t n, cap;
    char *protocol;
    int in_example;
    int base64;
    char *buf;
    size_t len, buf_cap;
};

/* CPU time of this process: on a shared machine it tracks the work better than wall time. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int b64(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct collect *c = ud;
    if (strcmp(name, "fingerprints") == 0) {
        free(c->protocol);
        c->protocol = bw_xstrdup("");
        for (size_t i = 0; atts[i] != NULL; i += 2)
            if (strcmp(atts[i], "protocol") == 0) {
                free(c->protocol);
                c->protocol = bw_xstrdup(atts[i + 1]);
            }
    } else if (strcmp(name, "example") == 0) {
        c->in_example = 1;
        c->base64 = 0;
        c->len = 0;
        for (size_t i = 0; atts[i] != NULL; i += 2)
            if (strcmp(atts[i], "_encoding") == 0 && strcmp(atts[i + 1], "base64") == 0)
                c->base64 = 1;
    }
}

static void on_text(void *ud, const XML_Char *s, int len)
{
    struct collect *c = ud;
    if (!c->in_example)
        return;
    if (c->len + (size_t)len + 1 > c->buf_cap) {
        c->buf_cap = (c->len + (size_t)len + 1) * 2;
        c->buf = bw_xrealloc(c->buf, c->buf_cap);
    }
    memcpy(c->buf + c->len, s, (size_t)len);
    c->len += (size_t)len;
}

static void on_end(void *ud, const XML_Char *name)
{
    struct collect *c = ud;
    if (strcmp(name, "example") != 0 || !c->in_example)
        return;
    c->in_example = 0;
    c->buf = bw_xrealloc(c->buf, c->len + 1);
    c->buf[c->len] = '\0';
    if (c->base64) {
        size_t o = 0;
        uint32_t acc = 0;
        int bits = 0;
        for (size_t i = 0; i < c->len && c->buf[i] != '='; i++) {
            int v = b64((unsigned char)c->buf[i]);
            if (v < 0)
                continue;
            acc = acc << 6 | (uint32_t)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                c->buf[o++] = (char)(acc >> bits & 0xff);
            }
        }
        c->buf[o] = '\0';
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->v = bw_xrealloc(c->v, c->cap * sizeof(*c->v));
    }
    c->v[c->n].text = bw_xstrdup(c->buf);
    c->v[c->n].protocol = bw_xstrdup(c->protocol);
    c->n++;
    c->buf_cap = c->len + 1;
}

static void collect_examples(const char *dir, struct collect *c)
{
    DIR *dh = opendir(dir);
    struct dirent *de;
    if (dh == NULL) {
        perror(dir);
        exit(1);
    }
    while ((de = readdir(dh)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".xml") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *xml = bw_xmalloc((size_t)len + 1);
        size_t got = fread(xml, 1, (size_t)len, f);
        fclose(f);
        XML_Parser xp = XML_ParserCreate(NULL);
        XML_SetUserData(xp, c);
        XML_SetElementHandler(xp, on_start, on_end);
        XML_SetCharacterDataHandler(xp, on_text);
        if (XML_Parse(xp, xml, (int)got, 1) == XML_STATUS_ERROR)
            fprintf(stderr, "%s: %s\n", path, XML_ErrorString(XML_GetErrorCode(xp)));
        XML_ParserFree(xp);
        free(xml);
    }
    closedir(dh);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/fixtures/recog";
    size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
    int runs = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 3;
    struct collect c = { 0 };
    double load_ms[16], all[16], svc[16], miss[16], all_wall[16];
    size_t fps = 0, skipped = 0, hits_all = 0, hits_svc = 0, hits_miss = 0;

    if (runs < 1 || runs > 16 || n == 0) {
        fprintf(stderr, "usage: bench_recog DIR [N] [RUNS<=16]\n");
        return 2;
    }
    collect_examples(dir, &c);
    if (c.n == 0) {
        fprintf(stderr, "bench_recog: no examples in %s\n", dir);
        return 1;
    }
    /* A fixed xorshift draw of n banners, and their reversals. */
    const struct sample **pick = bw_xmalloc(n * sizeof(*pick));
    char **reversed = bw_xmalloc(n * sizeof(*reversed));
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pick[i] = &c.v[x % c.n];
        size_t len = strlen(pick[i]->text);
        reversed[i] = bw_xmalloc(len + 1);
        for (size_t k = 0; k < len; k++)
            reversed[i][k] = pick[i]->text[len - 1 - k];
        reversed[i][len] = '\0';
    }

    struct bw_recog *r = NULL;
    for (int run = 0; run < runs; run++) {
        struct bw_diag d;
        struct bw_device_info dev;
        double t0 = now_s();
        if (r != NULL)
            bw_recog_close(r);
        if (bw_recog_open(&r, dir, &fps, &skipped, &d) != BW_OK) {
            fprintf(stderr, "bench_recog: %s\n", d.msg);
            return 1;
        }
        double t1 = now_s();
        size_t h = 0;
        double w1 = wall_s();
        for (size_t i = 0; i < n; i++)
            h += bw_recog_match(r, pick[i]->text, NULL, 0, &dev);
        double t2 = now_s();
        all_wall[run] = (double)n / (wall_s() - w1);
        size_t hs = 0;
        for (size_t i = 0; i < n; i++)
            hs += bw_recog_match(r, pick[i]->text, pick[i]->protocol, 0, &dev);
        double t3 = now_s();
        size_t hm = 0;
        for (size_t i = 0; i < n; i++)
            hm += bw_recog_match(r, reversed[i], NULL, 0, &dev);
        double t4 = now_s();
        load_ms[run] = (t1 - t0) * 1e3;
        all[run] = (double)n / (t2 - t1);
        svc[run] = (double)n / (t3 - t2);
        miss[run] = (double)n / (t4 - t3);
        hits_all = h;
        hits_svc = hs;
        hits_miss = hm;
        printf("run=%d load_ms=%.1f all_banners_per_s=%.0f (wall %.0f) service_banners_per_s=%.0f "
               "miss_banners_per_s=%.0f\n",
               run + 1, load_ms[run], all[run], all_wall[run], svc[run], miss[run]);
    }
    printf("databases_dir=%s fingerprints=%zu skipped=%zu examples=%zu banners=%zu "
           "matched_all=%zu matched_service=%zu matched_miss=%zu\n",
           dir, fps, skipped, c.n, n, hits_all, hits_svc, hits_miss);
    printf("median load_ms=%.1f all_banners_per_s=%.0f (wall %.0f) service_banners_per_s=%.0f "
           "miss_banners_per_s=%.0f\n",
           median(load_ms, runs), median(all, runs), median(all_wall, runs), median(svc, runs),
           median(miss, runs));
    bw_recog_close(r);
    for (size_t i = 0; i < n; i++)
        free(reversed[i]);
    free(reversed);
    free(pick);
    for (size_t i = 0; i < c.n; i++) {
        free(c.v[i].text);
        free(c.v[i].protocol);
    }
    free(c.v);
    free(c.buf);
    free(c.protocol);
    return 0;
}
