/*
 * cli/cmd_simulate.c - botwatch simulate: a realistic synthetic report stream, for the demo,
 * the benchmarks and tests.
 * Invariants:
 *  - The output depends only on the arguments and --now: the generator is xoshiro256**
 *    seeded from --seed, and nothing reads the clock or the environment.
 *  - Every address is public (checked with bw_addr_class), and every time lies in the
 *    simulated period before --now.
 *  - Exactly --reports lines, over exactly --devices distinct addresses (when reports >=
 *    devices), clustered in networks with heavy-tailed infection counts as real botnets are.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(struct rng *r)
{
    uint64_t result = rotl(r->s[1] * 5, 7) * 9, t = r->s[1] << 17;

    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = rotl(r->s[3], 45);
    return result;
}

static uint64_t below(struct rng *r, uint64_t n) /* uniform in [0, n) */
{
    return n ? (uint64_t)(((unsigned __int128)next_u64(r) * n) >> 64) : 0;
}

static double unit(struct rng *r) /* uniform in [0, 1) */
{
    return (double)(next_u64(r) >> 11) / 9007199254740992.0;
}

/* What a category looks like on the wire: its share of devices, port and evidence. */
struct profile {
    enum bw_category cat;
    double share;
    uint16_t ports[4];
    const char *evidence;
};

static const struct profile profiles[] = {
    { BW_CAT_BRUTEFORCE, 0.34, { 22, 22, 23, 2323 }, "Failed password for root from %s port %u ssh2" },
    { BW_CAT_SCAN, 0.28, { 23, 445, 5555, 8080 }, "SYN from %s to port %u, no session" },
    { BW_CAT_EXPLOIT, 0.10, { 80, 8080, 7547, 37215 }, "POST /GponForm/diag_Form?images/ from %s:%u" },
    { BW_CAT_WEB_ATTACK, 0.08, { 80, 443, 80, 443 }, "GET /wp-login.php from %s:%u" },
    { BW_CAT_SPAM, 0.06, { 25, 587, 25, 25 }, "spam run from %s:%u, 120 recipients" },
    { BW_CAT_BOT, 0.05, { 443, 80, 6667, 443 }, "%s called a sinkholed controller on port %u" },
    { BW_CAT_DDOS, 0.03, { 53, 123, 1900, 80 }, "reflection traffic from %s port %u" },
    { BW_CAT_MALWARE, 0.03, { 80, 8080, 80, 443 }, "%s:%u served a Mirai-family binary" },
    { BW_CAT_C2, 0.01, { 443, 23, 6667, 1312 }, "%s:%u answered as a botnet controller" },
    { BW_CAT_PROXY, 0.01, { 1080, 3128, 8080, 8888 }, "open proxy on %s:%u relaying abuse" },
    { BW_CAT_PHISHING, 0.01, { 80, 443, 80, 443 }, "phishing kit on %s:%u" },
};

static const char *const reporter_kinds[] = { "honeypot", "isp", "mailgw", "fw", "ids", "cert" };

struct device {
    struct bw_addr addr;
    uint8_t profile;
    uint8_t reporters[3];     /* the sensors that see it, as indexes */
    int64_t active_from_s;    /* its infection period */
    int64_t active_to_s;
};

/* A set of addresses by their 16 bytes, to keep devices distinct. */
struct addr_set {
    struct bw_addr *slot;
    bool *used;
    size_t cap;
};

static bool addr_set_add(struct addr_set *s, const struct bw_addr *a)
{
    uint64_t h = 1469598103934665603ULL;

    for (int i = 0; i < 16; i++)
        h = (h ^ a->b[i]) * 1099511628211ULL;
    for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->used[i]) {
            s->used[i] = true;
            s->slot[i] = *a;
            return true;
        }
        if (memcmp(s->slot[i].b, a->b, 16) == 0)
            return false;
    }
}

