/*
 * http/image.c - the device image: every device with reports in the window, judged when the
 * listing is built, with its aggregates and enrichment, in address order. Lookups answer from
 * it without touching the store (only evidence for privileged callers reads the store).
 *
 * Enrichment is interned: a record is the ASN and thirteen NUL-terminated strings, stored
 * once in a byte pool however many devices share it (every device of a network without a
 * fingerprint shares one), found again through an open-addressing table of pool offsets.
 * Written by hand because it is the lookup path's memory: a million devices cost about 56
 * bytes each plus their distinct enrichment records.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

/* The string fields of an enrichment record, in pool order. */
#define FIELD(name) { offsetof(struct bw_enrichment, name), sizeof(((struct bw_enrichment *)0)->name) }
static const struct {
    size_t off, cap;
} fields[] = {
    FIELD(as_org),       FIELD(prefix),        FIELD(country),        FIELD(region),
    FIELD(city),         FIELD(vertical),      FIELD(contact),        FIELD(device_type),
    FIELD(device_vendor), FIELD(device_model), FIELD(device_os),      FIELD(device_software),
    FIELD(device_version),
};

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull; /* FNV-1a */

    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

/* A record is a 2-byte length, then the ASN (4 bytes) and the strings. */
static size_t record_len(const char *rec)
{
    uint16_t len;

    memcpy(&len, rec, sizeof(len));
    return len;
}

static void pool_reserve(struct bw_http_image *im, size_t more)
{
    if (im->pool_len + more > im->pool_cap) {
        im->pool_cap = im->pool_cap ? im->pool_cap * 2 : 1 << 16;
        while (im->pool_len + more > im->pool_cap)
            im->pool_cap *= 2;
        im->pool = bw_xrealloc(im->pool, im->pool_cap);
    }
}

static void table_grow(struct bw_http_image *im)
{
    size_t cap = im->cap ? im->cap * 2 : 1024;
    uint32_t *t = bw_xcalloc(cap, sizeof(*t));

    for (size_t i = 0; i < im->cap; i++) {
        uint32_t off = im->table[i];
        size_t j;

        if (off == 0)
            continue;
        j = hash_bytes(im->pool + off - 1, record_len(im->pool + off - 1)) & (cap - 1);
        while (t[j] != 0)
            j = (j + 1) & (cap - 1);
        t[j] = off;
    }
    free(im->table);
    im->table = t;
    im->cap = cap;
}

/* The pool offset of the record rec[0..len), added when new. */
static uint32_t intern_rec(struct bw_http_image *im, const char *rec, size_t len)
{
    size_t j;

    if (2 * (im->used + 1) > im->cap)
        table_grow(im);
    for (j = hash_bytes(rec, len) & (im->cap - 1); im->table[j] != 0;
         j = (j + 1) & (im->cap - 1)) {
        const char *have = im->pool + im->table[j] - 1;

        if (record_len(have) == len && memcmp(have, rec, len) == 0)
            return im->table[j] - 1;
    }
    pool_reserve(im, len);
    memcpy(im->pool + im->pool_len, rec, len);
    im->table[j] = (uint32_t)im->pool_len + 1;
    im->used++;
    im->pool_len += len;
    return im->table[j] - 1;
}

/* The pool offset of en's record, added when new. */
static uint32_t intern(struct bw_http_image_builder *b, const struct bw_enrichment *en)
{
    char rec[2 + 4 + sizeof(struct bw_enrichment)];
    size_t len = 2 + 4;
    uint16_t len16;

    memcpy(rec + 2, &en->asn, 4);
    for (size_t i = 0; i < BW_ARRAY_LEN(fields); i++) {
        const char *s = (const char *)en + fields[i].off;
        size_t n = strnlen(s, fields[i].cap - 1);

        memcpy(rec + len, s, n);
        rec[len + n] = '\0';
        len += n + 1;
    }
    len16 = (uint16_t)len;
    memcpy(rec, &len16, sizeof(len16));
    return intern_rec(b->im, rec, len);
}

void bw_http__image_builder_init(struct bw_http_image_builder *b, struct bw_http_image *im)
{
    memset(b, 0, sizeof(*b));
    memset(im, 0, sizeof(*im));
    b->im = im;
}

