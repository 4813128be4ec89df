/*
 * dnsbl/wire.c - the DNS protocol of the blocklist, by hand: one query packet in, one response
 * packet out (RFC 1035, RFC 5782 conventions, RFC 6891 EDNS0).
 * Invariants:
 *  - Every read of the query goes through struct rd, every write through struct wr; both check
 *    bounds and latch the first failure, so no path can run off either buffer.
 *  - Names in the query are expanded with at most MAX_POINTERS compression pointers, each
 *    pointing strictly backwards, and never longer than 255 bytes: loops cannot hang us.
 *  - The question is copied into the response only when it arrived uncompressed, so the echo is
 *    never longer than what the client sent; every owner name in our answers is a pointer into
 *    that echo (offset 12, or the apex inside it).
 *  - A response over the client's limit is cut back to header + question (+ OPT) with TC set.
 *  - No allocation, no globals, no I/O: the hot path of the server and the fuzz target.
 */
#include "dnsbl/dnsbl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum {
    HDR_LEN = 12,
    MAX_POINTERS = 16,
    MAX_LABELS = 128,
    T_A = 1,
    T_NS = 2,
    T_SOA = 6,
    T_TXT = 16,
    T_OPT = 41,
    T_IXFR = 251,
    T_AXFR = 252,
    T_ANY = 255,
    C_IN = 1,
    C_ANY = 255,
    RC_NOERROR = 0,
    RC_FORMERR = 1,
    RC_SERVFAIL = 2,
    RC_NXDOMAIN = 3,
    RC_NOTIMP = 4,
    RC_REFUSED = 5,
    RC_BADVERS = 16, /* extended: 1 in the OPT TTL, 0 in the header */
    F_QR = 0x8000,
    F_AA = 0x0400,
    F_TC = 0x0200,
    F_RD = 0x0100,
    F_CD = 0x0010,
};

void bw_dnsbl_config_default(struct bw_dnsbl_config *c)
{
    memset(c, 0, sizeof(*c));
    c->zone = BW_DNSBL_ZONE_DEFAULT;
    c->listen = BW_DNSBL_LISTEN_DEFAULT;
    c->url_base = BW_DNSBL_URL_DEFAULT;
    c->ttl_s = 300;
    c->neg_ttl_s = 60;
    c->rrl_rate = 20;
    c->rrl_burst = 40;
    c->rrl_slip = 2;
}

/* ---- names in presentation form, for the configuration ---------------------------------- */

static uint8_t lower(uint8_t ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch + 32) : ch;
}

/* "a.b.c" (trailing dot optional) -> lower-case wire form with the root label. Host-name
 * characters only: the zone is configuration, and odd bytes there are a mistake. */
static int text_to_wire(const char *s, uint8_t *out, size_t *out_len)
{
    size_t n = strlen(s), o = 0, start = 0;

    if (n > 0 && s[n - 1] == '.')
        n--;
    if (n == 0 || n > 253)
        return BW_EINVAL;
    while (start <= n) {
        size_t end = start;
        while (end < n && s[end] != '.')
            end++;
        size_t ll = end - start;
        if (ll == 0 || ll > 63)
            return BW_EINVAL;
        out[o++] = (uint8_t)ll;
        for (size_t i = start; i < end; i++) {
            uint8_t ch = lower((uint8_t)s[i]);
            if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
                return BW_EINVAL;
            out[o++] = ch;
        }
        start = end + 1;
    }
    out[o++] = 0;
    *out_len = o;
    return BW_OK;
}

/* Splits a configured name into "labels before the apex" when it ends with the apex, so the
 * answer can point at the apex already in the packet. */
static void split_in_zone(const struct bw_dnsbl_zone *z, uint8_t *name, size_t *len, bool *in_zone)
{
    *in_zone = false;
    if (*len <= z->apex_len || memcmp(name + *len - z->apex_len, z->apex, z->apex_len) != 0)
        return;
    /* the match must start on a label boundary */
    size_t p = 0, cut = *len - z->apex_len;
    while (p < cut)
        p += 1u + name[p];
    if (p != cut)
        return;
    *len = cut;
    *in_zone = true;
}

