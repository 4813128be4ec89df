/*
 * bench/bare_insert.c - the ceiling that `botwatch ingest` is compared with: the same NDJSON
 * rows, parsed beforehand (untimed), inserted into one plain SQLite table with one index.
 *
 *   bare_insert FILE DB [N]
 *
 * Loads every line of FILE into memory, then times only the inserts into the fresh database
 * DB (which must not exist), in transactions of N rows (default 100000). The connection uses
 * the pragmas botwatch's store/sqlite.c sets that bear on writing (page_size, WAL,
 * synchronous=NORMAL, cache_size, wal_autocheckpoint), so the one difference left is the
 * work botwatch does per report. Prints one line of key=value figures.
 *
 * The row: ip as a 16-byte blob (IPv4 as ::ffff:a.b.c.d, as botwatch stores it), a random
 * 64-bit key standing in for botwatch's identity hash (so the index takes random inserts, as
 * a hash index does), and reporter, time, categories, port, proto and evidence.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#define DEFAULT_BATCH 100000
#define MAX_NAMES 4096

struct row {
    uint8_t ip[16];
    int64_t key;
    int64_t reporter;
    int64_t time;
    int64_t cats;
    int port;
    int proto;
    char *evidence; /* NULL when the line has none */
};

struct rows {
    struct row *r;
    size_t n, cap;
};

/* Small name tables: reporters and categories become integers, as botwatch stores them. */
struct names {
    char *name[MAX_NAMES];
    size_t n;
};

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "bare_insert: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (p == NULL)
        die("%s", "out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;

    return memcpy(xrealloc(NULL, n), s, n);
}

static int64_t intern(struct names *t, const char *s)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->name[i], s) == 0)
            return (int64_t)i;
    }
    if (t->n == MAX_NAMES)
        die("more than %s distinct names", "4096");
    t->name[t->n] = xstrdup(s);
    return (int64_t)t->n++;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64: a fixed-seed stream, so every run inserts the same keys. */
static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil):
 * avoids timegm(), which is not C11 or POSIX. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "2026-05-27T02:39:46Z" (what simulate writes) or Unix seconds; -1 when neither. */
