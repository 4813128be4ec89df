/*
 * parsers/netfilter.c - iptables/nftables kernel LOG lines (IN= OUT= SRC= DST= PROTO= SPT=
 * DPT=), as syslog (RFC 3164 or 5424), rsyslog ISO time or Proxmox VE firewall logs: each logged inbound packet
 * is a scan report about its source. docs/formats.md (section netfilter) documents the mapping.
 * Invariants:
 *  - The key=value part must begin with IN= (or OUT= for Proxmox host-out lines); packets
 *    without an input interface (our own output) and packets a rule logged as accepted or
 *    allowed give no report.
 *  - Syslog time carries no year: the most recent year that does not put the line more than a
 *    day after now, unless opts.year names it. A line without a time is dated now.
 *  - "message repeated N times: [ ... ]" stands for N reports (seq 0..N-1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/parsers_int.h"

#define SEEN_MAX 64      /* distinct events remembered within one second, for seq */
#define REPEAT_MAX 10000 /* the most reports one "message repeated" line stands for */
#define NOTE_MAX 64

/* An event already reported in the current second: repeats get seq 1, 2, ... */
struct seen {
    struct bw_addr addr;
    uint16_t port;
    uint8_t proto;
    uint32_t n; /* repeats so far */
};

struct netfilter {
    struct bw_parser base;
    int64_t seen_t; /* the second seen[] is about */
    size_t n_seen, next_seen;
    struct seen seen[SEEN_MAX];
    struct bw_report r;
    char evidence[BW_EVIDENCE_MAX + 1];
    char target[BW_ADDR_TEXT_MAX + 8];
};

/* Ports whose scanning says what is looking: noted at the head of the evidence (TCP). */
static const struct {
    uint16_t port;
    const char *note;
} port_notes[] = {
    { 23, "telnet port 23 (Mirai-style IoT scanning)" },
    { 2323, "telnet port 2323 (Mirai-style IoT scanning)" },
    { 22, "SSH port 22" },
    { 2222, "SSH port 2222" },
    { 5555, "ADB port 5555 (Android debug bridge)" },
    { 7547, "TR-069 port 7547 (router management)" },
    { 37215, "Huawei HG532 port 37215" },
    { 52869, "Realtek UPnP port 52869" },
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The value of n (1-9) digits, or -1. */
static int num(const char *s, size_t n)
{
    int v = 0;

    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* The calendar year of Unix time t. */
static int64_t year_of(int64_t t)
{
    int64_t z = (t >= 0 ? t : t - 86399) / 86400 + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;

    return yoe + era * 400 + (mp >= 10);
}

static int month_index(const char *s)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

    for (int i = 0; i < 12; i++) {
        if (memcmp(names + 3 * i, s, 3) == 0)
            return i + 1;
    }
    return 0;
}

/* "Jun  8 14:34:33" at s (15 bytes): the time in the year opts.year, or else the most recent
 * year that does not put it more than a day after now. Returns BW_OK or BW_EMALFORMED. */
static int syslog_time(const struct bw_parser *p, const char *s, int64_t *out)
{
    int mon = month_index(s), d, hh, mm, ss;
    int64_t secs;

    if (mon == 0 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' || s[12] != ':')
        return BW_EMALFORMED;
    d = s[4] == ' ' ? num(s + 5, 1) : num(s + 4, 2);
    hh = num(s + 7, 2);
    mm = num(s + 10, 2);
    ss = num(s + 13, 2);
    if (d < 1 || d > 31 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
        return BW_EMALFORMED;
    secs = hh * 3600 + mm * 60 + (ss == 60 ? 59 : ss);
    if (p->opts.year != 0) {
        if (d > bw_days_in_month(p->opts.year, mon))
            return BW_EMALFORMED;
        *out = bw_days_from_civil(p->opts.year, mon, d) * 86400 + secs;
        return BW_OK;
    }
    /* the most recent year with this date (29 February: a leap year) not a day ahead of now */
    for (int64_t y = year_of(p->now_s) + 1; y > year_of(p->now_s) - 8; y--) {
        int64_t t;

        if (d > bw_days_in_month(y, mon))
            continue;
        t = bw_days_from_civil(y, mon, d) * 86400 + secs;
        if (t <= p->now_s + 86400) {
            *out = t;
            return BW_OK;
        }
    }
    return BW_EMALFORMED;
}

/* "20/Jun/2022:13:09:14 +0200" (Proxmox VE) at s, 26 bytes. */
static int clf_time(const char *s, int64_t *out)
{
    int d, mon, y, hh, mm, ss, zh, zm, off;

    if (s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':' ||
        s[20] != ' ' || (s[21] != '+' && s[21] != '-'))
        return BW_EMALFORMED;
    d = num(s, 2);
    mon = month_index(s + 3);
    y = num(s + 7, 4);
    hh = num(s + 12, 2);
    mm = num(s + 15, 2);
    ss = num(s + 18, 2);
    zh = num(s + 22, 2);
    zm = num(s + 24, 2);
    if (mon == 0 || y < 0 || d < 1 || d > bw_days_in_month(y, mon) || hh < 0 || hh > 23 ||
        mm < 0 || mm > 59 || ss < 0 || ss > 60 || zh < 0 || zh > 23 || zm < 0 || zm > 59)
        return BW_EMALFORMED;
    off = (zh * 60 + zm) * 60 * (s[21] == '-' ? -1 : 1);
    *out = bw_days_from_civil(y, mon, d) * 86400 + hh * 3600 + mm * 60 + (ss == 60 ? 59 : ss) -
           off;
    return BW_OK;
}

/* The value of KEY= among the key=value words of kv (key includes its '='); false if absent.
 * Only the first occurrence counts (ip6tables writes LEN= twice). */
static bool field(struct bw_slice kv, const char *key, struct bw_slice *val)
{
    size_t n = strlen(key);

    for (size_t i = 0; i + n <= kv.len;) {
        size_t e = i;

        while (e < kv.len && kv.ptr[e] != ' ')
            e++;
        if (e - i >= n && memcmp(kv.ptr + i, key, n) == 0) {
            *val = (struct bw_slice){ kv.ptr + i + n, e - i - n };
            return true;
        }
        i = e + 1;
    }
    return false;
}

/* The start of the first word that holds a '=' (the key=value part), or len. */
static size_t kv_start(const char *s, size_t len)
{
    size_t word = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == ' ')
            word = i + 1;
        else if (s[i] == '=')
            return word;
    }
    return len;
}

static bool contains_ci(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; i + n <= len; i++) {
        if (strncasecmp(s + i, needle, n) == 0)
            return true;
    }
    return false;
}

