/*
 * tests/unit/core/test_number.c - decimal numbers from text: strict digits, ranges, overflow.
 */
#include "test.h"

#include "core/core.h"

static void numbers_within_their_range(void **state)
{
    uint64_t v = 42;

    (void)state;
    assert_int_equal(bw_u64_parse("0", 0, 10, &v), BW_OK);
    assert_int_equal(v, 0);
    assert_int_equal(bw_u64_parse("007", 0, 10, &v), BW_OK);
    assert_int_equal(v, 7);
    assert_int_equal(bw_u64_parse("18446744073709551615", 0, UINT64_MAX, &v), BW_OK);
    assert_true(v == UINT64_MAX);
    assert_int_equal(bw_u64_parse("10", 1, 10, &v), BW_OK);
    assert_int_equal(v, 10);
}

static void anything_else_is_refused_and_leaves_out_alone(void **state)
{
    static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "1e3", "0x10", "1.5",
                                       "18446744073709551616", "99999999999999999999" };
    uint64_t v = 42;

    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        assert_int_equal(bw_u64_parse(bad[i], 0, UINT64_MAX, &v), BW_EMALFORMED);
        assert_int_equal(v, 42);
    }
    assert_int_equal(bw_u64_parse(NULL, 0, 1, &v), BW_EMALFORMED);
    assert_int_equal(bw_u64_parse("11", 1, 10, &v), BW_EMALFORMED); /* above max */
    assert_int_equal(bw_u64_parse("0", 1, 10, &v), BW_EMALFORMED);  /* below min */
    assert_int_equal(v, 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers_within_their_range),
        cmocka_unit_test(anything_else_is_refused_and_leaves_out_alone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
