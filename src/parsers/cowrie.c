/*
 * parsers/cowrie.c - Cowrie honeypot JSON lines (log.format = json, one event a line).
 * A login attempt makes a bruteforce report for the client; a download makes the same for the
 * client, naming the URL's host as its controller candidate, plus a malware report for that
 * host; a session's SSH client version rides on its later reports as the banner.
 * docs/formats.md ("cowrie") lists every event and what it becomes.
 * Invariants:
 *  - Lines are read with the shared JSON scanner (json.c), which validates the whole line and
 *    keeps only the keys asked for.
 *  - Session state is a fixed table (SESSION_SETS x SESSION_WAYS): the least recently used
 *    entry of a set makes way, and cowrie.session.closed frees its entry.
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

/* ---- Cowrie ---- */

enum field {
    F_EVENTID,
    F_SRC_IP,
    F_DST_PORT,
    F_SESSION,
    F_TIMESTAMP,
    F_VERSION,
    F_URL,
    F_COUNT
};

#define K(name, f) { name, sizeof(name) - 1, f, NULL }
static const struct jkey keys[] = {
    K("eventid", F_EVENTID), K("src_ip", F_SRC_IP), K("dst_port", F_DST_PORT),
    K("session", F_SESSION), K("timestamp", F_TIMESTAMP), K("version", F_VERSION),
    K("url", F_URL), { NULL, 0, 0, NULL },
};
#undef K

#define SESSION_ID_MAX 32 /* longer session ids are not tracked (Cowrie's have 12) */
#define VERSION_MAX 255   /* an SSH identification string is at most 255 bytes (RFC 4253) */
#define SESSION_SETS 64
#define SESSION_WAYS 4
#define HOST_MAX 253

struct session {
    uint64_t used; /* tick of last use; 0 = free */
    uint8_t id_len;
    char id[SESSION_ID_MAX];
    char version[VERSION_MAX + 1];
};

struct url {
    bool is_addr;
    struct bw_addr addr;
    char host[HOST_MAX + 1]; /* lower case; the canonical address text when is_addr */
    uint16_t port;
    uint8_t proto;
};

struct cowrie {
    struct bw_parser base;
    struct jval v[F_COUNT];
    size_t used; /* bytes of base.scratch taken by this line's strings */
    uint64_t tick;
    struct session sessions[SESSION_SETS][SESSION_WAYS];
    struct seqtab seq;
    struct url url;
    char evidence[BW_EVIDENCE_MAX + 1];
};

enum event { EV_OTHER, EV_LOGIN, EV_DOWNLOAD, EV_DOWNLOAD_FAILED, EV_VERSION, EV_CLOSED };

static const struct {
    const char *name;
    enum event ev;
} events[] = {
    { "cowrie.login.failed", EV_LOGIN },
    { "cowrie.login.success", EV_LOGIN },
    { "cowrie.session.file_download", EV_DOWNLOAD },
    { "cowrie.session.file_download.failed", EV_DOWNLOAD_FAILED },
    { "cowrie.client.version", EV_VERSION },
    { "cowrie.session.closed", EV_CLOSED },
};

static enum event event_kind(const char *s, size_t len)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(events); i++) {
        if (strlen(events[i].name) == len && memcmp(events[i].name, s, len) == 0)
            return events[i].ev;
    }
    return EV_OTHER;
}

static struct session *session_find(struct cowrie *c, const char *id, size_t len, bool add)
{
    uint32_t h = 2166136261u;
    struct session *set, *victim;

    if (len == 0 || len > SESSION_ID_MAX)
        return NULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)id[i]) * 16777619u;
    set = c->sessions[h % SESSION_SETS];
    victim = &set[0];
    for (int w = 0; w < SESSION_WAYS; w++) {
        if (set[w].used != 0 && set[w].id_len == len && memcmp(set[w].id, id, len) == 0) {
            set[w].used = ++c->tick;
            return &set[w];
        }
        if (set[w].used < victim->used)
            victim = &set[w];
    }
    if (!add)
        return NULL;
    victim->used = ++c->tick;
    victim->id_len = (uint8_t)len;
    memcpy(victim->id, id, len);
    victim->version[0] = '\0';
    return victim;
}

/* The session id of this line, decoded into the arena; NULL when absent or unusable. */
static const char *session_id(struct cowrie *c, size_t *len)
{
    const struct jval *v = &c->v[F_SESSION];

    if (v->type != J_STRING)
        return NULL;
    return bw_json_text(v, c->base.scratch, sizeof(c->base.scratch), &c->used, SESSION_ID_MAX + 1,
                 len);
}

static void remember_version(struct cowrie *c)
{
    const struct jval *v = &c->v[F_VERSION];
    struct session *se;
    const char *id, *text;
    size_t id_len, n;

    if (v->type != J_STRING)
        return;
    id = session_id(c, &id_len);
    if (id == NULL)
        return;
    text = bw_json_text(v, c->base.scratch, sizeof(c->base.scratch), &c->used, VERSION_MAX, &n);
    if (text == NULL || n == 0)
        return;
    se = session_find(c, id, id_len, true);
    if (se != NULL)
        memcpy(se->version, text, n + 1);
}

