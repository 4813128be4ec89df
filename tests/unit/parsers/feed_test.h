/*
 * tests/unit/parsers/feed_test.h - the harness the feed formats' tests share (feodo, urlhaus,
 * droplist, ipset, shadowserver): run text or a fixture through a parser and keep copies of
 * what it emitted or rejected.
 */
#ifndef BW_FEED_TEST_H
#define BW_FEED_TEST_H

#include <stdio.h>
#include <stdlib.h>

#define NOW INT64_C(1780000000) /* 2026-05-28T20:26:40Z */
#define CAT(c) (1u << (BW_CAT_##c))

/* ---- a run of lines through one parser; reports are copied, strings included ---- */

enum { S_REPORTER, S_EVIDENCE, S_BANNER, S_CONTROLLER, S_FAMILY, S_TARGET, S_HOST, S_VENDOR,
       S_TYPE, S_MODEL, S_SOURCE, S_N };

struct run {
    size_t n, cap;
    struct bw_report *r; /* strings are strdup'ed */
    size_t lines;
    size_t rejected[BW_REJECT_COUNT];
    size_t n_rejected;
    struct bw_parse_error last_err;
    uint64_t last_rejected_line;
};

static inline const char *dup_or_null(const char *s)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = strdup(s);
    assert_non_null(d);
    return d;
}

static inline int collect(void *ctx, const struct bw_report *r)
{
    struct run *run = ctx;
    struct bw_report *k;

    if (run->n == run->cap) {
        run->cap = run->cap ? run->cap * 2 : 64;
        run->r = realloc(run->r, run->cap * sizeof(*run->r));
        assert_non_null(run->r);
    }
    k = &run->r[run->n++];
    *k = *r;
    k->reporter = dup_or_null(r->reporter);
    k->evidence = dup_or_null(r->evidence);
    k->banner = dup_or_null(r->banner);
    k->controller = dup_or_null(r->controller);
    k->family = dup_or_null(r->family);
    k->target = dup_or_null(r->target);
    k->host = dup_or_null(r->host);
    k->device_vendor = dup_or_null(r->device_vendor);
    k->device_type = dup_or_null(r->device_type);
    k->device_model = dup_or_null(r->device_model);
    k->source = dup_or_null(r->source);
    return 0;
}

static inline void run_free(struct run *run)
{
    for (size_t i = 0; i < run->n; i++) {
        struct bw_report *k = &run->r[i];
        const char *s[S_N] = { k->reporter, k->evidence, k->banner, k->controller, k->family,
                               k->target, k->host, k->device_vendor, k->device_type,
                               k->device_model, k->source };

        for (int j = 0; j < S_N; j++)
            free((char *)s[j]);
    }
    free(run->r);
    free(run);
}

/* Feeds text line by line (as the reader does: no newline; a CR is left for the parser). */
static inline struct run *run_text_opts(const char *format, const struct bw_parser_opts *o,
                                 const char *text, size_t len)
{
    struct bw_parser *p = bw_parser_new_opts(format, o);
    struct run *run = calloc(1, sizeof(*run));
    size_t start = 0;
    uint64_t lineno = 0;

    assert_non_null(p);
    assert_non_null(run);
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        struct bw_parse_error err;
        int rc;

        lineno++;
        rc = bw_parser_line(p, text + start, end - start, lineno, collect, run, &err);
        if (rc < 0) {
            assert_int_equal(rc, BW_EMALFORMED);
            assert_true((unsigned)err.reason < BW_REJECT_COUNT);
            assert_true(err.detail[0] != '\0');
            assert_null(strchr(err.detail, '\n'));
            run->rejected[err.reason]++;
            run->n_rejected++;
            run->last_err = err;
            run->last_rejected_line = lineno;
        }
        start = end + 1;
    }
    run->lines = lineno;
    bw_parser_free(p);
    return run;
}

static inline struct run *run_text(const char *format, const char *text)
{
    struct bw_parser_opts o = { .now_s = NOW };

    return run_text_opts(format, &o, text, strlen(text));
}

