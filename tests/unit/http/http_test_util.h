/*
 * tests/unit/http/http_test_util.h - what the HTTP tests share: a real server on 127.0.0.1
 * with an ephemeral port over a temporary database, keys for each role, and a raw-socket
 * HTTP/1.1 client (no library between the test and the wire).
 */
#ifndef BW_HTTP_TEST_UTIL_H
#define BW_HTTP_TEST_UTIL_H

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "http/http.h"

#define NOW INT64_C(1780000000) /* 2026-05-28T20:26:40Z */

struct fx {
    char dir[64];
    char db[128];
    char keys[160];
    struct bw_http *h;
    uint16_t port;
    char reporter1[BW_KEY_TEXT_LEN + 1], reporter2[BW_KEY_TEXT_LEN + 1];
    char bouncer[BW_KEY_TEXT_LEN + 1], admin[BW_KEY_TEXT_LEN + 1];
    char isp[BW_KEY_TEXT_LEN + 1], other_isp[BW_KEY_TEXT_LEN + 1];
};

struct resp {
    int status;
    char headers[4096];
    char *body; /* NUL-terminated */
    size_t body_len;
};

static inline int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void add_key(struct fx *f, const char *name, enum bw_key_role role, uint32_t asn,
                    char *out)
{
    struct bw_key k = { .role = role, .created_s = NOW };
    struct bw_diag d = { "" };

    snprintf(k.name, sizeof(k.name), "%s", name);
    if (asn != 0)
        k.asns[k.n_asns++] = asn;
    if (bw_keys_add(f->keys, &k, out, &d) != BW_OK)
        fail_msg("key %s: %s", name, d.msg);
}

static inline struct fx *fx_start(size_t max_body, double rate_per_s)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct bw_http_config c = { .listen = "127.0.0.1:0", .max_body = max_body, .threads = 2,
                                .rate_per_s = rate_per_s };
    struct bw_diag d = { "" };

    bw_time_set_now(NOW);
    snprintf(f->dir, sizeof(f->dir), "/tmp/bw-test-http-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        fail_msg("mkdtemp");
    snprintf(f->db, sizeof(f->db), "%s/bw.db", f->dir);
    snprintf(f->keys, sizeof(f->keys), "%s/bw.db.keys", f->dir);
    add_key(f, "rep1", BW_KEY_REPORTER, 0, f->reporter1);
    add_key(f, "rep2", BW_KEY_REPORTER, 0, f->reporter2);
    add_key(f, "fw1", BW_KEY_BOUNCER, 0, f->bouncer);
    add_key(f, "root", BW_KEY_ADMIN, 0, f->admin);
    add_key(f, "isp1", BW_KEY_ISP, 64500, f->isp);
    add_key(f, "isp2", BW_KEY_ISP, 64501, f->other_isp);
    bw_policy_default(&c.policy);
    c.db_path = f->db;
    if (bw_http_start(&f->h, &c, &d) != BW_OK)
        fail_msg("start: %s", d.msg);
    f->port = bw_http_port(f->h);
    assert_true(f->port != 0);
    return f;
}

static inline void fx_stop(struct fx *f)
{
    bw_http_stop(f->h);
    nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
}

static inline int fx_setup(void **state)
{
    *state = fx_start(0, 0);
    return 0;
}

static inline int fx_teardown(void **state)
{
    fx_stop(*state);
    return 0;
}

