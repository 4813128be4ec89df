/*
 * tests/unit/dnsbl/test_wire.c - the DNSBL protocol as a pure function: RFC 5782 answers,
 * the apex, errors, EDNS0, truncation, and hostile packets (loops, overruns, garbage).
 */
#include "test.h"

#include <stdlib.h>

#include "dnsbl/dnsbl.h"
#include "dnsbl_testutil.h"

/* The fake index: 81.2.69.142 is bruteforce+c2 score 87; 2a02:cf40:0:1::17 is scan score 40. */
struct fake {
    int calls;
    struct bw_addr last;
};

static bool fake_lookup(void *ctx, const struct bw_addr *a, bw_catmask *cats, int *score)
{
    struct fake *f = ctx;
    struct bw_addr y, v6;
    f->calls++;
    f->last = *a;
    assert_int_equal(bw_addr_parse(&y, "81.2.69.142", 11), BW_OK);
    assert_int_equal(bw_addr_parse(&v6, "2a02:cf40:0:1::17", 17), BW_OK);
    if (bw_addr_cmp(a, &y) == 0) {
        *cats = 1u << BW_CAT_BRUTEFORCE | 1u << BW_CAT_C2;
        *score = 87;
        return true;
    }
    if (bw_addr_cmp(a, &v6) == 0) {
        *cats = 1u << BW_CAT_SCAN;
        *score = 40;
        return true;
    }
    return false;
}

static struct bw_dnsbl_zone zone;
static struct fake fk;

static int setup(void **state)
{
    struct bw_dnsbl_config c;
    struct bw_diag d;
    (void)state;
    bw_dnsbl_config_default(&c);
    c.serial = 2026112601;
    c.url_base = "https://bw.example/ip/";
    assert_int_equal(bw_dnsbl_zone_init(&zone, &c, &d), BW_OK);
    memset(&fk, 0, sizeof(fk));
    return 0;
}

static size_t ask(const char *name, uint16_t type, uint16_t klass, uint16_t edns, uint8_t *out,
                  size_t cap, struct tr_msg *t)
{
    uint8_t q[512];
    size_t ql = tq_build(q, 0x4242, name, type, klass, edns);
    size_t n = bw_dnsbl_answer(&zone, fake_lookup, &fk, q, ql, out, cap, BW_DNSBL_UDP);
    if (n > 0)
        assert_true(tr_parse(out, n, t));
    return n;
}

#define Z ".bl.botwatch.local"

