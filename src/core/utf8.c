/*
 * core/utf8.c - UTF-8 well-formedness (RFC 3629 / Unicode table 3-7) and safe truncation.
 * Why strict: text from reports ends up in JSON, SQL and e-mail; an overlong '/' or a surrogate
 * that one consumer accepts and another rejects is how filters get bypassed.
 * The validator follows the Unicode well-formed byte sequence table directly, so the second byte
 * ranges (E0 A0..BF, ED 80..9F, F0 90..BF, F4 80..8F) exclude overlongs, surrogates and code
 * points above U+10FFFF without decoding.
 */
#include "core/core.h"

bool bw_utf8_valid(const char *p, size_t len)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;

    while (i < len) {
        unsigned c = s[i];
        unsigned lo = 0x80;
        unsigned hi = 0xbf;
        size_t n;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        } else {
            return false; /* continuation byte as lead, C0/C1 overlong, or F5..FF */
        }
        if (len - i - 1 < n)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= n; k++) {
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return false;
        }
        i += n + 1;
    }
    return true;
}

/* Bytes a sequence needs, judged by its lead byte; 0 for a byte that cannot lead. */
static size_t seq_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if (c >= 0xe0 && c <= 0xef)
        return 3;
    if (c >= 0xf0 && c <= 0xf4)
        return 4;
    return 0;
}

size_t bw_utf8_truncate(const char *p, size_t len, size_t max)
{
    const unsigned char *s = (const unsigned char *)p;

    if (max >= len)
        return len;
    /* Cutting before a byte that is not a continuation never splits a sequence. */
    if ((s[max] & 0xc0) != 0x80)
        return max;
    /* Walk back over at most three continuation bytes to the lead byte. */
    for (size_t back = 1; back <= 3 && back <= max; back++) {
        unsigned char c = s[max - back];
        if ((c & 0xc0) == 0x80)
            continue;
        /* Cut before the lead if its sequence would reach past max; otherwise s[max] is a
         * stray continuation byte and cutting there splits nothing. */
        return seq_len(c) > back ? max - back : max;
    }
    return max;
}
