/*
 * core/special.c - which addresses may be devices: the IANA IPv4 and IPv6 special-purpose
 * address registries (RFC 6890 and successors), plus IPv6 outside 2000::/3 as reserved.
 * Invariants:
 *  - The most specific (longest) matching entry decides, so an entry may carve an exception out
 *    of a wider one in any order in the tables (2001:3::/32 AMT stays public inside 2001::/23).
 *  - Blocks the registry marks globally reachable are public here: they are real anycast
 *    services a compromised device can talk to, so a report naming one is about a public host.
 *    ORCHIDs are the exception: they are identifiers, not routable host addresses.
 *  - IPv4 is held mapped (::ffff:a.b.c.d) and classified by the IPv4 table only; the IPv6 table
 *    never sees a mapped address.
 * Tables are small and scanned linearly: a classification costs a few dozen compares, well below
 * the cost of the parse that produced the address.
 */
#include "core/core.h"

#include <string.h>

struct v4_range {
    uint32_t net; /* host order */
    uint8_t len;  /* 0..32 */
    enum bw_addr_class cls;
};

#define V4(a, b, c, d)                                                                         \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static const struct v4_range v4_table[] = {
    { V4(0, 0, 0, 0), 8, BW_ADDR_THIS_NETWORK },
    { V4(10, 0, 0, 0), 8, BW_ADDR_PRIVATE },
    { V4(100, 64, 0, 0), 10, BW_ADDR_CGNAT },
    { V4(127, 0, 0, 0), 8, BW_ADDR_LOOPBACK },
    { V4(169, 254, 0, 0), 16, BW_ADDR_LINK_LOCAL },
    { V4(172, 16, 0, 0), 12, BW_ADDR_PRIVATE },
    { V4(192, 0, 0, 0), 24, BW_ADDR_PROTOCOL },
    { V4(192, 0, 0, 9), 32, BW_ADDR_PUBLIC },  /* PCP anycast, globally reachable */
    { V4(192, 0, 0, 10), 32, BW_ADDR_PUBLIC }, /* TURN anycast, globally reachable */
    { V4(192, 0, 2, 0), 24, BW_ADDR_DOCUMENTATION },
    { V4(192, 88, 99, 0), 24, BW_ADDR_RELAY }, /* deprecated 6to4 relay anycast */
    { V4(192, 168, 0, 0), 16, BW_ADDR_PRIVATE },
    { V4(198, 18, 0, 0), 15, BW_ADDR_BENCHMARKING },
    { V4(198, 51, 100, 0), 24, BW_ADDR_DOCUMENTATION },
    { V4(203, 0, 113, 0), 24, BW_ADDR_DOCUMENTATION },
    { V4(224, 0, 0, 0), 4, BW_ADDR_MULTICAST },
    { V4(240, 0, 0, 0), 4, BW_ADDR_RESERVED },
    { V4(255, 255, 255, 255), 32, BW_ADDR_BROADCAST },
    /* 192.31.196/24 (AS112), 192.52.193/24 (AMT) and 192.175.48/24 (AS112 direct delegation)
     * are in the registry but globally reachable, so they stay public by default. */
};

struct v6_range {
    uint16_t w[8]; /* the prefix as eight 16-bit groups; trailing groups may be left out */
    uint8_t len;   /* 0..128 */
    enum bw_addr_class cls;
};

