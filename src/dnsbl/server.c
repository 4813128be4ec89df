/*
 * dnsbl/server.c - the DNSBL on the network: UDP threads with SO_REUSEPORT sockets and
 * recvmmsg/sendmmsg batches, one TCP thread multiplexing length-prefixed connections.
 * Invariants:
 *  - Every buffer is allocated when a thread starts; serving a query allocates nothing.
 *  - UDP threads block in recvmmsg() with a 100 ms timeout and check the stop flag; the TCP
 *    thread polls its sockets and the stop pipe. Stopping sets the flag, writes the pipe once
 *    and joins every thread, so bw_dnsbl_server_stop() returns with nothing left running.
 *  - UDP answers go through the rate limiter, except to loopback clients unless asked; TCP
 *    ones do not (TCP cannot be spoofed, nor can a loopback source from outside).
 *  - A TCP connection holds at most one message in and one answer out; a peer that sends a
 *    length over BW_DNSBL_TCP_MAX or stays idle IDLE_MS is closed; at most MAX_CONNS at once.
 */
#include "dnsbl/dnsbl.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define UDP_IN_MAX 4096
#define MAX_CONNS 64
#define IDLE_MS 10000
#define STOP_CHECK_MS 100

struct bw_dnsbl_server;

struct udp_worker {
    struct bw_dnsbl_server *srv;
    int fd;
    pthread_t th;
    bool started;
};

