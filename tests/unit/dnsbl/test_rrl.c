/*
 * tests/unit/dnsbl/test_rrl.c - response rate limiting: the bucket empties after the burst,
 * refills at the rate, slips every slip-th limited answer, and keys on /24 and /56.
 * The clock is passed in, so no test waits.
 */
#include "test.h"

#include "dnsbl/dnsbl.h"

static struct bw_addr A(const char *s)
{
    struct bw_addr a;
    assert_int_equal(bw_addr_parse(&a, s, strlen(s)), BW_OK);
    return a;
}

static void burst_then_limited_then_refilled(void **state)
{
    struct bw_rrl *r = bw_rrl_new(10, 5, 0, 1024);
    struct bw_addr c = A("198.51.100.7");
    (void)state;
    for (int i = 0; i < 5; i++)
        assert_int_equal(bw_rrl_check(r, &c, 1000), BW_RRL_SEND);
    assert_int_equal(bw_rrl_check(r, &c, 1000), BW_RRL_DROP);
    assert_int_equal(bw_rrl_check(r, &c, 1050), BW_RRL_DROP); /* 0.5 token */
    assert_int_equal(bw_rrl_check(r, &c, 1100), BW_RRL_SEND); /* 1 token after 100 ms at 10/s */
    assert_int_equal(bw_rrl_check(r, &c, 1100), BW_RRL_DROP);
    /* a long idle time refills only up to the burst */
    for (int i = 0; i < 5; i++)
        assert_int_equal(bw_rrl_check(r, &c, 999999999), BW_RRL_SEND);
    assert_int_equal(bw_rrl_check(r, &c, 999999999), BW_RRL_DROP);
    bw_rrl_free(r);
}

static void slip_sends_every_nth_limited(void **state)
{
    struct bw_rrl *r = bw_rrl_new(1, 1, 3, 64);
    struct bw_addr c = A("2001:db8::1");
    (void)state;
    assert_int_equal(bw_rrl_check(r, &c, 0), BW_RRL_SEND);
    assert_int_equal(bw_rrl_check(r, &c, 0), BW_RRL_DROP);
    assert_int_equal(bw_rrl_check(r, &c, 0), BW_RRL_DROP);
    assert_int_equal(bw_rrl_check(r, &c, 0), BW_RRL_SLIP);
    assert_int_equal(bw_rrl_check(r, &c, 0), BW_RRL_DROP);
    bw_rrl_free(r);
}

static void networks_are_slash24_and_slash56(void **state)
{
    struct bw_rrl *r = bw_rrl_new(1, 1, 0, 4096);
    struct bw_addr a1 = A("203.0.113.1"), a2 = A("203.0.113.254"), b = A("203.0.114.1");
    struct bw_addr v1 = A("2001:db8:0:ab00::1"), v2 = A("2001:db8:0:abff::2"),
                   v3 = A("2001:db8:0:ac00::1");
    (void)state;
    assert_int_equal(bw_rrl_check(r, &a1, 0), BW_RRL_SEND);
    assert_int_equal(bw_rrl_check(r, &a2, 0), BW_RRL_DROP); /* same /24 */
    assert_int_equal(bw_rrl_check(r, &b, 0), BW_RRL_SEND);
    assert_int_equal(bw_rrl_check(r, &v1, 0), BW_RRL_SEND);
    assert_int_equal(bw_rrl_check(r, &v2, 0), BW_RRL_DROP); /* same /56 */
    assert_int_equal(bw_rrl_check(r, &v3, 0), BW_RRL_SEND);
    bw_rrl_free(r);
}

static void rate_zero_is_no_limit(void **state)
{
    struct bw_addr c = A("192.0.2.1");
    (void)state;
    assert_null(bw_rrl_new(0, 10, 2, 64));
    for (int i = 0; i < 1000; i++)
        assert_int_equal(bw_rrl_check(NULL, &c, 0), BW_RRL_SEND);
    bw_rrl_free(NULL);
}

/* Many networks against a small table: memory stays fixed, and a network that keeps sending
 * is never let through more than burst + rate * time. */
static void table_is_bounded(void **state)
{
    struct bw_rrl *r = bw_rrl_new(5, 5, 0, 64);
    struct bw_addr me = A("198.51.100.1");
    int sent = 0;
    (void)state;
    for (int i = 0; i < 100; i++) {
        if (bw_rrl_check(r, &me, 0) == BW_RRL_SEND)
            sent++;
    }
    assert_int_equal(sent, 5);
    for (uint32_t i = 0; i < 100000; i++) {
        struct bw_addr o = me;
        o.b[12] = (uint8_t)(i >> 16);
        o.b[13] = (uint8_t)(i >> 8);
        o.b[14] = (uint8_t)i;
        (void)bw_rrl_check(r, &o, 0);
    }
    bw_rrl_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(burst_then_limited_then_refilled),
        cmocka_unit_test(slip_sends_every_nth_limited),
        cmocka_unit_test(networks_are_slash24_and_slash56),
        cmocka_unit_test(rate_zero_is_no_limit),
        cmocka_unit_test(table_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