static inline void resp_free(struct resp *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* Sends raw bytes, reads the whole answer (the request asks for Connection: close). */
static inline void raw_exchange(uint16_t port, const char *req, size_t req_len, struct resp *out)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t cap = 1 << 16, len = 0, off = 0;
    char *buf = malloc(cap + 1), *hend;

    assert_true(fd >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    while (off < req_len) {
        ssize_t n = send(fd, req + off, req_len - off, MSG_NOSIGNAL);

        if (n <= 0)
            break; /* the server may answer (413) and close before taking everything */
        off += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        assert_true(poll(&p, 1, 10000) == 1); /* a bound, not a timing assumption */
        n = recv(fd, buf + len, cap - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    close(fd);
    buf[len] = '\0';
    memset(out, 0, sizeof(*out));
    assert_true(sscanf(buf, "HTTP/1.%*d %d", &out->status) == 1);
    hend = strstr(buf, "\r\n\r\n");
    assert_non_null(hend);
    snprintf(out->headers, sizeof(out->headers), "%.*s", (int)(hend - buf), buf);
    out->body_len = len - (size_t)(hend + 4 - buf);
    out->body = malloc(out->body_len + 1);
    memcpy(out->body, hend + 4, out->body_len);
    out->body[out->body_len] = '\0';
    free(buf);
}

/* One request; extra is more header lines, each ending in \r\n (may be NULL). */
static inline void http(struct fx *f, const char *method, const char *path, const char *extra,
                 const char *body, size_t body_len, struct resp *out)
{
    size_t cap = body_len + 8192 + (extra != NULL ? strlen(extra) : 0);
    char *req = malloc(cap);
    int n = snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s",
                     method, path, extra != NULL ? extra : "");

    if (body != NULL)
        n += snprintf(req + n, cap - (size_t)n, "Content-Length: %zu\r\n", body_len);
    n += snprintf(req + n, cap - (size_t)n, "\r\n");
    if (body != NULL) {
        memcpy(req + n, body, body_len);
        n += (int)body_len;
    }
    raw_exchange(f->port, req, (size_t)n, out);
    free(req);
}

static inline void get(struct fx *f, const char *path, const char *extra, struct resp *out)
{
    http(f, "GET", path, extra, NULL, 0, out);
}

static inline void post(struct fx *f, const char *path, const char *key_header, const char *key,
                 const char *body, struct resp *out)
{
    char extra[256] = "";

    if (key != NULL)
        snprintf(extra, sizeof(extra), "%s: %s\r\n", key_header, key);
    http(f, "POST", path, extra, body, strlen(body), out);
}

static inline json_t *body_json(const struct resp *r)
{
    json_error_t e;
    json_t *o = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &e);

    if (o == NULL)
        fail_msg("not JSON (%s): %.200s", e.text, r->body);
    return o;
}

static inline bool has_header(const struct resp *r, const char *name_value)
{
    return strcasestr(r->headers, name_value) != NULL;
}

/* Three reports on ip from the reporter behind key (at NOW - 60, distinct ports). */
static inline void report3(struct fx *f, const char *key, const char *ip, struct resp *out)
{
    char body[1024];
    int n = 0;

    for (int i = 1; i <= 3; i++)
        n += snprintf(body + n, sizeof(body) - (size_t)n,
                      "{\"ip\":\"%s\",\"time\":%lld,\"category\":\"bruteforce\",\"port\":%d,"
                      "\"evidence\":\"Failed password for root from %s\"}\n",
                      ip, (long long)(NOW - 60), 40000 + i, ip);
    post(f, "/api/v1/reports", "X-Api-Key", key, body, out);
}

/* Waits until the listing in service (rebuilt by the server's thread) has line (an address
 * or a prefix), for at most five seconds. */
static inline void wait_listed(struct fx *f, const char *line)
{
    struct timespec t0, t1, nap = { 0, 20 * 1000 * 1000 };
    char want[64];

    snprintf(want, sizeof(want), "%s\n", line);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct resp r;
        bool found;

        get(f, "/api/v1/blocklist?format=txt", NULL, &r);
        found = strncmp(r.body, want, strlen(want)) == 0 || strstr(r.body, want) != NULL;
        resp_free(&r);
        if (found)
            return;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec > 5)
            fail_msg("%s never listed", line);
        nanosleep(&nap, NULL);
    }
}

/* Two reporters report ip: listed under the default policy. */
static inline void make_listed(struct fx *f, const char *ip)
{
    struct resp r;

    report3(f, f->reporter1, ip, &r);
    assert_int_equal(r.status, 202);
    resp_free(&r);
    report3(f, f->reporter2, ip, &r);
    assert_int_equal(r.status, 202);
    resp_free(&r);
}

#endif
