/*
 * tests/unit/pipeline/test_pipeline.c - the ingest path end to end: small NDJSON, CSV and gzip
 * files written into a temporary directory go through bw_ingest_*() into a real SQLite store,
 * and the stats and the stored state (read back through store.h) are checked.
 */
#include "test.h"
#include "pipeline/pipeline.h"

#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <zlib.h>

#define NOW INT64_C(1780000000) /* 2026-05-28T20:26:40Z */
#define HALF_LIFE (7 * 86400)
#define CAT(c) (1u << (BW_CAT_##c))

struct fx {
    char dir[64];
    char path[128];
    struct bw_store *st;
    char file[256]; /* the last file written by put() */
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static struct bw_store *open_at(const char *path)
{
    struct bw_store *st = NULL;
    struct bw_diag d = { "" };

    if (bw_store_open(&st, path, &d) != BW_OK)
        fail_msg("open %s: %s", path, d.msg);
    return st;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/bw-test-pipeline-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/bw.db", f->dir);
    f->st = open_at(f->path);
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

/* Writes len bytes to <dir>/<name>; returns the path (in f->file). */
static const char *put_n(struct fx *f, const char *name, const char *data, size_t len)
{
    FILE *fp;

    snprintf(f->file, sizeof(f->file), "%s/%s", f->dir, name);
    fp = fopen(f->file, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    return f->file;
}

static const char *put(struct fx *f, const char *name, const char *text)
{
    return put_n(f, name, text, strlen(text));
}

static struct bw_ingest_opts opts(void)
{
    struct bw_ingest_opts o = { .now_s = NOW, .half_life_s = HALF_LIFE };

    return o;
}

/* Ingests the files in one run and returns its stats; every call must succeed. */
static struct bw_ingest_stats ingest_files(struct bw_store *st, const struct bw_ingest_opts *o,
                                           const char *const *paths, size_t n)
{
    struct bw_ingest *in = NULL;
    struct bw_ingest_stats s;
    struct bw_diag d = { "" };
    int rc;

    assert_int_equal(bw_ingest_new(&in, st, o), BW_OK);
    for (size_t i = 0; i < n; i++) {
        rc = bw_ingest_file(in, paths[i], &d);
        if (rc != BW_OK)
            fail_msg("ingest %s: %s (%s)", paths[i], bw_strerror(rc), d.msg);
    }
    rc = bw_ingest_finish(in, &d);
    if (rc != BW_OK)
        fail_msg("finish: %s (%s)", bw_strerror(rc), d.msg);
    s = *bw_ingest_stats(in);
    bw_ingest_free(in);
    return s;
}

static struct bw_ingest_stats ingest1(struct bw_store *st, const struct bw_ingest_opts *o,
                                      const char *path)
{
    char copy[256];
    const char *paths[1] = { copy };

    snprintf(copy, sizeof(copy), "%s", path);
    return ingest_files(st, o, paths, 1);
}

static struct bw_addr addr(const char *s)
{
    struct bw_addr a;

    if (bw_addr_parse(&a, s, strlen(s)) != BW_OK)
        fail_msg("%s: test address does not parse", s);
    return a;
}

static struct bw_device device(struct bw_store *st, const char *ip)
{
    struct bw_addr a = addr(ip);
    struct bw_device d;
    int rc = bw_store_device_get(st, &a, &d);

    if (rc != BW_OK)
        fail_msg("device %s: %s", ip, bw_strerror(rc));
    return d;
}

static bool has_device(struct bw_store *st, const char *ip)
{
    struct bw_addr a = addr(ip);
    struct bw_device d;
    int rc = bw_store_device_get(st, &a, &d);

    assert_true(rc == BW_OK || rc == BW_ENOTFOUND);
    return rc == BW_OK;
}

static struct bw_store_counts counts(struct bw_store *st)
{
    struct bw_store_counts c;

    assert_int_equal(bw_store_counts(st, &c), BW_OK);
    return c;
}

/* ---- evidence captured out of store callbacks ---- */

struct ev_copy {
    char reporter[BW_NAME_MAX];
    struct bw_evidence e;
};

struct dev_copy {
    struct bw_device d;
    size_t n;
    struct ev_copy ev[8];
};

struct devs {
    size_t n;
    struct dev_copy dev[16];
};

static int collect(void *ctx, const struct bw_device *d, const struct bw_evidence *ev, size_t n)
{
    struct devs *l = ctx;
    struct dev_copy *c;

    assert_true(l->n < BW_ARRAY_LEN(l->dev));
    assert_true(n <= BW_ARRAY_LEN(l->dev[0].ev));
    c = &l->dev[l->n++];
    c->d = *d;
    c->n = n;
    for (size_t i = 0; i < n; i++) {
        c->ev[i].e = ev[i];
        c->ev[i].e.reporter = NULL;
        c->ev[i].e.org = NULL;
        snprintf(c->ev[i].reporter, BW_NAME_MAX, "%s", ev[i].reporter);
    }
    /* one order whatever the backend's */
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && strcmp(c->ev[j - 1].reporter, c->ev[j].reporter) > 0; j--) {
            struct ev_copy t = c->ev[j];

            c->ev[j] = c->ev[j - 1];
            c->ev[j - 1] = t;
        }
    }
    return 0;
}

static struct dev_copy evidence(struct bw_store *st, const char *ip)
{
    struct bw_addr a = addr(ip);
    struct devs *l = calloc(1, sizeof(*l));
    struct dev_copy c;

