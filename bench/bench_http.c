/*
 * bench/bench_http.c - the HTTP API under load, on loopback, with its own keep-alive client:
 *   1. POST /api/v1/reports in NDJSON batches of 1,000 from two reporters at once (so devices
 *      list), each on its own connection: reports stored per second, each answer sent after
 *      its commit;
 *   2. GET /api/v1/devices/{ip} and GET /v1/decisions?ip= over the devices just stored, from
 *      CONNS connections (one client thread each): requests per second, p50 and p99 latency;
 *   3. the same client against a bare libmicrohttpd server answering a fixed JSON body on its
 *      second call, the ceiling the issue compares with.
 * Usage: bench_http DIR [DEVICES=100000] [SECONDS=3] [CONNS=64] [SERVER_THREADS=2]
 *
 * For an outside load generator (bench/http.sh drives wrk with it):
 *        bench_http --serve DIR DEVICES SERVER_THREADS   stores the reports (step 1), prints
 *                   "ready PORT BOUNCER_KEY" and serves until SIGTERM;
 *        bench_http --bare SERVER_THREADS                 the bare server: "ready PORT".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/http.h"

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int dial(uint16_t port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("connect");
        exit(1);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* One request on a keep-alive connection; returns the status. The answer stays in buf
 * (NUL-terminated) as far as it fits. */
static int exchange(int fd, const char *req, size_t len, char *buf, size_t cap)
{
    size_t off = 0, have = 0;
    char *hend = NULL, *cl;
    long body;
    int status = 0;

    while (off < len) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);

        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    while (hend == NULL) {
        ssize_t n = recv(fd, buf + have, cap - 1 - have, 0);

        if (n <= 0)
            return -1;
        have += (size_t)n;
        buf[have] = '\0';
        hend = strstr(buf, "\r\n\r\n");
    }
    sscanf(buf, "HTTP/1.%*d %d", &status);
    cl = strcasestr(buf, "Content-Length:");
    body = cl != NULL && cl < hend ? strtol(cl + 15, NULL, 10) : 0;
    for (size_t got = have - (size_t)(hend + 4 - buf); (long)got < body;) {
        bool room = have < cap - 1;
        ssize_t n = room ? recv(fd, buf + have, cap - 1 - have, 0) : recv(fd, buf, cap - 1, 0);

        if (n <= 0)
            return -1;
        got += (size_t)n;
        if (room) {
            have += (size_t)n;
            buf[have] = '\0';
        }
    }
    return status;
}

struct load {
    uint16_t port;
    const char *kind; /* "device", "decision", "bare" */
    const char *key;
    unsigned devices;
    double until;
    unsigned seed;
    uint64_t done, errors;
    uint32_t *lat_us; /* samples */
    size_t n_lat, cap_lat;
};

static void device_ip(unsigned i, char *out, size_t cap)
{
    /* public addresses spread over 81.0.0.0/8 .. 95.0.0.0/8 */
    snprintf(out, cap, "%u.%u.%u.%u", 81 + (i >> 24) % 15, (i >> 16) & 255, (i >> 8) & 255,
             (i & 255) == 0 ? 1 : i & 255);
}

