/*
 * tests/unit/store/test_sqlite.c - the SQLite backend through store.h, on real database files in
 * a temporary directory: schema and migrations, reporters, the ingest writes (reports, evidence,
 * devices), the read paths (evidence, walks, recent reports), the allowlist and transactions.
 */
#include "test.h"
#include "store/store.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#define NOW INT64_C(1780000000)
#define CAT(c) (1u << (BW_CAT_##c))

struct fx {
    char dir[64];
    char path[128];
    struct bw_store *st;
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void open_store(struct fx *f)
{
    struct bw_diag d = { "" };

    if (bw_store_open(&f->st, f->path, &d) != BW_OK)
        fail_msg("open %s: %s", f->path, d.msg);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/bw-test-store-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/bw.db", f->dir);
    open_store(f);
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

static int64_t reporter(struct bw_store *st, const char *name)
{
    int64_t id = -1;

    assert_int_equal(bw_store_reporter_ensure(st, name, NOW, &id), BW_OK);
    return id;
}

static struct bw_evidence ev_of(uint64_t reports, int64_t first, int64_t last, double mass,
                                int64_t mass_at, bw_catmask cats)
{
    struct bw_evidence e = { .reports = reports, .first_seen_s = first, .last_seen_s = last,
                             .mass = mass, .mass_at_s = mass_at, .cats = cats };
    return e;
}

static void insert_report(struct bw_store *st, const char *ip, int64_t id, int64_t rid,
                          int64_t t, const char *evidence, bool want_inserted)
{
    struct bw_report r = { .addr = addr(ip), .time_s = t, .cats = CAT(SCAN), .port = 22,
                           .proto = BW_PROTO_TCP, .evidence = evidence, .source = "ndjson" };
    bool inserted = !want_inserted;

    assert_int_equal(bw_store_report_insert(st, &r, id, rid, NOW, &inserted), BW_OK);
    assert_int_equal(inserted, want_inserted);
}

/* ---- captured evidence (copied out of callbacks) ---- */

struct ev_copy {
    char reporter[BW_NAME_MAX];
    char org[BW_NAME_MAX];
    struct bw_evidence e;
};

struct dev_copy {
    struct bw_device d;
    size_t n;
    struct ev_copy ev[8];
};

struct walk {
    size_t calls;
    size_t stop_after; /* 0 = never */
    struct dev_copy dev[8];
};

static int collect(void *ctx, const struct bw_device *d, const struct bw_evidence *ev, size_t n)
{
    struct walk *w = ctx;
    struct dev_copy *c;

    assert_true(w->calls < BW_ARRAY_LEN(w->dev));
    assert_true(n <= BW_ARRAY_LEN(w->dev[0].ev));
    c = &w->dev[w->calls++];
    c->d = *d;
    c->n = n;
    for (size_t i = 0; i < n; i++) {
        c->ev[i].e = ev[i];
        snprintf(c->ev[i].reporter, BW_NAME_MAX, "%s", ev[i].reporter ? ev[i].reporter : "");
        snprintf(c->ev[i].org, BW_NAME_MAX, "%s", ev[i].org ? ev[i].org : "");
        c->ev[i].e.reporter = NULL;
        c->ev[i].e.org = NULL;
    }
    return w->stop_after != 0 && w->calls == w->stop_after ? 77 : 0;
}

static const struct ev_copy *find_ev(const struct dev_copy *c, const char *reporter)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->ev[i].reporter, reporter) == 0)
            return &c->ev[i];
    }
    fail_msg("no evidence of %s", reporter);
    return NULL;
}

static void get_evidence(struct bw_store *st, const char *ip, struct walk *w)
{
    struct bw_addr a = addr(ip);

    memset(w, 0, sizeof(*w));
    assert_int_equal(bw_store_evidence_get(st, &a, collect, w), BW_OK);
    assert_int_equal(w->calls, 1);
}

/* ---- schema ---- */

static void open_creates_schema_at_latest(void **state)
{
    struct fx *f = *state;
    struct bw_store_counts c;

    assert_true(bw_store_schema_latest() >= 1);
    assert_int_equal(bw_store_schema_version(f->st), bw_store_schema_latest());
    assert_int_equal(access(f->path, F_OK), 0);
    memset(&c, 0xff, sizeof(c));
    assert_int_equal(bw_store_counts(f->st, &c), BW_OK);
    assert_int_equal(c.devices, 0);
    assert_int_equal(c.reports, 0);
    assert_int_equal(c.reporters, 0);
    assert_int_equal(c.allowlist, 0);
}

static void reopen_keeps_data(void **state)
{
    struct fx *f = *state;
    struct bw_prefix p = pfx("81.2.69.0/24");
    struct bw_store_counts c;
    struct bw_reporter r;
    int64_t id = reporter(f->st, "keeper");

    assert_int_equal(bw_store_begin(f->st), BW_OK);
    insert_report(f->st, "81.2.69.142", 1, id, NOW - 10, NULL, true);
    assert_int_equal(bw_store_commit(f->st), BW_OK);
    assert_int_equal(bw_store_allow_add(f->st, &p, "office", NOW), BW_OK);
    bw_store_close(f->st);
    f->st = NULL;

    open_store(f);
    assert_int_equal(bw_store_schema_version(f->st), bw_store_schema_latest());
    assert_int_equal(bw_store_reporter_get(f->st, "keeper", &r), BW_OK);
    assert_int_equal(r.id, id);
    assert_int_equal(bw_store_counts(f->st, &c), BW_OK);
    assert_int_equal(c.reports, 1);
    assert_int_equal(c.reporters, 1);
    assert_int_equal(c.allowlist, 1);
    /* the report is still a duplicate after the reopen */
    assert_int_equal(bw_store_begin(f->st), BW_OK);
    insert_report(f->st, "81.2.69.142", 1, id, NOW - 10, NULL, false);
    assert_int_equal(bw_store_commit(f->st), BW_OK);
}

