/*
 * core/number.c - decimal numbers from text (options, settings, query strings), strictly:
 * digits only, no sign, no spaces, no overflow, within a range.
 */
#include "core/core.h"

int bw_u64_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (s == NULL || *s == '\0')
        return BW_EMALFORMED;
    for (; *s != '\0'; s++) {
        uint64_t d = (uint64_t)(*s - '0');

        if (*s < '0' || *s > '9' || v > UINT64_MAX / 10 ||
            (v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
            return BW_EMALFORMED;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return BW_EMALFORMED;
    *out = v;
    return BW_OK;
}
