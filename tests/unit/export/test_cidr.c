/*
 * tests/unit/export/test_cidr.c - CIDR aggregation: hand-picked cases, then random sets of
 * IPv4 and IPv6 prefixes compared with Python's ipaddress.collapse_addresses.
 */
#include "test.h"

#include "export/export.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct out {
    char text[1 << 20];
    size_t len;
    uint64_t n;
};

static int collect(void *ctx, const struct bw_prefix *p)
{
    struct out *o = ctx;
    char t[BW_PREFIX_TEXT_MAX];

    bw_prefix_format(p, t);
    o->len += (size_t)snprintf(o->text + o->len, sizeof(o->text) - o->len, "%s\n", t);
    o->n++;
    return 0;
}

static struct bw_prefix pfx(const char *s)
{
    struct bw_prefix p;

    if (bw_prefix_parse(&p, s, strlen(s)) != BW_OK)
        fail_msg("bad prefix in test: %s", s);
    return p;
}

/* Aggregates the given prefixes (already sorted) and returns the blocks as text. */
static void run(struct out *o, const char *const *in, size_t n)
{
    struct bw_cidr c;

    memset(o, 0, sizeof(*o));
    bw_cidr_init(&c, collect, o);
    for (size_t i = 0; i < n; i++) {
        struct bw_prefix p = pfx(in[i]);

        assert_int_equal(bw_cidr_add(&c, &p), BW_OK);
    }
    assert_int_equal(bw_cidr_finish(&c), BW_OK);
}

static void full_slash24_of_addresses_is_one_block(void **state)
{
    static char bufs[256][20];
    const char *in[256];
    struct out *o = malloc(sizeof(*o));

    (void)state;
    for (int i = 0; i < 256; i++) {
        snprintf(bufs[i], sizeof(bufs[i]), "89.160.21.%d", i);
        in[i] = bufs[i];
    }
    run(o, in, 256);
    assert_string_equal(o->text, "89.160.21.0/24\n");
    /* one address fewer: 8 blocks (/25, /26, ... /32) */
    run(o, in, 255);
    assert_int_equal(o->n, 8);
    assert_string_equal(o->text, "89.160.21.0/25\n89.160.21.128/26\n89.160.21.192/27\n"
                                 "89.160.21.224/28\n89.160.21.240/29\n89.160.21.248/30\n"
                                 "89.160.21.252/31\n89.160.21.254/32\n");
    free(o);
}

static void overlaps_and_adjacency_merge(void **state)
{
    static const char *const in[] = { "10.0.0.0/24", "10.0.0.5", "10.0.1.0/24", "10.0.2.0/23",
                                      "10.0.4.1", "2a02:cf40::/33", "2a02:cf40:8000::/33",
                                      "2a02:cf41::17" };
    struct out *o = malloc(sizeof(*o));

    (void)state;
    run(o, in, BW_ARRAY_LEN(in));
    assert_string_equal(o->text, "10.0.0.0/22\n10.0.4.1/32\n2a02:cf40::/32\n2a02:cf41::17/128\n");
    free(o);
}

static void unaligned_range_is_cut_minimally(void **state)
{
    struct out *o = malloc(sizeof(*o));
    struct bw_cidr c;
    struct bw_addr lo, hi;

    (void)state;
    memset(o, 0, sizeof(*o));
    bw_cidr_init(&c, collect, o);
    assert_int_equal(bw_addr_parse(&lo, "1.2.3.7", 7), BW_OK);
    assert_int_equal(bw_addr_parse(&hi, "1.2.3.20", 8), BW_OK);
    assert_int_equal(bw_cidr_add_range(&c, &lo, &hi), BW_OK);
    assert_int_equal(bw_cidr_finish(&c), BW_OK);
    assert_string_equal(o->text, "1.2.3.7/32\n1.2.3.8/29\n1.2.3.16/30\n1.2.3.20/32\n");
    free(o);
}

