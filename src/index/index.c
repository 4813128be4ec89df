/*
 * index/index.c - the snapshot file: builder, writer, mmap + validation, lookup, walk.
 *
 * The format is docs/snapshot.md; in short (all integers little-endian, sections 8-aligned,
 * their sizes following from the counts in the header, so there are no offsets to trust):
 *
 *   header   128 bytes: magic, version, sizes, counts, BLAKE2b-256 checksum
 *   classes  n_classes x { u32 cats; u8 score; u8 pad[3] }      (at most 255)
 *   v4 table 65537 x u32: first entry of each high-16-bit bucket, then n_v4
 *   v4 low   n_v4 x u16: the low 16 bits, strictly increasing within a bucket
 *   v4 class n_v4 x u8
 *   v6       n_v6 x 16 bytes, strictly increasing, never IPv4-mapped; then n_v6 x u8 class
 *   prefixes n_pfx x { u8 addr[16]; u8 len; u8 class; u8 pad[6] }, sorted by (addr, len)
 *   ranges   n_ranges x { u64 lo_hi, lo_lo, hi_hi, hi_lo; u32 pfx; u32 pad }: disjoint,
 *            sorted, each inside its prefix, which is the longest one covering it
 *   escapes  n_esc x { u64 pos; u32 cats; u8 score; u8 pad[3] }, sorted by pos: the exact
 *            (categories, score) of each entry whose class byte is 255 (ESCAPE). pos counts
 *            the IPv4 addresses, then the IPv6 ones, then the prefixes.
 *
 * Why this shape: an IPv4 address costs 3 bytes (rbldnsd's ip4tset costs 4), and a lookup is
 * one table read and a binary search over ~150 u16 at 10M addresses. Prefixes are few (network
 * listings), so they keep the simple sorted-range shape of core's bw_pfxset.
 *
 * Invariants:
 *  - Nothing in a mapping is used before validate() accepted all of it (checksum
 *    first, then every structural property lookups and walks rely on), so a lookup in an open
 *    index never reads out of bounds, whatever the file held.
 *  - An open index never changes; any number of threads may look up at once without locks.
 *  - The builder owns its arrays until finish; finish frees it, on success and on failure.
 */
#include "index/index.h"

#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the snapshot file is mapped as is: little-endian hosts only"
#endif

#define MAGIC "\x89" "BWX\r\n\x1a\n"
#define VERSION 1u
#define HDR_BYTES 128u
#define SUM_OFF 96u
#define SUM_BYTES 32u
#define N_BUCKETS 65536u
#define MAX_CLASSES 255u
#define ESCAPE 255u /* class byte of an entry whose class is in the escape table */
#define ESC_BYTES 16u
#define CLASS_BYTES 8u
#define PFX_BYTES 24u
#define RANGE_BYTES 40u
/* A file larger than this is refused before it is mapped (10M addresses take ~31 MB). */
#define MAX_FILE_BYTES ((uint64_t)1 << 40)

struct hdr {
    uint8_t magic[8];
    uint32_t version;
    uint32_t header_bytes;
    uint64_t file_bytes;
    int64_t built_s;
    uint64_t n_v4, n_v6, n_pfx, n_ranges;
    uint32_t n_classes;
    uint32_t score_step; /* width of a score band; informative */
    uint64_t n_esc;
    uint8_t reserved[16];
    uint8_t sum[SUM_BYTES];
};
_Static_assert(sizeof(struct hdr) == HDR_BYTES, "header is 128 bytes");
_Static_assert(offsetof(struct hdr, sum) == SUM_OFF, "checksum at 96");

struct fclass {
    uint32_t cats;
    uint8_t score;
    uint8_t pad[3];
};
struct fesc {
    uint64_t pos;
    uint32_t cats;
    uint8_t score;
    uint8_t pad[3];
};
struct fpfx {
    uint8_t addr[16];
    uint8_t len;
    uint8_t cls;
    uint8_t pad[6];
};
struct frange {
    uint64_t lo_hi, lo_lo, hi_hi, hi_lo;
    uint32_t pfx;
    uint32_t pad;
};
_Static_assert(sizeof(struct fclass) == CLASS_BYTES, "class size");
_Static_assert(sizeof(struct fesc) == ESC_BYTES, "escape size");
_Static_assert(sizeof(struct fpfx) == PFX_BYTES, "prefix size");
_Static_assert(sizeof(struct frange) == RANGE_BYTES, "range size");

struct layout {
    uint64_t classes, buckets, v4low, v4cls, v6, v6cls, pfx, ranges, esc, end;
};

struct bw_index {
    const uint8_t *base;
    size_t len;
    bool mapped;                  /* munmap on close; else base is malloc'd */
    const struct hdr *h;
    const struct fclass *classes;
    const uint32_t *buckets;      /* N_BUCKETS + 1 */
    const uint16_t *v4low;
    const uint8_t *v4cls;
    const uint8_t *v6;            /* n_v6 x 16 */
    const uint8_t *v6cls;
    const struct fpfx *pfx;
    const struct frange *ranges;
    const struct fesc *esc;
    atomic_uint_fast64_t refs;    /* used by ref.c only */
};

/* ---- shared helpers ---- */

static uint64_t pad8(uint64_t n)
{
    return (n + 7) & ~(uint64_t)7;
}

/* Section offsets for the counts; false when they overflow (a hostile header). */
static bool layout_of(struct layout *l, uint64_t n_classes, uint64_t n_v4, uint64_t n_v6,
                      uint64_t n_pfx, uint64_t n_ranges, uint64_t n_esc)
{
    const uint64_t cap = MAX_FILE_BYTES;

    if (n_classes > MAX_CLASSES || n_v4 > cap || n_v6 > cap / 17 || n_pfx > cap / PFX_BYTES ||
        n_ranges > cap / RANGE_BYTES || n_esc > cap / ESC_BYTES)
        return false;
    l->classes = HDR_BYTES;
    l->buckets = l->classes + pad8(n_classes * CLASS_BYTES);
    l->v4low = l->buckets + pad8((N_BUCKETS + 1) * 4u);
    l->v4cls = l->v4low + pad8(n_v4 * 2);
    l->v6 = l->v4cls + pad8(n_v4);
    l->v6cls = l->v6 + n_v6 * 16;
    l->pfx = l->v6cls + pad8(n_v6);
    l->ranges = l->pfx + n_pfx * PFX_BYTES;
    l->esc = l->ranges + n_ranges * RANGE_BYTES;
    l->end = l->esc + n_esc * ESC_BYTES;
    return l->end <= cap;
}

