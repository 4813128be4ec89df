/*
 * tests/unit/core/test_utf8.c - UTF-8 well-formedness edges and boundary-safe truncation.
 */
#include "test.h"
#include "core/core.h"

#define VALID(lit) assert_true(bw_utf8_valid(lit, sizeof(lit) - 1))
#define INVALID(lit) assert_false(bw_utf8_valid(lit, sizeof(lit) - 1))

static void accepts_well_formed(void **state)
{
    (void)state;
    VALID("");
    VALID("plain ascii");
    VALID("\x00");               /* NUL is a code point */
    VALID("\x7f");
    VALID("\xc2\x80");           /* U+0080, smallest two-byte */
    VALID("caf\xc3\xa9");
    VALID("\xdf\xbf");           /* U+07FF */
    VALID("\xe0\xa0\x80");       /* U+0800, smallest three-byte */
    VALID("\xe2\x82\xac");       /* euro sign */
    VALID("\xed\x9f\xbf");       /* U+D7FF, just below the surrogates */
    VALID("\xee\x80\x80");       /* U+E000, just above them */
    VALID("\xef\xbf\xbf");       /* U+FFFF */
    VALID("\xf0\x90\x80\x80");   /* U+10000, smallest four-byte */
    VALID("\xf0\x9f\x98\x80");   /* emoji */
    VALID("\xf4\x8f\xbf\xbf");   /* U+10FFFF, the maximum */
}

static void rejects_overlongs(void **state)
{
    (void)state;
    INVALID("\xc0\x80");         /* overlong NUL */
    INVALID("\xc0\xaf");         /* overlong '/' */
    INVALID("\xc1\xbf");
    INVALID("\xe0\x80\x80");
    INVALID("\xe0\x9f\xbf");     /* overlong U+07FF */
    INVALID("\xf0\x80\x80\x80");
    INVALID("\xf0\x8f\xbf\xbf"); /* overlong U+FFFF */
}

static void rejects_surrogates_and_out_of_range(void **state)
{
    (void)state;
    INVALID("\xed\xa0\x80");     /* U+D800 */
    INVALID("\xed\xbf\xbf");     /* U+DFFF */
    INVALID("\xed\xa0\xbd\xed\xb8\x80"); /* CESU-8 pair */
    INVALID("\xf4\x90\x80\x80"); /* U+110000 */
    INVALID("\xf5\x80\x80\x80");
    INVALID("\xf7\xbf\xbf\xbf");
    INVALID("\xf8\x88\x80\x80\x80");
    INVALID("\xfe");
    INVALID("\xff");
}

static void rejects_truncated_and_stray(void **state)
{
    (void)state;
    INVALID("\x80");
    INVALID("a\xbf");
    INVALID("\xc3");
    INVALID("caf\xc3");
    INVALID("\xe2\x82");
    INVALID("\xf0\x9f\x98");
    INVALID("\xc3\x41");         /* lead followed by ASCII */
    INVALID("\xe2\x28\xa1");
    INVALID("\xf0\x9f\x98\x80\x80");
    INVALID("\xf0\x9f\x98\x41");
    /* The length bounds the check: a valid prefix of an invalid buffer is valid. */
    assert_true(bw_utf8_valid("ab\xff", 2));
    assert_false(bw_utf8_valid("ab\xff", 3));
    assert_false(bw_utf8_valid("\xe2\x82\xac", 2));
}

static void truncates_on_sequence_boundaries(void **state)
{
    static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"; /* a é € 😀 z */
    static const size_t want[] = {
        /* max: 0  1  2  3  4  5  6  7  8  9 10 11 12 */
        0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11, 11,
    };
    size_t len = sizeof(s) - 1;
    (void)state;

    for (size_t max = 0; max <= len + 1; max++) {
        size_t got = bw_utf8_truncate(s, len, max);
        size_t expect = max > len ? len : want[max];
        if (got != expect)
            fail_msg("max %zu: got %zu, want %zu", max, got, expect);
        assert_true(bw_utf8_valid(s, got));
    }
    assert_int_equal(bw_utf8_truncate("abc", 3, 100), 3);
    assert_int_equal(bw_utf8_truncate("", 0, 0), 0);
    /* Garbage is cut where asked: there is no sequence to protect. */
    assert_int_equal(bw_utf8_truncate("\x80\x80\x80\x80\x80", 5, 3), 3);
    assert_int_equal(bw_utf8_truncate("a\xc3\xa9\x80\x80", 5, 4), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_well_formed),
        cmocka_unit_test(rejects_overlongs),
        cmocka_unit_test(rejects_surrogates_and_out_of_range),
        cmocka_unit_test(rejects_truncated_and_stray),
        cmocka_unit_test(truncates_on_sequence_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