static void set_user_version(const char *path, int v)
{
    sqlite3 *db;
    char sql[64];

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void newer_schema_is_refused(void **state)
{
    struct fx *f = *state;
    struct bw_store *sentinel = (struct bw_store *)&sentinel;
    struct bw_store *out = sentinel;
    struct bw_diag d = { "" };

    bw_store_close(f->st);
    f->st = NULL;
    set_user_version(f->path, bw_store_schema_latest() + 1);
    assert_int_equal(bw_store_open(&out, f->path, &d), BW_ECONFLICT);
    assert_ptr_equal(out, sentinel);
    assert_non_null(strstr(d.msg, f->path));
    assert_non_null(strstr(d.msg, "newer"));

    /* the same version again is fine */
    set_user_version(f->path, bw_store_schema_latest());
    open_store(f);
    assert_int_equal(bw_store_schema_version(f->st), bw_store_schema_latest());
}

static void not_a_database_is_refused(void **state)
{
    struct fx *f = *state;
    char path[160];
    struct bw_store *sentinel = (struct bw_store *)&sentinel;
    struct bw_store *out = sentinel;
    struct bw_diag d = { "" };
    FILE *fp;
    int rc;

    snprintf(path, sizeof(path), "%s/garbage.db", f->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not an SQLite database, only text. ", fp);
    fclose(fp);
    rc = bw_store_open(&out, path, &d);
    assert_true(rc < 0);
    assert_ptr_equal(out, sentinel);
    assert_true(d.msg[0] != '\0');

    /* a directory that does not exist */
    snprintf(path, sizeof(path), "%s/no/such/dir/bw.db", f->dir);
    d.msg[0] = '\0';
    rc = bw_store_open(&out, path, &d);
    assert_true(rc < 0);
    assert_ptr_equal(out, sentinel);
    assert_non_null(strstr(d.msg, path));
}

/* ---- reporters ---- */

static void reporters_ensure_is_idempotent(void **state)
{
    struct fx *f = *state;
    struct bw_reporter r;
    int64_t a, a2, b;

    assert_int_equal(bw_store_reporter_get(f->st, "alpha", &r), BW_ENOTFOUND);
    assert_int_equal(bw_store_reporter_ensure(f->st, "alpha", NOW - 100, &a), BW_OK);
    assert_int_equal(bw_store_reporter_ensure(f->st, "beta", NOW - 50, &b), BW_OK);
    assert_int_not_equal(a, b);
    assert_int_equal(bw_store_reporter_ensure(f->st, "alpha", NOW, &a2), BW_OK);
    assert_int_equal(a2, a);

    assert_int_equal(bw_store_reporter_get(f->st, "alpha", &r), BW_OK);
    assert_int_equal(r.id, a);
    assert_string_equal(r.name, "alpha");
    assert_int_equal(r.trust, BW_TRUST_NORMAL);
    assert_string_equal(r.org, "");
    assert_int_equal(r.created_s, NOW - 100); /* the second ensure did not touch it */
    assert_int_equal(bw_store_reporter_get(f->st, "Alpha", &r), BW_ENOTFOUND);
}

static void reporters_put_updates_trust_and_org(void **state)
{
    struct fx *f = *state;
    struct bw_reporter r = { .trust = BW_TRUST_HIGH, .created_s = NOW - 5 };
    struct bw_reporter got;
    int64_t id = reporter(f->st, "feed");
    int64_t new_id;

    snprintf(r.name, sizeof(r.name), "feed");
    snprintf(r.org, sizeof(r.org), "acme");
    assert_int_equal(bw_store_reporter_put(f->st, &r), BW_OK);
    assert_int_equal(r.id, id);
    assert_int_equal(r.created_s, NOW); /* kept from ensure */
    assert_int_equal(bw_store_reporter_get(f->st, "feed", &got), BW_OK);
    assert_int_equal(got.id, id);
    assert_int_equal(got.trust, BW_TRUST_HIGH);
    assert_string_equal(got.org, "acme");

    /* back to low, no org */
    r.trust = BW_TRUST_LOW;
    r.org[0] = '\0';
    assert_int_equal(bw_store_reporter_put(f->st, &r), BW_OK);
    assert_int_equal(bw_store_reporter_get(f->st, "feed", &got), BW_OK);
    assert_int_equal(got.trust, BW_TRUST_LOW);
    assert_string_equal(got.org, "");
    assert_int_equal(got.id, id);

    /* put of a new name creates it */
    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "newcomer");
    snprintf(r.org, sizeof(r.org), "acme");
    r.trust = BW_TRUST_NORMAL;
    r.created_s = NOW - 7;
    r.id = -1;
    assert_int_equal(bw_store_reporter_put(f->st, &r), BW_OK);
    new_id = r.id;
    assert_true(new_id > 0);
    assert_int_not_equal(new_id, id);
    assert_int_equal(bw_store_reporter_get(f->st, "newcomer", &got), BW_OK);
    assert_int_equal(got.id, new_id);
    assert_int_equal(got.created_s, NOW - 7);
    assert_string_equal(got.org, "acme");
}

struct rep_list {
    size_t n;
    struct {
        struct bw_reporter r;
        uint64_t reports, devices;
    } e[8];
};

static int list_reporter(void *ctx, const struct bw_reporter *r, uint64_t reports,
                         uint64_t devices)
{
    struct rep_list *l = ctx;

    assert_true(l->n < BW_ARRAY_LEN(l->e));
    l->e[l->n].r = *r;
    l->e[l->n].reports = reports;
    l->e[l->n].devices = devices;
    l->n++;
    return 0;
}

static int stop_at_first_reporter(void *ctx, const struct bw_reporter *r, uint64_t reports,
                                  uint64_t devices)
{
    (void)r;
    (void)reports;
    (void)devices;
    ++*(int *)ctx;
    return 5;
}

static void reporters_list_with_counts(void **state)
{
    struct fx *f = *state;
    struct bw_reporter hi = { .trust = BW_TRUST_HIGH };
    struct rep_list l = { 0 };
    struct bw_addr a1 = addr("81.2.69.142"), a2 = addr("2a02:cf40::1");
    struct bw_evidence e;
    int64_t zed = reporter(f->st, "zed");
    int64_t amy = reporter(f->st, "amy");
    int calls = 0;

    reporter(f->st, "mia");
    snprintf(hi.name, sizeof(hi.name), "zed");
    snprintf(hi.org, sizeof(hi.org), "zorg");
    assert_int_equal(bw_store_reporter_put(f->st, &hi), BW_OK);
    assert_int_equal(bw_store_begin(f->st), BW_OK);
    e = ev_of(3, NOW - 30, NOW - 10, 3, NOW - 10, CAT(SCAN));
    assert_int_equal(bw_store_evidence_merge(f->st, &a1, zed, &e), BW_OK);
    e = ev_of(2, NOW - 30, NOW - 10, 2, NOW - 10, CAT(SCAN));
    assert_int_equal(bw_store_evidence_merge(f->st, &a2, zed, &e), BW_OK);
    e = ev_of(4, NOW - 30, NOW - 10, 4, NOW - 10, CAT(SCAN));
    assert_int_equal(bw_store_evidence_merge(f->st, &a1, amy, &e), BW_OK);
    assert_int_equal(bw_store_commit(f->st), BW_OK);

    assert_int_equal(bw_store_reporter_list(f->st, list_reporter, &l), BW_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.e[0].r.name, "amy");
    assert_string_equal(l.e[1].r.name, "mia");
    assert_string_equal(l.e[2].r.name, "zed");
    assert_int_equal(l.e[0].r.id, amy);
    assert_int_equal(l.e[0].reports, 4);
    assert_int_equal(l.e[0].devices, 1);
    assert_int_equal(l.e[1].reports, 0);
    assert_int_equal(l.e[1].devices, 0);
    assert_int_equal(l.e[1].r.trust, BW_TRUST_NORMAL);
    assert_int_equal(l.e[2].r.id, zed);
    assert_int_equal(l.e[2].r.trust, BW_TRUST_HIGH);
    assert_string_equal(l.e[2].r.org, "zorg");
    assert_int_equal(l.e[2].reports, 5);
    assert_int_equal(l.e[2].devices, 2);

    assert_int_equal(bw_store_reporter_list(f->st, stop_at_first_reporter, &calls), 5);
    assert_int_equal(calls, 1);
}

/* ---- reports ---- */

static void report_insert_deduplicates_on_address_and_id(void **state)
{
    struct fx *f = *state;
    struct bw_store_counts c;
    int64_t rid = reporter(f->st, "r");

    assert_int_equal(bw_store_begin(f->st), BW_OK);
    insert_report(f->st, "81.2.69.142", 42, rid, NOW - 60, "first", true);
    insert_report(f->st, "81.2.69.142", 42, rid, NOW - 60, "first", false);
    /* same identity, other fields changed: still the same report */
    insert_report(f->st, "81.2.69.142", 42, rid, NOW - 1, "second", false);
    insert_report(f->st, "81.2.69.143", 42, rid, NOW - 60, "other device", true);
    insert_report(f->st, "81.2.69.142", -42, rid, NOW - 60, "other id", true);
    insert_report(f->st, "2a02:cf40::1", 42, rid, NOW - 60, NULL, true);
    assert_int_equal(bw_store_commit(f->st), BW_OK);
    assert_int_equal(bw_store_counts(f->st, &c), BW_OK);
    assert_int_equal(c.reports, 4);
}

struct recent {
    size_t n;
    struct {
        int64_t t;
        bw_catmask cats;
        uint16_t port;
        char reporter[BW_NAME_MAX];
        char evidence[64];
        bool has_evidence;
        char source[16];
    } r[8];
};

static int collect_recent(void *ctx, const struct bw_stored_report *r)
{
    struct recent *l = ctx;

    assert_true(l->n < BW_ARRAY_LEN(l->r));
    l->r[l->n].t = r->time_s;
    l->r[l->n].cats = r->cats;
    l->r[l->n].port = r->port;
    snprintf(l->r[l->n].reporter, BW_NAME_MAX, "%s", r->reporter);
    l->r[l->n].has_evidence = r->evidence != NULL;
    snprintf(l->r[l->n].evidence, 64, "%s", r->evidence ? r->evidence : "");
    snprintf(l->r[l->n].source, 16, "%s", r->source);
    l->n++;
    return 0;
}

static void report_recent_newest_first_with_limit(void **state)
{
    struct fx *f = *state;
    struct bw_addr a = addr("81.2.69.142"), none = addr("81.2.69.200");
    struct recent l = { 0 };
    int64_t rid = reporter(f->st, "watcher");
    static const int64_t ages[] = { 300, 100, 500, 200, 400 };

    assert_int_equal(bw_store_begin(f->st), BW_OK);
    for (size_t i = 0; i < BW_ARRAY_LEN(ages); i++)
        insert_report(f->st, "81.2.69.142", (int64_t)i + 1, rid, NOW - ages[i],
                      i == 1 ? "newest" : NULL, true);
    insert_report(f->st, "81.2.69.143", 99, rid, NOW, "other device", true);
    assert_int_equal(bw_store_commit(f->st), BW_OK);

    assert_int_equal(bw_store_report_recent(f->st, &a, 3, collect_recent, &l), BW_OK);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.r[0].t, NOW - 100);
    assert_int_equal(l.r[1].t, NOW - 200);
    assert_int_equal(l.r[2].t, NOW - 300);
    assert_true(l.r[0].has_evidence);
    assert_string_equal(l.r[0].evidence, "newest");
    assert_false(l.r[1].has_evidence);
    assert_string_equal(l.r[0].reporter, "watcher");
    assert_string_equal(l.r[0].source, "ndjson");
    assert_int_equal(l.r[0].port, 22);
    assert_int_equal(l.r[0].cats, CAT(SCAN));

    memset(&l, 0, sizeof(l));
    assert_int_equal(bw_store_report_recent(f->st, &a, 100, collect_recent, &l), BW_OK);
    assert_int_equal(l.n, 5);
    assert_int_equal(l.r[4].t, NOW - 500);

    memset(&l, 0, sizeof(l));
    assert_int_equal(bw_store_report_recent(f->st, &none, 10, collect_recent, &l), BW_OK);
    assert_int_equal(l.n, 0);
}

