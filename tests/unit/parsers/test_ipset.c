/*
 * tests/unit/parsers/test_ipset.c - the ipset format: FireHOL ipsets and plain lists (ground
 * truth from shared/data/threat_feeds/SOURCES.md), prefixes as network listings, the category
 * option, trailing comments, every rejection, CRLF and garbage.
 */
#include "test.h"
#include "parsers/parsers.h"

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

static const char *dup_or_null(const char *s)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = strdup(s);
    assert_non_null(d);
    return d;
}

static int collect(void *ctx, const struct bw_report *r)
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

static void run_free(struct run *run)
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
static struct run *run_text_opts(const char *format, const struct bw_parser_opts *o,
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

static struct run *run_text(const char *format, const char *text)
{
    struct bw_parser_opts o = { .now_s = NOW };

    return run_text_opts(format, &o, text, strlen(text));
}

static char *slurp(const char *format, const char *name, size_t *len)
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

static struct bw_addr addr(const char *s)
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

static void firehol_feodo_235_addresses(void **state)
{
    struct run *run = run_fixture("ipset", "feodo.ipset");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 235);
    assert_int_equal(distinct(run), 235);
    for (size_t i = 0; i < run->n; i++) {
        assert_int_equal(run->r[i].cats, CAT(SCAN)); /* no --category: scan */
        assert_int_equal(run->r[i].net_len, 0);
        assert_int_equal(run->r[i].time_s, NOW);
        assert_string_equal(run->r[i].source, "ipset");
    }
    assert_addr(&run->r[0].addr, "2.50.11.28");
    assert_string_equal(run->r[0].evidence, "2.50.11.28");
    assert_int_equal(run->r[0].line, 31); /* after the 30-line FireHOL header */
    run_free(run);
}

static void category_option(void **state)
{
    struct bw_parser_opts o = { .now_s = NOW, .category = CAT(C2) };
    struct run *run = run_fixture_opts("ipset", &o, "feodo.ipset");
    (void)state;

    assert_int_equal(run->n, 235);
    for (size_t i = 0; i < run->n; i++)
        assert_int_equal(run->r[i].cats, CAT(C2));
    run_free(run);
}

static void plain_lists(void **state)
{
    struct run *run = run_fixture("ipset", "compromised-ips.txt");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 539);
    assert_int_equal(distinct(run), 539);
    run_free(run);
    run = run_fixture("ipset", "blocklistde_imap.txt");
    assert_int_equal(run->n, 6);
    assert_addr(&run->r[5].addr, "203.0.113.254"); /* parse does not judge addresses */
    run_free(run);
}

static void netset_prefixes_are_network_listings(void **state)
{
    struct run *run = run_fixture("droplist", "drop.txt"); /* bare "a.b.c.0/n " lines */
    struct run *list;
    size_t len;
    char *text = slurp("droplist", "drop.txt", &len);
    char buf[BW_PREFIX_TEXT_MAX];
    struct bw_parser_opts o = { .now_s = NOW };
    (void)state;

    list = run_text_opts("ipset", &o, text, len);
    assert_int_equal(list->n_rejected, 0);
    assert_int_equal(list->n, 989);
    for (size_t i = 0; i < list->n; i++) {
        assert_true(list->r[i].net_len > 0);
        assert_memory_equal(list->r[i].addr.b, run->r[i].addr.b, 16);
        assert_int_equal(list->r[i].net_len, run->r[i].net_len);
    }
    assert_string_equal(net_text(&list->r[0], buf), "1.10.16.0/20");
    free(text);
    run_free(list);
    run_free(run);
}

static void comments_crlf_and_trailing_comments(void **state)
{
    struct run *run = run_text("ipset", "#\r\n# ipv4 hash:net ipset\r\n; other comment\r\n\r\n"
                                        "  81.2.69.142  # seen 2015\r\n"
                                        "2a02:cf40::/32;note\r\n"
                                        "81.2.69.142/32\r\n");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 3);
    assert_addr(&run->r[0].addr, "81.2.69.142");
    assert_string_equal(run->r[0].evidence, "81.2.69.142  # seen 2015");
    assert_int_equal(run->r[0].line, 5);
    assert_addr(&run->r[1].addr, "2a02:cf40::");
    assert_int_equal(run->r[1].net_len, 32);
    assert_int_equal(run->r[2].net_len, 0); /* a /32 is the address itself */
    run_free(run);
}

static void rejections(void **state)
{
    (void)state;

    rejects("ipset", "81.2.69.142 81.2.69.143", BW_REJECT_MALFORMED);
    rejects("ipset", "81.2.69.142-81.2.69.150", BW_REJECT_INVALID_IP); /* ranges: not ipsets */
    rejects("ipset", "81.2.69.1/24", BW_REJECT_INVALID_IP);
    rejects("ipset", "::/0", BW_REJECT_INVALID_IP); /* would read as the address :: */
    rejects("ipset", "example.com", BW_REJECT_INVALID_IP);
    rejects("ipset", "81.2.69.142 # \xff\xfe", BW_REJECT_INVALID_UTF8);
}

static void garbage(void **state)
{
    (void)state;
    garbage_is_rejected_or_ignored("ipset");
}

static void detection(void **state)
{
    size_t len;
    char *text = slurp("ipset", "feodo.ipset", &len);
    const char *plain = "81.2.69.142\n81.2.69.143\n";
    (void)state;

    assert_string_equal(bw_parser_detect(text, len), "ipset");
    assert_string_equal(bw_parser_detect(plain, strlen(plain)), "ipset");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(firehol_feodo_235_addresses),
        cmocka_unit_test(category_option),
        cmocka_unit_test(plain_lists),
        cmocka_unit_test(netset_prefixes_are_network_listings),
        cmocka_unit_test(comments_crlf_and_trailing_comments),
        cmocka_unit_test(rejections),
        cmocka_unit_test(garbage),
        cmocka_unit_test(detection),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
