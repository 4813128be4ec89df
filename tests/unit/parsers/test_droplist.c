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

#include "feed_test.h"

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