/* ---- evidence ---- */

static void evidence_merge_aggregates(void **state)
{
    struct fx *f = *state;
    struct bw_addr a = addr("81.2.69.142");
    int64_t r1 = reporter(f->st, "one"), r2 = reporter(f->st, "two");
    struct bw_evidence e;
    struct walk w;
    const struct ev_copy *c;
    bool is_new = false;

    assert_int_equal(bw_store_begin(f->st), BW_OK);
    assert_int_equal(bw_store_device_ensure(f->st, &a, NOW, &is_new), BW_OK);
    assert_true(is_new);
    e = ev_of(2, NOW - 500, NOW - 400, 2, NOW - 400, CAT(SCAN));
    assert_int_equal(bw_store_evidence_merge(f->st, &a, r1, &e), BW_OK);
    e = ev_of(3, NOW - 900, NOW - 450, 3, NOW - 450, CAT(DDOS));
    assert_int_equal(bw_store_evidence_merge(f->st, &a, r1, &e), BW_OK);
    e = ev_of(2, NOW - 300, NOW - 100, 2, NOW - 100, CAT(SCAN));
    assert_int_equal(bw_store_evidence_merge(f->st, &a, r1, &e), BW_OK);
    e = ev_of(1, NOW - 10, NOW - 10, 1, NOW - 10, CAT(C2));
    assert_int_equal(bw_store_evidence_merge(f->st, &a, r2, &e), BW_OK);
    assert_int_equal(bw_store_commit(f->st), BW_OK);

    get_evidence(f->st, "81.2.69.142", &w);
    assert_int_equal(w.dev[0].n, 2);
    c = find_ev(&w.dev[0], "one");
    assert_int_equal(c->e.reports, 7);
    assert_int_equal(c->e.first_seen_s, NOW - 900);
    assert_int_equal(c->e.last_seen_s, NOW - 100);
    assert_int_equal(c->e.mass_at_s, NOW - 100);
    assert_int_equal(c->e.cats, CAT(SCAN) | CAT(DDOS));
    assert_int_equal(c->e.trust, BW_TRUST_NORMAL);
    assert_string_equal(c->org, "");
    c = find_ev(&w.dev[0], "two");
    assert_int_equal(c->e.reports, 1);
    assert_int_equal(c->e.first_seen_s, NOW - 10);
    assert_int_equal(c->e.cats, CAT(C2));
    /* the device handed with the evidence carries the aggregates */
    assert_memory_equal(w.dev[0].d.addr.b, a.b, 16);
    assert_int_equal(w.dev[0].d.reports, 8);
    assert_int_equal(w.dev[0].d.reporters, 2);
}

