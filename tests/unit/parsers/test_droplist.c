/*
 * tests/unit/parsers/test_droplist.c - the droplist format: Spamhaus DROP/EDROP/DROPv6 as
 * network listings (ground truth from shared/data/threat_feeds/SOURCES.md), the original
 * `prefix ; SBL` layout, the JSON-lines form, ASN-DROP (no networks), every rejection, CRLF and
 * garbage.
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

/* Sum of the addresses the IPv4 listings cover. */
static uint64_t v4_addresses(const struct run *run)
{
    uint64_t n = 0;

    for (size_t i = 0; i < run->n; i++) {
        assert_true(run->r[i].net_len >= 96);
        n += UINT64_C(1) << (128 - run->r[i].net_len);
    }
    return n;
}

static void drop_989_network_listings(void **state)
{
    struct run *run = run_fixture("droplist", "drop.txt");
    char buf[BW_PREFIX_TEXT_MAX];
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 989);
    assert_int_equal(distinct(run), 989);
    assert_int_equal(v4_addresses(run), 15374336);
    for (size_t i = 0; i < run->n; i++) {
        assert_int_equal(run->r[i].cats, CAT(MALWARE));
        assert_true(run->r[i].net_len > 0);
        assert_true(bw_addr_is_v4(&run->r[i].addr));
        assert_int_equal(run->r[i].time_s, NOW);
        assert_string_equal(run->r[i].source, "droplist");
    }
    /* "1.10.16.0/20 " is the first line: the trailing blank is no part of the entry */
    assert_string_equal(net_text(&run->r[0], buf), "1.10.16.0/20");
    assert_int_equal(run->r[0].net_len, 96 + 20);
    assert_string_equal(run->r[0].evidence, "1.10.16.0/20");
    assert_int_equal(run->r[0].line, 1);
    run_free(run);
}

static void edrop_and_dropv6(void **state)
{
    struct run *run = run_fixture("droplist", "edrop.txt");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 322);
    assert_int_equal(v4_addresses(run), 677120);
    run_free(run);

    run = run_fixture("droplist", "drop_ipv6.txt");
    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 51);
    for (size_t i = 0; i < run->n; i++)
        assert_false(bw_addr_is_v4(&run->r[i].addr));
    assert_addr(&run->r[0].addr, "2a12:2640::");
    assert_int_equal(run->r[0].net_len, 29);
    run_free(run);
}

static void original_layout_keeps_sbl_reference(void **state)
{
    struct run *run = run_fixture("droplist", "spamhaus_drop.txt");
    char buf[BW_PREFIX_TEXT_MAX];
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 2); /* the four `;` header lines give nothing */
    assert_string_equal(net_text(&run->r[0], buf), "1.4.0.0/17");
    assert_string_equal(run->r[0].evidence, "SBL256893");
    assert_int_equal(run->r[0].line, 5);
    assert_string_equal(net_text(&run->r[1], buf), "2a06:e480::/29");
    assert_string_equal(run->r[1].evidence, "SBL301771");
    run_free(run);
}

static void asn_drop_names_no_network(void **state)
{
    struct run *run = run_fixture("droplist", "asn_drop.json");
    (void)state;

    assert_int_equal(run->lines, 202);
    assert_int_equal(run->n, 0);
    assert_int_equal(run->n_rejected, 0);
    run_free(run);
    run = run_fixture("droplist", "spamhaus_asndrop.txt");
    assert_int_equal(run->n, 0);
    assert_int_equal(run->n_rejected, 0);
    run_free(run);
}

