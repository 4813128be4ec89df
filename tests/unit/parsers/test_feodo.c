/*
 * tests/unit/parsers/test_feodo.c - the feodo format: the real Feodo Tracker CSV (ground truth
 * from shared/data/threat_feeds/SOURCES.md), the older commented header, plain lists, every
 * rejection, CRLF and garbage.
 */
#include "test.h"
#include "parsers/parsers.h"

#include <stdio.h>
#include <stdlib.h>

#include "feed_test.h"

static void real_blocklist_28_c2_with_family(void **state)
{
    struct run *run = run_fixture("feodo", "feodo_ipblocklist.csv");
    size_t online = 0, port5000 = 0;
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 28);
    assert_int_equal(distinct(run), 28);
    for (size_t i = 0; i < run->n; i++) {
        const struct bw_report *r = &run->r[i];

        assert_int_equal(r->cats, CAT(C2));
        assert_int_equal(r->net_len, 0);
        assert_null(r->host);
        assert_string_equal(r->family, "Pikabot");
        assert_string_equal(r->source, "feodo");
        assert_non_null(r->evidence);
        online += strstr(r->evidence, "\"online\"") != NULL;
        port5000 += r->port == 5000;
    }
    assert_int_equal(online, 4);
    assert_int_equal(port5000, 4);
    /* the first row: "2023-05-23 17:51:44","192.9.135.73","1194",... on line 10 */
    assert_addr(&run->r[0].addr, "192.9.135.73");
    assert_int_equal(run->r[0].port, 1194);
    assert_int_equal(run->r[0].proto, BW_PROTO_TCP);
    assert_int_equal(run->r[0].time_s, 1684864304);
    assert_int_equal(run->r[0].line, 10);
    run_free(run);
}

static void default_reporter_is_the_format(void **state)
{
    struct bw_parser *p = bw_parser_new("feodo", NOW);
    (void)state;

    assert_non_null(p);
    assert_string_equal(bw_parser_format(p), "feodo");
    assert_string_equal(bw_parser_default_reporter(p), "feodo");
    bw_parser_free(p);
}

static void older_commented_header(void **state)
{
    struct run *run = run_text("feodo",
                               "# Feodo Tracker\n"
                               "# Firstseen,DstIP,DstPort,LastOnline,Malware\n"
                               "2019-05-27 14:13:01,81.2.69.142,447,2019-05-30,TrickBot\n"
                               "# END 1 entries\n");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 1);
    assert_addr(&run->r[0].addr, "81.2.69.142");
    assert_int_equal(run->r[0].port, 447);
    assert_string_equal(run->r[0].family, "TrickBot");
    assert_int_equal(run->r[0].time_s, 1558966381);
    assert_int_equal(run->r[0].line, 3);
    run_free(run);
}

static void rows_without_header_use_published_order(void **state)
{
    struct run *run = run_text("feodo", "\"2024-02-08 19:20:49\",\"85.239.243.155\",\"5000\","
                                        "\"offline\",\"2024-03-11\",\"Pikabot\"\n");
    (void)state;

    assert_int_equal(run->n, 1);
    assert_addr(&run->r[0].addr, "85.239.243.155");
    assert_int_equal(run->r[0].port, 5000);
    assert_string_equal(run->r[0].family, "Pikabot");
    run_free(run);
}

static void reordered_header_is_followed(void **state)
{
    struct run *run = run_text("feodo", "malware,dst_port,dst_ip,first_seen_utc\n"
                                        "Dridex,8443,2a02:cf40::1,2024-01-02 03:04:05\n");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 1);
    assert_addr(&run->r[0].addr, "2a02:cf40::1");
    assert_int_equal(run->r[0].port, 8443);
    assert_string_equal(run->r[0].family, "Dridex");
    assert_int_equal(run->r[0].time_s, 1704164645);
    run_free(run);
}