struct bw_dnsbl_server {
    struct bw_dnsbl_zone zone;
    bw_dnsbl_lookup_fn fn;
    bw_dnsbl_lookup_batch_fn batch_fn;
    void *ctx;
    struct bw_rrl *rrl;
    bool rrl_loopback;
    unsigned n_udp;
    struct udp_worker udp[BW_DNSBL_THREADS_MAX];
    int tcp_fd;
    pthread_t tcp_th;
    bool tcp_started;
    int stop_pipe[2];
    uint16_t port;
    atomic_bool stopping;
    _Atomic uint64_t udp_queries, udp_answers, tcp_queries, tcp_answers, rrl_dropped,
        rrl_slipped;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sockaddr_to_addr(const struct sockaddr_storage *ss, struct bw_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        a->b[10] = 0xff;
        a->b[11] = 0xff;
        memcpy(a->b + 12, &s4->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        memcpy(a->b, &s6->sin6_addr, 16);
    }
}

static bool is_loopback(const struct bw_addr *a)
{
    static const uint8_t v6_lo[16] = { [15] = 1 };
    if (bw_addr_is_v4(a))
        return a->b[12] == 127;
    return memcmp(a->b, v6_lo, 16) == 0;
}

/* "ADDR:PORT" or "[IPv6]:PORT" into a socket address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *ss_len)
{
    const char *colon = strrchr(s, ':');
    const char *host = s;
    size_t host_len;
    char tmp[64];
    uint64_t port = 0;

    if (colon == NULL || colon[1] == '\0')
        return BW_EINVAL;
    host_len = (size_t)(colon - s);
    if (host_len >= 2 && s[0] == '[' && s[host_len - 1] == ']') {
        host++;
        host_len -= 2;
    }
    for (const char *p = colon + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || port > 65535)
            return BW_EINVAL;
        port = port * 10 + (uint64_t)(*p - '0');
    }
    if (port > 65535 || host_len == 0 || host_len >= sizeof(tmp))
        return BW_EINVAL;
    memcpy(tmp, host, host_len);
    tmp[host_len] = '\0';
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, tmp, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        *ss_len = sizeof(*s4);
        return BW_OK;
    }
    if (inet_pton(AF_INET6, tmp, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *ss_len = sizeof(*s6);
        return BW_OK;
    }
    return BW_EINVAL;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static int open_socket(const struct sockaddr_storage *ss, socklen_t len, int type)
{
    int one = 1;
    /* UDP sockets block (in recvmmsg, with a timeout); the TCP listener does not */
    int fd = socket(ss->ss_family, type | (type == SOCK_STREAM ? SOCK_NONBLOCK : 0) | SOCK_CLOEXEC,
                    0);

    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (type == SOCK_DGRAM && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
        bind(fd, (const struct sockaddr *)ss, len) != 0 ||
        (type == SOCK_STREAM && listen(fd, 128) != 0)) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* ---- UDP --------------------------------------------------------------------------------- */

/* One query's answer looked up in advance with the rest of its batch: the lookup the wire
 * function calls, for the address it was looked up for (anything else asks the real one). */
struct prelooked {
    const struct bw_dnsbl_server *srv;
    const struct bw_addr *a;       /* NULL: not looked up in advance */
    const struct bw_dnsbl_hit *hit;
};

static bool prelooked_lookup(void *ctx, const struct bw_addr *a, bw_catmask *cats, int *score)
{
    const struct prelooked *p = ctx;

    if (p->a == NULL || memcmp(p->a->b, a->b, sizeof(a->b)) != 0)
        return p->srv->fn(p->srv->ctx, a, cats, score);
    if (p->hit->listed) {
        *cats = p->hit->cats;
        *score = p->hit->score;
    }
    return p->hit->listed;
}

static void *udp_main(void *arg)
{
    struct udp_worker *wk = arg;
    struct bw_dnsbl_server *srv = wk->srv;
    uint8_t *in = bw_xmalloc((size_t)BATCH * UDP_IN_MAX);
    uint8_t *out = bw_xmalloc((size_t)BATCH * BW_DNSBL_UDP_MAX);
    struct mmsghdr rmsg[BATCH], smsg[BATCH];
    struct iovec riov[BATCH], siov[BATCH];
    struct sockaddr_storage peer[BATCH];
    struct bw_addr qa[BATCH];
    struct bw_dnsbl_hit hit[BATCH];
    int slot[BATCH];
    struct timeval tv = { .tv_usec = STOP_CHECK_MS * 1000 };

    /* A blocking receive with a timeout rather than poll(): one syscall less per batch, and
     * the stop flag is seen within STOP_CHECK_MS. */
    setsockopt(wk->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (!atomic_load_explicit(&srv->stopping, memory_order_relaxed)) {
        for (;;) {
            memset(rmsg, 0, sizeof(rmsg));
            for (int i = 0; i < BATCH; i++) {
                riov[i].iov_base = in + (size_t)i * UDP_IN_MAX;
                riov[i].iov_len = UDP_IN_MAX;
                rmsg[i].msg_hdr.msg_iov = &riov[i];
                rmsg[i].msg_hdr.msg_iovlen = 1;
                rmsg[i].msg_hdr.msg_name = &peer[i];
                rmsg[i].msg_hdr.msg_namelen = sizeof(peer[i]);
            }
            int n = recvmmsg(wk->fd, rmsg, BATCH, MSG_WAITFORONE, NULL);
            if (n <= 0)
                break;
            uint64_t t = srv->rrl != NULL ? now_ms() : 0;
            int ns = 0;
            size_t nq = 0;
            /* The whole batch's lookups first, in one call (see bw_dnsbl_lookup_batch_fn). */
            for (int i = 0; i < n && srv->batch_fn != NULL; i++) {
                slot[i] = -1;
                if (!(rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) &&
                    bw_dnsbl_query_addr(&srv->zone, riov[i].iov_base, rmsg[i].msg_len,
                                        &qa[nq]) == BW_OK)
                    slot[i] = (int)nq++;
            }
            if (nq > 0)
                srv->batch_fn(srv->ctx, nq, qa, hit);
            for (int i = 0; i < n; i++) {
                uint8_t *o = out + (size_t)i * BW_DNSBL_UDP_MAX;
                /* a datagram over UDP_IN_MAX arrives cut: no query is that long, drop it */
                if (rmsg[i].msg_hdr.msg_flags & MSG_TRUNC)
                    continue;
                struct prelooked pl = { srv, NULL, NULL };
                if (srv->batch_fn != NULL && slot[i] >= 0) {
                    pl.a = &qa[slot[i]];
                    pl.hit = &hit[slot[i]];
                }
                size_t len = bw_dnsbl_answer(&srv->zone, prelooked_lookup, &pl, riov[i].iov_base,
                                             rmsg[i].msg_len, o, BW_DNSBL_UDP_MAX, BW_DNSBL_UDP);
                if (len == 0)
                    continue;
                struct bw_addr client;
                sockaddr_to_addr(&peer[i], &client);
                if (srv->rrl != NULL && (srv->rrl_loopback || !is_loopback(&client))) {
                    enum bw_rrl_action act = bw_rrl_check(srv->rrl, &client, t);
                    if (act == BW_RRL_DROP) {
                        atomic_fetch_add_explicit(&srv->rrl_dropped, 1, memory_order_relaxed);
                        continue;
                    }
                    if (act == BW_RRL_SLIP) {
                        atomic_fetch_add_explicit(&srv->rrl_slipped, 1, memory_order_relaxed);
                        len = bw_dnsbl_truncate(o, len);
                        if (len == 0)
                            continue;
                    }
                }
                siov[ns].iov_base = o;
                siov[ns].iov_len = len;
                memset(&smsg[ns], 0, sizeof(smsg[ns]));
                smsg[ns].msg_hdr.msg_iov = &siov[ns];
                smsg[ns].msg_hdr.msg_iovlen = 1;
                smsg[ns].msg_hdr.msg_name = &peer[i];
                smsg[ns].msg_hdr.msg_namelen = rmsg[i].msg_hdr.msg_namelen;
                ns++;
            }
            atomic_fetch_add_explicit(&srv->udp_queries, (uint64_t)n, memory_order_relaxed);
            int sent = 0;
            while (sent < ns) {
                int k = sendmmsg(wk->fd, smsg + sent, (unsigned)(ns - sent), 0);
                if (k < 0) {
                    if (errno == EINTR)
                        continue;
                    /* one unreachable peer must not cost the others their answers */
                    sent++;
                    continue;
                }
                sent += k;
                atomic_fetch_add_explicit(&srv->udp_answers, (uint64_t)k, memory_order_relaxed);
            }
            if (atomic_load_explicit(&srv->stopping, memory_order_relaxed))
                break;
        }
    }
    free(in);
    free(out);
    return NULL;
}

/* ---- TCP --------------------------------------------------------------------------------- */

struct conn {
    int fd;                              /* -1 = free */
    uint64_t last_ms;
    size_t in_len;                       /* bytes in in[] */
    size_t out_len, out_off;             /* pending answer */
    uint8_t in[2 + BW_DNSBL_TCP_MAX];
    uint8_t out[2 + BW_DNSBL_TCP_MAX];
};

static void conn_close(struct conn *c)
{
    close(c->fd);
    c->fd = -1;
}

/* Flushes what is pending, then answers buffered queries one at a time. False = close. */
static bool conn_progress(struct bw_dnsbl_server *srv, struct conn *c)
{
    for (;;) {
        while (c->out_off < c->out_len) {
            ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (k < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
            c->out_off += (size_t)k;
        }
        c->out_len = c->out_off = 0;
        if (c->in_len < 2)
            return true;
        size_t mlen = (size_t)c->in[0] << 8 | c->in[1];
        if (mlen == 0 || mlen > BW_DNSBL_TCP_MAX)
            return false;
        if (c->in_len < 2 + mlen)
            return true;
        atomic_fetch_add_explicit(&srv->tcp_queries, 1, memory_order_relaxed);
        size_t len = bw_dnsbl_answer(&srv->zone, srv->fn, srv->ctx, c->in + 2, mlen, c->out + 2,
                                     BW_DNSBL_TCP_MAX, BW_DNSBL_TCP);
        memmove(c->in, c->in + 2 + mlen, c->in_len - 2 - mlen);
        c->in_len -= 2 + mlen;
        if (len == 0)
            return false; /* nothing to say to this peer: RFC 7766 lets us close */
        c->out[0] = (uint8_t)(len >> 8);
        c->out[1] = (uint8_t)len;
        c->out_len = len + 2;
        atomic_fetch_add_explicit(&srv->tcp_answers, 1, memory_order_relaxed);
    }
}

static void *tcp_main(void *arg)
{
    struct bw_dnsbl_server *srv = arg;
    struct conn *conns = bw_xcalloc(MAX_CONNS, sizeof(*conns));
    struct pollfd pfd[2 + MAX_CONNS];
    int idx[2 + MAX_CONNS];

    for (int i = 0; i < MAX_CONNS; i++)
        conns[i].fd = -1;
    for (;;) {
        int n = 0, n_open = 0;
        pfd[n++] = (struct pollfd){ .fd = srv->stop_pipe[0], .events = POLLIN };
        for (int i = 0; i < MAX_CONNS; i++) {
            if (conns[i].fd < 0)
                continue;
            n_open++;
            idx[n] = i;
            pfd[n++] = (struct pollfd){ .fd = conns[i].fd,
                                        .events = conns[i].out_len > 0 ? POLLOUT : POLLIN };
        }
        int lpos = -1;
        if (n_open < MAX_CONNS) {
            lpos = n;
            pfd[n++] = (struct pollfd){ .fd = srv->tcp_fd, .events = POLLIN };
        }
        if (poll(pfd, (nfds_t)n, 1000) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[0].revents != 0)
            break;
        uint64_t t = now_ms();
        for (int k = 1; k < n; k++) {
            if (k == lpos)
                continue;
            struct conn *c = &conns[idx[k]];
            if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t got = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
                                   MSG_DONTWAIT);
                if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
                    conn_close(c);
                    continue;
                }
                if (got > 0) {
                    c->in_len += (size_t)got;
                    c->last_ms = t;
                }
            }
            if (pfd[k].revents & (POLLIN | POLLOUT)) {
                if (!conn_progress(srv, c)) {
                    conn_close(c);
                    continue;
                }
            }
            if (t - c->last_ms > IDLE_MS)
                conn_close(c);
        }
        if (lpos >= 0 && (pfd[lpos].revents & POLLIN)) {
            for (int i = 0; i < MAX_CONNS; i++) {
                if (conns[i].fd >= 0)
                    continue;
                int fd = accept4(srv->tcp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                    break;
                conns[i].fd = fd;
                conns[i].in_len = conns[i].out_len = conns[i].out_off = 0;
                conns[i].last_ms = t;
            }
        }
    }
    for (int i = 0; i < MAX_CONNS; i++) {
        if (conns[i].fd >= 0)
            conn_close(&conns[i]);
    }
    free(conns);
    return NULL;
}

/* ---- start and stop ---------------------------------------------------------------------- */

/* One thread per CPU this process may run on: more threads than CPUs only take turns. */
static unsigned default_threads(void)
{
    cpu_set_t set;
    long n = 0;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n < 1)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > BW_DNSBL_THREADS_MAX ? BW_DNSBL_THREADS_MAX : (unsigned)n;
}

