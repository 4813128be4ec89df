/*
 * tests/unit/dnsbl/test_server.c - the DNSBL on real sockets (127.0.0.1, ephemeral port):
 * the real dig over UDP and TCP, raw packets (garbage, pipelined TCP, rate limiting), and a
 * differential test against Debian's real rbldnsd serving the same 2,000 addresses, compared
 * on 10,000 addresses listed and not.
 */
#include "test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dnsbl/dnsbl.h"
#include "dnsbl_testutil.h"

/* ---- the set both servers serve ---------------------------------------------------------- */

struct set {
    uint32_t *v;
    size_t n;
};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static bool set_lookup(void *ctx, const struct bw_addr *a, bw_catmask *cats, int *score)
{
    struct set *s = ctx;
    struct bw_addr y;
    if (bw_addr_parse(&y, "81.2.69.142", 11) == BW_OK && bw_addr_cmp(a, &y) == 0) {
        *cats = 1u << BW_CAT_BRUTEFORCE;
        *score = 70;
        return true;
    }
    if (!bw_addr_is_v4(a)) {
        struct bw_addr v6;
        if (bw_addr_parse(&v6, "2a02:cf40:0:1::17", 17) == BW_OK && bw_addr_cmp(a, &v6) == 0) {
            *cats = 1u << BW_CAT_SCAN;
            *score = 50;
            return true;
        }
        return false;
    }
    uint32_t k = (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 |
                 a->b[15];
    if (s == NULL || bsearch(&k, s->v, s->n, sizeof(k), cmp_u32) == NULL)
        return false;
    *cats = 0; /* the generic code only, as rbldnsd's ":127.0.0.2:" line */
    *score = 50;
    return true;
}

/* The batch form the UDP threads call once per received batch (cmd_dnsbl.c gives one over the
 * index): every test below goes through it; batch_calls proves it was used. */
static _Atomic unsigned long batch_calls;

static void set_lookup_batch(void *ctx, size_t n, const struct bw_addr *a,
                             struct bw_dnsbl_hit *out)
{
    batch_calls++;
    for (size_t i = 0; i < n; i++) {
        out[i].cats = 0;
        out[i].score = 0;
        out[i].listed = set_lookup(ctx, &a[i], &out[i].cats, &out[i].score);
    }
}

static struct bw_dnsbl_server *start(const char *zone, struct set *s, uint32_t rrl_rate)
{
    struct bw_dnsbl_config c;
    struct bw_dnsbl_server *srv = NULL;
    struct bw_diag d;
    bw_dnsbl_config_default(&c);
    c.listen = "127.0.0.1:0";
    c.threads = 2;
    c.rrl_rate = rrl_rate;
    c.rrl_burst = 2;
    c.rrl_slip = 2;
    c.rrl_loopback = true; /* the test client is on loopback */
    c.lookup_batch = set_lookup_batch;
    if (zone != NULL)
        c.zone = zone;
    assert_int_equal(bw_dnsbl_server_start(&srv, &c, set_lookup, s, &d), BW_OK);
    assert_true(bw_dnsbl_server_port(srv) != 0);
    return srv;
}

/* Runs dig and returns its output (static buffer). */
static const char *dig(uint16_t port, const char *args)
{
    static char out[8192];
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "dig @127.0.0.1 -p %u +time=2 +tries=1 %s 2>&1", port, args);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    pclose(f);
    return out;
}

#define Z ".bl.botwatch.local"
#define V6_2 "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
#define V6_1 "1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
#define V6_Y "7.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.4.f.c.2.0.a.2"

