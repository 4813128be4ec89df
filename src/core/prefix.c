/*
 * core/prefix.c - CIDR prefixes on the 16-byte form.
 * Invariants:
 *  - An IPv4 prefix a.b.c.d/n is held as ::ffff:a.b.c.d with len 96 + n, so it covers exactly
 *    the mapped addresses bw_addr_parse() produces for that IPv4 range; "0.0.0.0/0" is all of
 *    IPv4 and nothing else.
 *  - Host bits are zero. Parsing rejects text with host bits set instead of masking them:
 *    "1.2.3.4/24" in a feed is usually a typo for a /32 or a copy error, and silently widening
 *    it to 256 addresses would list innocent hosts.
 *  - A mapped address never carries len < 96 (its ffff bits would be host bits), so formatting
 *    can pick the IPv4 spelling from the address alone.
 */
#include "core/core.h"

#include <stdio.h>
#include <string.h>

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128". */
#define PREFIX_TEXT_LEN_MAX (BW_PREFIX_TEXT_MAX - 1)

/* Bits [len, 128) of a are all zero. */
static bool host_bits_zero(const struct bw_addr *a, unsigned len)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
        uint8_t host_mask = (uint8_t)(0xffu >> keep);

        if (keep < 8 && (a->b[i] & host_mask) != 0)
            return false;
    }
    return true;
}

int bw_prefix_parse(struct bw_prefix *out, const char *s, size_t len)
{
    struct bw_prefix p;
    const char *slash;
    size_t addr_len;
    unsigned n = 0;
    int rc;

    if (s == NULL || len == 0 || len > PREFIX_TEXT_LEN_MAX)
        return BW_EMALFORMED;
    slash = memchr(s, '/', len);
    addr_len = slash != NULL ? (size_t)(slash - s) : len;
    rc = bw_addr_parse(&p.addr, s, addr_len);
    if (rc != BW_OK)
        return rc;

    bool v4 = bw_addr_is_v4(&p.addr) && memchr(s, ':', addr_len) == NULL;
    unsigned max = v4 ? 32 : 128;
    if (slash == NULL) {
        n = max;
    } else {
        const char *d = slash + 1;
        size_t digits = len - addr_len - 1;

        /* Plain decimal: no sign, no leading zeros, at most three digits. */
        if (digits == 0 || digits > 3 || (d[0] == '0' && digits > 1))
            return BW_EMALFORMED;
        for (size_t i = 0; i < digits; i++) {
            if (d[i] < '0' || d[i] > '9')
                return BW_EMALFORMED;
            n = n * 10 + (unsigned)(d[i] - '0');
        }
        if (n > max)
            return BW_EMALFORMED;
    }
    /* IPv4 text counts on the 32-bit scale; "::ffff:1.2.3.0/120" is already on the 128 one. */
    p.len = (uint8_t)(v4 ? 96 + n : n);
    if (!host_bits_zero(&p.addr, p.len))
        return BW_EMALFORMED;
    *out = p;
    return BW_OK;
}

char *bw_prefix_format(const struct bw_prefix *p, char *buf)
{
    char text[BW_ADDR_TEXT_MAX];
    unsigned len = p->len;

    bw_addr_format(&p->addr, text);
    if (bw_addr_is_v4(&p->addr) && len >= 96)
        len -= 96;
    snprintf(buf, BW_PREFIX_TEXT_MAX, "%s/%u", text, len);
    return buf;
}

bool bw_prefix_contains(const struct bw_prefix *p, const struct bw_addr *a)
{
    unsigned len = p->len;
    unsigned whole = len / 8;
    unsigned rest = len % 8;

    if (len > 128)
        return false;
    if (memcmp(p->addr.b, a->b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (p->addr.b[whole] & mask) == (a->b[whole] & mask);
}