static void *load_main(void *arg)
{
    struct load *l = arg;
    int fd = dial(l->port);
    char req[512], ip[32], buf[65536];

    while (now_s() < l->until) {
        unsigned i = (unsigned)rand_r(&l->seed) % l->devices;
        double t0;
        int n, st;

        device_ip(i, ip, sizeof(ip));
        if (strcmp(l->kind, "device") == 0)
            n = snprintf(req, sizeof(req), "GET /api/v1/devices/%s HTTP/1.1\r\nHost: b\r\n\r\n",
                         ip);
        else if (strcmp(l->kind, "decision") == 0)
            n = snprintf(req, sizeof(req),
                         "GET /v1/decisions?ip=%s HTTP/1.1\r\nHost: b\r\nX-Api-Key: %s\r\n\r\n",
                         ip, l->key);
        else
            n = snprintf(req, sizeof(req), "GET /x HTTP/1.1\r\nHost: b\r\n\r\n");
        t0 = now_s();
        st = exchange(fd, req, (size_t)n, buf, sizeof(buf));
        if (st != 200) {
            l->errors++;
            if (st < 0) {
                close(fd);
                fd = dial(l->port);
            }
            continue;
        }
        l->done++;
        if (l->n_lat == l->cap_lat) {
            l->cap_lat = l->cap_lat ? 2 * l->cap_lat : 65536;
            l->lat_us = realloc(l->lat_us, l->cap_lat * sizeof(*l->lat_us));
        }
        l->lat_us[l->n_lat++] = (uint32_t)((now_s() - t0) * 1e6);
    }
    close(fd);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static double run_load(uint16_t port, const char *kind, const char *key, unsigned devices,
                       double seconds, unsigned conns)
{
    struct load *l = calloc(conns, sizeof(*l));
    pthread_t *t = calloc(conns, sizeof(*t));
    uint64_t done = 0, errors = 0;
    uint32_t *all;
    size_t n = 0;
    double t0 = now_s(), rate;

    for (unsigned i = 0; i < conns; i++) {
        l[i] = (struct load){ .port = port, .kind = kind, .key = key, .devices = devices,
                              .until = t0 + seconds, .seed = i * 7919 + 1 };
        pthread_create(&t[i], NULL, load_main, &l[i]);
    }
    for (unsigned i = 0; i < conns; i++) {
        pthread_join(t[i], NULL);
        done += l[i].done;
        errors += l[i].errors;
        n += l[i].n_lat;
    }
    all = malloc((n + 1) * sizeof(*all));
    n = 0;
    for (unsigned i = 0; i < conns; i++) {
        memcpy(all + n, l[i].lat_us, l[i].n_lat * sizeof(*all));
        n += l[i].n_lat;
        free(l[i].lat_us);
    }
    qsort(all, n, sizeof(*all), cmp_u32);
    rate = (double)done / (now_s() - t0);
    printf("%-9s %u conns: %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %llu\n", kind, conns,
           rate, n ? all[n / 2] / 1000.0 : 0, n ? all[n * 99 / 100] / 1000.0 : 0,
           (unsigned long long)errors);
    free(all);
    free(l);
    free(t);
    return rate;
}

static const char bare_body[] = "{\"ip\":\"81.2.69.142\",\"listed\":true,\"score\":42}";

static enum MHD_Result bare(void *cls, struct MHD_Connection *c, const char *url,
                            const char *method, const char *version, const char *up,
                            size_t *up_size, void **con_cls)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    (void)cls, (void)url, (void)method, (void)version, (void)up, (void)up_size;
    if (*con_cls == NULL) { /* answer on the second call, as the real server does */
        *con_cls = (void *)1;
        return MHD_YES;
    }
    r = MHD_create_response_from_buffer(sizeof(bare_body) - 1, (void *)(uintptr_t)bare_body,
                                        MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static void post_reports(uint16_t port, const char *key, unsigned devices, int64_t t)
{
    size_t cap = 200u * 1000 + 1024;
    char *body = malloc(cap), *req = malloc(cap + 512), buf[65536], ip[32];

    for (unsigned lo = 0; lo < devices; lo += 1000) {
        size_t n = 0;
        int h, fd, st;

        for (unsigned i = lo; i < lo + 1000 && i < devices; i++) {
            device_ip(i, ip, sizeof(ip));
            n += (size_t)snprintf(body + n, cap - n,
                                  "{\"ip\":\"%s\",\"time\":%lld,\"category\":\"scan\","
                                  "\"port\":%u}\n", ip, (long long)t, 1000 + i % 5000);
        }
        h = snprintf(req, 512, "POST /api/v1/reports HTTP/1.1\r\nHost: b\r\nX-Api-Key: %s\r\n"
                               "Content-Type: application/x-ndjson\r\nContent-Length: %zu\r\n\r\n",
                     key, n);
        memcpy(req + h, body, n);
        fd = dial(port);
        st = exchange(fd, req, (size_t)h + n, buf, sizeof(buf));
        close(fd);
        if (st != 202) {
            fprintf(stderr, "bench_http: POST answered %d\n", st);
            exit(1);
        }
    }
    free(body);
    free(req);
}

/* How long a report stored over HTTP takes to show in lookups: two reporters report one new
 * device, then a lookup is repeated until it says listed. Also prints what the last build of
 * the image cost, from /metrics. */
static void freshness(uint16_t port, const char *k1, const char *k2, const char *ip,
                      const char *when)
{
    static char buf[1 << 20];
    char req[1024], body[256];
    double t0;
    int fd = dial(port), n, bn;

    for (int k = 0; k < 2; k++) {
        bn = snprintf(body, sizeof(body), "{\"ip\":\"%s\",\"time\":%lld,"
                      "\"category\":\"scan\",\"port\":%d}\n",
                      ip, (long long)bw_time_now() - 30, 23 + k);
        n = snprintf(req, sizeof(req), "POST /api/v1/reports HTTP/1.1\r\nHost: b\r\n"
                     "X-Api-Key: %s\r\nContent-Length: %d\r\n\r\n%s",
                     k == 0 ? k1 : k2, bn, body);
        if (exchange(fd, req, (size_t)n, buf, sizeof(buf)) != 202)
            fprintf(stderr, "bench_http: freshness POST failed\n");
    }
    t0 = now_s();
    n = snprintf(req, sizeof(req), "GET /api/v1/devices/%s HTTP/1.1\r\nHost: b\r\n\r\n", ip);
    for (;;) {
        if (exchange(fd, req, (size_t)n, buf, sizeof(buf)) != 200)
            break;
        if (strstr(buf, "\"listed\":true") != NULL || now_s() - t0 > 30)
            break;
    }
    printf("a new listing reaches lookups in %.0f ms (%s)\n", (now_s() - t0) * 1000, when);
    n = snprintf(req, sizeof(req), "GET /metrics HTTP/1.1\r\nHost: b\r\n\r\n");
    if (exchange(fd, req, (size_t)n, buf, sizeof(buf)) == 200) {
        const char *m = strstr(buf, "\nbotwatch_snapshot_build_seconds ");
        const char *dv = strstr(buf, "\nbotwatch_snapshot_devices ");

        if (m != NULL && dv != NULL)
            printf("last image build: %.3f s for %lld devices\n",
                   strtod(m + strlen("\nbotwatch_snapshot_build_seconds "), NULL),
                   strtoll(dv + strlen("\nbotwatch_snapshot_devices "), NULL, 10));
    }
    close(fd);
}

static int run_main(int argc, char **argv, bool serve);

struct poster {
    uint16_t port;
    const char *key;
    unsigned devices;
    int64_t t;
};

static void *poster_main(void *arg)
{
    struct poster *p = arg;

    post_reports(p->port, p->key, p->devices, p->t);
    return NULL;
}

/* Blocks until SIGTERM or SIGINT. */
static void wait_for_signal(void)
{
    sigset_t set;
    int sig;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigwait(&set, &sig);
}

static int bare_main(unsigned threads)
{
    struct MHD_Daemon *bd = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, 0, NULL, NULL, bare,
                                             NULL, MHD_OPTION_THREAD_POOL_SIZE, threads,
                                             MHD_OPTION_END);

    if (bd == NULL)
        return fprintf(stderr, "bench_http: the bare server did not start\n"), 1;
    printf("ready %u\n", MHD_get_daemon_info(bd, MHD_DAEMON_INFO_BIND_PORT)->port);
    fflush(stdout);
    wait_for_signal();
    MHD_stop_daemon(bd);
    return 0;
}

int main(int argc, char **argv)
{
    bool serve = argc > 1 && strcmp(argv[1], "--serve") == 0;

    {   /* the signals wait_for_signal() takes are blocked in every thread */
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
    }
    if (argc > 1 && strcmp(argv[1], "--bare") == 0)
        return bare_main(argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 2);
    if (serve) { /* DIR DEVICES THREADS, in the places the default mode reads them */
        char *args[] = { argv[0], argc > 2 ? argv[2] : "/tmp", argc > 3 ? argv[3] : "100000",
                         "0", "64", argc > 4 ? argv[4] : "2", NULL };

        return run_main(6, args, true);
    }
    return run_main(argc, argv, false);
}

static int run_main(int argc, char **argv, bool serve)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    unsigned devices = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 100000;
    double seconds = argc > 3 ? strtod(argv[3], NULL) : 3;
    unsigned conns = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 64;
    unsigned threads = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 2;
    char db[4096], keys[4200], k1[BW_KEY_TEXT_LEN + 1], k2[BW_KEY_TEXT_LEN + 1];
    char kb[BW_KEY_TEXT_LEN + 1];
    struct bw_key key = { .role = BW_KEY_REPORTER };
    struct bw_http_config c = { .listen = "127.0.0.1:0", .threads = threads,
                                .no_fsync = getenv("BENCH_NO_FSYNC") != NULL };
    struct bw_http *h;
    struct bw_diag d = { "" };
    struct MHD_Daemon *bd;
    double t0, dev_rate, dec_rate, bare_rate;

    snprintf(db, sizeof(db), "%s/bench_http.db", dir);
    snprintf(keys, sizeof(keys), "%s.keys", db);
    unlink(db);
    unlink(keys);
    snprintf(key.name, sizeof(key.name), "bench1");
    if (bw_keys_add(keys, &key, k1, &d) != BW_OK)
        return fprintf(stderr, "bench_http: %s\n", d.msg), 1;
    snprintf(key.name, sizeof(key.name), "bench2");
    if (bw_keys_add(keys, &key, k2, &d) != BW_OK)
        return fprintf(stderr, "bench_http: %s\n", d.msg), 1;
    key.role = BW_KEY_BOUNCER;
    snprintf(key.name, sizeof(key.name), "bouncer");
    if (bw_keys_add(keys, &key, kb, &d) != BW_OK)
        return fprintf(stderr, "bench_http: %s\n", d.msg), 1;
    bw_policy_default(&c.policy);
    c.db_path = db;
    if (bw_http_start(&h, &c, &d) != BW_OK)
        return fprintf(stderr, "bench_http: %s\n", d.msg), 1;
    printf("bench_http: %u devices, %u server threads, %u client connections, %.0f s each\n",
           devices, threads, conns, seconds);
    t0 = now_s();
    {   /* two reporters sending at once, each on its own connection */
        struct poster p1 = { bw_http_port(h), k1, devices, bw_time_now() - 120 };
        struct poster p2 = { bw_http_port(h), k2, devices, bw_time_now() - 60 };
        pthread_t t1, t2;

        pthread_create(&t1, NULL, poster_main, &p1);
        pthread_create(&t2, NULL, poster_main, &p2);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
    }
    printf("POST /api/v1/reports, NDJSON batches of 1000: %.0f reports/s stored\n",
           2.0 * devices / (now_s() - t0));
    if (serve) {
        /* right after the bulk load (the image still catching up with it), then again once
         * it has (the steady state) */
        freshness(bw_http_port(h), k1, k2, "96.1.2.3", "right after the bulk load");
        freshness(bw_http_port(h), k1, k2, "96.1.2.4", "steady state");
        printf("ready %u %s\n", bw_http_port(h), kb);
        fflush(stdout);
        wait_for_signal();
        bw_http_stop(h);
        unlink(db);
        unlink(keys);
        return 0;
    }
    dev_rate = run_load(bw_http_port(h), "device", NULL, devices, seconds, conns);
    dec_rate = run_load(bw_http_port(h), "decision", kb, devices, seconds, conns);
    freshness(bw_http_port(h), k1, k2, "96.1.2.3", "after the lookups");
    bw_http_stop(h);
    bd = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, 0, NULL, NULL, bare, NULL,
                          MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_END);
    bare_rate = run_load(MHD_get_daemon_info(bd, MHD_DAEMON_INFO_BIND_PORT)->port, "bare", NULL,
                         devices, seconds, conns);
    MHD_stop_daemon(bd);
    printf("ratio to bare libmicrohttpd: devices %.2f, decisions %.2f\n", dev_rate / bare_rate,
           dec_rate / bare_rate);
    unlink(db);
    unlink(keys);
    return 0;
}
