/*
 * export/export.c - the export stream: filters, one output buffer, and the writer of each
 * format (header, one entry, trailer).
 * Invariants:
 *  - x->err latches the first failure; nothing is written after it.
 *  - Output goes through x->buf (BUF_BYTES) and reaches the FILE in large fwrite()s; every
 *    line is shorter than LINE_MAX, which is what make_room() reserves.
 *  - cidr, nft and ipset see blocks from x->agg only (disjoint, sorted), never raw entries.
 *  - Memory is constant: the buffer, one open range, a few counters.
 */
#include "export/export.h"

#include <stdlib.h>
#include <string.h>

#define BUF_BYTES (256u * 1024u)
#define LINE_MAX 1024u /* longest line any writer produces, with room to spare */
#define V4_MAPPED_PREFIX_LEN 96

struct bw_export {
    enum bw_export_format f;
    FILE *out;
    struct bw_export_opts o; /* strings borrowed from the caller */
    char *buf;               /* BUF_BYTES */
    size_t len;
    int err;                 /* first failure, latched */
    uint64_t written, skipped;
    struct bw_cidr agg;      /* cidr, nft, ipset */
    bool first;              /* json: no element written yet */
    int nft_family;          /* nft: 4 or 6 while an "add element" statement is open, else 0 */
    unsigned nft_in_chunk;   /* elements in the open statement */
    bool have64;             /* rbldnsd6: last64 holds the last /64 written */
    struct bw_addr last64;
    uint32_t next_sid;       /* suricata */
};

static void flush_buf(struct bw_export *x)
{
    if (x->len > 0 && x->err == BW_OK && fwrite(x->buf, 1, x->len, x->out) != x->len)
        x->err = BW_EIO;
    x->len = 0;
}

/* Room for one line. */
static char *make_room(struct bw_export *x)
{
    if (BUF_BYTES - x->len < LINE_MAX)
        flush_buf(x);
    return x->buf + x->len;
}

static void put(struct bw_export *x, const char *s, size_t n)
{
    if (n >= LINE_MAX) { /* only headers with long operator strings get here */
        flush_buf(x);
        if (x->err == BW_OK && fwrite(s, 1, n, x->out) != n)
            x->err = BW_EIO;
        return;
    }
    memcpy(make_room(x), s, n);
    x->len += n;
}

static void puts_(struct bw_export *x, const char *s)
{
    put(x, s, strlen(s));
}

static void printf_(struct bw_export *x, const char *fmt, ...) BW_PRINTF(2, 3);
static void printf_(struct bw_export *x, const char *fmt, ...)
{
    char line[LINE_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        x->err = x->err == BW_OK ? BW_ETOOBIG : x->err;
        return;
    }
    put(x, line, (size_t)n);
}

static size_t put_u64(char *dst, uint64_t v)
{
    char tmp[24];
    size_t n = 0, i = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        dst[i++] = tmp[--n];
    return i;
}

static const char *name_of(const struct bw_export *x)
{
    return x->o.name != NULL ? x->o.name : "botwatch";
}

static const char *zone_of(const struct bw_export *x)
{
    return x->o.zone != NULL ? x->o.zone : "bl.botwatch.local";
}

static bool is_v4(const struct bw_prefix *p)
{
    return bw_addr_is_v4(&p->addr) && p->len >= V4_MAPPED_PREFIX_LEN;
}

static void comment_header(struct bw_export *x, const char *lead, const char *what)
{
    char t[BW_TIME_TEXT_MAX];

    printf_(x, "%s botwatch %s, generated %s\n", lead, what, bw_time_format(x->o.now_s, t));
}

/* ---- nft and ipset: blocks from the aggregator ---- */

static void nft_close(struct bw_export *x)
{
    if (x->nft_family != 0)
        puts_(x, " }\n");
    x->nft_family = 0;
    x->nft_in_chunk = 0;
}

