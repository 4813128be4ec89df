/*
 * tests/unit/core/test_category.c - category names are API: exact spelling, exact parsing.
 */
#include "test.h"
#include "core/core.h"

static void names_are_exact(void **state)
{
    static const char *const want[BW_CAT_COUNT] = {
        "scan", "bruteforce", "exploit", "web-attack", "ddos", "spam",
        "malware", "c2", "bot", "phishing", "proxy",
    };
    (void)state;

    assert_int_equal(BW_CAT_COUNT, 11);
    for (int c = 0; c < BW_CAT_COUNT; c++) {
        enum bw_category back;
        assert_string_equal(bw_category_name((enum bw_category)c), want[c]);
        assert_int_equal(bw_category_parse(&back, want[c], strlen(want[c])), BW_OK);
        assert_int_equal(back, c);
    }
    assert_string_equal(bw_category_name(BW_CAT_COUNT), "unknown");
}

static void parse_is_exact(void **state)
{
    static const char *const bad[] = {
        "", "Scan", "SCAN", "scan ", " scan", "web_attack", "webattack", "c", "c2c", "proxies",
        "unknown",
    };
    enum bw_category c = BW_CAT_PROXY;
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        if (bw_category_parse(&c, bad[i], strlen(bad[i])) != BW_EMALFORMED)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(c, BW_CAT_PROXY);
    assert_int_equal(bw_category_parse(&c, "scan\0", 5), BW_EMALFORMED);
    /* Only len bytes count. */
    assert_int_equal(bw_category_parse(&c, "scanner", 4), BW_OK);
    assert_int_equal(c, BW_CAT_SCAN);
    assert_int_equal(bw_category_parse(&c, "c2,bot", 2), BW_OK);
    assert_int_equal(c, BW_CAT_C2);
}

static void mask_formats_in_enum_order(void **state)
{
    char buf[128];
    (void)state;

    assert_string_equal(bw_catmask_format(0, buf, sizeof(buf)), "");
    assert_string_equal(bw_catmask_format(1u << BW_CAT_SCAN, buf, sizeof(buf)), "scan");
    assert_string_equal(bw_catmask_format(1u << BW_CAT_PROXY | 1u << BW_CAT_WEB_ATTACK |
                                              1u << BW_CAT_SCAN,
                                          buf, sizeof(buf)),
                        "scan,web-attack,proxy");
    assert_string_equal(bw_catmask_format((1u << BW_CAT_COUNT) - 1, buf, sizeof(buf)),
                        "scan,bruteforce,exploit,web-attack,ddos,spam,malware,c2,bot,"
                        "phishing,proxy");
    /* Bits past the last category are ignored. */
    assert_string_equal(bw_catmask_format(1u << 31 | 1u << BW_CAT_BOT, buf, sizeof(buf)), "bot");
}

static void mask_truncates_on_whole_names(void **state)
{
    char buf[16];
    bw_catmask m = 1u << BW_CAT_SCAN | 1u << BW_CAT_BRUTEFORCE;
    (void)state;

    assert_string_equal(bw_catmask_format(m, buf, 16), "scan,bruteforce");
    assert_string_equal(bw_catmask_format(m, buf, 15), "scan");
    assert_string_equal(bw_catmask_format(m, buf, 5), "scan");
    assert_string_equal(bw_catmask_format(m, buf, 4), "");
    assert_string_equal(bw_catmask_format(m, buf, 1), "");
    buf[0] = 'x';
    bw_catmask_format(m, buf, 0); /* nothing may be written */
    assert_int_equal(buf[0], 'x');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_are_exact),
        cmocka_unit_test(parse_is_exact),
        cmocka_unit_test(mask_formats_in_enum_order),
        cmocka_unit_test(mask_truncates_on_whole_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