void bw_http__image_add(struct bw_http_image_builder *b, const struct bw_device *d,
                        const struct bw_verdict *v, bool allowlisted)
{
    struct bw_http_image *im = b->im;
    struct bw_http_dev *x;

    if (im->n == b->dev_cap) {
        b->dev_cap = b->dev_cap ? 2 * b->dev_cap : 1024;
        im->dev = bw_xrealloc(im->dev, b->dev_cap * sizeof(*im->dev));
    }
    x = &im->dev[im->n++];
    x->addr = d->addr;
    x->first_s = d->first_seen_s;
    x->last_s = d->last_seen_s;
    x->reports = d->reports > UINT32_MAX ? UINT32_MAX : (uint32_t)d->reports;
    x->reporters = d->reporters > UINT16_MAX ? UINT16_MAX : (uint16_t)d->reporters;
    x->cats = d->cats;
    x->score = (uint8_t)v->score;
    x->why = (uint8_t)v->why;
    x->listed = v->listed;
    x->allowlisted = allowlisted;
    x->sources = v->sources > UINT16_MAX ? UINT16_MAX : (uint16_t)v->sources;
    x->corroboration = (float)v->corroboration;
    x->en = intern(b, &d->en);
}

void bw_http__image_builder_done(struct bw_http_image_builder *b)
{
    (void)b; /* the intern table stays with the image: merges intern into a copy of it */
}

void bw_http__image_free(struct bw_http_image *im)
{
    free(im->dev);
    free(im->pool);
    free(im->table);
    memset(im, 0, sizeof(*im));
}

size_t bw_http__image_after(const struct bw_http_image *im, const struct bw_addr *a)
{
    size_t lo = 0, hi = im->n;

    /* the walks visit devices in address order, so the image is sorted without a sort */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (bw_addr_cmp(&im->dev[mid].addr, a) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct bw_http_dev *bw_http__image_find(const struct bw_http_image *im,
                                              const struct bw_addr *a)
{
    size_t i = bw_http__image_after(im, a);

    return i < im->n && bw_addr_cmp(&im->dev[i].addr, a) == 0 ? &im->dev[i] : NULL;
}

void bw_http__image_device(const struct bw_http_image *im, const struct bw_http_dev *x,
                           struct bw_device *d, struct bw_verdict *v)
{
    const char *rec = im->pool + x->en;
    const char *s = rec + 2 + 4;

    memset(d, 0, sizeof(*d));
    d->addr = x->addr;
    d->first_seen_s = x->first_s;
    d->last_seen_s = x->last_s;
    d->reports = x->reports;
    d->reporters = x->reporters;
    d->cats = x->cats;
    memcpy(&d->en.asn, rec + 2, 4);
    for (size_t i = 0; i < BW_ARRAY_LEN(fields); i++) {
        size_t n = strlen(s);

        memcpy((char *)&d->en + fields[i].off, s, n + 1);
        s += n + 1;
    }
    memset(v, 0, sizeof(*v));
    v->score = x->score;
    v->listed = x->listed;
    v->why = (enum bw_unlisted_why)x->why;
    v->sources = x->sources;
    v->corroboration = x->corroboration;
    v->last_seen_s = x->last_s;
}

void bw_http__image_merge(const struct bw_http_image *old, const struct bw_http_image *delta,
                          int64_t since, struct bw_http_image *out)
{
    size_t i = 0, j = 0;

    /* old's pool and table are copied and delta's records interned into them: distinct
     * records are stored once however many updates bring them again */
    memset(out, 0, sizeof(*out));
    out->dev = bw_xmalloc((old->n + delta->n + 1) * sizeof(*out->dev));
    out->pool_cap = old->pool_len + 1024;
    out->pool = bw_xmalloc(out->pool_cap);
    if (old->pool_len > 0)
        memcpy(out->pool, old->pool, old->pool_len);
    out->pool_len = old->pool_len;
    if (old->cap > 0) {
        out->table = bw_xmalloc(old->cap * sizeof(*out->table));
        memcpy(out->table, old->table, old->cap * sizeof(*out->table));
        out->cap = old->cap;
        out->used = old->used;
    }
    while (i < old->n || j < delta->n) {
        int c = i == old->n     ? 1
                : j == delta->n ? -1
                                : bw_addr_cmp(&old->dev[i].addr, &delta->dev[j].addr);

        if (c < 0) {
            out->dev[out->n++] = old->dev[i++];
            continue;
        }
        if (c == 0)
            i++; /* the newer judgement replaces it */
        if (delta->dev[j].last_s >= since) {
            const char *rec = delta->pool + delta->dev[j].en;

            out->dev[out->n] = delta->dev[j];
            out->dev[out->n++].en = intern_rec(out, rec, record_len(rec));
        }
        j++;
    }
}
