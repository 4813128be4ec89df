/*
 * http/http_int.h - what the files of http/ share: the server, one request, replies, the
 * store pool, the writer, the listing image and the metrics.
 */
#ifndef BW_HTTP_INT_H
#define BW_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "http/http.h"
#include "store/store.h"

#define BW_HTTP_POOL_MAX 16
#define BW_HTTP_LAT_BUCKETS 8
#define BW_HTTP_RATE_SLOTS 4096

/* One listed address or network, as the lists serve it. */
struct bw_http_entry {
    struct bw_prefix prefix; /* len 128: one address */
    bw_catmask cats;
    uint8_t score;
    int64_t last_seen_s;
};

/* One device with reports in the window, judged when the image was built (image.c). */
struct bw_http_dev {
    struct bw_addr addr;
    int64_t first_s, last_s;
    uint32_t reports;
    uint16_t reporters;
    uint16_t sources;
    bw_catmask cats;
    float corroboration;
    uint32_t en;            /* offset of its enrichment record in the pool */
    uint8_t score;
    uint8_t why;            /* enum bw_unlisted_why */
    bool listed;
    bool allowlisted;
};

/* Every device with reports in the window, by address, and their interned enrichment. */
struct bw_http_image {
    struct bw_http_dev *dev;
    size_t n;
    char *pool;
    size_t pool_len, pool_cap;
    uint32_t *table; /* pool offset + 1 of each distinct record; 0 = empty */
    size_t cap, used;
};

struct bw_http_image_builder {
    struct bw_http_image *im;
    size_t dev_cap;
};

void bw_http__image_builder_init(struct bw_http_image_builder *b, struct bw_http_image *im);
/* Devices are added in address order (the store's walks give them so). */
void bw_http__image_add(struct bw_http_image_builder *b, const struct bw_device *d,
                        const struct bw_verdict *v, bool allowlisted);
void bw_http__image_builder_done(struct bw_http_image_builder *b);
void bw_http__image_free(struct bw_http_image *im);
const struct bw_http_dev *bw_http__image_find(const struct bw_http_image *im,
                                              const struct bw_addr *a);
/* The index of the first device at or after a (im->n when none). */
size_t bw_http__image_after(const struct bw_http_image *im, const struct bw_addr *a);
/* out = old with delta's devices replacing or joining old's (both in address order); delta's
 * devices last reported before since are left out. old's pool and table are copied and
 * delta's records interned into the copy: old stays valid, and the pool holds each distinct
 * record once however many updates follow. */
void bw_http__image_merge(const struct bw_http_image *old, const struct bw_http_image *delta,
                          int64_t since, struct bw_http_image *out);
/* The device and verdict as the image holds them (d->en filled from the pool). */
void bw_http__image_device(const struct bw_http_image *im, const struct bw_http_dev *x,
                           struct bw_device *d, struct bw_verdict *v);

/* An immutable image of what is listed, shared by reference. The snapshot index replaces it:
 * it is the same question (what is listed, in address order) answered from an mmap-ed file. */
struct bw_http_listing {
    struct bw_http_entry *e; /* sorted by prefix */
    size_t n;
    size_t *nets;            /* indexes in e of the network entries (len < 128), in order */
    size_t n_nets;
    struct bw_http_image image; /* every device in the window, listed or not */
    int64_t built_s;         /* the clock it was judged at */
    int64_t seq;             /* the newest report it holds (bw_store_report_seq) */
    int64_t build_us;        /* how long it took to build */
    bool whole;              /* a whole build (else an update of the previous one) */
    struct timespec built_mono;
    char etag[40];           /* "\"<hash of the entries>\"" */
    unsigned refs;           /* (listing_mu) */
};

/* The operator's allowlist as a sealed prefix set, shared by reference. */
struct bw_http_allow {
    struct bw_pfxset *set;
    struct timespec loaded_mono;
    unsigned refs; /* (allow_mu) */
};

/* A bouncer's view of the list after its last pull (CrowdSec stream). */
struct bw_http_bouncer {
    char name[BW_KEY_NAME_MAX];
    struct bw_prefix *sent; /* sorted */
    size_t n_sent;
    bool known;             /* sent holds what it was last given (this run or a saved one) */
};

struct bw_http {
    struct bw_http_config c;
    char db_path[4096];
    char keys_path[4096];
    char audit_path[4096];
    struct MHD_Daemon *daemon;
    uint16_t port;

    pthread_mutex_t pool_mu; /* the read connections */
    pthread_cond_t pool_cv;
    struct bw_store *pool[BW_HTTP_POOL_MAX];
    size_t n_free, n_open;

    pthread_mutex_t write_mu; /* one ingest at a time, on its own connection */
    struct bw_store *writer;
    _Atomic uint64_t commits; /* writes made through the writer (counted after each) */

    pthread_mutex_t sync_mu;  /* one flush to stable storage at a time (group commit) */
    struct bw_store *syncer;  /* its own connection: the flush never waits for the writer */
    uint64_t synced;          /* (sync_mu) commits up to this one are on stable storage */

    pthread_mutex_t keys_mu;
    struct bw_keys *keys;
    struct timespec keys_mtime;
    int64_t keys_checked_ms;

    pthread_mutex_t listing_mu;   /* the pointer and the refs */
    pthread_mutex_t rebuild_mu;   /* the rebuild thread's sleep, and stopping */
    pthread_cond_t rebuild_cv;
    pthread_t rebuilder;
    bool rebuilding;              /* the thread runs */
    bool stopping;                /* (rebuild_mu) */
    bool dirty;                   /* (rebuild_mu) reports were stored: rebuild now */
    struct bw_http_listing *listing;

