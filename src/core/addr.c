/*
 * core/addr.c - parsing, formatting and comparing addresses.
 * Invariants:
 *  - A struct bw_addr is 16 bytes in network order; IPv4 lives at ::ffff:a.b.c.d, so every
 *    spelling of one IPv4 address ("81.2.69.142", "::ffff:81.2.69.142", "::FFFF:5102:458e")
 *    parses to the same bytes and is one device.
 *  - Parsing is strict on purpose: the text is a database key and appears in abuse reports, so
 *    anything a human could read two ways (leading zeros, which some stacks take as octal; zone
 *    ids; whitespace) is rejected rather than guessed at.
 *  - bw_addr_format() output parses back to the same bytes, and formatting is a pure function of
 *    the bytes (the fuzz target fuzz/fuzz_addr.c checks both).
 */
#include "core/core.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* INET6_ADDRSTRLEN - 1: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255". */
#define ADDR_TEXT_LEN_MAX (BW_ADDR_TEXT_MAX - 1)

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool bw_addr_is_v4(const struct bw_addr *a)
{
    return memcmp(a->b, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

/*
 * True when s[0..len) is exactly four decimal octets 0..255 without leading zeros. inet_pton()
 * is not trusted with this: POSIX leaves leading zeros open and some libcs (and inet_aton)
 * read "010" as octal 8.
 */
static bool strict_dotted_quad(const char *s, size_t len)
{
    size_t i = 0;

    for (int octet = 0; octet < 4; octet++) {
        unsigned value = 0;
        size_t start = i;

        if (octet > 0) {
            if (i >= len || s[i] != '.')
                return false;
            start = ++i;
        }
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3) {
            value = value * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        if (i == start || value > 255)
            return false;
        if (s[start] == '0' && i - start > 1)
            return false;
    }
    return i == len;
}

int bw_addr_parse(struct bw_addr *out, const char *s, size_t len)
{
    char text[BW_ADDR_TEXT_MAX];
    struct bw_addr a;
    const char *colon;

    if (s == NULL || len == 0 || len > ADDR_TEXT_LEN_MAX)
        return BW_EMALFORMED;
    /* inet_pton() stops at a NUL, so "1.2.3.4\0junk" would otherwise be accepted. */
    if (memchr(s, '\0', len) != NULL)
        return BW_EMALFORMED;
    for (size_t i = 0; i < len; i++) {
        /* Only hex digits, ':' and '.' can occur; this rules out whitespace and zone ids ('%'). */
        char c = s[i];
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                  c == ':' || c == '.';
        if (!ok)
            return BW_EMALFORMED;
    }
    memcpy(text, s, len);
    text[len] = '\0';

    colon = NULL;
    for (size_t i = len; i > 0 && colon == NULL; i--) {
        if (text[i - 1] == ':')
            colon = &text[i - 1];
    }
    if (colon == NULL) {
        if (!strict_dotted_quad(text, len))
            return BW_EMALFORMED;
        memcpy(a.b, v4_mapped_prefix, sizeof(v4_mapped_prefix));
        if (inet_pton(AF_INET, text, a.b + 12) != 1)
            return BW_EMALFORMED;
    } else {
        /* An embedded IPv4 tail ("::ffff:1.2.3.4") obeys the same no-leading-zeros rule. */
        size_t tail = (size_t)(colon - text) + 1;
        if (memchr(text + tail, '.', len - tail) != NULL &&
            !strict_dotted_quad(text + tail, len - tail))
            return BW_EMALFORMED;
        if (inet_pton(AF_INET6, text, a.b) != 1)
            return BW_EMALFORMED;
    }
    *out = a;
    return BW_OK;
}

/*
 * RFC 5952 text for a 16-byte address, ignoring the IPv4 mapping. Hand-written rather than
 * inet_ntop() because libcs disagree on the edges: glibc prints ::2:3 as "::0.2.0.3" (it treats
 * all of ::/96 as IPv4-compatible), musl differs again, and the text is a key, so it must not
 * change with the libc.
 */
static char *format_v6(const uint8_t b[16], char *buf)
{
    static const char hex[] = "0123456789abcdef";
    uint16_t w[8];
    int best = -1;
    int best_len = 0;
    char *p = buf;

    for (int i = 0; i < 8; i++)
        w[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
    /* Longest run of zero groups, the first on a tie, and only if it is at least two long. */
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && w[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    if (best_len < 2)
        best = -1;

    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *p++ = ':';
            *p++ = ':';
            i += best_len - 1;
            continue;
        }
        if (i > 0 && i != best + best_len)
            *p++ = ':';
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            unsigned nib = (w[i] >> shift) & 0xf;
            if (nib != 0 || started || shift == 0) {
                *p++ = hex[nib];
                started = true;
            }
        }
    }
    *p = '\0';
    return buf;
}

char *bw_addr_format(const struct bw_addr *a, char *buf)
{
    if (bw_addr_is_v4(a)) {
        /* Cannot fail: the buffer is big enough and the family is valid. */
        if (inet_ntop(AF_INET, a->b + 12, buf, BW_ADDR_TEXT_MAX) == NULL)
            bw_panic("inet_ntop failed on an IPv4 address");
        return buf;
    }
    return format_v6(a->b, buf);
}

int bw_addr_cmp(const struct bw_addr *a, const struct bw_addr *b)
{
    int c = memcmp(a->b, b->b, sizeof(a->b));

    return (c > 0) - (c < 0);
}
