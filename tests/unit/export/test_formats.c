/*
 * tests/unit/export/test_formats.c - format names, the DNSBL category code table, and the
 * hand-written address, prefix and rpz-ip text.
 */
#include "test.h"

#include "export/export.h"

#include <stdlib.h>

static struct bw_prefix pfx(const char *s)
{
    struct bw_prefix p;

    if (bw_prefix_parse(&p, s, strlen(s)) != BW_OK)
        fail_msg("bad prefix in test: %s", s);
    return p;
}

static void names_round_trip(void **state)
{
    enum bw_export_format f;

    (void)state;
    for (int i = 0; i < BW_EXPORT_COUNT; i++) {
        assert_int_equal(bw_export_format_parse(&f, bw_export_format_name(i)), BW_OK);
        assert_int_equal(f, i);
        assert_non_null(bw_export_format_mime(i));
    }
    assert_int_equal(bw_export_format_parse(&f, "rbldnsd"), BW_OK);
    assert_int_equal(f, BW_EXPORT_RBLDNSD);
    assert_int_equal(bw_export_format_parse(&f, "TXT"), BW_EMALFORMED);
    assert_int_equal(bw_export_format_parse(&f, ""), BW_EMALFORMED);
    assert_int_equal(bw_export_format_parse(&f, NULL), BW_EMALFORMED);
    assert_string_equal(bw_export_format_name(BW_EXPORT_COUNT), "unknown");
}

/* The table docs/export.md and the DNSBL share. */
static void category_codes_are_the_documented_table(void **state)
{
    (void)state;
    assert_int_equal(bw_export_rbl_code(BW_CAT_SCAN), 1);
    assert_int_equal(bw_export_rbl_code(BW_CAT_BRUTEFORCE), 2);
    assert_int_equal(bw_export_rbl_code(BW_CAT_EXPLOIT), 3);
    assert_int_equal(bw_export_rbl_code(BW_CAT_WEB_ATTACK), 4);
    assert_int_equal(bw_export_rbl_code(BW_CAT_DDOS), 5);
    assert_int_equal(bw_export_rbl_code(BW_CAT_SPAM), 6);
    assert_int_equal(bw_export_rbl_code(BW_CAT_MALWARE), 7);
    assert_int_equal(bw_export_rbl_code(BW_CAT_C2), 8);
    assert_int_equal(bw_export_rbl_code(BW_CAT_BOT), 9);
    assert_int_equal(bw_export_rbl_code(BW_CAT_PHISHING), 10);
    assert_int_equal(bw_export_rbl_code(BW_CAT_PROXY), 11);
    assert_string_equal(BW_EXPORT_RBL_NET, "127.0.1.");
}

static void check_prefix(const char *in, const char *want)
{
    struct bw_prefix p = pfx(in);
    char buf[BW_EXPORT_PREFIX_MAX + 1];
    size_t n = bw_export_put_prefix(buf, &p);

    assert_true(n <= BW_EXPORT_PREFIX_MAX);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static void prefixes_and_addresses(void **state)
{
    (void)state;
    check_prefix("81.2.69.142", "81.2.69.142");
    check_prefix("0.0.0.0/0", "0.0.0.0/0");
    check_prefix("255.255.255.255", "255.255.255.255");
    check_prefix("10.100.0.0/16", "10.100.0.0/16");
    check_prefix("89.160.21.0/24", "89.160.21.0/24");
    check_prefix("2a02:cf40:0:1::17", "2a02:cf40:0:1::17");
    check_prefix("2a02:cf40::/32", "2a02:cf40::/32");
    check_prefix("::/0", "::/0");
    check_prefix("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* The hand-written IPv4 text agrees with bw_addr_format on every octet value. */
static void ipv4_text_agrees_with_core(void **state)
{
    unsigned seed = 7;

    (void)state;
    for (int i = 0; i < 100000; i++) {
        struct bw_prefix p = { .len = 128 };
        char mine[BW_EXPORT_PREFIX_MAX + 1], core[BW_ADDR_TEXT_MAX];
        size_t n;

        p.addr.b[10] = p.addr.b[11] = 0xff;
        for (int j = 12; j < 16; j++)
            p.addr.b[j] = (uint8_t)(i < 256 ? i : rand_r(&seed));
        n = bw_export_put_prefix(mine, &p);
        mine[n] = '\0';
        assert_string_equal(mine, bw_addr_format(&p.addr, core));
    }
}

static void check_rpz(const char *in, const char *want)
{
    struct bw_prefix p = pfx(in);
    char buf[65];
    size_t n = bw_export_put_rpz_ip(buf, &p);

    assert_true(n <= 64);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

/* Owner names as the RPZ draft (draft-vixie-dnsop-dns-rpz) spells them. */
static void rpz_ip_owner_names(void **state)
{
    (void)state;
    check_rpz("1.2.3.4", "32.4.3.2.1");
    check_rpz("175.16.199.0/24", "24.0.199.16.175");
    check_rpz("2001:db8::1", "128.1.zz.db8.2001");
    check_rpz("2001:db8::/32", "32.zz.db8.2001");
    check_rpz("2a02:cf40:0:1::17", "128.17.zz.1.0.cf40.2a02");
    check_rpz("2a02:0:0:1:0:0:0:17", "128.17.zz.1.0.0.2a02");
    check_rpz("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
              "128.ffff.ffff.ffff.ffff.ffff.ffff.ffff.ffff");
    check_rpz("::/0", "0.zz");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(category_codes_are_the_documented_table),
        cmocka_unit_test(prefixes_and_addresses),
        cmocka_unit_test(ipv4_text_agrees_with_core),
        cmocka_unit_test(rpz_ip_owner_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