static void evidence_carries_reporter_trust_and_org(void **state)
{
    struct fx *f = *state;
    struct bw_addr a = addr("81.2.69.142");
    struct bw_reporter hi = { .trust = BW_TRUST_HIGH, .created_s = NOW };
    struct bw_evidence e = ev_of(1, NOW - 10, NOW - 10, 1, NOW - 10, CAT(SCAN));
    struct walk w;
    bool is_new;
    int64_t low = reporter(f->st, "lowly");
    struct bw_reporter lo;

    snprintf(hi.name, sizeof(hi.name), "mighty");
    snprintf(hi.org, sizeof(hi.org), "cert-x");
    assert_int_equal(bw_store_reporter_put(f->st, &hi), BW_OK);
    assert_int_equal(bw_store_reporter_get(f->st, "lowly", &lo), BW_OK);
    lo.trust = BW_TRUST_LOW;
    assert_int_equal(bw_store_reporter_put(f->st, &lo), BW_OK);
    assert_int_equal(lo.id, low);
    assert_int_equal(bw_store_begin(f->st), BW_OK);
    assert_int_equal(bw_store_device_ensure(f->st, &a, NOW, &is_new), BW_OK);
    assert_int_equal(bw_store_evidence_merge(f->st, &a, hi.id, &e), BW_OK);
    assert_int_equal(bw_store_evidence_merge(f->st, &a, low, &e), BW_OK);
    assert_int_equal(bw_store_commit(f->st), BW_OK);

    get_evidence(f->st, "81.2.69.142", &w);
    assert_int_equal(w.dev[0].n, 2);
    assert_int_equal(find_ev(&w.dev[0], "mighty")->e.trust, BW_TRUST_HIGH);
    assert_string_equal(find_ev(&w.dev[0], "mighty")->org, "cert-x");
    assert_int_equal(find_ev(&w.dev[0], "lowly")->e.trust, BW_TRUST_LOW);
    assert_string_equal(find_ev(&w.dev[0], "lowly")->org, "");
    /* the walk gives the same */
    memset(&w, 0, sizeof(w));
    assert_int_equal(bw_store_device_walk(f->st, 0, collect, &w), BW_OK);
    assert_int_equal(w.calls, 1);
    assert_int_equal(find_ev(&w.dev[0], "mighty")->e.trust, BW_TRUST_HIGH);
    assert_string_equal(find_ev(&w.dev[0], "mighty")->org, "cert-x");
    assert_int_equal(find_ev(&w.dev[0], "lowly")->e.trust, BW_TRUST_LOW);
}

static void assert_close(double got, double want)
{
    if (fabs(got - want) > 1e-9 * (fabs(want) > 1 ? fabs(want) : 1))
        fail_msg("got %.17g, want %.17g", got, want);
}

