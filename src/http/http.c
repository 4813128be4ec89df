/*
 * http/http.c - the server: libmicrohttpd (epoll, a thread pool), routing, replies, caps,
 * keys and audit, the store pool, the writer, the listing image.
 * Invariants:
 *  - A request body is kept up to max_body bytes; past that the request is answered 413 and
 *    nothing of it is used. A Content-Length over the cap is refused before the body is read.
 *  - Every request is answered on the handler's second call (or after its body), never the
 *    first: answering on the first call makes MHD close keep-alive connections.
 *  - Store connections are never shared between threads: a request borrows one from the pool
 *    (reads) or holds write_mu for the writer (ingest).
 *  - A listing image never changes once published; readers pin it with a reference. Only the
 *    rebuild thread (and bw_http_start, once) builds one: requests never wait for a build.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zlib.h>

#include "http/http_int.h"

static const uint64_t lat_bounds_us[BW_HTTP_LAT_BUCKETS] = { 500,   1000,  2000,   5000,
                                                             10000, 50000, 100000, 500000 };

static int64_t elapsed_us(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* ---- replies ---- */

/* Queues body (copied, or handed over to be freed by libmicrohttpd) and counts the answer. */
static enum MHD_Result reply(struct bw_http_req *r, unsigned status, const char *ctype,
                             char *body, size_t len, const char *const *headers,
                             enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
    enum MHD_Result ret;
    int64_t us = elapsed_us(&r->t0);
    size_t b = 0;

    if (resp == NULL) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    if (ctype != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i += 2)
        MHD_add_response_header(resp, headers[i], headers[i + 1]);
    ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    atomic_fetch_add(&r->h->requests[status / 100 < 6 ? status / 100 : 5], 1);
    while (b < BW_HTTP_LAT_BUCKETS && (uint64_t)us > lat_bounds_us[b])
        b++;
    atomic_fetch_add(&r->h->lat_bucket[b], 1);
    atomic_fetch_add(&r->h->lat_sum_us, (uint64_t)(us > 0 ? us : 0));
    return ret;
}

enum MHD_Result bw_http__reply(struct bw_http_req *r, unsigned status, const char *ctype,
                               const char *body, size_t len, const char *const *headers)
{
    return reply(r, status, ctype, (char *)(uintptr_t)body, len, headers,
                 MHD_RESPMEM_MUST_COPY);
}

enum MHD_Result bw_http__reply_json(struct bw_http_req *r, unsigned status, json_t *o)
{
    /* jansson allocates with malloc: the text is handed over, not copied */
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);

    json_decref(o);
    if (text == NULL)
        return bw_http__reply(r, 500, "text/plain", "out of memory\n", 14, NULL);
    return reply(r, status, "application/json", text, strlen(text), NULL, MHD_RESPMEM_MUST_FREE);
}