    assert_int_equal(bw_store_evidence_get(st, &a, collect, l), BW_OK);
    assert_int_equal(l->n, 1);
    c = l->dev[0];
    free(l);
    return c;
}

static void assert_stats_clean(const struct bw_ingest_stats *s, uint64_t accepted)
{
    if (s->accepted != accepted || s->duplicates != 0 || bw_ingest_rejected_total(s) != 0) {
        char why[256] = "";

        for (int i = 0; i < BW_REJECT_COUNT; i++) {
            if (s->rejected[i] != 0)
                snprintf(why + strlen(why), sizeof(why) - strlen(why), " %s=%llu",
                         bw_reject_name((enum bw_reject)i), (unsigned long long)s->rejected[i]);
        }
        fail_msg("accepted %llu (want %llu), duplicates %llu, rejected:%s",
                 (unsigned long long)s->accepted, (unsigned long long)accepted,
                 (unsigned long long)s->duplicates, why);
    }
}

/* ---- formats ---- */

static const char three_reports[] =
    "{\"ip\":\"81.2.69.142\",\"time\":1779990000,\"category\":\"scan\",\"port\":22}\n"
    "{\"ip\":\"81.2.69.142\",\"time\":1779995000,\"category\":\"bruteforce\",\"port\":22}\n"
    "{\"ip\":\"2a02:cf40::1\",\"time\":1779999000,\"category\":\"ddos\"}\n";

static void check_three_reports(struct bw_store *st, const struct bw_ingest_stats *s)
{
    struct bw_device d;

    assert_stats_clean(s, 3);
    assert_int_equal(s->lines, 3);
    assert_int_equal(s->devices, 2);
    assert_int_equal(s->new_devices, 2);
    assert_int_equal(s->files_failed, 0);
    d = device(st, "81.2.69.142");
    assert_int_equal(d.reports, 2);
    assert_int_equal(d.reporters, 1);
    assert_int_equal(d.first_seen_s, 1779990000);
    assert_int_equal(d.last_seen_s, 1779995000);
    assert_int_equal(d.cats, CAT(SCAN) | CAT(BRUTEFORCE));
    d = device(st, "2a02:cf40::1");
    assert_int_equal(d.reports, 1);
    assert_int_equal(d.cats, CAT(DDOS));
    assert_int_equal(counts(st).devices, 2);
    assert_int_equal(counts(st).reports, 3);
}

static void ndjson_file_is_stored(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_ingest_stats s = ingest1(f->st, &o, put(f, "a.ndjson", three_reports));
    struct dev_copy c;

    check_three_reports(f->st, &s);
    assert_int_equal(s.batches, 1);
    c = evidence(f->st, "81.2.69.142");
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].reporter, "local");
    assert_int_equal(c.ev[0].e.reports, 2);
    assert_int_equal(c.ev[0].e.mass_at_s, 1779995000);
    assert_true(fabs(c.ev[0].e.mass - (1.0 + bw_decay(1.0, 1779990000, 1779995000, HALF_LIFE))) <
                1e-9);
}

static void csv_file_is_stored(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    /* the same three reports as CSV, CRLF line ends, one RFC 3339 time, a quoted cell */
    const char *csv = "ip,time,category,port\r\n"
                      "81.2.69.142,1779990000,scan,22\r\n"
                      "81.2.69.142,2026-05-28T19:03:20Z,bruteforce,22\r\n"
                      "\"2a02:cf40::1\",1779999000,ddos,\r\n";
    struct bw_ingest_stats s = ingest1(f->st, &o, put(f, "a.csv", csv));

    assert_int_equal(s.lines, 4); /* the header is a line */
    s.lines = 3;
    check_three_reports(f->st, &s);
}

static void csv_explicit_format(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    /* "category" first: still detected, and also read when named */
    const char *csv = "category,ip\nscan,81.2.69.142\nc2,2a02:cf40::1";
    struct bw_ingest_stats s;

    o.format = "csv";
    s = ingest1(f->st, &o, put(f, "b.txt", csv));
    assert_stats_clean(&s, 2);
    assert_int_equal(device(f->st, "2a02:cf40::1").cats, CAT(C2)); /* last line, no newline */
    assert_int_equal(device(f->st, "81.2.69.142").last_seen_s, NOW); /* no time: now */

    /* the same bytes forced through the NDJSON parser are all malformed */
    o.format = "ndjson";
    s = ingest1(f->st, &o, put(f, "c.txt", "category,ip\nscan,81.2.69.143\n"));
    assert_int_equal(s.accepted, 0);
    assert_int_equal(s.rejected[BW_REJECT_MALFORMED], 2);
    assert_false(has_device(f->st, "81.2.69.143"));
}

static void gzip_file_is_read_transparently(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    char path[256];
    gzFile gz;
    struct bw_ingest_stats s;

    snprintf(path, sizeof(path), "%s/a.ndjson.gz", f->dir);
    gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, three_reports, sizeof(three_reports) - 1),
                     (int)(sizeof(three_reports) - 1));
    assert_int_equal(gzclose(gz), Z_OK);
    s = ingest1(f->st, &o, path);
    check_three_reports(f->st, &s);
}

static void formats_are_detected_per_file(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    char p1[256], p2[256];
    const char *paths[2] = { p1, p2 };
    struct bw_ingest_stats s;

    snprintf(p1, sizeof(p1), "%s",
             put(f, "x.ndjson", "{\"ip\":\"81.2.69.1\",\"category\":\"scan\"}\n"));
    snprintf(p2, sizeof(p2), "%s", put(f, "y.csv", "ip,category\n81.2.69.2,ddos\n"));
    s = ingest_files(f->st, &o, paths, 2);
    assert_stats_clean(&s, 2);
    assert_int_equal(device(f->st, "81.2.69.1").cats, CAT(SCAN));
    assert_int_equal(device(f->st, "81.2.69.2").cats, CAT(DDOS));
}

static void stdin_is_read_as_dash(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_ingest_stats s;
    int saved = dup(0);
    int fd = open(put(f, "in.ndjson", three_reports), O_RDONLY);

    assert_true(saved >= 0);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    s = ingest1(f->st, &o, "-");
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    check_three_reports(f->st, &s);
}