/* Binds the UDP sockets and the TCP one on one port; with port 0 the kernel picks the UDP port,
 * which may be taken on TCP: then try another, a few times. */
static int bind_all(struct bw_dnsbl_server *s, struct sockaddr_storage *ss, socklen_t len,
                    unsigned threads, struct bw_diag *d)
{
    bool any_port = (ss->ss_family == AF_INET ? ((struct sockaddr_in *)ss)->sin_port
                                              : ((struct sockaddr_in6 *)ss)->sin6_port) == 0;
    int rc = 0;

    for (int attempt = 0; attempt < (any_port ? 20 : 1); attempt++) {
        if (any_port)
            set_port(ss, 0);
        s->n_udp = 0;
        s->tcp_fd = -1;
        for (unsigned i = 0; i < threads; i++) {
            int fd = open_socket(ss, len, SOCK_DGRAM);
            if (fd < 0) {
                rc = fd;
                goto fail;
            }
            s->udp[s->n_udp++].fd = fd;
            if (i == 0) {
                struct sockaddr_storage got;
                socklen_t gl = sizeof(got);
                if (getsockname(fd, (struct sockaddr *)&got, &gl) != 0) {
                    rc = -errno;
                    goto fail;
                }
                s->port = ntohs(got.ss_family == AF_INET ? ((struct sockaddr_in *)&got)->sin_port
                                                         : ((struct sockaddr_in6 *)&got)->sin6_port);
                set_port(ss, s->port);
            }
        }
        s->tcp_fd = open_socket(ss, len, SOCK_STREAM);
        if (s->tcp_fd >= 0)
            return BW_OK;
        rc = s->tcp_fd;
    fail:
        for (unsigned i = 0; i < s->n_udp; i++)
            close(s->udp[i].fd);
        s->n_udp = 0;
        s->tcp_fd = -1;
        if (rc != -EADDRINUSE)
            break;
    }
    bw_diag_set(d, "cannot listen on port %u (%s)", (unsigned)s->port, bw_strerror(rc));
    return rc;
}