int bw_dnsbl_zone_init(struct bw_dnsbl_zone *z, const struct bw_dnsbl_config *c, struct bw_diag *d)
{
    char buf[300];
    const char *zone = c->zone != NULL ? c->zone : BW_DNSBL_ZONE_DEFAULT;

    memset(z, 0, sizeof(*z));
    if (text_to_wire(zone, z->apex, &z->apex_len) != BW_OK) {
        bw_diag_set(d, "zone name '%s' is not a valid DNS name", zone);
        return BW_EINVAL;
    }
    /* An address name is up to 64 bytes (32 nibbles); the whole name must stay within 255. */
    if (z->apex_len > 255 - 64) {
        bw_diag_set(d, "zone name '%s' is too long to hold IPv6 names under it", zone);
        return BW_EINVAL;
    }
    const char *ns = c->ns;
    if (ns == NULL) {
        snprintf(buf, sizeof(buf), "ns.%s", zone);
        ns = buf;
    }
    if (text_to_wire(ns, z->ns, &z->ns_len) != BW_OK) {
        bw_diag_set(d, "name server name '%s' is not a valid DNS name", ns);
        return BW_EINVAL;
    }
    split_in_zone(z, z->ns, &z->ns_len, &z->ns_in_zone);
    const char *mbox = c->hostmaster;
    if (mbox == NULL) {
        snprintf(buf, sizeof(buf), "hostmaster.%s", zone);
        mbox = buf;
    }
    if (text_to_wire(mbox, z->mbox, &z->mbox_len) != BW_OK) {
        bw_diag_set(d, "hostmaster name '%s' is not a valid DNS name", mbox);
        return BW_EINVAL;
    }
    split_in_zone(z, z->mbox, &z->mbox_len, &z->mbox_in_zone);
    const char *url = c->url_base != NULL ? c->url_base : "";
    size_t ul = strlen(url);
    if (ul >= sizeof(z->url_base) || !bw_utf8_valid(url, ul)) {
        bw_diag_set(d, "lookup URL base is longer than %zu bytes or not UTF-8",
                    sizeof(z->url_base) - 1);
        return BW_EINVAL;
    }
    memcpy(z->url_base, url, ul + 1);
    if (c->ttl_s > 0x7fffffffu || c->neg_ttl_s > 0x7fffffffu) {
        bw_diag_set(d, "TTL over 2^31-1 seconds");
        return BW_EINVAL;
    }
    z->ttl_s = c->ttl_s;
    z->neg_ttl_s = c->neg_ttl_s;
    z->serial = c->serial != 0 ? c->serial : (uint32_t)time(NULL);
    return BW_OK;
}

/* ---- reading the query ------------------------------------------------------------------- */

struct rd {
    const uint8_t *msg;
    size_t len, pos;
    bool err;
};

static uint16_t rd_u16(struct rd *r)
{
    if (r->err || r->len - r->pos < 2) {
        r->err = true;
        return 0;
    }
    r->pos += 2;
    return (uint16_t)(r->msg[r->pos - 2] << 8 | r->msg[r->pos - 1]);
}

static void rd_skip(struct rd *r, size_t n)
{
    if (r->err || r->len - r->pos < n) {
        r->err = true;
        return;
    }
    r->pos += n;
}

struct name {
    uint8_t wire[256];       /* as received (case kept), with the root label */
    size_t len;
    uint8_t off[MAX_LABELS]; /* offset of each label in wire */
    int n_labels;            /* not counting the root */
    bool compressed;
};

/* Reads a name at r->pos, following pointers; r->pos ends after the name as it sits in the
 * message. With out NULL the name is only skipped (still validated). */
static void rd_name(struct rd *r, struct name *out)
{
    size_t p = r->pos, end_pos = 0, total = 0;
    int pointers = 0, labels = 0;
    bool jumped = false;

    if (r->err)
        return;
    for (;;) {
        if (p >= r->len)
            goto bad;
        uint8_t b = r->msg[p];
        if ((b & 0xc0) == 0xc0) {
            if (p + 1 >= r->len || ++pointers > MAX_POINTERS)
                goto bad;
            size_t target = (size_t)(b & 0x3f) << 8 | r->msg[p + 1];
            /* strictly backwards: with the count limit, no loop can run long */
            if (target >= p)
                goto bad;
            if (!jumped)
                end_pos = p + 2;
            jumped = true;
            p = target;
            continue;
        }
        if ((b & 0xc0) != 0)
            goto bad; /* 0x40 and 0x80: extended label types, obsolete */
        if (p + 1 + b > r->len || total + 1 + b > 255)
            goto bad;
        if (out != NULL) {
            if (b > 0)
                out->off[labels] = (uint8_t)total;
            memcpy(out->wire + total, r->msg + p, 1u + b);
        }
        total += 1u + b;
        p += 1u + b;
        if (b == 0)
            break;
        if (++labels >= MAX_LABELS)
            goto bad;
    }
    r->pos = jumped ? end_pos : p;
    if (out != NULL) {
        out->len = total;
        out->n_labels = labels;
        out->compressed = jumped;
    }
    return;
bad:
    r->err = true;
}