static void checksum(uint8_t out[SUM_BYTES], const uint8_t *p, size_t len)
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, SUM_BYTES);
    crypto_generichash_update(&st, p, SUM_OFF);
    crypto_generichash_update(&st, p + HDR_BYTES, len - HDR_BYTES);
    crypto_generichash_final(&st, out, SUM_BYTES);
}

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static bool is_v4(const uint8_t *b)
{
    static const uint8_t pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    return memcmp(b, pre, 12) == 0;
}

/* Last address of prefix (addr, len) as (hi, lo). */
static void prefix_end(const uint8_t *addr, unsigned len, uint64_t *hi, uint64_t *lo)
{
    unsigned host = 128u - len;

    *hi = be64(addr);
    *lo = be64(addr + 8);
    if (host >= 64) {
        *lo = UINT64_MAX;
        *hi |= host == 128 ? UINT64_MAX : (UINT64_C(1) << (host - 64)) - 1;
    } else if (host > 0) {
        *lo |= (UINT64_C(1) << host) - 1;
    }
}

static bool host_bits_zero(const uint8_t *addr, unsigned len)
{
    for (unsigned i = len; i < 128; i++) {
        if (addr[i / 8] & (0x80u >> (i % 8)))
            return false;
    }
    return true;
}

static int u128_cmp(uint64_t ah, uint64_t al, uint64_t bh, uint64_t bl)
{
    if (ah != bh)
        return ah < bh ? -1 : 1;
    if (al != bl)
        return al < bl ? -1 : 1;
    return 0;
}

/* ---- validation ---- */

struct pfxe {
    struct bw_prefix p;
    uint32_t pair;
};

static size_t cut_ranges(const struct pfxe *pf, size_t n, struct frange *out);

static int bad(struct bw_diag *d, const char *name, const char *why)
{
    if (d != NULL)
        bw_diag_set(d, "%s: not a valid snapshot (%s)", name, why);
    return BW_EMALFORMED;
}

/* Checks everything about the image p[0..len) and points ix's sections into it. */
static int validate(struct bw_index *ix, const uint8_t *p, size_t len, const char *name,
                    struct bw_diag *d)
{
    struct hdr h;
    struct layout l;
    uint8_t sum[SUM_BYTES];

    if (len < HDR_BYTES)
        return bad(d, name, "shorter than its header: truncated or empty");
    memcpy(&h, p, sizeof(h));
    if (memcmp(h.magic, MAGIC, 8) != 0)
        return bad(d, name, "bad magic: not a botwatch snapshot file");
    if (h.version != VERSION) {
        if (d != NULL)
            bw_diag_set(d, "%s: snapshot format version %u, this botwatch reads version %u",
                        name, h.version, VERSION);
        return BW_EMALFORMED;
    }
    if (h.header_bytes != HDR_BYTES)
        return bad(d, name, "bad header size");
    if (h.file_bytes != len)
        return bad(d, name, h.file_bytes > len ? "truncated" : "trailing bytes after the end");
    if (!layout_of(&l, h.n_classes, h.n_v4, h.n_v6, h.n_pfx, h.n_ranges, h.n_esc) ||
        l.end != len)
        return bad(d, name, "section sizes do not add up to the file size");
    if (sodium_init() < 0) /* picks the fastest BLAKE2b for this CPU; idempotent */
        return bad(d, name, "libsodium does not initialise");
    checksum(sum, p, len);
    if (sodium_memcmp(sum, h.sum, SUM_BYTES) != 0)
        return bad(d, name, "checksum mismatch: the file is corrupt");

    ix->h = (const struct hdr *)(const void *)p;
    ix->classes = (const struct fclass *)(const void *)(p + l.classes);
    ix->buckets = (const uint32_t *)(const void *)(p + l.buckets);
    ix->v4low = (const uint16_t *)(const void *)(p + l.v4low);
    ix->v4cls = p + l.v4cls;
    ix->v6 = p + l.v6;
    ix->v6cls = p + l.v6cls;
    ix->pfx = (const struct fpfx *)(const void *)(p + l.pfx);
    ix->ranges = (const struct frange *)(const void *)(p + l.ranges);
    ix->esc = (const struct fesc *)(const void *)(p + l.esc);