/* A random public network: an IPv4 /24 or, one time in fifteen, an IPv6 /48. */
static void random_network(struct rng *r, struct bw_addr *net, bool *v6)
{
    do {
        memset(net, 0, sizeof(*net));
        *v6 = below(r, 15) == 0;
        if (*v6) {
            uint64_t x = next_u64(r);

            net->b[0] = 0x2a;
            net->b[1] = (uint8_t)below(r, 16);
            for (int i = 2; i < 6; i++)
                net->b[i] = (uint8_t)(x >> (8 * i));
        } else {
            net->b[10] = net->b[11] = 0xff;
            net->b[12] = (uint8_t)(1 + below(r, 223));
            net->b[13] = (uint8_t)below(r, 256);
            net->b[14] = (uint8_t)below(r, 256);
            net->b[15] = 1;
        }
    } while (bw_addr_class(net) != BW_ADDR_PUBLIC);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch simulate [--devices N] [--reports N] [--reporters N] [--days N]\n"
            "                         [--seed S]\n"
            "\n"
            "Writes a synthetic NDJSON report stream on standard output: public addresses\n"
            "clustered in networks, heavy-tailed report counts per device, several reporters,\n"
            "a mix of categories, times in the --days before --now. The same arguments and\n"
            "--now give the same output.\n"
            "\n"
            "  --devices N     distinct addresses (default 1000)\n"
            "  --reports N     lines (default 10000)\n"
            "  --reporters N   reporters (default 8)\n"
            "  --days N        period before --now (default 14)\n"
            "  --seed S        generator seed (default 1)\n");
}

static int parse_opt(const char *name, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (bw_cli_parse_u64(s, min, max, out) == BW_OK)
        return BW_OK;
    bw_cli_error("simulate", "--%s \"%s\" is not %llu-%llu", name, s, (unsigned long long)min,
                 (unsigned long long)max);
    return BW_EMALFORMED;
}