static int on_block(void *ctx, const struct bw_prefix *p)
{
    struct bw_export *x = ctx;
    char *d;
    size_t n = 0;
    int fam = is_v4(p) ? 4 : 6;

    switch (x->f) {
    case BW_EXPORT_CIDR:
        d = make_room(x);
        n = bw_export_put_prefix(d, p);
        d[n++] = '\n';
        break;
    case BW_EXPORT_NFT:
        if (x->nft_family != fam || x->nft_in_chunk == BW_EXPORT_NFT_CHUNK)
            nft_close(x);
        if (x->nft_family == 0) {
            printf_(x, "add element inet %s blocklist_v%d {", name_of(x), fam);
            x->nft_family = fam;
        }
        d = make_room(x);
        if (x->nft_in_chunk++ > 0)
            d[n++] = ',';
        memcpy(d + n, "\n\t", 2);
        n += 2;
        n += bw_export_put_prefix(d + n, p);
        break;
    case BW_EXPORT_IPSET: {
        const char *name = name_of(x);
        size_t nl = strlen(name);

        if (nl > 24) /* checked in bw_export_new: ipset names are at most 31 bytes */
            return BW_EINVAL;
        d = make_room(x);
        memcpy(d, "add ", 4);
        n = 4;
        memcpy(d + n, name, nl);
        n += nl;
        memcpy(d + n, fam == 4 ? "4-new " : "6-new ", 6);
        n += 6;
        n += bw_export_put_prefix(d + n, p);
        d[n++] = '\n';
        break;
    }
    default:
        return BW_EINVAL;
    }
    x->len += n;
    return x->err;
}

/* ---- headers and trailers ---- */

static void header(struct bw_export *x)
{
    const char *name = name_of(x);
    uint32_t maxelem = x->o.ipset_maxelem != 0 ? x->o.ipset_maxelem : 16777216u;

    switch (x->f) {
    case BW_EXPORT_TXT:
    case BW_EXPORT_CIDR:
        break;
    case BW_EXPORT_CSV:
        puts_(x, "ip,categories,score\n");
        break;
    case BW_EXPORT_JSON:
        puts_(x, "[");
        break;
    case BW_EXPORT_NFT:
        puts_(x, "#!/usr/sbin/nft -f\n");
        comment_header(x, "#", "blocklist (nftables sets; load with nft -f)");
        printf_(x,
                "# Use from a rule, e.g.: ip saddr @blocklist_v4 drop; ip6 saddr @blocklist_v6 "
                "drop\n"
                "add table inet %s\n"
                "add set inet %s blocklist_v4 { type ipv4_addr; flags interval; }\n"
                "add set inet %s blocklist_v6 { type ipv6_addr; flags interval; }\n"
                "flush set inet %s blocklist_v4\n"
                "flush set inet %s blocklist_v6\n",
                name, name, name, name, name);
        break;
    case BW_EXPORT_IPSET:
        /* Filled into <name>4-new / <name>6-new, then swapped in whole: a set in use never
         * holds half a list. */
        for (int fam = 4; fam <= 6; fam += 2) {
            const char *family = fam == 4 ? "inet" : "inet6";

            printf_(x, "create %s%d hash:net family %s hashsize 1024 maxelem %u -exist\n",
                    name, fam, family, maxelem);
            printf_(x, "create %s%d-new hash:net family %s hashsize 1024 maxelem %u -exist\n",
                    name, fam, family, maxelem);
            printf_(x, "flush %s%d-new\n", name, fam);
        }
        break;
    case BW_EXPORT_RBLDNSD:
    case BW_EXPORT_RBLDNSD6:
        comment_header(x, ";", x->f == BW_EXPORT_RBLDNSD ? "blocklist (rbldnsd ip4set)"
                                                         : "blocklist (rbldnsd ip6tset)");
        printf_(x, "$SOA 0 ns.%s. hostmaster.%s. %u 3600 600 604800 300\n", zone_of(x),
                zone_of(x), (uint32_t)x->o.now_s);
        printf_(x, "$NS 0 ns.%s.\n", zone_of(x));
        printf_(x, ":127.0.0.2:Listed by botwatch%s%s\n", x->o.lookup_url ? ", see " : "",
                x->o.lookup_url ? x->o.lookup_url : "");
        if (x->f == BW_EXPORT_RBLDNSD)
            puts_(x, "; RFC 5782 test point\n127.0.0.2\n");
        break;
    case BW_EXPORT_RPZ:
        comment_header(x, ";", "response policy zone (controller addresses, rpz-ip triggers)");
        printf_(x,
                "$TTL 300\n"
                "@ IN SOA localhost. hostmaster.localhost. %u 3600 600 604800 300\n"
                "@ IN NS localhost.\n",
                (uint32_t)x->o.now_s);
        break;
    case BW_EXPORT_SURICATA:
        comment_header(x, "#", "rules for controller (c2) addresses");
        printf_(x, "# sids %u-%u are botwatch's; reload replaces them all\n",
                BW_EXPORT_SID_FIRST, BW_EXPORT_SID_LAST);
        break;
    default:
        break;
    }
}

