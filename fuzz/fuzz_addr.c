/*
 * fuzz/fuzz_addr.c - libFuzzer target for the address text that arrives in every report:
 * bw_addr_parse, bw_prefix_parse and bw_utf8_valid.
 * Properties checked (abort on violation, so the fuzzer records the input):
 *  - parse -> format -> parse gives the same 16 bytes, and formatting is idempotent;
 *  - the canonical text of an address is never longer than BW_ADDR_TEXT_MAX - 1;
 *  - a parsed prefix has zero host bits, contains its own address, and round-trips;
 *  - bw_utf8_valid agrees with a naive decode-then-check-ranges reference, and
 *    bw_utf8_truncate never cuts a valid string into an invalid one.
 */
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_addr: check failed: %s (line %d)\n", #cond, __LINE__);       \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

static void check_addr(const char *s, size_t len)
{
    struct bw_addr a, b;
    char text[BW_ADDR_TEXT_MAX], again[BW_ADDR_TEXT_MAX];

    if (bw_addr_parse(&a, s, len) != BW_OK)
        return;
    bw_addr_format(&a, text);
    CHECK(strlen(text) < BW_ADDR_TEXT_MAX);
    CHECK(bw_addr_parse(&b, text, strlen(text)) == BW_OK);
    CHECK(memcmp(a.b, b.b, 16) == 0);
    CHECK(bw_addr_cmp(&a, &b) == 0);
    CHECK(strcmp(bw_addr_format(&b, again), text) == 0);
    /* Canonical text is lower case and, for IPv4, has no "::ffff:" spelling. */
    for (const char *p = text; *p; p++)
        CHECK(!(*p >= 'A' && *p <= 'Z'));
    CHECK(bw_addr_is_v4(&a) == (strchr(text, ':') == NULL));
    CHECK(bw_addr_class_name(bw_addr_class(&a)) != NULL);
}

static void check_prefix(const char *s, size_t len)
{
    struct bw_prefix p, q;
    char text[BW_PREFIX_TEXT_MAX], again[BW_PREFIX_TEXT_MAX];

    if (bw_prefix_parse(&p, s, len) != BW_OK)
        return;
    CHECK(p.len <= 128);
    for (unsigned i = p.len; i < 128; i++)
        CHECK((p.addr.b[i / 8] & (0x80u >> (i % 8))) == 0);
    CHECK(bw_prefix_contains(&p, &p.addr));
    bw_prefix_format(&p, text);
    CHECK(strlen(text) < BW_PREFIX_TEXT_MAX);
    CHECK(bw_prefix_parse(&q, text, strlen(text)) == BW_OK);
    CHECK(q.len == p.len && memcmp(q.addr.b, p.addr.b, 16) == 0);
    CHECK(strcmp(bw_prefix_format(&q, again), text) == 0);
}

/* Reference: decode each sequence by its lead byte, then check the code point's range. */
static bool utf8_reference(const uint8_t *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n;
        uint8_t c = s[i];

        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i < n)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
        if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

static void check_utf8(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    bool valid = bw_utf8_valid(s, size);

    CHECK(valid == utf8_reference(data, size));
    if (size == 0)
        return;
    size_t max = data[0] % (size + 1);
    size_t cut = bw_utf8_truncate(s, size, max);
    CHECK(cut <= max && cut + 3 >= max);
    if (valid)
        CHECK(bw_utf8_valid(s, cut));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;

    check_addr(s, size);
    check_prefix(s, size);
    check_utf8(data, size);
    return 0;
}
