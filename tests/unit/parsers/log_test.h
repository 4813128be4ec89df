/*
 * tests/unit/parsers/log_test.h - the harness the log formats' tests share (netfilter, zeek):
 * run lines or a fixture through the parser named by FORMAT (define it before including) and
 * keep copies of what it emitted or rejected.
 */
#ifndef BW_LOG_TEST_H
#define BW_LOG_TEST_H

#ifndef FORMAT
#error "define FORMAT before including log_test.h"
#endif

#include <stdio.h>
#include <stdlib.h>

#define NOW INT64_C(1780000000) /* 2026-05-28T20:26:40Z */
#define KEEP 8                  /* reports copied whole per run */
#define STR_CAP 2048
#define IPS_MAX 2048

#define CAT(c) (1u << (BW_CAT_##c))

struct copy {
    struct bw_report r;
    char evidence[STR_CAP], target[STR_CAP], family[STR_CAP], controller[STR_CAP],
        host[STR_CAP], source[64];
};

/* What a run of lines produced. */
struct run {
    size_t lines, reports, rejected[BW_REJECT_COUNT], n_rejected;
    bw_catmask cats_any; /* union over all reports */
    size_t per_cat[BW_CAT_COUNT];
    struct bw_addr ips[IPS_MAX];
    size_t n_ips, per_ip[IPS_MAX]; /* reports per address, in order of first sight */
    uint32_t max_seq;
    int emit_rc;
    size_t n_kept;
    struct copy kept[KEEP];
    struct bw_parse_error last_err;
    uint16_t ports[1024];
    size_t n_ports;
};

static inline void keep_str(char *dst, size_t cap, const char *src, const char **out)
{
    if (src == NULL) {
        *out = NULL;
        return;
    }
    assert_true(strlen(src) < cap);
    memcpy(dst, src, strlen(src) + 1);
    *out = dst;
}

static inline int on_report(void *ctx, const struct bw_report *r)
{
    struct run *run = ctx;
    bool known = false;

    run->reports++;
    run->cats_any |= r->cats;
    for (int c = 0; c < BW_CAT_COUNT; c++)
        run->per_cat[c] += (r->cats >> c) & 1;
    assert_non_null(r->source);
    assert_string_equal(r->source, FORMAT);
    assert_non_null(r->evidence);
    assert_true(strlen(r->evidence) <= 1024);
    assert_true(bw_utf8_valid(r->evidence, strlen(r->evidence)));
    for (size_t i = 0; i < run->n_ports; i++)
        known |= run->ports[i] == r->port;
    if (!known && run->n_ports < 1024)
        run->ports[run->n_ports++] = r->port;
    known = false;
    if (r->seq > run->max_seq)
        run->max_seq = r->seq;
    if (r->host == NULL) {
        for (size_t i = 0; i < run->n_ips && !known; i++) {
            if (bw_addr_cmp(&run->ips[i], &r->addr) == 0) {
                known = true;
                run->per_ip[i]++;
            }
        }
        if (!known && run->n_ips < IPS_MAX) {
            run->per_ip[run->n_ips] = 1;
            run->ips[run->n_ips++] = r->addr;
        }
    }
    if (run->n_kept < KEEP) {
        struct copy *k = &run->kept[run->n_kept++];

        k->r = *r;
        keep_str(k->evidence, STR_CAP, r->evidence, &k->r.evidence);
        keep_str(k->target, STR_CAP, r->target, &k->r.target);
        keep_str(k->family, STR_CAP, r->family, &k->r.family);
        keep_str(k->controller, STR_CAP, r->controller, &k->r.controller);
        keep_str(k->host, STR_CAP, r->host, &k->r.host);
        keep_str(k->source, sizeof(k->source), r->source, &k->r.source);
    }
    return run->emit_rc;
}

static inline struct run *run_new(void)
{
    struct run *run = calloc(1, sizeof(*run));

    assert_non_null(run);
    return run;
}

/* Feeds one line (as the reader does: no newline) and records the outcome. */
static inline int feed(struct bw_parser *p, struct run *run, const char *line, size_t len)
{
    int rc;

    run->lines++;
    rc = bw_parser_line(p, line, len, run->lines, on_report, run, &run->last_err);
    if (rc == BW_EMALFORMED) {
        assert_true((unsigned)run->last_err.reason < BW_REJECT_COUNT);
        assert_true(run->last_err.detail[0] != '\0');
        assert_null(strchr(run->last_err.detail, '\n'));
        run->rejected[run->last_err.reason]++;
        run->n_rejected++;
    }
    return rc;
}

/* Runs a fixture file through a fresh parser, line by line, skipping empty lines. */
static inline struct run *run_file(const char *rel)
{
    const char *dir = getenv("BW_FIXTURES");
    char path[1024];
    struct bw_parser *p = bw_parser_new(FORMAT, NOW);
    struct run *run = run_new();
    FILE *f;
    char *buf = malloc(1 << 17);

    assert_non_null(dir);
    assert_non_null(p);
    assert_non_null(buf);
    snprintf(path, sizeof(path), "%s/" FORMAT "/%s", dir, rel);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    while (fgets(buf, 1 << 17, f) != NULL) {
        size_t len = strlen(buf);

        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        feed(p, run, buf, len);
    }
    fclose(f);
    free(buf);
    bw_parser_free(p);
    return run;
}

/* One line through a fresh parser. */
static inline struct run *run_line(const char *line)
{
    struct bw_parser *p = bw_parser_new(FORMAT, NOW);
    struct run *run = run_new();

    assert_non_null(p);
    feed(p, run, line, strlen(line));
    bw_parser_free(p);
    return run;
}

static inline void assert_addr(const struct bw_addr *got, const char *want)
{
    struct bw_addr w;
    char buf[BW_ADDR_TEXT_MAX];

    assert_int_equal(bw_addr_parse(&w, want, strlen(want)), BW_OK);
    if (bw_addr_cmp(got, &w) != 0)
        fail_msg("address %s, want %s", bw_addr_format(got, buf), want);
}

/* The line gives exactly one report with these categories; returns the run (caller frees). */
static inline struct run *one(const char *line, bw_catmask cats)
{
    struct run *run = run_line(line);

    if (run->reports != 1 || run->n_rejected != 0)
        fail_msg("%s: %zu reports, %zu rejected (%s), want one report", line, run->reports,
                 run->n_rejected, run->last_err.detail);
    if (run->kept[0].r.cats != cats)
        fail_msg("%s: categories %#x, want %#x", line, run->kept[0].r.cats, cats);
    return run;
}

static inline void none(const char *line)
{
    struct run *run = run_line(line);

    if (run->reports != 0 || run->n_rejected != 0)
        fail_msg("%s: %zu reports, %zu rejected (%s), want nothing", line, run->reports,
                 run->n_rejected, run->last_err.detail);
    free(run);
}

static inline void rejects(const char *line, size_t len, enum bw_reject want)
{
    struct bw_parser *p = bw_parser_new(FORMAT, NOW);
    struct run *run = run_new();
    int rc = feed(p, run, line, len);

    if (rc != BW_EMALFORMED || run->last_err.reason != want)
        fail_msg("%.*s: rc %d reason %s (%s), want %s", (int)(len > 200 ? 200 : len), line, rc,
                 bw_reject_name(run->last_err.reason), run->last_err.detail,
                 bw_reject_name(want));
    assert_int_equal(run->reports, 0);
    bw_parser_free(p);
    free(run);
}

#endif
