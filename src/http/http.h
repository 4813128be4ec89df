/*
 * http/http.h - botwatch's HTTP face: the native API under /api/v1, the AbuseIPDB v2 shape
 * under /api/v2, the CrowdSec Local API shape for bouncers under /v1, /healthz and /metrics;
 * and the API keys that open them.
 *
 * Manual (docs/api.md is the user's version, docs/openapi.yaml the native API's contract):
 *  - bw_http_start() binds the address, opens the store and serves on libmicrohttpd (epoll,
 *    a thread pool) until bw_http_stop(). Port 0 binds an ephemeral port; bw_http_port() says
 *    which.
 *  - Writes (POST /api/v1/reports, POST /api/v2/report) go through pipeline/ on one writer
 *    connection, one request at a time; the answer is sent after the commit, so an accepted
 *    report is durable when the client hears 202 (or 200 for AbuseIPDB).
 *  - Reads use a small pool of store connections (SQLite connections are single-threaded).
 *    Lists (blocklist, decisions, blacklist) come from a listing image that a thread rebuilds
 *    from the store a second after its previous build (built once before the first request);
 *    the snapshot index (index/) will replace both the image and the per-lookup store read,
 *    behind bw_http__listing_get() and bw_http__judge() (http_int.h).
 *  - Keys: a file "<db>.keys" (JSON, mode 0600) holds for each key its name, role, scope
 *    (ASNs, countries) and a BLAKE2b hash of the key; the key itself is printed once by
 *    bw_keys_add() and never stored. The server rereads the file when it changes.
 * Invariants: the server never logs request bodies or keys; every size a client controls is
 * capped (body, headers, connections, lines).
 */
#ifndef BW_HTTP_H
#define BW_HTTP_H

#include "core/core.h"
#include "pipeline/pipeline.h"
#include "score/score.h"

#define BW_HTTP_MAX_BODY_DEFAULT (16u << 20)
#define BW_HTTP_LISTEN_DEFAULT "127.0.0.1:8080"

/* ---- keys ---- */

enum bw_key_role {
    BW_KEY_REPORTER, /* submits reports */
    BW_KEY_BOUNCER,  /* pulls lists and the decisions stream */
    BW_KEY_ISP,      /* full evidence for devices in its ASNs */
    BW_KEY_CERT,     /* full evidence for devices in its countries */
    BW_KEY_ADMIN,    /* everything, reporter identities included */
    BW_KEY_ROLE_COUNT
};

const char *bw_key_role_name(enum bw_key_role r);
BW_MUSTCHECK int bw_key_role_parse(enum bw_key_role *out, const char *s); /* BW_EMALFORMED */

#define BW_KEY_NAME_MAX 64
#define BW_KEY_SCOPE_MAX 32
#define BW_KEY_TEXT_LEN 67 /* "bw_" + 64 hex digits */

struct bw_key {
    char name[BW_KEY_NAME_MAX];       /* also the reporter name its reports are stored under */
    enum bw_key_role role;
    uint32_t asns[BW_KEY_SCOPE_MAX];  /* isp scope */
    size_t n_asns;
    char countries[BW_KEY_SCOPE_MAX][3]; /* cert scope, upper case */
    size_t n_countries;
    int64_t created_s;
    uint8_t hash[32];                 /* BLAKE2b-256 of the key text */
};

struct bw_keys;

/* Reads the key file; a missing file is an empty set. BW_EMALFORMED (d names the problem)
 * for a file that does not parse. */
BW_MUSTCHECK int bw_keys_load(struct bw_keys **out, const char *path, struct bw_diag *d);
void bw_keys_free(struct bw_keys *ks); /* NULL is a no-op */
size_t bw_keys_count(const struct bw_keys *ks);
const struct bw_key *bw_keys_at(const struct bw_keys *ks, size_t i);
/* The key whose hash matches text (every stored hash is compared, in constant time each);
 * NULL when none does. */
const struct bw_key *bw_keys_match(const struct bw_keys *ks, const char *text, size_t len);

/* Adds k (its hash is filled here) under a fresh random key, written to key_out
 * (BW_KEY_TEXT_LEN + 1 bytes). The file is rewritten whole (temporary file, rename, 0600).
 * BW_ECONFLICT when the name is taken; BW_EINVAL for an empty or over-long name. */
BW_MUSTCHECK int bw_keys_add(const char *path, struct bw_key *k, char *key_out,
                             struct bw_diag *d);
/* BW_ENOTFOUND when no key has that name. */
BW_MUSTCHECK int bw_keys_remove(const char *path, const char *name, struct bw_diag *d);
/* "<db_path>.keys" into out (cap bytes); BW_ETOOBIG when it does not fit. */
BW_MUSTCHECK int bw_keys_path(char *out, size_t cap, const char *db_path);

/* ---- the server ---- */

struct bw_http_config {
    const char *listen;                 /* "ADDR:PORT" or "[v6]:PORT"; NULL = default */
    const char *db_path;                /* the store (a file path) */
    const char *keys_path;              /* NULL = "<db_path>.keys" */
    struct bw_policy policy;
    const struct bw_enricher *enricher; /* enrichment at ingest; NULL = none. Borrowed. */
    size_t max_body;                    /* bytes of a request body; 0 = 16 MiB */
    unsigned threads;                   /* MHD thread pool; 0 = 4 */
    unsigned timeout_s;                 /* idle connection timeout; 0 = 30 */
    double rate_per_s;                  /* requests a second per client address, and per key
                                         * (token bucket, burst twice that); 0 = no limit */
    bool no_fsync;                      /* answer 202 once reports are committed, before they
                                         * are on stable storage */
};

struct bw_http;

/* Binds and starts serving. On failure *out is untouched and d says why. */
BW_MUSTCHECK int bw_http_start(struct bw_http **out, const struct bw_http_config *c,
                               struct bw_diag *d);
uint16_t bw_http_port(const struct bw_http *h);
/* Stops accepting, finishes the requests in flight, frees everything. NULL is a no-op. */
void bw_http_stop(struct bw_http *h);

#endif
