/*
 * tests/unit/parsers/test_ipset.c - the ipset format: FireHOL ipsets and plain lists (ground
 * truth from shared/data/threat_feeds/SOURCES.md), prefixes as network listings, the category
 * option, trailing comments, every rejection, CRLF and garbage.
 */
#include "test.h"
#include "parsers/parsers.h"

#include <stdio.h>
#include <stdlib.h>

#include "feed_test.h"

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