enum MHD_Result bw_http__reply_error(struct bw_http_req *r, unsigned status, const char *code,
                                     const char *field, const char *fmt, ...)
{
    char detail[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return bw_http__reply_json(
        r, status,
        json_pack("{s:{s:i, s:s, s:s, s:o}}", "error", "status", (int)status, "code", code,
                  "detail", detail, "field", field != NULL ? json_string(field) : json_null()));
}

static bool accepts_gzip(struct bw_http_req *r)
{
    const char *ae = bw_http__header(r, MHD_HTTP_HEADER_ACCEPT_ENCODING);

    /* "gzip;q=0" refuses it; nobody sends that to a blocklist, so a plain match is enough */
    return ae != NULL && strstr(ae, "gzip") != NULL && strstr(ae, "gzip;q=0") == NULL;
}

static bool etag_matches(const char *inm, const char *etag)
{
    size_t n = strlen(etag);

    if (inm == NULL)
        return false;
    if (strcmp(inm, "*") == 0)
        return true;
    for (const char *p = strstr(inm, etag); p != NULL; p = strstr(p + 1, etag)) {
        if ((p == inm || p[-1] == ' ' || p[-1] == ',' || p[-1] == '/') &&
            (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return true;
    }
    return false;
}

enum MHD_Result bw_http__reply_cached(struct bw_http_req *r, const char *ctype,
                                      const char *body, size_t len, const char *etag)
{
    const char *plain[] = { MHD_HTTP_HEADER_ETAG, etag, MHD_HTTP_HEADER_VARY, "Accept-Encoding",
                            MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache", NULL };
    const char *zipped[] = { MHD_HTTP_HEADER_ETAG, etag, MHD_HTTP_HEADER_VARY,
                             "Accept-Encoding", MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache",
                             MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip", NULL };
    z_stream z;
    uLong bound;
    unsigned char *out;
    enum MHD_Result ret;

    if (etag_matches(bw_http__header(r, MHD_HTTP_HEADER_IF_NONE_MATCH), etag))
        return bw_http__reply(r, 304, NULL, "", 0, plain);
    if (!accepts_gzip(r) || len < 256)
        return bw_http__reply(r, 200, ctype, body, len, plain);
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return bw_http__reply(r, 200, ctype, body, len, plain);
    bound = deflateBound(&z, (uLong)len);
    out = bw_xmalloc(bound);
    z.next_in = (Bytef *)(uintptr_t)body;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&z);
        free(out);
        return bw_http__reply(r, 200, ctype, body, len, plain);
    }
    ret = bw_http__reply(r, 200, ctype, (const char *)out, z.total_out, zipped);
    deflateEnd(&z);
    free(out);
    return ret;
}

const char *bw_http__arg(struct bw_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct arg_find {
    const char *name;
    bool found;
};

static enum MHD_Result arg_seen(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    struct arg_find *af = cls;

    (void)kind;
    (void)value;
    if (key != NULL && strcmp(key, af->name) == 0) {
        af->found = true;
        return MHD_NO;
    }
    return MHD_YES;
}

bool bw_http__has_arg(struct bw_http_req *r, const char *name)
{
    struct arg_find af = { .name = name };

    /* MHD answers NULL for "?verbose" as for no argument at all: walk them to tell */
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, arg_seen, &af);
    return af.found;
}

const char *bw_http__header(struct bw_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* ---- keys and audit ---- */

/* Rereads the key file when it changed; looks at most once a second (keys_mu held), so an
 * authenticated request costs no system call. */
static void keys_refresh(struct bw_http *h)
{
    struct stat sb;
    struct bw_keys *ks;
    struct bw_diag d;
    struct timespec now;
    int64_t now_ms;

    clock_gettime(CLOCK_MONOTONIC, &now);
    now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (h->keys != NULL && now_ms - h->keys_checked_ms < 1000)
        return;
    h->keys_checked_ms = now_ms;
    if (stat(h->keys_path, &sb) != 0) {
        memset(&sb, 0, sizeof(sb));
        if (h->keys != NULL && h->keys_mtime.tv_sec == 0 && h->keys_mtime.tv_nsec == 0)
            return;
    } else if (h->keys != NULL && sb.st_mtim.tv_sec == h->keys_mtime.tv_sec &&
               sb.st_mtim.tv_nsec == h->keys_mtime.tv_nsec) {
        return;
    }
    if (bw_keys_load(&ks, h->keys_path, &d) != BW_OK) {
        bw_log_warn("http: key file not reloaded (%s)", d.msg);
        return;
    }
    bw_keys_free(h->keys);
    h->keys = ks;
    h->keys_mtime = sb.st_mtim;
}

void bw_http__authenticate(struct bw_http_req *r, const char *name)
{
    const char *text = bw_http__header(r, name);
    const struct bw_key *k;

    r->auth = BW_AUTH_NONE;
    if (text == NULL || text[0] == '\0')
        return;
    pthread_mutex_lock(&r->h->keys_mu);
    keys_refresh(r->h);
    k = r->h->keys != NULL ? bw_keys_match(r->h->keys, text, strlen(text)) : NULL;
    if (k != NULL) {
        r->key = *k;
        r->auth = BW_AUTH_KEY;
    } else {
        r->auth = BW_AUTH_BAD;
    }
    pthread_mutex_unlock(&r->h->keys_mu);
}

void bw_http__audit(struct bw_http_req *r, const char *what)
{
    char t[BW_TIME_TEXT_MAX];
    FILE *f;

    pthread_mutex_lock(&r->h->audit_mu);
    f = fopen(r->h->audit_path, "a");
    if (f != NULL) {
        fprintf(f, "%s key=%s role=%s %s %.200s %s\n", bw_time_format(bw_time_now(), t),
                r->auth == BW_AUTH_KEY ? r->key.name : "-",
                r->auth == BW_AUTH_KEY ? bw_key_role_name(r->key.role) : "anonymous",
                r->method, r->path, what);
        fclose(f);
    }
    pthread_mutex_unlock(&r->h->audit_mu);
}

/* ---- store pool and writer ---- */

/* The writer connection (write_mu held). */
static int writer_open(struct bw_http *h, struct bw_diag *d)
{
    if (bw_store_open(&h->writer, h->db_path, d) != BW_OK) {
        h->writer = NULL;
        return BW_EBACKEND;
    }
    return BW_OK;
}

/* Returns once the writer's commit number `mine` is on stable storage: a remote reporter that
 * reads "stored" does not send its reports again. One flush covers every commit made before it
 * started, so requests committing while another flushes share the next flush (group commit),
 * and a flush overlaps the next request's work instead of holding the writer. */
static int durable(struct bw_http *h, uint64_t mine)
{
    int rc = BW_OK;

    if (h->c.no_fsync)
        return BW_OK;
    pthread_mutex_lock(&h->sync_mu);
    if (h->synced < mine) {
        uint64_t upto = atomic_load(&h->commits);

        if (h->syncer == NULL) {
            struct bw_diag d;

            if (bw_store_open(&h->syncer, h->db_path, &d) != BW_OK)
                h->syncer = NULL;
        }
        rc = h->syncer != NULL ? bw_store_sync(h->syncer) : BW_EBACKEND;
        if (rc == BW_OK)
            h->synced = upto;
    }
    pthread_mutex_unlock(&h->sync_mu);
    return rc;
}

struct bw_store *bw_http__store_get(struct bw_http *h)
{
    struct bw_store *st = NULL;
    struct bw_diag d;

    pthread_mutex_lock(&h->pool_mu);
    while (h->n_free == 0 && h->n_open == BW_HTTP_POOL_MAX)
        pthread_cond_wait(&h->pool_cv, &h->pool_mu);
    if (h->n_free > 0) {
        st = h->pool[--h->n_free];
        pthread_mutex_unlock(&h->pool_mu);
        return st;
    }
    h->n_open++;
    pthread_mutex_unlock(&h->pool_mu);
    if (bw_store_open(&st, h->db_path, &d) != BW_OK) {
        bw_log_err("http: store %s not opened (%s)", h->db_path, d.msg);
        pthread_mutex_lock(&h->pool_mu);
        h->n_open--;
        pthread_cond_signal(&h->pool_cv);
        pthread_mutex_unlock(&h->pool_mu);
        return NULL;
    }
    bw_store_set_half_life(st, h->c.policy.half_life_s);
    return st;
}

void bw_http__store_put(struct bw_http *h, struct bw_store *st)
{
    if (st == NULL)
        return;
    pthread_mutex_lock(&h->pool_mu);
    h->pool[h->n_free++] = st;
    pthread_cond_signal(&h->pool_cv);
    pthread_mutex_unlock(&h->pool_mu);
}

int bw_http__ingest(struct bw_http *h, const char *reporter, const char *data, size_t len,
                    struct bw_ingest_stats *out, struct bw_diag *d)
{
    uint64_t mine;
    /* pipeline/ reads files; a memory file lets the body take exactly the path a file takes
     * (parse, validate, dedupe, enrich, one transaction per batch) without a copy on disk */
    int fd = memfd_create("botwatch-post", MFD_CLOEXEC);
    struct bw_ingest_opts o = {
        .format = "ndjson",
        .reporter = reporter,
        .now_s = bw_time_now(),
        .half_life_s = h->c.policy.half_life_s,
        .enricher = h->c.enricher,
    };
    struct bw_ingest *in = NULL;
    char path[64];
    size_t off = 0, lines = 1;
    int rc;

    if (fd < 0) {
        rc = -errno;
        bw_diag_set(d, "memfd_create: %s", bw_strerror(rc));
        return rc;
    }
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : BW_EIO;
            bw_diag_set(d, "memfd write: %s", bw_strerror(rc));
            close(fd);
            return rc;
        }
        off += (size_t)n;
    }
    for (const char *p = data; (p = memchr(p, '\n', (size_t)(data + len - p))) != NULL; p++)
        lines++;
    /* one transaction for a request up to the pipeline's batch size; the body was checked
     * whole before, so a larger one is split only for memory, never half-refused */
    o.batch_reports = lines < BW_INGEST_BATCH_DEFAULT ? lines : BW_INGEST_BATCH_DEFAULT;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    pthread_mutex_lock(&h->write_mu);
    if (h->writer == NULL && writer_open(h, d) != BW_OK) {
        pthread_mutex_unlock(&h->write_mu);
        close(fd);
        return BW_EBACKEND;
    }
    rc = bw_ingest_new(&in, h->writer, &o);
    if (rc == BW_OK)
        rc = bw_ingest_file(in, path, d);
    if (rc == BW_OK)
        rc = bw_ingest_finish(in, d);
    if (rc == BW_OK)
        *out = *bw_ingest_stats(in);
    bw_ingest_free(in);
    if (rc != BW_OK && rc != BW_EAGAIN) { /* a fresh connection for the next request */
        bw_store_close(h->writer);
        h->writer = NULL;
    }
    mine = atomic_fetch_add(&h->commits, 1) + 1;
    pthread_mutex_unlock(&h->write_mu);
    close(fd);
    if (rc == BW_OK && (rc = durable(h, mine)) != BW_OK)
        bw_diag_set(d, "%s: the commit did not reach stable storage (%s)", h->db_path,
                    bw_strerror(rc));
    if (rc == BW_OK && out->accepted > 0) { /* our own writes reach the lists at once */
        pthread_mutex_lock(&h->rebuild_mu);
        h->dirty = true;
        pthread_cond_signal(&h->rebuild_cv);
        pthread_mutex_unlock(&h->rebuild_mu);
    }
    if (rc == BW_OK) {
        atomic_fetch_add(&h->ingest_accepted, out->accepted);
        atomic_fetch_add(&h->ingest_duplicates, out->duplicates);
        atomic_fetch_add(&h->ingest_rejected, bw_ingest_rejected_total(out));
    }
    return rc;
}

int bw_http__with_writer(struct bw_http *h, int (*fn)(struct bw_store *st, void *ctx), void *ctx,
                         struct bw_diag *d)
{
    uint64_t mine;
    int rc;

    pthread_mutex_lock(&h->write_mu);
    if (h->writer == NULL && writer_open(h, d) != BW_OK) {
        pthread_mutex_unlock(&h->write_mu);
        return BW_EBACKEND;
    }
    rc = fn(h->writer, ctx);
    if (rc != BW_OK && rc != BW_EAGAIN && rc != BW_ECONFLICT && rc != BW_ENOTFOUND &&
        rc != BW_EINVAL) {
        bw_diag_set(d, "%s", bw_store_errmsg(h->writer));
        bw_store_close(h->writer); /* a fresh connection for the next request */
        h->writer = NULL;
    }
    mine = atomic_fetch_add(&h->commits, 1) + 1;
    pthread_mutex_unlock(&h->write_mu);
    if (rc == BW_OK && durable(h, mine) != BW_OK)
        rc = BW_EIO;
    return rc;
}

/* ---- judging one address ---- */

struct judge_ctx {
    struct bw_http *h;
    struct bw_store *st;
    const struct bw_pfxset *allow;
    bw_http_judge_cb cb;
    void *ctx;
};

static int judge_one(void *ctx, const struct bw_device *d, const struct bw_evidence *ev,
                     size_t n)
{
    struct judge_ctx *jc = ctx;
    struct bw_http_judged j = { .d = d, .ev = ev, .n = n };

    j.allowlisted = bw_pfxset_lookup(jc->allow, &d->addr, NULL, NULL);
    bw_score(&jc->h->c.policy, ev, n, bw_time_now(), j.allowlisted, &j.v);
    return jc->cb(jc->ctx, jc->st, &j);
}

static void allow_unref(struct bw_http_allow *a)
{
    if (a != NULL && --a->refs == 0) {
        bw_pfxset_free(a->set);
        free(a);
    }
}

/* The allowlist in service, reread from the store (st) when older than a second. */
static struct bw_http_allow *allow_get(struct bw_http *h, struct bw_store *st)
{
    struct bw_http_allow *a;

    pthread_mutex_lock(&h->allow_mu);
    if (h->allow == NULL || elapsed_us(&h->allow->loaded_mono) >= 1000000) {
        struct bw_pfxset *set;

        if (bw_store_allow_load(st, &set) == BW_OK) {
            a = bw_xcalloc(1, sizeof(*a));
            a->set = set;
            a->refs = 1;
            clock_gettime(CLOCK_MONOTONIC, &a->loaded_mono);
            allow_unref(h->allow);
            h->allow = a;
        }
    }
    a = h->allow;
    if (a != NULL)
        a->refs++;
    pthread_mutex_unlock(&h->allow_mu);
    return a;
}

static void allow_put(struct bw_http *h, struct bw_http_allow *a)
{
    pthread_mutex_lock(&h->allow_mu);
    allow_unref(a);
    pthread_mutex_unlock(&h->allow_mu);
}

int bw_http__judge(struct bw_http *h, const struct bw_addr *a, bw_http_judge_cb cb, void *ctx)
{
    struct judge_ctx jc = { .h = h, .cb = cb, .ctx = ctx };
    struct bw_http_allow *allow;
    int rc = BW_EBACKEND;

    jc.st = bw_http__store_get(h);
    if (jc.st == NULL)
        return BW_EBACKEND;
    allow = allow_get(h, jc.st);
    if (allow != NULL) {
        jc.allow = allow->set;
        rc = bw_store_evidence_get(jc.st, a, judge_one, &jc);
        allow_put(h, allow);
    }
    bw_http__store_put(h, jc.st);
    return rc;
}

/* ---- the listing image ---- */

struct build {
    const struct bw_policy *p;
    const struct bw_pfxset *allow;
    int64_t now_s;
    struct bw_http_entry *e;
    size_t n, cap;
    struct bw_http_image_builder ib;
};

static int build_one(void *ctx, const struct bw_device *d, const struct bw_evidence *ev,
                     size_t n)
{
    struct build *b = ctx;
    struct bw_verdict v;
    struct bw_http_entry *e;
    bw_catmask cats = 0;
    bool allowlisted = bw_pfxset_lookup(b->allow, &d->addr, NULL, NULL);

    bw_score(b->p, ev, n, b->now_s, allowlisted, &v);
    if (n > 0 && ev[0].via.len == 0) /* a device (the network walk sets via) */
        bw_http__image_add(&b->ib, d, &v, allowlisted);
    if (!v.listed)
        return 0;
    for (size_t i = 0; i < n; i++)
        cats |= ev[i].cats;
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1024;
        b->e = bw_xrealloc(b->e, b->cap * sizeof(*b->e));
    }
    e = &b->e[b->n++];
    e->prefix.addr = d->addr;
    e->prefix.len = 128;
    if (n > 0 && ev[0].via.len > 0 && bw_addr_cmp(&ev[0].via.addr, &d->addr) == 0)
        e->prefix = ev[0].via; /* a network listing */
    e->cats = cats;
    e->score = (uint8_t)v.score;
    e->last_seen_s = v.last_seen_s;
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct bw_http_entry *x = a, *y = b;
    int c = bw_addr_cmp(&x->prefix.addr, &y->prefix.addr);

    return c != 0 ? c : (x->prefix.len > y->prefix.len) - (x->prefix.len < y->prefix.len);
}

/* The listing from its entries (any order) and image; takes both. */
static struct bw_http_listing *listing_make(struct bw_http_entry *e, size_t n, bool sorted,
                                            struct bw_http_image *im, int64_t now_s,
                                            int64_t seq)
{
    struct bw_http_listing *l = bw_xcalloc(1, sizeof(*l));

    if (n > 0 && !sorted)
        bw_sort(e, n, sizeof(*e), cmp_entry);
    l->image = *im;
    l->e = e;
    l->n = n;
    for (size_t i = 0; i < n; i++)
        l->n_nets += e[i].prefix.len < 128;
    l->nets = bw_xcalloc(l->n_nets + 1, sizeof(*l->nets));
    l->n_nets = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].prefix.len < 128)
            l->nets[l->n_nets++] = i;
    }
    l->built_s = now_s;
    l->seq = seq;
    clock_gettime(CLOCK_MONOTONIC, &l->built_mono);
    return l;
}