static void trailer(struct bw_export *x)
{
    const char *name = name_of(x);

    switch (x->f) {
    case BW_EXPORT_JSON:
        puts_(x, x->first ? "]\n" : "\n]\n");
        break;
    case BW_EXPORT_NFT:
        nft_close(x);
        break;
    case BW_EXPORT_IPSET:
        for (int fam = 4; fam <= 6; fam += 2) {
            printf_(x, "swap %s%d-new %s%d\n", name, fam, name, fam);
            printf_(x, "destroy %s%d-new\n", name, fam);
        }
        break;
    default:
        break;
    }
}

static bool all_in(const char *s, const char *extra)
{
    for (; *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr(extra, *s) != NULL))
            return false;
    }
    return true;
}

int bw_export_opts_check(const struct bw_export_opts *o)
{
    /* Names go into scripts unquoted: keep them to what nft, ipset and DNS take as they are. */
    if (o->name != NULL && (o->name[0] == '\0' || strlen(o->name) > 24 || !all_in(o->name, "_")))
        return BW_EINVAL;
    if (o->zone != NULL && (o->zone[0] == '\0' || strlen(o->zone) > 200 || !all_in(o->zone, "-.")))
        return BW_EINVAL;
    if (o->lookup_url != NULL &&
        (strlen(o->lookup_url) > 256 || strpbrk(o->lookup_url, "\n\r\";") != NULL))
        return BW_EINVAL;
    if (o->min_score < 0 || o->min_score > 100)
        return BW_EINVAL;
    return BW_OK;
}

struct bw_export *bw_export_new(enum bw_export_format f, FILE *out,
                                const struct bw_export_opts *opts)
{
    struct bw_export *x = bw_xcalloc(1, sizeof(*x));

    x->f = f;
    x->out = out;
    if (opts != NULL)
        x->o = *opts;
    x->buf = bw_xmalloc(BUF_BYTES);
    x->first = true;
    x->next_sid = BW_EXPORT_SID_FIRST;
    bw_cidr_init(&x->agg, on_block, x);
    if ((unsigned)f >= BW_EXPORT_COUNT)
        x->err = BW_EINVAL;
    if (x->err == BW_OK)
        x->err = bw_export_opts_check(&x->o);
    if (x->err == BW_OK)
        header(x);
    return x;
}

/* ---- one entry ---- */

static size_t put_cats_csv(char *d, bw_catmask m)
{
    size_t n = 0;

    for (unsigned c = 0; c < BW_CAT_COUNT; c++) {
        if (!(m & (1u << c)))
            continue;
        const char *name = bw_category_name((enum bw_category)c);
        size_t l = strlen(name);

        if (n > 0)
            d[n++] = ',';
        memcpy(d + n, name, l);
        n += l;
    }
    return n;
}

static void add_json(struct bw_export *x, const struct bw_index_entry *e)
{
    char *d = make_room(x);
    size_t n = 0;
    bool any = false;

    memcpy(d, x->first ? "\n{\"ip\":\"" : ",\n{\"ip\":\"", x->first ? 8 : 9);
    n = x->first ? 8 : 9;
    x->first = false;
    n += bw_export_put_prefix(d + n, &e->prefix);
    memcpy(d + n, "\",\"categories\":[", 16);
    n += 16;
    for (unsigned c = 0; c < BW_CAT_COUNT; c++) {
        if (!(e->cats & (1u << c)))
            continue;
        const char *name = bw_category_name((enum bw_category)c);
        size_t l = strlen(name);

        if (any)
            d[n++] = ',';
        any = true;
        d[n++] = '"';
        memcpy(d + n, name, l);
        n += l;
        d[n++] = '"';
    }
    memcpy(d + n, "],\"score\":", 10);
    n += 10;
    n += put_u64(d + n, e->score);
    d[n++] = '}';
    x->len += n;
}

