/*
 * enrich/asn.c - the IP-to-ASN range table: compile the @ip-location-db/asn CSVs into one
 * binary file, map it, look addresses up.
 *
 * Hand-written rather than read through a library (libmaxminddb could read the package's MMDB
 * variant) because it is the product's core data structure: every report of every ingest does
 * a lookup, so it has to load in milliseconds (one mmap, no parsing, no allocation per range),
 * answer millions of lookups per second lock-free from any thread, and carry what no ready
 * format carries: the matched range (for the prefix) and per-AS announced address counts.
 *
 * File layout (all integers in host byte order, marked by a byte-order word; every section
 * starts on an 8-byte boundary):
 *   header (struct file_header)
 *   v4 bucket index  uint32[65537]  ranges whose first address has top 16 bits h are
 *                                   [idx[h], idx[h+1])
 *   v4 ranges        struct v4_range[n_v4]: first, last (the IPv4 address as an integer),
 *                                   index into the ASN table
 *   v6 bucket index  uint32[65537]  keyed by the top 16 bits of the address
 *   v6 ranges        struct v6_range[n_v6]: first, last as (high, low) halves, ASN index
 *   ASN table        struct asn_entry[n_asn], sorted by asn
 *   string pool      NUL-terminated organisation names
 * A range's bounds and value sit together so that a lookup touches one cache line for them
 * once the bucket is found; buckets hold a handful of ranges, so the search within one is a
 * line or two. The checksum is a CRC-32 (zlib) of the header (checksum field zeroed) and
 * everything after it: it catches truncation and bit rot at a few GB/s, which keeps the load
 * far under 50 ms; a crafted file with a right checksum is still caught by the structural
 * checks of open.
 *
 * Invariants:
 *  - In a file that bw_asn_open() accepted: ranges of each family are sorted and disjoint,
 *    every bucket holds exactly the ranges starting in it, every value indexes the ASN table,
 *    the ASN table is strictly ascending, and every org offset starts a NUL-terminated string
 *    inside the pool. Lookups rely on this and check nothing else.
 *  - IPv4 ranges live only in the v4 arrays (an IPv4-mapped IPv6 range in the CSV is IPv4).
 *  - A table is read-only after open; lookups take no locks and allocate nothing.
 *  - The file is mapped shared and read-only; `botwatch data update` replaces it by rename,
 *    never in place, so a mapped table never changes under its readers. (A copy into
 *    huge-page anonymous memory was tried: no measurable gain in bench/bench_asn.c.)
 */
#include "enrich/enrich.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

__extension__ typedef unsigned __int128 u128;

#define MAGIC "BWASN\0"
#define FORMAT_VERSION 1
#define BYTE_ORDER_MARK 0x01020304u
#define N_BUCKETS 65536
#define ORG_MAX 255                    /* bytes of organisation name kept */
#define CSV_MAX ((size_t)1 << 31)      /* a CSV larger than this is refused */
#define FETCH_HINT "run scripts/fetch-data.sh and botwatch data update"

struct file_header {
    char magic[6];          /* "BWASN\0" */
    uint16_t version;       /* FORMAT_VERSION */
    uint32_t byte_order;    /* BYTE_ORDER_MARK as written by the compiling host */
    uint32_t header_size;   /* sizeof(struct file_header) */
    uint64_t file_size;     /* bytes, whole file */
    uint32_t n_v4;          /* IPv4 ranges */
    uint32_t n_v6;          /* IPv6 ranges */
    uint32_t n_asn;         /* ASN table entries */
    uint32_t checksum;      /* CRC-32 of the file with this field zeroed */
    uint64_t off_v4_index, off_v4, off_v6_index, off_v6;
    uint64_t off_asn, off_pool; /* byte offsets from the start of the file */
    uint64_t pool_len;          /* bytes */
};

_Static_assert(sizeof(struct file_header) == 96, "the header layout is part of the format");
_Static_assert(offsetof(struct file_header, checksum) == 36, "fuzz/fuzz_asn_csv.c knows it");

struct v4_range {
    uint32_t first, last; /* inclusive, host-order integers */
    uint32_t value;       /* index into the ASN table */
};

struct v6_range {
    uint64_t first_hi, first_lo, last_hi, last_lo; /* inclusive */
    uint32_t value;
    uint32_t pad; /* zero */
};

struct asn_entry {
    uint32_t asn;
    uint32_t org_off;         /* into the string pool */
    uint64_t announced_v4;    /* IPv4 addresses in the AS's ranges */
    uint64_t announced_v6_64; /* IPv6 /64s the AS's ranges touch */
};

