/*
 * tests/unit/parsers/test_urlhaus.c - the urlhaus format: the real URLhaus dumps (ground truth
 * from shared/data/threat_feeds/SOURCES.md), hosts kept as names, ports by URL and scheme,
 * families from tags, both header forms, every rejection, CRLF and garbage.
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

static size_t family_count(const struct run *run, const char *family)
{
    size_t n = 0;

    for (size_t i = 0; i < run->n; i++)
        n += run->r[i].family != NULL && strcmp(run->r[i].family, family) == 0;
    return n;
}

static void dump_2000_urls_822_hosts(void **state)
{
    struct run *run = run_fixture("urlhaus", "urlhaus_csv_online_2025-04-21_first2000.csv");
    size_t with_addr = 0, with_host = 0;
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 2000);
    assert_int_equal(distinct(run), 822);
    for (size_t i = 0; i < run->n; i++) {
        const struct bw_report *r = &run->r[i];

        assert_int_equal(r->cats, CAT(MALWARE));
        assert_int_equal(r->net_len, 0);
        assert_non_null(r->evidence);
        assert_true(strncmp(r->evidence, "http", 4) == 0);
        assert_true(r->port != 0);
        assert_true(r->time_s >= 1744709107 && r->time_s <= 1745238906); /* 04-15..04-21 */
        if (r->host != NULL)
            with_host++;
        else
            with_addr++;
    }
    (void)with_addr;
    /* 656 of the 822 distinct hosts are bare IPv4 */
    {
        struct run only = { 0 };
        size_t n = 0;

        only.r = calloc(run->n, sizeof(*only.r));
        assert_non_null(only.r);
        for (size_t i = 0; i < run->n; i++) {
            if (run->r[i].host == NULL)
                only.r[n++] = run->r[i];
        }
        only.n = n;
        assert_int_equal(distinct(&only), 656);
        free(only.r);
    }
    assert_true(with_host > 0);
    /* the first row: "http://117.209.87.242:60905/bin.sh", tags 32-bit,elf,mips,Mozi */
    assert_addr(&run->r[0].addr, "117.209.87.242");
    assert_null(run->r[0].host);
    assert_int_equal(run->r[0].port, 60905);
    assert_string_equal(run->r[0].family, "Mozi");
    assert_string_equal(run->r[0].evidence, "http://117.209.87.242:60905/bin.sh");
    assert_int_equal(run->r[0].time_s, 1745238906); /* 2025-04-21 12:35:06 UTC */
    assert_int_equal(run->r[0].line, 2);
    /* the IoT families are named, the file-type tags are not */
    assert_true(family_count(run, "Mozi") > 500);
    assert_true(family_count(run, "mirai") > 500);
    assert_int_equal(family_count(run, "elf"), 0);
    assert_int_equal(family_count(run, "32-bit"), 0);
    run_free(run);
}

static void commented_header_and_banner(void **state)
{
    struct run *run = run_fixture("urlhaus", "urlhaus_csv_online_head.csv");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 30);
    assert_int_equal(distinct(run), 6);
    assert_int_equal(family_count(run, "mirai"), 23);
    assert_int_equal(family_count(run, "Mozi"), 1);
    /* "120.84.215.27:44835/i" tagged None: no family */
    assert_addr(&run->r[0].addr, "120.84.215.27");
    assert_null(run->r[0].family);
    assert_int_equal(run->r[0].line, 10);
    /* "http://176.65.139.212/eclipse.sh4": no port in the URL, http's */
    assert_int_equal(run->r[1].port, 80);
    assert_string_equal(run->r[1].family, "mirai"); /* not the "176-65-139-212" tag */
    /* four URLs on 176.65.139.212, added in the same second: four distinct reports */
    for (size_t i = 1; i <= 4; i++) {
        assert_addr(&run->r[i].addr, "176.65.139.212");
        assert_int_equal(run->r[i].time_s, run->r[1].time_s);
        assert_int_equal(run->r[i].seq, i - 1);
    }
    assert_int_equal(run->r[0].seq, 0);
    run_free(run);
}

#define HDR "id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
#define ROW(url, tags)                                                                         \
    HDR "\"1\",\"2025-04-21 12:35:06\",\"" url "\",\"online\",\"2025-04-21 12:35:06\","         \
        "\"malware_download\",\"" tags "\",\"https://urlhaus.abuse.ch/url/1/\",\"someone\""

static struct run *one(const char *text)
{
    struct run *run = run_text("urlhaus", text);

    if (run->n != 1)
        fail_msg("%s: %zu reports (%s), want 1", text, run->n, run->last_err.detail);
    return run;
}