/* Writes text gzip-compressed to <dir>/<name>; returns the compressed size. */
static long put_gz(struct fx *f, const char *name, const char *text)
{
    gzFile gz;
    FILE *fp;
    long size;

    snprintf(f->file, sizeof(f->file), "%s/%s", f->dir, name);
    gz = gzopen(f->file, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, text, (unsigned)strlen(text)), (int)strlen(text));
    assert_int_equal(gzclose(gz), Z_OK);
    fp = fopen(f->file, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    fclose(fp);
    return size;
}

static char *many_reports(size_t n)
{
    size_t cap = n * 100 + 1, len = 0;
    char *text = malloc(cap);

    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "{\"ip\":\"81.2.%zu.%zu\",\"time\":1779990000,"
                                "\"category\":\"scan\",\"port\":%zu}\n",
                                i / 200, i % 200 + 1, 1000 + i);
    return text;
}

static void corrupt_gzip_is_a_read_error(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_ingest *in = NULL;
    struct bw_diag d = { "" };
    char *text = many_reports(300);
    long size = put_gz(f, "bad.ndjson.gz", text);
    FILE *fp = fopen(f->file, "r+b");

    free(text);
    assert_non_null(fp);
    assert_true(size > 300);
    assert_int_equal(fseek(fp, size / 2, SEEK_SET), 0);
    assert_int_equal(fwrite("\xff\xff\xff\xff\xff\xff\xff\xff", 1, 8, fp), 8);
    fclose(fp);

    assert_int_equal(bw_ingest_new(&in, f->st, &o), BW_OK);
    assert_int_equal(bw_ingest_file(in, f->file, &d), BW_EIO);
    assert_non_null(strstr(d.msg, f->file));
    assert_int_equal(bw_ingest_stats(in)->files_failed, 1);
    assert_int_equal(bw_ingest_finish(in, &d), BW_OK);
    bw_ingest_free(in);
}

/*
 * Regression: a gzip file cut short (a copy or download that did not finish) is a read error.
 * zlib's gzread() does not return -1 at a premature end of stream: it returns the bytes it
 * could inflate, then 0, and gzerror() says Z_BUF_ERROR. The reader must report BW_EIO naming
 * the file, keep what it read, and not parse the torn last line as if it were complete.
 */
static void truncated_gzip_is_a_read_error(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_ingest *in = NULL;
    struct bw_diag d = { "" };
    char *text = many_reports(300);
    long size = put_gz(f, "cut.ndjson.gz", text);
    int rc;

    free(text);
    assert_int_equal(truncate(f->file, size - 40), 0); /* the trailer and some data */
    assert_int_equal(bw_ingest_new(&in, f->st, &o), BW_OK);
    rc = bw_ingest_file(in, f->file, &d);
    assert_int_equal(bw_ingest_finish(in, &(struct bw_diag){ "" }), BW_OK);
    assert_true(bw_ingest_stats(in)->accepted > 0); /* what was read is kept */
    assert_true(bw_ingest_stats(in)->accepted < 300);
    if (rc != BW_EIO || bw_ingest_stats(in)->files_failed != 1) {
        uint64_t failed = bw_ingest_stats(in)->files_failed;

        bw_ingest_free(in);
        fail_msg("truncated gzip: rc %d (%s), files_failed %llu; want BW_EIO and 1", rc,
                 bw_strerror(rc), (unsigned long long)failed);
    }
    assert_non_null(strstr(d.msg, f->file));
    bw_ingest_free(in);
}

static void unknown_format_is_einval(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_ingest *in = NULL;
    struct bw_diag d = { "" };
    const char *path = put(f, "a.ndjson", three_reports);

    o.format = "xml";
    assert_int_equal(bw_ingest_new(&in, f->st, &o), BW_OK);
    assert_int_equal(bw_ingest_file(in, path, &d), BW_EINVAL);
    assert_non_null(strstr(d.msg, "xml"));
    assert_int_equal(bw_ingest_finish(in, &d), BW_OK);
    assert_int_equal(bw_ingest_stats(in)->accepted, 0);
    bw_ingest_free(in);
    assert_int_equal(counts(f->st).reports, 0);
}

/* ---- validation ---- */

static void non_public_addresses_are_rejected(void **state)
{
    static const char *const bogons[] = {
        "10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "0.0.0.0", "169.254.1.1",
        "100.64.0.1", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1", "224.0.0.1",
        "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12::1",
        "2001:db8::1", "ff02::1", "::ffff:192.168.1.1", "::ffff:127.0.0.1", "64:ff9b::1",
    };
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    char *text = calloc(1, 8192);
    struct bw_ingest_stats s;
    size_t n = 0;

    for (size_t i = 0; i < BW_ARRAY_LEN(bogons); i++)
        n += (size_t)snprintf(text + n, 8192 - n, "{\"ip\":\"%s\",\"category\":\"scan\"}\n",
                              bogons[i]);
    snprintf(text + n, 8192 - n, "{\"ip\":\"81.2.69.142\",\"category\":\"scan\"}\n");
    s = ingest1(f->st, &o, put(f, "bogons.ndjson", text));
    free(text);
    assert_int_equal(s.rejected[BW_REJECT_NON_PUBLIC], BW_ARRAY_LEN(bogons));
    assert_int_equal(bw_ingest_rejected_total(&s), BW_ARRAY_LEN(bogons));
    assert_int_equal(s.accepted, 1);
    assert_int_equal(s.devices, 1);
    assert_int_equal(counts(f->st).devices, 1);
    assert_int_equal(counts(f->st).reports, 1);
    assert_false(has_device(f->st, "192.168.1.1"));
}

