/*
 * pipeline/pipeline.c - the ingest path of pipeline.h.
 * Invariants:
 *  - A report is accepted into the batch only after validation; its strings are copied into the
 *    batch arena, which is released whole after the batch is written.
 *  - A batch is written in one transaction, in address order: reports first (the insert tells
 *    whether each is new), then one evidence merge per (device, reporter) with only the new
 *    reports, then one device merge. Duplicates therefore never touch counts.
 *  - Two threads: the caller's reads, parses and validates into one batch while the writer
 *    thread writes the previous one. Only the writer touches the store after bw_ingest_new();
 *    a batch belongs to the producer until handed over and to the writer until it is written.
 *  - Memory is bounded by two batches (reports and their strings) plus 16 bytes per distinct
 *    device for the "devices touched" count: it does not grow with the input's length.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "parsers/parsers.h"
#include "pipeline/pipeline.h"

#define ARENA_CHUNK (1u << 20)
#define TIME_MIN_S 631152000 /* 1990-01-01T00:00:00Z */
#define FUTURE_SLACK_S 3600

/* ---- arena: batch strings, released in one go ---- */

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    char data[];
};

struct arena {
    struct arena_chunk *head;
};

static char *arena_strdup(struct arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    struct arena_chunk *c = a->head;

    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

        c = bw_xmalloc(sizeof(*c) + cap);
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    memcpy(c->data + c->used, s, n);
    c->used += n;
    return c->data + c->used - n;
}

/* Keeps the newest chunk for reuse and frees the rest. */
static void arena_reset(struct arena *a, bool release_all)
{
    struct arena_chunk *c = a->head, *next;

    if (c == NULL)
        return;
    next = c->next;
    c->used = 0;
    c->next = NULL;
    if (release_all) {
        free(c);
        a->head = NULL;
    }
    for (c = next; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
}

/* ---- small open-addressing tables ---- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t addr_fingerprint(const struct bw_addr *a)
{
    uint64_t hi, lo;

    memcpy(&hi, a->b, 8);
    memcpy(&lo, a->b + 8, 8);
    return mix64(hi ^ mix64(lo)) | 1; /* 0 marks an empty slot */
}

/* A set of 64-bit device fingerprints, for the distinct-devices count. */
struct fpset {
    uint64_t *slot;
    size_t cap, n; /* cap is a power of two; n < cap / 2 */
};

static bool fpset_add(struct fpset *s, uint64_t fp)
{
    if (2 * (s->n + 1) > s->cap) {
        struct fpset bigger = { .cap = s->cap ? s->cap * 2 : 4096 };

        bigger.slot = bw_xcalloc(bigger.cap, sizeof(uint64_t));
        for (size_t i = 0; i < s->cap; i++) {
            if (s->slot[i] != 0)
                (void)fpset_add(&bigger, s->slot[i]);
        }
        free(s->slot);
        *s = bigger;
    }
    for (size_t i = fp & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->slot[i] == fp)
            return false;
        if (s->slot[i] == 0) {
            s->slot[i] = fp;
            s->n++;
            return true;
        }
    }
}

/* Reporter name -> id, for the reporters of this run. */
struct reporter_slot {
    char *name;
    int64_t id;
};

struct reporter_map {
    struct reporter_slot *slot;
    size_t cap, n;
};

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return mix64(h);
}

static struct reporter_slot *reporter_find(struct reporter_map *m, const char *name)
{
    if (2 * (m->n + 1) > m->cap) {
        struct reporter_map bigger = { .cap = m->cap ? m->cap * 2 : 64 };

        bigger.slot = bw_xcalloc(bigger.cap, sizeof(*bigger.slot));
        for (size_t i = 0; i < m->cap; i++) {
            if (m->slot[i].name != NULL) {
                struct reporter_slot *s = reporter_find(&bigger, m->slot[i].name);

                *s = m->slot[i];
                bigger.n++;
            }
        }
        free(m->slot);
        *m = bigger;
    }
    for (size_t i = str_hash(name) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->slot[i].name == NULL || strcmp(m->slot[i].name, name) == 0)
            return &m->slot[i];
    }
}