_Static_assert(sizeof(struct v4_range) == 12 && sizeof(struct v6_range) == 40 &&
                   sizeof(struct asn_entry) == 24,
               "the record layouts are part of the format");

struct bw_asn {
    const uint8_t *map;
    size_t map_len;
    uint32_t n_v4, n_v6, n_asn;
    const uint32_t *v4_index, *v6_index;
    const struct v4_range *v4;
    const struct v6_range *v6;
    const struct asn_entry *asns;
    const char *pool;
    uint64_t pool_len;
};

/* ---- addresses as integers ------------------------------------------------------------ */

static u128 addr_to_u128(const struct bw_addr *a)
{
    u128 v = 0;

    for (int i = 0; i < 16; i++)
        v = v << 8 | a->b[i];
    return v;
}

static void u128_to_addr(u128 v, struct bw_addr *a)
{
    for (int i = 15; i >= 0; i--) {
        a->b[i] = (uint8_t)v;
        v >>= 8;
    }
}

static const u128 V4_BASE = (u128)0xffff << 32; /* ::ffff:0.0.0.0 */

static bool u128_is_v4(u128 v)
{
    return (v >> 32) == 0xffff;
}

/* ---- compile: CSV parsing --------------------------------------------------------------- */

struct row {
    u128 first, last; /* inclusive */
    uint32_t asn;
    uint32_t seq; /* input order, to make sorting deterministic */
};

struct org_ref {
    uint32_t asn;
    uint32_t seq;
    uint32_t off, len; /* into the compile-time org buffer */
};

struct compile_state {
    struct row *rows;
    size_t n_rows, cap_rows;
    struct org_ref *orgs;
    size_t n_orgs, cap_orgs;
    struct bw_buf org_text; /* unescaped organisation names, back to back */
    uint64_t bad_rows;
    uint32_t last_org_asn; /* skip storing the org again for consecutive rows of one AS */
};

