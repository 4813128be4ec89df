/*
 * bench/bench_dnsbl.c - how many DNSBL queries one CPU-second answers.
 *
 *   bench_dnsbl [wire] [SECONDS]
 *       The wire function alone (parse, lookup in a sorted 1,000,000-address array, answer),
 *       on 10,000 prepared queries (half listed, a quarter with EDNS0), in CPU time of this
 *       process: median of 5 runs.
 *   bench_dnsbl load HOST PORT PID SECONDS ZONE LISTFILE
 *       A UDP load generator for comparing servers: sends A queries for addresses of LISTFILE
 *       (one dotted quad a line; every other query is a random address instead) in batches of
 *       64 and reports answers per second and answers per CPU-second of the server PID (from
 *       /proc/PID/stat). Run it against rbldnsd and against botwatch dnsbl on the same list.
 */
#include "dnsbl/dnsbl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NQ 10000
#define NLIST 1000000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

struct list {
    uint32_t *v;
    size_t n;
};

static bool list_lookup(void *ctx, const struct bw_addr *a, bw_catmask *cats, int *score)
{
    const struct list *l = ctx;
    uint32_t k = (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 |
                 a->b[15];
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->v[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < l->n && l->v[lo] == k) {
        *cats = 1u << (k % BW_CAT_COUNT);
        *score = 60;
        return true;
    }
    return false;
}

static size_t build_query(uint8_t *q, uint16_t id, uint32_t addr, const char *zone, bool edns)
{
    char name[300];
    size_t n = 0;
    snprintf(name, sizeof(name), "%u.%u.%u.%u.%s", addr & 255, addr >> 8 & 255, addr >> 16 & 255,
             addr >> 24, zone);
    q[n++] = (uint8_t)(id >> 8);
    q[n++] = (uint8_t)id;
    q[n++] = 1;
    q[n++] = 0;
    q[n++] = 0;
    q[n++] = 1;
    memset(q + n, 0, 6);
    q[n + 5] = edns ? 1 : 0;
    n += 6;
    for (const char *p = name; *p != '\0';) {
        const char *dot = strchr(p, '.');
        size_t ll = dot != NULL ? (size_t)(dot - p) : strlen(p);
        q[n++] = (uint8_t)ll;
        memcpy(q + n, p, ll);
        n += ll;
        p += ll + (dot != NULL ? 1 : 0);
    }
    q[n++] = 0;
    q[n++] = 0;
    q[n++] = 1;
    q[n++] = 0;
    q[n++] = 1;
    if (edns) {
        static const uint8_t opt[11] = { 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0 };
        memcpy(q + n, opt, sizeof(opt));
        n += sizeof(opt);
    }
    return n;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int bench_wire(double seconds)
{
    struct list l = { bw_xcalloc(NLIST, sizeof(uint32_t)), NLIST };
    static uint8_t qs[NQ][128];
    static size_t ql[NQ];
    struct bw_dnsbl_config c;
    struct bw_dnsbl_zone z;
    struct bw_diag d;
    uint8_t out[BW_DNSBL_UDP_MAX];
    double runs[5];

    for (size_t i = 0; i < l.n; i++)
        l.v[i] = rnd();
    for (size_t i = 0; i < NQ; i++)
        ql[i] = build_query(qs[i], (uint16_t)i, i % 2 ? l.v[rnd() % l.n] : rnd(), BW_DNSBL_ZONE_DEFAULT,
                            i % 4 == 0);
    qsort(l.v, l.n, sizeof(uint32_t), cmp_u32);
    bw_dnsbl_config_default(&c);
    if (bw_dnsbl_zone_init(&z, &c, &d) != BW_OK)
        return 1;
    for (int r = 0; r < 5; r++) {
        uint64_t n = 0, bytes = 0;
        double t0 = cpu_s(), t;
        do {
            for (size_t i = 0; i < NQ; i++)
                bytes += bw_dnsbl_answer(&z, list_lookup, &l, qs[i], ql[i], out, sizeof(out),
                                         BW_DNSBL_UDP);
            n += NQ;
            t = cpu_s() - t0;
        } while (t < seconds);
        runs[r] = (double)n / t;
        if (bytes == 0)
            return 1;
    }
    qsort(runs, 5, sizeof(double), cmp_double);
    printf("wire: %.0f queries per CPU-second (median of 5; min %.0f, max %.0f; 1,000,000 "
           "listed, half the queries listed)\n",
           runs[2], runs[0], runs[4]);
    free(l.v);
    return 0;
}

static double proc_cpu_s(long pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return -1;
    unsigned long ut = 0, st = 0;
    /* after ")": state(3) ... utime is field 14, stime 15 */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_load(const char *host, int port, long pid, double seconds, const char *zone,
                      const char *list_path)
{
    enum { B = 64 };
    struct list l = { bw_xcalloc(NLIST * 10, sizeof(uint32_t)), 0 };
    char line[64];
    FILE *f = fopen(list_path, "r");
    if (f == NULL)
        return 1;
    while (l.n < NLIST * 10 && fgets(line, sizeof(line), f) != NULL) {
        struct in_addr ia;
        line[strcspn(line, "\r\n")] = '\0';
        if (inet_pton(AF_INET, line, &ia) == 1)
            l.v[l.n++] = ntohl(ia.s_addr);
    }
    fclose(f);
    if (l.n == 0)
        return 1;
    static uint8_t qs[NQ][128];
    static size_t ql[NQ];
    for (size_t i = 0; i < NQ; i++)
        ql[i] = build_query(qs[i], (uint16_t)i, i % 2 ? l.v[rnd() % l.n] : rnd(), zone, false);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        return 1;
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    struct mmsghdr sm[B], rm[B];
    struct iovec si[B], ri[B];
    static uint8_t rb[B][1500];
    uint64_t sent = 0, got = 0;
    size_t qi = 0;
    int outstanding = 0;
    /* keep WINDOW queries in flight, as dnsperf does, so the server sees full batches */
    const int WINDOW = 512;
    double c0 = proc_cpu_s(pid), t0 = mono_s(), t;
    do {
        if (outstanding < WINDOW) {
            int b = WINDOW - outstanding < B ? WINDOW - outstanding : B;
            memset(sm, 0, sizeof(sm));
            for (int i = 0; i < b; i++) {
                si[i].iov_base = qs[qi];
                si[i].iov_len = ql[qi];
                qi = (qi + 1) % NQ;
                sm[i].msg_hdr.msg_iov = &si[i];
                sm[i].msg_hdr.msg_iovlen = 1;
            }
            int k = sendmmsg(fd, sm, (unsigned)b, 0);
            if (k > 0) {
                sent += (uint64_t)k;
                outstanding += k;
            }
        }
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        if (poll(&pf, 1, outstanding >= WINDOW ? 50 : 0) <= 0) {
            if (outstanding >= WINDOW)
                outstanding = 0; /* lost in a full buffer: start a new window */
        } else {
            memset(rm, 0, sizeof(rm));
            for (int i = 0; i < B; i++) {
                ri[i].iov_base = rb[i];
                ri[i].iov_len = sizeof(rb[i]);
                rm[i].msg_hdr.msg_iov = &ri[i];
                rm[i].msg_hdr.msg_iovlen = 1;
            }
            int r = recvmmsg(fd, rm, B, MSG_DONTWAIT, NULL);
            if (r > 0) {
                got += (uint64_t)r;
                outstanding = outstanding > r ? outstanding - r : 0;
            }
        }
        t = mono_s() - t0;
    } while (t < seconds);
    double c1 = proc_cpu_s(pid);
    printf("load: sent %llu, answered %llu in %.2f s: %.0f answers/s; server CPU %.2f s: %.0f "
           "answers per server CPU-second\n",
           (unsigned long long)sent, (unsigned long long)got, t, (double)got / t, c1 - c0,
           c1 > c0 ? (double)got / (c1 - c0) : 0.0);
    close(fd);
    free(l.v);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 8 && strcmp(argv[1], "load") == 0)
        return bench_load(argv[2], (int)strtol(argv[3], NULL, 10), strtol(argv[4], NULL, 10), strtod(argv[5], NULL),
                          argv[6], argv[7]);
    double secs = 1.0;
    if (argc >= 3 && strcmp(argv[1], "wire") == 0)
        secs = strtod(argv[2], NULL);
    return bench_wire(secs);
}
