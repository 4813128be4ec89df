/*
 * tests/unit/index/test_index.c - the snapshot file: build -> write -> mmap -> look up and walk,
 * for IPv4 and IPv6 addresses and nested prefixes; classes (categories, score bands); and
 * corrupt files (flipped byte, truncated, bad magic, bad version) refused with a diag naming
 * the file. Files live in a temporary directory.
 */
#include "test.h"
#include "index/index.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define CAT(c) (1u << (BW_CAT_##c))

struct fx {
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/bw-test-index-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/snap.bin", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static struct bw_prefix pfx(const char *s)
{
    struct bw_prefix p;

    if (bw_prefix_parse(&p, s, strlen(s)) != BW_OK)
        fail_msg("%s: test prefix does not parse", s);
    return p;
}

static struct bw_addr addr(const char *s)
{
    struct bw_addr a;

    if (bw_addr_parse(&a, s, strlen(s)) != BW_OK)
        fail_msg("%s: test address does not parse", s);
    return a;
}

static void add(struct bw_index_builder *b, const char *p, bw_catmask cats, int score)
{
    struct bw_prefix x = pfx(p);

    assert_int_equal(bw_index_builder_add(b, &x, cats, score), BW_OK);
}

static struct bw_index *finish_open(struct fx *f, struct bw_index_builder *b, uint64_t want)
{
    struct bw_index *ix = NULL;
    struct bw_diag d = { "" };
    uint64_t n = 0;
    int rc = bw_index_builder_finish(b, f->path, 1780000000, &n, &d);