/* ---- addresses from names ------------------------------------------------------------------ */

static int hexval(uint8_t ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = lower(ch);
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

int bw_dnsbl_name_addr(const uint8_t *labels, size_t len, int n_labels, struct bw_addr *out)
{
    size_t p = 0;

    memset(out, 0, sizeof(*out));
    if (n_labels == 4) {
        /* d.c.b.a: decimal 0..255 without leading zeros (the form every client writes) */
        for (int i = 0; i < 4; i++) {
            if (p >= len)
                return BW_EMALFORMED;
            size_t ll = labels[p];
            if (ll == 0 || ll > 3 || p + 1 + ll > len)
                return BW_EMALFORMED;
            unsigned v = 0;
            for (size_t k = 0; k < ll; k++) {
                uint8_t ch = labels[p + 1 + k];
                if (ch < '0' || ch > '9' || (k == 0 && ch == '0' && ll > 1))
                    return BW_EMALFORMED;
                v = v * 10 + (unsigned)(ch - '0');
            }
            if (v > 255)
                return BW_EMALFORMED;
            out->b[15 - i] = (uint8_t)v;
            p += 1 + ll;
        }
        out->b[10] = 0xff;
        out->b[11] = 0xff;
        return p == len ? BW_OK : BW_EMALFORMED;
    }
    if (n_labels == 32) {
        if (len != 64)
            return BW_EMALFORMED;
        for (int i = 0; i < 32; i++) {
            int v = labels[2 * i] == 1 ? hexval(labels[2 * i + 1]) : -1;
            if (v < 0)
                return BW_EMALFORMED;
            /* the first label is the lowest nibble of the address */
            int byte = 15 - i / 2;
            if (i % 2 == 0)
                out->b[byte] = (uint8_t)v;
            else
                out->b[byte] |= (uint8_t)(v << 4);
        }
        return BW_OK;
    }
    return BW_EMALFORMED;
}

/* ---- writing the response ----------------------------------------------------------------- */

struct wr {
    uint8_t *p;
    size_t len, cap;
    bool err;
};

static void wr_bytes(struct wr *w, const void *src, size_t n)
{
    if (w->err || w->cap - w->len < n) {
        w->err = true;
        return;
    }
    memcpy(w->p + w->len, src, n);
    w->len += n;
}

static void wr_u16(struct wr *w, unsigned v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    wr_bytes(w, b, 2);
}

static void wr_u32(struct wr *w, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    wr_bytes(w, b, 4);
}

static void put_u16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Owner name, type, class IN, TTL; the caller writes RDLENGTH and RDATA. */
static void wr_rr_head(struct wr *w, unsigned owner_ptr, unsigned type, uint32_t ttl)
{
    wr_u16(w, 0xc000u | owner_ptr);
    wr_u16(w, type);
    wr_u16(w, C_IN);
    wr_u32(w, ttl);
}

static void wr_name_in_zone(struct wr *w, const uint8_t *name, size_t len, bool in_zone,
                            unsigned apex_ptr)
{
    wr_bytes(w, name, len);
    if (in_zone)
        wr_u16(w, 0xc000u | apex_ptr);
}

static void wr_soa(struct wr *w, const struct bw_dnsbl_zone *z, unsigned apex_ptr, uint32_t ttl)
{
    wr_rr_head(w, apex_ptr, T_SOA, ttl);
    size_t rdlen_at = w->len;
    wr_u16(w, 0);
    size_t start = w->len;
    wr_name_in_zone(w, z->ns, z->ns_len, z->ns_in_zone, apex_ptr);
    wr_name_in_zone(w, z->mbox, z->mbox_len, z->mbox_in_zone, apex_ptr);
    wr_u32(w, z->serial);
    wr_u32(w, 3600);    /* refresh */
    wr_u32(w, 600);     /* retry */
    wr_u32(w, 604800);  /* expire */
    wr_u32(w, z->neg_ttl_s);
    if (!w->err)
        put_u16(w->p + rdlen_at, (unsigned)(w->len - start));
}

static void wr_ns(struct wr *w, const struct bw_dnsbl_zone *z, unsigned apex_ptr)
{
    wr_rr_head(w, apex_ptr, T_NS, z->ttl_s);
    wr_u16(w, (unsigned)(z->ns_len + (z->ns_in_zone ? 2 : 0)));
    wr_name_in_zone(w, z->ns, z->ns_len, z->ns_in_zone, apex_ptr);
}

static void wr_a(struct wr *w, uint32_t ttl, uint32_t a)
{
    wr_rr_head(w, HDR_LEN, T_A, ttl);
    wr_u16(w, 4);
    wr_u32(w, a);
}

/* One TXT string: the reason and where to read more. */
static void wr_txt(struct wr *w, const struct bw_dnsbl_zone *z, const struct bw_addr *a,
                   bw_catmask cats, int score, bool test_point)
{
    char text[512], cat_text[160], ip[BW_ADDR_TEXT_MAX];
    int n;

    bw_addr_format(a, ip);
    if (test_point) {
        n = snprintf(text, sizeof(text), "listed: RFC 5782 test point; %s%s", z->url_base, ip);
    } else {
        bw_catmask_format(cats, cat_text, sizeof(cat_text));
        n = snprintf(text, sizeof(text), "listed: %s; score %d; %s%s",
                     cat_text[0] != '\0' ? cat_text : "listed", score, z->url_base, ip);
    }
    size_t len = n < 0 ? 0 : (size_t)n;
    if (len > 255)
        len = bw_utf8_truncate(text, len, 255);
    wr_rr_head(w, HDR_LEN, T_TXT, z->ttl_s);
    wr_u16(w, (unsigned)(len + 1));
    uint8_t l8 = (uint8_t)len;
    wr_bytes(w, &l8, 1);
    wr_bytes(w, text, len);
}

static void wr_opt(struct wr *w, unsigned ext_rcode)
{
    uint8_t root = 0;
    wr_bytes(w, &root, 1);
    wr_u16(w, T_OPT);
    wr_u16(w, BW_DNSBL_UDP_MAX);
    wr_u32(w, (uint32_t)ext_rcode << 24); /* version 0, no DO: we sign nothing */
    wr_u16(w, 0);
}

/* A bare error: header only, no question (so never longer than the query's header). */
static size_t error_only(const uint8_t *q, uint8_t *out, size_t out_cap, unsigned rcode)
{
    if (out_cap < HDR_LEN)
        return 0;
    memset(out, 0, HDR_LEN);
    out[0] = q[0];
    out[1] = q[1];
    unsigned flags = F_QR | (unsigned)(q[2] << 8 & 0x7800) | (q[2] << 8 & F_RD) | rcode;
    put_u16(out + 2, flags);
    return HDR_LEN;
}

size_t bw_dnsbl_truncate(uint8_t *resp, size_t resp_len)
{
    struct rd r = { .msg = resp, .len = resp_len, .pos = HDR_LEN };
    unsigned qd, ar;
    size_t q_end, opt_at = 0;

    if (resp_len < HDR_LEN)
        return 0;
    qd = (unsigned)(resp[4] << 8 | resp[5]);
    ar = (unsigned)(resp[10] << 8 | resp[11]);
    if (qd == 1) {
        rd_name(&r, NULL);
        rd_skip(&r, 4);
    }
    if (r.err)
        return 0;
    q_end = r.pos;
    /* our OPT, when present, is the last record and 11 bytes long */
    if (ar > 0 && resp_len >= q_end + 11 && resp[resp_len - 11] == 0 &&
        resp[resp_len - 10] == 0 && resp[resp_len - 9] == T_OPT)
        opt_at = resp_len - 11;
    if (opt_at != 0 && opt_at != q_end)
        memmove(resp + q_end, resp + opt_at, 11);
    resp[2] |= F_TC >> 8;
    put_u16(resp + 6, 0);
    put_u16(resp + 8, 0);
    put_u16(resp + 10, opt_at != 0 ? 1 : 0);
    return q_end + (opt_at != 0 ? 11 : 0);
}

/* ---- the answer ----------------------------------------------------------------------------- */

static bool labels_eq_ci(const uint8_t *a, const uint8_t *lower_b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (lower(a[i]) != lower_b[i])
            return false;
    }
    return true;
}