static void time_window_is_enforced(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    char text[1024];
    struct bw_ingest_stats s;

    snprintf(text, sizeof(text),
             "{\"ip\":\"81.2.69.1\",\"time\":%lld,\"category\":\"scan\"}\n"  /* now + 1h: ok */
             "{\"ip\":\"81.2.69.2\",\"time\":%lld,\"category\":\"scan\"}\n"  /* 1 s more: no */
             "{\"ip\":\"81.2.69.3\",\"time\":%lld,\"category\":\"scan\"}\n"  /* two days */
             "{\"ip\":\"81.2.69.4\",\"time\":631152000,\"category\":\"scan\"}\n" /* 1990 */
             "{\"ip\":\"81.2.69.5\",\"time\":631151999,\"category\":\"scan\"}\n"
             "{\"ip\":\"81.2.69.6\",\"time\":\"1985-01-01T00:00:00Z\",\"category\":\"scan\"}\n"
             "{\"ip\":\"81.2.69.7\",\"time\":-1,\"category\":\"scan\"}\n"
             "{\"ip\":\"81.2.69.8\",\"category\":\"scan\"}\n", /* no time: now */
             (long long)(NOW + 3600), (long long)(NOW + 3601), (long long)(NOW + 172800));
    s = ingest1(f->st, &o, put(f, "t.ndjson", text));
    assert_int_equal(s.accepted, 3);
    assert_int_equal(s.rejected[BW_REJECT_TIME_IN_FUTURE], 2);
    assert_int_equal(s.rejected[BW_REJECT_TIME_TOO_OLD], 3);
    assert_int_equal(bw_ingest_rejected_total(&s), 5);
    assert_int_equal(device(f->st, "81.2.69.1").last_seen_s, NOW + 3600);
    assert_int_equal(device(f->st, "81.2.69.4").last_seen_s, 631152000);
    assert_int_equal(device(f->st, "81.2.69.8").last_seen_s, NOW);
    assert_false(has_device(f->st, "81.2.69.2"));
    assert_false(has_device(f->st, "81.2.69.5"));
}

static void parser_rejections_are_counted_by_reason(void **state)
{
    static const struct {
        const char *line;
        enum bw_reject why;
    } cases[] = {
        { "{\"ip\":", BW_REJECT_MALFORMED },
        { "[1]", BW_REJECT_MALFORMED },
        { "{\"ip\":\"81.2.69.1\",\"ip\":\"81.2.69.2\",\"category\":\"scan\"}",
          BW_REJECT_MALFORMED },
        { "{\"category\":\"scan\"}", BW_REJECT_MISSING_IP },
        { "{\"ip\":\"81.2.69.300\",\"category\":\"scan\"}", BW_REJECT_INVALID_IP },
        { "{\"ip\":\"81.2.69.1\",\"category\":\"nope\"}", BW_REJECT_UNKNOWN_CATEGORY },
        { "{\"ip\":\"81.2.69.1\"}", BW_REJECT_MISSING_CATEGORY },
        { "{\"ip\":\"81.2.69.1\",\"category\":\"scan\",\"time\":\"soon\"}",
          BW_REJECT_INVALID_TIME },
        { "{\"ip\":\"81.2.69.1\",\"category\":\"scan\",\"port\":70000}", BW_REJECT_INVALID_PORT },
        { "{\"ip\":\"81.2.69.1\",\"category\":\"scan\",\"port\":-1}", BW_REJECT_INVALID_PORT },
        { "{\"ip\":\"81.2.69.1\",\"category\":\"scan\",\"port\":\"x\"}", BW_REJECT_INVALID_PORT },
        { "{\"ip\":\"81.2.69.1\",\"category\":\"scan\",\"reporter\":7}", BW_REJECT_INVALID_FIELD },
        { "{\"ip\":\"81.2.69.1\",\"category\":\"scan\",\"evidence\":\"\xff\"}",
          BW_REJECT_INVALID_UTF8 },
        { "{\"ip\":\"81.2.69.1\",\"category\":\"scan\",\"evidence\":\"\xc0\xaf\"}",
          BW_REJECT_INVALID_UTF8 },
        { "{\"ip\":\"81.2.69.1\",\"category\":\"scan\",\"evidence\":\"\xed\xa0\x80\"}",
          BW_REJECT_INVALID_UTF8 },
    };
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    uint64_t want[BW_REJECT_COUNT] = { 0 };
    char *text = calloc(1, 8192);
    struct bw_ingest_stats s;
    size_t n = 0;

    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        n += (size_t)snprintf(text + n, 8192 - n, "%s\n", cases[i].line);
        want[cases[i].why]++;
    }
    n += (size_t)snprintf(text + n, 8192 - n,
                          "{\"ip\":\"81.2.69.142\",\"category\":\"scan\","
                          "\"evidence\":\"caf\xc3\xa9\"}\n");
    s = ingest1(f->st, &o, put(f, "bad.ndjson", text));
    free(text);
    for (int i = 0; i < BW_REJECT_COUNT; i++) {
        if (s.rejected[i] != want[i])
            fail_msg("%s: %llu rejected, want %llu", bw_reject_name((enum bw_reject)i),
                     (unsigned long long)s.rejected[i], (unsigned long long)want[i]);
    }
    assert_int_equal(s.accepted, 1);
    assert_int_equal(s.lines, BW_ARRAY_LEN(cases) + 1);
    assert_int_equal(counts(f->st).reports, 1);
}

