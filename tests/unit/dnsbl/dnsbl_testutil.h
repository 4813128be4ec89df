/*
 * tests/unit/dnsbl/dnsbl_testutil.h - building queries and reading answers in the DNSBL tests:
 * a second, deliberately simple DNS reader, so the tests do not trust wire.c to check itself.
 */
#ifndef BW_DNSBL_TESTUTIL_H
#define BW_DNSBL_TESTUTIL_H

#include <stdio.h>
#include <string.h>

#include "dnsbl/dnsbl.h"

/* Writes a query for name (dotted text) into buf; edns_size 0 = no OPT. Returns its length. */
static inline size_t tq_build(uint8_t *buf, uint16_t id, const char *name, uint16_t type,
                              uint16_t klass, uint16_t edns_size)
{
    size_t n = 0;
    buf[n++] = (uint8_t)(id >> 8);
    buf[n++] = (uint8_t)id;
    buf[n++] = 0x01; /* RD */
    buf[n++] = 0x00;
    buf[n++] = 0;
    buf[n++] = 1;
    memset(buf + n, 0, 6);
    buf[n + 5] = edns_size ? 1 : 0;
    n += 6;
    const char *p = name;
    while (*p != '\0') {
        const char *dot = strchr(p, '.');
        size_t ll = dot ? (size_t)(dot - p) : strlen(p);
        buf[n++] = (uint8_t)ll;
        memcpy(buf + n, p, ll);
        n += ll;
        p += ll;
        if (*p == '.')
            p++;
    }
    buf[n++] = 0;
    buf[n++] = (uint8_t)(type >> 8);
    buf[n++] = (uint8_t)type;
    buf[n++] = (uint8_t)(klass >> 8);
    buf[n++] = (uint8_t)klass;
    if (edns_size) {
        buf[n++] = 0;
        buf[n++] = 0;
        buf[n++] = 41;
        buf[n++] = (uint8_t)(edns_size >> 8);
        buf[n++] = (uint8_t)edns_size;
        memset(buf + n, 0, 6);
        n += 6;
    }
    return n;
}

struct tr_rr {
    uint16_t type, klass;
    uint32_t ttl;
    uint16_t rdlen;
    const uint8_t *rdata;
    char owner[256];
};

struct tr_msg {
    uint16_t id, flags;
    unsigned rcode;
    unsigned qd, an, ns, ar;
    char qname[256];
    uint16_t qtype;
    struct tr_rr rr[32]; /* answer, then authority, then additional */
    int n_rr;
    bool ok;
};

/* Expands a name into dotted text (no pointer loops accepted: at most 20 jumps). */
static inline bool tr_name(const uint8_t *m, size_t len, size_t *pos, char *out)
{
    size_t p = *pos, o = 0;
    int jumps = 0;
    bool jumped = false;
    out[0] = '\0';
    for (;;) {
        if (p >= len)
            return false;
        uint8_t b = m[p];
        if ((b & 0xc0) == 0xc0) {
            if (p + 1 >= len || ++jumps > 20)
                return false;
            if (!jumped)
                *pos = p + 2;
            jumped = true;
            p = (size_t)(b & 0x3f) << 8 | m[p + 1];
            continue;
        }
        if (b == 0) {
            if (!jumped)
                *pos = p + 1;
            if (o > 0)
                out[o - 1] = '\0';
            return true;
        }
        if (p + 1 + b > len || o + b + 1 >= 255)
            return false;
        memcpy(out + o, m + p + 1, b);
        o += b;
        out[o++] = '.';
        out[o] = '\0';
        p += 1u + b;
    }
}

static inline uint16_t tr_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline bool tr_parse(const uint8_t *m, size_t len, struct tr_msg *t)
{
    memset(t, 0, sizeof(*t));
    if (len < 12)
        return false;
    t->id = tr_u16(m);
    t->flags = tr_u16(m + 2);
    t->rcode = t->flags & 0xf;
    t->qd = tr_u16(m + 4);
    t->an = tr_u16(m + 6);
    t->ns = tr_u16(m + 8);
    t->ar = tr_u16(m + 10);
    size_t pos = 12;
    if (t->qd == 1) {
        if (!tr_name(m, len, &pos, t->qname) || pos + 4 > len)
            return false;
        t->qtype = tr_u16(m + pos);
        pos += 4;
    }
    unsigned total = t->an + t->ns + t->ar;
    for (unsigned i = 0; i < total && i < 32; i++) {
        struct tr_rr *r = &t->rr[i];
        if (!tr_name(m, len, &pos, r->owner) || pos + 10 > len)
            return false;
        r->type = tr_u16(m + pos);
        r->klass = tr_u16(m + pos + 2);
        r->ttl = (uint32_t)tr_u16(m + pos + 4) << 16 | tr_u16(m + pos + 6);
        r->rdlen = tr_u16(m + pos + 8);
        pos += 10;
        if (pos + r->rdlen > len)
            return false;
        r->rdata = m + pos;
        pos += r->rdlen;
        t->n_rr++;
    }
    t->ok = pos == len;
    return t->ok;
}

/* "127.0.0.2" for an A record. */
static inline void tr_a_text(const struct tr_rr *r, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", r->rdata[0], r->rdata[1], r->rdata[2], r->rdata[3]);
}

#endif