    pthread_mutex_t allow_mu;     /* the allowlist lookups judge with, reread each second */
    struct bw_http_allow *allow;

    pthread_mutex_t bouncer_mu;
    struct bw_http_bouncer *bouncers;
    size_t n_bouncers;

    pthread_mutex_t audit_mu;

    pthread_mutex_t rate_mu; /* token buckets, direct-mapped by client or key */
    struct bw_http_bucket {
        uint64_t id;          /* hash of the address or key; 0 = empty */
        double tokens;
        int64_t at_us;        /* monotonic, when tokens was last filled */
    } *buckets;

    /* metrics */
    _Atomic uint64_t requests[6];  /* by status class: [1]=1xx .. [5]=5xx */
    _Atomic uint64_t lat_bucket[BW_HTTP_LAT_BUCKETS + 1]; /* +Inf last */
    _Atomic uint64_t lat_sum_us;
    _Atomic uint64_t ingest_accepted, ingest_duplicates, ingest_rejected, ingest_refused;
    struct timespec started;
};

/* Who is asking. */
enum bw_http_auth { BW_AUTH_NONE, BW_AUTH_KEY, BW_AUTH_BAD };

struct bw_http_req {
    struct bw_http *h;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    struct bw_buf body;
    bool too_big;
    enum bw_http_auth auth;
    struct bw_key key; /* when auth == BW_AUTH_KEY */
    struct timespec t0;
};

/* ---- replies (each queues the response and counts it) ---- */

enum MHD_Result bw_http__reply(struct bw_http_req *r, unsigned status, const char *ctype,
                               const char *body, size_t len, const char *const *headers);
/* Steals o. */
enum MHD_Result bw_http__reply_json(struct bw_http_req *r, unsigned status, json_t *o);
/* Native error object: {"error":{"status","code","detail","field"}}; field may be NULL. */
enum MHD_Result bw_http__reply_error(struct bw_http_req *r, unsigned status, const char *code,
                                     const char *field, const char *fmt, ...) BW_PRINTF(5, 6);
/* Text (blocklists) with ETag / If-None-Match and gzip when the client accepts it. */
enum MHD_Result bw_http__reply_cached(struct bw_http_req *r, const char *ctype,
                                      const char *body, size_t len, const char *etag);

const char *bw_http__arg(struct bw_http_req *r, const char *name);
/* True when the query string names the argument, with or without a value. */
bool bw_http__has_arg(struct bw_http_req *r, const char *name);
const char *bw_http__header(struct bw_http_req *r, const char *name);

/* Looks the key up in header `name` (X-Api-Key, Key); sets r->auth and r->key. */
void bw_http__authenticate(struct bw_http_req *r, const char *name);
/* Appends one line to the audit log: time, key, method, path, what. */
void bw_http__audit(struct bw_http_req *r, const char *what);

/* ---- store access ---- */

struct bw_store *bw_http__store_get(struct bw_http *h); /* NULL when none can be opened */
void bw_http__store_put(struct bw_http *h, struct bw_store *st);

/* Ingests NDJSON (one report a line, already checked by the caller) as reporter, through
 * pipeline/, and returns after the commit. */
BW_MUSTCHECK int bw_http__ingest(struct bw_http *h, const char *reporter, const char *data,
                                 size_t len, struct bw_ingest_stats *out, struct bw_diag *d);

/* Runs fn on the writer connection, one writer at a time (delisting requests, case
 * acknowledgements). fn's return is returned; a backend failure reopens the connection. */
BW_MUSTCHECK int bw_http__with_writer(struct bw_http *h,
                                      int (*fn)(struct bw_store *st, void *ctx), void *ctx,
                                      struct bw_diag *d);

/* The listing in service (rebuilt by a thread a second after the last build); pinned until
 * put. Never NULL once the server runs. */
const struct bw_http_listing *bw_http__listing_get(struct bw_http *h);
void bw_http__listing_put(struct bw_http *h, const struct bw_http_listing *l);
/* The entry covering a, or NULL. */
const struct bw_http_entry *bw_http__listing_find(const struct bw_http_listing *l,
                                                  const struct bw_addr *a);

/* One device judged at now from the store: cb gets the device, its evidence and verdict. */
struct bw_http_judged {
    const struct bw_device *d;
    const struct bw_evidence *ev;
    size_t n;
    struct bw_verdict v;
    bool allowlisted;
};
typedef int (*bw_http_judge_cb)(void *ctx, struct bw_store *st, const struct bw_http_judged *j);
BW_MUSTCHECK int bw_http__judge(struct bw_http *h, const struct bw_addr *a, bw_http_judge_cb cb,
                                void *ctx);

/* ---- handlers ---- */

enum MHD_Result bw_http__api(struct bw_http_req *r);       /* /api/v1, /healthz, /metrics */
enum MHD_Result bw_http__abuseipdb(struct bw_http_req *r); /* /api/v2 */
enum MHD_Result bw_http__crowdsec(struct bw_http_req *r);  /* /v1/decisions */
/* /api/v1/cases/{rest}: rest is what follows "/cases/" */
enum MHD_Result bw_http__cases(struct bw_http_req *r, const char *rest);

/* Shared JSON pieces. */
json_t *bw_http__time_json(int64_t t);
json_t *bw_http__cats_json(bw_catmask m);

#endif