static void csv_rejections_are_counted(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_ingest_stats s;

    s = ingest1(f->st, &o,
                put(f, "bad.csv",
                    "ip,category\n"
                    "81.2.69.1,scan,extra\n"    /* bad_columns */
                    "\"81.2.69.2,scan\n"        /* malformed quoting */
                    "81.2.69.3,\"scan,ddos\"\n" /* fine */
                    "10.0.0.1,scan\n"));        /* non_public */
    assert_int_equal(s.accepted, 1);
    assert_int_equal(s.rejected[BW_REJECT_COLUMNS], 1);
    assert_int_equal(s.rejected[BW_REJECT_MALFORMED], 1);
    assert_int_equal(s.rejected[BW_REJECT_NON_PUBLIC], 1);
    assert_int_equal(device(f->st, "81.2.69.3").cats, CAT(SCAN) | CAT(DDOS));

    /* a header without an ip column: every row is a bad_columns */
    o.format = "csv";
    s = ingest1(f->st, &o, put(f, "nohdr.csv", "addr,category\n81.2.69.4,scan\n81.2.69.5,scan\n"));
    assert_int_equal(s.accepted, 0);
    assert_int_equal(s.rejected[BW_REJECT_COLUMNS], 3);
}

/* An NDJSON line of exactly len bytes (no newline) for ip, its evidence padded with 'x'. */
static size_t padded_line(char *out, size_t len, const char *ip)
{
    size_t n = (size_t)snprintf(out, len, "{\"ip\":\"%s\",\"category\":\"scan\",\"evidence\":\"",
                                ip);

    assert_true(len > n + 2);
    memset(out + n, 'x', len - n - 2);
    memcpy(out + len - 2, "\"}", 2);
    return len;
}

static void long_lines_are_rejected(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    size_t huge = 3u << 20; /* longer than the reader's chunk, several times */
    char *text = malloc(2 * BW_LINE_MAX + huge + 1024);
    struct bw_ingest_stats s;
    struct dev_copy c;
    size_t n = 0;

    n += padded_line(text + n, BW_LINE_MAX, "81.2.69.1"); /* at the limit: read */
    text[n++] = '\n';
    n += padded_line(text + n, BW_LINE_MAX + 1, "81.2.69.2"); /* one over */
    text[n++] = '\n';
    n += padded_line(text + n, huge, "81.2.69.3");
    text[n++] = '\n';
    n += (size_t)snprintf(text + n, 64, "{\"ip\":\"81.2.69.4\",\"category\":\"scan\"}\n");
    s = ingest1(f->st, &o, put_n(f, "long.ndjson", text, n));
    free(text);
    assert_int_equal(s.lines, 4);
    assert_int_equal(s.accepted, 2);
    assert_int_equal(s.rejected[BW_REJECT_LINE_TOO_LONG], 2);
    assert_int_equal(bw_ingest_rejected_total(&s), 2);
    assert_true(has_device(f->st, "81.2.69.1"));
    assert_false(has_device(f->st, "81.2.69.2"));
    assert_false(has_device(f->st, "81.2.69.3"));
    assert_true(has_device(f->st, "81.2.69.4"));
    c = evidence(f->st, "81.2.69.1");
    assert_int_equal(c.n, 1);
}

static void over_long_last_line_without_newline(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    size_t len = BW_LINE_MAX + 500;
    char *text = malloc(len + 128);
    struct bw_ingest_stats s;
    size_t n = (size_t)snprintf(text, 64, "{\"ip\":\"81.2.69.4\",\"category\":\"scan\"}\n");

    n += padded_line(text + n, len, "81.2.69.5");
    s = ingest1(f->st, &o, put_n(f, "tail.ndjson", text, n));
    free(text);
    assert_int_equal(s.accepted, 1);
    assert_int_equal(s.rejected[BW_REJECT_LINE_TOO_LONG], 1);
    assert_int_equal(bw_ingest_rejected_total(&s), 1);
    assert_false(has_device(f->st, "81.2.69.5"));
}

static void blank_lines_are_not_rejected(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_ingest_stats s;

    s = ingest1(f->st, &o,
                put(f, "blank.ndjson",
                    "\n\n{\"ip\":\"81.2.69.142\",\"category\":\"scan\"}\n\r\n\n"
                    "{\"ip\":\"81.2.69.143\",\"category\":\"scan\"}\r\n\n"));
    assert_stats_clean(&s, 2);
    s = ingest1(f->st, &o, put(f, "blank.csv", "ip,category\n\n81.2.69.144,scan\n\r\n"));
    assert_stats_clean(&s, 1);
    s = ingest1(f->st, &o, put(f, "empty.ndjson", ""));
    assert_stats_clean(&s, 0);
    assert_int_equal(s.lines, 0);
}

/* ---- duplicates, batches, devices ---- */

static void reingest_gives_all_duplicates(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    const char *path = put(f, "a.ndjson", three_reports);
    struct bw_ingest_stats s;
    struct bw_device before, after;
    struct dev_copy ev_before, ev_after;

    s = ingest1(f->st, &o, path);
    check_three_reports(f->st, &s);
    before = device(f->st, "81.2.69.142");
    ev_before = evidence(f->st, "81.2.69.142");

    s = ingest1(f->st, &o, path);
    assert_int_equal(s.accepted, 0);
    assert_int_equal(s.duplicates, 3);
    assert_int_equal(bw_ingest_rejected_total(&s), 0);
    assert_int_equal(s.devices, 0);
    assert_int_equal(s.new_devices, 0);
    after = device(f->st, "81.2.69.142");
    assert_int_equal(after.reports, before.reports);
    assert_int_equal(after.reporters, before.reporters);
    assert_int_equal(after.first_seen_s, before.first_seen_s);
    assert_int_equal(after.last_seen_s, before.last_seen_s);
    assert_int_equal(after.cats, before.cats);
    ev_after = evidence(f->st, "81.2.69.142");
    assert_int_equal(ev_after.ev[0].e.reports, ev_before.ev[0].e.reports);
    assert_true(ev_after.ev[0].e.mass == ev_before.ev[0].e.mass);
    assert_int_equal(counts(f->st).reports, 3);
    assert_int_equal(counts(f->st).devices, 2);
}

