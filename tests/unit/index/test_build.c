/*
 * tests/unit/index/test_build.c - bw_index_build_from_store() against a real SQLite store whose
 * reports went in through the ingest pipeline: two independent reporters list an address, one
 * alone does not, an allowlisted one is left out (also inside a listed network), a network
 * listing becomes a prefix, old evidence expires; and for every address involved the snapshot
 * agrees with judging the store directly (what `botwatch lookup` does).
 */
#include "test.h"
#include "index/index.h"
#include "pipeline/pipeline.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOW INT64_C(1780000000)
#define CAT(c) (1u << (BW_CAT_##c))

struct fx {
    char dir[64];
    char db[128], ndjson[128], snap[128];
    struct bw_store *st;
    struct bw_policy pol;
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static struct bw_addr addr(const char *s)
{
    struct bw_addr a;

    if (bw_addr_parse(&a, s, strlen(s)) != BW_OK)
        fail_msg("%s: test address does not parse", s);
    return a;
}

static struct bw_prefix pfx(const char *s)
{
    struct bw_prefix p;

    if (bw_prefix_parse(&p, s, strlen(s)) != BW_OK)
        fail_msg("%s: test prefix does not parse", s);
    return p;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct bw_diag d = { "" };

    snprintf(f->dir, sizeof(f->dir), "/tmp/bw-test-build-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->db, sizeof(f->db), "%s/bw.db", f->dir);
    snprintf(f->ndjson, sizeof(f->ndjson), "%s/r.ndjson", f->dir);
    snprintf(f->snap, sizeof(f->snap), "%s/snap.bin", f->dir);
    if (bw_store_open(&f->st, f->db, &d) != BW_OK)
        fail_msg("open store: %s", d.msg);
    bw_policy_default(&f->pol);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    bw_store_close(f->st);
    nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* n reports of one category by one reporter, the last age_s before NOW, an hour apart. */
static void reports(FILE *fp, const char *ip, const char *cat, const char *reporter, int n,
                    int64_t age_s)
{
    for (int i = 0; i < n; i++)
        fprintf(fp, "{\"ip\":\"%s\",\"time\":%lld,\"category\":\"%s\",\"reporter\":\"%s\"}\n", ip,
                (long long)(NOW - age_s - 3600 * i), cat, reporter);
}

static void ingest(struct fx *f)
{
    struct bw_ingest_opts o = { .now_s = NOW, .half_life_s = f->pol.half_life_s };
    struct bw_ingest *in = NULL;
    struct bw_diag d = { "" };
    const struct bw_ingest_stats *s;

    assert_int_equal(bw_ingest_new(&in, f->st, &o), BW_OK);
    if (bw_ingest_file(in, f->ndjson, &d) != BW_OK || bw_ingest_finish(in, &d) != BW_OK)
        fail_msg("ingest: %s", d.msg);
    s = bw_ingest_stats(in);
    assert_int_equal(bw_ingest_rejected_total(s), 0);
    assert_true(s->accepted > 0);
    bw_ingest_free(in);
}

/* What judging the store directly says about one address (lookup's path). */
struct judged {
    struct bw_pfxset *allow;
    const struct bw_policy *pol;
    struct bw_verdict v;
    bw_catmask cats;
    bool seen;
};

static int judge(void *ctx, const struct bw_device *d, const struct bw_evidence *ev, size_t n)
{
    struct judged *j = ctx;

    bw_score(j->pol, ev, n, NOW, bw_pfxset_lookup(j->allow, &d->addr, NULL, NULL), &j->v);
    j->cats = 0;
    for (size_t i = 0; i < n; i++)
        j->cats |= ev[i].cats;
    j->seen = true;
    return 0;
}

static void agrees_with_store(struct fx *f, const struct bw_index *ix, const char *ip)
{
    struct judged j = { .pol = &f->pol };
    struct bw_addr a = addr(ip);
    struct bw_index_entry e;
    bool listed = bw_index_lookup(ix, &a, &e);

    assert_int_equal(bw_store_allow_load(f->st, &j.allow), BW_OK);
    assert_int_equal(bw_store_evidence_get(f->st, &a, judge, &j), BW_OK);
    bw_pfxset_free(j.allow);
    if (listed != (j.seen && j.v.listed))
        fail_msg("%s: snapshot says %s, the store %s", ip, listed ? "listed" : "not listed",
                 j.seen && j.v.listed ? "listed" : "not listed");
    if (listed && e.prefix.len == 128) {
        /* the address's own judgement: same categories, score within its band */
        assert_int_equal(e.cats, j.cats);
        assert_true(e.score <= j.v.score && e.score + 5 > j.v.score);
    }
}

static void build_from_pipeline(void **state)
{
    struct fx *f = *state;
    FILE *fp = fopen(f->ndjson, "w");
    struct bw_index *ix = NULL;
    struct bw_index_entry e;
    struct bw_index_info info;
    struct bw_diag d = { "" };
    struct bw_prefix allow1 = pfx("81.2.69.160/32"), allow2 = pfx("89.160.21.200/32");
    struct bw_addr a;
    uint64_t n = 0;
    int rc;
    static const char *const probe[] = {
        "81.2.69.142", "81.2.69.143", "81.2.69.160", "175.16.199.1", "2a02:cf40:0:1::17",
        "89.160.21.0", "89.160.21.7", "89.160.21.199", "89.160.21.200", "89.160.21.201",
        "89.160.21.255", "89.160.22.1", "2.125.160.216", "216.160.83.56",
    };

    assert_non_null(fp);
    /* listed: two independent normal-trust reporters */
    reports(fp, "81.2.69.142", "bruteforce", "alpha", 3, 600);
    reports(fp, "81.2.69.142", "scan", "beta", 2, 1200);
    reports(fp, "2a02:cf40:0:1::17", "scan", "alpha", 2, 600);
    reports(fp, "2a02:cf40:0:1::17", "scan", "beta", 2, 600);
    /* not listed: one reporter alone, however many reports */
    reports(fp, "81.2.69.143", "bruteforce", "alpha", 20, 600);
    /* not listed: allowlisted though corroborated */
    reports(fp, "81.2.69.160", "spam", "alpha", 3, 600);
    reports(fp, "81.2.69.160", "spam", "beta", 3, 600);
    /* not listed: corroborated, but the last report is older than the expiry */
    reports(fp, "216.160.83.56", "ddos", "alpha", 3, 40 * 86400);
    reports(fp, "216.160.83.56", "ddos", "beta", 3, 40 * 86400);
    /* a network listing by two reporters: a prefix, minus the allowlisted address inside */
    reports(fp, "89.160.21.0/24", "scan", "alpha", 3, 600);
    reports(fp, "89.160.21.0/24", "scan", "beta", 3, 600);
    /* a device inside it with its own (single-reporter) evidence: judged with the network's */
    reports(fp, "89.160.21.7", "c2", "gamma", 2, 600);
    /* single reporter, but its own network (with one reporter) is no help */
    reports(fp, "175.16.199.1", "c2", "gamma", 1, 600);
    assert_int_equal(fclose(fp), 0);
    ingest(f);
    assert_int_equal(bw_store_allow_add(f->st, &allow1, "test", NOW), BW_OK);
    assert_int_equal(bw_store_allow_add(f->st, &allow2, "test", NOW), BW_OK);

    rc = bw_index_build_from_store(f->st, &f->pol, NOW, f->snap, &n, &d);
    if (rc != BW_OK)
        fail_msg("build: %s (%s)", bw_strerror(rc), d.msg);
    assert_int_equal(bw_index_open(&ix, f->snap, &d), BW_OK);
    bw_index_stat(ix, &info);
    assert_int_equal(info.built_s, NOW);
    assert_int_equal(info.v6_addresses, 1);
    /* 81.2.69.142 and 89.160.21.7; the /24 is cut around .200 into 7 prefixes and .201 */
    assert_int_equal(info.v4_addresses, 3);
    assert_int_equal(info.prefixes, 7);
    assert_int_equal(n, info.v4_addresses + info.v6_addresses + info.prefixes);

    a = addr("81.2.69.142");
    assert_true(bw_index_lookup(ix, &a, &e));
    assert_int_equal(e.cats, CAT(BRUTEFORCE) | CAT(SCAN));
    assert_int_equal(e.prefix.len, 128);
    a = addr("89.160.21.7");
    assert_true(bw_index_lookup(ix, &a, &e));
    assert_int_equal(e.prefix.len, 128);
    assert_int_equal(e.cats, CAT(C2) | CAT(SCAN));
    a = addr("89.160.21.9");
    assert_true(bw_index_lookup(ix, &a, &e));
    assert_int_equal(e.prefix.len, 96 + 25);
    assert_int_equal(e.cats, CAT(SCAN));
    a = addr("89.160.21.200");
    assert_false(bw_index_lookup(ix, &a, NULL));
    a = addr("81.2.69.143");
    assert_false(bw_index_lookup(ix, &a, NULL));
    a = addr("81.2.69.160");
    assert_false(bw_index_lookup(ix, &a, NULL));
    a = addr("216.160.83.56");
    assert_false(bw_index_lookup(ix, &a, NULL));
    for (size_t i = 0; i < BW_ARRAY_LEN(probe); i++)
        agrees_with_store(f, ix, probe[i]);
    bw_index_close(ix);
}

static void empty_store_builds_an_empty_snapshot(void **state)
{
    struct fx *f = *state;
    struct bw_index *ix = NULL;
    struct bw_index_info info;
    struct bw_diag d = { "" };
    uint64_t n = 99;

    assert_int_equal(bw_index_build_from_store(f->st, &f->pol, NOW, f->snap, &n, &d), BW_OK);
    assert_int_equal(n, 0);
    assert_int_equal(bw_index_open(&ix, f->snap, &d), BW_OK);
    bw_index_stat(ix, &info);
    assert_int_equal(info.v4_addresses + info.v6_addresses + info.prefixes, 0);
    bw_index_close(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(build_from_pipeline, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_store_builds_an_empty_snapshot, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