static void reporter_map_clear(struct reporter_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slot[i].name);
    free(m->slot);
    memset(m, 0, sizeof(*m));
}

/* ---- the ingest ---- */

struct item {
    struct bw_report r;
    int64_t id;          /* identity hash */
    int64_t reporter_id; /* resolved at flush */
};

struct batch {
    struct item *items;
    size_t n;
    struct arena arena;
};

struct bw_ingest {
    struct bw_store *st;
    struct bw_ingest_opts o;
    struct bw_ingest_stats stats; /* lines, rejected: producer; the rest: writer */
    struct batch batch[2];
    struct batch *filling;        /* the producer's */
    struct reporter_map reporters; /* writer's */
    struct fpset devices;          /* writer's */
    const char *path;             /* input being read, for messages */
    const char *format_reporter;  /* the reporter a feed is imported as, or NULL */
    struct bw_format_stats *format_stats; /* the slot of the format being read, or NULL */
    uint64_t shown[BW_REJECT_COUNT];
    long fault_batch;             /* BOTWATCH_FAULT=kill-in-batch:N, for crash tests */
    struct timespec t0;

    pthread_t writer;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch *pending;        /* handed to the writer; NULL when it is idle (mu) */
    bool quit;                    /* (mu) */
    _Atomic int store_rc;         /* first store failure; ends the ingest */
    struct bw_diag store_diag;    /* why, written by the writer before store_rc */
};

static void *writer_main(void *arg);