static void duplicates_within_one_file(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_ingest_stats s;

    /* evidence and proto are not part of the identity */
    s = ingest1(f->st, &o,
                put(f, "dup.ndjson",
                    "{\"ip\":\"81.2.69.142\",\"time\":1779990000,\"category\":\"scan\"}\n"
                    "{\"ip\":\"81.2.69.142\",\"time\":1779990000,\"category\":\"scan\","
                    "\"evidence\":\"again\",\"proto\":\"udp\"}\n"
                    "{\"ip\":\"::ffff:81.2.69.142\",\"time\":\"2026-05-28T17:40:00Z\","
                    "\"category\":\"scan\"}\n"));
    assert_int_equal(s.accepted, 1);
    assert_int_equal(s.duplicates, 2);
    assert_int_equal(device(f->st, "81.2.69.142").reports, 1);
}

/* Ten reports over four devices and two reporters, with one duplicate pair. */
static const char ten_reports[] =
    "{\"ip\":\"89.160.20.112\",\"time\":1779900000,\"category\":\"scan\",\"reporter\":\"a\"}\n"
    "{\"ip\":\"81.2.69.142\",\"time\":1779950000,\"category\":\"scan\",\"reporter\":\"a\"}\n"
    "{\"ip\":\"2a02:cf40::1\",\"time\":1779960000,\"category\":\"ddos\",\"reporter\":\"b\"}\n"
    "{\"ip\":\"81.2.69.142\",\"time\":1779910000,\"category\":\"bruteforce\",\"reporter\":\"b\"}\n"
    "{\"ip\":\"2.125.160.216\",\"time\":1779990000,\"category\":\"spam\",\"reporter\":\"a\"}\n"
    "{\"ip\":\"81.2.69.142\",\"time\":1779990000,\"category\":\"scan\",\"reporter\":\"a\"}\n"
    "{\"ip\":\"89.160.20.112\",\"time\":1779800000,\"category\":\"c2\",\"reporter\":\"b\"}\n"
    "{\"ip\":\"81.2.69.142\",\"time\":1779950000,\"category\":\"scan\",\"reporter\":\"a\"}\n"
    "{\"ip\":\"81.2.69.142\",\"time\":1779700000,\"category\":\"exploit\",\"reporter\":\"a\"}\n"
    "{\"ip\":\"2a02:cf40::1\",\"time\":1779999999,\"category\":\"ddos\",\"reporter\":\"a\"}\n";

static struct devs *walk_all(struct bw_store *st)
{
    struct devs *l = calloc(1, sizeof(*l));

    assert_int_equal(bw_store_device_walk(st, 0, collect, l), BW_OK);
    return l;
}

static void batch_boundaries_do_not_change_the_result(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    char other_path[256];
    struct bw_store *other;
    struct bw_ingest_stats one, many;
    struct devs *a, *b;
    const char *path = put(f, "ten.ndjson", ten_reports);

    snprintf(other_path, sizeof(other_path), "%s/other.db", f->dir);
    other = open_at(other_path);
    one = ingest1(f->st, &o, path);
    o.batch_reports = 3;
    many = ingest1(other, &o, path);

    assert_int_equal(one.batches, 1);
    assert_int_equal(many.batches, 4);
    assert_int_equal(one.accepted, 9);
    assert_int_equal(many.accepted, 9);
    assert_int_equal(one.duplicates, 1);
    assert_int_equal(many.duplicates, 1);
    assert_int_equal(one.devices, 4);
    assert_int_equal(many.devices, 4);
    assert_int_equal(one.new_devices, 4);
    assert_int_equal(many.new_devices, 4);

    a = walk_all(f->st);
    b = walk_all(other);
    assert_int_equal(a->n, 4);
    assert_int_equal(b->n, 4);
    for (size_t i = 0; i < a->n; i++) {
        const struct dev_copy *x = &a->dev[i], *y = &b->dev[i];

        assert_memory_equal(x->d.addr.b, y->d.addr.b, 16);
        assert_int_equal(x->d.reports, y->d.reports);
        assert_int_equal(x->d.reporters, y->d.reporters);
        assert_int_equal(x->d.first_seen_s, y->d.first_seen_s);
        assert_int_equal(x->d.last_seen_s, y->d.last_seen_s);
        assert_int_equal(x->d.cats, y->d.cats);
        assert_int_equal(x->n, y->n);
        for (size_t j = 0; j < x->n; j++) {
            assert_string_equal(x->ev[j].reporter, y->ev[j].reporter);
            assert_int_equal(x->ev[j].e.reports, y->ev[j].e.reports);
            assert_int_equal(x->ev[j].e.first_seen_s, y->ev[j].e.first_seen_s);
            assert_int_equal(x->ev[j].e.last_seen_s, y->ev[j].e.last_seen_s);
            assert_int_equal(x->ev[j].e.mass_at_s, y->ev[j].e.mass_at_s);
            assert_int_equal(x->ev[j].e.cats, y->ev[j].e.cats);
            if (fabs(x->ev[j].e.mass - y->ev[j].e.mass) > 1e-9)
                fail_msg("device %zu reporter %s: mass %.17g vs %.17g", i, x->ev[j].reporter,
                         x->ev[j].e.mass, y->ev[j].e.mass);
        }
    }
    /* and the values themselves: 81.2.69.142 has 3 reports from a (plus a duplicate), 1 from b */
    {
        struct dev_copy c = evidence(f->st, "81.2.69.142");
        double m;
        int64_t at = 1779700000;

        assert_int_equal(c.d.reports, 4);
        assert_int_equal(c.d.reporters, 2);
        assert_int_equal(c.d.first_seen_s, 1779700000);
        assert_int_equal(c.d.last_seen_s, 1779990000);
        assert_int_equal(c.d.cats, CAT(SCAN) | CAT(BRUTEFORCE) | CAT(EXPLOIT));
        assert_int_equal(c.n, 2);
        assert_string_equal(c.ev[0].reporter, "a");
        assert_int_equal(c.ev[0].e.reports, 3);
        m = 1.0;
        bw_decay_merge(&m, &at, 1.0, 1779950000, HALF_LIFE);
        bw_decay_merge(&m, &at, 1.0, 1779990000, HALF_LIFE);
        assert_int_equal(c.ev[0].e.mass_at_s, 1779990000);
        assert_true(fabs(c.ev[0].e.mass - m) < 1e-9);
        assert_string_equal(c.ev[1].reporter, "b");
        assert_int_equal(c.ev[1].e.reports, 1);
    }
    free(a);
    free(b);
    bw_store_close(other);
}

