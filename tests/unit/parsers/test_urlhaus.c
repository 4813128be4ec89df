/*
 * tests/unit/parsers/test_urlhaus.c - the urlhaus format: the real URLhaus dumps (ground truth
 * from shared/data/threat_feeds/SOURCES.md), hosts kept as names, ports by URL and scheme,
 * families from tags, both header forms, every rejection, CRLF and garbage.
 */
#include "test.h"
#include "parsers/parsers.h"

#include <stdio.h>
#include <stdlib.h>

#include "feed_test.h"

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