/* Judges every device and network in the window: the whole image. */
static struct bw_http_listing *listing_build(struct bw_http *h)
{
    struct build b = { .p = &h->c.policy, .now_s = bw_time_now() };
    struct bw_store *st = bw_http__store_get(h);
    struct bw_pfxset *allow = NULL;
    struct bw_http_image im;
    int64_t seq = 0;
    int rc;

    if (st == NULL)
        return NULL;
    bw_http__image_builder_init(&b.ib, &im);
    /* the newest report first: one stored during the walk is judged again next time */
    rc = bw_store_report_seq(st, &seq);
    if (rc == BW_OK)
        rc = bw_store_allow_load(st, &allow);
    b.allow = allow;
    if (rc == BW_OK)
        rc = bw_store_device_walk(st, b.now_s - h->c.policy.window_s, build_one, &b);
    if (rc == BW_OK)
        rc = bw_store_network_walk(st, b.now_s - h->c.policy.window_s, build_one, &b);
    bw_pfxset_free(allow);
    bw_http__store_put(h, st);
    bw_http__image_builder_done(&b.ib);
    if (rc != BW_OK) {
        bw_log_err("http: listing not rebuilt (%s)", bw_strerror(rc));
        free(b.e);
        bw_http__image_free(&im);
        return NULL;
    }
    return listing_make(b.e, b.n, false, &im, b.now_s, seq);
}