static void plain_list_gives_c2_without_family(void **state)
{
    struct run *run = run_text("feodo", "# Feodo Tracker plain list\n81.2.69.142\n\n"
                                        "  2a02:cf40::1  \n");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 2);
    assert_int_equal(run->r[0].cats, CAT(C2));
    assert_null(run->r[0].family);
    assert_int_equal(run->r[0].time_s, NOW);
    assert_int_equal(run->r[0].port, 0);
    assert_addr(&run->r[1].addr, "2a02:cf40::1");
    assert_int_equal(run->r[1].line, 4);
    run_free(run);
}

static void comments_and_blank_lines_give_nothing(void **state)
{
    struct run *run = run_text("feodo", "#\n# END 28 entries\n   \n\r\n");
    (void)state;

    assert_int_equal(run->n, 0);
    assert_int_equal(run->n_rejected, 0);
    run_free(run);
}

static void crlf_endings(void **state)
{
    struct run *run = run_text("feodo", "\"first_seen_utc\",\"dst_ip\",\"dst_port\","
                                        "\"c2_status\",\"last_online\",\"malware\"\r\n"
                                        "\"2024-02-08 19:20:49\",\"85.239.243.155\",\"5000\","
                                        "\"offline\",\"2024-03-11\",\"Pikabot\"\r\n");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 1);
    assert_string_equal(run->r[0].family, "Pikabot");
    assert_null(strchr(run->r[0].evidence, '\r'));
    run_free(run);
}

#define HDR "first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware\n"

static void rejections(void **state)
{
    (void)state;

    rejects("feodo", HDR "2024-02-08 19:20:49,85.239.243.999,5000,online,2024-03-11,Pikabot",
            BW_REJECT_INVALID_IP);
    rejects("feodo", "not-an-address", BW_REJECT_INVALID_IP);
    rejects("feodo", HDR "2024-02-08 19:20:49,,5000,online,2024-03-11,Pikabot",
            BW_REJECT_MISSING_IP);
    rejects("feodo", HDR "yesterday,85.239.243.155,5000,online,2024-03-11,Pikabot",
            BW_REJECT_INVALID_TIME);
    rejects("feodo", HDR "2024-02-30 19:20:49,85.239.243.155,5000,online,2024-03-11,Pikabot",
            BW_REJECT_INVALID_TIME);
    rejects("feodo", HDR "2024-02-08 19:20:49,85.239.243.155,65536,online,2024-03-11,Pikabot",
            BW_REJECT_INVALID_PORT);
    rejects("feodo", HDR "2024-02-08 19:20:49,85.239.243.155,http,online,2024-03-11,Pikabot",
            BW_REJECT_INVALID_PORT);
    rejects("feodo", HDR "2024-02-08 19:20:49,85.239.243.155,5000,online",
            BW_REJECT_COLUMNS); /* truncated row */
    rejects("feodo", HDR "\"2024-02-08 19:20:49\",\"85.239.243.155", BW_REJECT_MALFORMED);
    rejects("feodo", HDR "2024-02-08 19:20:49,85.239.243.155,5000,online,2024-03-11,Pik\xff",
            BW_REJECT_INVALID_UTF8);
}

static void garbage(void **state)
{
    (void)state;
    garbage_is_rejected_or_ignored("feodo");
}

static void detection(void **state)
{
    size_t len;
    char *text = slurp("feodo", "feodo_ipblocklist.csv", &len);
    const char *bare = "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\"\n";
    (void)state;

    assert_string_equal(bw_parser_detect(text, len), "feodo");
    assert_string_equal(bw_parser_detect(bare, strlen(bare)), "feodo");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_blocklist_28_c2_with_family),
        cmocka_unit_test(default_reporter_is_the_format),
        cmocka_unit_test(older_commented_header),
        cmocka_unit_test(rows_without_header_use_published_order),
        cmocka_unit_test(reordered_header_is_followed),
        cmocka_unit_test(plain_list_gives_c2_without_family),
        cmocka_unit_test(comments_and_blank_lines_give_nothing),
        cmocka_unit_test(crlf_endings),
        cmocka_unit_test(rejections),
        cmocka_unit_test(garbage),
        cmocka_unit_test(detection),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