static bool is_v4_point(const struct bw_addr *a, uint8_t last)
{
    static const uint8_t p[15] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0 };
    return memcmp(a->b, p, 15) == 0 && a->b[15] == last;
}

/* Where the zone starts in the question name: true when the name is the apex or under it, with
 * the number and bytes of the labels before it. */
static bool find_zone(const struct bw_dnsbl_zone *z, const struct name *qn, int *pre_labels,
                      size_t *pre_len)
{
    if (qn->len < z->apex_len)
        return false;
    size_t cut = qn->len - z->apex_len;
    for (int i = 0; i <= qn->n_labels; i++) {
        size_t off = i < qn->n_labels ? qn->off[i] : qn->len - 1;
        if (off == cut) {
            *pre_labels = i;
            *pre_len = cut;
            return labels_eq_ci(qn->wire + cut, z->apex, z->apex_len);
        }
        if (off > cut)
            break;
    }
    return false;
}

int bw_dnsbl_query_addr(const struct bw_dnsbl_zone *z, const uint8_t *q, size_t q_len,
                        struct bw_addr *out)
{
    struct rd r = { .msg = q, .len = q_len, .pos = HDR_LEN };
    struct name qn;
    uint8_t low[256];
    int pre_labels = 0;
    size_t pre_len = 0;