/* ---- following the store: only the devices with new reports are judged again ---- */

#define UPDATE_MAX 100000 /* more changed devices than this: a whole build costs less */

struct changed {
    struct bw_addr *a;
    size_t n, cap;
};

static int changed_one(void *ctx, const struct bw_addr *a, unsigned net_len)
{
    struct changed *c = ctx;

    if (net_len > 0 || c->n == UPDATE_MAX)
        return 1; /* a network listing changed, or too many devices: build it whole */
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->a = bw_xrealloc(c->a, c->cap * sizeof(*c->a));
    }
    c->a[c->n++] = *a;
    return 0;
}

/* The device's own evidence judged (what the whole build judges: the device walk does not
 * include the networks containing it, which are entries of their own). */
static int update_one(void *ctx, const struct bw_device *d, const struct bw_evidence *ev,
                      size_t n)
{
    struct build *b = ctx;
    size_t own = 0;

    while (own < n && ev[own].via.len == 0)
        own++; /* its own evidence comes first */
    return own > 0 ? build_one(b, d, ev, own) : 0;
}

/* old with the devices that got reports since old->seq judged again; NULL with *whole set
 * when a whole build is needed instead (or on a store error, *whole clear). */
static struct bw_http_listing *listing_update(struct bw_http *h,
                                              const struct bw_http_listing *old, bool *whole)
{
    struct build b = { .p = &h->c.policy, .now_s = bw_time_now() };
    struct bw_store *st = bw_http__store_get(h);
    struct changed c = { 0 };
    struct bw_pfxset *allow = NULL;
    struct bw_http_image delta, merged;
    struct bw_http_entry *e;
    size_t n = 0;
    int64_t seq = old->seq;
    int rc;

    *whole = false;
    if (st == NULL)
        return NULL;
    rc = bw_store_reports_since(st, old->seq, changed_one, &c, &seq);
    if (rc > 0 || (rc == BW_OK && c.n == 0)) {
        *whole = true; /* too much changed, or what changed is not a report */
        rc = BW_EAGAIN;
    }
    if (rc == BW_OK)
        rc = bw_store_allow_load(st, &allow);
    b.allow = allow;
    bw_http__image_builder_init(&b.ib, &delta);
    if (rc == BW_OK)
        rc = bw_store_device_walk_set(st, c.a, c.n, update_one, &b);
    bw_pfxset_free(allow);
    bw_http__store_put(h, st);
    bw_http__image_builder_done(&b.ib);
    if (rc != BW_OK) {
        free(c.a);
        free(b.e);
        bw_http__image_free(&delta);
        return NULL;
    }
    bw_http__image_merge(&old->image, &delta, b.now_s - h->c.policy.window_s, &merged);
    bw_http__image_free(&delta);
    /* the entries: old's but those of the changed addresses, merged in order with the changed
     * that list (judged in address order: already sorted) */
    e = bw_xmalloc((old->n + b.n + 1) * sizeof(*e));
    for (size_t i = 0, j = 0, k = 0; i < old->n || j < b.n;) {
        /* k walks the changed addresses (sorted) beside i */
        while (i < old->n && k < c.n && bw_addr_cmp(&c.a[k], &old->e[i].prefix.addr) < 0)
            k++;
        if (i < old->n && old->e[i].prefix.len == 128 && k < c.n &&
            bw_addr_cmp(&c.a[k], &old->e[i].prefix.addr) == 0) {
            i++;
            continue;
        }
        if (j == b.n || (i < old->n && cmp_entry(&old->e[i], &b.e[j]) < 0))
            e[n++] = old->e[i++];
        else
            e[n++] = b.e[j++];
    }
    free(b.e);
    free(c.a);
    return listing_make(e, n, true, &merged, b.now_s, seq);
}