static void dig_sees_rfc5782_answers(void **state)
{
    struct bw_dnsbl_server *srv = start(NULL, NULL, 0);
    uint16_t p = bw_dnsbl_server_port(srv);
    (void)state;
    assert_string_equal(dig(p, "+short 2.0.0.127" Z " A"), "127.0.0.2\n");
    assert_non_null(strstr(dig(p, "1.0.0.127" Z " A"), "status: NXDOMAIN"));
    assert_string_equal(dig(p, "+short " V6_2 Z " A"), "127.0.0.2\n");
    assert_non_null(strstr(dig(p, V6_1 Z " A"), "status: NXDOMAIN"));
    assert_string_equal(dig(p, "+short 142.69.2.81" Z " A"), "127.0.0.2\n127.0.1.2\n");
    assert_string_equal(dig(p, "+short " V6_Y Z " A"), "127.0.0.2\n127.0.1.1\n");
    assert_string_equal(dig(p, "+short 142.69.2.81" Z " TXT"),
                        "\"listed: bruteforce; score 70; " BW_DNSBL_URL_DEFAULT "81.2.69.142\"\n");
    const char *nx = dig(p, "142.69.2.82" Z " A");
    assert_non_null(strstr(nx, "status: NXDOMAIN"));
    assert_non_null(strstr(nx, "flags: qr aa rd;"));
    assert_non_null(strstr(nx, "bl.botwatch.local.\t60\tIN\tSOA\tns.bl.botwatch.local. "
                               "hostmaster.bl.botwatch.local."));
    const char *soa = dig(p, "+short bl.botwatch.local SOA");
    assert_non_null(strstr(soa, "ns.bl.botwatch.local. hostmaster.bl.botwatch.local. "));
    assert_string_equal(dig(p, "+short bl.botwatch.local NS"), "ns.bl.botwatch.local.\n");
    assert_non_null(strstr(dig(p, "www.example.com A"), "status: REFUSED"));
    assert_non_null(strstr(dig(p, "+noedns 2.0.0.127" Z " A"), "status: NOERROR"));
    /* dig sends EDNS0 by default: the OPT comes back */
    assert_non_null(strstr(dig(p, "2.0.0.127" Z " A"), "; EDNS: version: 0, flags:; udp: 1232"));
    assert_string_equal(dig(p, "+short 142.69.2.81" Z " AAAA"), "");
    assert_non_null(strstr(dig(p, "142.69.2.81" Z " AAAA"), "status: NOERROR"));
    assert_non_null(strstr(dig(p, "-c CH version.bind TXT"), "status: REFUSED"));
    assert_non_null(strstr(dig(p, "+opcode=notify 2.0.0.127" Z " A"), "status: NOTIMP"));
    assert_non_null(strstr(dig(p, "+edns=1 2.0.0.127" Z " A"), ";; BADVERS, retrying with EDNS version 0."));
    /* TCP */
    assert_string_equal(dig(p, "+tcp +short 142.69.2.81" Z " A"), "127.0.0.2\n127.0.1.2\n");
    assert_string_equal(dig(p, "+tcp +short bl.botwatch.local NS"), "ns.bl.botwatch.local.\n");
    bw_dnsbl_server_stop(srv);
}