static void whole_space_and_edges(void **state)
{
    static const char *const all[] = { "::/0", "ffff::/16" };
    static const char *const top[] = { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127" };
    struct out *o = malloc(sizeof(*o));

    (void)state;
    run(o, all, 2);
    assert_string_equal(o->text, "::/0\n");
    run(o, top, 1);
    assert_string_equal(o->text, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127\n");
    free(o);
}

static void out_of_order_and_host_bits_are_refused(void **state)
{
    struct out *o = malloc(sizeof(*o));
    struct bw_cidr c;
    struct bw_prefix a = pfx("10.0.1.0/24"), b = pfx("10.0.0.0/24"), bad = a;

    (void)state;
    memset(o, 0, sizeof(*o));
    bw_cidr_init(&c, collect, o);
    assert_int_equal(bw_cidr_add(&c, &a), BW_OK);
    assert_int_equal(bw_cidr_add(&c, &b), BW_EINVAL);
    bad.addr.b[15] = 1;
    assert_int_equal(bw_cidr_add(&c, &bad), BW_EINVAL);
    bad.len = 129;
    assert_int_equal(bw_cidr_add(&c, &bad), BW_EINVAL);
    assert_int_equal(bw_cidr_finish(&c), BW_OK);
    assert_string_equal(o->text, "10.0.1.0/24\n");
    free(o);
}

static int stop_at_two(void *ctx, const struct bw_prefix *p)
{
    int *n = ctx;

    (void)p;
    return ++*n == 2 ? 42 : 0;
}

static void callback_stops_the_walk(void **state)
{
    struct bw_cidr c;
    struct bw_addr lo, hi;
    int n = 0;

    (void)state;
    bw_cidr_init(&c, stop_at_two, &n);
    assert_int_equal(bw_addr_parse(&lo, "1.2.3.7", 7), BW_OK);
    assert_int_equal(bw_addr_parse(&hi, "1.2.3.20", 8), BW_OK);
    assert_int_equal(bw_cidr_add_range(&c, &lo, &hi), BW_OK);
    assert_int_equal(bw_cidr_finish(&c), 42);
    assert_int_equal(n, 2);
}

/* ---- against Python ---- */

static int cmp_prefix(const void *a, const void *b)
{
    const struct bw_prefix *x = a, *y = b;
    int c = bw_addr_cmp(&x->addr, &y->addr);

    return c != 0 ? c : (int)x->len - (int)y->len;
}

static void random_prefix(struct bw_prefix *p, bool v6, unsigned *seed)
{
    memset(p, 0, sizeof(*p));
    if (v6) {
        /* Dense inside one /112 so that neighbours meet and merge. */
        static const uint8_t net[14] = { 0x2a, 0x02, 0xcf, 0x40, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
        unsigned len = 104 + (unsigned)rand_r(seed) % 25;

        memcpy(p->addr.b, net, sizeof(net));
        p->addr.b[13] = (uint8_t)(rand_r(seed) & 0x3);
        p->addr.b[14] = (uint8_t)rand_r(seed);
        p->addr.b[15] = (uint8_t)rand_r(seed);
        p->len = (uint8_t)len;
    } else {
        unsigned len = 96 + 20 + (unsigned)rand_r(seed) % 13;

        p->addr.b[10] = 0xff;
        p->addr.b[11] = 0xff;
        p->addr.b[12] = 81;
        p->addr.b[13] = (uint8_t)(rand_r(seed) & 0x0f);
        p->addr.b[14] = (uint8_t)rand_r(seed);
        p->addr.b[15] = (uint8_t)rand_r(seed);
        p->len = (uint8_t)len;
    }
    for (unsigned bit = p->len; bit < 128; bit++) /* clear host bits */
        p->addr.b[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
}

static void matches_python_collapse_addresses(void **state)
{
    static const char script[] =
        "import ipaddress,sys\n"
        "nets=[ipaddress.ip_network(l.strip()) for l in open(sys.argv[1]) if l.strip()]\n"
        "v4=[n for n in nets if n.version==4]; v6=[n for n in nets if n.version==6]\n"
        "for n in list(ipaddress.collapse_addresses(v4))+list(ipaddress.collapse_addresses(v6)):"
        " print(n)\n";
    char dir[] = "/tmp/bw-test-cidr-XXXXXX", in_path[64], py_path[64], cmd[256];
    struct out *o = malloc(sizeof(*o));
    unsigned seed = 20261126;
    int rounds = 0;

    (void)state;
    if (system("python3 -c 'import ipaddress' >/dev/null 2>&1") != 0) {
        free(o);
        skip(); /* python3 missing: no reference to compare with */
    }
    assert_non_null(mkdtemp(dir));
    snprintf(in_path, sizeof(in_path), "%s/in.txt", dir);
    snprintf(py_path, sizeof(py_path), "%s/c.py", dir);
    FILE *py = fopen(py_path, "w");

    assert_non_null(py);
    fputs(script, py);
    fclose(py);
    for (int round = 0; round < 40; round++) {
        size_t n = 1 + (size_t)rand_r(&seed) % 3000;
        struct bw_prefix *ps = calloc(n, sizeof(*ps));
        struct bw_cidr c;
        FILE *f = fopen(in_path, "w");
        char *expect = calloc(1, 1 << 20);
        size_t el = 0;

        assert_non_null(f);
        for (size_t i = 0; i < n; i++)
            random_prefix(&ps[i], rand_r(&seed) % 3 == 0, &seed);
        qsort(ps, n, sizeof(*ps), cmp_prefix);
        memset(o, 0, sizeof(*o));
        bw_cidr_init(&c, collect, o);
        for (size_t i = 0; i < n; i++) {
            char t[BW_PREFIX_TEXT_MAX];

            fprintf(f, "%s\n", bw_prefix_format(&ps[i], t));
            assert_int_equal(bw_cidr_add(&c, &ps[i]), BW_OK);
        }
        fclose(f);
        assert_int_equal(bw_cidr_finish(&c), BW_OK);
        snprintf(cmd, sizeof(cmd), "python3 %s %s", py_path, in_path);
        FILE *p = popen(cmd, "r");

        assert_non_null(p);
        el = fread(expect, 1, (1 << 20) - 1, p);
        assert_int_equal(pclose(p), 0);
        expect[el] = '\0';
        assert_string_equal(o->text, expect);
        assert_true(o->n < n || n < 4); /* random dense sets do merge */
        rounds++;
        free(expect);
        free(ps);
    }
    assert_int_equal(rounds, 40);
    unlink(in_path);
    unlink(py_path);
    rmdir(dir);
    free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_slash24_of_addresses_is_one_block),
        cmocka_unit_test(overlaps_and_adjacency_merge),
        cmocka_unit_test(unaligned_range_is_cut_minimally),
        cmocka_unit_test(whole_space_and_edges),
        cmocka_unit_test(out_of_order_and_host_bits_are_refused),
        cmocka_unit_test(callback_stops_the_walk),
        cmocka_unit_test(matches_python_collapse_addresses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