static void evidence_mass_merge_matches_decay_merge(void **state)
{
    struct fx *f = *state;
    struct bw_addr a = addr("81.2.69.142");
    int64_t rid = reporter(f->st, "decayer");
    const int64_t hl = 3600;
    struct bw_evidence e;
    double mass = 2.0, mass_week;
    int64_t at = NOW - 5000, at_week;
    struct walk w;
    bool is_new;

    bw_store_set_half_life(f->st, hl);
    assert_int_equal(bw_store_begin(f->st), BW_OK);
    assert_int_equal(bw_store_device_ensure(f->st, &a, NOW, &is_new), BW_OK);
    e = ev_of(2, NOW - 6000, NOW - 5000, 2.0, NOW - 5000, CAT(SCAN));
    assert_int_equal(bw_store_evidence_merge(f->st, &a, rid, &e), BW_OK);
    /* older than what is stored: decays to the stored time */
    e = ev_of(1, NOW - 9000, NOW - 9000, 1.5, NOW - 9000, CAT(SCAN));
    assert_int_equal(bw_store_evidence_merge(f->st, &a, rid, &e), BW_OK);
    bw_decay_merge(&mass, &at, 1.5, NOW - 9000, hl);
    /* newer: the stored mass decays to the new time */
    e = ev_of(1, NOW - 1000, NOW - 1000, 0.75, NOW - 1000, CAT(SCAN));
    assert_int_equal(bw_store_evidence_merge(f->st, &a, rid, &e), BW_OK);
    bw_decay_merge(&mass, &at, 0.75, NOW - 1000, hl);
    assert_int_equal(bw_store_commit(f->st), BW_OK);

    get_evidence(f->st, "81.2.69.142", &w);
    assert_int_equal(w.dev[0].n, 1);
    assert_int_equal(w.dev[0].ev[0].e.mass_at_s, at);
    assert_int_equal(at, NOW - 1000);
    assert_close(w.dev[0].ev[0].e.mass, mass);

    /* the half-life is the store's, not a constant: a week gives a clearly different sum */
    mass_week = 2.0;
    at_week = NOW - 5000;
    bw_decay_merge(&mass_week, &at_week, 1.5, NOW - 9000, 7 * 86400);
    bw_decay_merge(&mass_week, &at_week, 0.75, NOW - 1000, 7 * 86400);
    assert_true(fabs(mass_week - mass) > 0.1);
}

static void evidence_get_of_unknown_device_gives_nothing(void **state)
{
    struct fx *f = *state;
    struct bw_addr a = addr("81.2.69.142");
    struct walk w;

    get_evidence(f->st, "81.2.69.142", &w);
    assert_int_equal(w.dev[0].n, 0);
    assert_memory_equal(w.dev[0].d.addr.b, a.b, 16);
    assert_int_equal(w.dev[0].d.reports, 0);
    /* the callback's value comes back */
    memset(&w, 0, sizeof(w));
    w.stop_after = 1;
    assert_int_equal(bw_store_evidence_get(f->st, &a, collect, &w), 77);
}

/* ---- devices ---- */

static void device_ensure_is_new_once(void **state)
{
    struct fx *f = *state;
    struct bw_addr a = addr("2a02:cf40::1"), b = addr("81.2.69.142");
    struct bw_device got;
    struct walk w;
    bool is_new = false;

    assert_int_equal(bw_store_device_get(f->st, &a, &got), BW_ENOTFOUND);
    assert_int_equal(bw_store_begin(f->st), BW_OK);
    assert_int_equal(bw_store_device_ensure(f->st, &a, NOW - 40, &is_new), BW_OK);
    assert_true(is_new);
    assert_int_equal(bw_store_device_ensure(f->st, &a, NOW - 30, &is_new), BW_OK);
    assert_false(is_new);
    assert_int_equal(bw_store_device_ensure(f->st, &b, NOW - 20, &is_new), BW_OK);
    assert_true(is_new);
    assert_int_equal(bw_store_commit(f->st), BW_OK);
    assert_int_equal(bw_store_device_ensure(f->st, &a, NOW, &is_new), BW_OK);
    assert_false(is_new);

    /* a device row without evidence: no reports, times 0 */
    memset(&got, 0xff, sizeof(got));
    assert_int_equal(bw_store_device_get(f->st, &a, &got), BW_OK);
    assert_memory_equal(got.addr.b, a.b, 16);
    assert_int_equal(got.created_s, NOW - 40); /* the first ensure's time */
    assert_int_equal(got.reports, 0);
    assert_int_equal(got.reporters, 0);
    assert_int_equal(got.first_seen_s, 0);
    assert_int_equal(got.last_seen_s, 0);
    assert_int_equal(got.cats, 0);
    get_evidence(f->st, "2a02:cf40::1", &w);
    assert_int_equal(w.dev[0].n, 0);
    assert_int_equal(w.dev[0].d.created_s, NOW - 40);
    {
        struct bw_store_counts c;

        assert_int_equal(bw_store_counts(f->st, &c), BW_OK);
        assert_int_equal(c.devices, 2);
    }
}

static void device_aggregates_min_max_sum_or(void **state)
{
    struct fx *f = *state;
    struct bw_addr a = addr("2a02:cf40::1"), other = addr("2a02:cf40::2");
    int64_t r1 = reporter(f->st, "d1"), r2 = reporter(f->st, "d2"), r3 = reporter(f->st, "d3");
    struct bw_evidence e;
    struct bw_device got;
    bool is_new;

    assert_int_equal(bw_store_begin(f->st), BW_OK);
    assert_int_equal(bw_store_device_ensure(f->st, &a, NOW - 40, &is_new), BW_OK);
    e = ev_of(2, NOW - 100, NOW - 50, 2, NOW - 50, CAT(SCAN));
    assert_int_equal(bw_store_evidence_merge(f->st, &a, r1, &e), BW_OK);
    e = ev_of(3, NOW - 200, NOW - 60, 3, NOW - 60, CAT(DDOS));
    assert_int_equal(bw_store_evidence_merge(f->st, &a, r2, &e), BW_OK);
    e = ev_of(1, NOW - 20, NOW - 10, 1, NOW - 10, CAT(SCAN) | CAT(SPAM));
    assert_int_equal(bw_store_evidence_merge(f->st, &a, r3, &e), BW_OK);
    /* a second merge from r1 adds to its record, not to the reporter count */
    e = ev_of(4, NOW - 300, NOW - 5, 4, NOW - 5, CAT(BOT));
    assert_int_equal(bw_store_evidence_merge(f->st, &a, r1, &e), BW_OK);
    /* a neighbour's evidence does not leak in */
    assert_int_equal(bw_store_device_ensure(f->st, &other, NOW, &is_new), BW_OK);
    e = ev_of(50, NOW - 9000, NOW, 50, NOW, CAT(PHISHING));
    assert_int_equal(bw_store_evidence_merge(f->st, &other, r1, &e), BW_OK);
    assert_int_equal(bw_store_commit(f->st), BW_OK);

    memset(&got, 0, sizeof(got));
    assert_int_equal(bw_store_device_get(f->st, &a, &got), BW_OK);
    assert_memory_equal(got.addr.b, a.b, 16);
    assert_int_equal(got.first_seen_s, NOW - 300);
    assert_int_equal(got.last_seen_s, NOW - 5);
    assert_int_equal(got.reports, 10);
    assert_int_equal(got.reporters, 3);
    assert_int_equal(got.cats, CAT(SCAN) | CAT(DDOS) | CAT(SPAM) | CAT(BOT));
    assert_int_equal(got.created_s, NOW - 40);
}