    for (uint32_t i = 0; i < h.n_classes; i++) {
        if (ix->classes[i].cats == 0 || ix->classes[i].score > 100)
            return bad(d, name, "a class without categories or with a score over 100");
    }
    if (ix->buckets[0] != 0 || ix->buckets[N_BUCKETS] != h.n_v4)
        return bad(d, name, "IPv4 bucket table does not span the addresses");
    for (uint32_t b = 0; b < N_BUCKETS; b++) {
        uint32_t lo = ix->buckets[b];
        uint32_t hi = ix->buckets[b + 1];

        if (hi < lo || hi > h.n_v4)
            return bad(d, name, "IPv4 bucket table out of order");
        for (uint32_t i = lo + 1; i < hi; i++) {
            if (ix->v4low[i] <= ix->v4low[i - 1])
                return bad(d, name, "IPv4 addresses out of order");
        }
    }
    {
        /* One pass over the class bytes (branch-free, so the compiler vectorises it): each is
         * a class or ESCAPE, and the escapes are counted for the escape table below. */
        uint64_t n_esc = 0, wrong = 0;

        for (uint64_t i = 0; i < h.n_v4; i++) {
            n_esc += ix->v4cls[i] == ESCAPE;
            wrong += ix->v4cls[i] != ESCAPE && ix->v4cls[i] >= h.n_classes;
        }
        for (uint64_t i = 0; i < h.n_v6; i++) {
            n_esc += ix->v6cls[i] == ESCAPE;
            wrong += ix->v6cls[i] != ESCAPE && ix->v6cls[i] >= h.n_classes;
        }
        for (uint64_t i = 0; i < h.n_pfx; i++) {
            n_esc += ix->pfx[i].cls == ESCAPE;
            wrong += ix->pfx[i].cls != ESCAPE && ix->pfx[i].cls >= h.n_classes;
        }
        if (wrong > 0)
            return bad(d, name, "an entry names a class that does not exist");
        if (n_esc != h.n_esc)
            return bad(d, name, "escape table does not match the escaped entries");
    }
    /* Distinct positions, each escaped, as many as escaped entries: one record for each. */
    for (uint64_t i = 0; i < h.n_esc; i++) {
        const struct fesc *x = &ix->esc[i];
        uint64_t pos = x->pos;
        uint8_t c;

        if ((i > 0 && ix->esc[i - 1].pos >= pos) || pos >= h.n_v4 + h.n_v6 + h.n_pfx)
            return bad(d, name, "escape table out of order");
        if (pos < h.n_v4)
            c = ix->v4cls[pos];
        else if (pos < h.n_v4 + h.n_v6)
            c = ix->v6cls[pos - h.n_v4];
        else
            c = ix->pfx[pos - h.n_v4 - h.n_v6].cls;
        if (c != ESCAPE || x->cats == 0 || x->score > 100)
            return bad(d, name, "an escape record for an entry that has a class");
    }
    for (uint64_t i = 0; i < h.n_v6; i++) {
        if (is_v4(ix->v6 + 16 * i))
            return bad(d, name, "an IPv4 address in the IPv6 table");
        if (i > 0 && memcmp(ix->v6 + 16 * (i - 1), ix->v6 + 16 * i, 16) >= 0)
            return bad(d, name, "IPv6 addresses out of order");
    }
    for (uint64_t i = 0; i < h.n_pfx; i++) {
        const struct fpfx *f = &ix->pfx[i];

        if (f->len == 0 || f->len >= 128 || !host_bits_zero(f->addr, f->len))
            return bad(d, name, "a prefix with a bad length, host bits or class");
        if (i > 0) {
            int c = memcmp(ix->pfx[i - 1].addr, f->addr, 16);

            if (c > 0 || (c == 0 && ix->pfx[i - 1].len >= f->len))
                return bad(d, name, "prefixes out of order");
        }
    }
    /* The ranges must be exactly those the prefixes cut (prefixes are few: this is cheap), so
     * a lookup always finds the longest prefix covering an address. */
    if (h.n_ranges > 2 * h.n_pfx + 1)
        return bad(d, name, "more prefix ranges than prefixes allow");
    if (h.n_pfx > 0) {
        struct pfxe *pf = bw_xmalloc((size_t)h.n_pfx * sizeof(*pf));
        struct frange *want = bw_xcalloc((size_t)(2 * h.n_pfx + 1), sizeof(*want));
        size_t nr;
        bool same;

        for (uint64_t i = 0; i < h.n_pfx; i++) {
            memcpy(pf[i].p.addr.b, ix->pfx[i].addr, 16);
            pf[i].p.len = ix->pfx[i].len;
        }
        nr = cut_ranges(pf, (size_t)h.n_pfx, want);
        same = nr == h.n_ranges && memcmp(want, ix->ranges, nr * sizeof(*want)) == 0;
        free(pf);
        free(want);
        if (!same)
            return bad(d, name, "prefix ranges do not match the prefixes");
    } else if (h.n_ranges != 0) {
        return bad(d, name, "prefix ranges without prefixes");
    }
    ix->base = p;
    ix->len = len;
    return BW_OK;
}

int bw_index_open(struct bw_index **out, const char *path, struct bw_diag *d)
{
    struct bw_index *ix;
    struct stat sb;
    void *p;
    int fd, rc;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        if (d != NULL)
            bw_diag_set(d, "%s: cannot open (%s)", path, bw_strerror(rc));
        return rc;
    }
    if (fstat(fd, &sb) != 0) {
        rc = -errno;
        close(fd);
        if (d != NULL)
            bw_diag_set(d, "%s: cannot stat (%s)", path, bw_strerror(rc));
        return rc;
    }
    if (!S_ISREG(sb.st_mode) || sb.st_size < (off_t)HDR_BYTES ||
        (uint64_t)sb.st_size > MAX_FILE_BYTES) {
        close(fd);
        return bad(d, path, !S_ISREG(sb.st_mode) ? "not a regular file"
                            : sb.st_size < (off_t)HDR_BYTES ? "shorter than its header: truncated or empty"
                                                            : "larger than any snapshot");
    }
    /* The image is read into private anonymous memory rather than mapped from the file: a
     * file mapping would follow the file, so a snapshot overwritten in place (cp over it, an
     * editor, a truncating writer) would change the index under its readers or fault them
     * with SIGBUS once truncated. A copy cannot change; a torn read fails the checksum. One
     * read of a file in the page cache costs a few ms at 10M addresses, next to the checksum. */
    p = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
             0);
    rc = p == MAP_FAILED ? -errno : BW_OK;
    for (size_t off = 0; rc == BW_OK && off < (size_t)sb.st_size;) {
        ssize_t got = read(fd, (uint8_t *)p + off, (size_t)sb.st_size - off);

        if (got < 0 && errno != EINTR)
            rc = -errno;
        else if (got == 0)
            rc = BW_EMALFORMED; /* shrank while being read: an in-place writer */
        else if (got > 0)
            off += (size_t)got;
    }
    close(fd);
    if (rc != BW_OK) {
        if (p != MAP_FAILED)
            munmap(p, (size_t)sb.st_size);
        if (d != NULL)
            bw_diag_set(d, "%s: cannot read (%s)", path,
                        rc == BW_EMALFORMED ? "the file shrank while being read" : bw_strerror(rc));
        return rc;
    }
    mprotect(p, (size_t)sb.st_size, PROT_READ); /* immutable from here on */
    ix = bw_xcalloc(1, sizeof(*ix));
    rc = validate(ix, p, (size_t)sb.st_size, path, d);
    if (rc != BW_OK) {
        munmap(p, (size_t)sb.st_size);
        free(ix);
        return rc;
    }
    ix->mapped = true;
    atomic_init(&ix->refs, 0);
    *out = ix;
    return BW_OK;
}