static void forget_session(struct cowrie *c)
{
    const char *id;
    size_t id_len;
    struct session *se;

    id = session_id(c, &id_len);
    if (id == NULL)
        return;
    se = session_find(c, id, id_len, false);
    if (se != NULL)
        se->used = 0;
}

static bool host_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit(ch) || ch == '-' ||
           ch == '.' || ch == '_';
}

/* The port a URL scheme implies (0 when unknown); tftp is the one over UDP. */
static uint16_t scheme_port(const char *s, size_t len)
{
    if (len == 4 && strncasecmp(s, "http", 4) == 0)
        return 80;
    if (len == 5 && strncasecmp(s, "https", 5) == 0)
        return 443;
    if (len == 3 && strncasecmp(s, "ftp", 3) == 0)
        return 21;
    if (len == 4 && strncasecmp(s, "tftp", 4) == 0)
        return 69;
    return 0;
}

/* The host and port of a download URL ("scheme://[user@]host[:port]/path"; without a scheme
 * it is taken as http, as Cowrie's wget does). False when there is no usable host. */
static bool parse_url(struct url *u, const char *s, size_t len)
{
    size_t i = 0, a, e, h0, h1;
    bool digits_dots = true;

    memset(u, 0, sizeof(*u));
    u->port = 80;
    u->proto = BW_PROTO_TCP;
    for (size_t k = 0; k + 2 < len && k < 16; k++) {
        if (s[k] == ':' && s[k + 1] == '/' && s[k + 2] == '/') {
            u->port = scheme_port(s, k);
            if (u->port == 69)
                u->proto = BW_PROTO_UDP;
            i = k + 3;
            break;
        }
        if (!host_char((unsigned char)s[k]) && s[k] != '+')
            break;
    }
    /* the authority ends at the path, query or fragment; userinfo ends at its last '@' */
    for (e = i; e < len && s[e] != '/' && s[e] != '?' && s[e] != '#'; e++)
        ;
    a = i;
    for (size_t k = i; k < e; k++) {
        if (s[k] == '@')
            a = k + 1;
    }
    if (a < e && s[a] == '[') {
        h0 = a + 1;
        for (h1 = h0; h1 < e && s[h1] != ']'; h1++)
            ;
        if (h1 >= e || bw_addr_parse(&u->addr, s + h0, h1 - h0) != BW_OK)
            return false;
        u->is_addr = true;
        a = h1 + 1;
    } else {
        h0 = a;
        for (h1 = h0; h1 < e && s[h1] != ':'; h1++)
            ;
        a = h1;
    }
    if (a < e) {
        uint32_t port = 0;

        if (s[a] != ':' || a + 1 == e || e - (a + 1) > 5)
            return false;
        for (size_t k = a + 1; k < e; k++) {
            if (!is_digit((unsigned char)s[k]))
                return false;
            port = port * 10 + (uint32_t)(s[k] - '0');
        }
        if (port == 0 || port > 65535)
            return false;
        u->port = (uint16_t)port;
    }
    if (u->is_addr) {
        bw_addr_format(&u->addr, u->host);
        return true;
    }
    if (h1 == h0)
        return false;
    if (bw_addr_parse(&u->addr, s + h0, h1 - h0) == BW_OK) {
        u->is_addr = true;
        bw_addr_format(&u->addr, u->host);
        return true;
    }
    if (s[h1 - 1] == '.') /* the root dot of a fully qualified name */
        h1--;
    if (h1 == h0 || h1 - h0 > HOST_MAX || s[h0] == '.' || s[h0] == '-')
        return false;
    for (size_t k = h0; k < h1; k++) {
        unsigned char ch = (unsigned char)s[k];

        if (!host_char(ch) || (ch == '.' && s[k - 1] == '.'))
            return false;
        if (!is_digit(ch) && ch != '.')
            digits_dots = false;
        u->host[k - h0] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    u->host[h1 - h0] = '\0';
    return !digits_dots; /* "3232235777" or "1.2.3" are not host names */
}

static int emit_one(struct cowrie *c, struct bw_report *r, bw_emit_cb emit, void *ctx)
{
    if (r->host == NULL)
        r->seq = bw_parser__seq_next(&c->seq, r);
    return emit(ctx, r);
}

static int cowrie_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                       bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct cowrie *c = (struct cowrie *)p;
    struct bw_report r;
    struct jscan s;
    const struct jval *v = c->v;
    const char *text;
    size_t n;
    enum event ev;
    bool have_url = false;
    uint64_t port = 22;
    int rc;

    if (len > BW_LINE_MAX)
        return bw_parser__fail(err, BW_REJECT_LINE_TOO_LONG, "line over %d bytes", BW_LINE_MAX);
    if (!bw_json_parse(&s, line, len, keys, c->v, F_COUNT))
        return bw_parser__fail(err, s.reason, "not JSON: %s at byte %zu", s.why,
                               (size_t)(s.p - s.start) + 1);
    c->used = 0;
    if (v[F_EVENTID].type == J_NONE)
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "no \"eventid\": not a Cowrie event");
    if (v[F_EVENTID].type != J_STRING)
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "\"eventid\" is not a string");
    text = bw_json_text(&v[F_EVENTID], p->scratch, sizeof(p->scratch), &c->used, 64, &n);
    if (text == NULL || n < 7 || memcmp(text, "cowrie.", 7) != 0)
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "\"eventid\" is not a cowrie.* event");
    ev = event_kind(text, n);
    switch (ev) {
    case EV_VERSION:
        remember_version(c);
        return 0;
    case EV_CLOSED:
        forget_session(c);
        return 0;
    case EV_OTHER:
        return 0;
    case EV_LOGIN:
    case EV_DOWNLOAD:
    case EV_DOWNLOAD_FAILED:
        break;
    }

    memset(&r, 0, sizeof(r));
    r.source = p->format;
    r.line = lineno;
    r.cats = 1u << BW_CAT_BRUTEFORCE;
    r.proto = BW_PROTO_TCP;
    r.time_s = p->now_s;
    if (v[F_SRC_IP].type == J_NONE)
        return bw_parser__fail(err, BW_REJECT_MISSING_IP, "no \"src_ip\"");
    if (v[F_SRC_IP].type != J_STRING || v[F_SRC_IP].escaped ||
        bw_addr_parse(&r.addr, v[F_SRC_IP].ptr, v[F_SRC_IP].len) != BW_OK)
        return bw_parser__fail(err, BW_REJECT_INVALID_IP, "\"src_ip\" is not an IP address");
    if (v[F_DST_PORT].type != J_NONE && v[F_DST_PORT].type != J_NULL &&
        !bw_json_integer(&v[F_DST_PORT], 65535, &port))
        return bw_parser__fail(err, BW_REJECT_INVALID_PORT,
                               "\"dst_port\" is not an integer 0-65535");
    r.port = (uint16_t)port;
    if (v[F_TIMESTAMP].type != J_NONE) {
        if (v[F_TIMESTAMP].type != J_STRING || v[F_TIMESTAMP].escaped ||
            bw_time_parse(&r.time_s, v[F_TIMESTAMP].ptr, v[F_TIMESTAMP].len) != BW_OK)
            return bw_parser__fail(err, BW_REJECT_INVALID_TIME, "\"timestamp\" is not RFC 3339");
    }
    if (ev != EV_LOGIN) {
        if (v[F_URL].type != J_NONE && v[F_URL].type != J_NULL && v[F_URL].type != J_STRING)
            return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "\"url\" is not a string");
        if (v[F_URL].type == J_STRING) {
            text =
                bw_json_text(&v[F_URL], p->scratch, sizeof(p->scratch), &c->used, BW_LINE_MAX, &n);
            have_url = text != NULL && parse_url(&c->url, text, n);
        }
    }
    text = session_id(c, &n);
    if (text != NULL) {
        struct session *se = session_find(c, text, n, false);

        if (se != NULL && se->version[0] != '\0')
            r.banner = se->version;
    }
    n = bw_utf8_truncate(line, len, BW_EVIDENCE_MAX);
    memcpy(c->evidence, line, n);
    c->evidence[n] = '\0';
    r.evidence = c->evidence;
    if (have_url)
        r.controller = c->url.host;
    rc = emit_one(c, &r, emit, ctx);
    if (rc != 0)
        return rc;
    if (ev != EV_DOWNLOAD || !have_url)
        return 1;

    /* the host the client fetched its download from */
    r.cats = 1u << BW_CAT_MALWARE;
    r.port = c->url.port;
    r.proto = c->url.proto;
    r.banner = NULL;
    r.controller = NULL;
    r.seq = 0;
    if (c->url.is_addr) {
        r.addr = c->url.addr;
    } else {
        memset(&r.addr, 0, sizeof(r.addr));
        r.host = c->url.host;
    }
    rc = emit_one(c, &r, emit, ctx);
    return rc != 0 ? rc : 2;
}

struct bw_parser *bw_parser__cowrie_new(const struct bw_parser_opts *o)
{
    struct cowrie *c = bw_xcalloc(1, sizeof(*c));

    bw_parser__init(&c->base, "cowrie", o);
    c->base.line = cowrie_line;
    return &c->base;
}

/* True when the line [p, end) is a JSON object with an "eventid" that is a cowrie.* event. */
static bool cowrie_object(const char *p, const char *end)
{
    static const char key[] = "\"eventid\"";
    const char *from = p, *v;

    if (p >= end || *p != '{')
        return false;
    while ((v = bw_json_next_value(&from, end, key, sizeof(key) - 1)) != NULL) {
        if (end - v >= 8 && memcmp(v, "\"cowrie.", 8) == 0)
            return true;
    }
    return false;
}

/* 90 when the first line is a Cowrie event; 60 when a later line of the head is (a log that
 * starts with comments, like fail2ban's sample). */
int bw_parser__cowrie_detect(const char *head, size_t len)
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
            if (cowrie_object(p, eol))
                return first ? 90 : 60;
            first = false;
        }
        if (eol == end)
            break;
        p = eol + 1;
    }
    return 0;
}
