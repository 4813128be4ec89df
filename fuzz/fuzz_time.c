/*
 * fuzz/fuzz_time.c - libFuzzer target for RFC 3339 timestamps (bw_time_parse/bw_time_format).
 * Properties checked (abort on violation, so the fuzzer records the input):
 *  - parse -> format -> parse gives the same instant, and the text has the canonical shape;
 *  - any int64, formatted, parses back to itself after clamping to years 0000..9999.
 */
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_time: check failed: %s (line %d)\n", #cond, __LINE__);       \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#define TIME_MIN INT64_C(-62167219200) /* 0000-01-01T00:00:00Z */
#define TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

static void check_text(const char *s, size_t len)
{
    char text[BW_TIME_TEXT_MAX], again[BW_TIME_TEXT_MAX];
    int64_t t, u;

    if (bw_time_parse(&t, s, len) != BW_OK)
        return;
    CHECK(t >= TIME_MIN && t <= TIME_MAX);
    bw_time_format(t, text);
    CHECK(strlen(text) == BW_TIME_TEXT_MAX - 1);
    CHECK(text[4] == '-' && text[7] == '-' && text[10] == 'T' && text[19] == 'Z');
    CHECK(bw_time_parse(&u, text, strlen(text)) == BW_OK);
    CHECK(u == t);
    CHECK(strcmp(bw_time_format(u, again), text) == 0);
    /* The date part of canonical input survives unchanged when the zone is Z. */
    if (len == 20 && (s[19] == 'Z') && s[10] == 'T' && s[17] != '6')
        CHECK(memcmp(s, text, 20) == 0);
}

static void check_instant(const uint8_t *data, size_t size)
{
    char text[BW_TIME_TEXT_MAX];
    uint64_t raw = 0;
    int64_t t, back;

    if (size < 8)
        return;
    for (int i = 0; i < 8; i++)
        raw = raw << 8 | data[i];
    memcpy(&t, &raw, sizeof(t));
    bw_time_format(t, text);
    CHECK(strlen(text) == BW_TIME_TEXT_MAX - 1);
    CHECK(bw_time_parse(&back, text, strlen(text)) == BW_OK);
    CHECK(back == (t < TIME_MIN ? TIME_MIN : t > TIME_MAX ? TIME_MAX : t));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_text((const char *)data, size);
    check_instant(data, size);
    return 0;
}