int bw_index_open_mem(struct bw_index **out, const void *p, size_t len, struct bw_diag *d)
{
    struct bw_index *ix;
    uint8_t *copy;
    int rc;

    if (len > MAX_FILE_BYTES)
        return bad(d, "(memory)", "larger than any snapshot");
    /* A copy: the sections are read as aligned integers, and the caller's bytes may not be. */
    copy = bw_xmalloc(len > 0 ? len : 1);
    if (len > 0)
        memcpy(copy, p, len);
    ix = bw_xcalloc(1, sizeof(*ix));
    rc = validate(ix, copy, len, "(memory)", d);
    if (rc != BW_OK) {
        free(copy);
        free(ix);
        return rc;
    }
    atomic_init(&ix->refs, 0);
    *out = ix;
    return BW_OK;
}

void bw_index_close(struct bw_index *ix)
{
    if (ix == NULL)
        return;
    if (ix->mapped)
        munmap((void *)(uintptr_t)ix->base, ix->len);
    else
        free((void *)(uintptr_t)ix->base);
    free(ix);
}

void bw_index_stat(const struct bw_index *ix, struct bw_index_info *out)
{
    memset(out, 0, sizeof(*out));
    out->version = ix->h->version;
    out->built_s = ix->h->built_s;
    out->v4_addresses = ix->h->n_v4;
    out->v6_addresses = ix->h->n_v6;
    out->prefixes = ix->h->n_pfx;
    out->file_bytes = ix->h->file_bytes;
}

/* ---- lookup ---- */

