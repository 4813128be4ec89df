/*
 * core/category.c - the fixed list of abuse categories and their wire names.
 * Invariants:
 *  - names[] is indexed by enum bw_category and has exactly BW_CAT_COUNT entries; the names are
 *    part of the API (HTTP, exports, DNSBL TXT) and never change spelling.
 *  - bw_catmask_format() writes whole names only: a truncated name would read as a different,
 *    valid-looking category to whoever parses the text.
 */
#include "core/core.h"

#include <string.h>

static const char *const names[] = {
    [BW_CAT_SCAN] = "scan",         [BW_CAT_BRUTEFORCE] = "bruteforce",
    [BW_CAT_EXPLOIT] = "exploit",   [BW_CAT_WEB_ATTACK] = "web-attack",
    [BW_CAT_DDOS] = "ddos",         [BW_CAT_SPAM] = "spam",
    [BW_CAT_MALWARE] = "malware",   [BW_CAT_C2] = "c2",
    [BW_CAT_BOT] = "bot",           [BW_CAT_PHISHING] = "phishing",
    [BW_CAT_PROXY] = "proxy",
};

_Static_assert(BW_ARRAY_LEN(names) == BW_CAT_COUNT, "one name per category");
_Static_assert(BW_CAT_COUNT <= 32, "bw_catmask has 32 bits");

const char *bw_category_name(enum bw_category c)
{
    if ((unsigned)c >= BW_CAT_COUNT)
        return "unknown";
    return names[c];
}

int bw_category_parse(enum bw_category *out, const char *s, size_t len)
{
    if (s == NULL)
        return BW_EMALFORMED;
    for (size_t i = 0; i < BW_CAT_COUNT; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
            *out = (enum bw_category)i;
            return BW_OK;
        }
    }
    return BW_EMALFORMED;
}

char *bw_catmask_format(bw_catmask m, char *buf, size_t cap)
{
    size_t len = 0;

    if (cap == 0)
        return buf;
    buf[0] = '\0';
    for (unsigned i = 0; i < BW_CAT_COUNT; i++) {
        if (!(m & (1u << i)))
            continue;
        size_t n = strlen(names[i]);
        size_t sep = len > 0 ? 1 : 0;
        if (len + sep + n >= cap)
            break;
        if (sep)
            buf[len++] = ',';
        memcpy(buf + len, names[i], n);
        len += n;
        buf[len] = '\0';
    }
    return buf;
}