static const struct v6_range v6_table[] = {
    /* Outside 2000::/3 nothing is assigned for global unicast. */
    { { 0 }, 0, BW_ADDR_RESERVED },
    { { 0x2000 }, 3, BW_ADDR_PUBLIC },

    { { 0 }, 128, BW_ADDR_THIS_NETWORK },                 /* ::/128 unspecified */
    { { 0, 0, 0, 0, 0, 0, 0, 1 }, 128, BW_ADDR_LOOPBACK }, /* ::1/128 */
    { { 0 }, 96, BW_ADDR_RESERVED },                       /* ::/96 IPv4-compatible, deprecated */
    { { 0x64, 0xff9b }, 96, BW_ADDR_TRANSLATION },         /* 64:ff9b::/96 NAT64 */
    { { 0x64, 0xff9b, 0x1 }, 48, BW_ADDR_TRANSLATION },    /* 64:ff9b:1::/48 local NAT64 */
    { { 0x100 }, 64, BW_ADDR_DISCARD },                    /* 100::/64 discard-only */

    { { 0x2001 }, 23, BW_ADDR_PROTOCOL },                  /* IETF protocol assignments */
    { { 0x2001, 0x0 }, 32, BW_ADDR_RELAY },                /* Teredo */
    { { 0x2001, 0x1, 0, 0, 0, 0, 0, 1 }, 128, BW_ADDR_PUBLIC }, /* PCP anycast */
    { { 0x2001, 0x1, 0, 0, 0, 0, 0, 2 }, 128, BW_ADDR_PUBLIC }, /* TURN anycast */
    { { 0x2001, 0x1, 0, 0, 0, 0, 0, 3 }, 128, BW_ADDR_PUBLIC }, /* DNS-SD SRP anycast */
    { { 0x2001, 0x2, 0x0 }, 48, BW_ADDR_BENCHMARKING },
    { { 0x2001, 0x3 }, 32, BW_ADDR_PUBLIC },               /* AMT */
    { { 0x2001, 0x4, 0x112 }, 48, BW_ADDR_PUBLIC },        /* AS112-v6 */
    { { 0x2001, 0x10 }, 28, BW_ADDR_RESERVED },            /* ORCHID, deprecated */
    { { 0x2001, 0x20 }, 28, BW_ADDR_RESERVED },            /* ORCHIDv2 */
    { { 0x2001, 0x30 }, 28, BW_ADDR_RESERVED },            /* DRIP entity tags: ORCHID-style ids */
    { { 0x2001, 0x0db8 }, 32, BW_ADDR_DOCUMENTATION },
    { { 0x2002 }, 16, BW_ADDR_RELAY },                     /* 6to4 */
    { { 0x3fff, 0x0 }, 20, BW_ADDR_DOCUMENTATION },
    { { 0x5f00 }, 16, BW_ADDR_RESERVED },                  /* SRv6 SIDs */

    { { 0xfc00 }, 7, BW_ADDR_PRIVATE },                    /* unique local */
    { { 0xfe80 }, 10, BW_ADDR_LINK_LOCAL },
    { { 0xfec0 }, 10, BW_ADDR_RESERVED },                  /* site local, deprecated */
    { { 0xff00 }, 8, BW_ADDR_MULTICAST },
};

static bool v4_match(uint32_t ip, const struct v4_range *r)
{
    uint32_t mask = r->len == 0 ? 0 : UINT32_MAX << (32 - r->len);

    return (ip & mask) == r->net;
}

static bool v6_match(const uint16_t w[8], const struct v6_range *r)
{
    for (unsigned i = 0, bits = r->len; bits > 0; i++) {
        unsigned n = bits < 16 ? bits : 16;
        uint16_t mask = (uint16_t)(0xffffu << (16 - n));

        if ((w[i] & mask) != r->w[i])
            return false;
        bits -= n;
    }
    return true;
}

enum bw_addr_class bw_addr_class(const struct bw_addr *a)
{
    enum bw_addr_class cls = BW_ADDR_PUBLIC;
    int best = -1;

    if (bw_addr_is_v4(a)) {
        uint32_t ip = V4(a->b[12], a->b[13], a->b[14], a->b[15]);
        for (size_t i = 0; i < BW_ARRAY_LEN(v4_table); i++) {
            if (v4_table[i].len > best && v4_match(ip, &v4_table[i])) {
                best = v4_table[i].len;
                cls = v4_table[i].cls;
            }
        }
        return cls;
    }

    uint16_t w[8];
    for (int i = 0; i < 8; i++)
        w[i] = (uint16_t)(a->b[2 * i] << 8 | a->b[2 * i + 1]);
    for (size_t i = 0; i < BW_ARRAY_LEN(v6_table); i++) {
        if (v6_table[i].len > best && v6_match(w, &v6_table[i])) {
            best = v6_table[i].len;
            cls = v6_table[i].cls;
        }
    }
    return cls;
}

const char *bw_addr_class_name(enum bw_addr_class c)
{
    switch (c) {
    case BW_ADDR_PUBLIC:
        return "public";
    case BW_ADDR_THIS_NETWORK:
        return "this-network";
    case BW_ADDR_PRIVATE:
        return "private";
    case BW_ADDR_LOOPBACK:
        return "loopback";
    case BW_ADDR_LINK_LOCAL:
        return "link-local";
    case BW_ADDR_CGNAT:
        return "cgnat";
    case BW_ADDR_DOCUMENTATION:
        return "documentation";
    case BW_ADDR_BENCHMARKING:
        return "benchmarking";
    case BW_ADDR_MULTICAST:
        return "multicast";
    case BW_ADDR_BROADCAST:
        return "broadcast";
    case BW_ADDR_PROTOCOL:
        return "protocol";
    case BW_ADDR_RELAY:
        return "relay";
    case BW_ADDR_TRANSLATION:
        return "translation";
    case BW_ADDR_DISCARD:
        return "discard";
    case BW_ADDR_RESERVED:
        return "reserved";
    }
    return "unknown";
}