int64_t bw_report_identity(const struct bw_report *r, const char *reporter)
{
    crypto_generichash_state h;
    unsigned char out[8];
    unsigned char tail[8 + 4 + 2];
    uint64_t t = (uint64_t)r->time_s;
    int64_t id;

    for (int i = 0; i < 8; i++)
        tail[i] = (unsigned char)(t >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        tail[8 + i] = (unsigned char)(r->cats >> (24 - 8 * i));
    tail[12] = (unsigned char)(r->port >> 8);
    tail[13] = (unsigned char)r->port;
    crypto_generichash_init(&h, NULL, 0, sizeof(out));
    crypto_generichash_update(&h, (const unsigned char *)reporter, strlen(reporter) + 1);
    crypto_generichash_update(&h, r->addr.b, sizeof(r->addr.b));
    crypto_generichash_update(&h, tail, sizeof(tail));
    if (r->net_len != 0 || r->seq != 0) { /* absent from plain reports: their ids stay put */
        unsigned char extra[5] = { r->net_len, (unsigned char)(r->seq >> 24),
                                   (unsigned char)(r->seq >> 16), (unsigned char)(r->seq >> 8),
                                   (unsigned char)r->seq };

        crypto_generichash_update(&h, extra, sizeof(extra));
    }
    crypto_generichash_final(&h, out, sizeof(out));
    memcpy(&id, out, sizeof(id));
    return id;
}

int bw_ingest_new(struct bw_ingest **out, struct bw_store *st, const struct bw_ingest_opts *o)
{
    struct bw_ingest *in = bw_xcalloc(1, sizeof(*in));
    const char *fault = getenv("BOTWATCH_FAULT");

    in->st = st;
    in->o = *o;
    if (in->o.format == NULL)
        in->o.format = "auto";
    if (in->o.default_reporter == NULL)
        in->o.default_reporter = "local";
    if (in->o.batch_reports == 0)
        in->o.batch_reports = BW_INGEST_BATCH_DEFAULT;
    if (in->o.half_life_s <= 0)
        in->o.half_life_s = 7 * 86400;
    if (fault != NULL && strncmp(fault, "kill-in-batch:", 14) == 0)
        in->fault_batch = strtol(fault + 14, NULL, 10);
    for (int i = 0; i < 2; i++)
        in->batch[i].items = bw_xcalloc(in->o.batch_reports, sizeof(*in->batch[i].items));
    in->filling = &in->batch[0];
    bw_store_set_half_life(st, in->o.half_life_s);
    clock_gettime(CLOCK_MONOTONIC, &in->t0);
    pthread_mutex_init(&in->mu, NULL);
    pthread_cond_init(&in->cv, NULL);
    if (pthread_create(&in->writer, NULL, writer_main, in) != 0) {
        pthread_mutex_destroy(&in->mu);
        pthread_cond_destroy(&in->cv);
        for (int i = 0; i < 2; i++)
            free(in->batch[i].items);
        free(in);
        return BW_EAGAIN;
    }
    *out = in;
    return BW_OK;
}

void bw_ingest_free(struct bw_ingest *in)
{
    if (in == NULL)
        return;
    pthread_mutex_lock(&in->mu);
    in->quit = true;
    pthread_cond_broadcast(&in->cv);
    pthread_mutex_unlock(&in->mu);
    pthread_join(in->writer, NULL);
    pthread_mutex_destroy(&in->mu);
    pthread_cond_destroy(&in->cv);
    for (int i = 0; i < 2; i++) {
        free(in->batch[i].items);
        arena_reset(&in->batch[i].arena, true);
    }
    reporter_map_clear(&in->reporters);
    free(in->devices.slot);
    free(in);
}

const struct bw_ingest_stats *bw_ingest_stats(const struct bw_ingest *in)
{
    return &in->stats;
}

uint64_t bw_ingest_rejected_total(const struct bw_ingest_stats *s)
{
    uint64_t n = 0;

    for (int i = 0; i < BW_REJECT_COUNT; i++)
        n += s->rejected[i];
    return n;
}

static void reject(struct bw_ingest *in, uint64_t lineno, enum bw_reject why, const char *detail)
{
    in->stats.rejected[why]++;
    if (in->format_stats != NULL)
        in->format_stats->rejected[why]++;
    if (in->shown[why]++ < in->o.examples)
        bw_log_warn("ingest: %s:%llu: %s (%s)", in->path, (unsigned long long)lineno,
                    bw_reject_name(why), detail);
}

static int cmp_items(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int c = memcmp(x->r.addr.b, y->r.addr.b, sizeof(x->r.addr.b));

    if (c != 0)
        return c;
    if (x->r.net_len != y->r.net_len)
        return x->r.net_len < y->r.net_len ? -1 : 1;
    if (x->reporter_id != y->reporter_id)
        return x->reporter_id < y->reporter_id ? -1 : 1;
    return (x->r.time_s > y->r.time_s) - (x->r.time_s < y->r.time_s);
}

static int resolve_reporters(struct bw_ingest *in, struct batch *b, int64_t now_s)
{
    for (size_t i = 0; i < b->n; i++) {
        struct reporter_slot *s = reporter_find(&in->reporters, b->items[i].r.reporter);
        int rc;

        if (s->name == NULL) {
            rc = bw_store_reporter_ensure(in->st, b->items[i].r.reporter, now_s, &s->id);
            if (rc != BW_OK)
                return rc;
            s->name = bw_xstrdup(b->items[i].r.reporter);
            in->reporters.n++;
        }
        b->items[i].reporter_id = s->id;
    }
    return BW_OK;
}

/* Writes the items of one device, [lo, hi), all with the same address. */
static int write_device(struct bw_ingest *in, const struct item *items, size_t lo, size_t hi,
                        int64_t now_s)
{
    const struct bw_addr *addr = &items[lo].r.addr;
    struct bw_prefix net = { .addr = *addr, .len = items[lo].r.net_len };
    uint64_t accepted = 0;
    size_t i = lo;
    bool is_new = false;
    struct bw_enrichment en;
    unsigned mask = 0;
    bool exists = true;
    int rc = BW_OK;

    if (net.len == 0 && in->o.enricher == NULL) {
        rc = bw_store_device_ensure(in->st, addr, now_s, &is_new);
    } else if (net.len == 0) {
        /* a new device is created with what enrichment knows, in one statement */
        rc = bw_store_device_exists(in->st, addr, &exists);
        memset(&en, 0, sizeof(en));
        if (rc == BW_OK && !exists)
            bw_enrich_network(in->o.enricher, addr, &en);
        for (size_t k = lo; rc == BW_OK && k < hi; k++) {
            if ((items[k].r.banner != NULL || items[k].r.device_vendor != NULL ||
                 items[k].r.device_type != NULL || items[k].r.device_model != NULL) &&
                bw_enrich_device(in->o.enricher, &items[k].r, &en)) {
                mask |= BW_ENRICH_DEVICE;
                break;
            }
        }
        if (rc == BW_OK && !exists) {
            rc = bw_store_device_create(in->st, addr, now_s, &en);
            is_new = true;
        } else if (rc == BW_OK && mask != 0) {
            rc = bw_store_device_enrich(in->st, addr, &en, mask, now_s);
        }
    }
    if (rc != BW_OK)
        return rc;
    while (i < hi) {
        int64_t rid = items[i].reporter_id;
        struct bw_evidence ev = { 0 };

        for (; i < hi && items[i].reporter_id == rid; i++) {
            const struct item *it = &items[i];
            bool inserted;

            rc = bw_store_report_insert(in->st, &it->r, it->id, rid, now_s, &inserted);
            if (rc != BW_OK)
                return rc;
            if (!inserted) {
                in->stats.duplicates++;
                continue;
            }
            bw_evidence_add(&ev, it->r.time_s, it->r.cats, in->o.half_life_s);
        }
        if (ev.reports == 0)
            continue;
        rc = net.len > 0 ? bw_store_network_merge(in->st, &net, rid, &ev)
                         : bw_store_evidence_merge(in->st, addr, rid, &ev);
        if (rc != BW_OK)
            return rc;
        accepted += ev.reports;
    }
    in->stats.accepted += accepted;
    in->stats.new_devices += is_new;
    if (accepted > 0 && net.len > 0)
        in->stats.networks++;
    else if (accepted > 0)
        in->stats.devices += fpset_add(&in->devices, addr_fingerprint(addr));
    return BW_OK;
}

/* Writes one batch in one transaction (writer thread). */
static int write_batch(struct bw_ingest *in, struct batch *b)
{
    int64_t now_s = in->o.now_s;
    uint64_t accepted = in->stats.accepted, duplicates = in->stats.duplicates;
    uint64_t new_devices = in->stats.new_devices;
    int rc = bw_store_begin(in->st);

    if (rc == BW_OK)
        rc = resolve_reporters(in, b, now_s);
    if (rc == BW_OK) {
        bw_sort(b->items, b->n, sizeof(*b->items), cmp_items);
        for (size_t lo = 0, hi; rc == BW_OK && lo < b->n; lo = hi) {
            for (hi = lo + 1; hi < b->n && b->items[hi].r.net_len == b->items[lo].r.net_len &&
                              memcmp(b->items[hi].r.addr.b, b->items[lo].r.addr.b, 16) == 0;
                 hi++)
                ;
            rc = write_device(in, b->items, lo, hi, now_s);
            if (in->fault_batch > 0 && (long)in->stats.batches + 1 == in->fault_batch &&
                hi >= b->n / 2)
                raise(SIGKILL); /* crash-test hook: die inside an open transaction */
        }
    }
    if (rc == BW_OK)
        rc = bw_store_commit(in->st);
    if (rc != BW_OK) {
        bw_diag_set(&in->store_diag, "store: batch of %zu reports not written (%s: %s)", b->n,
                    bw_strerror(rc), bw_store_errmsg(in->st));
        bw_store_rollback(in->st);
        /* nothing of the batch is stored: counts go back, new reporters may not exist */
        in->stats.accepted = accepted;
        in->stats.duplicates = duplicates;
        in->stats.new_devices = new_devices;
        reporter_map_clear(&in->reporters);
        return rc;
    }
    in->stats.batches++;
    return BW_OK;
}

static void *writer_main(void *arg)
{
    struct bw_ingest *in = arg;

    pthread_mutex_lock(&in->mu);
    for (;;) {
        struct batch *b;
        int rc = BW_OK;

        while (in->pending == NULL && !in->quit)
            pthread_cond_wait(&in->cv, &in->mu);
        if (in->pending == NULL)
            break;
        b = in->pending;
        pthread_mutex_unlock(&in->mu);
        if (atomic_load(&in->store_rc) == BW_OK)
            rc = write_batch(in, b);
        b->n = 0;
        arena_reset(&b->arena, false);
        pthread_mutex_lock(&in->mu);
        if (rc != BW_OK)
            atomic_store(&in->store_rc, rc);
        in->pending = NULL;
        pthread_cond_broadcast(&in->cv);
    }
    pthread_mutex_unlock(&in->mu);
    return NULL;
}

/* Hands the filling batch to the writer (waiting for it to finish the previous one) and
 * starts filling the other. */
static int hand_over(struct bw_ingest *in)
{
    struct batch *b = in->filling;

    pthread_mutex_lock(&in->mu);
    while (in->pending != NULL)
        pthread_cond_wait(&in->cv, &in->mu);
    if (b->n > 0 && atomic_load(&in->store_rc) == BW_OK) {
        in->pending = b;
        in->filling = b == &in->batch[0] ? &in->batch[1] : &in->batch[0];
        pthread_cond_broadcast(&in->cv);
    }
    pthread_mutex_unlock(&in->mu);
    return atomic_load(&in->store_rc);
}

/* Waits until the writer has written everything handed to it. */
static int drain(struct bw_ingest *in)
{
    pthread_mutex_lock(&in->mu);
    while (in->pending != NULL)
        pthread_cond_wait(&in->cv, &in->mu);
    pthread_mutex_unlock(&in->mu);
    return atomic_load(&in->store_rc);
}

static const char *maybe_dup(struct arena *a, const char *s)
{
    return s != NULL ? arena_strdup(a, s) : NULL;
}

static int accept_report(void *ctx, const struct bw_report *r)
{
    struct bw_ingest *in = ctx;
    enum bw_addr_class cls = bw_addr_class(&r->addr);
    char text[BW_ADDR_TEXT_MAX], detail[160];
    struct batch *b;
    struct item *it;

    if (r->host != NULL) {
        snprintf(detail, sizeof(detail), "\"%.60s\" is a host name, not an address", r->host);
        reject(in, r->line, BW_REJECT_HOST_ONLY, detail);
        return 0;
    }
    if (r->net_len > 0 && (r->net_len > 128 || (bw_addr_is_v4(&r->addr) && r->net_len < 104) ||
                           (!bw_addr_is_v4(&r->addr) && r->net_len < 16))) {
        snprintf(detail, sizeof(detail), "a /%u network is too broad to list",
                 bw_addr_is_v4(&r->addr) ? r->net_len - 96u : r->net_len);
        reject(in, r->line, BW_REJECT_INVALID_IP, detail);
        return 0;
    }
    if (cls != BW_ADDR_PUBLIC) {
        snprintf(detail, sizeof(detail), "%s is %s address space", bw_addr_format(&r->addr, text),
                 bw_addr_class_name(cls));
        reject(in, r->line, BW_REJECT_NON_PUBLIC, detail);
        return 0;
    }
    if (r->time_s > in->o.now_s + FUTURE_SLACK_S) {
        snprintf(detail, sizeof(detail), "time is more than an hour after now");
        reject(in, r->line, BW_REJECT_TIME_IN_FUTURE, detail);
        return 0;
    }
    if (r->time_s < TIME_MIN_S) {
        snprintf(detail, sizeof(detail), "time is before 1990");
        reject(in, r->line, BW_REJECT_TIME_TOO_OLD, detail);
        return 0;
    }
    b = in->filling;
    it = &b->items[b->n++];
    it->r = *r;
    it->r.reporter = arena_strdup(&b->arena, in->o.reporter != NULL    ? in->o.reporter
                                             : r->reporter != NULL     ? r->reporter
                                             : in->format_reporter != NULL ? in->format_reporter
                                                                       : in->o.default_reporter);
    it->r.evidence = maybe_dup(&b->arena, r->evidence);
    it->r.banner = maybe_dup(&b->arena, r->banner);
    it->r.service = maybe_dup(&b->arena, r->service);
    it->r.controller = maybe_dup(&b->arena, r->controller);
    it->r.family = maybe_dup(&b->arena, r->family);
    it->r.target = maybe_dup(&b->arena, r->target);
    it->r.source = maybe_dup(&b->arena, r->source);
    it->r.device_vendor = maybe_dup(&b->arena, r->device_vendor);
    it->r.device_type = maybe_dup(&b->arena, r->device_type);
    it->r.device_model = maybe_dup(&b->arena, r->device_model);
    it->r.host = NULL;
    it->id = bw_report_identity(&it->r, it->r.reporter);
    if (b->n == in->o.batch_reports)
        return hand_over(in);
    return 0;
}

static void on_reject(void *ctx, uint64_t lineno, enum bw_reject why, const char *detail)
{
    reject(ctx, lineno, why, detail);
}

/* A feed imported without --reporter is reported by its format's name. */
static void on_format(void *ctx, const struct bw_parser *p)
{
    struct bw_ingest *in = ctx;

    const char *name = bw_parser_format(p);
    size_t i;

    in->format_reporter = bw_parser_default_reporter(p);
    for (i = 0; i < BW_INGEST_FORMATS_MAX; i++) {
        struct bw_format_stats *f = &in->stats.by_format[i];

        if (f->format == NULL || strcmp(f->format, name) == 0) {
            f->format = name; /* format names are static strings of the registry */
            f->files++;
            in->format_stats = f;
            return;
        }
    }
    in->format_stats = NULL;
}

int bw_ingest_file(struct bw_ingest *in, const char *path, struct bw_diag *d)
{
    struct bw_read_opts ro = {
        .format = in->o.format,
        .parser = in->o.parser,
        .on_report = accept_report,
        .on_reject = on_reject,
        .on_format = on_format,
        .ctx = in,
    };
    uint64_t lines = 0;
    int rc;

    if (atomic_load(&in->store_rc) != BW_OK) {
        *d = in->store_diag;
        return atomic_load(&in->store_rc);
    }
    ro.parser.now_s = in->o.now_s;
    in->path = strcmp(path, "-") == 0 ? "stdin" : path;
    in->format_reporter = NULL;
    in->format_stats = NULL;
    rc = bw_read_file(path, &ro, &lines, d);
    in->stats.lines += lines;
    if (in->format_stats != NULL)
        in->format_stats->lines += lines;
    if (atomic_load(&in->store_rc) != BW_OK) {
        *d = in->store_diag;
        return atomic_load(&in->store_rc);
    }
    if (rc == BW_EIO || (rc < 0 && rc > -4096))
        in->stats.files_failed++;
    return rc;
}

int bw_ingest_finish(struct bw_ingest *in, struct bw_diag *d)
{
    struct timespec t1;
    int rc;

    rc = hand_over(in);
    if (rc == BW_OK)
        rc = drain(in);
    if (rc != BW_OK)
        *d = in->store_diag;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    in->stats.seconds = (double)(t1.tv_sec - in->t0.tv_sec) +
                        (double)(t1.tv_nsec - in->t0.tv_nsec) / 1e9;
    return rc;
}