static void listing_unref(struct bw_http_listing *l)
{
    if (l != NULL && --l->refs == 0) {
        free(l->nets);
        free(l->e);
        bw_http__image_free(&l->image);
        free(l);
    }
}

/* Builds a listing and puts it in service (the rebuild thread, and once at start). */
/* Puts a new listing in service: old updated with what changed (whole false and an old one
 * in service), or else a whole build. */
static bool listing_refresh(struct bw_http *h, bool whole)
{
    struct bw_http_listing *fresh = NULL;
    struct timespec t0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!whole) {
        const struct bw_http_listing *old = bw_http__listing_get(h);

        whole = true;
        if (old != NULL)
            fresh = listing_update(h, old, &whole);
        bw_http__listing_put(h, old);
    }
    if (fresh == NULL && whole)
        fresh = listing_build(h);
    if (fresh == NULL)
        return false;
    fresh->build_us = elapsed_us(&t0);
    fresh->whole = whole;
    bw_log_debug("http: listing %s in %lld ms: %zu entries, %zu devices",
                 whole ? "built" : "updated", (long long)(fresh->build_us / 1000), fresh->n,
                 fresh->image.n);
    fresh->refs = 1;
    pthread_mutex_lock(&h->listing_mu);
    listing_unref(h->listing);
    h->listing = fresh;
    pthread_mutex_unlock(&h->listing_mu);
    return true;
}