    if (q_len < HDR_LEN || (q[2] & 0xf8) != 0 || q[4] != 0 || q[5] != 1)
        return BW_EMALFORMED;
    rd_name(&r, &qn);
    rd_skip(&r, 4); /* type and class */
    if (r.err || qn.compressed || !find_zone(z, &qn, &pre_labels, &pre_len) || pre_labels == 0)
        return BW_EMALFORMED;
    for (size_t i = 0; i < pre_len; i++)
        low[i] = lower(qn.wire[i]);
    return bw_dnsbl_name_addr(low, pre_len, pre_labels, out);
}

size_t bw_dnsbl_answer(const struct bw_dnsbl_zone *z, bw_dnsbl_lookup_fn lookup, void *ctx,
                       const uint8_t *q, size_t q_len, uint8_t *out, size_t out_cap,
                       enum bw_dnsbl_transport tr)
{
    struct rd r = { .msg = q, .len = q_len, .pos = HDR_LEN };
    struct name qn;
    unsigned qflags, qtype, qclass, an = 0, ns = 0, rcode = RC_NOERROR, ext_rcode = 0;
    size_t limit, q_end;
    bool edns = false;
    unsigned edns_size = 512;

    /* Too short to carry an ID, or a response (QR): answering responses invites loops. */
    if (q_len < HDR_LEN || (q[2] & 0x80) != 0)
        return 0;
    qflags = (unsigned)(q[2] << 8 | q[3]);
    if ((qflags & 0x7800) != 0)
        return error_only(q, out, out_cap, RC_NOTIMP); /* not QUERY: NOTIFY, UPDATE, ... */
    unsigned qdcount = (unsigned)(q[4] << 8 | q[5]);
    unsigned ancount = (unsigned)(q[6] << 8 | q[7]);
    unsigned nscount = (unsigned)(q[8] << 8 | q[9]);
    unsigned arcount = (unsigned)(q[10] << 8 | q[11]);
    if (qdcount != 1 || ancount != 0 || nscount != 0 || arcount > 8)
        return error_only(q, out, out_cap, RC_FORMERR);
    rd_name(&r, &qn);
    qtype = rd_u16(&r);
    qclass = rd_u16(&r);
    if (r.err || qn.compressed)
        return error_only(q, out, out_cap, RC_FORMERR);
    q_end = r.pos;
    /* The additional section: at most one OPT (RFC 6891 6.1.1), anything else is skipped. */
    for (unsigned i = 0; i < arcount; i++) {
        struct name rn;
        rd_name(&r, &rn);
        unsigned type = rd_u16(&r);
        unsigned klass = rd_u16(&r);
        unsigned ttl_hi = rd_u16(&r); /* extended RCODE, version */
        rd_skip(&r, 2);               /* DO and Z flags */
        unsigned rdlen = rd_u16(&r);
        rd_skip(&r, rdlen);
        if (r.err)
            return error_only(q, out, out_cap, RC_FORMERR);
        if (type == T_OPT) {
            if (edns || rn.len != 1)
                return error_only(q, out, out_cap, RC_FORMERR);
            edns = true;
            edns_size = klass < 512 ? 512 : klass;
            if ((ttl_hi & 0xff) != 0)
                ext_rcode = RC_BADVERS; /* the version byte: we speak EDNS version 0 */
        }
    }
    if (tr == BW_DNSBL_TCP)
        limit = 65535;
    else
        limit = edns ? (edns_size > BW_DNSBL_UDP_MAX ? BW_DNSBL_UDP_MAX : edns_size) : 512;
    if (limit > out_cap)
        limit = out_cap;