/* Where the rule's log prefix may start: after "kernel:" (RFC 3164) or the seven header
 * words of RFC 5424 ("<4>1 time host kernel - - -"), then an "[uptime]"; else at 0 (Proxmox
 * lines, whose chain and action words come first). Host names stay out of it. */
static size_t prefix_start(const char *s, size_t k)
{
    const char *kern = memmem(s, k, "kernel:", 7);
    size_t i = kern != NULL ? (size_t)(kern - s) + 7 : 0, e;

    if (kern == NULL && k > 0 && s[0] == '<') {
        for (int words = 0; words < 7 && i < k; words++) {
            while (i < k && s[i] != ' ')
                i++;
            while (i < k && s[i] == ' ')
                i++;
        }
    }

    while (i < k && s[i] == ' ')
        i++;
    if (i < k && s[i] == '[') {
        for (e = i + 1; e < k && (s[e] == ' ' || s[e] == '.' || is_digit(s[e])); e++)
            ;
        if (e < k && s[e] == ']')
            i = e + 1;
    }
    return i;
}

/* The seq of r: how many identical events (same second, address, port, protocol) came
 * before it. Lines are mostly in time order, so only the current second is remembered. */
static uint32_t next_seq(struct netfilter *nf, const struct bw_report *r)
{
    struct seen *s;

    if (nf->n_seen == 0 || nf->seen_t != r->time_s) {
        nf->seen_t = r->time_s;
        nf->n_seen = 0;
        nf->next_seen = 0;
    }
    for (size_t i = 0; i < nf->n_seen; i++) {
        s = &nf->seen[i];
        if (s->port == r->port && s->proto == r->proto && bw_addr_cmp(&s->addr, &r->addr) == 0)
            return ++s->n;
    }
    if (nf->n_seen < SEEN_MAX)
        s = &nf->seen[nf->n_seen++];
    else
        s = &nf->seen[nf->next_seen++ % SEEN_MAX];
    *s = (struct seen){ .addr = r->addr, .port = r->port, .proto = r->proto };
    return 0;
}

/* The time at the head of the line (syslog, ISO 8601) or in a Proxmox prefix before the
 * key=value part at k, into *t; BW_ENOENT when the line carries none, BW_EMALFORMED when it
 * carries a bad one. */