static void add_rbldnsd(struct bw_export *x, const struct bw_index_entry *e)
{
    char *d = make_room(x);
    size_t n = bw_export_put_prefix(d, &e->prefix);

    /* The DNSBL answers 127.0.0.2 and one 127.0.1.N per category, with one TXT. rbldnsd's
     * ip4set answers every line of the most specific range that matches, so: a 127.0.0.2
     * line carrying the TXT, then one line per category with an empty TXT (none). */
    memcpy(d + n, " :127.0.0.2:botwatch: ", 22);
    n += 22;
    n += put_cats_csv(d + n, e->cats);
    memcpy(d + n, ", score ", 8);
    n += 8;
    n += put_u64(d + n, e->score);
    if (x->o.lookup_url != NULL) {
        size_t ul = strlen(x->o.lookup_url);

        memcpy(d + n, ", see ", 6);
        n += 6;
        memcpy(d + n, x->o.lookup_url, ul);
        n += ul;
        d[n++] = '$';
    }
    d[n++] = '\n';
    x->len += n;
    for (unsigned c = 0; c < BW_CAT_COUNT; c++) {
        if (!(e->cats & (1u << c)))
            continue;
        d = make_room(x);
        n = bw_export_put_prefix(d, &e->prefix);
        memcpy(d + n, " :" BW_EXPORT_RBL_NET, 2 + sizeof(BW_EXPORT_RBL_NET) - 1);
        n += 2 + sizeof(BW_EXPORT_RBL_NET) - 1;
        n += put_u64(d + n, bw_export_rbl_code((enum bw_category)c));
        memcpy(d + n, ":\n", 2);
        x->len += n + 2;
    }
}

static void put_64(struct bw_export *x, const struct bw_addr *a)
{
    static const char hex[] = "0123456789abcdef";
    char *d = make_room(x);
    size_t n = 0;

    for (int i = 0; i < 4; i++) {
        if (i > 0)
            d[n++] = ':';
        /* words by hand: ip6tset wants all four, the address formatter would compress */
        unsigned w = (unsigned)(a->b[2 * i] << 8 | a->b[2 * i + 1]);
        bool started = false;

        for (int shift = 12; shift >= 0; shift -= 4) {
            unsigned nib = (w >> shift) & 0xf;

            if (nib != 0 || started || shift == 0) {
                d[n++] = hex[nib];
                started = true;
            }
        }
    }
    d[n++] = '\n';
    x->len += n;
}

/* Increments the /64 network number in a->b[0..8). */
static void next64(struct bw_addr *a)
{
    for (int i = 7; i >= 0; i--) {
        if (++a->b[i] != 0)
            break;
    }
}

static void add_rbldnsd6(struct bw_export *x, const struct bw_index_entry *e)
{
    struct bw_addr a = e->prefix.addr;
    uint64_t count;

    memset(a.b + 8, 0, 8);
    if (e->prefix.len < 48) { /* more than 65,536 /64s: an ip6tset file cannot say it */
        x->skipped++;
        return;
    }
    count = e->prefix.len >= 64 ? 1 : (uint64_t)1 << (64 - e->prefix.len);
    for (uint64_t i = 0; i < count && x->err == BW_OK; i++, next64(&a)) {
        /* Entries come in address order: a /64 at or below the last one is already out. */
        if (x->have64 && memcmp(a.b, x->last64.b, 8) <= 0)
            continue;
        put_64(x, &a);
        x->last64 = a;
        x->have64 = true;
    }
    x->written++;
}

static void add_rpz(struct bw_export *x, const struct bw_index_entry *e)
{
    char *d = make_room(x);
    size_t n = bw_export_put_rpz_ip(d, &e->prefix);

    memcpy(d + n, ".rpz-ip CNAME .\n", 16);
    x->len += n + 16;
}