    struct wr w = { .p = out, .cap = limit };
    wr_bytes(&w, q, 2); /* ID */
    wr_u16(&w, 0);      /* flags, filled below */
    wr_u16(&w, 1);
    wr_u16(&w, 0);
    wr_u16(&w, 0);
    wr_u16(&w, 0);
    wr_bytes(&w, q + HDR_LEN, q_end - HDR_LEN); /* the question, verbatim */
    if (w.err)
        return 0;

    /* Where the zone starts inside the question name, and what is before it. */
    int pre_labels = 0;
    size_t pre_len = 0;
    bool in_zone = find_zone(z, &qn, &pre_labels, &pre_len);
    unsigned apex_ptr = (unsigned)(HDR_LEN + pre_len);

    if (ext_rcode != 0) {
        rcode = ext_rcode;
    } else if ((qclass != C_IN && qclass != C_ANY) || !in_zone) {
        rcode = RC_REFUSED;
    } else if (qtype == T_OPT || (qtype >= 128 && qtype <= 250)) {
        rcode = RC_FORMERR; /* meta types are not questions (RFC 6895 3.1) */
    } else if (qtype == T_AXFR || qtype == T_IXFR) {
        rcode = RC_REFUSED; /* no zone transfers: the list is published as snapshots */
    } else if (pre_labels == 0) {
        /* the apex */
        if (qtype == T_SOA || qtype == T_ANY) {
            wr_soa(&w, z, apex_ptr, z->ttl_s);
            an++;
        }
        if (qtype == T_NS || qtype == T_ANY) {
            wr_ns(&w, z, apex_ptr);
            an++;
        }
        if (an == 0) {
            wr_soa(&w, z, apex_ptr, z->neg_ttl_s);
            ns++;
        }
    } else {
        struct bw_addr a;
        uint8_t low[256];
        bw_catmask cats = 0;
        int score = 0;
        bool listed = false, test_point = false;

        for (size_t i = 0; i < pre_len; i++)
            low[i] = lower(qn.wire[i]);
        if (bw_dnsbl_name_addr(low, pre_len, pre_labels, &a) == BW_OK) {
            if (is_v4_point(&a, 2)) {
                listed = true;
                test_point = true;
            } else if (!is_v4_point(&a, 1)) {
                listed = lookup != NULL && lookup(ctx, &a, &cats, &score);
            }
        }
        if (!listed) {
            rcode = RC_NXDOMAIN;
            wr_soa(&w, z, apex_ptr, z->neg_ttl_s);
            ns++;
        } else {
            if (qtype == T_A || qtype == T_ANY) {
                wr_a(&w, z->ttl_s, BW_DNSBL_A_LISTED);
                an++;
                for (unsigned c = 0; c < BW_CAT_COUNT && !test_point; c++) {
                    if (cats & (1u << c)) {
                        wr_a(&w, z->ttl_s, BW_DNSBL_A_CATEGORY + c + 1);
                        an++;
                    }
                }
            }
            if (qtype == T_TXT || qtype == T_ANY) {
                wr_txt(&w, z, &a, cats, score, test_point);
                an++;
            }
            if (an == 0) {
                wr_soa(&w, z, apex_ptr, z->neg_ttl_s);
                ns++;
            }
        }
    }

    unsigned flags = F_QR | (qflags & (F_RD | F_CD)) | (rcode & 0xf);
    if (in_zone && rcode != RC_REFUSED)
        flags |= F_AA;
    if (rcode == RC_REFUSED || rcode == RC_FORMERR || ext_rcode != 0) {
        /* no records for those: cut back to the question */
        w.err = false;
        w.len = q_end;
        an = 0;
        ns = 0;
    }
    if (edns)
        wr_opt(&w, ext_rcode >> 4);
    if (w.err) {
        /* Over the limit: header, question and OPT, with TC so the client retries on TCP. */
        w.err = false;
        w.len = q_end;
        an = 0;
        ns = 0;
        flags |= F_TC;
        if (edns)
            wr_opt(&w, ext_rcode >> 4);
        if (w.err)
            return 0;
    }
    put_u16(out + 2, flags);
    put_u16(out + 6, an);
    put_u16(out + 8, ns);
    put_u16(out + 10, edns ? 1 : 0);
    return w.len;
}