/* Follows the store: at once after the server's own writes (dirty), and within a second
 * after another process's (PRAGMA data_version on a connection of its own), the devices with
 * new reports are judged again and merged into a new listing (a whole build when what changed
 * is not reports, or is much); and every five minutes a whole build regardless, since verdicts
 * age (expiry, decay) without any write. After each update the thread rests as long as the
 * update took (0.4 s at most). Request threads never build and never wait for one. */
#define REBUILD_AGE_S 300 /* verdicts age over days (decay, expiry): minutes are precise enough */
#define UPDATE_GAP_MAX_US 400000 /* between updates, as long as the last one took, so that
                                  * under heavy ingest updates take half a core at most */

static void *rebuild_main(void *arg)
{
    struct bw_http *h = arg;
    struct bw_store *watch = NULL;
    struct timespec until, built, updated;
    uint64_t seen = 0, v;
    struct bw_diag d;
    bool retry = false;
    int64_t gap_us = 0;

    if (bw_store_open(&watch, h->db_path, &d) != BW_OK)
        watch = NULL; /* then every second, as if always changed */
    else if (bw_store_data_version(watch, &v) == BW_OK)
        seen = v;
    clock_gettime(CLOCK_MONOTONIC, &built);
    updated = built;
    pthread_mutex_lock(&h->rebuild_mu);
    while (!h->stopping) {
        bool changed, ok, whole;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        while (!h->stopping && !h->dirty &&
               pthread_cond_timedwait(&h->rebuild_cv, &h->rebuild_mu, &until) == 0)
            ;
        if (h->stopping)
            break;
        whole = retry || watch == NULL || elapsed_us(&built) >= REBUILD_AGE_S * 1000000LL;
        if (!whole && elapsed_us(&updated) < gap_us) {
            /* wait out the gap (a stop still ends it at once), then look again */
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += (long)((gap_us - elapsed_us(&updated)) * 1000);
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            while (!h->stopping &&
                   pthread_cond_timedwait(&h->rebuild_cv, &h->rebuild_mu, &until) == 0)
                ;
            if (h->stopping)
                break;
        }
        changed = whole || h->dirty;
        if (!changed && (bw_store_data_version(watch, &v) != BW_OK || v != seen))
            changed = true;
        if (!changed)
            continue;
        h->dirty = false;
        pthread_mutex_unlock(&h->rebuild_mu);
        if (watch != NULL && bw_store_data_version(watch, &v) == BW_OK)
            seen = v; /* before the build: a commit during it triggers the next one */
        clock_gettime(CLOCK_MONOTONIC, &updated);
        ok = listing_refresh(h, whole);
        if (ok && whole)
            clock_gettime(CLOCK_MONOTONIC, &built);
        gap_us = elapsed_us(&updated);
        gap_us = gap_us < UPDATE_GAP_MAX_US ? gap_us : UPDATE_GAP_MAX_US;
        clock_gettime(CLOCK_MONOTONIC, &updated);
        retry = !ok; /* try again in a second, not a minute */
        pthread_mutex_lock(&h->rebuild_mu);
    }
    pthread_mutex_unlock(&h->rebuild_mu);
    bw_store_close(watch);
    return NULL;
}

const struct bw_http_listing *bw_http__listing_get(struct bw_http *h)
{
    struct bw_http_listing *l;

    pthread_mutex_lock(&h->listing_mu);
    l = h->listing;
    if (l != NULL)
        l->refs++;
    pthread_mutex_unlock(&h->listing_mu);
    return l;
}

void bw_http__listing_put(struct bw_http *h, const struct bw_http_listing *l)
{
    pthread_mutex_lock(&h->listing_mu);
    listing_unref((struct bw_http_listing *)(uintptr_t)l);
    pthread_mutex_unlock(&h->listing_mu);
}

const struct bw_http_entry *bw_http__listing_find(const struct bw_http_listing *l,
                                                  const struct bw_addr *a)
{
    const struct bw_http_entry *best = NULL;
    struct bw_prefix key = { .addr = *a, .len = 128 };
    size_t lo = 0, hi = l->n;

    /* an address entry beats any network containing it */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = bw_addr_cmp(&l->e[mid].prefix.addr, &key.addr);

        if (c < 0 || (c == 0 && l->e[mid].prefix.len < 128))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < l->n && l->e[lo].prefix.len == 128 && bw_addr_cmp(&l->e[lo].prefix.addr, a) == 0)
        return &l->e[lo];
    /* networks are few (feeds list thousands, not millions): the longest that contains a */
    for (size_t i = 0; i < l->n_nets; i++) {
        const struct bw_http_entry *e = &l->e[l->nets[i]];

        if (bw_prefix_contains(&e->prefix, a) && (best == NULL || e->prefix.len > best->prefix.len))
            best = e;
    }
    return best;
}

/* ---- shared JSON ---- */

json_t *bw_http__time_json(int64_t t)
{
    char buf[BW_TIME_TEXT_MAX];

    return t > 0 ? json_string(bw_time_format(t, buf)) : json_null();
}

json_t *bw_http__cats_json(bw_catmask m)
{
    json_t *a = json_array();

    for (int c = 0; c < BW_CAT_COUNT; c++) {
        if (m & (1u << c))
            json_array_append_new(a, json_string(bw_category_name((enum bw_category)c)));
    }
    return a;
}

/* ---- rate limits ---- */

static uint64_t hash_bytes(const void *p, size_t n, uint8_t kind)
{
    uint64_t h = 1469598103934665603ULL ^ kind;

    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const uint8_t *)p)[i]) * 1099511628211ULL;
    return h | 1;
}

/* Takes one token from the caller's bucket: the presented key's when there is one, else the
 * client address's. 0 when allowed, else the seconds until a token is back. */