/* A device with one reporter's evidence, last seen at `last`. */
static void put_device(struct bw_store *st, const char *ip, int64_t rid, int64_t last,
                       uint64_t reports)
{
    struct bw_addr a = addr(ip);
    struct bw_evidence e = ev_of(reports, last - 100, last, (double)reports, last, CAT(BOT));
    bool is_new;

    assert_int_equal(bw_store_device_ensure(st, &a, NOW, &is_new), BW_OK);
    assert_int_equal(bw_store_evidence_merge(st, &a, rid, &e), BW_OK);
}

static void device_walk_in_address_order_with_since(void **state)
{
    struct fx *f = *state;
    int64_t r1 = reporter(f->st, "w1"), r2 = reporter(f->st, "w2");
    static const char *const order[] = { "2.125.160.216", "81.2.69.142", "89.160.20.112",
                                         "2a02:cf40::1", "2a02:cf40::2" };
    struct walk w = { 0 };
    struct bw_addr want;

    assert_int_equal(bw_store_begin(f->st), BW_OK);
    put_device(f->st, "89.160.20.112", r1, NOW - 1000, 1);
    put_device(f->st, "2a02:cf40::2", r1, NOW - 10, 2);
    put_device(f->st, "81.2.69.142", r1, NOW - 500, 3);
    put_device(f->st, "2.125.160.216", r1, NOW - 20, 4);
    put_device(f->st, "2a02:cf40::1", r2, NOW - 5000, 5);
    put_device(f->st, "81.2.69.142", r2, NOW - 400, 6);
    assert_int_equal(bw_store_commit(f->st), BW_OK);

    assert_int_equal(bw_store_device_walk(f->st, 0, collect, &w), BW_OK);
    assert_int_equal(w.calls, BW_ARRAY_LEN(order));
    for (size_t i = 0; i < BW_ARRAY_LEN(order); i++) {
        want = addr(order[i]);
        if (memcmp(w.dev[i].d.addr.b, want.b, 16) != 0) {
            char buf[BW_ADDR_TEXT_MAX];

            fail_msg("walk[%zu] is %s, want %s", i, bw_addr_format(&w.dev[i].d.addr, buf),
                     order[i]);
        }
    }
    /* 81.2.69.142 carries both reporters' evidence and its device row */
    assert_int_equal(w.dev[1].n, 2);
    assert_int_equal(find_ev(&w.dev[1], "w1")->e.reports, 3);
    assert_int_equal(find_ev(&w.dev[1], "w2")->e.reports, 6);
    assert_int_equal(w.dev[1].d.reports, 9);
    assert_int_equal(w.dev[1].d.last_seen_s, NOW - 400);
    assert_int_equal(w.dev[3].n, 1);
    assert_string_equal(w.dev[3].ev[0].reporter, "w2");
    assert_int_equal(w.dev[3].ev[0].e.reports, 5);

    /* since: last_seen at or after it */
    memset(&w, 0, sizeof(w));
    assert_int_equal(bw_store_device_walk(f->st, NOW - 500, collect, &w), BW_OK);
    assert_int_equal(w.calls, 3);
    want = addr("2.125.160.216");
    assert_memory_equal(w.dev[0].d.addr.b, want.b, 16);
    want = addr("81.2.69.142");
    assert_memory_equal(w.dev[1].d.addr.b, want.b, 16);
    want = addr("2a02:cf40::2");
    assert_memory_equal(w.dev[2].d.addr.b, want.b, 16);

    memset(&w, 0, sizeof(w));
    assert_int_equal(bw_store_device_walk(f->st, NOW, collect, &w), BW_OK);
    assert_int_equal(w.calls, 0);

    /* a non-zero callback value stops the walk and comes back */
    memset(&w, 0, sizeof(w));
    w.stop_after = 2;
    assert_int_equal(bw_store_device_walk(f->st, 0, collect, &w), 77);
    assert_int_equal(w.calls, 2);

    /* the evidence walk gives the same devices, evidence and aggregates, without the rows */
    {
        struct walk *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

        assert_int_equal(bw_store_device_walk(f->st, NOW - 500, collect, a), BW_OK);
        assert_int_equal(bw_store_evidence_walk(f->st, NOW - 500, collect, b), BW_OK);
        assert_int_equal(a->calls, b->calls);
        for (size_t i = 0; i < a->calls; i++) {
            assert_memory_equal(a->dev[i].d.addr.b, b->dev[i].d.addr.b, 16);
            assert_int_equal(a->dev[i].d.reports, b->dev[i].d.reports);
            assert_int_equal(a->dev[i].d.last_seen_s, b->dev[i].d.last_seen_s);
            assert_int_equal(a->dev[i].n, b->dev[i].n);
            assert_int_equal(b->dev[i].d.created_s, 0);
        }
        free(a);
        free(b);
    }
}