static int udp_client(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct timeval tv = { .tv_sec = 2 };
    assert_true(fd >= 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    return fd;
}

static struct sockaddr_in to(uint16_t port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

/* Sends q and waits (bounded by SO_RCVTIMEO) for the answer with the same ID. */
static ssize_t udp_ask(int fd, uint16_t port, const uint8_t *q, size_t ql, uint8_t *out, size_t cap)
{
    struct sockaddr_in sa = to(port);
    assert_int_equal(sendto(fd, q, ql, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)ql);
    for (;;) {
        ssize_t n = recv(fd, out, cap, 0);
        if (n < 0)
            return n;
        if (n >= 2 && out[0] == q[0] && out[1] == q[1])
            return n;
    }
}

static void garbage_does_not_kill_it_and_tcp_pipelines(void **state)
{
    struct bw_dnsbl_server *srv = start(NULL, NULL, 0);
    uint16_t p = bw_dnsbl_server_port(srv);
    int fd = udp_client();
    struct sockaddr_in sa = to(p);
    uint8_t junk[600], out[1500], q[512];
    struct tr_msg t;
    (void)state;
    /* the acceptance script's garbage, plus random bytes */
    static const uint8_t loop[] = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1 };
    assert_true(sendto(fd, "", 0, 0, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    memset(junk, 0xff, sizeof(junk));
    assert_true(sendto(fd, junk, 512, 0, (struct sockaddr *)&sa, sizeof(sa)) == 512);
    srand(7);
    /* from another socket: the answers to the garbage would fill this one's buffer; in chunks
     * of 100, each followed by a real query, so the server's receive buffer never overflows
     * (a dropped probe would be the kernel's doing, not the server's) */
    int gfd = udp_client();
    for (int i = 0; i < 2000; i++) {
        for (size_t k = 0; k < sizeof(junk); k++)
            junk[k] = (uint8_t)rand();
        junk[2] &= 0x7f; /* queries, so some get an answer */
        (void)sendto(gfd, junk, (size_t)(rand() % (int)sizeof(junk)), 0, (struct sockaddr *)&sa,
                     sizeof(sa));
        if (i % 100 == 99) {
            size_t pl = tq_build(q, (uint16_t)(0x7000 + i), "bl.botwatch.local", 6, 1, 0);
            assert_true(udp_ask(fd, p, q, pl, out, sizeof(out)) > 0);
        }
    }
    close(gfd);
    ssize_t n = udp_ask(fd, p, loop, sizeof(loop), out, sizeof(out));
    assert_int_equal(n, 12);
    assert_int_equal(out[3] & 0xf, 1); /* FORMERR, header only */
    size_t ql = tq_build(q, 0x5151, "bl.botwatch.local", 6, 1, 0);
    n = udp_ask(fd, p, q, ql, out, sizeof(out));
    assert_true(n > 0);
    assert_true(tr_parse(out, (size_t)n, &t));
    assert_int_equal(t.an, 1);
    close(fd);

    /* TCP: two queries in one write, answered in order; then a length over the cap closes */
    int tfd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = { .tv_sec = 2 };
    assert_int_equal(setsockopt(tfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    assert_int_equal(connect(tfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    uint8_t two[600];
    size_t l1 = tq_build(two + 2, 1, "2.0.0.127" Z, 1, 1, 0);
    two[0] = 0;
    two[1] = (uint8_t)l1;
    size_t l2 = tq_build(two + 4 + l1, 2, "1.0.0.127" Z, 1, 1, 0);
    two[2 + l1] = 0;
    two[3 + l1] = (uint8_t)l2;
    assert_int_equal(send(tfd, two, 4 + l1 + l2, 0), (ssize_t)(4 + l1 + l2));
    size_t got = 0;
    uint8_t buf[2048];
    /* read until both length-prefixed answers are in */
    for (;;) {
        ssize_t k = recv(tfd, buf + got, sizeof(buf) - got, 0);
        assert_true(k > 0);
        got += (size_t)k;
        if (got >= 2) {
            size_t m1 = (size_t)buf[0] << 8 | buf[1];
            if (got >= 2 + m1 + 2 && got >= 2 + m1 + 2 + ((size_t)buf[2 + m1] << 8 | buf[3 + m1]))
                break;
        }
    }
    size_t m1 = (size_t)buf[0] << 8 | buf[1];
    assert_true(tr_parse(buf + 2, m1, &t));
    assert_int_equal(t.id, 1);
    assert_int_equal(t.rcode, 0);
    size_t m2 = (size_t)buf[2 + m1] << 8 | buf[3 + m1];
    assert_true(tr_parse(buf + 4 + m1, m2, &t));
    assert_int_equal(t.id, 2);
    assert_int_equal(t.rcode, 3);
    uint8_t huge[2] = { 0xff, 0xff };
    assert_int_equal(send(tfd, huge, 2, 0), 2);
    assert_int_equal(recv(tfd, buf, sizeof(buf), 0), 0); /* closed by the server */
    close(tfd);
    bw_dnsbl_server_stop(srv);
}

/* An IPv6 listen address, asked by dig over IPv6 (UDP and TCP). Skipped where ::1 is absent. */
static void listens_on_ipv6(void **state)
{
    struct bw_dnsbl_config c;
    struct bw_dnsbl_server *srv;
    struct bw_diag d;
    char args[256];
    (void)state;
    bw_dnsbl_config_default(&c);
    c.listen = "[::1]:0";
    c.threads = 1;
    if (bw_dnsbl_server_start(&srv, &c, set_lookup, NULL, &d) != BW_OK) {
        fprintf(stderr, "no IPv6 loopback here (%s): skipped\n", d.msg);
        skip();
    }
    snprintf(args, sizeof(args), "dig @::1 -p %u +time=2 +tries=1 +short " V6_Y Z " A 2>&1",
             (unsigned)bw_dnsbl_server_port(srv));
    FILE *f = popen(args, "r");
    char out[256];
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    pclose(f);
    assert_string_equal(out, "127.0.0.2\n127.0.1.1\n");
    snprintf(args, sizeof(args), "dig @::1 -p %u +tcp +time=2 +tries=1 +short bl.botwatch.local NS 2>&1",
             (unsigned)bw_dnsbl_server_port(srv));
    f = popen(args, "r");
    n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    pclose(f);
    assert_string_equal(out, "ns.bl.botwatch.local.\n");
    bw_dnsbl_server_stop(srv);
}

/* By default loopback clients are not limited: 200 queries at a 1/s rate all get answers. */
static void loopback_is_exempt_by_default(void **state)
{
    struct bw_dnsbl_config c;
    struct bw_dnsbl_server *srv;
    struct bw_diag d;
    uint8_t q[512], out[1500];
    (void)state;
    bw_dnsbl_config_default(&c);
    c.listen = "127.0.0.1:0";
    c.threads = 1;
    c.rrl_rate = 1;
    c.rrl_burst = 1;
    assert_int_equal(bw_dnsbl_server_start(&srv, &c, set_lookup, NULL, &d), BW_OK);
    int fd = udp_client();
    for (int i = 0; i < 200; i++) {
        size_t ql = tq_build(q, (uint16_t)i, "2.0.0.127" Z, 1, 1, 0);
        ssize_t n = udp_ask(fd, bw_dnsbl_server_port(srv), q, ql, out, sizeof(out));
        assert_true(n > (ssize_t)ql);
        assert_false(out[2] & 0x02);
    }
    close(fd);
    bw_dnsbl_server_stop(srv);
}

static void rate_limit_drops_and_slips(void **state)
{
    struct bw_dnsbl_server *srv = start(NULL, NULL, 1); /* 1/s, burst 2, slip 2 */
    uint16_t p = bw_dnsbl_server_port(srv);
    int fd = udp_client();
    struct sockaddr_in sa = to(p);
    uint8_t q[512], out[1500];
    struct bw_dnsbl_stats st;
    (void)state;
    size_t ql = tq_build(q, 9, "2.0.0.127" Z, 255, 1, 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(sendto(fd, q, ql, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)ql);
    /* wait (bounded) until the server has seen all 20 and sent what it sends */
    for (int i = 0; i < 2000; i++) {
        bw_dnsbl_server_stats(srv, &st);
        if (st.udp_queries == 20 && st.udp_answers + st.rrl_dropped == 20)
            break;
        poll(NULL, 0, 1);
    }
    assert_int_equal(st.udp_queries, 20);
    assert_int_equal(st.udp_answers + st.rrl_dropped, 20);
    int full = 0, truncated = 0;
    for (uint64_t i = 0; i < st.udp_answers; i++) {
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        assert_int_equal(poll(&pf, 1, 2000), 1);
        ssize_t n = recv(fd, out, sizeof(out), 0);
        assert_true(n >= 12);
        if (out[2] & 0x02) {
            truncated++;
            assert_true((size_t)n <= ql); /* a slip is never larger than the query */
        } else {
            full++;
        }
    }
    bw_dnsbl_server_stats(srv, &st);
    /* at most burst (+1 for a refill during the run) full answers; half the rest slip */
    assert_true(full >= 2 && full <= 3);
    assert_true(truncated >= 7 && truncated <= 9);
    assert_int_equal(st.rrl_dropped + st.rrl_slipped + (uint64_t)full, 20);
    close(fd);
    bw_dnsbl_server_stop(srv);
}

/* ---- the differential test against rbldnsd ----------------------------------------------- */

static uint32_t rnd32(void)
{
    return (uint32_t)rand() << 16 ^ (uint32_t)rand();
}

static uint32_t rnd_addr(void)
{
    for (;;) {
        uint32_t a = rnd32();
        uint8_t hi = (uint8_t)(a >> 24);
        if (hi != 127 && hi != 0) /* 127/8 holds the RFC 5782 points only we know */
            return a;
    }
}

static uint16_t free_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = to(0);
    socklen_t l = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &l), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* The answer reduced to what both must agree on: rcode and the sorted A addresses. */
static void summarise(const uint8_t *m, size_t n, char *out, size_t cap)
{
    struct tr_msg t;
    char a[16];
    if (!tr_parse(m, n, &t)) {
        snprintf(out, cap, "unparsable");
        return;
    }
    uint32_t v[32];
    int k = 0;
    for (int i = 0; i < t.n_rr && i < (int)t.an; i++) {
        if (t.rr[i].type == 1 && t.rr[i].rdlen == 4)
            v[k++] = (uint32_t)t.rr[i].rdata[0] << 24 | (uint32_t)t.rr[i].rdata[1] << 16 |
                     (uint32_t)t.rr[i].rdata[2] << 8 | t.rr[i].rdata[3];
    }
    qsort(v, (size_t)k, sizeof(v[0]), cmp_u32);
    size_t o = (size_t)snprintf(out, cap, "rcode=%u", t.rcode);
    for (int i = 0; i < k && o < cap; i++) {
        uint8_t b[4] = { (uint8_t)(v[i] >> 24), (uint8_t)(v[i] >> 16), (uint8_t)(v[i] >> 8),
                         (uint8_t)v[i] };
        struct tr_rr rr = { .rdata = b };
        tr_a_text(&rr, a);
        o += (size_t)snprintf(out + o, cap - o, " %s", a);
    }
}

static void same_a_answers_as_rbldnsd(void **state)
{
    char dir[] = "/tmp/bw-rbldnsd-XXXXXX", path[256], name[128];
    struct set s;
    (void)state;
    if (access("/usr/sbin/rbldnsd", X_OK) != 0) {
        fprintf(stderr, "rbldnsd is not installed (apt-get install rbldnsd)\n");
        fail();
    }
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0755), 0); /* rbldnsd drops root to user rbldns */
    srand(20261126);
    s.n = 2000;
    s.v = calloc(s.n, sizeof(uint32_t));
    snprintf(path, sizeof(path), "%s/zone", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, ":127.0.0.2:\n");
    for (size_t i = 0; i < s.n; i++) {
        s.v[i] = rnd_addr();
        fprintf(f, "%u.%u.%u.%u\n", s.v[i] >> 24, s.v[i] >> 16 & 255, s.v[i] >> 8 & 255,
                s.v[i] & 255);
    }
    fclose(f);
    assert_int_equal(chmod(path, 0644), 0);
    qsort(s.v, s.n, sizeof(uint32_t), cmp_u32);

    uint16_t rp = free_udp_port();
    char bind_arg[64];
    snprintf(bind_arg, sizeof(bind_arg), "127.0.0.1/%u", rp);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        execl("/usr/sbin/rbldnsd", "rbldnsd", "-n", "-b", bind_arg, "-w", dir,
              "bl.example:ip4set:zone", (char *)NULL);
        _exit(127);
    }
    struct bw_dnsbl_server *srv = start("bl.example", &s, 0);
    uint16_t op = bw_dnsbl_server_port(srv);
    unsigned long batches_before = batch_calls;
    int fd = udp_client();
    uint8_t q[512], a1[1500], a2[1500];
    char s1[512], s2[512];

    /* rbldnsd is up when the listed test address answers (bounded: 10 s) */
    uint32_t first = s.v[0];
    snprintf(name, sizeof(name), "%u.%u.%u.%u.bl.example", first & 255, first >> 8 & 255,
             first >> 16 & 255, first >> 24);
    size_t ql = tq_build(q, 1, name, 1, 1, 0);
    struct timeval tv = { .tv_usec = 100000 };
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    bool up = false;
    for (int i = 0; i < 100 && !up; i++) {
        ssize_t n = udp_ask(fd, rp, q, ql, a1, sizeof(a1));
        if (n > 0) {
            summarise(a1, (size_t)n, s1, sizeof(s1));
            up = strcmp(s1, "rcode=0 127.0.0.2") == 0;
        }
    }
    assert_true(up);
    tv.tv_sec = 2;
    tv.tv_usec = 0;
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);

    int differ = 0, listed = 0;
    for (int i = 0; i < 10000; i++) {
        uint32_t a = (i % 2 == 0) ? s.v[(size_t)rand() % s.n] : rnd_addr();
        snprintf(name, sizeof(name), "%u.%u.%u.%u.bl.example", a & 255, a >> 8 & 255,
                 a >> 16 & 255, a >> 24);
        ql = tq_build(q, (uint16_t)i, name, 1, 1, 0);
        ssize_t n1 = udp_ask(fd, op, q, ql, a1, sizeof(a1));
        ssize_t n2 = udp_ask(fd, rp, q, ql, a2, sizeof(a2));
        assert_true(n1 > 0 && n2 > 0);
        summarise(a1, (size_t)n1, s1, sizeof(s1));
        summarise(a2, (size_t)n2, s2, sizeof(s2));
        if (strcmp(s1, s2) != 0) {
            if (differ < 5)
                fprintf(stderr, "%s: ours '%s', rbldnsd '%s'\n", name, s1, s2);
            differ++;
        }
        if (strstr(s1, "127.0.0.2") != NULL)
            listed++;
    }
    close(fd);
    bw_dnsbl_server_stop(srv);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(path);
    rmdir(dir);
    free(s.v);
    assert_int_equal(differ, 0);
    assert_true(listed >= 5000); /* the even half, plus the odd random hit */
    assert_true(batch_calls - batches_before >= 10000); /* our answers came through the batch */
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dig_sees_rfc5782_answers),
        cmocka_unit_test(garbage_does_not_kill_it_and_tcp_pipelines),
        cmocka_unit_test(listens_on_ipv6),
        cmocka_unit_test(loopback_is_exempt_by_default),
        cmocka_unit_test(rate_limit_drops_and_slips),
        cmocka_unit_test(same_a_answers_as_rbldnsd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
