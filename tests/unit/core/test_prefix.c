/*
 * tests/unit/core/test_prefix.c - bw_prefix_parse/format/contains.
 */
#include "test.h"
#include "core/core.h"

#include <stdio.h>

static int parse(struct bw_prefix *p, const char *s)
{
    return bw_prefix_parse(p, s, strlen(s));
}

static struct bw_addr addr(const char *s)
{
    struct bw_addr a;

    assert_int_equal(bw_addr_parse(&a, s, strlen(s)), BW_OK);
    return a;
}

static void canonical(const char *in, const char *want, unsigned want_len)
{
    struct bw_prefix p, again;
    char buf[BW_PREFIX_TEXT_MAX];

    if (parse(&p, in) != BW_OK)
        fail_msg("%s: does not parse", in);
    assert_int_equal(p.len, want_len);
    bw_prefix_format(&p, buf);
    if (strcmp(buf, want) != 0)
        fail_msg("%s: formatted as %s, want %s", in, buf, want);
    assert_int_equal(parse(&again, buf), BW_OK);
    assert_int_equal(again.len, p.len);
    assert_memory_equal(again.addr.b, p.addr.b, 16);
}

static void parses_and_formats(void **state)
{
    (void)state;
    canonical("81.2.69.0/24", "81.2.69.0/24", 120);
    canonical("1.2.3.4", "1.2.3.4/32", 128);
    canonical("1.2.3.4/32", "1.2.3.4/32", 128);
    canonical("0.0.0.0/0", "0.0.0.0/0", 96);
    canonical("128.0.0.0/1", "128.0.0.0/1", 97);
    canonical("::ffff:1.2.3.0/120", "1.2.3.0/24", 120);
    canonical("::ffff:0:0/96", "0.0.0.0/0", 96);
    canonical("2a02:cf40::/32", "2a02:cf40::/32", 32);
    canonical("2001:DB8::/32", "2001:db8::/32", 32);
    canonical("::/0", "::/0", 0);
    canonical("::1", "::1/128", 128);
    canonical("2001:db8::1/128", "2001:db8::1/128", 128);
    canonical("fe80::/10", "fe80::/10", 10);
    canonical("8000::/1", "8000::/1", 1);
}

static void rejects_bad_prefixes(void **state)
{
    static const char *const bad[] = {
        "1.2.3.4/24",     /* host bits set */
        "1.0.0.0/1",
        "2001:db8::1/32",
        "::ffff:0:0/95",  /* the ffff of a mapped address are host bits below /96 */
        "::ffff:1.2.3.4/24",
        "1.2.3.0/33",
        "::/129",
        "1.2.3.0/",
        "1.2.3.0/024",    /* leading zero */
        "::/00",
        "1.2.3.0/-1",
        "1.2.3.0/+24",
        "1.2.3.0/ 24",
        "1.2.3.0/24 ",
        " 1.2.3.0/24",
        "1.2.3.0/24/",
        "1.2.3.0/24/24",
        "1.2.3.0/2 4",
        "10.0.0.0/8x",
        "/24",
        "",
        "01.2.3.0/24",
        "1.2.3.0/1000",
        "::1%lo/128",
    };
    struct bw_prefix p;
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        if (parse(&p, bad[i]) != BW_EMALFORMED)
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void contains_respects_boundaries(void **state)
{
    struct bw_prefix p;
    (void)state;

    assert_int_equal(parse(&p, "10.0.0.0/8"), BW_OK);
    struct bw_addr in_lo = addr("10.0.0.0");
    struct bw_addr in_hi = addr("10.255.255.255");
    struct bw_addr out_lo = addr("9.255.255.255");
    struct bw_addr out_hi = addr("11.0.0.0");
    assert_true(bw_prefix_contains(&p, &in_lo));
    assert_true(bw_prefix_contains(&p, &in_hi));
    assert_false(bw_prefix_contains(&p, &out_lo));
    assert_false(bw_prefix_contains(&p, &out_hi));

    /* A /13 splits a byte: 172.16/12 is 172.16-172.31. */
    assert_int_equal(parse(&p, "172.16.0.0/12"), BW_OK);
    struct bw_addr a = addr("172.31.255.255");
    assert_true(bw_prefix_contains(&p, &a));
    a = addr("172.32.0.0");
    assert_false(bw_prefix_contains(&p, &a));
    a = addr("172.15.255.255");
    assert_false(bw_prefix_contains(&p, &a));

    /* IPv4 /0 is all of IPv4 and no IPv6. */
    assert_int_equal(parse(&p, "0.0.0.0/0"), BW_OK);
    a = addr("255.255.255.255");
    assert_true(bw_prefix_contains(&p, &a));
    a = addr("2001:db8::1");
    assert_false(bw_prefix_contains(&p, &a));
    a = addr("::1");
    assert_false(bw_prefix_contains(&p, &a));

    /* IPv6 /0 is everything, IPv4 included. */
    assert_int_equal(parse(&p, "::/0"), BW_OK);
    a = addr("8.8.8.8");
    assert_true(bw_prefix_contains(&p, &a));
    a = addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    assert_true(bw_prefix_contains(&p, &a));

    assert_int_equal(parse(&p, "2001:db8::1"), BW_OK);
    a = addr("2001:db8::1");
    assert_true(bw_prefix_contains(&p, &a));
    a = addr("2001:db8::");
    assert_false(bw_prefix_contains(&p, &a));
    a = addr("2001:db8::2");
    assert_false(bw_prefix_contains(&p, &a));
}

static void every_ipv4_length_round_trips(void **state)
{
    char text[BW_PREFIX_TEXT_MAX];
    char buf[BW_PREFIX_TEXT_MAX];
    struct bw_prefix p;
    (void)state;

    for (unsigned n = 0; n <= 32; n++) {
        /* 255.255.255.255 masked to n bits */
        uint32_t net = n == 0 ? 0 : UINT32_MAX << (32 - n);
        snprintf(text, sizeof(text), "%u.%u.%u.%u/%u", net >> 24, (net >> 16) & 255,
                 (net >> 8) & 255, net & 255, n);
        assert_int_equal(parse(&p, text), BW_OK);
        assert_int_equal(p.len, 96 + n);
        assert_string_equal(bw_prefix_format(&p, buf), text);
        if (n < 32) {
            snprintf(text, sizeof(text), "%u.%u.%u.%u/%u", net >> 24, (net >> 16) & 255,
                     (net >> 8) & 255, (net & 255) | 1, n);
            assert_int_equal(parse(&p, text), BW_EMALFORMED);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_and_formats),
        cmocka_unit_test(rejects_bad_prefixes),
        cmocka_unit_test(contains_respects_boundaries),
        cmocka_unit_test(every_ipv4_length_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
