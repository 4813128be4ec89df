/*
 * parsers/suricata.c - Suricata EVE JSON (eve.json, one record a line). An alert becomes a
 * report for its source address, its category taken from the alert's classification and the
 * signature's ruleset word (mapping tables below, documented in docs/formats.md "suricata");
 * malware alerts become bot or c2 by direction. Every other event_type gives no report.
 * Invariants:
 *  - Lines are read with the shared JSON scanner (json.c), which validates the whole line and
 *    keeps only the keys asked for (top level, alert.* and flow.src_ip).
 *  - Nothing is allocated per line; strings a report points to live in the parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parsers/parsers_int.h"

static bool is_digit(unsigned c)
{
    return c >= '0' && c <= '9';
}

/* ---- Suricata EVE ---- */

enum field {
    F_EVENT_TYPE,
    F_SRC_IP,
    F_SRC_PORT,
    F_DEST_IP,
    F_DEST_PORT,
    F_PROTO,
    F_TIMESTAMP,
    F_DIRECTION,
    F_ALERT,
    F_FLOW,
    F_SIGNATURE, /* alert.* */
    F_CATEGORY,
    F_SID,
    F_GID,
    F_REV,
    F_SEVERITY,
    F_FLOW_SRC_IP, /* flow.src_ip: the flow's initiator */
    F_COUNT
};

#define K(name, f, sub) { name, sizeof(name) - 1, f, sub }
static const struct jkey alert_keys[] = {
    K("signature", F_SIGNATURE, NULL), K("category", F_CATEGORY, NULL),
    K("signature_id", F_SID, NULL), K("gid", F_GID, NULL), K("rev", F_REV, NULL),
    K("severity", F_SEVERITY, NULL), { NULL, 0, 0, NULL },
};
static const struct jkey flow_keys[] = {
    K("src_ip", F_FLOW_SRC_IP, NULL), { NULL, 0, 0, NULL },
};
static const struct jkey keys[] = {
    K("event_type", F_EVENT_TYPE, NULL), K("src_ip", F_SRC_IP, NULL),
    K("src_port", F_SRC_PORT, NULL), K("dest_ip", F_DEST_IP, NULL),
    K("dest_port", F_DEST_PORT, NULL), K("proto", F_PROTO, NULL),
    K("timestamp", F_TIMESTAMP, NULL), K("direction", F_DIRECTION, NULL),
    K("alert", F_ALERT, alert_keys), K("flow", F_FLOW, flow_keys), { NULL, 0, 0, NULL },
};
#undef K

/* What an alert says about the side it names. Trojan resolves to bot or c2 by direction; the
 * server-side meanings (phishing, malware) name whoever served the traffic. */
#define M_TROJAN (1u << BW_CAT_COUNT)
#define SERVER_SIDE ((1u << BW_CAT_PHISHING) | (1u << BW_CAT_MALWARE))
#define CAT(c) (1u << BW_CAT_##c)

/* alert.category: the classification descriptions of Suricata's and Emerging Threats'
 * classification.config. Anything else means nothing by itself. */