/* pos: the entry's position (IPv4, then IPv6, then prefixes), for an escaped class. */
static void fill_hit(const struct bw_index *ix, struct bw_index_entry *hit, uint8_t cls,
                     uint64_t pos)
{
    size_t lo = 0, hi = (size_t)ix->h->n_esc;

    if (cls != ESCAPE) {
        hit->cats = ix->classes[cls].cats;
        hit->score = ix->classes[cls].score;
        return;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ix->esc[mid].pos < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* validation guarantees the record exists */
    hit->cats = ix->esc[lo].cats;
    hit->score = ix->esc[lo].score;
}

/* The first i in [lo, hi) with low[i] >= key, else hi. Addresses spread evenly over a bucket
 * more often than not, so the search starts where key would sit if they did and scans a few
 * neighbours (one or two cache lines) before falling back to a binary search: at 10M random
 * addresses that is about a quarter faster than bisecting ~150 entries (bench_index). */
static size_t v4_find(const uint16_t *low, size_t lo, size_t hi, uint16_t key)
{
    if (hi - lo > 8) {
        size_t g = lo + (size_t)(((uint64_t)key * (hi - lo)) >> 16);
        size_t i;

        if (low[g] < key) {
            for (i = g + 1; i < hi && i < g + 16; i++) {
                if (low[i] >= key)
                    return i;
            }
            lo = i;
        } else {
            for (i = g; i > lo && i + 16 > g; i--) {
                if (low[i - 1] < key)
                    return i;
            }
            hi = i;
        }
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (low[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool bw_index_lookup(const struct bw_index *ix, const struct bw_addr *a,
                     struct bw_index_entry *hit)
{
    uint64_t kh, kl;
    size_t lo, hi;

    if (is_v4(a->b)) {
        uint32_t b = (uint32_t)a->b[12] << 8 | a->b[13];
        uint16_t key = (uint16_t)(a->b[14] << 8 | a->b[15]);

        lo = v4_find(ix->v4low, ix->buckets[b], ix->buckets[b + 1], key);
        if (lo < ix->buckets[b + 1] && ix->v4low[lo] == key) {
            if (hit != NULL) {
                hit->prefix.addr = *a;
                hit->prefix.len = 128;
                fill_hit(ix, hit, ix->v4cls[lo], lo);
            }
            return true;
        }
    } else if (ix->h->n_v6 > 0) {
        lo = 0;
        hi = (size_t)ix->h->n_v6;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;

            if (memcmp(ix->v6 + 16 * mid, a->b, 16) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < ix->h->n_v6 && memcmp(ix->v6 + 16 * lo, a->b, 16) == 0) {
            if (hit != NULL) {
                hit->prefix.addr = *a;
                hit->prefix.len = 128;
                fill_hit(ix, hit, ix->v6cls[lo], ix->h->n_v4 + lo);
            }
            return true;
        }
    }
    if (ix->h->n_ranges == 0)
        return false;
    /* The last range starting at or below the address, if it reaches it. */
    kh = be64(a->b);
    kl = be64(a->b + 8);
    lo = 0;
    hi = (size_t)ix->h->n_ranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (u128_cmp(ix->ranges[mid].lo_hi, ix->ranges[mid].lo_lo, kh, kl) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    {
        const struct frange *r = &ix->ranges[lo - 1];
        const struct fpfx *f;

        if (u128_cmp(kh, kl, r->hi_hi, r->hi_lo) > 0)
            return false;
        f = &ix->pfx[r->pfx];
        if (hit != NULL) {
            memcpy(hit->prefix.addr.b, f->addr, 16);
            hit->prefix.len = f->len;
            fill_hit(ix, hit, f->cls, ix->h->n_v4 + ix->h->n_v6 + r->pfx);
        }
        return true;
    }
}

void bw_index_lookup_many(const struct bw_index *ix, size_t n, const struct bw_addr *a,
                          bool *listed, struct bw_index_entry *hits)
{
    /* Pass 1: the bucket bounds of every IPv4 address. Pass 2: the cache line where v4_find()
     * starts (the bounds are in cache by now). Pass 3: the lookups, which then mostly hit the
     * cache: with the kernel's network stack between two batches, each lookup would otherwise
     * wait for two misses in a row. Prefetches never fault, and they change no result. */
    for (size_t i = 0; i < n; i++) {
        if (is_v4(a[i].b))
            __builtin_prefetch(&ix->buckets[(uint32_t)a[i].b[12] << 8 | a[i].b[13]]);
    }
    for (size_t i = 0; i < n; i++) {
        if (is_v4(a[i].b)) {
            uint32_t b = (uint32_t)a[i].b[12] << 8 | a[i].b[13];
            size_t lo = ix->buckets[b], hi = ix->buckets[b + 1];
            uint16_t key = (uint16_t)(a[i].b[14] << 8 | a[i].b[15]);

            if (hi > lo) {
                __builtin_prefetch(&ix->v4low[lo + (size_t)(((uint64_t)key * (hi - lo)) >> 16)]);
                __builtin_prefetch(&ix->v4cls[lo + (size_t)(((uint64_t)key * (hi - lo)) >> 16)]);
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        listed[i] = bw_index_lookup(ix, &a[i], hits != NULL ? &hits[i] : NULL);
}

/* ---- walk: a merge of the IPv4, IPv6 and prefix streams in (address, length) order ---- */

int bw_index_walk(const struct bw_index *ix, bw_index_cb cb, void *ctx)
{
    uint64_t i4 = 0, i6 = 0, ip = 0;
    uint32_t bucket = 0;
    const uint64_t n4 = ix->h->n_v4, n6 = ix->h->n_v6, np = ix->h->n_pfx;

    while (i4 < n4 || i6 < n6 || ip < np) {
        struct bw_index_entry e[3];
        bool have[3] = { false, false, false };
        int best = -1;
        int rc;

        memset(e, 0, sizeof(e));
        if (i4 < n4) {
            while (ix->buckets[bucket + 1] <= i4)
                bucket++;
            e[0].prefix.addr.b[10] = 0xff;
            e[0].prefix.addr.b[11] = 0xff;
            e[0].prefix.addr.b[12] = (uint8_t)(bucket >> 8);
            e[0].prefix.addr.b[13] = (uint8_t)bucket;
            e[0].prefix.addr.b[14] = (uint8_t)(ix->v4low[i4] >> 8);
            e[0].prefix.addr.b[15] = (uint8_t)ix->v4low[i4];
            e[0].prefix.len = 128;
            fill_hit(ix, &e[0], ix->v4cls[i4], i4);
            have[0] = true;
        }
        if (i6 < n6) {
            memcpy(e[1].prefix.addr.b, ix->v6 + 16 * i6, 16);
            e[1].prefix.len = 128;
            fill_hit(ix, &e[1], ix->v6cls[i6], n4 + i6);
            have[1] = true;
        }
        if (ip < np) {
            memcpy(e[2].prefix.addr.b, ix->pfx[ip].addr, 16);
            e[2].prefix.len = ix->pfx[ip].len;
            fill_hit(ix, &e[2], ix->pfx[ip].cls, n4 + n6 + ip);
            have[2] = true;
        }
        for (int k = 0; k < 3; k++) {
            int c;

            if (!have[k])
                continue;
            if (best < 0) {
                best = k;
                continue;
            }
            c = memcmp(e[k].prefix.addr.b, e[best].prefix.addr.b, 16);
            if (c < 0 || (c == 0 && e[k].prefix.len < e[best].prefix.len))
                best = k;
        }
        rc = cb(ctx, &e[best]);
        if (rc != 0)
            return rc;
        if (best == 0)
            i4++;
        else if (best == 1)
            i6++;
        else
            ip++;
    }
    return BW_OK;
}

/* ---- reference counts, for ref.c ---- */

void bw_index__ref_add(const struct bw_index *ix);
bool bw_index__ref_drop(const struct bw_index *ix);

void bw_index__ref_add(const struct bw_index *ix)
{
    struct bw_index *m = (struct bw_index *)(uintptr_t)ix;

    atomic_fetch_add(&m->refs, 1);
}

/* True when that was the last reference. */
bool bw_index__ref_drop(const struct bw_index *ix)
{
    struct bw_index *m = (struct bw_index *)(uintptr_t)ix;

    return atomic_fetch_sub(&m->refs, 1) == 1;
}

/* ---- builder ---- */

/* One distinct (categories, score) pair seen by the builder; entries point at pairs. */
struct pair {
    uint32_t cats;
    uint8_t score;
    uint8_t cls;    /* class id or ESCAPE, set at finish */
    uint64_t count; /* entries pointing here after duplicates merged */
};

struct v6e {
    uint8_t addr[16];
    uint32_t pair;
};

struct bw_index_builder {
    uint64_t *v4; /* address << 32 | pair */
    size_t n_v4, cap_v4;
    struct v6e *v6;
    size_t n_v6, cap_v6;
    struct pfxe *pf;
    size_t n_pf, cap_pf;
    struct pair *pairs;
    size_t n_pairs, cap_pairs;
    uint32_t *hash; /* open addressing over pairs: pair id + 1, 0 = empty */
    size_t hash_cap;
};

struct bw_index_builder *bw_index_builder_new(void)
{
    return bw_xcalloc(1, sizeof(struct bw_index_builder));
}

void bw_index_builder_free(struct bw_index_builder *b)
{
    if (b == NULL)
        return;
    free(b->v4);
    free(b->v6);
    free(b->pf);
    free(b->pairs);
    free(b->hash);
    free(b);
}

static size_t pair_hash(uint32_t cats, uint8_t score, size_t cap)
{
    uint64_t k = ((uint64_t)cats << 8 | score) * UINT64_C(0x9e3779b97f4a7c15);

    return (size_t)(k >> 32) & (cap - 1);
}

static uint32_t pair_id(struct bw_index_builder *b, uint32_t cats, uint8_t score)
{
    size_t i;

    if (2 * (b->n_pairs + 1) > b->hash_cap) {
        size_t cap = b->hash_cap ? 2 * b->hash_cap : 256;

        free(b->hash);
        b->hash = bw_xcalloc(cap, sizeof(*b->hash));
        b->hash_cap = cap;
        for (size_t k = 0; k < b->n_pairs; k++) {
            i = pair_hash(b->pairs[k].cats, b->pairs[k].score, cap);
            while (b->hash[i] != 0)
                i = (i + 1) & (cap - 1);
            b->hash[i] = (uint32_t)k + 1;
        }
    }
    i = pair_hash(cats, score, b->hash_cap);
    while (b->hash[i] != 0) {
        const struct pair *p = &b->pairs[b->hash[i] - 1];

        if (p->cats == cats && p->score == score)
            return b->hash[i] - 1;
        i = (i + 1) & (b->hash_cap - 1);
    }
    if (b->n_pairs == b->cap_pairs) {
        b->cap_pairs = b->cap_pairs ? 2 * b->cap_pairs : 64;
        b->pairs = bw_xrealloc(b->pairs, b->cap_pairs * sizeof(*b->pairs));
    }
    b->pairs[b->n_pairs] = (struct pair){ .cats = cats, .score = score };
    b->hash[i] = (uint32_t)b->n_pairs + 1;
    return (uint32_t)b->n_pairs++;
}

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    *cap = *cap ? 2 * *cap : 1024;
    return bw_xrealloc(p, *cap * size);
}

int bw_index_builder_add(struct bw_index_builder *b, const struct bw_prefix *p, bw_catmask cats,
                         int score)
{
    uint32_t pair;

    if (p->len == 0 || p->len > 128 || !host_bits_zero(p->addr.b, p->len) || cats == 0 ||
        score < 0 || score > 100)
        return BW_EINVAL;
    if (is_v4(p->addr.b) && p->len < 96)
        return BW_EINVAL; /* a "prefix" mixing IPv4-mapped and other space */
    if (b->n_v4 >= UINT32_MAX || b->n_pairs >= UINT32_MAX - 1)
        return BW_ETOOBIG;
    pair = pair_id(b, cats, (uint8_t)score);
    if (p->len == 128 && is_v4(p->addr.b)) {
        uint32_t a = (uint32_t)p->addr.b[12] << 24 | (uint32_t)p->addr.b[13] << 16 |
                     (uint32_t)p->addr.b[14] << 8 | p->addr.b[15];

        b->v4 = grow(b->v4, &b->cap_v4, b->n_v4, sizeof(*b->v4));
        b->v4[b->n_v4++] = (uint64_t)a << 32 | pair;
    } else if (p->len == 128) {
        b->v6 = grow(b->v6, &b->cap_v6, b->n_v6, sizeof(*b->v6));
        memcpy(b->v6[b->n_v6].addr, p->addr.b, 16);
        b->v6[b->n_v6++].pair = pair;
    } else {
        b->pf = grow(b->pf, &b->cap_pf, b->n_pf, sizeof(*b->pf));
        b->pf[b->n_pf].p = *p;
        b->pf[b->n_pf++].pair = pair;
    }
    return BW_OK;
}

/* Merges two pairs as duplicate adds do: categories or-ed, the higher score kept. */
static uint32_t pair_merge(struct bw_index_builder *b, uint32_t x, uint32_t y)
{
    uint32_t cats = b->pairs[x].cats | b->pairs[y].cats;
    uint8_t s = b->pairs[x].score > b->pairs[y].score ? b->pairs[x].score : b->pairs[y].score;

    if (x == y)
        return x;
    return pair_id(b, cats, s);
}

/* LSD radix sort on the high 32 bits (the address), 8 bits a pass; stable, so equal
 * addresses stay together. Returns the array holding the result (v or tmp). */
static uint64_t *radix_sort(uint64_t *v, uint64_t *tmp, size_t n)
{
    for (unsigned shift = 32; shift < 64; shift += 8) {
        size_t count[256] = { 0 };
        size_t sum = 0;
        uint64_t *t;

        for (size_t i = 0; i < n; i++)
            count[(v[i] >> shift) & 0xff]++;
        if (count[(v[0] >> shift) & 0xff] == n)
            continue; /* every key has the same byte here: the pass would change nothing */
        for (int k = 0; k < 256; k++) {
            size_t c = count[k];

            count[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(v[i] >> shift) & 0xff]++] = v[i];
        t = v;
        v = tmp;
        tmp = t;
    }
    return v;
}

static int v6_cmp(const void *x, const void *y)
{
    return memcmp(((const struct v6e *)x)->addr, ((const struct v6e *)y)->addr, 16);
}

static int pf_cmp(const void *x, const void *y)
{
    const struct pfxe *a = x, *b = y;
    int c = memcmp(a->p.addr.b, b->p.addr.b, 16);

    if (c != 0)
        return c;
    return (a->p.len > b->p.len) - (a->p.len < b->p.len);
}

static void sort_v4(struct bw_index_builder *b)
{
    size_t n = 0;
    bool sorted = true;

    for (size_t i = 1; i < b->n_v4 && sorted; i++)
        sorted = (b->v4[i - 1] >> 32) <= (b->v4[i] >> 32);
    if (!sorted) {
        uint64_t *tmp = bw_xmalloc(b->n_v4 * sizeof(*tmp));
        uint64_t *res = radix_sort(b->v4, tmp, b->n_v4);

        if (res == tmp) {
            free(b->v4);
            b->v4 = tmp;
        } else {
            free(tmp);
        }
    }
    for (size_t i = 0; i < b->n_v4; i++) {
        if (n > 0 && (b->v4[n - 1] >> 32) == (b->v4[i] >> 32)) {
            uint32_t m = pair_merge(b, (uint32_t)b->v4[n - 1], (uint32_t)b->v4[i]);

            b->v4[n - 1] = (b->v4[n - 1] & ~(uint64_t)UINT32_MAX) | m;
            continue;
        }
        b->v4[n++] = b->v4[i];
    }
    b->n_v4 = n;
}

static void sort_v6(struct bw_index_builder *b)
{
    size_t n = 0;

    bw_sort(b->v6, b->n_v6, sizeof(*b->v6), v6_cmp);
    for (size_t i = 0; i < b->n_v6; i++) {
        if (n > 0 && memcmp(b->v6[n - 1].addr, b->v6[i].addr, 16) == 0) {
            b->v6[n - 1].pair = pair_merge(b, b->v6[n - 1].pair, b->v6[i].pair);
            continue;
        }
        b->v6[n++] = b->v6[i];
    }
    b->n_v6 = n;
}

static void sort_pf(struct bw_index_builder *b)
{
    size_t n = 0;

    bw_sort(b->pf, b->n_pf, sizeof(*b->pf), pf_cmp);
    for (size_t i = 0; i < b->n_pf; i++) {
        if (n > 0 && pf_cmp(&b->pf[n - 1], &b->pf[i]) == 0) {
            b->pf[n - 1].pair = pair_merge(b, b->pf[n - 1].pair, b->pf[i].pair);
            continue;
        }
        b->pf[n++] = b->pf[i];
    }
    b->n_pf = n;
}

/* A candidate class while choosing: one (categories, band) and the entries it would hold. */
struct group {
    uint64_t key;     /* cats << 8 | band */
    uint64_t entries;
    uint8_t score;    /* lowest score of its pairs */
};

static int group_by_key(const void *x, const void *y)
{
    const struct group *a = x, *b = y;

    return (a->key > b->key) - (a->key < b->key);
}

static int group_by_entries(const void *x, const void *y)
{
    const struct group *a = x, *b = y;

    if (a->entries != b->entries)
        return a->entries < b->entries ? 1 : -1;
    return (a->key > b->key) - (a->key < b->key);
}

/* The classes for bands of `step` points: the 255 holding most entries, in g[0..*n_classes);
 * returns how many entries fall outside them (and must be escaped). g has room for every
 * used pair. */
static uint64_t classes_for(const struct bw_index_builder *b, unsigned step, struct group *g,
                            size_t *n_groups, uint32_t *n_classes)
{
    size_t n = 0, m = 0;
    uint64_t escaped = 0;

    for (size_t i = 0; i < b->n_pairs; i++) {
        const struct pair *p = &b->pairs[i];

        if (p->count > 0)
            g[n++] = (struct group){ (uint64_t)p->cats << 8 | (p->score / step), p->count,
                                     p->score };
    }
    bw_sort(g, n, sizeof(*g), group_by_key);
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && g[m - 1].key == g[i].key) {
            g[m - 1].entries += g[i].entries;
            if (g[i].score < g[m - 1].score)
                g[m - 1].score = g[i].score;
            continue;
        }
        g[m++] = g[i];
    }
    bw_sort(g, m, sizeof(*g), group_by_entries);
    for (size_t i = MAX_CLASSES; i < m; i++)
        escaped += g[i].entries;
    *n_groups = m;
    *n_classes = (uint32_t)(m < MAX_CLASSES ? m : MAX_CLASSES);
    return escaped;
}

/* Chooses the classes: (categories, score band) pairs, the 255 that hold most entries; every
 * other entry is escaped (its exact categories and score in the escape table, 16 bytes). Bands
 * start at 5 points and widen (10, 20, 25, 50, one band) while escapes would cost more than one
 * byte per entry on average (over 1 in 16 escaped); failing that, the width escaping fewest
 * wins. Score precision is given up only when memory would suffer. A class's score is the lowest
 * among its members, so a served score never overstates. Sets pair->cls (ESCAPE for escaped)
 * and returns the escaped count. */
static uint64_t assign_classes(struct bw_index_builder *b, struct fclass *classes,
                               uint32_t *n_out, uint32_t *step_out)
{
    static const unsigned steps[] = { 5, 10, 20, 25, 50, 101 };
    struct group *g = bw_xmalloc((b->n_pairs + 1) * sizeof(*g));
    uint64_t total = 0, best_esc = UINT64_MAX;
    unsigned best = steps[0];
    size_t n_groups;
    uint32_t n;

    for (size_t i = 0; i < b->n_pairs; i++)
        total += b->pairs[i].count;
    for (size_t s = 0; s < BW_ARRAY_LEN(steps); s++) {
        uint64_t esc = classes_for(b, steps[s], g, &n_groups, &n);

        if (esc < best_esc) {
            best_esc = esc;
            best = steps[s];
        }
        if (esc * ESC_BYTES <= total)
            break;
    }
    best_esc = classes_for(b, best, g, &n_groups, &n);
    for (uint32_t c = 0; c < n; c++)
        classes[c] = (struct fclass){ .cats = (uint32_t)(g[c].key >> 8), .score = g[c].score };
    /* Each pair's class: look its key up among the chosen ones (re-sorted by key, each
     * remembering its class id in `entries`). */
    for (uint32_t c = 0; c < n; c++)
        g[c].entries = c;
    bw_sort(g, n, sizeof(*g), group_by_key);
    for (size_t i = 0; i < b->n_pairs; i++) {
        struct pair *p = &b->pairs[i];
        struct group key = { .key = (uint64_t)p->cats << 8 | (p->score / best) };
        const struct group *hit = p->count > 0 ? bsearch(&key, g, n, sizeof(*g), group_by_key)
                                               : NULL;

        p->cls = hit != NULL ? (uint8_t)hit->entries : (uint8_t)ESCAPE;
    }
    free(g);
    *n_out = n;
    *step_out = best;
    return best_esc;
}

/* The disjoint ranges of the sorted, distinct prefixes, as bw_pfxset_seal() cuts them. */
static size_t cut_ranges(const struct pfxe *pf, size_t n, struct frange *out)
{
    size_t stack[129];
    size_t depth = 0, nr = 0;
    uint64_t ph = 0, pl = 0; /* the next address not yet owned by a range */
    bool past_end = false;

    for (size_t i = 0; i <= n; i++) {
        uint64_t sh = 0, sl = 0;

        if (i < n) {
            sh = be64(pf[i].p.addr.b);
            sl = be64(pf[i].p.addr.b + 8);
        }
        while (depth > 0) {
            size_t top = stack[depth - 1];
            uint64_t eh, el;

            prefix_end(pf[top].p.addr.b, pf[top].p.len, &eh, &el);
            if (i < n && u128_cmp(eh, el, sh, sl) >= 0)
                break;
            if (!past_end && u128_cmp(ph, pl, eh, el) <= 0) {
                out[nr++] = (struct frange){ ph, pl, eh, el, (uint32_t)top, 0 };
                pl = el + 1;
                ph = eh + (pl == 0);
                past_end = ph == 0 && pl == 0;
            }
            depth--;
        }
        if (i == n)
            break;
        if (depth > 0 && !past_end && u128_cmp(ph, pl, sh, sl) < 0) {
            uint64_t bh = sh - (sl == 0), bl = sl - 1;

            out[nr++] = (struct frange){ ph, pl, bh, bl, (uint32_t)stack[depth - 1], 0 };
        }
        BW_ASSERT(depth < 129);
        stack[depth++] = i;
        ph = sh;
        pl = sl;
        past_end = false;
    }
    return nr;
}

static int write_file(const char *path, const uint8_t *img, size_t len, struct bw_diag *d)
{
    size_t plen = strlen(path);
    char *tmp = bw_xmalloc(plen + 16);
    size_t off = 0;
    int fd, rc = BW_OK;

    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = -errno;
        if (d != NULL)
            bw_diag_set(d, "%s: cannot create a temporary file beside it (%s)", path,
                        bw_strerror(rc));
        free(tmp);
        return rc;
    }
    while (off < len && rc == BW_OK) {
        ssize_t w = write(fd, img + off, len - off);

        if (w < 0 && errno != EINTR)
            rc = -errno;
        else if (w > 0)
            off += (size_t)w;
    }
    /* fsync before rename: after a crash the name holds the old file or the whole new one. */
    if (rc == BW_OK && fsync(fd) != 0)
        rc = -errno;
    if (rc == BW_OK && fchmod(fd, 0644) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == BW_OK)
        rc = -errno;
    if (rc == BW_OK && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != BW_OK) {
        if (d != NULL)
            bw_diag_set(d, "%s: cannot write (%s)", path, bw_strerror(rc));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

int bw_index_builder_finish(struct bw_index_builder *b, const char *path, int64_t built_s,
                            uint64_t *entries, struct bw_diag *d)
{
    struct fclass classes[MAX_CLASSES];
    uint32_t n_classes = 0, step = 5;
    uint64_t n_esc, k = 0;
    struct frange *ranges = NULL;
    struct layout l;
    struct hdr h;
    uint8_t *img;
    size_t n_ranges;
    int rc;

    if (sodium_init() < 0) {
        bw_index_builder_free(b);
        if (d != NULL)
            bw_diag_set(d, "%s: libsodium does not initialise", path);
        return BW_EIO;
    }
    sort_v4(b);
    sort_v6(b);
    sort_pf(b);
    for (size_t i = 0; i < b->n_v4; i++)
        b->pairs[(uint32_t)b->v4[i]].count++;
    for (size_t i = 0; i < b->n_v6; i++)
        b->pairs[b->v6[i].pair].count++;
    for (size_t i = 0; i < b->n_pf; i++)
        b->pairs[b->pf[i].pair].count++;
    n_esc = assign_classes(b, classes, &n_classes, &step);
    ranges = bw_xcalloc(2 * b->n_pf + 1, sizeof(*ranges));
    n_ranges = cut_ranges(b->pf, b->n_pf, ranges);
    if (!layout_of(&l, n_classes, b->n_v4, b->n_v6, b->n_pf, n_ranges, n_esc)) {
        free(ranges);
        bw_index_builder_free(b);
        if (d != NULL)
            bw_diag_set(d, "%s: too many entries for one snapshot", path);
        return BW_ETOOBIG;
    }
    img = bw_xcalloc(1, (size_t)l.end);

    memset(&h, 0, sizeof(h));
    memcpy(h.magic, MAGIC, 8);
    h.version = VERSION;
    h.header_bytes = HDR_BYTES;
    h.file_bytes = l.end;
    h.built_s = built_s;
    h.n_v4 = b->n_v4;
    h.n_v6 = b->n_v6;
    h.n_pfx = b->n_pf;
    h.n_ranges = n_ranges;
    h.n_classes = n_classes;
    h.score_step = step;
    h.n_esc = n_esc;

    memcpy(img + l.classes, classes, n_classes * sizeof(*classes));
    {
        uint32_t *bk = (uint32_t *)(void *)(img + l.buckets);
        uint16_t *low = (uint16_t *)(void *)(img + l.v4low);
        uint8_t *cls = img + l.v4cls;
        uint32_t cur = 0;

        for (size_t i = 0; i < b->n_v4; i++) {
            uint32_t a = (uint32_t)(b->v4[i] >> 32);

            while (cur <= a >> 16)
                bk[cur++] = (uint32_t)i;
            low[i] = (uint16_t)a;
            cls[i] = b->pairs[(uint32_t)b->v4[i]].cls;
        }
        while (cur <= N_BUCKETS)
            bk[cur++] = (uint32_t)b->n_v4;
    }
    for (size_t i = 0; i < b->n_v6; i++) {
        memcpy(img + l.v6 + 16 * i, b->v6[i].addr, 16);
        img[l.v6cls + i] = b->pairs[b->v6[i].pair].cls;
    }
    for (size_t i = 0; i < b->n_pf; i++) {
        struct fpfx f = { .len = b->pf[i].p.len, .cls = b->pairs[b->pf[i].pair].cls };

        memcpy(f.addr, b->pf[i].p.addr.b, 16);
        memcpy(img + l.pfx + i * PFX_BYTES, &f, sizeof(f));
    }
    if (n_ranges > 0)
        memcpy(img + l.ranges, ranges, n_ranges * sizeof(*ranges));
    /* Escape records in position order: IPv4, IPv6, prefixes. */
    for (size_t i = 0; i < b->n_v4 + b->n_v6 + b->n_pf; i++) {
        uint32_t pair = i < b->n_v4 ? (uint32_t)b->v4[i]
                        : i < b->n_v4 + b->n_v6 ? b->v6[i - b->n_v4].pair
                                                : b->pf[i - b->n_v4 - b->n_v6].pair;
        struct fesc x = { .pos = i };

        if (b->pairs[pair].cls != ESCAPE)
            continue;
        x.cats = b->pairs[pair].cats;
        x.score = b->pairs[pair].score;
        memcpy(img + l.esc + k++ * ESC_BYTES, &x, sizeof(x));
    }
    BW_ASSERT(k == n_esc);
    memcpy(img, &h, sizeof(h));
    checksum(img + SUM_OFF, img, (size_t)l.end);

    rc = write_file(path, img, (size_t)l.end, d);
    if (rc == BW_OK && entries != NULL)
        *entries = b->n_v4 + b->n_v6 + b->n_pf;
    free(img);
    free(ranges);
    bw_index_builder_free(b);
    return rc;
}
