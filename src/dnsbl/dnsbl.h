/*
 * dnsbl/dnsbl.h - the DNS blocklist: answers "is a.b.c.d listed?" as DNS queries under a zone
 * (RFC 5782), over UDP and TCP, from whatever lookup the caller plugs in (the snapshot index).
 *
 * Manual:
 *  - Configure: bw_dnsbl_config_default() fills the defaults (zone bl.botwatch.local, TTL 300 s,
 *    negative TTL 60 s, 127.0.0.1:5353, one thread per CPU, RRL 20 responses/s per /24 or /56);
 *    change fields, then bw_dnsbl_zone_init() checks them and precomputes the wire forms.
 *    threads 0 means one per CPU this process may run on (its affinity mask: a server pinned
 *    with taskset to one core runs one UDP thread).
 *  - Answer: bw_dnsbl_answer() is the whole protocol as a pure function from one query packet
 *    to one response packet. It allocates nothing, does no I/O, and calls lookup() at most once.
 *    A return of 0 means "send nothing" (too short to be a query, a response, no room).
 *  - Serve: bw_dnsbl_server_start() binds UDP (N threads, each its own SO_REUSEPORT socket,
 *    recvmmsg/sendmmsg batches) and TCP (one thread, length-prefixed messages) and returns;
 *    bw_dnsbl_server_stop() stops and joins every thread. bw_dnsbl_serve() is the blocking form
 *    that runs until *stop becomes non-zero (a signal handler sets it).
 *  - Rate limit (UDP only): a token bucket per client /24 (IPv4) or /56 (IPv6); over the rate,
 *    responses are dropped, except every slip-th which goes out truncated (TC=1, no answer) so a
 *    real client retries over TCP while a spoofed victim receives nothing larger than the query.
 *  - Answers (docs/dnsbl.md is the user manual): a listed address gets A 127.0.0.2 plus one A
 *    127.0.1.N per category (N = enum bw_category + 1) and a TXT with categories, score and the
 *    lookup URL; not listed is NXDOMAIN with the SOA in authority (negative TTL).
 * Invariants: the wire functions never read outside (q, q_len) nor write outside (out, out_cap);
 * a response never exceeds the client's limit (512, or its EDNS0 size capped to 1232, on UDP);
 * the question is echoed only when it was not compressed, so an error answer is never larger
 * than the query it answers; dnsbl/ includes core/ only and logs only from server.c.
 */
#ifndef BW_DNSBL_H
#define BW_DNSBL_H

#include "core/core.h"

#define BW_DNSBL_ZONE_DEFAULT "bl.botwatch.local"
#define BW_DNSBL_LISTEN_DEFAULT "127.0.0.1:5353"
#define BW_DNSBL_URL_DEFAULT "http://127.0.0.1:8080/api/v1/check?ip="
#define BW_DNSBL_UDP_MAX 1232    /* largest UDP answer, whatever EDNS0 asks (DNS flag day 2020) */
#define BW_DNSBL_TCP_MAX 4096    /* largest message read or written on TCP; ours are < 1 KiB */
#define BW_DNSBL_THREADS_MAX 64

/* The code table (docs/dnsbl.md): every listed address answers BW_DNSBL_A_LISTED, then one
 * 127.0.1.(category + 1) per category. The RFC 5782 test point answers the listed code only. */
#define BW_DNSBL_A_LISTED 0x7f000002u   /* 127.0.0.2 */
#define BW_DNSBL_A_CATEGORY 0x7f000100u /* 127.0.1.0 + (enum bw_category + 1) */

/* True when a is listed; then *cats and *score (0..100) describe it. Called from several
 * threads at once: it must be thread-safe (the snapshot index is lock-free). */
typedef bool (*bw_dnsbl_lookup_fn)(void *ctx, const struct bw_addr *a, bw_catmask *cats,
                                   int *score);

/* The result of one lookup, for the batch form below. */
struct bw_dnsbl_hit {
    bool listed;
    bw_catmask cats;
    int score;
};
/* Optional batch form of the lookup: out[i] for a[i], i < n, exactly as n lookup() calls would
 * answer. The UDP threads call it once per received batch, before answering any query of it,
 * so the implementation can pin its index once and fetch the memory of every lookup in
 * parallel. Thread-safe, as lookup. */
typedef void (*bw_dnsbl_lookup_batch_fn)(void *ctx, size_t n, const struct bw_addr *a,
                                         struct bw_dnsbl_hit *out);

struct bw_dnsbl_config {
    const char *zone;        /* apex, e.g. "bl.botwatch.local" (a trailing dot is fine) */
    const char *listen;      /* "ADDR:PORT" or "[IPv6]:PORT"; port 0 picks a free one */
    const char *ns;          /* NS and SOA MNAME; NULL = "ns.<zone>" */
    const char *hostmaster;  /* SOA RNAME; NULL = "hostmaster.<zone>" */
    const char *url_base;    /* the TXT ends with url_base followed by the address text */
    uint32_t ttl_s;          /* TTL of A and TXT answers and of SOA/NS */
    uint32_t neg_ttl_s;      /* TTL of the SOA in negative answers, and SOA MINIMUM */
    uint32_t serial;         /* SOA serial; 0 = the time the zone was initialised */
    unsigned threads;        /* UDP threads; 0 = one per CPU of the affinity mask (at most
                              * THREADS_MAX) */
    uint32_t rrl_rate;       /* responses per second per client /24 or /56; 0 = no limit */
    uint32_t rrl_burst;      /* bucket depth, in responses */
    uint32_t rrl_slip;       /* every slip-th limited response is sent truncated; 0 = none */
    bool rrl_loopback;       /* rate-limit loopback clients too (default false: a source of
                              * 127/8 or ::1 cannot be spoofed from outside the host) */
    bw_dnsbl_lookup_batch_fn lookup_batch; /* NULL = lookup() per query; same ctx */
};