static int64_t parse_time(const json_t *v)
{
    int y, mo, d, h, mi, s;

    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (!json_is_string(v) ||
        sscanf(json_string_value(v), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
        return -1;
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static int parse_ip(const char *s, uint8_t out[16])
{
    uint8_t v4[4];

    if (inet_pton(AF_INET, s, v4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, v4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

static int parse_proto(const char *s)
{
    if (strcmp(s, "tcp") == 0)
        return 6;
    if (strcmp(s, "udp") == 0)
        return 17;
    if (strcmp(s, "icmp") == 0)
        return 1;
    return (int)strtol(s, NULL, 10);
}

/* One NDJSON line into a row; 0, or -1 for a line botwatch would reject too. */
static int parse_line(const char *line, struct row *r, struct names *reporters,
                      struct names *cats, uint64_t *seed)
{
    json_error_t err;
    json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &err), *v;
    int rc = -1;

    if (!json_is_object(o))
        goto out;
    memset(r, 0, sizeof(*r));
    v = json_object_get(o, "ip");
    if (!json_is_string(v) || parse_ip(json_string_value(v), r->ip) != 0)
        goto out;
    r->key = (int64_t)splitmix(seed);
    if ((r->time = parse_time(json_object_get(o, "time"))) < 0)
        goto out;
    v = json_object_get(o, "reporter");
    r->reporter = intern(reporters, json_is_string(v) ? json_string_value(v) : "local");
    v = json_object_get(o, "category");
    if (json_is_string(v))
        r->cats = INT64_C(1) << (intern(cats, json_string_value(v)) % 63);
    r->port = (int)json_integer_value(json_object_get(o, "port"));
    v = json_object_get(o, "proto");
    r->proto = json_is_string(v) ? parse_proto(json_string_value(v)) : 0;
    v = json_object_get(o, "evidence");
    r->evidence = json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
    rc = 0;
out:
    json_decref(o);
    return rc;
}

static void load(const char *path, struct rows *rows, size_t *bad)
{
    struct names reporters = { .n = 0 }, cats = { .n = 0 };
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    uint64_t seed = 1;

    if (f == NULL)
        die("cannot open %s", path);
    while (getline(&line, &cap, f) > 0) {
        if (rows->n == rows->cap) {
            rows->cap = rows->cap ? rows->cap * 2 : 65536;
            rows->r = xrealloc(rows->r, rows->cap * sizeof(*rows->r));
        }
        if (parse_line(line, &rows->r[rows->n], &reporters, &cats, &seed) == 0)
            rows->n++;
        else
            ++*bad;
    }
    if (ferror(f))
        die("cannot read %s", path);
    free(line);
    fclose(f);
    for (size_t i = 0; i < reporters.n; i++)
        free(reporters.name[i]);
    for (size_t i = 0; i < cats.n; i++)
        free(cats.name[i]);
}

static void check(sqlite3 *db, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        die(what, sqlite3_errmsg(db));
}

static void exec(sqlite3 *db, const char *sql)
{
    check(db, sqlite3_exec(db, sql, NULL, NULL, NULL), "exec: %s");
}

int main(int argc, char **argv)
{
    /* The pragmas of store/sqlite.c that affect writing; keep them in step with it. */
    static const char pragmas[] =
        "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
        "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536; "
        "PRAGMA wal_autocheckpoint = 4096;";
    static const char schema[] =
        "CREATE TABLE reports (seq INTEGER PRIMARY KEY, ip BLOB NOT NULL, key INTEGER NOT NULL, "
        "reporter_id INTEGER NOT NULL, time INTEGER NOT NULL, categories INTEGER NOT NULL, "
        "port INTEGER NOT NULL, proto INTEGER NOT NULL, evidence TEXT);"
        "CREATE INDEX reports_key ON reports (key);";
    struct rows rows = { .n = 0 };
    size_t bad = 0, batch = DEFAULT_BATCH;
    double t0, t_parse, t_insert, t_close;
    sqlite3 *db;
    sqlite3_stmt *ins;
    struct stat st;
    int rc;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: bare_insert FILE DB [ROWS_PER_TRANSACTION]\n");
        return 2;
    }
    if (argc == 4) {
        char *end;
        long long n = strtoll(argv[3], &end, 10);

        if (*end != '\0' || n < 1)
            die("rows per transaction \"%s\" is not a positive integer", argv[3]);
        batch = (size_t)n;
    }
    /* A database left from an earlier run would make the figure meaningless. */
    if (stat(argv[2], &st) == 0 || errno != ENOENT)
        die("%s exists: the benchmark needs a fresh database", argv[2]);

    t0 = now_s();
    load(argv[1], &rows, &bad);
    t_parse = now_s() - t0;

    rc = sqlite3_open(argv[2], &db);
    check(db, rc, "cannot open the database: %s");
    exec(db, pragmas);
    exec(db, schema);
    check(db, sqlite3_prepare_v3(db, "INSERT INTO reports (ip, key, reporter_id, time, "
                                     "categories, port, proto, evidence) VALUES "
                                     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                 -1, SQLITE_PREPARE_PERSISTENT, &ins, NULL),
          "prepare: %s");

    /* The timed part: nothing but binding, stepping and committing. */
    t0 = now_s();
    for (size_t i = 0; i < rows.n; i++) {
        const struct row *r = &rows.r[i];

        if (i % batch == 0)
            exec(db, "BEGIN IMMEDIATE");
        sqlite3_bind_blob(ins, 1, r->ip, 16, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, r->key);
        sqlite3_bind_int64(ins, 3, r->reporter);
        sqlite3_bind_int64(ins, 4, r->time);
        sqlite3_bind_int64(ins, 5, r->cats);
        sqlite3_bind_int(ins, 6, r->port);
        sqlite3_bind_int(ins, 7, r->proto);
        if (r->evidence != NULL)
            sqlite3_bind_text(ins, 8, r->evidence, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(ins, 8);
        check(db, sqlite3_step(ins), "insert: %s");
        sqlite3_reset(ins);
        if ((i + 1) % batch == 0 || i + 1 == rows.n)
            exec(db, "COMMIT");
    }
    t_insert = now_s() - t0;

    /* Closing checkpoints the WAL into the database; reported apart, not in the rate, so the
     * ceiling is if anything set high (botwatch's whole-process time includes its close). */
    t0 = now_s();
    sqlite3_finalize(ins);
    check(db, sqlite3_close(db), "close: %s");
    t_close = now_s() - t0;

    printf("rows=%zu skipped=%zu batch=%zu parse_s=%.3f insert_s=%.3f close_s=%.3f "
           "rows_per_s=%.0f\n",
           rows.n, bad, batch, t_parse, t_insert, t_close,
           t_insert > 0 ? (double)rows.n / t_insert : 0.0);
    for (size_t i = 0; i < rows.n; i++)
        free(rows.r[i].evidence);
    free(rows.r);
    return 0;
}
