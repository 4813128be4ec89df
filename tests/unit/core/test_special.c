/*
 * tests/unit/core/test_special.c - bw_addr_class against the IANA special-purpose registries.
 * Each range is checked at its first and last address and just outside both ends, because an
 * off-by-one mask is the likely bug and the middle of a range would not show it.
 */
#include "test.h"
#include "core/core.h"

#include <stdio.h>

struct want {
    const char *addr;
    enum bw_addr_class cls;
};

static void check_all(const struct want *w, size_t n)
{
    int failures = 0;

    for (size_t i = 0; i < n; i++) {
        struct bw_addr a;
        if (bw_addr_parse(&a, w[i].addr, strlen(w[i].addr)) != BW_OK) {
            print_error("%s: does not parse\n", w[i].addr);
            failures++;
            continue;
        }
        enum bw_addr_class got = bw_addr_class(&a);
        if (got != w[i].cls) {
            print_error("%s: got %s, want %s\n", w[i].addr, bw_addr_class_name(got),
                        bw_addr_class_name(w[i].cls));
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

#define CHECK(table) check_all(table, BW_ARRAY_LEN(table))

static void v4_this_network(void **state)
{
    static const struct want w[] = {
        { "0.0.0.0", BW_ADDR_THIS_NETWORK },
        { "0.255.255.255", BW_ADDR_THIS_NETWORK },
        { "1.0.0.0", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void v4_private(void **state)
{
    static const struct want w[] = {
        { "9.255.255.255", BW_ADDR_PUBLIC },      { "10.0.0.0", BW_ADDR_PRIVATE },
        { "10.255.255.255", BW_ADDR_PRIVATE },    { "11.0.0.0", BW_ADDR_PUBLIC },
        { "172.15.255.255", BW_ADDR_PUBLIC },     { "172.16.0.0", BW_ADDR_PRIVATE },
        { "172.31.255.255", BW_ADDR_PRIVATE },    { "172.32.0.0", BW_ADDR_PUBLIC },
        { "192.167.255.255", BW_ADDR_PUBLIC },    { "192.168.0.0", BW_ADDR_PRIVATE },
        { "192.168.255.255", BW_ADDR_PRIVATE },   { "192.169.0.0", BW_ADDR_PUBLIC },
        { "::ffff:10.1.2.3", BW_ADDR_PRIVATE },
    };
    (void)state;
    CHECK(w);
}

static void v4_cgnat(void **state)
{
    static const struct want w[] = {
        { "100.63.255.255", BW_ADDR_PUBLIC },
        { "100.64.0.0", BW_ADDR_CGNAT },
        { "100.127.255.255", BW_ADDR_CGNAT },
        { "100.128.0.0", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void v4_loopback(void **state)
{
    static const struct want w[] = {
        { "126.255.255.255", BW_ADDR_PUBLIC },
        { "127.0.0.0", BW_ADDR_LOOPBACK },
        { "127.0.0.1", BW_ADDR_LOOPBACK },
        { "127.255.255.255", BW_ADDR_LOOPBACK },
        { "128.0.0.0", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void v4_link_local(void **state)
{
    static const struct want w[] = {
        { "169.253.255.255", BW_ADDR_PUBLIC },
        { "169.254.0.0", BW_ADDR_LINK_LOCAL },
        { "169.254.255.255", BW_ADDR_LINK_LOCAL },
        { "169.255.0.0", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void v4_protocol_assignments(void **state)
{
    static const struct want w[] = {
        { "191.255.255.255", BW_ADDR_PUBLIC },
        { "192.0.0.0", BW_ADDR_PROTOCOL },
        { "192.0.0.8", BW_ADDR_PROTOCOL },
        { "192.0.0.9", BW_ADDR_PUBLIC },  /* PCP anycast, globally reachable */
        { "192.0.0.10", BW_ADDR_PUBLIC }, /* TURN anycast, globally reachable */
        { "192.0.0.11", BW_ADDR_PROTOCOL },
        { "192.0.0.170", BW_ADDR_PROTOCOL },
        { "192.0.0.255", BW_ADDR_PROTOCOL },
        { "192.0.1.0", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void v4_documentation(void **state)
{
    static const struct want w[] = {
        { "192.0.2.0", BW_ADDR_DOCUMENTATION },      { "192.0.2.255", BW_ADDR_DOCUMENTATION },
        { "192.0.3.0", BW_ADDR_PUBLIC },             { "198.51.99.255", BW_ADDR_PUBLIC },
        { "198.51.100.0", BW_ADDR_DOCUMENTATION },   { "198.51.100.255", BW_ADDR_DOCUMENTATION },
        { "198.51.101.0", BW_ADDR_PUBLIC },          { "203.0.112.255", BW_ADDR_PUBLIC },
        { "203.0.113.0", BW_ADDR_DOCUMENTATION },    { "203.0.113.255", BW_ADDR_DOCUMENTATION },
        { "203.0.114.0", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void v4_relay(void **state)
{
    static const struct want w[] = {
        { "192.88.98.255", BW_ADDR_PUBLIC },
        { "192.88.99.0", BW_ADDR_RELAY },
        { "192.88.99.255", BW_ADDR_RELAY },
        { "192.88.100.0", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void v4_benchmarking(void **state)
{
    static const struct want w[] = {
        { "198.17.255.255", BW_ADDR_PUBLIC },
        { "198.18.0.0", BW_ADDR_BENCHMARKING },
        { "198.19.255.255", BW_ADDR_BENCHMARKING },
        { "198.20.0.0", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void v4_multicast_reserved_broadcast(void **state)
{
    static const struct want w[] = {
        { "223.255.255.255", BW_ADDR_PUBLIC },    { "224.0.0.0", BW_ADDR_MULTICAST },
        { "239.255.255.255", BW_ADDR_MULTICAST }, { "240.0.0.0", BW_ADDR_RESERVED },
        { "255.255.255.254", BW_ADDR_RESERVED },  { "255.255.255.255", BW_ADDR_BROADCAST },
    };
    (void)state;
    CHECK(w);
}

static void v4_globally_reachable_registry_entries(void **state)
{
    static const struct want w[] = {
        { "192.31.196.1", BW_ADDR_PUBLIC },  /* AS112-v4 */
        { "192.52.193.1", BW_ADDR_PUBLIC },  /* AMT */
        { "192.175.48.1", BW_ADDR_PUBLIC },  /* AS112 direct delegation */
    };
    (void)state;
    CHECK(w);
}

static void v4_public_examples(void **state)
{
    static const struct want w[] = {
        { "8.8.8.8", BW_ADDR_PUBLIC },
        { "81.2.69.142", BW_ADDR_PUBLIC },
        { "1.1.1.1", BW_ADDR_PUBLIC },
        { "::ffff:8.8.8.8", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void v6_unspecified_loopback_compatible(void **state)
{
    static const struct want w[] = {
        { "::", BW_ADDR_THIS_NETWORK },
        { "::1", BW_ADDR_LOOPBACK },
        { "::2", BW_ADDR_RESERVED },
        { "::1.2.3.4", BW_ADDR_RESERVED }, /* IPv4-compatible, deprecated */
        { "::ffff:ffff", BW_ADDR_RESERVED },
    };
    (void)state;
    CHECK(w);
}

static void v6_translation(void **state)
{
    static const struct want w[] = {
        { "64:ff9b::", BW_ADDR_TRANSLATION },
        { "64:ff9b::8.8.8.8", BW_ADDR_TRANSLATION },
        { "64:ff9b::ffff:ffff", BW_ADDR_TRANSLATION },
        { "64:ff9b::1:0:0", BW_ADDR_RESERVED },
        { "64:ff9b:1::", BW_ADDR_TRANSLATION },
        { "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", BW_ADDR_TRANSLATION },
        { "64:ff9b:2::", BW_ADDR_RESERVED },
    };
    (void)state;
    CHECK(w);
}

static void v6_discard(void **state)
{
    static const struct want w[] = {
        { "100::", BW_ADDR_DISCARD },
        { "100::ffff:ffff:ffff:ffff", BW_ADDR_DISCARD },
        { "100:0:0:1::", BW_ADDR_RESERVED },
    };
    (void)state;
    CHECK(w);
}

static void v6_teredo_and_6to4(void **state)
{
    static const struct want w[] = {
        { "2001::", BW_ADDR_RELAY },
        { "2001:0:4136:e378:8000:63bf:3fff:fdd2", BW_ADDR_RELAY },
        { "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_RELAY },
        { "2001:1::", BW_ADDR_PROTOCOL },
        { "2002::", BW_ADDR_RELAY },
        { "2002:c000:204::1", BW_ADDR_RELAY },
        { "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_RELAY },
        { "2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_PUBLIC },
        { "2003::", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void v6_protocol_assignments(void **state)
{
    static const struct want w[] = {
        { "2001:1::4", BW_ADDR_PROTOCOL },
        { "2001:4:113::", BW_ADDR_PROTOCOL },
        { "2001:5::1", BW_ADDR_PROTOCOL },
        { "2001:f:ffff::", BW_ADDR_PROTOCOL },
        { "2001:40::1", BW_ADDR_PROTOCOL },
        { "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_PROTOCOL },
        { "2001:200::", BW_ADDR_PUBLIC }, /* first address after 2001::/23 */
        { "2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void v6_globally_reachable_exceptions(void **state)
{
    static const struct want w[] = {
        { "2001:1::1", BW_ADDR_PUBLIC },     /* PCP anycast */
        { "2001:1::2", BW_ADDR_PUBLIC },     /* TURN anycast */
        { "2001:3::", BW_ADDR_PUBLIC },      /* AMT */
        { "2001:3:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_PUBLIC },
        { "2001:4:112::", BW_ADDR_PUBLIC },  /* AS112-v6 */
        { "2001:4:112:ffff:ffff:ffff:ffff:ffff", BW_ADDR_PUBLIC },
        { "2620:4f:8000::1", BW_ADDR_PUBLIC }, /* AS112 direct delegation */
    };
    (void)state;
    CHECK(w);
}

static void v6_benchmarking(void **state)
{
    static const struct want w[] = {
        { "2001:2::", BW_ADDR_BENCHMARKING },
        { "2001:2:0:ffff:ffff:ffff:ffff:ffff", BW_ADDR_BENCHMARKING },
        { "2001:2:1::", BW_ADDR_PROTOCOL },
    };
    (void)state;
    CHECK(w);
}

static void v6_orchid(void **state)
{
    static const struct want w[] = {
        { "2001:f:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_PROTOCOL },
        { "2001:10::", BW_ADDR_RESERVED },
        { "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_RESERVED },
        { "2001:20::", BW_ADDR_RESERVED },
        { "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_RESERVED },
        { "2001:30::", BW_ADDR_RESERVED }, /* DRIP entity tags, ORCHID-style */
        { "2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_RESERVED },
    };
    (void)state;
    CHECK(w);
}

static void v6_documentation(void **state)
{
    static const struct want w[] = {
        { "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_PUBLIC },
        { "2001:db8::", BW_ADDR_DOCUMENTATION },
        { "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_DOCUMENTATION },
        { "2001:db9::", BW_ADDR_PUBLIC },
        { "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_PUBLIC },
        { "3fff::", BW_ADDR_DOCUMENTATION },
        { "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_DOCUMENTATION },
        { "3fff:1000::", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void v6_srv6(void **state)
{
    static const struct want w[] = {
        { "5eff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_RESERVED }, /* outside 2000::/3 */
        { "5f00::", BW_ADDR_RESERVED },
        { "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_RESERVED },
    };
    (void)state;
    CHECK(w);
}

static void v6_unique_local_link_local_site_local(void **state)
{
    static const struct want w[] = {
        { "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_RESERVED },
        { "fc00::", BW_ADDR_PRIVATE },
        { "fd12:3456:789a::1", BW_ADDR_PRIVATE },
        { "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_PRIVATE },
        { "fe00::", BW_ADDR_RESERVED },
        { "fe80::", BW_ADDR_LINK_LOCAL },
        { "fe80::1", BW_ADDR_LINK_LOCAL },
        { "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_LINK_LOCAL },
        { "fec0::", BW_ADDR_RESERVED },
        { "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_RESERVED },
    };
    (void)state;
    CHECK(w);
}

static void v6_multicast(void **state)
{
    static const struct want w[] = {
        { "ff00::", BW_ADDR_MULTICAST },
        { "ff02::1", BW_ADDR_MULTICAST },
        { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_MULTICAST },
    };
    (void)state;
    CHECK(w);
}

static void v6_outside_global_unicast(void **state)
{
    static const struct want w[] = {
        { "::1:0:0:0", BW_ADDR_RESERVED },
        { "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BW_ADDR_RESERVED },
        { "2000::", BW_ADDR_PUBLIC },
        { "4000::", BW_ADDR_RESERVED },
        { "8000::1", BW_ADDR_RESERVED },
        { "e000::", BW_ADDR_RESERVED },
    };
    (void)state;
    CHECK(w);
}

static void v6_public_examples(void **state)
{
    static const struct want w[] = {
        { "2a02:cf40::1", BW_ADDR_PUBLIC },
        { "2001:4860:4860::8888", BW_ADDR_PUBLIC },
        { "2606:4700:4700::1111", BW_ADDR_PUBLIC },
    };
    (void)state;
    CHECK(w);
}

static void class_names_are_distinct(void **state)
{
    (void)state;
    assert_string_equal(bw_addr_class_name(BW_ADDR_PUBLIC), "public");
    assert_string_equal(bw_addr_class_name(BW_ADDR_PRIVATE), "private");
    assert_string_equal(bw_addr_class_name(BW_ADDR_LOOPBACK), "loopback");
    assert_string_equal(bw_addr_class_name(BW_ADDR_LINK_LOCAL), "link-local");
    assert_string_equal(bw_addr_class_name((enum bw_addr_class)99), "unknown");
    for (int i = BW_ADDR_PUBLIC; i <= BW_ADDR_RESERVED; i++) {
        const char *name = bw_addr_class_name((enum bw_addr_class)i);
        assert_string_not_equal(name, "unknown");
        for (int j = BW_ADDR_PUBLIC; j < i; j++)
            assert_string_not_equal(name, bw_addr_class_name((enum bw_addr_class)j));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v4_this_network),
        cmocka_unit_test(v4_private),
        cmocka_unit_test(v4_cgnat),
        cmocka_unit_test(v4_loopback),
        cmocka_unit_test(v4_link_local),
        cmocka_unit_test(v4_protocol_assignments),
        cmocka_unit_test(v4_documentation),
        cmocka_unit_test(v4_relay),
        cmocka_unit_test(v4_benchmarking),
        cmocka_unit_test(v4_multicast_reserved_broadcast),
        cmocka_unit_test(v4_globally_reachable_registry_entries),
        cmocka_unit_test(v4_public_examples),
        cmocka_unit_test(v6_unspecified_loopback_compatible),
        cmocka_unit_test(v6_translation),
        cmocka_unit_test(v6_discard),
        cmocka_unit_test(v6_teredo_and_6to4),
        cmocka_unit_test(v6_protocol_assignments),
        cmocka_unit_test(v6_globally_reachable_exceptions),
        cmocka_unit_test(v6_benchmarking),
        cmocka_unit_test(v6_orchid),
        cmocka_unit_test(v6_documentation),
        cmocka_unit_test(v6_srv6),
        cmocka_unit_test(v6_unique_local_link_local_site_local),
        cmocka_unit_test(v6_multicast),
        cmocka_unit_test(v6_outside_global_unicast),
        cmocka_unit_test(v6_public_examples),
        cmocka_unit_test(class_names_are_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
