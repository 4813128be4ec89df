/*
 * export/formats.c - the names of the export formats, the DNSBL category code table, and the
 * text of addresses, prefixes and rpz-ip owners written by hand.
 * Invariants:
 *  - formats[] is indexed by enum bw_export_format; names are part of the CLI and HTTP API.
 *  - The writers never write past the documented maximum (BW_EXPORT_PREFIX_MAX, 64 bytes for
 *    rpz-ip) and never write a NUL: they append into the export's output buffer. They exist
 *    because exports write ten million lines in seconds and snprintf costs most of that.
 */
#include "export/export.h"

#include <string.h>

static const struct {
    const char *name;
    const char *mime;
} formats[] = {
    [BW_EXPORT_TXT] = { "txt", "text/plain; charset=utf-8" },
    [BW_EXPORT_CIDR] = { "cidr", "text/plain; charset=utf-8" },
    [BW_EXPORT_CSV] = { "csv", "text/csv; charset=utf-8" },
    [BW_EXPORT_JSON] = { "json", "application/json" },
    [BW_EXPORT_NFT] = { "nft", "text/plain; charset=utf-8" },
    [BW_EXPORT_IPSET] = { "ipset", "text/plain; charset=utf-8" },
    [BW_EXPORT_RBLDNSD] = { "rbldnsd", "text/plain; charset=utf-8" },
    [BW_EXPORT_RBLDNSD6] = { "rbldnsd6", "text/plain; charset=utf-8" },
    [BW_EXPORT_RPZ] = { "rpz", "text/dns" },
    [BW_EXPORT_SURICATA] = { "suricata", "text/plain; charset=utf-8" },
};

_Static_assert(BW_ARRAY_LEN(formats) == BW_EXPORT_COUNT, "one name per export format");

int bw_export_format_parse(enum bw_export_format *out, const char *name)
{
    if (name == NULL)
        return BW_EMALFORMED;
    for (size_t i = 0; i < BW_EXPORT_COUNT; i++) {
        if (strcmp(formats[i].name, name) == 0) {
            *out = (enum bw_export_format)i;
            return BW_OK;
        }
    }
    return BW_EMALFORMED;
}

const char *bw_export_format_name(enum bw_export_format f)
{
    return (unsigned)f < BW_EXPORT_COUNT ? formats[f].name : "unknown";
}

const char *bw_export_format_mime(enum bw_export_format f)
{
    return (unsigned)f < BW_EXPORT_COUNT ? formats[f].mime : "application/octet-stream";
}

unsigned bw_export_rbl_code(enum bw_category c)
{
    return (unsigned)c + 1;
}

/* Decimal of v (0..255 or a prefix length) at dst; returns the length. */
static size_t put_dec(char *dst, unsigned v)
{
    if (v >= 100) {
        dst[0] = (char)('0' + v / 100);
        dst[1] = (char)('0' + v / 10 % 10);
        dst[2] = (char)('0' + v % 10);
        return 3;
    }
    if (v >= 10) {
        dst[0] = (char)('0' + v / 10);
        dst[1] = (char)('0' + v % 10);
        return 2;
    }
    dst[0] = (char)('0' + v);
    return 1;
}

static size_t put_hex16(char *dst, unsigned w)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    bool started = false;

    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned nib = (w >> shift) & 0xf;

        if (nib != 0 || started || shift == 0) {
            dst[n++] = hex[nib];
            started = true;
        }
    }
    return n;
}

size_t bw_export_put_prefix(char *dst, const struct bw_prefix *p)
{
    size_t n = 0;
    unsigned len = p->len;

    if (bw_addr_is_v4(&p->addr) && len >= 96) {
        for (int i = 12; i < 16; i++) {
            if (i > 12)
                dst[n++] = '.';
            n += put_dec(dst + n, p->addr.b[i]);
        }
        len -= 96;
        if (len == 32)
            return n;
    } else {
        char text[BW_ADDR_TEXT_MAX];
        size_t tl;

        bw_addr_format(&p->addr, text);
        tl = strlen(text);
        memcpy(dst, text, tl);
        n = tl;
        if (len == 128)
            return n;
    }
    dst[n++] = '/';
    n += put_dec(dst + n, len);
    return n;
}

size_t bw_export_put_rpz_ip(char *dst, const struct bw_prefix *p)
{
    size_t n = 0;

    if (bw_addr_is_v4(&p->addr) && p->len >= 96) {
        n += put_dec(dst, p->len - 96u);
        for (int i = 15; i >= 12; i--) {
            dst[n++] = '.';
            n += put_dec(dst + n, p->addr.b[i]);
        }
        return n;
    }
    /* IPv6: the 16-bit words lowest first, the longest run of two or more zero words as one
     * "zz" (the leftmost run when two tie, as in RFC 5952 text, read backwards). */
    unsigned w[8];
    int best = -1, best_len = 0;

    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)(p->addr.b[2 * i] << 8 | p->addr.b[2 * i + 1]);
    for (int i = 0; i < 8;) {
        int j = i;

        while (j < 8 && w[j] == 0)
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    n += put_dec(dst, p->len);
    for (int i = 7; i >= 0; i--) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best) {
                memcpy(dst + n, ".zz", 3);
                n += 3;
            }
            continue;
        }
        dst[n++] = '.';
        n += put_hex16(dst + n, w[i]);
    }
    return n;
}