static void listed_ipv4_gets_one_a_per_category(void **state)
{
    uint8_t out[1232];
    struct tr_msg t;
    char a[16];
    (void)state;
    assert_true(ask("142.69.2.81" Z, 1, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.id, 0x4242);
    assert_int_equal(t.rcode, 0);
    assert_true(t.flags & 0x8000); /* QR */
    assert_true(t.flags & 0x0400); /* AA */
    assert_true(t.flags & 0x0100); /* RD copied */
    assert_int_equal(t.an, 3);
    assert_string_equal(t.qname, "142.69.2.81.bl.botwatch.local");
    tr_a_text(&t.rr[0], a);
    assert_string_equal(a, "127.0.0.2");
    tr_a_text(&t.rr[1], a);
    assert_string_equal(a, "127.0.1.2"); /* bruteforce = 1, +1 */
    tr_a_text(&t.rr[2], a);
    assert_string_equal(a, "127.0.1.8"); /* c2 = 7, +1 */
    assert_string_equal(t.rr[0].owner, "142.69.2.81.bl.botwatch.local");
    assert_int_equal(t.rr[0].ttl, 300);
    /* the owner is a pointer to the question */
    assert_int_equal(out[12 + 35], 0xc0); /* first RR right after the 31+4 byte question */
    assert_int_equal(out[12 + 35 + 1], 12);
    assert_int_equal(fk.calls, 1);
}

static void txt_gives_categories_score_and_url(void **state)
{
    uint8_t out[1232];
    struct tr_msg t;
    (void)state;
    assert_true(ask("142.69.2.81" Z, 16, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.an, 1);
    assert_int_equal(t.rr[0].type, 16);
    char txt[256];
    assert_int_equal(t.rr[0].rdata[0] + 1, t.rr[0].rdlen);
    memcpy(txt, t.rr[0].rdata + 1, t.rr[0].rdata[0]);
    txt[t.rr[0].rdata[0]] = '\0';
    assert_string_equal(txt, "listed: bruteforce,c2; score 87; https://bw.example/ip/81.2.69.142");
}

static void any_is_a_and_txt(void **state)
{
    uint8_t out[1232];
    struct tr_msg t;
    (void)state;
    assert_true(ask("142.69.2.81" Z, 255, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.an, 4);
    assert_int_equal(t.rr[3].type, 16);
}

static void unlisted_is_nxdomain_with_soa(void **state)
{
    uint8_t out[1232];
    struct tr_msg t;
    (void)state;
    assert_true(ask("7.7.7.7" Z, 1, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 3);
    assert_int_equal(t.an, 0);
    assert_int_equal(t.ns, 1);
    assert_int_equal(t.rr[0].type, 6);
    assert_int_equal(t.rr[0].ttl, 60);
    assert_string_equal(t.rr[0].owner, "bl.botwatch.local");
    /* SOA rdata: ns.bl.botwatch.local hostmaster.bl.botwatch.local serial ... minimum */
    char mname[256];
    size_t pos = (size_t)(t.rr[0].rdata - out);
    assert_true(tr_name(out, sizeof(out), &pos, mname));
    assert_string_equal(mname, "ns.bl.botwatch.local");
    const uint8_t *tail = t.rr[0].rdata + t.rr[0].rdlen - 20;
    assert_int_equal((uint32_t)tr_u16(tail) << 16 | tr_u16(tail + 2), 2026112601u);
    assert_int_equal(tr_u16(tail + 18), 60);
    struct bw_addr want;
    assert_int_equal(bw_addr_parse(&want, "7.7.7.7", 7), BW_OK);
    assert_int_equal(bw_addr_cmp(&fk.last, &want), 0);
}

static void rfc5782_test_points(void **state)
{
    uint8_t out[1232];
    struct tr_msg t;
    char a[16];
    (void)state;
    assert_true(ask("2.0.0.127" Z, 1, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 0);
    assert_int_equal(t.an, 1);
    tr_a_text(&t.rr[0], a);
    assert_string_equal(a, "127.0.0.2");
    assert_true(ask("1.0.0.127" Z, 1, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 3);
    /* ::FFFF:7F00:2 and ::FFFF:7F00:1 by nibbles */
    assert_true(ask("2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0" Z, 1, 1, 0,
                    out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 0);
    assert_int_equal(t.an, 1);
    assert_true(ask("1.0.0.0.0.0.F.7.F.F.F.F.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0" Z, 1, 1, 0,
                    out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 3);
    assert_int_equal(fk.calls, 0); /* test points never reach the index */
    assert_true(ask("2.0.0.127" Z, 16, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.an, 1);
    assert_int_equal(t.rr[0].type, 16);
}

static void ipv6_by_nibbles(void **state)
{
    uint8_t out[1232];
    struct tr_msg t;
    char a[16];
    (void)state;
    /* 2a02:cf40:0:1::17 */
    assert_true(ask("7.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.4.f.c.2.0.a.2" Z, 1, 1, 0,
                    out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 0);
    assert_int_equal(t.an, 2);
    tr_a_text(&t.rr[1], a);
    assert_string_equal(a, "127.0.1.1");
    /* 31 nibbles: not an address */
    assert_true(ask("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.4.f.c.2.0.a.2" Z, 1, 1, 0,
                    out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 3);
}

static void apex_soa_ns_and_nodata(void **state)
{
    uint8_t out[1232];
    struct tr_msg t;
    (void)state;
    assert_true(ask("bl.botwatch.local", 6, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 0);
    assert_int_equal(t.an, 1);
    assert_int_equal(t.rr[0].type, 6);
    assert_int_equal(t.rr[0].ttl, 300);
    assert_true(ask("BL.Botwatch.LOCAL", 2, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.an, 1);
    assert_int_equal(t.rr[0].type, 2);
    assert_string_equal(t.qname, "BL.Botwatch.LOCAL"); /* case kept (0x20 randomisation) */
    char ns[256];
    size_t pos = (size_t)(t.rr[0].rdata - out);
    assert_true(tr_name(out, sizeof(out), &pos, ns));
    assert_string_equal(ns, "ns.BL.Botwatch.LOCAL");
    assert_true(ask("bl.botwatch.local", 255, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.an, 2);
    assert_true(ask("bl.botwatch.local", 1, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 0);
    assert_int_equal(t.an, 0);
    assert_int_equal(t.ns, 1);
    assert_int_equal(t.rr[0].type, 6);
    /* a listed name asked for AAAA: NODATA */
    assert_true(ask("142.69.2.81" Z, 28, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 0);
    assert_int_equal(t.an, 0);
    assert_int_equal(t.ns, 1);
}

static void outside_zone_and_wrong_class_refused(void **state)
{
    uint8_t out[1232];
    struct tr_msg t;
    (void)state;
    size_t n = ask("www.example.com", 1, 1, 0, out, sizeof(out), &t);
    assert_true(n > 0);
    assert_int_equal(t.rcode, 5);
    assert_int_equal(t.an + t.ns + t.ar, 0);
    assert_false(t.flags & 0x0400);
    assert_true(ask("2.0.0.127.xbl.botwatch.local", 1, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 5);
    assert_true(ask("botwatch.local", 1, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 5);
    assert_true(ask("version.bind", 16, 3, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 5);
    assert_true(ask("2.0.0.127" Z, 1, 3, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 5);
    assert_true(ask("2.0.0.127" Z, 1, 255, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 0);
    assert_true(ask("bl.botwatch.local", 252, 1, 0, out, sizeof(out), &t) > 0);
    assert_int_equal(t.rcode, 5);
}

static void odd_names_under_zone_are_nxdomain(void **state)
{
    static const char *names[] = { "02.0.0.127" Z, "256.0.0.127" Z, "0.0.127" Z, "x.2.0.0.127" Z,
                                   "a.b.c.d" Z, "-1.0.0.127" Z, "g.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0"
                                   ".0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0" Z };
    uint8_t out[1232];
    struct tr_msg t;
    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(names); i++) {
        assert_true(ask(names[i], 1, 1, 0, out, sizeof(out), &t) > 0);
        assert_int_equal(t.rcode, 3);
    }
    assert_int_equal(fk.calls, 0);
}

static void opcode_other_than_query_is_notimp(void **state)
{
    uint8_t q[512], out[1232];
    struct tr_msg t;
    (void)state;
    size_t ql = tq_build(q, 7, "2.0.0.127" Z, 1, 1, 0);
    q[2] = (uint8_t)(4 << 3); /* NOTIFY */
    size_t n = bw_dnsbl_answer(&zone, fake_lookup, &fk, q, ql, out, sizeof(out), BW_DNSBL_UDP);
    assert_int_equal(n, 12);
    assert_true(tr_parse(out, n, &t));
    assert_int_equal(t.rcode, 4);
    assert_int_equal((t.flags >> 11) & 0xf, 4);
}

static void malformed_is_formerr_or_dropped(void **state)
{
    uint8_t q[512], out[1232];
    struct tr_msg t;
    size_t ql, n;
    (void)state;
    memset(q, 0, sizeof(q));
    /* shorter than a header: nothing */
    assert_int_equal(bw_dnsbl_answer(&zone, fake_lookup, &fk, q, 11, out, sizeof(out), BW_DNSBL_UDP), 0);
    /* a response (QR set): nothing, or two servers could ping-pong forever */
    ql = tq_build(q, 7, "2.0.0.127" Z, 1, 1, 0);
    q[2] |= 0x80;
    assert_int_equal(bw_dnsbl_answer(&zone, fake_lookup, &fk, q, ql, out, sizeof(out), BW_DNSBL_UDP), 0);
    /* truncated question */
    ql = tq_build(q, 7, "2.0.0.127" Z, 1, 1, 0);
    n = bw_dnsbl_answer(&zone, fake_lookup, &fk, q, ql - 3, out, sizeof(out), BW_DNSBL_UDP);
    assert_int_equal(n, 12);
    assert_true(tr_parse(out, n, &t));
    assert_int_equal(t.rcode, 1);
    /* two questions */
    ql = tq_build(q, 7, "2.0.0.127" Z, 1, 1, 0);
    q[5] = 2;
    n = bw_dnsbl_answer(&zone, fake_lookup, &fk, q, ql, out, sizeof(out), BW_DNSBL_UDP);
    assert_int_equal(n, 12);
    assert_int_equal(out[3] & 0xf, 1);
    /* a compression loop: the name points at itself */
    static const uint8_t loop[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1 };
    n = bw_dnsbl_answer(&zone, fake_lookup, &fk, loop, sizeof(loop), out, sizeof(out), BW_DNSBL_UDP);
    assert_int_equal(n, 12);
    assert_int_equal(out[3] & 0xf, 1);
    /* a pointer into the header (backwards, legal as a pointer) is still a compressed question:
     * echoing it expanded could be larger than the query */
    static const uint8_t back[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x02, 0, 1, 0, 1 };
    n = bw_dnsbl_answer(&zone, fake_lookup, &fk, back, sizeof(back), out, sizeof(out), BW_DNSBL_UDP);
    assert_int_equal(n, 12);
    /* a label running past the end */
    static const uint8_t over[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 'a', 'b' };
    n = bw_dnsbl_answer(&zone, fake_lookup, &fk, over, sizeof(over), out, sizeof(out), BW_DNSBL_UDP);
    assert_int_equal(n, 12);
    /* a name over 255 bytes: 5 labels of 63 */
    uint8_t big[400] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
    size_t p = 12;
    for (int i = 0; i < 5; i++) {
        big[p++] = 63;
        memset(big + p, 'a', 63);
        p += 63;
    }
    big[p++] = 0;
    big[p++] = 0;
    big[p++] = 1;
    big[p++] = 0;
    big[p++] = 1;
    n = bw_dnsbl_answer(&zone, fake_lookup, &fk, big, p, out, sizeof(out), BW_DNSBL_UDP);
    assert_int_equal(n, 12);
    assert_int_equal(out[3] & 0xf, 1);
    /* two OPT records */
    ql = tq_build(q, 7, "2.0.0.127" Z, 1, 1, 1232);
    memcpy(q + ql, q + ql - 11, 11);
    q[11] = 2;
    n = bw_dnsbl_answer(&zone, fake_lookup, &fk, q, ql + 11, out, sizeof(out), BW_DNSBL_UDP);
    assert_int_equal(n, 12);
    assert_int_equal(out[3] & 0xf, 1);
    assert_int_equal(fk.calls, 0);
}

static void edns_is_answered_with_opt(void **state)
{
    uint8_t out[1232];
    struct tr_msg t;
    (void)state;
    assert_true(ask("142.69.2.81" Z, 1, 1, 4096, out, sizeof(out), &t) > 0);
    assert_int_equal(t.ar, 1);
    struct tr_rr *opt = &t.rr[t.n_rr - 1];
    assert_int_equal(opt->type, 41);
    assert_int_equal(opt->klass, 1232); /* what we accept: capped at 1232 */
    assert_int_equal(opt->ttl, 0);
    /* EDNS version 1: BADVERS (16: 1 in the OPT, 0 in the header), no answer */
    uint8_t q[512];
    size_t ql = tq_build(q, 9, "142.69.2.81" Z, 1, 1, 1232);
    q[ql - 5] = 1; /* version byte of the OPT TTL */
    size_t n = bw_dnsbl_answer(&zone, fake_lookup, &fk, q, ql, out, sizeof(out), BW_DNSBL_UDP);
    assert_true(tr_parse(out, n, &t));
    assert_int_equal(t.rcode, 0);
    assert_int_equal(t.an, 0);
    assert_int_equal(t.ar, 1);
    assert_int_equal(t.rr[0].ttl >> 24, 1);
}

/* A long zone makes a full ANY answer not fit in 512 bytes without EDNS: TC, question kept. */
static void too_big_for_udp_sets_tc(void **state)
{
    struct bw_dnsbl_config c;
    struct bw_diag d;
    struct bw_dnsbl_zone big;
    uint8_t q[512], out[4096];
    struct tr_msg t;
    const char *zn = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
                     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example";
    char name[400];
    (void)state;
    bw_dnsbl_config_default(&c);
    c.zone = zn;
    c.ns = "ns1.example.net"; /* outside the zone: written in full, no pointer */
    c.url_base = "https://a-rather-long-url-base.example.org/some/path/to/the/lookup/page?address=";
    assert_int_equal(bw_dnsbl_zone_init(&big, &c, &d), BW_OK);
    snprintf(name, sizeof(name), "142.69.2.81.%s", zn);
    size_t ql = tq_build(q, 1, name, 255, 1, 0);
    /* everything on: 12 A records and a long TXT */
    size_t n = bw_dnsbl_answer(&big, fake_lookup, &fk, q, ql, out, sizeof(out), BW_DNSBL_UDP);
    assert_true(n > 0 && n <= 512);
    assert_true(tr_parse(out, n, &t));
    size_t full = bw_dnsbl_answer(&big, fake_lookup, &fk, q, ql, out, sizeof(out), BW_DNSBL_TCP);
    assert_true(tr_parse(out, full, &t));
    assert_int_equal(t.an, 4);
    /* a UDP buffer of 300 bytes cannot hold it */
    n = bw_dnsbl_answer(&big, fake_lookup, &fk, q, ql, out, 300, BW_DNSBL_UDP);
    assert_int_equal(n, ql);
    assert_true(tr_parse(out, n, &t));
    assert_true(t.flags & 0x0200);
    assert_int_equal(t.an, 0);
    assert_string_equal(t.qname, name);
}

static void truncate_keeps_question_and_opt(void **state)
{
    uint8_t out[1232];
    struct tr_msg t;
    (void)state;
    size_t n = ask("142.69.2.81" Z, 255, 1, 1232, out, sizeof(out), &t);
    assert_true(n > 0);
    size_t m = bw_dnsbl_truncate(out, n);
    assert_true(m < n);
    assert_true(tr_parse(out, m, &t));
    assert_true(t.flags & 0x0200);
    assert_int_equal(t.an, 0);
    assert_int_equal(t.ar, 1);
    assert_int_equal(t.rr[0].type, 41);
    n = ask("142.69.2.81" Z, 1, 1, 0, out, sizeof(out), &t);
    m = bw_dnsbl_truncate(out, n);
    assert_true(tr_parse(out, m, &t));
    assert_int_equal(t.ar, 0);
    assert_int_equal(m, 12 + 35);
}

static void zone_config_is_checked(void **state)
{
    struct bw_dnsbl_config c;
    struct bw_diag d;
    struct bw_dnsbl_zone z;
    (void)state;
    bw_dnsbl_config_default(&c);
    c.zone = "bad..zone";
    assert_int_equal(bw_dnsbl_zone_init(&z, &c, &d), BW_EINVAL);
    assert_non_null(strstr(d.msg, "bad..zone"));
    c.zone = "has space.example";
    assert_int_equal(bw_dnsbl_zone_init(&z, &c, &d), BW_EINVAL);
    c.zone = "Other.Example.";
    assert_int_equal(bw_dnsbl_zone_init(&z, &c, &d), BW_OK);
    assert_int_equal(z.apex_len, 15);
    assert_memory_equal(z.apex, "\5other\7example", 15);
    assert_true(z.ns_in_zone);
}

/* Random and mutated packets: never a crash, never past the limit, and an error answer is
 * never longer than the packet it answers. */
static void garbage_is_never_amplified(void **state)
{
    uint8_t q[600], out[1232];
    struct tr_msg t;
    (void)state;
    srand(42);
    for (int i = 0; i < 200000; i++) {
        size_t ql;
        if (i % 2 == 0) {
            ql = (size_t)(rand() % 600);
            for (size_t k = 0; k < ql; k++)
                q[k] = (uint8_t)rand();
        } else {
            ql = tq_build(q, (uint16_t)i, i % 4 == 1 ? "142.69.2.81" Z : "2.0.0.127" Z,
                          (uint16_t)(i % 7 == 0 ? 255 : 1), 1, (uint16_t)(i % 3 ? 0 : 1232));
            for (int k = 0; k < 1 + rand() % 3; k++)
                q[rand() % ql] = (uint8_t)rand();
        }
        size_t n = bw_dnsbl_answer(&zone, fake_lookup, &fk, q, ql, out, sizeof(out), BW_DNSBL_UDP);
        assert_true(n <= 512 || (ql > 12 + 11 && n <= 1232));
        if (n == 0)
            continue;
        assert_true(tr_parse(out, n, &t));
        if (t.rcode == 1 || t.rcode == 4 || t.rcode == 5)
            assert_true(n <= ql + 11);
    }
}

/* The address the server looks up ahead for a batch is the one the answer would look up. */
static void query_addr_is_what_answer_looks_up(void **state)
{
    uint8_t q[512], out[1232];
    struct bw_addr a, want;
    size_t ql;
    (void)state;

    ql = tq_build(q, 1, "142.69.2.81" Z, 1, 1, 0);
    assert_int_equal(bw_dnsbl_query_addr(&zone, q, ql, &a), BW_OK);
    assert_int_equal(bw_addr_parse(&want, "81.2.69.142", 11), BW_OK);
    assert_int_equal(bw_addr_cmp(&a, &want), 0);
    assert_true(bw_dnsbl_answer(&zone, fake_lookup, &fk, q, ql, out, sizeof(out), BW_DNSBL_UDP) > 0);
    assert_int_equal(bw_addr_cmp(&fk.last, &a), 0);
    /* case does not matter, in the zone or in the nibbles */
    ql = tq_build(q, 2, "7.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.4.F.C.2.0.A.2.BL.Botwatch.LOCAL",
                  28, 1, 512);
    assert_int_equal(bw_dnsbl_query_addr(&zone, q, ql, &a), BW_OK);
    assert_int_equal(bw_addr_parse(&want, "2a02:cf40:0:1::17", 17), BW_OK);
    assert_int_equal(bw_addr_cmp(&a, &want), 0);
    /* nothing to look up: the apex, another zone, a name that is no address, a response, junk */
    ql = tq_build(q, 3, "bl.botwatch.local", 1, 1, 0);
    assert_int_equal(bw_dnsbl_query_addr(&zone, q, ql, &a), BW_EMALFORMED);
    ql = tq_build(q, 4, "142.69.2.81.bl.example.org", 1, 1, 0);
    assert_int_equal(bw_dnsbl_query_addr(&zone, q, ql, &a), BW_EMALFORMED);
    ql = tq_build(q, 5, "www" Z, 1, 1, 0);
    assert_int_equal(bw_dnsbl_query_addr(&zone, q, ql, &a), BW_EMALFORMED);
    ql = tq_build(q, 6, "142.69.2.81" Z, 1, 1, 0);
    q[2] |= 0x80;
    assert_int_equal(bw_dnsbl_query_addr(&zone, q, ql, &a), BW_EMALFORMED);
    assert_int_equal(bw_dnsbl_query_addr(&zone, q, 11, &a), BW_EMALFORMED);
    for (size_t cut = 12; cut < ql; cut++) {
        q[2] &= 0x7f;
        assert_int_equal(bw_dnsbl_query_addr(&zone, q, cut, &a), BW_EMALFORMED);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(listed_ipv4_gets_one_a_per_category, setup),
        cmocka_unit_test_setup(txt_gives_categories_score_and_url, setup),
        cmocka_unit_test_setup(any_is_a_and_txt, setup),
        cmocka_unit_test_setup(unlisted_is_nxdomain_with_soa, setup),
        cmocka_unit_test_setup(rfc5782_test_points, setup),
        cmocka_unit_test_setup(ipv6_by_nibbles, setup),
        cmocka_unit_test_setup(apex_soa_ns_and_nodata, setup),
        cmocka_unit_test_setup(outside_zone_and_wrong_class_refused, setup),
        cmocka_unit_test_setup(odd_names_under_zone_are_nxdomain, setup),
        cmocka_unit_test_setup(opcode_other_than_query_is_notimp, setup),
        cmocka_unit_test_setup(malformed_is_formerr_or_dropped, setup),
        cmocka_unit_test_setup(edns_is_answered_with_opt, setup),
        cmocka_unit_test_setup(too_big_for_udp_sets_tc, setup),
        cmocka_unit_test_setup(truncate_keeps_question_and_opt, setup),
        cmocka_unit_test_setup(zone_config_is_checked, setup),
        cmocka_unit_test_setup(garbage_is_never_amplified, setup),
        cmocka_unit_test_setup(query_addr_is_what_answer_looks_up, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