int bw_dnsbl_server_start(struct bw_dnsbl_server **out, const struct bw_dnsbl_config *c,
                          bw_dnsbl_lookup_fn fn, void *ctx, struct bw_diag *d)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int rc;
    const char *listen_s = c->listen != NULL ? c->listen : BW_DNSBL_LISTEN_DEFAULT;

    if (parse_listen(listen_s, &ss, &len) != BW_OK) {
        bw_diag_set(d, "listen address '%s' is not ADDR:PORT", listen_s);
        return BW_EINVAL;
    }
    struct bw_dnsbl_server *s = bw_xcalloc(1, sizeof(*s));
    s->fn = fn;
    s->batch_fn = c->lookup_batch;
    s->ctx = ctx;
    s->tcp_fd = -1;
    s->stop_pipe[0] = s->stop_pipe[1] = -1;
    rc = bw_dnsbl_zone_init(&s->zone, c, d);
    if (rc != BW_OK) {
        free(s);
        return rc;
    }
    unsigned threads = c->threads != 0 ? c->threads : default_threads();
    if (threads > BW_DNSBL_THREADS_MAX)
        threads = BW_DNSBL_THREADS_MAX;
    if (pipe2(s->stop_pipe, O_CLOEXEC) != 0) {
        rc = -errno;
        bw_diag_set(d, "pipe: %s", bw_strerror(rc));
        free(s);
        return rc;
    }
    rc = bind_all(s, &ss, len, threads, d);
    if (rc != BW_OK) {
        close(s->stop_pipe[0]);
        close(s->stop_pipe[1]);
        free(s);
        return rc;
    }
    s->rrl = bw_rrl_new(c->rrl_rate, c->rrl_burst, c->rrl_slip, 65536);
    s->rrl_loopback = c->rrl_loopback;
    for (unsigned i = 0; i < s->n_udp; i++) {
        s->udp[i].srv = s;
        if (pthread_create(&s->udp[i].th, NULL, udp_main, &s->udp[i]) != 0) {
            bw_diag_set(d, "cannot start UDP thread %u", i);
            bw_dnsbl_server_stop(s);
            return BW_ENOMEM;
        }
        s->udp[i].started = true;
    }
    if (pthread_create(&s->tcp_th, NULL, tcp_main, s) != 0) {
        bw_diag_set(d, "cannot start the TCP thread");
        bw_dnsbl_server_stop(s);
        return BW_ENOMEM;
    }
    s->tcp_started = true;
    *out = s;
    return BW_OK;
}