static int line_time(const struct bw_parser *p, const char *s, size_t len, size_t k,
                     int64_t *t)
{
    if (len > 0 && s[0] == '<') { /* RFC 5424: "<134>1 2025-11-06T11:32:42.86+00:00 host ..." */
        size_t i = 1;

        while (i < len && i < 5 && is_digit(s[i]))
            i++;
        if (i < len && s[i] == '>' && i + 3 < len && s[i + 1] == '1' && s[i + 2] == ' ') {
            s += i + 3;
            len -= i + 3;
            k = k > i + 3 ? k - (i + 3) : 0;
        }
    }
    if (len >= 15 && month_index(s) != 0 && s[3] == ' ')
        return syslog_time(p, s, t);
    if (len >= 20 && is_digit(s[0]) && s[4] == '-' && s[7] == '-' &&
        (s[10] == 'T' || s[10] == 't')) {
        size_t e = 0;

        while (e < len && s[e] != ' ')
            e++;
        return bw_time_parse(t, s, e);
    }
    for (size_t i = 0; i + 26 <= k; i++) { /* Proxmox: "0 3 CHAIN 20/Jun/2022:13:09:14 +0200" */
        if ((i == 0 || s[i - 1] == ' ') && is_digit(s[i]) && s[i + 2] == '/')
            return clf_time(s + i, t);
    }
    return BW_ENOENT;
}

static int parse_proto(struct bw_slice v, uint8_t *out)
{
    int n;

    if (v.len == 3 && memcmp(v.ptr, "TCP", 3) == 0)
        *out = BW_PROTO_TCP;
    else if (v.len == 3 && memcmp(v.ptr, "UDP", 3) == 0)
        *out = BW_PROTO_UDP;
    else if (v.len == 4 && memcmp(v.ptr, "ICMP", 4) == 0)
        *out = BW_PROTO_ICMP;
    else if (v.len == 6 && memcmp(v.ptr, "ICMPv6", 6) == 0)
        *out = 58;
    else if (v.len == 7 && memcmp(v.ptr, "UDPLITE", 7) == 0)
        *out = 136;
    else if (v.len == 4 && memcmp(v.ptr, "SCTP", 4) == 0)
        *out = 132;
    else if ((n = num(v.ptr, v.len)) >= 0 && n <= 255)
        *out = (uint8_t)n;
    else
        return BW_EMALFORMED;
    return BW_OK;
}

/* Evidence: a note on well-known IoT ports, then the line, within BW_EVIDENCE_MAX bytes. */
static void set_evidence(struct netfilter *nf, const char *line, size_t len)
{
    struct bw_report *r = &nf->r;
    size_t o = 0, k;

    for (size_t i = 0; i < BW_ARRAY_LEN(port_notes); i++) {
        if (r->proto == BW_PROTO_TCP && port_notes[i].port == r->port) {
            o = (size_t)snprintf(nf->evidence, NOTE_MAX, "%s: ", port_notes[i].note);
            if (o >= NOTE_MAX)
                o = NOTE_MAX - 1;
        }
    }
    k = bw_utf8_truncate(line, len, BW_EVIDENCE_MAX - o);
    memcpy(nf->evidence + o, line, k);
    nf->evidence[o + k] = '\0';
    r->evidence = nf->evidence;
}

/* The attacked address and port ("203.0.113.9:23", "[2001:db8::1]:22") from DST= and DPT=. */
static void set_target(struct netfilter *nf, struct bw_slice kv)
{
    struct bw_report *r = &nf->r;
    char text[BW_ADDR_TEXT_MAX];
    struct bw_slice dst;
    struct bw_addr da;

    if (!field(kv, "DST=", &dst) || bw_addr_parse(&da, dst.ptr, dst.len) != BW_OK)
        return;
    bw_addr_format(&da, text);
    if (r->port == 0)
        snprintf(nf->target, sizeof(nf->target), "%s", text);
    else if (bw_addr_is_v4(&da))
        snprintf(nf->target, sizeof(nf->target), "%s:%u", text, r->port);
    else
        snprintf(nf->target, sizeof(nf->target), "[%s]:%u", text, r->port);
    r->target = nf->target;
}