static const struct {
    const char *name;
    uint32_t m;
} class_map[] = {
    { "Attempted Administrator Privilege Gain", CAT(EXPLOIT) },
    { "Successful Administrator Privilege Gain", CAT(EXPLOIT) },
    { "Attempted User Privilege Gain", CAT(EXPLOIT) },
    { "Unsuccessful User Privilege Gain", CAT(EXPLOIT) },
    { "Successful User Privilege Gain", CAT(EXPLOIT) },
    { "Executable code was detected", CAT(EXPLOIT) },
    { "A system call was detected", CAT(EXPLOIT) },
    { "Misc Attack", CAT(EXPLOIT) },
    { "Targeted Malicious Activity was Detected", CAT(EXPLOIT) },
    { "Web Application Attack", CAT(WEB_ATTACK) },
    { "Attempted Information Leak", CAT(SCAN) },
    { "Information Leak", CAT(SCAN) },
    { "Large Scale Information Leak", CAT(SCAN) },
    { "Detection of a Network Scan", CAT(SCAN) },
    { "Decode of an RPC Query", CAT(SCAN) },
    { "Attempted Denial of Service", CAT(DDOS) },
    { "Denial of Service", CAT(DDOS) },
    { "Detection of a Denial of Service Attack", CAT(DDOS) },
    { "An attempted login using a suspicious username was detected", CAT(BRUTEFORCE) },
    { "Attempt to login by a default username and password", CAT(BRUTEFORCE) },
    { "A Network Trojan was detected", M_TROJAN },
    { "Malware Command and Control Activity Detected", M_TROJAN },
    { "Domain Observed Used for C2 Detected", M_TROJAN },
    { "Crypto Currency Mining Activity Detected", CAT(BOT) },
    { "Exploit Kit Activity Detected", CAT(MALWARE) },
    { "Successful Credential Theft Detected", CAT(PHISHING) },
    { "Social Engineering Attempted", CAT(PHISHING) },
};

/* The ruleset category word after "ET ", "ETPRO " or "GPL " at the start of a signature. */
static const struct {
    const char *word;
    uint32_t m;
} sig_map[] = {
    { "SCAN", CAT(SCAN) },
    { "EXPLOIT", CAT(EXPLOIT) },
    { "SHELLCODE", CAT(EXPLOIT) },
    { "WEB_SERVER", CAT(WEB_ATTACK) },
    { "WEB_SPECIFIC_APPS", CAT(WEB_ATTACK) },
    { "DOS", CAT(DDOS) },
    { "MALWARE", M_TROJAN },
    { "TROJAN", M_TROJAN },
    { "CNC", M_TROJAN },
    { "BOTCC", M_TROJAN },
    { "WORM", M_TROJAN },
    { "MOBILE_MALWARE", M_TROJAN },
    { "COINMINER", CAT(BOT) },
    { "COMPROMISED", CAT(SCAN) },
    { "CINS", CAT(SCAN) },
    { "DSHIELD", CAT(SCAN) },
    { "3CORESec", CAT(SCAN) },
    { "PHISHING", CAT(PHISHING) },
    { "EXPLOIT_KIT", CAT(MALWARE) },
};

/* Words anywhere in a signature (ASCII case-insensitive; written in lower case here). */
static const struct {
    const char *word;
    uint32_t m;
} sig_words[] = {
    { "brute force", CAT(BRUTEFORCE) },
    { "brute-force", CAT(BRUTEFORCE) },
    { "bruteforce", CAT(BRUTEFORCE) },
    { "traversal", CAT(WEB_ATTACK) },
    { "sql injection", CAT(WEB_ATTACK) },
    { "command injection", CAT(WEB_ATTACK) },
    { "cross site scripting", CAT(WEB_ATTACK) },
    { "xss", CAT(WEB_ATTACK) },
};

#define CLASS_MAX 128

struct suricata {
    struct bw_parser base;
    struct jval v[F_COUNT];
    size_t used; /* of base.scratch, this line */
    struct seqtab seq;
    char controller[BW_ADDR_TEXT_MAX];
    char evidence[BW_EVIDENCE_MAX + 1];
};

static uint32_t map_class(const char *s, size_t len)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(class_map); i++) {
        if (strlen(class_map[i].name) == len && memcmp(class_map[i].name, s, len) == 0)
            return class_map[i].m;
    }
    return 0;
}