static void devices_and_new_devices(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_ingest_stats s;

    s = ingest1(f->st, &o,
                put(f, "1.ndjson",
                    "{\"ip\":\"81.2.69.1\",\"time\":1779990001,\"category\":\"scan\"}\n"
                    "{\"ip\":\"81.2.69.2\",\"time\":1779990002,\"category\":\"scan\"}\n"
                    "{\"ip\":\"81.2.69.1\",\"time\":1779990003,\"category\":\"scan\"}\n"));
    assert_int_equal(s.devices, 2);
    assert_int_equal(s.new_devices, 2);
    /* 81.2.69.1 gets a new report, .2 only a duplicate, .3 is new */
    s = ingest1(f->st, &o,
                put(f, "2.ndjson",
                    "{\"ip\":\"81.2.69.1\",\"time\":1779990009,\"category\":\"scan\"}\n"
                    "{\"ip\":\"81.2.69.2\",\"time\":1779990002,\"category\":\"scan\"}\n"
                    "{\"ip\":\"81.2.69.3\",\"time\":1779990003,\"category\":\"scan\"}\n"));
    assert_int_equal(s.accepted, 2);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.devices, 2);
    assert_int_equal(s.new_devices, 1);
    assert_int_equal(counts(f->st).devices, 3);
    assert_int_equal(device(f->st, "81.2.69.1").reports, 3);
    /* devices are counted once per run, across files and batches */
    {
        const char *paths[2];
        char p1[256], p2[256];

        snprintf(p1, sizeof(p1), "%s",
                 put(f, "3.ndjson",
                     "{\"ip\":\"81.2.69.1\",\"time\":1779990100,\"category\":\"scan\"}\n"
                     "{\"ip\":\"81.2.69.4\",\"time\":1779990100,\"category\":\"scan\"}\n"));
        snprintf(p2, sizeof(p2), "%s",
                 put(f, "4.ndjson",
                     "{\"ip\":\"81.2.69.1\",\"time\":1779990200,\"category\":\"scan\"}\n"
                     "{\"ip\":\"81.2.69.4\",\"time\":1779990200,\"category\":\"scan\"}\n"));
        paths[0] = p1;
        paths[1] = p2;
        o.batch_reports = 1;
        s = ingest_files(f->st, &o, paths, 2);
        assert_int_equal(s.accepted, 4);
        assert_int_equal(s.batches, 4);
        assert_int_equal(s.devices, 2);
        assert_int_equal(s.new_devices, 1);
    }
}

/* ---- reporters ---- */

static void default_reporter_is_local(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_reporter r;
    struct dev_copy c;
    struct bw_ingest_stats s;

    s = ingest1(f->st, &o,
                put(f, "r.ndjson",
                    "{\"ip\":\"81.2.69.142\",\"time\":1779990000,\"category\":\"scan\"}\n"
                    "{\"ip\":\"81.2.69.142\",\"time\":1779990000,\"category\":\"scan\","
                    "\"reporter\":\"named\"}\n"));
    assert_stats_clean(&s, 2);
    assert_int_equal(bw_store_reporter_get(f->st, "local", &r), BW_OK);
    assert_int_equal(r.trust, BW_TRUST_NORMAL);
    assert_int_equal(bw_store_reporter_get(f->st, "named", &r), BW_OK);
    c = evidence(f->st, "81.2.69.142");
    assert_int_equal(c.n, 2);
    assert_string_equal(c.ev[0].reporter, "local");
    assert_string_equal(c.ev[1].reporter, "named");
    assert_int_equal(c.d.reporters, 2);

    /* another default */
    o.default_reporter = "site-x";
    s = ingest1(f->st, &o,
                put(f, "r2.ndjson",
                    "{\"ip\":\"81.2.69.143\",\"category\":\"scan\"}\n"));
    assert_stats_clean(&s, 1);
    c = evidence(f->st, "81.2.69.143");
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].reporter, "site-x");
}

static void reporter_override_applies_to_every_report(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_reporter r;
    struct dev_copy c;
    struct bw_ingest_stats s;

    o.reporter = "forced";
    s = ingest1(f->st, &o,
                put(f, "o.ndjson",
                    "{\"ip\":\"81.2.69.142\",\"time\":1779990000,\"category\":\"scan\","
                    "\"reporter\":\"a\"}\n"
                    "{\"ip\":\"81.2.69.142\",\"time\":1779990000,\"category\":\"scan\","
                    "\"reporter\":\"b\"}\n"
                    "{\"ip\":\"81.2.69.142\",\"time\":1779990001,\"category\":\"scan\"}\n"));
    /* under one reporter name the first two are the same report */
    assert_int_equal(s.accepted, 2);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(bw_store_reporter_get(f->st, "a", &r), BW_ENOTFOUND);
    assert_int_equal(bw_store_reporter_get(f->st, "b", &r), BW_ENOTFOUND);
    assert_int_equal(bw_store_reporter_get(f->st, "local", &r), BW_ENOTFOUND);
    assert_int_equal(bw_store_reporter_get(f->st, "forced", &r), BW_OK);
    c = evidence(f->st, "81.2.69.142");
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].reporter, "forced");
    assert_int_equal(c.ev[0].e.reports, 2);
}