static int netfilter_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                          bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct netfilter *nf = (struct netfilter *)p;
    struct bw_report *r = &nf->r;
    struct bw_slice kv, in, src, proto, dpt;
    const char *rep;
    size_t k, pre;
    int64_t t = p->now_s;
    int rc, v, repeats = 1;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > BW_LINE_MAX)
        return bw_parser__fail(err, BW_REJECT_LINE_TOO_LONG, "line over %d bytes", BW_LINE_MAX);
    if (!bw_utf8_valid(line, len))
        return bw_parser__fail(err, BW_REJECT_INVALID_UTF8, "the line is not valid UTF-8");
    k = kv_start(line, len);
    if (k >= len)
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "no IN=... SRC=... fields");
    kv = (struct bw_slice){ line + k, len - k };
    if (!(kv.len >= 3 && memcmp(kv.ptr, "IN=", 3) == 0) &&
        !(kv.len >= 4 && memcmp(kv.ptr, "OUT=", 4) == 0))
        return bw_parser__fail(err, BW_REJECT_MALFORMED,
                               "the fields do not begin with IN= but \"%.*s\"",
                               (int)(kv.len > 16 ? 16 : kv.len), kv.ptr);
    rep = memmem(line, k, "message repeated ", 17);
    if (rep != NULL) { /* "message repeated N times: [ IN=... ]" */
        size_t i = (size_t)(rep - line) + 17, d = i;

        while (d < k && is_digit(line[d]) && d - i < 9)
            d++;
        repeats = num(line + i, d - i);
        if (repeats < 1 || k - d < 6 || memcmp(line + d, " times", 6) != 0)
            return bw_parser__fail(err, BW_REJECT_MALFORMED,
                                   "\"message repeated\" without a count");
        if (repeats > REPEAT_MAX)
            repeats = REPEAT_MAX;
        while (kv.len > 0 && (kv.ptr[kv.len - 1] == ']' || kv.ptr[kv.len - 1] == ' '))
            kv.len--;
    }
    rc = line_time(p, line, len, k, &t);
    if (rc == BW_EMALFORMED)
        return bw_parser__fail(err, BW_REJECT_INVALID_TIME,
                               "time \"%.*s\" is not a syslog, ISO 8601 or "
                               "Proxmox time",
                               (int)(k > 26 ? 26 : k), line);
    if (!field(kv, "SRC=", &src) || src.len == 0)
        return bw_parser__fail(err, BW_REJECT_MISSING_IP, "no SRC= field");
    memset(r, 0, sizeof(*r));
    if (bw_addr_parse(&r->addr, src.ptr, src.len) != BW_OK)
        return bw_parser__fail(err, BW_REJECT_INVALID_IP, "SRC=%.*s is not an IP address",
                               (int)(src.len > 48 ? 48 : src.len), src.ptr);
    if (!field(kv, "PROTO=", &proto))
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "no PROTO= field");
    if (parse_proto(proto, &r->proto) != BW_OK)
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "PROTO=%.*s is not a protocol",
                               (int)(proto.len > 16 ? 16 : proto.len), proto.ptr);
    if (field(kv, "DPT=", &dpt)) {
        v = num(dpt.ptr, dpt.len);
        if (v < 0 || v > 65535)
            return bw_parser__fail(err, BW_REJECT_INVALID_PORT, "DPT=%.*s is not 0-65535",
                                   (int)(dpt.len > 16 ? 16 : dpt.len), dpt.ptr);
        r->port = (uint16_t)v;
    }
    /* what the rule did with it, and which way it went */
    pre = prefix_start(line, k);
    if (contains_ci(line + pre, k - pre, "accept") || contains_ci(line + pre, k - pre, "allow"))
        return 0;
    if (!field(kv, "IN=", &in) || in.len == 0)
        return 0;

    r->time_s = t;
    r->cats = 1u << BW_CAT_SCAN;
    set_target(nf, kv);
    set_evidence(nf, line, len);
    r->source = p->format;
    r->line = lineno;
    for (int i = 0; i < repeats; i++) {
        r->seq = next_seq(nf, r);
        rc = emit(ctx, r);
        if (rc != 0)
            return rc;
    }
    return repeats;
}

struct bw_parser *bw_parser__netfilter_new(const struct bw_parser_opts *o)
{
    struct netfilter *nf = bw_xcalloc(1, sizeof(*nf));

    bw_parser__init(&nf->base, "netfilter", o);
    nf->base.line = netfilter_line;
    return &nf->base;
}

int bw_parser__netfilter_detect(const char *head, size_t len)
{
    size_t i = 0, eol;
    struct bw_slice kv, v;

    if (len >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && (head[i] == '\n' || head[i] == '\r'))
        i++;
    for (eol = i; eol < len && head[eol] != '\n'; eol++)
        ;
    kv.ptr = head + i + kv_start(head + i, eol - i);
    kv.len = (size_t)(head + eol - kv.ptr);
    if (!(kv.len >= 3 && memcmp(kv.ptr, "IN=", 3) == 0) &&
        !(kv.len >= 4 && memcmp(kv.ptr, "OUT=", 4) == 0))
        return 0;
    return field(kv, "SRC=", &v) && field(kv, "PROTO=", &v) ? 80 : 0;
}