uint16_t bw_dnsbl_server_port(const struct bw_dnsbl_server *s)
{
    return s->port;
}

void bw_dnsbl_server_stats(const struct bw_dnsbl_server *s, struct bw_dnsbl_stats *out)
{
    out->udp_queries = atomic_load(&s->udp_queries);
    out->udp_answers = atomic_load(&s->udp_answers);
    out->tcp_queries = atomic_load(&s->tcp_queries);
    out->tcp_answers = atomic_load(&s->tcp_answers);
    out->rrl_dropped = atomic_load(&s->rrl_dropped);
    out->rrl_slipped = atomic_load(&s->rrl_slipped);
}

void bw_dnsbl_server_stop(struct bw_dnsbl_server *s)
{
    if (s == NULL)
        return;
    /* UDP threads see the flag within STOP_CHECK_MS; one byte on the pipe wakes the TCP
     * thread's poll() for good (nobody reads it) */
    atomic_store(&s->stopping, true);
    ssize_t k;
    do {
        k = write(s->stop_pipe[1], "x", 1);
    } while (k < 0 && errno == EINTR);
    for (unsigned i = 0; i < s->n_udp; i++) {
        if (s->udp[i].started)
            pthread_join(s->udp[i].th, NULL);
        close(s->udp[i].fd);
    }
    if (s->tcp_started)
        pthread_join(s->tcp_th, NULL);
    if (s->tcp_fd >= 0)
        close(s->tcp_fd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    bw_rrl_free(s->rrl);
    free(s);
}

int bw_dnsbl_serve(const struct bw_dnsbl_config *c, bw_dnsbl_lookup_fn fn, void *ctx,
                   volatile int *stop, struct bw_diag *d)
{
    struct bw_dnsbl_server *s;
    int rc = bw_dnsbl_server_start(&s, c, fn, ctx, d);

    if (rc != BW_OK)
        return rc;
    bw_log_info("dnsbl: serving zone %s on %s (port %u)", c->zone != NULL ? c->zone : BW_DNSBL_ZONE_DEFAULT,
                c->listen != NULL ? c->listen : BW_DNSBL_LISTEN_DEFAULT, (unsigned)s->port);
    while (!*stop)
        poll(NULL, 0, 100);
    bw_dnsbl_server_stop(s);
    return BW_OK;
}