struct field {
    const char *p;
    size_t len;
    bool quoted;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(struct field *f)
{
    while (f->len > 0 && is_space(f->p[0])) {
        f->p++;
        f->len--;
    }
    while (f->len > 0 && is_space(f->p[f->len - 1]))
        f->len--;
}

/*
 * Splits one line into the first three fields and the rest (the organisation). A quoted
 * organisation may hold commas and "" escapes; an unquoted one is everything after the third
 * comma. Returns false when the line does not have that shape.
 */
static bool split_row(const char *p, size_t len, struct field f[4])
{
    size_t pos = 0;

    for (int i = 0; i < 3; i++) {
        const char *c = memchr(p + pos, ',', len - pos);
        if (c == NULL)
            return false;
        f[i].p = p + pos;
        f[i].len = (size_t)(c - (p + pos));
        f[i].quoted = false;
        trim(&f[i]);
        pos = (size_t)(c - p) + 1;
    }
    f[3].p = p + pos;
    f[3].len = len - pos;
    f[3].quoted = false;
    trim(&f[3]);
    if (f[3].len > 0 && f[3].p[0] == '"') {
        /* The closing quote must end the field: a lone quote inside is malformed. */
        if (f[3].len < 2 || f[3].p[f[3].len - 1] != '"')
            return false;
        f[3].p++;
        f[3].len -= 2;
        f[3].quoted = true;
        for (size_t i = 0; i < f[3].len; i++) {
            if (f[3].p[i] != '"')
                continue;
            if (i + 1 >= f[3].len || f[3].p[i + 1] != '"')
                return false;
            i++;
        }
    }
    return true;
}

static bool parse_asn(const struct field *f, uint32_t *out)
{
    uint64_t v = 0;

    if (f->len == 0 || f->len > 10)
        return false;
    for (size_t i = 0; i < f->len; i++) {
        if (f->p[i] < '0' || f->p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(f->p[i] - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_ip(const struct field *f, u128 *out)
{
    struct bw_addr a;

    if (f->len == 0 || f->len >= BW_ADDR_TEXT_MAX)
        return false;
    if (bw_addr_parse(&a, f->p, f->len) != BW_OK)
        return false;
    *out = addr_to_u128(&a);
    return true;
}

/* Appends the unescaped organisation to st->org_text; false when it is not valid UTF-8. */
static bool add_org(struct compile_state *st, uint32_t asn, const struct field *f)
{
    char buf[ORG_MAX + 1];
    size_t n = 0;

    if (!bw_utf8_valid(f->p, f->len))
        return false;
    if (asn == st->last_org_asn)
        return true;
    for (size_t i = 0; i < f->len && n < sizeof(buf); i++) {
        char c = f->p[i];
        if (f->quoted && c == '"')
            i++; /* "" -> " (split_row made sure the pair is there) */
        if (c == '\0' || c == '\r' || c == '\n')
            c = ' ';
        buf[n++] = c;
    }
    n = bw_utf8_truncate(buf, n, ORG_MAX);
    while (n > 0 && is_space(buf[n - 1]))
        n--;
    if (st->n_orgs == st->cap_orgs) {
        st->cap_orgs = st->cap_orgs ? st->cap_orgs * 2 : 4096;
        st->orgs = bw_xrealloc(st->orgs, st->cap_orgs * sizeof(*st->orgs));
    }
    st->orgs[st->n_orgs] = (struct org_ref){ .asn = asn,
                                             .seq = (uint32_t)st->n_orgs,
                                             .off = (uint32_t)st->org_text.len,
                                             .len = (uint32_t)n };
    if (bw_buf_append(&st->org_text, buf, n) != BW_OK)
        return false;
    st->n_orgs++;
    st->last_org_asn = asn;
    return true;
}

static void add_row(struct compile_state *st, u128 first, u128 last, uint32_t asn)
{
    if (st->n_rows == st->cap_rows) {
        st->cap_rows = st->cap_rows ? st->cap_rows * 2 : 65536;
        st->rows = bw_xrealloc(st->rows, st->cap_rows * sizeof(*st->rows));
    }
    st->rows[st->n_rows] =
        (struct row){ .first = first, .last = last, .asn = asn, .seq = (uint32_t)st->n_rows };
    st->n_rows++;
}

/* One CSV line (without its newline). Blank lines and a header line are skipped quietly. */
static void parse_line(struct compile_state *st, const char *p, size_t len, uint64_t line_no)
{
    struct field f[4];
    u128 first, last;
    uint32_t asn;

    if (len > 0 && p[len - 1] == '\r')
        len--;
    while (len > 0 && is_space(*p)) {
        p++;
        len--;
    }
    if (len == 0)
        return;
    if (len > BW_LINE_MAX || !split_row(p, len, f)) {
        st->bad_rows++;
        return;
    }
    if (!parse_ip(&f[0], &first) || !parse_ip(&f[1], &last)) {
        /* "first_ip,last_ip,asn,org" style header on the first line */
        if (line_no == 1 && !parse_asn(&f[2], &asn))
            return;
        st->bad_rows++;
        return;
    }
    if (!parse_asn(&f[2], &asn) || first > last || u128_is_v4(first) != u128_is_v4(last) ||
        (!u128_is_v4(first) && first < V4_BASE && last > V4_BASE)) {
        st->bad_rows++;
        return;
    }
    if (!add_org(st, asn, &f[3])) {
        st->bad_rows++;
        return;
    }
    if (asn == 0) /* AS0: explicitly not routed, so not announced */
        return;
    add_row(st, first, last, asn);
}

static int read_csv(struct compile_state *st, const char *path, struct bw_diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    int rc = BW_OK;

    if (fd < 0) {
        rc = -errno;
        bw_diag_set(d, "asn: cannot open %s (%s); %s", path, bw_strerror(rc), FETCH_HINT);
        return rc;
    }
    if (fstat(fd, &sb) != 0) {
        rc = -errno;
        bw_diag_set(d, "asn: cannot stat %s (%s)", path, bw_strerror(rc));
        close(fd);
        return rc;
    }
    if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > CSV_MAX) {
        bw_diag_set(d, "asn: %s is not a regular file under 2 GiB; %s", path, FETCH_HINT);
        close(fd);
        return BW_EINVAL;
    }
    if (sb.st_size > 0) {
        size_t size = (size_t)sb.st_size;
        const char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            rc = -errno;
            bw_diag_set(d, "asn: cannot map %s (%s)", path, bw_strerror(rc));
            close(fd);
            return rc;
        }
        madvise((void *)m, size, MADV_SEQUENTIAL);
        const char *p = m;
        const char *end = m + size;
        uint64_t line_no = 0;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *eol = nl ? nl : end;
            parse_line(st, p, (size_t)(eol - p), ++line_no);
            p = nl ? nl + 1 : end;
        }
        munmap((void *)m, size);
    }
    close(fd);
    return rc;
}

/* ---- compile: making ranges disjoint ------------------------------------------------------ */

static int cmp_row(const void *a, const void *b)
{
    const struct row *x = a;
    const struct row *y = b;

    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    if (x->last != y->last) /* wider first, so the narrower one is pushed on top of it */
        return x->last > y->last ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static void emit(struct row *out, size_t *n_out, u128 first, u128 last, uint32_t asn)
{
    if (*n_out > 0) {
        struct row *prev = &out[*n_out - 1];
        if (prev->asn == asn && prev->last + 1 == first &&
            u128_is_v4(first) == u128_is_v4(prev->last)) {
            prev->last = last;
            return;
        }
    }
    out[(*n_out)++] = (struct row){ .first = first, .last = last, .asn = asn };
}

/*
 * Cuts the sorted rows into disjoint ranges. Where rows overlap, the one that starts later
 * wins (for nested rows: the more specific one), which is how route tables read: a
 * more-specific announcement inside a covering one. A stack holds the rows open at the
 * cursor; rows under the top that ended meanwhile are dropped when they surface. Adjacent
 * ranges of one AS are merged. out has room for 2 * n rows (each row opens at most one range
 * and splits at most one other). Returns the number of ranges.
 */
static size_t make_disjoint(const struct row *rows, size_t n, struct row *out)
{
    size_t *stack = bw_xmalloc((n + 1) * sizeof(*stack));
    size_t depth = 0;
    size_t n_out = 0;
    u128 pos = 0;      /* first address not yet emitted */
    bool done = false; /* pos wrapped past the last address (only while flushing) */

    for (size_t i = 0; i <= n; i++) {
        bool flush = i == n;
        u128 a = flush ? 0 : rows[i].first;

        while (depth > 0 && !done && (flush || pos < a)) {
            const struct row *top = &rows[stack[depth - 1]];
            if (top->last < pos) {
                depth--;
                continue;
            }
            u128 end = (!flush && top->last >= a) ? a - 1 : top->last;
            emit(out, &n_out, pos, end, top->asn);
            if (end == ~(u128)0)
                done = true;
            pos = end + 1;
            if (end == top->last)
                depth--;
        }
        if (flush)
            break;
        /* The loop emitted everything below a (ranges end at a - 1 at most), so pos == a
         * now, or pos < a across a gap where nothing was open. */
        pos = a;
        stack[depth++] = i;
    }
    free(stack);
    return n_out;
}

/* ---- compile: writing ------------------------------------------------------------------- */

static int cmp_org(const void *a, const void *b)
{
    const struct org_ref *x = a;
    const struct org_ref *y = b;

    if (x->asn != y->asn)
        return x->asn < y->asn ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static uint64_t align8(uint64_t v)
{
    return (v + 7) & ~(uint64_t)7;
}

static uint32_t find_asn(const struct asn_entry *t, uint32_t n, uint32_t asn)
{
    uint32_t lo = 0;
    uint32_t hi = n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t[mid].asn < asn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint32_t crc_of(const uint8_t *file, uint64_t size)
{
    struct file_header h;
    uLong crc = crc32(0L, Z_NULL, 0);

    memcpy(&h, file, sizeof(h));
    h.checksum = 0;
    crc = crc32_z(crc, (const Bytef *)&h, sizeof(h));
    crc = crc32_z(crc, file + sizeof(h), (z_size_t)(size - sizeof(h)));
    return (uint32_t)crc;
}

static void build_index(uint32_t *index, const uint32_t *top16, size_t n)
{
    size_t i = 0;

    for (uint32_t h = 0; h <= N_BUCKETS; h++) {
        while (i < n && top16[i] < h)
            i++;
        index[h] = (uint32_t)i;
    }
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return BW_OK;
}

/* Lays the table out in one buffer and writes it to out_path through a temporary file. */
static int write_table(const struct row *ranges, size_t n_ranges, const struct compile_state *st,
                       const char *out_path, struct bw_diag *d)
{
    /* ASN table: one entry per AS seen (rows or orgs), org = its first name in the input. */
    struct org_ref *orgs = st->orgs;
    size_t n_orgs = st->n_orgs;
    if (n_orgs > 1)
        bw_sort(orgs, n_orgs, sizeof(*orgs), cmp_org);
    size_t n_asn = 0;
    for (size_t i = 0; i < n_orgs; i++)
        if (orgs[i].asn != 0 && (i == 0 || orgs[i].asn != orgs[i - 1].asn))
            n_asn++;
    uint64_t pool_len = 1; /* offset 0 is the empty string */
    for (size_t i = 0; i < n_orgs; i++)
        if (orgs[i].asn != 0 && (i == 0 || orgs[i].asn != orgs[i - 1].asn))
            pool_len += orgs[i].len + 1;

    size_t n_v4 = 0;
    for (size_t i = 0; i < n_ranges; i++)
        n_v4 += u128_is_v4(ranges[i].first);
    size_t n_v6 = n_ranges - n_v4;
    if (n_v4 > UINT32_MAX / 2 || n_v6 > UINT32_MAX / 2 || n_asn > UINT32_MAX / 2 ||
        pool_len > UINT32_MAX) {
        bw_diag_set(d, "asn: %s would be too large", out_path);
        return BW_ETOOBIG;
    }

    struct file_header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, MAGIC, sizeof(h.magic));
    h.version = FORMAT_VERSION;
    h.byte_order = BYTE_ORDER_MARK;
    h.header_size = sizeof(h);
    h.n_v4 = (uint32_t)n_v4;
    h.n_v6 = (uint32_t)n_v6;
    h.n_asn = (uint32_t)n_asn;
    uint64_t off = align8(sizeof(h));
    h.off_v4_index = off;
    off = align8(off + (N_BUCKETS + 1) * 4ull);
    h.off_v4 = off;
    off = align8(off + n_v4 * sizeof(struct v4_range));
    h.off_v6_index = off;
    off = align8(off + (N_BUCKETS + 1) * 4ull);
    h.off_v6 = off;
    off = align8(off + n_v6 * sizeof(struct v6_range));
    h.off_asn = off;
    off = align8(off + n_asn * sizeof(struct asn_entry));
    h.off_pool = off;
    h.pool_len = pool_len;
    off = align8(off + pool_len);
    h.file_size = off;

    uint8_t *file = bw_xcalloc(1, (size_t)h.file_size);
    struct v4_range *v4 = (struct v4_range *)(file + h.off_v4);
    struct v6_range *v6 = (struct v6_range *)(file + h.off_v6);
    struct asn_entry *asns = (struct asn_entry *)(file + h.off_asn);
    char *pool = (char *)(file + h.off_pool);

    /* ASN table and string pool */
    size_t k = 0;
    uint64_t pool_off = 1;
    for (size_t i = 0; i < n_orgs; i++) {
        if (orgs[i].asn == 0 || (i > 0 && orgs[i].asn == orgs[i - 1].asn))
            continue;
        asns[k].asn = orgs[i].asn;
        asns[k].org_off = (uint32_t)pool_off;
        if (orgs[i].len > 0)
            memcpy(pool + pool_off, st->org_text.data + orgs[i].off, orgs[i].len);
        pool_off += orgs[i].len + 1;
        k++;
    }

    /* ranges, bucket keys and announced counts */
    uint32_t *top4 = bw_xmalloc((n_v4 + 1) * sizeof(*top4));
    uint32_t *top6 = bw_xmalloc((n_v6 + 1) * sizeof(*top6));
    uint64_t *last64 = bw_xcalloc(n_asn + 1, sizeof(*last64)); /* last /64 counted, + 1 */
    size_t i4 = 0;
    size_t i6 = 0;
    for (size_t i = 0; i < n_ranges; i++) {
        const struct row *r = &ranges[i];
        uint32_t v = find_asn(asns, (uint32_t)n_asn, r->asn);
        BW_ASSERT(v < n_asn && asns[v].asn == r->asn);
        if (u128_is_v4(r->first)) {
            v4[i4] = (struct v4_range){ (uint32_t)r->first, (uint32_t)r->last, v };
            top4[i4] = (uint32_t)r->first >> 16;
            asns[v].announced_v4 += (uint64_t)(uint32_t)r->last - (uint32_t)r->first + 1;
            i4++;
        } else {
            uint64_t f64 = (uint64_t)(r->first >> 64);
            uint64_t l64 = (uint64_t)(r->last >> 64);
            v6[i6] = (struct v6_range){ f64, (uint64_t)r->first, l64, (uint64_t)r->last, v, 0 };
            top6[i6] = (uint32_t)(f64 >> 48);
            uint64_t count = l64 - f64 + 1; /* 0 only for ::/0, which saturates below */
            if (last64[v] != 0 && last64[v] - 1 == f64)
                count--; /* that /64 was counted with the previous range of this AS */
            uint64_t sum = asns[v].announced_v6_64 + count;
            asns[v].announced_v6_64 = (count == 0 && l64 != f64) || sum < count ? UINT64_MAX : sum;
            last64[v] = l64 + 1;
            i6++;
        }
    }
    build_index((uint32_t *)(file + h.off_v4_index), top4, n_v4);
    build_index((uint32_t *)(file + h.off_v6_index), top6, n_v6);
    free(top4);
    free(top6);
    free(last64);

    memcpy(file, &h, sizeof(h));
    h.checksum = crc_of(file, h.file_size);
    memcpy(file, &h, sizeof(h));

    /* temporary file beside the target, then rename: readers never see a half-written table */
    size_t plen = strlen(out_path);
    char *tmp = bw_xmalloc(plen + 16);
    memcpy(tmp, out_path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    int rc = BW_OK;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = -errno;
        bw_diag_set(d, "asn: cannot create %s (%s)", tmp, bw_strerror(rc));
    } else {
        rc = write_all(fd, file, (size_t)h.file_size);
        if (rc == BW_OK && fchmod(fd, 0644) != 0)
            rc = -errno;
        if (close(fd) != 0 && rc == BW_OK)
            rc = -errno;
        if (rc == BW_OK && rename(tmp, out_path) != 0)
            rc = -errno;
        if (rc != BW_OK) {
            bw_diag_set(d, "asn: cannot write %s (%s)", out_path, bw_strerror(rc));
            unlink(tmp);
        }
    }
    free(tmp);
    free(file);
    return rc;
}

int bw_asn_compile(const char *csv_v4, const char *csv_v6, const char *out_path,
                   uint64_t *ranges, uint64_t *bad_rows, struct bw_diag *d)
{
    struct compile_state st;
    int rc = BW_OK;

    if (out_path == NULL || (csv_v4 == NULL && csv_v6 == NULL)) {
        bw_diag_set(d, "asn: nothing to compile (no CSV or no output path)");
        return BW_EINVAL;
    }
    memset(&st, 0, sizeof(st));
    st.last_org_asn = UINT32_MAX;
    bw_buf_init(&st.org_text, UINT32_MAX - 1);
    if (csv_v4 != NULL)
        rc = read_csv(&st, csv_v4, d);
    st.last_org_asn = UINT32_MAX;
    if (rc == BW_OK && csv_v6 != NULL)
        rc = read_csv(&st, csv_v6, d);
    if (rc == BW_OK) {
        if (st.n_rows > 1)
            bw_sort(st.rows, st.n_rows, sizeof(*st.rows), cmp_row);
        struct row *out = bw_xmalloc((2 * st.n_rows + 1) * sizeof(*out));
        size_t n_out = make_disjoint(st.rows, st.n_rows, out);
        rc = write_table(out, n_out, &st, out_path, d);
        free(out);
        if (rc == BW_OK) {
            if (ranges != NULL)
                *ranges = n_out;
            if (bad_rows != NULL)
                *bad_rows = st.bad_rows;
        }
    }
    free(st.rows);
    free(st.orgs);
    bw_buf_cleanup(&st.org_text);
    return rc;
}

/* ---- open: validate everything, then trust it --------------------------------------------- */

static bool section_ok(const struct file_header *h, uint64_t off, uint64_t count, uint64_t size)
{
    if (off % 8 != 0 || off < h->header_size || off > h->file_size)
        return false;
    if (size != 0 && count > (h->file_size - off) / size)
        return false;
    return true;
}

static const char *check_index(const uint32_t *index, uint32_t n)
{
    if (index[0] != 0 || index[N_BUCKETS] != n)
        return "bucket index ends";
    for (uint32_t h = 0; h < N_BUCKETS; h++)
        if (index[h] > index[h + 1])
            return "bucket index order";
    return NULL;
}

/* NULL when the mapped table is consistent, else what is wrong with it. */
static const char *check_table(const struct bw_asn *t)
{
    const char *why = check_index(t->v4_index, t->n_v4);
    if (why == NULL)
        why = check_index(t->v6_index, t->n_v6);
    if (why != NULL)
        return why;
    for (uint32_t i = 0; i < t->n_v4; i++) {
        const struct v4_range *r = &t->v4[i];
        uint32_t h = r->first >> 16;
        if (r->first > r->last || (i > 0 && r[-1].last >= r->first))
            return "IPv4 ranges out of order";
        if (i < t->v4_index[h] || i >= t->v4_index[h + 1])
            return "IPv4 bucket index";
        if (r->value >= t->n_asn)
            return "IPv4 range value";
    }
    for (uint32_t i = 0; i < t->n_v6; i++) {
        const struct v6_range *r = &t->v6[i];
        u128 f = (u128)r->first_hi << 64 | r->first_lo;
        u128 l = (u128)r->last_hi << 64 | r->last_lo;
        uint32_t h = (uint32_t)(r->first_hi >> 48);
        if (f > l || u128_is_v4(f) || u128_is_v4(l) || (f < V4_BASE && l > V4_BASE))
            return "IPv6 range";
        if (i > 0 && ((u128)r[-1].last_hi << 64 | r[-1].last_lo) >= f)
            return "IPv6 ranges out of order";
        if (i < t->v6_index[h] || i >= t->v6_index[h + 1])
            return "IPv6 bucket index";
        if (r->value >= t->n_asn)
            return "IPv6 range value";
    }
    if (t->pool_len == 0 || t->pool[t->pool_len - 1] != '\0')
        return "string pool";
    for (uint32_t i = 0; i < t->n_asn; i++) {
        if (i > 0 && t->asns[i - 1].asn >= t->asns[i].asn)
            return "ASN table order";
        if (t->asns[i].org_off >= t->pool_len)
            return "ASN organisation offset";
    }
    return NULL;
}

int bw_asn_open(struct bw_asn **out, const char *path, struct bw_diag *d)
{
    struct file_header h;
    struct stat sb;
    const char *why = NULL;
    int rc;

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        bw_diag_set(d, "asn: cannot open %s (%s); %s", path, bw_strerror(rc), FETCH_HINT);
        return rc;
    }
    if (fstat(fd, &sb) != 0) {
        rc = -errno;
        bw_diag_set(d, "asn: cannot stat %s (%s); %s", path, bw_strerror(rc), FETCH_HINT);
        close(fd);
        return rc;
    }
    if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size < sizeof(h) ||
        (uint64_t)sb.st_size > SIZE_MAX / 2) {
        bw_diag_set(d, "asn: %s is not an ASN table (not a file, or too short); %s", path,
                    FETCH_HINT);
        close(fd);
        return BW_EMALFORMED;
    }
    size_t len = (size_t)sb.st_size;
    size_t map_len = len;
    uint8_t *map = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    rc = map == MAP_FAILED ? -errno : BW_OK;
    close(fd);
    if (rc != BW_OK) {
        bw_diag_set(d, "asn: cannot map %s (%s); %s", path, bw_strerror(rc), FETCH_HINT);
        return rc;
    }
    memcpy(&h, map, sizeof(h));
    if (memcmp(h.magic, MAGIC, sizeof(h.magic)) != 0)
        why = "bad magic";
    else if (h.byte_order != BYTE_ORDER_MARK)
        why = "written on a host of another byte order";
    else if (h.version != FORMAT_VERSION)
        why = "unknown format version";
    else if (h.header_size != sizeof(h))
        why = "bad header size";
    else if (h.file_size != len)
        why = "truncated or extended (size does not match its header)";
    else if (crc_of(map, len) != h.checksum)
        why = "checksum mismatch (corrupt)";
    else if (h.n_v4 > UINT32_MAX / 2 || h.n_v6 > UINT32_MAX / 2 || h.n_asn > UINT32_MAX / 2 ||
             !section_ok(&h, h.off_v4_index, N_BUCKETS + 1, 4) ||
             !section_ok(&h, h.off_v4, h.n_v4, sizeof(struct v4_range)) ||
             !section_ok(&h, h.off_v6_index, N_BUCKETS + 1, 4) ||
             !section_ok(&h, h.off_v6, h.n_v6, sizeof(struct v6_range)) ||
             !section_ok(&h, h.off_asn, h.n_asn, sizeof(struct asn_entry)) ||
             !section_ok(&h, h.off_pool, h.pool_len, 1))
        why = "section outside the file";
    if (why != NULL) {
        bw_diag_set(d, "asn: %s is not a valid ASN table (%s); %s", path, why, FETCH_HINT);
        munmap(map, map_len);
        return BW_EMALFORMED;
    }

    struct bw_asn *t = bw_xcalloc(1, sizeof(*t));
    t->map = map;
    t->map_len = map_len;
    t->n_v4 = h.n_v4;
    t->n_v6 = h.n_v6;
    t->n_asn = h.n_asn;
    t->v4_index = (const uint32_t *)(map + h.off_v4_index);
    t->v4 = (const struct v4_range *)(map + h.off_v4);
    t->v6_index = (const uint32_t *)(map + h.off_v6_index);
    t->v6 = (const struct v6_range *)(map + h.off_v6);
    t->asns = (const struct asn_entry *)(map + h.off_asn);
    t->pool = (const char *)(map + h.off_pool);
    t->pool_len = h.pool_len;
    why = check_table(t);
    if (why != NULL) {
        bw_diag_set(d, "asn: %s is not a valid ASN table (%s); %s", path, why, FETCH_HINT);
        bw_asn_close(t);
        return BW_EMALFORMED;
    }
    *out = t;
    return BW_OK;
}

void bw_asn_close(struct bw_asn *t)
{
    if (t == NULL)
        return;
    munmap((void *)t->map, t->map_len);
    free(t);
}

/* ---- lookups -------------------------------------------------------------------------- */

static void fill_asn(const struct bw_asn *t, uint32_t v, struct bw_asn_info *info)
{
    const struct asn_entry *e = &t->asns[v];

    info->asn = e->asn;
    info->org = t->pool + e->org_off;
    info->announced_v4 = e->announced_v4;
    info->announced_v6_64 = e->announced_v6_64;
}

/* The largest aligned block of 2^k addresses around x inside [first, last], on `bits` bits. */
static unsigned block_bits(u128 x, u128 first, u128 last, unsigned bits)
{
    unsigned k = 0;

    while (k < bits) {
        u128 mask = k + 1 == 128 ? ~(u128)0 : ((u128)1 << (k + 1)) - 1;
        if ((x & ~mask) < first || (x | mask) > last)
            break;
        k++;
    }
    return k;
}

/* block_bits() on 64-bit integers, for IPv4 (the common case; 128-bit shifts cost more). */
static unsigned block_bits32(uint32_t x, uint32_t first, uint32_t last)
{
    unsigned k = 0;

    while (k < 32) {
        uint64_t mask = (UINT64_C(1) << (k + 1)) - 1;
        if ((x & ~mask) < first || (x | mask) > last)
            break;
        k++;
    }
    return k;
}

bool bw_asn_lookup(const struct bw_asn *t, const struct bw_addr *a, struct bw_asn_info *info)
{
    info->asn = 0;
    info->org = "";
    info->announced_v4 = 0;
    info->announced_v6_64 = 0;
    memset(&info->prefix, 0, sizeof(info->prefix));
    if (bw_addr_is_v4(a)) {
        uint32_t x = (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 |
                     (uint32_t)a->b[14] << 8 | a->b[15];
        uint32_t lo = t->v4_index[x >> 16];
        uint32_t hi = t->v4_index[(x >> 16) + 1];
        /* last range in the bucket starting at or below x; else the one before the bucket */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (t->v4[mid].first <= x)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == 0 || t->v4[lo - 1].last < x)
            return false;
        const struct v4_range *r = &t->v4[lo - 1];
        unsigned k = block_bits32(x, r->first, r->last);
        uint32_t net = k == 32 ? 0 : x & ~((UINT32_C(1) << k) - 1);
        memcpy(info->prefix.addr.b, a->b, 12);
        info->prefix.addr.b[12] = (uint8_t)(net >> 24);
        info->prefix.addr.b[13] = (uint8_t)(net >> 16);
        info->prefix.addr.b[14] = (uint8_t)(net >> 8);
        info->prefix.addr.b[15] = (uint8_t)net;
        info->prefix.len = (uint8_t)(128 - k);
        fill_asn(t, r->value, info);
        return true;
    }

    uint64_t xh = 0;
    uint64_t xl = 0;
    for (int j = 0; j < 8; j++) {
        xh = xh << 8 | a->b[j];
        xl = xl << 8 | a->b[j + 8];
    }
    uint32_t lo = t->v6_index[xh >> 48];
    uint32_t hi = t->v6_index[(xh >> 48) + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct v6_range *m = &t->v6[mid];
        if (m->first_hi < xh || (m->first_hi == xh && m->first_lo <= xl))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    const struct v6_range *r = &t->v6[lo - 1];
    if (r->last_hi < xh || (r->last_hi == xh && r->last_lo < xl))
        return false;
    u128 x = (u128)xh << 64 | xl;
    unsigned k = block_bits(x, (u128)r->first_hi << 64 | r->first_lo,
                            (u128)r->last_hi << 64 | r->last_lo, 128);
    u128 net = k == 128 ? 0 : x & ~(((u128)1 << k) - 1);
    u128_to_addr(net, &info->prefix.addr);
    info->prefix.len = (uint8_t)(128 - k);
    fill_asn(t, r->value, info);
    return true;
}

bool bw_asn_by_number(const struct bw_asn *t, uint32_t asn, struct bw_asn_info *info)
{
    uint32_t v = find_asn(t->asns, t->n_asn, asn);

    memset(info, 0, sizeof(*info));
    info->org = "";
    if (v >= t->n_asn || t->asns[v].asn != asn)
        return false;
    fill_asn(t, v, info);
    return true;
}