static void hosts_ports_and_schemes(void **state)
{
    struct run *run;
    (void)state;

    run = one(ROW("https://Evil.Example.COM./payload.exe", "AgentTesla,exe"));
    assert_string_equal(run->r[0].host, "evil.example.com");
    assert_int_equal(run->r[0].port, 443);
    assert_string_equal(run->r[0].family, "AgentTesla");
    run_free(run);

    run = one(ROW("http://user:pw@cdn.example.net:8080/a?b=c", ""));
    assert_string_equal(run->r[0].host, "cdn.example.net");
    assert_int_equal(run->r[0].port, 8080);
    assert_null(run->r[0].family);
    run_free(run);

    run = one(ROW("http://[2a02:cf40::1]:8000/x", "elf,mips"));
    assert_null(run->r[0].host);
    assert_addr(&run->r[0].addr, "2a02:cf40::1");
    assert_int_equal(run->r[0].port, 8000);
    assert_null(run->r[0].family); /* only file-type tags */
    run_free(run);

    run = one(ROW("ftp://81.2.69.142/x", "USA,dropped-by-amadey,LummaStealer"));
    assert_addr(&run->r[0].addr, "81.2.69.142");
    assert_int_equal(run->r[0].port, 0); /* no default port for ftp here */
    assert_string_equal(run->r[0].family, "LummaStealer");
    run_free(run);

    run = one(ROW("http://81.2.69.142:8080", "mirai"));
    assert_int_equal(run->r[0].port, 8080);
    run_free(run);
}

static void crlf_endings(void **state)
{
    struct run *run = run_text("urlhaus",
                               "id,dateadded,url,url_status,last_online,threat,tags,"
                               "urlhaus_link,reporter\r\n"
                               "\"1\",\"2025-04-21 12:35:06\",\"http://81.2.69.142/i\","
                               "\"online\",\"\",\"malware_download\",\"Mozi\",\"\",\"x\"\r\n");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 1);
    assert_string_equal(run->r[0].family, "Mozi");
    assert_string_equal(run->r[0].evidence, "http://81.2.69.142/i");
    run_free(run);
}

static void rejections(void **state)
{
    (void)state;

    rejects("urlhaus", ROW("", "x"), BW_REJECT_MISSING_IP);
    rejects("urlhaus", ROW("81.2.69.142/bin.sh", "x"), BW_REJECT_INVALID_FIELD);
    rejects("urlhaus", ROW("http:///bin.sh", "x"), BW_REJECT_INVALID_FIELD);
    rejects("urlhaus", ROW("http://ex ample.com/", "x"), BW_REJECT_INVALID_FIELD);
    rejects("urlhaus", ROW("http://81.2.69.1420/i", "x"), BW_REJECT_INVALID_IP);
    rejects("urlhaus", ROW("http://[2a02::cf40::1]/i", "x"), BW_REJECT_INVALID_IP);
    rejects("urlhaus", ROW("http://[2a02:cf40::1/i", "x"), BW_REJECT_INVALID_IP);
    rejects("urlhaus", ROW("http://81.2.69.142:99999/i", "x"), BW_REJECT_INVALID_PORT);
    rejects("urlhaus", ROW("http://81.2.69.142:80a/i", "x"), BW_REJECT_INVALID_PORT);
    rejects("urlhaus", HDR "\"1\",\"21/04/2025\",\"http://81.2.69.142/i\",\"online\",\"\","
                           "\"malware_download\",\"\",\"\",\"x\"",
            BW_REJECT_INVALID_TIME);
    rejects("urlhaus", HDR "\"1\",\"2025-04-21 12:35:06\",\"http://81.2.69.142/i\"",
            BW_REJECT_COLUMNS);
    rejects("urlhaus", HDR "\"1\",\"2025-04-21 12:35:06\",\"http://81.2.69.142/i", 
            BW_REJECT_MALFORMED);
    rejects("urlhaus", ROW("http://81.2.69.142/\xe9t\xe9", "x"), BW_REJECT_INVALID_UTF8);
}

static void garbage(void **state)
{
    (void)state;
    garbage_is_rejected_or_ignored("urlhaus");
}

static void detection(void **state)
{
    size_t len;
    char *text = slurp("urlhaus", "urlhaus_csv_online_head.csv", &len);
    char *bare = slurp("urlhaus", "urlhaus_csv_online_2025-04-21_first2000.csv", &len);
    (void)state;

    assert_string_equal(bw_parser_detect(text, strlen(text)), "urlhaus");
    assert_string_equal(bw_parser_detect(bare, 4096), "urlhaus");
    free(text);
    free(bare);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dump_2000_urls_822_hosts),
        cmocka_unit_test(commented_header_and_banner),
        cmocka_unit_test(hosts_ports_and_schemes),
        cmocka_unit_test(crlf_endings),
        cmocka_unit_test(rejections),
        cmocka_unit_test(garbage),
        cmocka_unit_test(detection),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