static void add_suricata(struct bw_export *x, const struct bw_index_entry *e)
{
    char ip[BW_EXPORT_PREFIX_MAX + 1];
    size_t n = bw_export_put_prefix(ip, &e->prefix);

    ip[n] = '\0';
    if (x->next_sid > BW_EXPORT_SID_LAST) {
        x->err = BW_ETOOBIG;
        return;
    }
    printf_(x,
            "%s ip any any <> %s any (msg:\"botwatch controller (c2) %s score %d\"; "
            "classtype:trojan-activity; sid:%u; rev:1; metadata:created_by botwatch;%s%s%s)\n",
            x->o.suricata_drop ? "drop" : "alert", ip, ip, e->score, x->next_sid,
            x->o.lookup_url ? " reference:url," : "", x->o.lookup_url ? x->o.lookup_url : "",
            x->o.lookup_url ? ";" : "");
    x->next_sid++;
}

int bw_export_add(struct bw_export *x, const struct bw_index_entry *e)
{
    char *d;
    size_t n;

    if (x->err != BW_OK)
        return x->err;
    if (e->score < x->o.min_score || (x->o.cats != 0 && (e->cats & x->o.cats) == 0))
        return BW_OK;
    if (e->prefix.len > 128)
        return x->err = BW_EINVAL;
    switch (x->f) {
    case BW_EXPORT_TXT:
        d = make_room(x);
        n = bw_export_put_prefix(d, &e->prefix);
        d[n++] = '\n';
        x->len += n;
        break;
    case BW_EXPORT_CIDR:
    case BW_EXPORT_NFT:
    case BW_EXPORT_IPSET: {
        int rc = bw_cidr_add(&x->agg, &e->prefix);

        if (rc != BW_OK && x->err == BW_OK)
            x->err = rc;
        break;
    }
    case BW_EXPORT_CSV:
        d = make_room(x);
        n = bw_export_put_prefix(d, &e->prefix);
        d[n++] = ',';
        if (e->cats & (e->cats - 1)) { /* more than one category: quote the commas */
            d[n++] = '"';
            n += put_cats_csv(d + n, e->cats);
            d[n++] = '"';
        } else {
            n += put_cats_csv(d + n, e->cats);
        }
        d[n++] = ',';
        n += put_u64(d + n, e->score);
        d[n++] = '\n';
        x->len += n;
        break;
    case BW_EXPORT_JSON:
        add_json(x, e);
        break;
    case BW_EXPORT_RBLDNSD:
        if (!is_v4(&e->prefix))
            return BW_OK;
        add_rbldnsd(x, e);
        break;
    case BW_EXPORT_RBLDNSD6:
        if (is_v4(&e->prefix))
            return BW_OK;
        add_rbldnsd6(x, e);
        return x->err;
    case BW_EXPORT_RPZ:
        if ((e->cats & ((1u << BW_CAT_C2) | (1u << BW_CAT_MALWARE))) == 0)
            return BW_OK;
        add_rpz(x, e);
        break;
    case BW_EXPORT_SURICATA:
        if ((e->cats & (1u << BW_CAT_C2)) == 0)
            return BW_OK;
        add_suricata(x, e);
        break;
    default:
        return x->err = BW_EINVAL;
    }
    if (x->err == BW_OK)
        x->written++;
    return x->err;
}

uint64_t bw_export_written(const struct bw_export *x)
{
    return x->written;
}

uint64_t bw_export_skipped(const struct bw_export *x)
{
    return x->skipped;
}

int bw_export_finish(struct bw_export *x)
{
    int rc;

    if (x->err == BW_OK) {
        rc = bw_cidr_finish(&x->agg);
        if (rc != BW_OK)
            x->err = rc;
    }
    if (x->err == BW_OK)
        trailer(x);
    flush_buf(x);
    if (x->err == BW_OK && (fflush(x->out) != 0 || ferror(x->out)))
        x->err = BW_EIO;
    rc = x->err;
    bw_export_free(x);
    return rc;
}

void bw_export_free(struct bw_export *x)
{
    if (x == NULL)
        return;
    free(x->buf);
    free(x);
}
