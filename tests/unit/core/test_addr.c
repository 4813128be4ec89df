/*
 * tests/unit/core/test_addr.c - bw_addr_parse/format/cmp/is_v4: strictness and canonical text.
 */
#include "test.h"
#include "core/core.h"

#include <stdio.h>

static int parse(struct bw_addr *a, const char *s)
{
    return bw_addr_parse(a, s, strlen(s));
}

static void canonical(const char *in, const char *want)
{
    struct bw_addr a, again;
    char buf[BW_ADDR_TEXT_MAX];

    if (parse(&a, in) != BW_OK)
        fail_msg("%s: does not parse", in);
    bw_addr_format(&a, buf);
    if (strcmp(buf, want) != 0)
        fail_msg("%s: formatted as %s, want %s", in, buf, want);
    assert_int_equal(parse(&again, buf), BW_OK);
    assert_memory_equal(a.b, again.b, 16);
}

static void rejects_malformed_text(void **state)
{
    static const char *const bad[] = {
        "",
        "01.2.3.4",        /* leading zero: octal on some stacks */
        "1.2.3.04",
        "00.0.0.0",
        "1.02.3.4",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.256",
        "256.1.1.1",
        "1234.1.1.1",
        "1..2.3",
        ".1.2.3",
        "1.2.3.",
        "1.2.3.-1",
        "+1.2.3.4",
        "0x1.2.3.4",
        " 1.2.3.4",
        "1.2.3.4 ",
        "1.2.3.4\n",
        "\t::1",
        "1.2.3.4/32",
        "::1%eth0",
        "fe80::1%1",
        "gggg::",
        ":::",
        "1::2::3",
        "12345::",
        ":1::",
        "1::2:",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7::8",
        "1:2:3:4:5:6:7",
        "1.2.3.4::",
        "::1.2.3",
        "::ffff:01.2.3.4", /* the IPv4 tail is just as strict */
        "::ffff:1.2.3.256",
        "1:2:3:4:5:6:7:1.2.3.4",
        "[::1]",
        "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555",
    };
    struct bw_addr a;
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        if (parse(&a, bad[i]) != BW_EMALFORMED)
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void rejects_embedded_nul_and_overlong(void **state)
{
    struct bw_addr a;
    char big[64];
    (void)state;

    assert_int_equal(bw_addr_parse(&a, "1.2.3.4\0", 8), BW_EMALFORMED);
    assert_int_equal(bw_addr_parse(&a, "::1\0:1", 6), BW_EMALFORMED);
    assert_int_equal(bw_addr_parse(&a, NULL, 0), BW_EMALFORMED);
    /* 45 characters is the longest real text; 46 is refused even if it were all zeros. */
    assert_int_equal(parse(&a, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"), BW_OK);
    /* No valid text is longer than 45; a long run of zeros must not reach inet_pton. */
    memset(big, '0', sizeof(big));
    assert_int_equal(bw_addr_parse(&a, big, sizeof(big)), BW_EMALFORMED);
    memcpy(big, "::", 2);
    assert_int_equal(bw_addr_parse(&a, big, 46), BW_EMALFORMED);
}

static void failure_leaves_output_alone(void **state)
{
    struct bw_addr a;
    (void)state;

    memset(a.b, 0xab, sizeof(a.b));
    assert_int_equal(parse(&a, "1.2.3.256"), BW_EMALFORMED);
    for (int i = 0; i < 16; i++)
        assert_int_equal(a.b[i], 0xab);
}

static void length_bounds_the_text(void **state)
{
    struct bw_addr a, b;
    (void)state;

    /* Only len bytes are read: the caller's text need not be NUL-terminated. */
    assert_int_equal(bw_addr_parse(&a, "81.2.69.142,next", 11), BW_OK);
    assert_int_equal(parse(&b, "81.2.69.142"), BW_OK);
    assert_int_equal(bw_addr_cmp(&a, &b), 0);
    assert_int_equal(bw_addr_parse(&a, "81.2.69.142", 10), BW_OK); /* "81.2.69.14" */
    assert_int_equal(a.b[15], 14);
}

static void formats_canonically(void **state)
{
    (void)state;
    canonical("2A02:CF40:0000:0001:0000:0000:0000:0017", "2a02:cf40:0:1::17");
    canonical("::ffff:81.2.69.142", "81.2.69.142");
    canonical("::FFFF:5102:458E", "81.2.69.142");
    canonical("0:0:0:0:0:ffff:81.2.69.142", "81.2.69.142");
    canonical("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
    canonical("1:0:0:2:0:0:0:3", "1:0:0:2::3");
    canonical("1:0:0:0:2:0:0:3", "1::2:0:0:3");
    canonical("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"); /* one zero group stays */
    canonical("0:0:0:0:0:0:0:0", "::");
    canonical("::", "::");
    canonical("::1", "::1");
    canonical("1::", "1::");
    canonical("fe80:0:0:0:0:0:0:0", "fe80::");
    canonical("::2:3", "::2:3");         /* glibc inet_ntop says ::0.2.0.3 */
    canonical("::1.2.3.4", "::102:304"); /* IPv4-compatible is not IPv4 */
    canonical("::ffff:0:1.2.3.4", "::ffff:0:102:304");
    canonical("64:ff9b::81.2.69.142", "64:ff9b::5102:458e");
    canonical("0001:0002:0003:0004:0005:0006:0007:0008", "1:2:3:4:5:6:7:8");
    canonical("FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    canonical("0.0.0.0", "0.0.0.0");
    canonical("255.255.255.255", "255.255.255.255");
    canonical("8.8.8.8", "8.8.8.8");
    canonical("10.0.0.1", "10.0.0.1");
    canonical("2001:4860:4860::8888", "2001:4860:4860::8888");
}

static void ipv4_is_the_mapped_address(void **state)
{
    struct bw_addr v4, mapped, v6;
    static const uint8_t want[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 81, 2, 69, 142 };
    (void)state;

    assert_int_equal(parse(&v4, "81.2.69.142"), BW_OK);
    assert_int_equal(parse(&mapped, "::ffff:81.2.69.142"), BW_OK);
    assert_memory_equal(v4.b, want, 16);
    assert_memory_equal(mapped.b, want, 16);
    assert_true(bw_addr_is_v4(&v4));
    assert_true(bw_addr_is_v4(&mapped));
    assert_int_equal(parse(&v6, "::1.2.3.4"), BW_OK);
    assert_false(bw_addr_is_v4(&v6));
    assert_int_equal(parse(&v6, "::fffe:1.2.3.4"), BW_OK);
    assert_false(bw_addr_is_v4(&v6));
    assert_int_equal(parse(&v6, "2a02:cf40::1"), BW_OK);
    assert_false(bw_addr_is_v4(&v6));
}

static void compares_bytewise(void **state)
{
    struct bw_addr a, b;
    (void)state;

    assert_int_equal(parse(&a, "1.2.3.4"), BW_OK);
    assert_int_equal(parse(&b, "1.2.3.5"), BW_OK);
    assert_int_equal(bw_addr_cmp(&a, &b), -1);
    assert_int_equal(bw_addr_cmp(&b, &a), 1);
    assert_int_equal(bw_addr_cmp(&a, &a), 0);
    /* Sign only, so callers may compare with == 1. */
    assert_int_equal(parse(&a, "1.0.0.0"), BW_OK);
    assert_int_equal(parse(&b, "255.0.0.0"), BW_OK);
    assert_int_equal(bw_addr_cmp(&b, &a), 1);
    assert_int_equal(parse(&a, "::1"), BW_OK);
    assert_int_equal(bw_addr_cmp(&a, &b), -1);
    assert_int_equal(parse(&a, "2001:db8::"), BW_OK);
    assert_int_equal(bw_addr_cmp(&a, &b), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rejects_malformed_text),
        cmocka_unit_test(rejects_embedded_nul_and_overlong),
        cmocka_unit_test(failure_leaves_output_alone),
        cmocka_unit_test(length_bounds_the_text),
        cmocka_unit_test(formats_canonically),
        cmocka_unit_test(ipv4_is_the_mapped_address),
        cmocka_unit_test(compares_bytewise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