/* ---- identity ---- */

static void identity_is_stable_and_sensitive(void **state)
{
    struct bw_report base = { .addr = addr("81.2.69.142"), .time_s = 1779990000,
                              .cats = CAT(SCAN), .port = 22 };
    struct bw_report r;
    int64_t id = bw_report_identity(&base, "rep");
    (void)state;

    r = base;
    assert_true(bw_report_identity(&r, "rep") == id);
    /* what is not part of the identity */
    r.evidence = "text";
    r.proto = BW_PROTO_UDP;
    r.source = "csv";
    r.line = 99;
    r.reporter = "ignored: the name passed counts";
    r.banner = "b";
    assert_true(bw_report_identity(&r, "rep") == id);
    r = base;
    r.addr = addr("::ffff:81.2.69.142");
    assert_true(bw_report_identity(&r, "rep") == id);

    /* each part of it */
    assert_true(bw_report_identity(&base, "rep2") != id);
    assert_true(bw_report_identity(&base, "re") != id);
    assert_true(bw_report_identity(&base, "") != id);
    r = base;
    r.addr = addr("81.2.69.143");
    assert_true(bw_report_identity(&r, "rep") != id);
    r.addr = addr("::5102:458e"); /* the same low bytes, not mapped */
    assert_true(bw_report_identity(&r, "rep") != id);
    r = base;
    r.time_s++;
    assert_true(bw_report_identity(&r, "rep") != id);
    r = base;
    r.cats |= CAT(DDOS);
    assert_true(bw_report_identity(&r, "rep") != id);
    r.cats = CAT(DDOS);
    assert_true(bw_report_identity(&r, "rep") != id);
    r = base;
    r.port = 23;
    assert_true(bw_report_identity(&r, "rep") != id);
    r.port = 0;
    assert_true(bw_report_identity(&r, "rep") != id);
}

/* ---- inputs that cannot be read ---- */

static void missing_file_names_the_path(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_ingest *in = NULL;
    struct bw_diag d = { "" };
    char missing[256];
    const char *good;
    int rc;

    snprintf(missing, sizeof(missing), "%s/no-such-file.ndjson", f->dir);
    good = put(f, "a.ndjson", three_reports);
    assert_int_equal(bw_ingest_new(&in, f->st, &o), BW_OK);
    rc = bw_ingest_file(in, missing, &d);
    assert_int_equal(rc, BW_ENOENT);
    assert_non_null(strstr(d.msg, missing));
    assert_int_equal(bw_ingest_stats(in)->files_failed, 1);
    /* the run goes on with the next input */
    assert_int_equal(bw_ingest_file(in, good, &d), BW_OK);
    assert_int_equal(bw_ingest_finish(in, &d), BW_OK);
    assert_int_equal(bw_ingest_stats(in)->accepted, 3);
    assert_int_equal(bw_ingest_stats(in)->files_failed, 1);
    bw_ingest_free(in);

    /* a directory is not readable as a file either */
    assert_int_equal(bw_ingest_new(&in, f->st, &o), BW_OK);
    d.msg[0] = '\0';
    rc = bw_ingest_file(in, f->dir, &d);
    assert_true(rc < 0);
    assert_non_null(strstr(d.msg, f->dir));
    assert_int_equal(bw_ingest_finish(in, &d), BW_OK);
    bw_ingest_free(in);
}

/*
 * Regression: a file that starts with a UTF-8 byte-order mark (as spreadsheet exports do) is
 * read as if the mark were not there, for CSV (whose header would otherwise lack "ip") and
 * NDJSON alike.
 */
static void csv_with_utf8_bom_is_read(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_ingest_stats s;

    s = ingest1(f->st, &o,
                put(f, "bom.csv",
                    "\xef\xbb\xbfip,category\n81.2.69.142,scan\n81.2.69.143,ddos\n"));
    assert_stats_clean(&s, 2);
}

static void ndjson_with_utf8_bom_is_read(void **state)
{
    struct fx *f = *state;
    struct bw_ingest_opts o = opts();
    struct bw_ingest_stats s;

    s = ingest1(f->st, &o,
                put(f, "bom.ndjson",
                    "\xef\xbb\xbf{\"ip\":\"81.2.69.142\",\"category\":\"scan\"}\n"
                    "{\"ip\":\"81.2.69.143\",\"category\":\"scan\"}\n"));
    assert_stats_clean(&s, 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(ndjson_file_is_stored),
        T(csv_file_is_stored),
        T(csv_explicit_format),
        T(gzip_file_is_read_transparently),
        T(formats_are_detected_per_file),
        T(stdin_is_read_as_dash),
        T(corrupt_gzip_is_a_read_error),
        T(unknown_format_is_einval),
        T(non_public_addresses_are_rejected),
        T(time_window_is_enforced),
        T(parser_rejections_are_counted_by_reason),
        T(csv_rejections_are_counted),
        T(long_lines_are_rejected),
        T(over_long_last_line_without_newline),
        T(blank_lines_are_not_rejected),
        T(reingest_gives_all_duplicates),
        T(duplicates_within_one_file),
        T(batch_boundaries_do_not_change_the_result),
        T(devices_and_new_devices),
        T(default_reporter_is_local),
        T(reporter_override_applies_to_every_report),
        cmocka_unit_test(identity_is_stable_and_sensitive),
        T(missing_file_names_the_path),
        T(csv_with_utf8_bom_is_read),
        T(ndjson_with_utf8_bom_is_read),
        T(truncated_gzip_is_a_read_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