int bw_cmd_simulate(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "devices", required_argument, NULL, 'd' },
        { "reports", required_argument, NULL, 'r' },
        { "reporters", required_argument, NULL, 'p' },
        { "days", required_argument, NULL, 'D' },
        { "seed", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t n_dev = 1000, n_rep = 10000, n_reporters = 8, days = 14, seed = 1, x;
    struct device *dev;
    double *cum;
    struct addr_set set;
    struct rng rng;
    size_t n_nets, next_new = 0;
    int64_t now = cli->now_s, period;
    int c;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': if (parse_opt("devices", optarg, 1, 50000000, &n_dev)) return BW_EXIT_USAGE; break;
        case 'r': if (parse_opt("reports", optarg, 0, 1000000000, &n_rep)) return BW_EXIT_USAGE; break;
        case 'p': if (parse_opt("reporters", optarg, 1, 999, &n_reporters)) return BW_EXIT_USAGE; break;
        case 'D': if (parse_opt("days", optarg, 1, 3650, &days)) return BW_EXIT_USAGE; break;
        case 's': if (parse_opt("seed", optarg, 0, UINT64_MAX, &seed)) return BW_EXIT_USAGE; break;
        case 'h': usage(stdout); return BW_EXIT_OK;
        default: usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        bw_cli_error("simulate", "unexpected argument \"%s\"", argv[optind]);
        return BW_EXIT_USAGE;
    }
    x = seed;
    for (int i = 0; i < 4; i++)
        rng.s[i] = splitmix(&x);
    period = (int64_t)days * 86400;

    /* networks with heavy-tailed sizes, then devices inside them */
    n_nets = (size_t)(n_dev / 40 + 1);
    {
        struct bw_addr *nets = bw_xcalloc(n_nets, sizeof(*nets));
        bool *v6 = bw_xcalloc(n_nets, sizeof(*v6));
        double *net_cum = bw_xcalloc(n_nets, sizeof(*net_cum)), total = 0;

        for (size_t i = 0; i < n_nets; i++) {
            random_network(&rng, &nets[i], &v6[i]);
            total += 1.0 / pow((double)(i + 1), 0.8);
            net_cum[i] = total;
        }
        set.cap = 1;
        while (set.cap < 2 * n_dev + 16)
            set.cap *= 2;
        set.slot = bw_xcalloc(set.cap, sizeof(*set.slot));
        set.used = bw_xcalloc(set.cap, sizeof(*set.used));
        dev = bw_xcalloc(n_dev, sizeof(*dev));
        for (size_t i = 0; i < n_dev; i++) {
            struct device *d = &dev[i];
            double u = unit(&rng) * total, pick = unit(&rng);
            size_t lo = 0, hi = n_nets - 1;

            while (lo < hi) { /* first network whose cumulative weight passes u */
                size_t mid = (lo + hi) / 2;

                if (net_cum[mid] > u)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            do {
                d->addr = nets[lo];
                if (v6[lo]) {
                    uint64_t iid = next_u64(&rng);

                    d->addr.b[6] = (uint8_t)below(&rng, 4);
                    for (int k = 8; k < 16; k++)
                        d->addr.b[k] = (uint8_t)(iid >> (8 * (k - 8)));
                } else {
                    d->addr.b[15] = (uint8_t)(1 + below(&rng, 254));
                    if (below(&rng, 3) == 0) /* some infections spill into the next /24 */
                        d->addr.b[14] ^= 1;
                }
                if (!addr_set_add(&set, &d->addr) || bw_addr_class(&d->addr) != BW_ADDR_PUBLIC) {
                    lo = (size_t)below(&rng, n_nets); /* that network is full: another */
                    continue;
                }
                break;
            } while (1);
            for (size_t p = 0; p < BW_ARRAY_LEN(profiles); p++) {
                pick -= profiles[p].share;
                if (pick < 0 || p + 1 == BW_ARRAY_LEN(profiles)) {
                    d->profile = (uint8_t)p;
                    break;
                }
            }
            for (int k = 0; k < 3; k++)
                d->reporters[k] = (uint8_t)below(&rng, n_reporters);
            d->active_from_s = now - period + (int64_t)below(&rng, (uint64_t)period);
            d->active_to_s = d->active_from_s + 3600 +
                             (int64_t)below(&rng, (uint64_t)(now - d->active_from_s));
            if (d->active_to_s > now - 1)
                d->active_to_s = now - 1;
        }
        free(nets);
        free(v6);
        free(net_cum);
        free(set.slot);
        free(set.used);
    }

    /* heavy-tailed report counts: device i weighs 1 / (rank)^1.1, ranks shuffled */
    cum = bw_xcalloc(n_dev, sizeof(*cum));
    {
        double total = 0;

        for (size_t i = 0; i < n_dev; i++) {
            total += 1.0 / pow((double)(below(&rng, n_dev) + 1), 1.1);
            cum[i] = total;
        }
    }
    for (uint64_t i = 0; i < n_rep; i++) {
        struct device *d;
        const struct profile *pr;
        char ip[BW_ADDR_TEXT_MAX], t[BW_TIME_TEXT_MAX], ev[200];
        unsigned reporter;
        uint16_t port;
        int64_t when;

        /* every device gets at least one report, spread through the stream */
        if (next_new < n_dev && below(&rng, n_rep - i) < n_dev - next_new) {
            d = &dev[next_new++];
        } else {
            double u = unit(&rng) * cum[n_dev - 1];
            size_t lo = 0, hi = n_dev - 1;

            while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (cum[mid] > u)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            d = &dev[lo];
        }
        pr = &profiles[d->profile];
        if (below(&rng, 10) == 0) /* now and then the device does something else too */
            pr = &profiles[below(&rng, BW_ARRAY_LEN(profiles))];
        reporter = below(&rng, 8) == 0 ? (unsigned)below(&rng, n_reporters)
                                       : d->reporters[below(&rng, 3)];
        port = pr->ports[below(&rng, 4)];
        when = d->active_from_s + (int64_t)below(&rng, (uint64_t)(d->active_to_s -
                                                                  d->active_from_s + 1));
        bw_addr_format(&d->addr, ip);
        snprintf(ev, sizeof(ev), pr->evidence, ip, (unsigned)(pr->cat == BW_CAT_BRUTEFORCE
                                                                ? 1024 + below(&rng, 64000)
                                                                : port));
        printf("{\"ip\":\"%s\",\"time\":\"%s\",\"category\":\"%s\",\"port\":%u,\"proto\":\"%s\","
               "\"reporter\":\"%s-%02u\",\"evidence\":\"%s\"}\n", ip, bw_time_format(when, t),
               bw_category_name(pr->cat), port, port == 53 || port == 123 || port == 1900
                                                    ? "udp" : "tcp",
               reporter_kinds[reporter % BW_ARRAY_LEN(reporter_kinds)], reporter + 1, ev);
    }
    free(cum);
    free(dev);
    return fflush(stdout) == 0 ? BW_EXIT_OK : BW_EXIT_FAIL;
}