/* A walk of a set of addresses visits those with evidence, once each, in address order. */
static void device_walk_of_a_set(void **state)
{
    struct fx *f = *state;
    int64_t r1 = reporter(f->st, "w1"), r2 = reporter(f->st, "w2");
    struct bw_addr set[4] = { addr("89.160.20.112"), addr("2.125.160.216"),
                              addr("81.2.69.200") /* never reported */, addr("2.125.160.216") };
    struct walk w = { 0 };
    struct bw_addr want;

    assert_int_equal(bw_store_begin(f->st), BW_OK);
    put_device(f->st, "89.160.20.112", r1, NOW - 1000, 1);
    put_device(f->st, "89.160.20.112", r2, NOW - 900, 2);
    put_device(f->st, "2.125.160.216", r1, NOW - 20, 4);
    put_device(f->st, "81.2.69.142", r1, NOW - 500, 3);
    assert_int_equal(bw_store_commit(f->st), BW_OK);
    assert_int_equal(bw_store_device_walk_set(f->st, set, 4, collect, &w), BW_OK);
    assert_int_equal(w.calls, 2);
    want = addr("2.125.160.216");
    assert_memory_equal(w.dev[0].d.addr.b, want.b, 16);
    assert_int_equal(w.dev[0].d.reports, 4);
    want = addr("89.160.20.112");
    assert_memory_equal(w.dev[1].d.addr.b, want.b, 16);
    assert_int_equal(w.dev[1].n, 2);
    assert_int_equal(w.dev[1].d.reports, 3);
    /* the set is the call's own: a second walk of another set sees only that one */
    memset(&w, 0, sizeof(w));
    assert_int_equal(bw_store_device_walk_set(f->st, set + 2, 1, collect, &w), BW_OK);
    assert_int_equal(w.calls, 0);
    assert_int_equal(bw_store_device_walk_set(f->st, NULL, 0, collect, &w), BW_OK);
}

/* ---- allowlist ---- */

struct allow_list {
    size_t n;
    struct {
        char prefix[BW_PREFIX_TEXT_MAX];
        char note[64];
        int64_t added_s;
    } e[8];
};

static int collect_allow(void *ctx, const struct bw_prefix *p, const char *note, int64_t added)
{
    struct allow_list *l = ctx;

    assert_true(l->n < BW_ARRAY_LEN(l->e));
    bw_prefix_format(p, l->e[l->n].prefix);
    snprintf(l->e[l->n].note, 64, "%s", note);
    l->e[l->n].added_s = added;
    l->n++;
    return 0;
}

static void allowlist_add_remove_list(void **state)
{
    struct fx *f = *state;
    struct bw_prefix p24 = pfx("81.2.69.0/24"), p16 = pfx("81.2.0.0/16"),
                     p6 = pfx("2a02:cf40::/32"), other = pfx("10.0.0.0/8");
    struct allow_list l = { 0 };
    struct bw_store_counts c;

    assert_int_equal(bw_store_allow_add(f->st, &p24, "office", NOW - 3), BW_OK);
    assert_int_equal(bw_store_allow_add(f->st, &p16, NULL, NOW - 2), BW_OK);
    assert_int_equal(bw_store_allow_add(f->st, &p6, "v6 lab", NOW - 1), BW_OK);
    assert_int_equal(bw_store_allow_add(f->st, &p24, "again", NOW), BW_ECONFLICT);
    {
        /* the same prefix written as IPv4-mapped IPv6 is the same entry */
        struct bw_prefix mapped = pfx("::ffff:81.2.69.0/120");

        assert_memory_equal(&mapped, &p24, sizeof(mapped));
        assert_int_equal(bw_store_allow_add(f->st, &mapped, "alias", NOW), BW_ECONFLICT);
    }
    assert_int_equal(bw_store_allow_remove(f->st, &other), BW_ENOTFOUND);

    assert_int_equal(bw_store_allow_list(f->st, collect_allow, &l), BW_OK);
    assert_int_equal(l.n, 3);
    for (size_t i = 0; i < l.n; i++) {
        if (strcmp(l.e[i].prefix, "81.2.69.0/24") == 0) {
            assert_string_equal(l.e[i].note, "office"); /* not overwritten by the refused add */
            assert_int_equal(l.e[i].added_s, NOW - 3);
        } else if (strcmp(l.e[i].prefix, "81.2.0.0/16") == 0) {
            assert_string_equal(l.e[i].note, "");
        } else if (strcmp(l.e[i].prefix, "2a02:cf40::/32") == 0) {
            assert_string_equal(l.e[i].note, "v6 lab");
        } else {
            fail_msg("unexpected allowlist entry %s", l.e[i].prefix);
        }
    }
    assert_int_equal(bw_store_counts(f->st, &c), BW_OK);
    assert_int_equal(c.allowlist, 3);

    assert_int_equal(bw_store_allow_remove(f->st, &p16), BW_OK);
    assert_int_equal(bw_store_allow_remove(f->st, &p16), BW_ENOTFOUND);
    memset(&l, 0, sizeof(l));
    assert_int_equal(bw_store_allow_list(f->st, collect_allow, &l), BW_OK);
    assert_int_equal(l.n, 2);
    /* removed, it can be added again */
    assert_int_equal(bw_store_allow_add(f->st, &p16, "back", NOW), BW_OK);
}

static void lookup(const struct bw_pfxset *s, const char *ip, const char *want)
{
    struct bw_addr a = addr(ip);
    struct bw_prefix m;
    char buf[BW_PREFIX_TEXT_MAX];
    bool found = bw_pfxset_lookup(s, &a, NULL, &m);

    if (want == NULL) {
        if (found)
            fail_msg("%s: matched %s, want none", ip, bw_prefix_format(&m, buf));
        return;
    }
    if (!found)
        fail_msg("%s: no match, want %s", ip, want);
    if (strcmp(bw_prefix_format(&m, buf), want) != 0)
        fail_msg("%s: matched %s, want %s", ip, buf, want);
}