static void json_lines_form(void **state)
{
    struct run *run = run_text("droplist",
                               "{\"cidr\":\"1.10.16.0/20\",\"sblid\":\"SBL256894\",\"rir\":"
                               "\"apnic\"}\n"
                               "{\"cidr\":\"2a06:e480::/29\"}\n"
                               "{\"type\":\"metadata\",\"timestamp\":1709006105,\"size\":17905,"
                               "\"records\":2}\n");
    char buf[BW_PREFIX_TEXT_MAX];
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 2);
    assert_string_equal(net_text(&run->r[0], buf), "1.10.16.0/20");
    assert_string_equal(run->r[0].evidence, "SBL256894");
    assert_string_equal(run->r[1].evidence, "2a06:e480::/29");
    run_free(run);
}

static void category_option_and_single_addresses(void **state)
{
    struct bw_parser_opts o = { .now_s = NOW, .category = CAT(SPAM) | CAT(BOT) };
    const char *text = "81.2.69.142\n81.2.69.142/32 ; one host\n";
    struct run *run = run_text_opts("droplist", &o, text, strlen(text));
    (void)state;

    assert_int_equal(run->n, 2);
    assert_int_equal(run->r[0].cats, CAT(SPAM) | CAT(BOT));
    assert_int_equal(run->r[0].net_len, 0); /* an address, not a listing */
    assert_int_equal(run->r[1].net_len, 0);
    assert_addr(&run->r[1].addr, "81.2.69.142");
    assert_string_equal(run->r[1].evidence, "one host");
    run_free(run);
}

static void crlf_and_comments(void **state)
{
    struct run *run = run_text("droplist", "; Spamhaus DROP List\r\n\r\n# also a comment\r\n"
                                           "1.4.0.0/17 ; SBL256893\r\n  \r\n");
    char buf[BW_PREFIX_TEXT_MAX];
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 1);
    assert_string_equal(net_text(&run->r[0], buf), "1.4.0.0/17");
    assert_string_equal(run->r[0].evidence, "SBL256893");
    run_free(run);
}

static void rejections(void **state)
{
    (void)state;

    rejects("droplist", "1.4.0.1/17 ; SBL1", BW_REJECT_INVALID_IP); /* host bits set */
    rejects("droplist", "1.4.0.0/33", BW_REJECT_INVALID_IP);
    rejects("droplist", "::/0", BW_REJECT_INVALID_IP);
    rejects("droplist", "example.com ; SBL1", BW_REJECT_INVALID_IP);
    rejects("droplist", "1.4.0.0/17 SBL256893", BW_REJECT_MALFORMED);
    rejects("droplist", "{\"cidr\":", BW_REJECT_MALFORMED);
    rejects("droplist", "{\"cidr\":17}", BW_REJECT_INVALID_FIELD);
    rejects("droplist", "{\"cidr\":\"1.4.0.0/77\"}", BW_REJECT_INVALID_IP);
    rejects("droplist", "1.4.0.0/17 ; SBL\xc3\x28", BW_REJECT_INVALID_UTF8);
}

static void garbage(void **state)
{
    (void)state;
    garbage_is_rejected_or_ignored("droplist");
}

static void detection(void **state)
{
    size_t len;
    char *text = slurp("droplist", "spamhaus_drop.txt", &len);
    const char *json = "{\"cidr\":\"1.10.16.0/20\",\"sblid\":\"SBL256894\",\"rir\":\"apnic\"}\n";
    const char *plain = "1.4.0.0/17 ; SBL256893\n";
    (void)state;

    assert_string_equal(bw_parser_detect(text, len), "droplist");
    assert_string_equal(bw_parser_detect(json, strlen(json)), "droplist");
    assert_string_equal(bw_parser_detect(plain, strlen(plain)), "droplist");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(drop_989_network_listings),
        cmocka_unit_test(edrop_and_dropv6),
        cmocka_unit_test(original_layout_keeps_sbl_reference),
        cmocka_unit_test(asn_drop_names_no_network),
        cmocka_unit_test(json_lines_form),
        cmocka_unit_test(category_option_and_single_addresses),
        cmocka_unit_test(crlf_and_comments),
        cmocka_unit_test(rejections),
        cmocka_unit_test(garbage),
        cmocka_unit_test(detection),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