    if (rc != BW_OK)
        fail_msg("finish: %s (%s)", bw_strerror(rc), d.msg);
    assert_int_equal(n, want);
    rc = bw_index_open(&ix, f->path, &d);
    if (rc != BW_OK)
        fail_msg("open: %s (%s)", bw_strerror(rc), d.msg);
    return ix;
}

/* Looks a up; returns the matched prefix as text ("" when not listed). */
static const char *match(const struct bw_index *ix, const char *a, struct bw_index_entry *e)
{
    static char buf[BW_PREFIX_TEXT_MAX];
    struct bw_addr x = addr(a);
    struct bw_index_entry tmp;

    if (e == NULL)
        e = &tmp;
    if (!bw_index_lookup(ix, &x, e))
        return "";
    if (e->prefix.len == 128) /* an address entry: its text without "/32" or "/128" */
        return bw_addr_format(&e->prefix.addr, buf);
    return bw_prefix_format(&e->prefix, buf);
}

static void empty_index(void **state)
{
    struct fx *f = *state;
    struct bw_index *ix = finish_open(f, bw_index_builder_new(), 0);
    struct bw_index_info info;

    assert_string_equal(match(ix, "81.2.69.142", NULL), "");
    assert_string_equal(match(ix, "2a02:cf40::1", NULL), "");
    bw_index_stat(ix, &info);
    assert_int_equal(info.version, 1);
    assert_int_equal(info.built_s, 1780000000);
    assert_int_equal(info.v4_addresses + info.v6_addresses + info.prefixes, 0);
    bw_index_close(ix);
}

/* Every address of a random set is found with its class, and its neighbours are not. */
static void ipv4_round_trip_and_misses(void **state)
{
    struct fx *f = *state;
    struct bw_index_builder *b = bw_index_builder_new();
    enum { N = 20000 };
    uint32_t *keys = calloc(N, sizeof(*keys));
    uint64_t x = 88172645463325252ull;
    struct bw_index *ix;
    struct bw_index_info info;

    for (size_t i = 0; i < N; i++) {
        struct bw_prefix p = { .len = 128 };

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* clustered in a few /16s, so buckets are full and neighbours exist */
        keys[i] = (uint32_t)(0x51020000u + (x % 4) * 0x10000u + ((x >> 8) & 0xfffe));
        p.addr.b[10] = p.addr.b[11] = 0xff;
        p.addr.b[12] = (uint8_t)(keys[i] >> 24);
        p.addr.b[13] = (uint8_t)(keys[i] >> 16);
        p.addr.b[14] = (uint8_t)(keys[i] >> 8);
        p.addr.b[15] = (uint8_t)keys[i];
        /* the class follows from the key, so duplicates merge to the same class */
        assert_int_equal(bw_index_builder_add(b, &p, 1u << (keys[i] % 11), (int)(keys[i] % 101)),
                         BW_OK);
    }
    ix = NULL;
    {
        struct bw_diag d = { "" };
        uint64_t n = 0;

        assert_int_equal(bw_index_builder_finish(b, f->path, 1, &n, &d), BW_OK);
        assert_true(n > N / 2 && n <= N);
        assert_int_equal(bw_index_open(&ix, f->path, &d), BW_OK);
        bw_index_stat(ix, &info);
        assert_int_equal(info.v4_addresses, n);
        /* about 3 bytes an address over the fixed 256 KiB bucket table */
        assert_true(info.file_bytes <= 128 + 8 * 256 + 4 * 65537 + 8 + 3 * n + 16);
    }
    for (size_t i = 0; i < N; i++) {
        struct bw_addr a = { .b = { [10] = 0xff, [11] = 0xff } };
        struct bw_index_entry e;

        a.b[12] = (uint8_t)(keys[i] >> 24);
        a.b[13] = (uint8_t)(keys[i] >> 16);
        a.b[14] = (uint8_t)(keys[i] >> 8);
        a.b[15] = (uint8_t)keys[i];
        assert_true(bw_index_lookup(ix, &a, &e));
        assert_int_equal(e.prefix.len, 128);
        assert_memory_equal(e.prefix.addr.b, a.b, 16);
        assert_int_equal(e.cats, 1u << (keys[i] % 11));
        assert_true(e.score <= keys[i] % 101 && e.score + 5 > (int)(keys[i] % 101));
        /* odd neighbours are never added (keys are even) */
        a.b[15] |= 1;
        assert_false(bw_index_lookup(ix, &a, NULL));
    }
    {
        /* the batch form over full buckets: every key and its odd neighbour */
        struct bw_addr *a = calloc(2 * N, sizeof(*a));
        bool *listed = calloc(2 * N, sizeof(*listed));

        for (size_t i = 0; i < 2 * N; i++) {
            uint32_t k = keys[i / 2] | (uint32_t)(i % 2);

            a[i].b[10] = a[i].b[11] = 0xff;
            a[i].b[12] = (uint8_t)(k >> 24);
            a[i].b[13] = (uint8_t)(k >> 16);
            a[i].b[14] = (uint8_t)(k >> 8);
            a[i].b[15] = (uint8_t)k;
        }
        bw_index_lookup_many(ix, 2 * N, a, listed, NULL);
        for (size_t i = 0; i < 2 * N; i++)
            assert_int_equal(listed[i], i % 2 == 0);
        free(a);
        free(listed);
    }
    assert_string_equal(match(ix, "81.1.255.254", NULL), "");
    assert_string_equal(match(ix, "81.6.0.0", NULL), "");
    assert_string_equal(match(ix, "0.0.0.0", NULL), "");
    assert_string_equal(match(ix, "255.255.255.255", NULL), "");
    free(keys);
    bw_index_close(ix);
}

/* Buckets whose addresses are far from evenly spread: every low value of them, hit or miss. */
static void skewed_buckets(void **state)
{
    struct fx *f = *state;
    struct bw_index_builder *b = bw_index_builder_new();
    struct bw_index *ix;
    bool in[65536] = { false };

    for (uint32_t v = 0; v < 200; v++)
        in[v] = true;
    for (uint32_t v = 30000; v < 30040; v += 3)
        in[v] = true;
    in[65535] = in[65534] = in[40000] = true;
    for (uint32_t v = 0; v < 65536; v++) {
        struct bw_prefix p = pfx("81.2.0.0/32");

        if (!in[v])
            continue;
        p.addr.b[14] = (uint8_t)(v >> 8);
        p.addr.b[15] = (uint8_t)v;
        assert_int_equal(bw_index_builder_add(b, &p, CAT(SCAN), 50), BW_OK);
        p.addr.b[13] = 3; /* 81.3.x.y: a bucket of the same shape */
        assert_int_equal(bw_index_builder_add(b, &p, CAT(SCAN), 50), BW_OK);
    }
    ix = finish_open(f, b, 2 * (200 + 14 + 3));
    for (uint32_t v = 0; v < 65536; v++) {
        struct bw_addr a = addr("81.2.0.0");

        a.b[14] = (uint8_t)(v >> 8);
        a.b[15] = (uint8_t)v;
        if (bw_index_lookup(ix, &a, NULL) != in[v])
            fail_msg("81.2.%u.%u: %s", v >> 8, v & 255, in[v] ? "missed" : "false hit");
        a.b[13] = 3;
        assert_true(bw_index_lookup(ix, &a, NULL) == in[v]);
        a.b[13] = 1; /* an empty bucket */
        assert_false(bw_index_lookup(ix, &a, NULL));
    }
    bw_index_close(ix);
}

static void nested_prefixes_most_specific_wins(void **state)
{
    struct fx *f = *state;
    struct bw_index_builder *b = bw_index_builder_new();
    struct bw_index *ix;
    struct bw_index_entry e;

    add(b, "89.160.0.0/16", CAT(SCAN), 30);
    add(b, "89.160.21.0/24", CAT(BRUTEFORCE), 60);
    add(b, "89.160.21.7", CAT(C2), 95);
    add(b, "89.160.21.128/25", CAT(SPAM), 40);
    add(b, "10.0.0.0/8", CAT(DDOS), 50); /* the index takes any space; the builder judges */
    add(b, "2a02:cf40::/32", CAT(EXPLOIT), 70);
    add(b, "2a02:cf40:0:1::/64", CAT(MALWARE), 80);
    ix = finish_open(f, b, 7);

    assert_string_equal(match(ix, "89.160.21.7", &e), "89.160.21.7");
    assert_int_equal(e.cats, CAT(C2));
    assert_int_equal(e.score, 95);
    assert_string_equal(match(ix, "89.160.21.8", &e), "89.160.21.0/24");
    assert_int_equal(e.cats, CAT(BRUTEFORCE));
    assert_int_equal(e.score, 60);
    assert_string_equal(match(ix, "89.160.21.200", &e), "89.160.21.128/25");
    assert_string_equal(match(ix, "89.160.21.255", &e), "89.160.21.128/25");
    assert_string_equal(match(ix, "89.160.22.0", &e), "89.160.0.0/16");
    assert_int_equal(e.cats, CAT(SCAN));
    assert_string_equal(match(ix, "89.160.20.255", &e), "89.160.0.0/16");
    assert_string_equal(match(ix, "89.160.255.255", &e), "89.160.0.0/16");
    assert_string_equal(match(ix, "89.161.0.0", NULL), "");
    assert_string_equal(match(ix, "89.159.255.255", NULL), "");
    assert_string_equal(match(ix, "10.200.1.1", NULL), "10.0.0.0/8");
    assert_string_equal(match(ix, "2a02:cf40:0:1::17", &e), "2a02:cf40:0:1::/64");
    assert_int_equal(e.cats, CAT(MALWARE));
    assert_string_equal(match(ix, "2a02:cf40:0:2::17", &e), "2a02:cf40::/32");
    assert_string_equal(match(ix, "2a02:cf41::", NULL), "");
    {
        /* the batch form answers exactly as one lookup at a time, over every kind of entry */
        static const char *const probe[] = {
            "89.160.21.7",  "89.160.21.8",  "89.160.21.200", "89.160.22.0", "89.161.0.0",
            "10.200.1.1",   "0.0.0.0",      "255.255.255.255", "2a02:cf40:0:1::17",
            "2a02:cf40:0:2::17", "2a02:cf41::", "::1",
        };
        enum { NP = sizeof(probe) / sizeof(probe[0]) };
        struct bw_addr a[NP];
        struct bw_index_entry many[NP], one;
        bool listed[NP];

        for (size_t i = 0; i < NP; i++)
            a[i] = addr(probe[i]);
        bw_index_lookup_many(ix, NP, a, listed, many);
        for (size_t i = 0; i < NP; i++) {
            memset(&one, 0, sizeof(one));
            assert_int_equal(listed[i], bw_index_lookup(ix, &a[i], &one));
            if (listed[i]) {
                assert_memory_equal(&many[i].prefix, &one.prefix, sizeof(one.prefix));
                assert_int_equal(many[i].cats, one.cats);
                assert_int_equal(many[i].score, one.score);
            }
        }
        bw_index_lookup_many(ix, NP, a, listed, NULL); /* hits may be NULL */
        assert_true(listed[0] && !listed[4]);
    }
    bw_index_close(ix);
}

static void ipv6_addresses(void **state)
{
    struct fx *f = *state;
    struct bw_index_builder *b = bw_index_builder_new();
    struct bw_index *ix;
    struct bw_index_entry e;
    struct bw_index_info info;

    add(b, "2a02:cf40:0:1::17", CAT(SCAN), 35);
    add(b, "2001:4860:4860::8888", CAT(SPAM), 100);
    add(b, "2a02:cf40:0:1::18", CAT(PROXY), 55);
    add(b, "2a02:cf40:0:1::17", CAT(C2), 20); /* a duplicate: categories or-ed, best score */
    add(b, "81.2.69.142", CAT(BRUTEFORCE), 45);
    ix = finish_open(f, b, 4);
    bw_index_stat(ix, &info);
    assert_int_equal(info.v6_addresses, 3);
    assert_int_equal(info.v4_addresses, 1);
    assert_string_equal(match(ix, "2a02:cf40:0:1::17", &e), "2a02:cf40:0:1::17");
    assert_int_equal(e.cats, CAT(SCAN) | CAT(C2));
    assert_int_equal(e.score, 35);
    assert_string_equal(match(ix, "2001:4860:4860::8888", &e), "2001:4860:4860::8888");
    assert_int_equal(e.score, 100);
    assert_string_equal(match(ix, "2a02:cf40:0:1::16", NULL), "");
    assert_string_equal(match(ix, "2a02:cf40:0:1::19", NULL), "");
    assert_string_equal(match(ix, "::", NULL), "");
    assert_string_equal(match(ix, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL), "");
    /* an IPv4 address reached through its mapped IPv6 text is the same entry */
    assert_string_equal(match(ix, "::ffff:81.2.69.142", &e), "81.2.69.142");
    bw_index_close(ix);
}

struct walked {
    struct bw_index_entry e[16];
    size_t n;
};

static int walk_cb(void *ctx, const struct bw_index_entry *e)
{
    struct walked *w = ctx;

    assert_true(w->n < 16);
    w->e[w->n++] = *e;
    return 0;
}

static int stop_cb(void *ctx, const struct bw_index_entry *e)
{
    (void)e;
    return ++*(int *)ctx == 2 ? 42 : 0;
}

static void walk_in_address_order(void **state)
{
    struct fx *f = *state;
    struct bw_index_builder *b = bw_index_builder_new();
    static const char *const want[] = { "1.2.3.4", "81.2.69.0/24", "81.2.69.142", "81.2.70.1",
                                        "2a02:cf40::/32", "2a02:cf40::1" };
    struct walked w = { .n = 0 };
    struct bw_index *ix;
    int stops = 0;

    add(b, "2a02:cf40::1", CAT(SCAN), 30);
    add(b, "81.2.70.1", CAT(SCAN), 30);
    add(b, "81.2.69.142", CAT(SPAM), 50);
    add(b, "2a02:cf40::/32", CAT(SCAN), 30);
    add(b, "81.2.69.0/24", CAT(SCAN), 30);
    add(b, "1.2.3.4", CAT(DDOS), 90);
    ix = finish_open(f, b, 6);
    assert_int_equal(bw_index_walk(ix, walk_cb, &w), BW_OK);
    assert_int_equal(w.n, BW_ARRAY_LEN(want));
    for (size_t i = 0; i < w.n; i++) {
        char t[BW_PREFIX_TEXT_MAX];
        struct bw_index_entry e;

        if (w.e[i].prefix.len == 128)
            bw_addr_format(&w.e[i].prefix.addr, t);
        else
            bw_prefix_format(&w.e[i].prefix, t);
        assert_string_equal(t, want[i]);
        /* every walked entry looks up to itself at its first address */
        assert_true(bw_index_lookup(ix, &w.e[i].prefix.addr, &e));
        assert_int_equal(e.prefix.len, w.e[i].prefix.len);
        assert_int_equal(e.cats, w.e[i].cats);
    }
    assert_int_equal(w.e[0].cats, CAT(DDOS));
    assert_int_equal(w.e[0].score, 90);
    assert_int_equal(bw_index_walk(ix, stop_cb, &stops), 42);
    assert_int_equal(stops, 2);
    bw_index_close(ix);
}

static void bad_entries_are_refused(void **state)
{
    struct bw_index_builder *b = bw_index_builder_new();
    struct bw_prefix p = pfx("81.2.69.0/24");

    (void)state;
    p.addr.b[15] = 1; /* host bits */
    assert_int_equal(bw_index_builder_add(b, &p, CAT(SCAN), 10), BW_EINVAL);
    p = pfx("81.2.69.0/24");
    p.len = 0;
    assert_int_equal(bw_index_builder_add(b, &p, CAT(SCAN), 10), BW_EINVAL);
    p = pfx("81.2.69.0/24");
    assert_int_equal(bw_index_builder_add(b, &p, 0, 10), BW_EINVAL);
    assert_int_equal(bw_index_builder_add(b, &p, CAT(SCAN), 101), BW_EINVAL);
    assert_int_equal(bw_index_builder_add(b, &p, CAT(SCAN), -1), BW_EINVAL);
    assert_int_equal(bw_index_builder_add(b, &p, CAT(SCAN), 100), BW_OK);
    bw_index_builder_free(b);
    bw_index_builder_free(NULL);
    bw_index_close(NULL);
}

/* Many (categories, score) pairs: classes stay within 255, categories are kept exactly, and
 * the score served never exceeds the one added nor falls more than a band below it. */
static void classes_keep_categories_and_bands(void **state)
{
    struct fx *f = *state;
    struct bw_index_builder *b = bw_index_builder_new();
    struct bw_index *ix;

    /* 64 category sets x 101 scores: more than 255 (cats, band-of-5) classes */
    for (uint32_t i = 0; i < 64 * 101; i++) {
        struct bw_prefix p = pfx("81.0.0.0/32");

        p.addr.b[14] = (uint8_t)(i >> 8);
        p.addr.b[15] = (uint8_t)i;
        assert_int_equal(bw_index_builder_add(b, &p, (i % 64) + 1, (int)(i / 64)), BW_OK);
    }
    ix = finish_open(f, b, 64 * 101);
    for (uint32_t i = 0; i < 64 * 101; i++) {
        struct bw_addr a = addr("81.0.0.0");
        struct bw_index_entry e;

        a.b[14] = (uint8_t)(i >> 8);
        a.b[15] = (uint8_t)i;
        assert_true(bw_index_lookup(ix, &a, &e));
        assert_int_equal(e.cats, (i % 64) + 1);
        assert_true(e.score <= i / 64);
        /* 64 sets x 21 bands is too many: bands widen to 50 (64 x 3 classes) */
        assert_true(e.score + 50 > (int)(i / 64));
    }
    bw_index_close(ix);

    /* Few category sets: bands of 5 exactly. */
    b = bw_index_builder_new();
    for (int s = 0; s <= 100; s++) {
        struct bw_prefix p = pfx("81.0.1.0/32");

        p.addr.b[15] = (uint8_t)s;
        assert_int_equal(bw_index_builder_add(b, &p, CAT(SCAN) | CAT(SPAM), s), BW_OK);
    }
    ix = finish_open(f, b, 101);
    for (int s = 0; s <= 100; s++) {
        struct bw_addr a = addr("81.0.1.0");
        struct bw_index_entry e;

        a.b[15] = (uint8_t)s;
        assert_true(bw_index_lookup(ix, &a, &e));
        assert_int_equal(e.cats, CAT(SCAN) | CAT(SPAM));
        assert_int_equal(e.score, s / 5 * 5);
    }
    bw_index_close(ix);
}

/* More category sets than 255 classes: the rarest are escaped with their exact categories and
 * score, wherever the entry is (IPv4, IPv6, prefix). */
static void more_category_sets_than_classes(void **state)
{
    struct fx *f = *state;
    struct bw_index_builder *b = bw_index_builder_new();
    struct bw_index *ix;
    struct bw_index_entry e;
    char t[64];

    for (uint32_t i = 0; i < 280; i++) {
        snprintf(t, sizeof(t), "81.2.%u.%u", i / 100, i % 100);
        add(b, t, i + 1, (int)(i % 101));
    }
    for (uint32_t i = 0; i < 10; i++) {
        snprintf(t, sizeof(t), "2a02:cf40::%x", i + 1);
        add(b, t, 1000 + i, 77);
        snprintf(t, sizeof(t), "89.160.%u.0/24", i);
        add(b, t, 2000 + i, 33);
    }
    ix = finish_open(f, b, 300);
    for (uint32_t i = 0; i < 280; i++) {
        snprintf(t, sizeof(t), "81.2.%u.%u", i / 100, i % 100);
        match(ix, t, &e);
        assert_int_equal(e.cats, i + 1);
        assert_int_equal(e.score, i % 101);
    }
    for (uint32_t i = 0; i < 10; i++) {
        snprintf(t, sizeof(t), "2a02:cf40::%x", i + 1);
        match(ix, t, &e);
        assert_int_equal(e.cats, 1000 + i);
        assert_int_equal(e.score, 77);
        snprintf(t, sizeof(t), "89.160.%u.99", i);
        match(ix, t, &e);
        assert_int_equal(e.prefix.len, 120);
        assert_int_equal(e.cats, 2000 + i);
        assert_int_equal(e.score, 33);
    }
    bw_index_close(ix);
}

/* ---- corrupt files ---- */

static void write_snapshot(struct fx *f)
{
    struct bw_index_builder *b = bw_index_builder_new();
    struct bw_diag d = { "" };
    uint64_t n;

    add(b, "81.2.69.142", CAT(SCAN), 40);
    add(b, "89.160.21.0/24", CAT(SCAN), 40);
    add(b, "2a02:cf40::17", CAT(SCAN), 40);
    assert_int_equal(bw_index_builder_finish(b, f->path, 5, &n, &d), BW_OK);
}

static size_t read_all(const char *path, uint8_t **out)
{
    FILE *fp = fopen(path, "rb");
    size_t n;

    assert_non_null(fp);
    *out = malloc(1 << 20);
    n = fread(*out, 1, 1 << 20, fp);
    fclose(fp);
    return n;
}

static void write_all(const char *path, const uint8_t *p, size_t n)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

/* Opening must fail with BW_EMALFORMED and a diag naming the file and containing why. */
static void refused(struct fx *f, const char *why)
{
    struct bw_index *ix = NULL;
    struct bw_diag d = { "" };

    assert_int_equal(bw_index_open(&ix, f->path, &d), BW_EMALFORMED);
    assert_null(ix);
    if (strstr(d.msg, f->path) == NULL || strstr(d.msg, why) == NULL)
        fail_msg("diag \"%s\" should name %s and say \"%s\"", d.msg, f->path, why);
}

static void corrupt_files_are_refused(void **state)
{
    struct fx *f = *state;
    uint8_t *img;
    size_t n;
    struct bw_index *ix = NULL;
    struct bw_diag d = { "" };

    write_snapshot(f);
    n = read_all(f->path, &img);
    assert_true(n > 128);

    /* a flipped byte anywhere: the header checksum, a count, the body, the last byte */
    {
        size_t at[] = { 20, 40, 100, 200, 128 + 8, n / 2, n - 1 };

        for (size_t i = 0; i < BW_ARRAY_LEN(at); i++) {
            img[at[i]] ^= 0x10;
            write_all(f->path, img, n);
            assert_int_equal(bw_index_open(&ix, f->path, &d), BW_EMALFORMED);
            assert_non_null(strstr(d.msg, f->path));
            img[at[i]] ^= 0x10;
        }
    }
    img[n - 1] ^= 1;
    write_all(f->path, img, n);
    refused(f, "checksum");
    img[n - 1] ^= 1;

    write_all(f->path, img, n - 1);
    refused(f, "truncated");
    write_all(f->path, img, 100);
    refused(f, "truncated");
    write_all(f->path, img, 0);
    refused(f, "truncated");

    img[1] = 'X';
    write_all(f->path, img, n);
    refused(f, "magic");
    img[1] = 'B';

    img[8] = 2; /* version */
    write_all(f->path, img, n);
    refused(f, "version 2");
    img[8] = 1;

    /* the untouched image still opens, from the file and from memory */
    write_all(f->path, img, n);
    assert_int_equal(bw_index_open(&ix, f->path, &d), BW_OK);
    bw_index_close(ix);
    ix = NULL;
    assert_int_equal(bw_index_open_mem(&ix, img, n, &d), BW_OK);
    assert_string_equal(match(ix, "89.160.21.9", NULL), "89.160.21.0/24");
    bw_index_close(ix);
    ix = NULL;
    assert_int_equal(bw_index_open_mem(&ix, img, n - 8, &d), BW_EMALFORMED);
    assert_null(ix);

    unlink(f->path);
    assert_true(bw_index_open(&ix, f->path, &d) < 0);
    assert_non_null(strstr(d.msg, f->path));
    free(img);
}

/* Rewriting the file under an open index leaves the open one intact (rename, not overwrite). */
static void rebuild_does_not_disturb_an_open_index(void **state)
{
    struct fx *f = *state;
    struct bw_index_builder *b = bw_index_builder_new();
    struct bw_index *ix;

    add(b, "81.2.69.142", CAT(SCAN), 40);
    ix = finish_open(f, b, 1);
    b = bw_index_builder_new();
    add(b, "81.2.69.143", CAT(SCAN), 40);
    {
        struct bw_diag d = { "" };
        uint64_t n;

        assert_int_equal(bw_index_builder_finish(b, f->path, 2, &n, &d), BW_OK);
    }
    assert_string_equal(match(ix, "81.2.69.142", NULL), "81.2.69.142");
    assert_string_equal(match(ix, "81.2.69.143", NULL), "");
    bw_index_close(ix);
}

/* Overwriting the file in place (cp over it, then truncating it to nothing) under an open
 * index: the open one keeps answering as before, and nothing faults (the image is a private
 * copy, not a mapping of the file: no SIGBUS). */
static void in_place_overwrite_does_not_reach_an_open_index(void **state)
{
    struct fx *f = *state;
    struct bw_index_builder *b = bw_index_builder_new();
    struct bw_index *ix;
    uint8_t junk[4096];
    int fd;

    for (int i = 0; i < 5000; i++) {
        char t[32];

        snprintf(t, sizeof(t), "81.2.%d.%d", i / 250, i % 250);
        add(b, t, CAT(SCAN), 40);
    }
    ix = finish_open(f, b, 5000);
    memset(junk, 0xa5, sizeof(junk));
    fd = open(f->path, O_WRONLY); /* same inode, no O_TRUNC: overwritten in place */
    assert_true(fd >= 0);
    for (int i = 0; i < 16; i++)
        assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
    assert_int_equal(ftruncate(fd, 0), 0);
    close(fd);
    assert_string_equal(match(ix, "81.2.0.0", NULL), "81.2.0.0");
    assert_string_equal(match(ix, "81.2.19.249", NULL), "81.2.19.249");
    assert_string_equal(match(ix, "81.2.20.0", NULL), "");
    bw_index_close(ix);
    /* and the truncated file is refused, with a reason naming it */
    {
        struct bw_diag d = { "" };

        ix = NULL;
        assert_int_equal(bw_index_open(&ix, f->path, &d), BW_EMALFORMED);
        assert_non_null(strstr(d.msg, "truncated or empty"));
    }
}

static void unwritable_path_fails_cleanly(void **state)
{
    struct bw_index_builder *b = bw_index_builder_new();
    struct bw_diag d = { "" };
    uint64_t n = 7;

    (void)state;
    add(b, "81.2.69.142", CAT(SCAN), 40);
    assert_true(bw_index_builder_finish(b, "/nonexistent-dir/snap.bin", 1, &n, &d) < 0);
    assert_int_equal(n, 7);
    assert_non_null(strstr(d.msg, "/nonexistent-dir/snap.bin"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(empty_index, setup, teardown),
        cmocka_unit_test_setup_teardown(ipv4_round_trip_and_misses, setup, teardown),
        cmocka_unit_test_setup_teardown(skewed_buckets, setup, teardown),
        cmocka_unit_test_setup_teardown(nested_prefixes_most_specific_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(ipv6_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(walk_in_address_order, setup, teardown),
        cmocka_unit_test(bad_entries_are_refused),
        cmocka_unit_test_setup_teardown(classes_keep_categories_and_bands, setup, teardown),
        cmocka_unit_test_setup_teardown(more_category_sets_than_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupt_files_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(rebuild_does_not_disturb_an_open_index, setup, teardown),
        cmocka_unit_test_setup_teardown(in_place_overwrite_does_not_reach_an_open_index, setup,
                                        teardown),
        cmocka_unit_test(unwritable_path_fails_cleanly),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