void bw_dnsbl_config_default(struct bw_dnsbl_config *c);

/* The zone as the wire function needs it: names in wire form, lower case. */
struct bw_dnsbl_zone {
    uint8_t apex[256];     /* wire form, with the final root label */
    size_t apex_len;       /* bytes of apex, root label included */
    uint8_t ns[256];       /* labels before the apex when ns_in_zone, else the full wire name */
    size_t ns_len;
    bool ns_in_zone;       /* ns ends with the apex: written as its labels plus a pointer */
    uint8_t mbox[256];
    size_t mbox_len;
    bool mbox_in_zone;
    char url_base[160];
    uint32_t ttl_s, neg_ttl_s, serial;
};

/* BW_EINVAL (with d filled) for a bad zone, name or URL. */
BW_MUSTCHECK int bw_dnsbl_zone_init(struct bw_dnsbl_zone *z, const struct bw_dnsbl_config *c,
                                    struct bw_diag *d);

enum bw_dnsbl_transport { BW_DNSBL_UDP, BW_DNSBL_TCP };

/* Answers one query (q, q_len: the DNS message without the TCP length prefix) into out (at
 * least 512 bytes for UDP; BW_DNSBL_TCP_MAX is plenty for TCP). Returns the response length,
 * or 0 to send nothing. Thread-safe; lookup is called at most once, with no lock held. */
size_t bw_dnsbl_answer(const struct bw_dnsbl_zone *z, bw_dnsbl_lookup_fn lookup, void *ctx,
                       const uint8_t *q, size_t q_len, uint8_t *out, size_t out_cap,
                       enum bw_dnsbl_transport tr);

/* The address a query asks about (a reversed IPv4 or IPv6 name under the zone), the one
 * bw_dnsbl_answer() would look up; BW_EMALFORMED for any other packet. Cheap, allocation-free:
 * the server uses it to look up a whole batch at once. */
BW_MUSTCHECK int bw_dnsbl_query_addr(const struct bw_dnsbl_zone *z, const uint8_t *q,
                                     size_t q_len, struct bw_addr *out);

/* Turns the response resp (resp_len bytes, as bw_dnsbl_answer() wrote it) into its truncated
 * form in place: TC set, no records but the question and OPT. Returns the new length. */
size_t bw_dnsbl_truncate(uint8_t *resp, size_t resp_len);

/* Parses the reversed name "d.c.b.a" or 32 nibbles (lower-case wire labels, without the zone)
 * into an address; BW_EMALFORMED when it is neither. Exposed for tests and the fuzzer. */
BW_MUSTCHECK int bw_dnsbl_name_addr(const uint8_t *labels, size_t len, int n_labels,
                                    struct bw_addr *out);

/* ---- response rate limiting (rrl.c) ---------------------------------------------------- */

struct bw_rrl;
enum bw_rrl_action { BW_RRL_SEND, BW_RRL_DROP, BW_RRL_SLIP };

/* rate responses/s, burst responses, slip as in the config; n_slots buckets (rounded up to a
 * power of two; clients that collide share one, which only ever limits sooner). NULL when
 * rate is 0 (no limiting): bw_rrl_check(NULL, ...) always says SEND. */
struct bw_rrl *bw_rrl_new(uint32_t rate, uint32_t burst, uint32_t slip, size_t n_slots);
void bw_rrl_free(struct bw_rrl *r); /* NULL is a no-op */
/* Charges one response to the client's network at now_ms (a monotonic clock). Thread-safe. */
enum bw_rrl_action bw_rrl_check(struct bw_rrl *r, const struct bw_addr *client, uint64_t now_ms);

/* ---- the server (server.c) ------------------------------------------------------------- */

struct bw_dnsbl_server;

/* Binds and starts the threads. The config strings are copied. On failure d says why. */
BW_MUSTCHECK int bw_dnsbl_server_start(struct bw_dnsbl_server **out,
                                       const struct bw_dnsbl_config *c, bw_dnsbl_lookup_fn fn,
                                       void *ctx, struct bw_diag *d);
/* The port actually bound (useful with port 0). */
uint16_t bw_dnsbl_server_port(const struct bw_dnsbl_server *s);

struct bw_dnsbl_stats {
    uint64_t udp_queries, udp_answers, tcp_queries, tcp_answers, rrl_dropped, rrl_slipped;
};
void bw_dnsbl_server_stats(const struct bw_dnsbl_server *s, struct bw_dnsbl_stats *out);
/* Stops every thread, closes the sockets and frees s. NULL is a no-op. */
void bw_dnsbl_server_stop(struct bw_dnsbl_server *s);

/* Runs until *stop is non-zero (checked at least every 100 ms). */
BW_MUSTCHECK int bw_dnsbl_serve(const struct bw_dnsbl_config *c, bw_dnsbl_lookup_fn fn, void *ctx,
                                volatile int *stop, struct bw_diag *d);

#endif