static unsigned rate_take(struct bw_http_req *r)
{
    struct bw_http *h = r->h;
    const char *key = bw_http__header(r, "X-Api-Key");
    const union MHD_ConnectionInfo *ci;
    struct bw_http_bucket *b;
    struct timespec now;
    int64_t now_us;
    uint64_t id;
    double burst = 2 * h->c.rate_per_s;
    unsigned wait = 0;

    if (key == NULL)
        key = bw_http__header(r, "Key");
    if (key != NULL && key[0] != '\0') {
        id = hash_bytes(key, strlen(key), 1);
    } else {
        const struct sockaddr *sa;

        ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci == NULL || ci->client_addr == NULL)
            return 0;
        sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            id = hash_bytes(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4, 2);
        else
            id = hash_bytes(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16, 2);
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    now_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    pthread_mutex_lock(&h->rate_mu);
    b = &h->buckets[id % BW_HTTP_RATE_SLOTS];
    if (b->id != id) { /* a new caller (or one evicted by a collision) starts full */
        b->id = id;
        b->tokens = burst;
        b->at_us = now_us;
    }
    b->tokens += (double)(now_us - b->at_us) / 1e6 * h->c.rate_per_s;
    if (b->tokens > burst)
        b->tokens = burst;
    b->at_us = now_us;
    if (b->tokens >= 1)
        b->tokens -= 1;
    else
        wait = (unsigned)((1 - b->tokens) / h->c.rate_per_s) + 1;
    pthread_mutex_unlock(&h->rate_mu);
    return wait;
}

static const char rate_body[] = "{\"error\":{\"status\":429,\"code\":\"rate_limited\","
                                "\"detail\":\"too many requests\",\"field\":null}}";

/* ---- the MHD side ---- */

static enum MHD_Result dispatch(struct bw_http_req *r)
{
    const char *p = r->path;

    if (strcmp(p, "/healthz") == 0 || strcmp(p, "/metrics") == 0 ||
        strncmp(p, "/api/v1/", 8) == 0)
        return bw_http__api(r);
    if (strncmp(p, "/api/v2/", 8) == 0)
        return bw_http__abuseipdb(r);
    if (strcmp(p, "/v1/decisions") == 0 || strncmp(p, "/v1/decisions/", 14) == 0)
        return bw_http__crowdsec(r);
    return bw_http__reply_error(r, 404, "not_found", NULL, "no such resource");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct bw_http *h = cls;
    struct bw_http_req *r = *con_cls;

    (void)version;
    if (r == NULL) {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        uint64_t n = 0;

        r = bw_xcalloc(1, sizeof(*r));
        r->h = h;
        r->conn = conn;
        r->method = method;
        r->path = url;
        clock_gettime(CLOCK_MONOTONIC, &r->t0);
        bw_buf_init(&r->body, h->c.max_body);
        *con_cls = r;
        if (cl != NULL) {
            for (const char *c = cl; *c >= '0' && *c <= '9' && n <= h->c.max_body; c++)
                n = n * 10 + (uint64_t)(*c - '0');
            if (n > h->c.max_body) {
                r->too_big = true;
                return bw_http__reply_error(r, 413, "too_big", NULL,
                                            "the body is over %zu bytes", h->c.max_body);
            }
        }
        return MHD_YES;
    }
    if (*upload_size != 0) {
        if (!r->too_big && bw_buf_append(&r->body, upload, *upload_size) != BW_OK)
            r->too_big = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->too_big)
        return bw_http__reply_error(r, 413, "too_big", NULL, "the body is over %zu bytes",
                                    h->c.max_body);
    if (h->c.rate_per_s > 0) {
        unsigned wait = rate_take(r);

        if (wait > 0) {
            char secs[16];
            const char *hdr[] = { "Retry-After", secs, NULL };

            snprintf(secs, sizeof(secs), "%u", wait);
            return bw_http__reply(r, 429, "application/json", rate_body,
                                  sizeof(rate_body) - 1, hdr);
        }
    }
    return dispatch(r);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct bw_http_req *r = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (r == NULL)
        return;
    bw_buf_cleanup(&r->body);
    free(r);
    *con_cls = NULL;
}

static int parse_listen(const char *s, struct sockaddr_storage *ss, bool *v6)
{
    const char *colon = strrchr(s, ':');
    char host[64];
    uint64_t port = 0;
    size_t hl;

    if (colon == NULL || colon[1] == '\0')
        return BW_EMALFORMED;
    for (const char *c = colon + 1; *c != '\0'; c++) {
        if (*c < '0' || *c > '9' || port > 65535)
            return BW_EMALFORMED;
        port = port * 10 + (uint64_t)(*c - '0');
    }
    if (port > 65535)
        return BW_EMALFORMED;
    hl = (size_t)(colon - s);
    if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
        s++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof(host))
        return BW_EMALFORMED;
    memcpy(host, s, hl);
    host[hl] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (strchr(host, ':') != NULL) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return BW_EMALFORMED;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *v6 = true;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return BW_EMALFORMED;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *v6 = false;
    }
    return BW_OK;
}

