/*
 * fuzz/fuzz_dnsbl.c - libFuzzer target for the DNSBL wire function: any bytes as a query, over
 * UDP and TCP. Properties checked (abort on violation, so the fuzzer records the input):
 *  - the answer fits the transport's limit (512 without EDNS, at most 1232 with it, on UDP);
 *  - an answer is a well-formed message: QR set, the query's ID, every counted record present
 *    and inside the packet, every compression pointer pointing backwards;
 *  - error answers (FORMERR, NOTIMP, REFUSED) are never longer than the query: no amplification;
 *  - truncating an answer (the rate limiter's slip) gives a well-formed, shorter message;
 *  - the address bw_dnsbl_query_addr() extracts ahead (the server's batch lookup) is the very
 *    address the answer looks up, whenever the answer looks one up.
 * Seeds: fuzz/corpus/dnsbl/ (real queries captured from dig, plus hostile ones).
 */
#include "dnsbl/dnsbl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_dnsbl: check failed: %s (line %d)\n", #cond, __LINE__);      \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* Listed when the address's last byte is odd: both answers get exercised. ctx, when given,
 * records the address looked up. */
static bool lookup(void *ctx, const struct bw_addr *a, bw_catmask *cats, int *score)
{
    if (ctx != NULL)
        *(struct bw_addr *)ctx = *a;
    *cats = (bw_catmask)a->b[14] * 0x0101u & ((1u << BW_CAT_COUNT) - 1);
    *score = a->b[13] % 101;
    return (a->b[15] & 1) != 0;
}

static size_t skip_name(const uint8_t *m, size_t len, size_t p)
{
    for (int guard = 0; guard < 128; guard++) {
        CHECK(p < len);
        uint8_t b = m[p];
        if ((b & 0xc0) == 0xc0) {
            CHECK(p + 1 < len);
            size_t target = (size_t)(b & 0x3f) << 8 | m[p + 1];
            CHECK(target < p);
            return p + 2;
        }
        CHECK((b & 0xc0) == 0);
        p += 1u + b;
        if (b == 0)
            return p;
    }
    CHECK(!"name too long");
    return 0;
}

static void check_message(const uint8_t *q, const uint8_t *m, size_t len)
{
    CHECK(len >= 12);
    CHECK(m[0] == q[0] && m[1] == q[1]);
    CHECK(m[2] & 0x80);
    unsigned qd = (unsigned)(m[4] << 8 | m[5]);
    unsigned n = (unsigned)(m[6] << 8 | m[7]) + (unsigned)(m[8] << 8 | m[9]) +
                 (unsigned)(m[10] << 8 | m[11]);
    size_t p = 12;
    CHECK(qd <= 1);
    if (qd == 1) {
        p = skip_name(m, len, p) + 4;
        CHECK(p <= len);
    }
    for (unsigned i = 0; i < n; i++) {
        p = skip_name(m, len, p);
        CHECK(p + 10 <= len);
        size_t rdlen = (size_t)(m[p + 8] << 8 | m[p + 9]);
        p += 10 + rdlen;
        CHECK(p <= len);
    }
    CHECK(p == len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bw_dnsbl_zone zone;
    static bool ready;
    uint8_t out[BW_DNSBL_TCP_MAX];

    if (!ready) {
        struct bw_dnsbl_config c;
        struct bw_diag d;
        bw_dnsbl_config_default(&c);
        c.serial = 1;
        if (bw_dnsbl_zone_init(&zone, &c, &d) != BW_OK)
            abort();
        ready = true;
    }
    struct bw_addr ahead, seen;
    bool have_ahead = bw_dnsbl_query_addr(&zone, data, size, &ahead) == BW_OK;
    for (int tr = 0; tr < 2; tr++) {
        memset(&seen, 0xee, sizeof(seen));
        size_t n = bw_dnsbl_answer(&zone, lookup, &seen, data, size, out, sizeof(out),
                                   tr == 0 ? BW_DNSBL_UDP : BW_DNSBL_TCP);
        struct bw_addr untouched;
        memset(&untouched, 0xee, sizeof(untouched));
        if (memcmp(&seen, &untouched, sizeof(seen)) != 0) /* the answer looked one up */
            CHECK(have_ahead && memcmp(&seen, &ahead, sizeof(seen)) == 0);
        if (n == 0)
            continue;
        check_message(data, out, n);
        unsigned rcode = out[3] & 0xf;
        bool has_opt = out[10] != 0 || out[11] != 0;
        if (tr == 0)
            CHECK(n <= (has_opt ? (size_t)BW_DNSBL_UDP_MAX : 512u));
        if (rcode == 1 || rcode == 4 || rcode == 5)
            CHECK(n <= size + 11);
        size_t t = bw_dnsbl_truncate(out, n);
        CHECK(t <= n);
        if (t > 0) {
            check_message(data, out, t);
            CHECK(out[6] == 0 && out[7] == 0 && out[8] == 0 && out[9] == 0);
        }
    }
    struct bw_addr a;
    if (size > 0)
        (void)bw_dnsbl_name_addr(data + 1, size - 1, data[0] % 40, &a);
    return 0;
}
