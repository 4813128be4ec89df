/*
 * tests/unit/core/test_time.c - RFC 3339 parse/format, calendar edges, the fixed clock.
 */
#include "test.h"
#include "core/core.h"

#include <stdio.h>
#include <time.h>

static int parse(int64_t *t, const char *s)
{
    return bw_time_parse(t, s, strlen(s));
}

static void parses_to(const char *s, int64_t want)
{
    int64_t t = 0;

    if (parse(&t, s) != BW_OK)
        fail_msg("%s: does not parse", s);
    if (t != want)
        fail_msg("%s: got %lld, want %lld", s, (long long)t, (long long)want);
}

static void parses_known_instants(void **state)
{
    (void)state;
    parses_to("1970-01-01T00:00:00Z", 0);
    parses_to("1969-12-31T23:59:59Z", -1);
    parses_to("2026-06-01T12:00:00Z", 1780315200);
    parses_to("2000-02-29T00:00:00Z", 951782400);
    parses_to("2024-02-29T23:59:59Z", 1709251199);
    parses_to("1900-03-01T00:00:00Z", -2203891200);
    parses_to("0000-01-01T00:00:00Z", INT64_C(-62167219200));
    parses_to("9999-12-31T23:59:59Z", INT64_C(253402300799));
}

static void accepts_variants(void **state)
{
    (void)state;
    parses_to("2026-06-01t12:00:00z", 1780315200);
    parses_to("2026-06-01 12:00:00Z", 1780315200);
    parses_to("2026-06-01T12:00:00.5Z", 1780315200);
    parses_to("2026-06-01T12:00:00.999999999Z", 1780315200);
    parses_to("2026-06-01T14:00:00+02:00", 1780315200);
    parses_to("2026-06-01T06:30:00-05:30", 1780315200);
    parses_to("2026-06-01T12:00:00+00:00", 1780315200);
    parses_to("2026-06-01T12:00:00-00:00", 1780315200);
    parses_to("2026-06-02T11:59:00+23:59", 1780315200);
    parses_to("2024-01-01T01:00:00+01:00", 1704067200);
    parses_to("2023-12-31T23:00:00-01:00", 1704067200);
    /* A leap second is the last second of a UTC day; it folds onto 23:59:59. */
    parses_to("2016-12-31T23:59:60Z", 1483228799);
    parses_to("2017-01-01T05:29:60+05:30", 1483228799);
}

static void rejects_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "2026-06-01",
        "2026-06-01T12:00:00",      /* no zone */
        "2026-06-01T12:00Z",
        "2026-06-01T12:00:00ZZ",
        "2026-06-01T12:00:00+01:00Z",
        "2026-06-01T12:00:00Z ",
        " 2026-06-01T12:00:00Z",
        "2026-06-01_12:00:00Z",
        "2026-06-01TT12:00:00Z",
        "2026-6-01T12:00:00Z",
        "26-06-01T12:00:00Z",
        "+2026-06-01T12:00:00Z",
        "-2026-06-01T12:00:00Z",
        "20260-06-01T12:00:00Z",
        "2026-06-01T12:00:00.Z",    /* fraction needs a digit */
        "2026-06-01T12:00:00,5Z",
        "2026-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z",     /* not a leap year */
        "1900-02-29T00:00:00Z",     /* divisible by 100 */
        "2100-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-01-00T00:00:00Z",
        "2026-01-32T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T23:60:00Z",
        "2026-01-01T23:59:61Z",
        "2016-12-31T23:58:60Z",     /* not at the end of a UTC day */
        "2016-12-31T23:59:60+01:00",
        "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00+01:60",
        "2026-01-01T00:00:00+0100",
        "2026-01-01T00:00:00+01",
        "2026-01-01T00:00:00 +01:00",
        "2026-01-01T0a:00:00Z",
        "0000-01-01T00:00:00+00:01", /* before year 0 in UTC */
        "9999-12-31T23:59:59-00:01", /* after year 9999 in UTC */
    };
    int64_t t;
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        t = 42;
        if (parse(&t, bad[i]) != BW_EMALFORMED)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(t, 42);
    }
    assert_int_equal(bw_time_parse(&t, "2026-06-01T12:00:00Z\0", 21), BW_EMALFORMED);
    assert_int_equal(bw_time_parse(&t, NULL, 0), BW_EMALFORMED);
}

static void length_bounds_the_text(void **state)
{
    int64_t t;
    (void)state;

    assert_int_equal(bw_time_parse(&t, "2026-06-01T12:00:00Z,more", 20), BW_OK);
    assert_int_equal(t, 1780315200);
    assert_int_equal(bw_time_parse(&t, "2026-06-01T12:00:00Z", 19), BW_EMALFORMED);
}

static void formats_and_clamps(void **state)
{
    char buf[BW_TIME_TEXT_MAX];
    (void)state;

    assert_string_equal(bw_time_format(0, buf), "1970-01-01T00:00:00Z");
    assert_string_equal(bw_time_format(-1, buf), "1969-12-31T23:59:59Z");
    assert_string_equal(bw_time_format(951782400, buf), "2000-02-29T00:00:00Z");
    assert_string_equal(bw_time_format(1780315200, buf), "2026-06-01T12:00:00Z");
    assert_string_equal(bw_time_format(INT64_C(-62167219200), buf), "0000-01-01T00:00:00Z");
    assert_string_equal(bw_time_format(INT64_C(253402300799), buf), "9999-12-31T23:59:59Z");
    assert_string_equal(bw_time_format(INT64_MIN, buf), "0000-01-01T00:00:00Z");
    assert_string_equal(bw_time_format(INT64_MAX, buf), "9999-12-31T23:59:59Z");
    assert_int_equal(strlen(buf), BW_TIME_TEXT_MAX - 1);
}

static void agrees_with_gmtime_and_round_trips(void **state)
{
    uint64_t x = 0x243f6a8885a308d3u;
    (void)state;

    for (int i = 0; i < 200000; i++) {
        char ours[BW_TIME_TEXT_MAX], theirs[64];
        struct tm tm;
        int64_t back;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* Years 0000..9999, with extra weight near the day and month boundaries. */
        int64_t t = INT64_C(-62167219200) + (int64_t)(x % UINT64_C(315569520000));
        if (i % 3 == 0)
            t -= t % 86400;
        if (i % 3 == 1)
            t += 86399 - (t % 86400 + 86400) % 86400;
        if (t > INT64_C(253402300799))
            t = INT64_C(253402300799);
        time_t tt = (time_t)t;
        assert_non_null(gmtime_r(&tt, &tm));
        snprintf(theirs, sizeof(theirs), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        bw_time_format(t, ours);
        if (strcmp(ours, theirs) != 0)
            fail_msg("%lld: formatted %s, gmtime says %s", (long long)t, ours, theirs);
        assert_int_equal(parse(&back, ours), BW_OK);
        assert_int_equal(back, t);
    }
}

static void clock_can_be_fixed(void **state)
{
    (void)state;
    int64_t before = (int64_t)time(NULL);
    int64_t now = bw_time_now();
    assert_true(now >= before && now <= (int64_t)time(NULL));
    bw_time_set_now(1780315200);
    assert_int_equal(bw_time_now(), 1780315200);
    bw_time_set_now(0);
    assert_int_equal(bw_time_now(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_known_instants),
        cmocka_unit_test(accepts_variants),
        cmocka_unit_test(rejects_invalid),
        cmocka_unit_test(length_bounds_the_text),
        cmocka_unit_test(formats_and_clamps),
        cmocka_unit_test(agrees_with_gmtime_and_round_trips),
        cmocka_unit_test(clock_can_be_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