static inline char *slurp(const char *format, const char *name, size_t *len)
{
    const char *dir = getenv("BW_FIXTURES");
    char path[1024];
    FILE *fp;
    char *buf;
    long n;

    if (dir == NULL)
        fail_msg("BW_FIXTURES is not set");
    snprintf(path, sizeof(path), "%s/%s/%s", dir, format, name);
    fp = fopen(path, "rb");
    if (fp == NULL)
        fail_msg("%s: cannot open", path);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

__attribute__((unused)) static struct run *run_fixture_opts(const char *format, const struct bw_parser_opts *o,
                                    const char *name)
{
    size_t len;
    char *text = slurp(format, name, &len);
    struct run *run = run_text_opts(format, o, text, len);

    free(text);
    return run;
}

__attribute__((unused)) static struct run *run_fixture(const char *format, const char *name)
{
    struct bw_parser_opts o = { .now_s = NOW };

    return run_fixture_opts(format, &o, name);
}

static inline struct bw_addr addr(const char *s)
{
    struct bw_addr a;

    if (bw_addr_parse(&a, s, strlen(s)) != BW_OK)
        fail_msg("%s: test address does not parse", s);
    return a;
}

__attribute__((unused)) static void assert_addr(const struct bw_addr *got, const char *want)
{
    struct bw_addr w = addr(want);
    char buf[BW_ADDR_TEXT_MAX];

    if (bw_addr_cmp(got, &w) != 0)
        fail_msg("address %s, want %s", bw_addr_format(got, buf), want);
}

/* The prefix text of a report ("1.2.3.0/24"), or its address. */
__attribute__((unused)) static const char *net_text(const struct bw_report *r, char *buf)
{
    struct bw_prefix p = { .addr = r->addr, .len = r->net_len };

    return r->net_len > 0 ? bw_prefix_format(&p, buf) : bw_addr_format(&r->addr, buf);
}

/* Distinct addresses (or prefixes, or host names) among the reports. */
__attribute__((unused)) static size_t distinct(const struct run *run)
{
    size_t n = 0;

    for (size_t i = 0; i < run->n; i++) {
        size_t j;

        for (j = 0; j < i; j++) {
            const struct bw_report *a = &run->r[i], *b = &run->r[j];

            if ((a->host == NULL) != (b->host == NULL))
                continue;
            if (a->host != NULL ? strcmp(a->host, b->host) == 0
                                : bw_addr_cmp(&a->addr, &b->addr) == 0 &&
                                      a->net_len == b->net_len)
                break;
        }
        n += j == i;
    }
    return n;
}

/* One line, expected to be rejected for `want` with nothing emitted. */
__attribute__((unused)) static void rejects(const char *format, const char *text, enum bw_reject want)
{
    struct run *run = run_text(format, text);

    if (run->n_rejected != 1 || run->rejected[want] != 1)
        fail_msg("%s: %zu rejected, last as %s (%s), want one %s", text, run->n_rejected,
                 run->n_rejected ? bw_reject_name(run->last_err.reason) : "-",
                 run->last_err.detail, bw_reject_name(want));
    if (run->n != 0)
        fail_msg("%s: rejected but emitted %zu reports", text, run->n);
    run_free(run);
}

/* Garbage never crashes a parser and never yields a report without an address or host. */
__attribute__((unused)) static void garbage_is_rejected_or_ignored(const char *format)
{
    static const char *const junk[] = {
        "\x01\x02\x03\xff\xfe garbage \x80\x81",
        "\"unterminated,quote",
        ",,,,,,,,,,,,",
        "{\"not\": \"this format\"}",
        "\xc3\x28 invalid utf-8",
        "1.2.3.4.5",
        "\"",
        "\r",
    };
    char big[BW_LINE_MAX + 16];
    struct bw_parser_opts o = { .now_s = NOW };
    struct run *run;

    for (size_t i = 0; i < BW_ARRAY_LEN(junk); i++) {
        run = run_text(format, junk[i]);
        for (size_t k = 0; k < run->n; k++)
            assert_true(run->r[k].cats != 0);
        run_free(run);
    }
    /* a line over the cap: rejected as too long */
    memset(big, '1', sizeof(big));
    run = run_text_opts(format, &o, big, sizeof(big));
    assert_int_equal(run->n, 0);
    assert_int_equal(run->rejected[BW_REJECT_LINE_TOO_LONG], 1);
    run_free(run);
}

#endif