static uint32_t map_signature(const char *s, size_t len)
{
    char lower[BW_EVIDENCE_MAX]; /* signatures are kept to this length */
    uint32_t m = 0;
    size_t i = 0, w;

    if (len >= 3 && memcmp(s, "ET ", 3) == 0)
        i = 3;
    else if (len >= 6 && memcmp(s, "ETPRO ", 6) == 0)
        i = 6;
    else if (len >= 4 && memcmp(s, "GPL ", 4) == 0)
        i = 4;
    if (i > 0) {
        for (w = i; w < len && s[w] != ' '; w++)
            ;
        for (size_t k = 0; k < BW_ARRAY_LEN(sig_map); k++) {
            if (strlen(sig_map[k].word) == w - i && memcmp(sig_map[k].word, s + i, w - i) == 0)
                m |= sig_map[k].m;
        }
    }
    if (len > sizeof(lower))
        len = sizeof(lower);
    for (size_t k = 0; k < len; k++)
        lower[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] + 32 : s[k]);
    for (size_t k = 0; k < BW_ARRAY_LEN(sig_words); k++) {
        if (memmem(lower, len, sig_words[k].word, strlen(sig_words[k].word)) != NULL)
            m |= sig_words[k].m;
    }
    return m;
}

/* EVE writes "+0000" offsets; RFC 3339 wants "+00:00". */
static int eve_time(int64_t *out, const char *s, size_t len)
{
    char buf[64];

    if (len >= 5 && len < sizeof(buf) && (s[len - 5] == '+' || s[len - 5] == '-') &&
        is_digit((unsigned char)s[len - 4]) && is_digit((unsigned char)s[len - 3]) &&
        is_digit((unsigned char)s[len - 2]) && is_digit((unsigned char)s[len - 1])) {
        memcpy(buf, s, len - 2);
        buf[len - 2] = ':';
        memcpy(buf + len - 1, s + len - 2, 2);
        return bw_time_parse(out, buf, len + 1);
    }
    return bw_time_parse(out, s, len);
}

static bool eve_proto(const struct jval *v, uint8_t *out)
{
    static const struct {
        const char *name;
        uint8_t num;
    } names[] = {
        { "TCP", BW_PROTO_TCP }, { "UDP", BW_PROTO_UDP }, { "ICMP", BW_PROTO_ICMP },
        { "IPV6-ICMP", 58 },     { "SCTP", 132 },         { "GRE", 47 },
        { "ESP", 50 },           { "AH", 51 },
    };
    uint64_t n;

    if (v->type == J_NONE || v->type == J_NULL)
        return true;
    if (v->type == J_NUMBER) {
        if (!bw_json_integer(v, 255, &n))
            return false;
        *out = (uint8_t)n;
        return true;
    }
    if (v->type != J_STRING)
        return false;
    for (size_t i = 0; i < BW_ARRAY_LEN(names); i++) {
        if (strlen(names[i].name) == v->len && strncasecmp(names[i].name, v->ptr, v->len) == 0) {
            *out = names[i].num;
            return true;
        }
    }
    if (v->len > 0 && v->len <= 3 && !v->escaped) {
        /* protocols without a name are written as their number ("047") */
        n = 0;
        for (size_t i = 0; i < v->len; i++) {
            if (!is_digit((unsigned char)v->ptr[i]))
                return true;
            n = n * 10 + (uint64_t)(v->ptr[i] - '0');
        }
        if (n <= 255)
            *out = (uint8_t)n;
    }
    return true; /* a name we do not know leaves the protocol unset */
}

/* An optional port field: absent and null are 0. */
static bool eve_port(const struct jval *v, uint16_t *out)
{
    uint64_t n = 0;

    if (v->type != J_NONE && v->type != J_NULL && !bw_json_integer(v, 65535, &n))
        return false;
    *out = (uint16_t)n;
    return true;
}

static bool eve_addr(const struct jval *v, struct bw_addr *out)
{
    return v->type == J_STRING && !v->escaped && bw_addr_parse(out, v->ptr, v->len) == BW_OK;
}

/* An optional string of alert.*: absent gives "" and true; another type gives false. */
static bool alert_text(struct suricata *su, enum field f, size_t cap, const char **out,
                       size_t *len)
{
    const struct jval *v = &su->v[f];

    *out = "";
    *len = 0;
    if (v->type == J_NONE || v->type == J_NULL)
        return true;
    if (v->type != J_STRING)
        return false;
    *out = bw_json_text(v, su->base.scratch, sizeof(su->base.scratch), &su->used, cap, len);
    if (*out == NULL)
        return false;
    return true;
}

