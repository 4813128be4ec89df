/*
 * tests/unit/core/test_pfxset.c - longest-prefix match: nesting, range edges, both families,
 * duplicates, and a randomised comparison against a brute-force linear scan.
 */
#include "test.h"
#include "core/core.h"

#include <stdio.h>

#define TOP_127 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"
#define TOP_128 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"

static struct bw_prefix pfx(const char *s)
{
    struct bw_prefix p;

    if (bw_prefix_parse(&p, s, strlen(s)) != BW_OK)
        fail_msg("%s: does not parse", s);
    return p;
}

static void add(struct bw_pfxset *s, const char *text, uint32_t value)
{
    struct bw_prefix p = pfx(text);

    assert_int_equal(bw_pfxset_add(s, &p, value), BW_OK);
}

/* want_prefix NULL means no prefix may match. */
static void expect(const struct bw_pfxset *s, const char *text, const char *want_prefix,
                   uint32_t want_value)
{
    struct bw_addr a;
    struct bw_prefix m;
    uint32_t v = 0xdeadbeef;
    char buf[BW_PREFIX_TEXT_MAX];

    assert_int_equal(bw_addr_parse(&a, text, strlen(text)), BW_OK);
    bool found = bw_pfxset_lookup(s, &a, &v, &m);
    if (want_prefix == NULL) {
        if (found)
            fail_msg("%s: matched %s, want no match", text, bw_prefix_format(&m, buf));
        assert_int_equal(v, 0xdeadbeef);
        return;
    }
    if (!found)
        fail_msg("%s: no match, want %s", text, want_prefix);
    bw_prefix_format(&m, buf);
    if (strcmp(buf, want_prefix) != 0 || v != want_value)
        fail_msg("%s: matched %s=%u, want %s=%u", text, buf, v, want_prefix, want_value);
}

static void check_nested_v4(const struct bw_pfxset *s)
{
    expect(s, "9.255.255.255", NULL, 0);
    expect(s, "10.0.0.0", "10.0.0.0/8", 1);
    expect(s, "10.0.255.255", "10.0.0.0/8", 1);
    expect(s, "10.1.0.0", "10.1.0.0/16", 2);
    expect(s, "10.1.1.255", "10.1.0.0/16", 2);
    expect(s, "10.1.2.0", "10.1.2.0/24", 3);
    expect(s, "10.1.2.77", "10.1.2.0/24", 3);
    expect(s, "10.1.2.255", "10.1.2.0/24", 3);
    expect(s, "10.1.3.0", "10.1.0.0/16", 2);
    expect(s, "10.1.255.255", "10.1.0.0/16", 2);
    expect(s, "10.2.0.0", "10.0.0.0/8", 1);
    expect(s, "10.255.255.255", "10.0.0.0/8", 1);
    expect(s, "11.0.0.0", NULL, 0);
    expect(s, "::a01:203", NULL, 0); /* same low bytes, but not IPv4 */
}

static void nested_ipv4_longest_wins(void **state)
{
    struct bw_pfxset *s = bw_pfxset_new();
    (void)state;

    add(s, "10.0.0.0/8", 1);
    add(s, "10.1.0.0/16", 2);
    add(s, "10.1.2.0/24", 3);
    bw_pfxset_seal(s);
    assert_int_equal(bw_pfxset_count(s), 3);
    check_nested_v4(s);
    bw_pfxset_free(s);
}

static void insertion_order_does_not_matter(void **state)
{
    struct bw_pfxset *s = bw_pfxset_new();
    (void)state;

    add(s, "10.1.2.0/24", 3);
    add(s, "10.0.0.0/8", 1);
    add(s, "10.1.0.0/16", 2);
    bw_pfxset_seal(s);
    check_nested_v4(s);
    bw_pfxset_free(s);
}

static void shared_start_and_adjacent_prefixes(void **state)
{
    struct bw_pfxset *s = bw_pfxset_new();
    (void)state;

    add(s, "10.0.0.0/8", 1);
    add(s, "10.0.0.0/24", 2);
    add(s, "10.0.0.0/32", 3);
    add(s, "10.0.0.1/32", 4);
    add(s, "10.0.1.0/24", 5);
    add(s, "10.255.255.255/32", 6);
    bw_pfxset_seal(s);
    expect(s, "10.0.0.0", "10.0.0.0/32", 3);
    expect(s, "10.0.0.1", "10.0.0.1/32", 4);
    expect(s, "10.0.0.2", "10.0.0.0/24", 2);
    expect(s, "10.0.0.255", "10.0.0.0/24", 2);
    expect(s, "10.0.1.0", "10.0.1.0/24", 5);
    expect(s, "10.0.1.255", "10.0.1.0/24", 5);
    expect(s, "10.0.2.0", "10.0.0.0/8", 1);
    expect(s, "10.255.255.254", "10.0.0.0/8", 1);
    expect(s, "10.255.255.255", "10.255.255.255/32", 6);
    expect(s, "11.0.0.0", NULL, 0);
    bw_pfxset_free(s);
}