static void free_server(struct bw_http *h)
{
    if (h->rebuilding) {
        pthread_mutex_lock(&h->rebuild_mu);
        h->stopping = true;
        pthread_cond_signal(&h->rebuild_cv);
        pthread_mutex_unlock(&h->rebuild_mu);
        pthread_join(h->rebuilder, NULL);
    }
    for (size_t i = 0; i < h->n_free; i++)
        bw_store_close(h->pool[i]);
    bw_store_close(h->writer);
    bw_store_close(h->syncer);
    bw_keys_free(h->keys);
    allow_unref(h->allow);
    if (h->listing != NULL) {
        h->listing->refs = 1;
        listing_unref(h->listing);
    }
    for (size_t i = 0; i < h->n_bouncers; i++)
        free(h->bouncers[i].sent);
    free(h->bouncers);
    pthread_mutex_destroy(&h->pool_mu);
    pthread_cond_destroy(&h->pool_cv);
    pthread_mutex_destroy(&h->write_mu);
    pthread_mutex_destroy(&h->sync_mu);
    pthread_mutex_destroy(&h->keys_mu);
    pthread_mutex_destroy(&h->listing_mu);
    pthread_mutex_destroy(&h->rebuild_mu);
    pthread_cond_destroy(&h->rebuild_cv);
    pthread_mutex_destroy(&h->bouncer_mu);
    pthread_mutex_destroy(&h->allow_mu);
    pthread_mutex_destroy(&h->audit_mu);
    pthread_mutex_destroy(&h->rate_mu);
    free(h->buckets);
    free(h);
}

int bw_http_start(struct bw_http **out, const struct bw_http_config *c, struct bw_diag *d)
{
    struct bw_http *h;
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *info;
    struct bw_store *st;
    bool v6 = false;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD;

    if (c->db_path == NULL) {
        bw_diag_set(d, "no database given");
        return BW_EINVAL;
    }
    if (parse_listen(c->listen != NULL ? c->listen : BW_HTTP_LISTEN_DEFAULT, &ss, &v6) !=
        BW_OK) {
        bw_diag_set(d, "\"%s\" is not ADDR:PORT", c->listen);
        return BW_EMALFORMED;
    }
    if (sodium_init() < 0) {
        bw_diag_set(d, "libsodium could not start");
        return BW_EIO;
    }
    h = bw_xcalloc(1, sizeof(*h));
    h->c = *c;
    if (h->c.max_body == 0)
        h->c.max_body = BW_HTTP_MAX_BODY_DEFAULT;
    if (h->c.threads == 0)
        h->c.threads = 4;
    if (h->c.timeout_s == 0)
        h->c.timeout_s = 30;
    if (h->c.policy.half_life_s <= 0)
        bw_policy_default(&h->c.policy);
    snprintf(h->db_path, sizeof(h->db_path), "%s", c->db_path);
    if (c->keys_path != NULL)
        snprintf(h->keys_path, sizeof(h->keys_path), "%s", c->keys_path);
    else if (bw_keys_path(h->keys_path, sizeof(h->keys_path), c->db_path) != BW_OK)
        h->keys_path[0] = '\0';
    snprintf(h->audit_path, sizeof(h->audit_path), "%s.audit.log", c->db_path);
    h->c.db_path = h->db_path;
    h->c.keys_path = h->keys_path;
    h->c.listen = NULL;
    pthread_mutex_init(&h->pool_mu, NULL);
    pthread_cond_init(&h->pool_cv, NULL);
    pthread_mutex_init(&h->write_mu, NULL);
    pthread_mutex_init(&h->sync_mu, NULL);
    pthread_mutex_init(&h->keys_mu, NULL);
    pthread_mutex_init(&h->listing_mu, NULL);
    pthread_mutex_init(&h->rebuild_mu, NULL);
    pthread_cond_init(&h->rebuild_cv, NULL);
    pthread_mutex_init(&h->bouncer_mu, NULL);
    pthread_mutex_init(&h->allow_mu, NULL);
    pthread_mutex_init(&h->audit_mu, NULL);
    pthread_mutex_init(&h->rate_mu, NULL);
    h->buckets = bw_xcalloc(BW_HTTP_RATE_SLOTS, sizeof(*h->buckets));
    clock_gettime(CLOCK_MONOTONIC, &h->started);
    /* the first connection creates and migrates the schema before any thread runs */
    if (bw_store_open(&st, h->db_path, d) != BW_OK) {
        free_server(h);
        return BW_EBACKEND;
    }
    bw_store_set_half_life(st, h->c.policy.half_life_s);
    h->pool[h->n_free++] = st;
    h->n_open = 1;
    if (bw_keys_load(&h->keys, h->keys_path, d) != BW_OK) {
        h->keys = NULL;
        free_server(h);
        return BW_EMALFORMED;
    }
    {
        struct stat sb;

        if (stat(h->keys_path, &sb) == 0)
            h->keys_mtime = sb.st_mtim;
    }
    /* the first listing is built before the first request, so none waits for it */
    if (!listing_refresh(h, true)) {
        bw_diag_set(d, "%s: the listing could not be built", h->db_path);
        free_server(h);
        return BW_EBACKEND;
    }
    if (pthread_create(&h->rebuilder, NULL, rebuild_main, h) != 0) {
        bw_diag_set(d, "cannot start the listing thread");
        free_server(h);
        return BW_EAGAIN;
    }
    h->rebuilding = true;
    if (v6)
        flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)h->c.threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)h->c.timeout_s, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4096,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
        completed, h, MHD_OPTION_END);
    if (h->daemon == NULL) {
        bw_diag_set(d, "cannot listen on %s (address in use or not local?)",
                    c->listen != NULL ? c->listen : BW_HTTP_LISTEN_DEFAULT);
        free_server(h);
        return BW_EIO;
    }
    info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info != NULL ? info->port : 0;
    *out = h;
    return BW_OK;
}

uint16_t bw_http_port(const struct bw_http *h)
{
    return h->port;
}

void bw_http_stop(struct bw_http *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->daemon);
    free_server(h);
}