static int suricata_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                         bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct suricata *su = (struct suricata *)p;
    const struct jval *v = su->v;
    struct bw_report r, srv;
    struct bw_addr dest;
    struct jscan s;
    const char *sig, *cls;
    size_t sig_len, cls_len;
    uint16_t src_port, dest_port;
    uint64_t gid = 1, sid = 0, rev = 0, sev = 0;
    uint32_t m;
    bool to_client = false, have_dest;
    int n, rc, emitted = 0;

    if (len > BW_LINE_MAX)
        return bw_parser__fail(err, BW_REJECT_LINE_TOO_LONG, "line over %d bytes", BW_LINE_MAX);
    if (!bw_json_parse(&s, line, len, keys, su->v, F_COUNT))
        return bw_parser__fail(err, s.reason, "not JSON: %s at byte %zu", s.why,
                               (size_t)(s.p - s.start) + 1);
    su->used = 0;
    if (v[F_EVENT_TYPE].type == J_NONE)
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "no \"event_type\": not an EVE record");
    if (v[F_EVENT_TYPE].type != J_STRING)
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "\"event_type\" is not a string");
    if (v[F_EVENT_TYPE].len != 5 || memcmp(v[F_EVENT_TYPE].ptr, "alert", 5) != 0)
        return 0;
    if (v[F_ALERT].type != J_OBJECT)
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD,
                               "\"alert\" is missing or not an object");
    if (!alert_text(su, F_SIGNATURE, BW_EVIDENCE_MAX, &sig, &sig_len))
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "\"alert.signature\" is not a string");
    if (!alert_text(su, F_CATEGORY, CLASS_MAX, &cls, &cls_len))
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "\"alert.category\" is not a string");
    if ((v[F_SID].type != J_NONE && !bw_json_integer(&v[F_SID], UINT32_MAX, &sid)) ||
        (v[F_GID].type != J_NONE && !bw_json_integer(&v[F_GID], UINT32_MAX, &gid)) ||
        (v[F_REV].type != J_NONE && !bw_json_integer(&v[F_REV], UINT32_MAX, &rev)) ||
        (v[F_SEVERITY].type != J_NONE && !bw_json_integer(&v[F_SEVERITY], 255, &sev)))
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD,
                               "alert gid, signature_id, rev or severity is not a small integer");
    m = map_class(cls, cls_len) | map_signature(sig, sig_len);
    if (m == 0)
        return 0; /* an alert that says nothing about compromise (policy, info, hunting) */

    memset(&r, 0, sizeof(r));
    r.source = p->format;
    r.line = lineno;
    r.time_s = p->now_s;
    if (v[F_SRC_IP].type == J_NONE)
        return bw_parser__fail(err, BW_REJECT_MISSING_IP, "no \"src_ip\"");
    if (!eve_addr(&v[F_SRC_IP], &r.addr))
        return bw_parser__fail(err, BW_REJECT_INVALID_IP, "\"src_ip\" is not an IP address");
    have_dest = eve_addr(&v[F_DEST_IP], &dest);
    if (!eve_port(&v[F_SRC_PORT], &src_port) || !eve_port(&v[F_DEST_PORT], &dest_port))
        return bw_parser__fail(err, BW_REJECT_INVALID_PORT, "src_port or dest_port is not 0-65535");
    if (!eve_proto(&v[F_PROTO], &r.proto))
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "\"proto\" is not a name or 0-255");
    if (v[F_TIMESTAMP].type != J_NONE) {
        if (v[F_TIMESTAMP].type != J_STRING || v[F_TIMESTAMP].escaped ||
            eve_time(&r.time_s, v[F_TIMESTAMP].ptr, v[F_TIMESTAMP].len) != BW_OK)
            return bw_parser__fail(err, BW_REJECT_INVALID_TIME, "\"timestamp\" is not RFC 3339");
    }
    if (v[F_DIRECTION].type == J_STRING && v[F_DIRECTION].len == 9 &&
        memcmp(v[F_DIRECTION].ptr, "to_client", 9) == 0) {
        to_client = true;
    } else if (v[F_DIRECTION].type == J_NONE && v[F_FLOW_SRC_IP].type == J_STRING) {
        struct bw_addr initiator;

        to_client = eve_addr(&v[F_FLOW_SRC_IP], &initiator) &&
                    bw_addr_cmp(&initiator, &r.addr) != 0;
    }

    if (sid != 0)
        n = snprintf(su->evidence, sizeof(su->evidence),
                     "[%llu:%llu:%llu] %s [Classification: %s] [Priority: %llu]",
                     (unsigned long long)gid, (unsigned long long)sid,
                     (unsigned long long)rev, sig, cls, (unsigned long long)sev);
    else
        n = snprintf(su->evidence, sizeof(su->evidence), "%s [Classification: %s]", sig, cls);
    if (n < 0)
        n = 0;
    if ((size_t)n > BW_EVIDENCE_MAX)
        n = (int)BW_EVIDENCE_MAX;
    su->evidence[bw_utf8_truncate(su->evidence, (size_t)n, BW_EVIDENCE_MAX)] = '\0';
    r.evidence = su->evidence;

    /* the side that served the traffic, for phishing and malware-serving alerts */
    srv = r;
    srv.cats = m & SERVER_SIDE;
    if (to_client) {
        srv.port = src_port;
    } else {
        srv.addr = dest;
        srv.port = dest_port;
    }

    r.cats = m & ~(SERVER_SIDE | M_TROJAN);
    r.port = dest_port;
    if (m & M_TROJAN) {
        if (to_client) {
            r.cats |= CAT(C2);
            r.port = src_port; /* the controller's own port */
        } else {
            r.cats |= CAT(BOT);
            if (have_dest)
                r.controller = bw_addr_format(&dest, su->controller);
        }
    }
    if (srv.cats != 0 && to_client) { /* the source is the server: one report */
        r.cats |= srv.cats;
        r.port = src_port;
        srv.cats = 0;
    }
    if (r.cats != 0) {
        r.seq = bw_parser__seq_next(&su->seq, &r);
        rc = emit(ctx, &r);
        if (rc != 0)
            return rc;
        emitted++;
    }
    if (srv.cats != 0 && have_dest) {
        srv.seq = bw_parser__seq_next(&su->seq, &srv);
        rc = emit(ctx, &srv);
        if (rc != 0)
            return rc;
        emitted++;
    }
    return emitted;
}

struct bw_parser *bw_parser__suricata_new(const struct bw_parser_opts *o)
{
    struct suricata *su = bw_xcalloc(1, sizeof(*su));

    bw_parser__init(&su->base, "suricata", o);
    su->base.line = suricata_line;
    return &su->base;
}

/* True when the line [p, end) is a JSON object with an "event_type" string. */
static bool eve_object(const char *p, const char *end)
{
    static const char key[] = "\"event_type\"";
    const char *from = p, *v;

    if (p >= end || *p != '{')
        return false;
    while ((v = bw_json_next_value(&from, end, key, sizeof(key) - 1)) != NULL) {
        if (v < end && *v == '"')
            return true;
    }
    return false;
}

/* 85 when the first line is an EVE record; 55 when a later line of the head is. */
int bw_parser__suricata_detect(const char *head, size_t len)
{
    const char *p = head, *end = head + len;
    bool first = true;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));

        if (eol == NULL)
            eol = end;
        while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p < eol) {
            if (eve_object(p, eol))
                return first ? 85 : 55;
            first = false;
        }
        if (eol == end)
            break;
        p = eol + 1;
    }
    return 0;
}