static void ipv6_with_default_route(void **state)
{
    struct bw_pfxset *s = bw_pfxset_new();
    (void)state;

    add(s, "::/0", 100);
    add(s, "2001:db8::/32", 1);
    add(s, "2001:db8:1::/48", 2);
    add(s, "2001:db8:1::1/128", 3);
    add(s, "0.0.0.0/0", 4);
    add(s, "81.2.69.0/24", 5);
    add(s, TOP_127, 6);
    bw_pfxset_seal(s);
    expect(s, "::", "::/0", 100);
    expect(s, "2a02:cf40::1", "::/0", 100);
    expect(s, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "::/0", 100);
    expect(s, "2001:db8::", "2001:db8::/32", 1);
    expect(s, "2001:db8:0:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32", 1);
    expect(s, "2001:db8:1::", "2001:db8:1::/48", 2);
    expect(s, "2001:db8:1::1", "2001:db8:1::1/128", 3);
    expect(s, "2001:db8:1::2", "2001:db8:1::/48", 2);
    expect(s, "2001:db8:1:ffff:ffff:ffff:ffff:ffff", "2001:db8:1::/48", 2);
    expect(s, "2001:db8:2::", "2001:db8::/32", 1);
    expect(s, "2001:db9::", "::/0", 100);
    expect(s, "8.8.8.8", "0.0.0.0/0", 4);
    expect(s, "0.0.0.0", "0.0.0.0/0", 4);
    expect(s, "255.255.255.255", "0.0.0.0/0", 4);
    expect(s, "81.2.69.142", "81.2.69.0/24", 5);
    expect(s, "::fffe:ffff:ffff", "::/0", 100);
    expect(s, "::1:0:0:0", "::/0", 100);
    expect(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd", "::/0", 100);
    expect(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", TOP_127, 6);
    expect(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", TOP_127, 6);
    bw_pfxset_free(s);
}

static void top_of_the_address_space(void **state)
{
    struct bw_pfxset *s = bw_pfxset_new();
    (void)state;

    /* Everything ends at ffff...ffff, where a careless sweep wraps around to ::. */
    add(s, "ff00::/8", 1);
    add(s, TOP_128, 2);
    add(s, "8000::/1", 3);
    bw_pfxset_seal(s);
    expect(s, "::", NULL, 0);
    expect(s, "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL, 0);
    expect(s, "8000::", "8000::/1", 3);
    expect(s, "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::/1", 3);
    expect(s, "ff00::", "ff00::/8", 1);
    expect(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "ff00::/8", 1);
    expect(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", TOP_128, 2);
    bw_pfxset_free(s);
}

static void duplicate_keeps_last_value(void **state)
{
    struct bw_pfxset *s = bw_pfxset_new();
    (void)state;

    add(s, "10.0.0.0/8", 1);
    add(s, "192.0.2.0/24", 9);
    add(s, "10.0.0.0/8", 7);
    add(s, "10.0.0.0/8", 8);
    assert_int_equal(bw_pfxset_count(s), 4);
    bw_pfxset_seal(s);
    assert_int_equal(bw_pfxset_count(s), 2);
    expect(s, "10.9.9.9", "10.0.0.0/8", 8);
    expect(s, "192.0.2.1", "192.0.2.0/24", 9);
    bw_pfxset_free(s);
}

static void misuse_is_refused(void **state)
{
    struct bw_pfxset *s = bw_pfxset_new();
    struct bw_prefix p = pfx("10.0.0.0/8");
    struct bw_prefix bad = p;
    struct bw_addr a;
    uint32_t v = 5;
    (void)state;

    bad.len = 129;
    assert_int_equal(bw_pfxset_add(s, &bad, 1), BW_EINVAL);
    bad.len = 104; /* 10.0.0.0/8 at len /104 is fine; set a host bit */
    bad.addr.b[15] = 1;
    assert_int_equal(bw_pfxset_add(s, &bad, 1), BW_EINVAL);
    assert_int_equal(bw_pfxset_count(s), 0);
    assert_int_equal(bw_pfxset_add(s, &p, 1), BW_OK);
    bw_pfxset_seal(s);
    bw_pfxset_seal(s); /* sealing twice is harmless */
    assert_int_equal(bw_pfxset_add(s, &p, 2), BW_ECONFLICT);
    assert_int_equal(bw_addr_parse(&a, "10.1.1.1", 8), BW_OK);
    assert_true(bw_pfxset_lookup(s, &a, NULL, NULL));
    assert_true(bw_pfxset_lookup(s, &a, &v, NULL));
    assert_int_equal(v, 1);
    bw_pfxset_free(s);
    bw_pfxset_free(NULL);
}

static void empty_set_matches_nothing(void **state)
{
    struct bw_pfxset *s = bw_pfxset_new();
    struct bw_addr a;
    (void)state;

    bw_pfxset_seal(s);
    assert_int_equal(bw_pfxset_count(s), 0);
    assert_int_equal(bw_addr_parse(&a, "::", 2), BW_OK);
    assert_false(bw_pfxset_lookup(s, &a, NULL, NULL));
    bw_pfxset_free(s);
}

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static void random_address(struct bw_addr *a)
{
    /* Few distinct byte values, so prefixes nest and addresses land on their edges. */
    static const uint8_t pool[] = { 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff };

    for (int i = 0; i < 16; i++)
        a->b[i] = pool[rnd() % sizeof(pool)];
}

static void mask(struct bw_prefix *p)
{
    for (unsigned i = p->len; i < 128; i++)
        p->addr.b[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

static void step(struct bw_addr *a, int delta)
{
    for (int i = 15; i >= 0; i--) {
        uint8_t before = a->b[i];
        a->b[i] = (uint8_t)(before + delta);
        if ((delta > 0 && before != 0xff) || (delta < 0 && before != 0x00))
            break;
    }
}

static void check_against_brute_force(const struct bw_pfxset *s, const struct bw_prefix *added,
                                      const uint32_t *values, int n, const struct bw_addr *a)
{
    /* The longest covering prefix, the last added among equals. */
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (bw_prefix_contains(&added[i], a) && (best < 0 || added[i].len >= added[best].len))
            best = i;
    }
    uint32_t v;
    struct bw_prefix m;
    bool found = bw_pfxset_lookup(s, a, &v, &m);
    assert_int_equal(found, best >= 0);
    if (best >= 0) {
        assert_int_equal(v, values[best]);
        assert_int_equal(m.len, added[best].len);
        assert_memory_equal(m.addr.b, added[best].addr.b, 16);
    }
}

static void matches_brute_force(void **state)
{
    enum { N_SETS = 200, N_PFX = 40, N_LOOKUPS = 400 };
    static const uint8_t lens[] = { 0, 1, 7, 8, 9, 16, 63, 64, 65, 96, 104, 120, 127, 128 };
    (void)state;

    for (int round = 0; round < N_SETS; round++) {
        struct bw_pfxset *s = bw_pfxset_new();
        struct bw_prefix added[N_PFX];
        uint32_t values[N_PFX];
        int n = (int)(rnd() % N_PFX) + 1;

        for (int i = 0; i < n; i++) {
            random_address(&added[i].addr);
            added[i].len = lens[rnd() % sizeof(lens)];
            mask(&added[i]);
            values[i] = (uint32_t)i;
            assert_int_equal(bw_pfxset_add(s, &added[i], values[i]), BW_OK);
        }
        bw_pfxset_seal(s);

        for (int k = 0; k < N_LOOKUPS; k++) {
            struct bw_addr a;
            random_address(&a);
            check_against_brute_force(s, added, values, n, &a);
        }
        /* The edges: each prefix's first and last address and their neighbours. */
        for (int i = 0; i < n; i++) {
            struct bw_addr first = added[i].addr;
            struct bw_addr last = first;
            for (unsigned bit = added[i].len; bit < 128; bit++)
                last.b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
            check_against_brute_force(s, added, values, n, &first);
            check_against_brute_force(s, added, values, n, &last);
            step(&first, -1);
            step(&last, +1);
            check_against_brute_force(s, added, values, n, &first);
            check_against_brute_force(s, added, values, n, &last);
        }
        bw_pfxset_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nested_ipv4_longest_wins),
        cmocka_unit_test(insertion_order_does_not_matter),
        cmocka_unit_test(shared_start_and_adjacent_prefixes),
        cmocka_unit_test(ipv6_with_default_route),
        cmocka_unit_test(top_of_the_address_space),
        cmocka_unit_test(duplicate_keeps_last_value),
        cmocka_unit_test(misuse_is_refused),
        cmocka_unit_test(empty_set_matches_nothing),
        cmocka_unit_test(matches_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