static void allow_load_gives_longest_prefix_match(void **state)
{
    struct fx *f = *state;
    struct bw_prefix p24 = pfx("81.2.69.0/24"), p16 = pfx("81.2.0.0/16"),
                     p6 = pfx("2a02:cf40::/32"), host = pfx("89.160.20.112/32");
    struct bw_pfxset *s = NULL;

    assert_int_equal(bw_store_allow_load(f->st, &s), BW_OK);
    assert_int_equal(bw_pfxset_count(s), 0);
    lookup(s, "81.2.69.142", NULL);
    bw_pfxset_free(s);

    assert_int_equal(bw_store_allow_add(f->st, &p16, "", NOW), BW_OK);
    assert_int_equal(bw_store_allow_add(f->st, &p24, "", NOW), BW_OK);
    assert_int_equal(bw_store_allow_add(f->st, &p6, "", NOW), BW_OK);
    assert_int_equal(bw_store_allow_add(f->st, &host, "", NOW), BW_OK);
    assert_int_equal(bw_store_allow_load(f->st, &s), BW_OK);
    assert_int_equal(bw_pfxset_count(s), 4);
    lookup(s, "81.2.69.142", "81.2.69.0/24");
    lookup(s, "81.2.1.1", "81.2.0.0/16");
    lookup(s, "81.3.0.0", NULL);
    lookup(s, "::ffff:81.2.69.1", "81.2.69.0/24");
    lookup(s, "89.160.20.112", "89.160.20.112/32");
    lookup(s, "89.160.20.113", NULL);
    lookup(s, "2a02:cf40:ffff::1", "2a02:cf40::/32");
    lookup(s, "2a02:cf41::1", NULL);
    bw_pfxset_free(s);

    assert_int_equal(bw_store_allow_remove(f->st, &p24), BW_OK);
    assert_int_equal(bw_store_allow_load(f->st, &s), BW_OK);
    lookup(s, "81.2.69.142", "81.2.0.0/16");
    bw_pfxset_free(s);
}

/* ---- transactions ---- */

static void rollback_discards_the_transaction(void **state)
{
    struct fx *f = *state;
    struct bw_addr a = addr("81.2.69.142");
    struct bw_evidence e = ev_of(1, NOW - 5, NOW - 5, 1, NOW - 5, CAT(SCAN));
    struct bw_store_counts c;
    struct bw_reporter r;
    struct bw_device got;
    struct walk w;
    bool is_new;
    int64_t rid;

    assert_int_equal(bw_store_begin(f->st), BW_OK);
    rid = reporter(f->st, "ghost");
    insert_report(f->st, "81.2.69.142", 1, rid, NOW - 5, "boo", true);
    assert_int_equal(bw_store_device_ensure(f->st, &a, NOW, &is_new), BW_OK);
    assert_true(is_new);
    assert_int_equal(bw_store_evidence_merge(f->st, &a, rid, &e), BW_OK);
    /* visible inside the transaction */
    assert_int_equal(bw_store_device_get(f->st, &a, &got), BW_OK);
    bw_store_rollback(f->st);

    assert_int_equal(bw_store_reporter_get(f->st, "ghost", &r), BW_ENOTFOUND);
    assert_int_equal(bw_store_device_get(f->st, &a, &got), BW_ENOTFOUND);
    get_evidence(f->st, "81.2.69.142", &w);
    assert_int_equal(w.dev[0].n, 0);
    assert_int_equal(bw_store_counts(f->st, &c), BW_OK);
    assert_int_equal(c.reports, 0);
    assert_int_equal(c.devices, 0);
    assert_int_equal(c.reporters, 0);
    /* a rollback outside a transaction is harmless */
    bw_store_rollback(f->st);

    /* the same writes, committed, stay; and the report is new again */
    assert_int_equal(bw_store_begin(f->st), BW_OK);
    rid = reporter(f->st, "ghost");
    insert_report(f->st, "81.2.69.142", 1, rid, NOW - 5, "boo", true);
    assert_int_equal(bw_store_device_ensure(f->st, &a, NOW, &is_new), BW_OK);
    assert_true(is_new); /* the rolled-back row is gone */
    assert_int_equal(bw_store_evidence_merge(f->st, &a, rid, &e), BW_OK);
    assert_int_equal(bw_store_commit(f->st), BW_OK);
    assert_int_equal(bw_store_counts(f->st, &c), BW_OK);
    assert_int_equal(c.reports, 1);
    assert_int_equal(c.devices, 1);
    assert_int_equal(c.reporters, 1);
}

static void committed_data_is_visible_to_a_second_connection(void **state)
{
    struct fx *f = *state;
    struct bw_store *other = NULL;
    struct bw_diag d = { "" };
    struct bw_device got;
    struct bw_addr a = addr("81.2.69.142");
    int64_t rid = reporter(f->st, "x");

    assert_int_equal(bw_store_open(&other, f->path, &d), BW_OK);
    assert_int_equal(bw_store_begin(f->st), BW_OK);
    put_device(f->st, "81.2.69.142", rid, NOW - 1, 2);
    /* not committed yet: the other connection does not see it */
    assert_int_equal(bw_store_device_get(other, &a, &got), BW_ENOTFOUND);
    assert_int_equal(bw_store_commit(f->st), BW_OK);
    assert_int_equal(bw_store_device_get(other, &a, &got), BW_OK);
    assert_int_equal(got.reports, 2);
    bw_store_close(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(open_creates_schema_at_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(reopen_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(newer_schema_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(not_a_database_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(reporters_ensure_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(reporters_put_updates_trust_and_org, setup, teardown),
        cmocka_unit_test_setup_teardown(reporters_list_with_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(report_insert_deduplicates_on_address_and_id, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(report_recent_newest_first_with_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(evidence_merge_aggregates, setup, teardown),
        cmocka_unit_test_setup_teardown(evidence_carries_reporter_trust_and_org, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(evidence_mass_merge_matches_decay_merge, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(evidence_get_of_unknown_device_gives_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(device_ensure_is_new_once, setup, teardown),
        cmocka_unit_test_setup_teardown(device_aggregates_min_max_sum_or, setup, teardown),
        cmocka_unit_test_setup_teardown(device_walk_of_a_set, setup, teardown),
        cmocka_unit_test_setup_teardown(device_walk_in_address_order_with_since, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(allowlist_add_remove_list, setup, teardown),
        cmocka_unit_test_setup_teardown(allow_load_gives_longest_prefix_match, setup, teardown),
        cmocka_unit_test_setup_teardown(rollback_discards_the_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(committed_data_is_visible_to_a_second_connection, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
