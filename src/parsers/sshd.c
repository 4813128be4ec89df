/*
 * parsers/sshd.c - OpenSSH server messages in syslog or journal text (auth.log, secure,
 * `journalctl` output): the failures fail2ban's sshd filter counts, in its normal or
 * aggressive mode, become bruteforce reports. docs/formats.md (section sshd) lists every message.
 *
 * A line is "[<PRI>] [TIMESTAMP] [HOST] TAG MESSAGE" (BSD syslog, RFC 3339-stamped syslog, the
 * journal's short form without a time) or RFC 5424; TAG names the program ("sshd[42]:",
 * "sshd-session[42]:", "[sshd]:"). Lines of other programs give nothing; lines that are not
 * syslog at all are rejected as malformed.
 *
 * Connections: some failures name no address ("Disconnecting: Too many authentication
 * failures", "kex_exchange_identification: ..."), and some helper lines are failures only in
 * context (a second user name tried on one connection, a login accepted after failures for
 * other users). Like fail2ban's multi-line id, the parser remembers per (log host, pid) the
 * client's address, the server port ("on ADDR port N"), the client's version string, the user
 * names tried and failures still waiting for an address. A failure without an address is
 * reported on the first later line of its connection that names one.
 *
 * Invariants:
 *  - No regular expressions and no allocation per line: fixed message fragments are matched
 *    with memcmp/memmem on the message, state lives in fixed tables inside struct sshd
 *    (direct-mapped: a newer connection simply evicts an older one in its slot).
 *  - A report's strings (evidence, host, banner) live in struct sshd and are valid during emit.
 *  - Identical reports (same second, address, port) get increasing seq values, so repeats
 *    ("message repeated N times", several failures a second) are not merged downstream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/parsers_int.h"

#define CONN_SLOTS 1024  /* remembered connections (power of two) */
#define SEEN_SLOTS 256   /* remembered (second, address, port) for seq (power of two) */
#define HOST_MAX 253     /* bytes of a host name (DNS limit) */
#define BANNER_MAX 255   /* bytes of a client version string kept */
#define USERS_MAX 4      /* distinct user names remembered per connection */
#define CONN_IDLE_S 600  /* a connection silent this long is forgotten */
#define REPEAT_MAX 10000 /* "message repeated N times": N is capped here */
#define PENDING_MAX 1000 /* failures waiting for an address, per connection */
#define SSH_PORT 22

/* Who a line or connection names: an address, or a host name (a DNS name in rhost). */
struct who {
    bool is_addr;
    struct bw_addr addr;
    size_t host_len;
    char host[HOST_MAX + 1];
};

struct conn {
    uint64_t key;     /* hash of log host and pid; 0 = free */
    int64_t last_s;   /* time of its latest line */
    bool has_who;     /* the client's address is known */
    struct who who;
    uint16_t lport;   /* server port from "on ADDR port N"; 0 = not seen */
    uint16_t pending; /* failures seen before the address was */
    uint8_t n_users;
    uint32_t users[USERS_MAX]; /* hashes of the user names tried */
    size_t banner_len;
    char banner[BANNER_MAX + 1]; /* client version string; "" = not seen */
};

struct seen {
    uint64_t id; /* hash of the address or host name; 0 = free */
    int64_t time_s;
    uint16_t port;
    uint32_t seq;
};

/* What syslog's year-less timestamps need. */
struct clock {
    int64_t now_s;
    int year;           /* opts.year: 0 = infer */
    int year_now;       /* year of now_s (UTC) */
    int64_t jan1_now;   /* Unix time of Jan 1 of year_now */
    int64_t jan1_prev;  /* ... of year_now - 1 */
    int64_t jan1_fixed; /* ... of year, when given */
};

struct sshd {
    struct bw_parser base;
    bool aggressive;
    struct clock clock;
    struct bw_report r;
    char evidence[BW_EVIDENCE_MAX + 1];
    char host[HOST_MAX + 1];
    char banner[BANNER_MAX + 1]; /* a banner on a line without a connection (no pid) */
    struct seen seen[SEEN_SLOTS];
    struct conn conns[CONN_SLOTS];
};

/* ---- small text helpers ------------------------------------------------------------------ */

#define LIT(s) s, (sizeof(s) - 1)

static bool starts(const char *p, const char *e, const char *lit, size_t n)
{
    return p <= e && (size_t)(e - p) >= n && memcmp(p, lit, n) == 0;
}

/* The position after lit when [p, e) starts with it, else NULL. */
static const char *after(const char *p, const char *e, const char *lit, size_t n)
{
    return starts(p, e, lit, n) ? p + n : NULL;
}

static const char *find(const char *p, const char *e, const char *lit, size_t n)
{
    if (p >= e)
        return NULL;
    return memmem(p, (size_t)(e - p), lit, n);
}

/* The last occurrence of lit that lies wholly in [p, e). */
static const char *find_last(const char *p, const char *e, const char *lit, size_t n)
{
    const char *last = NULL, *q = find(p, e, lit, n);

    while (q != NULL) {
        last = q;
        q = find(q + 1, e, lit, n);
    }
    return last;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static const char *skip_spaces(const char *p, const char *e)
{
    while (p < e && is_space(*p))
        p++;
    return p;
}

static const char *token_end(const char *p, const char *e)
{
    while (p < e && !is_space(*p))
        p++;
    return p;
}

static const char *digits_end(const char *p, const char *e)
{
    while (p < e && is_digit(*p))
        p++;
    return p;
}

static uint64_t hash_bytes(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* ---- time -------------------------------------------------------------------------------- */

static int year_of(int64_t t)
{
    int64_t days = (t >= 0 ? t : t - 86399) / 86400;
    int y = 1970 + (int)(days / 366);

    while (bw_days_from_civil(y + 1, 1, 1) <= days)
        y++;
    return y;
}

static int month_of(const char *p)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

    for (int i = 0; i < 12; i++) {
        if (memcmp(p, names + 3 * i, 3) == 0)
            return i + 1;
    }
    return 0;
}

/* Unix time of month m, day d, second hms of a year whose Jan 1 is at jan1. */
static int64_t bsd_time(int64_t jan1, int year, int m, int d, int64_t hms)
{
    return jan1 +
           (bw_days_from_civil(year, m, d) - bw_days_from_civil(year, 1, 1)) *
               86400 +
           hms;
}

/* ---- the line prefix ---------------------------------------------------------------------- */

struct prefix {
    int64_t time_s;
    uint64_t conn_key; /* 0: the tag names no pid */
    const char *msg;   /* the program's message */
};

enum pfx_rc { PFX_SSHD, PFX_OTHER, PFX_BAD, PFX_BAD_TIME };

static bool tag_like(const char *p, const char *t)
{
    return t > p && (p[0] == '[' || t[-1] == ':' ||
                     (t[-1] == ']' && memchr(p, '[', (size_t)(t - p)) != NULL));
}

static bool name_is_sshd(const char *n, const char *ne)
{
    return (ne - n == 4 && memcmp(n, "sshd", 4) == 0) ||
           (ne - n > 5 && memcmp(n, "sshd-", 5) == 0);
}

/* "sshd[42]:", "sshd:", "[sshd]:", "[sshd]", "sshd(pam_unix)[42]:", "/usr/sbin/sshd[42]:":
 * is it sshd (or sshd-session, sshd-auth), and which pid. */
static bool tag_is_sshd(const char *p, const char *t, uint32_t *pid)
{
    const char *n = p, *ne;

    if (n < t && *n == '[')
        n++;
    ne = n;
    while (ne < t && *ne != '[' && *ne != ']' && *ne != '(' && *ne != ':')
        ne++;
    for (const char *s = ne; s > n; s--) {
        if (s[-1] == '/') {
            n = s;
            break;
        }
    }
    *pid = 0;
    for (const char *b = ne; b < t; b++) {
        if (*b == '[' && b + 1 < t && is_digit(b[1])) {
            uint32_t v = 0;

            for (b++; b < t && is_digit(*b) && v < 100000000; b++)
                v = v * 10 + (uint32_t)(*b - '0');
            *pid = v;
            break;
        }
    }
    return name_is_sshd(n, ne);
}

/* Parses a BSD timestamp "Mmm [d]d HH:MM:SS[.frac]" at p; returns its end, or NULL when p
 * does not start one. *bad is set when it looks like one but a field is out of range. */
static const char *bsd_stamp(const struct clock *k, const char *p, const char *e, int64_t *t,
                             bool *bad)
{
    int m, d = 0, hh, mm, ss;
    const char *q;

    if (e - p < 14 || p[3] != ' ')
        return NULL;
    m = month_of(p);
    if (m == 0)
        return NULL;
    q = skip_spaces(p + 3, e);
    if (q < e && is_digit(*q))
        d = *q++ - '0';
    if (q < e && is_digit(*q))
        d = d * 10 + (*q++ - '0');
    if (e - q < 9 || q[0] != ' ' || !is_digit(q[1]) || !is_digit(q[2]) || q[3] != ':' ||
        !is_digit(q[4]) || !is_digit(q[5]) || q[6] != ':' || !is_digit(q[7]) || !is_digit(q[8]))
        return NULL;
    hh = (q[1] - '0') * 10 + (q[2] - '0');
    mm = (q[4] - '0') * 10 + (q[5] - '0');
    ss = (q[7] - '0') * 10 + (q[8] - '0');
    q += 9;
    if (q < e && *q == '.')
        q = digits_end(q + 1, e);
    if (d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) {
        *bad = true;
        return q;
    }
    if (ss == 60)
        ss = 59;
    int64_t hms = hh * 3600 + mm * 60 + ss;
    if (k->year != 0) {
        *t = bsd_time(k->jan1_fixed, k->year, m, d, hms);
    } else {
        *t = bsd_time(k->jan1_now, k->year_now, m, d, hms);
        if (*t > k->now_s + 86400)
            *t = bsd_time(k->jan1_prev, k->year_now - 1, m, d, hms);
    }
    return q;
}

/* RFC 5424 structured data: "-" or one or more "[id k="v" ...]" (values may hold "\]"). */
static const char *skip_sd(const char *p, const char *e)
{
    if (p < e && *p == '-')
        return p + 1;
    while (p < e && *p == '[') {
        bool quoted = false;

        for (p++; p < e; p++) {
            if (quoted && *p == '\\' && p + 1 < e) {
                p++;
            } else if (*p == '"') {
                quoted = !quoted;
            } else if (!quoted && *p == ']') {
                p++;
                break;
            }
        }
    }
    return p;
}

static uint64_t conn_key(const char *host, const char *host_end, uint32_t pid)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325) ^ ((uint64_t)pid << 20);

    if (pid == 0)
        return 0;
    if (host != NULL)
        h = hash_bytes(host, (size_t)(host_end - host), h);
    return h != 0 ? h : 1;
}

/* RFC 3339, also with a "+hhmm" offset (journalctl -o short-iso). */
static bool iso_time(int64_t *out, const char *p, size_t n)
{
    char buf[48];

    if (bw_time_parse(out, p, n) == BW_OK)
        return true;
    if (n < 5 || n + 1 >= sizeof(buf) || (p[n - 5] != '+' && p[n - 5] != '-'))
        return false;
    memcpy(buf, p, n - 2);
    buf[n - 2] = ':';
    memcpy(buf + n - 1, p + n - 2, 2);
    return bw_time_parse(out, buf, n + 1) == BW_OK;
}

/* "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG" after the "<PRI>1 ". */
static enum pfx_rc rfc5424(const char *p, const char *e, struct prefix *pf)
{
    const char *t = token_end(p, e), *host, *host_end, *app, *app_end, *proc, *proc_end;
    uint32_t pid = 0;

    if (!(t - p == 1 && *p == '-') && !iso_time(&pf->time_s, p, (size_t)(t - p)))
        return PFX_BAD_TIME;
    host = skip_spaces(t, e);
    host_end = token_end(host, e);
    app = skip_spaces(host_end, e);
    app_end = token_end(app, e);
    proc = skip_spaces(app_end, e);
    proc_end = token_end(proc, e);
    t = token_end(skip_spaces(proc_end, e), e); /* msgid */
    t = skip_sd(skip_spaces(t, e), e);
    if (app == app_end || proc == proc_end)
        return PFX_BAD;
    if (!name_is_sshd(app, app_end))
        return PFX_OTHER;
    for (const char *d = proc; d < proc_end && is_digit(*d) && pid < 100000000; d++)
        pid = pid * 10 + (uint32_t)(*d - '0');
    t = skip_spaces(t, e);
    if (e - t >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0)
        t += 3;
    pf->msg = t;
    pf->conn_key = conn_key(host, host_end, pid);
    return PFX_SSHD;
}

static enum pfx_rc parse_prefix(const struct clock *k, const char *p, const char *e,
                                struct prefix *pf)
{
    const char *t, *host = NULL, *host_end = NULL, *tag, *tag_end;
    bool have_time = false, bad = false;
    uint32_t pid;

    pf->time_s = k->now_s;
    p = skip_spaces(p, e);
    if (p < e && *p == '<') {
        const char *q = digits_end(p + 1, e);

        if (q > p + 1 && q < e && *q == '>') {
            p = q + 1;
            if (e - p >= 2 && p[0] == '1' && p[1] == ' ')
                return rfc5424(p + 2, e, pf);
        }
    }
    t = bsd_stamp(k, p, e, &pf->time_s, &bad);
    if (t != NULL) {
        if (bad)
            return PFX_BAD_TIME;
        have_time = true;
        p = skip_spaces(t, e);
    } else if (e - p >= 19 && is_digit(p[0]) && p[4] == '-' && p[7] == '-' &&
               (p[10] == 'T' || p[10] == 't')) {
        t = token_end(p, e);
        if (!iso_time(&pf->time_s, p, (size_t)(t - p)))
            return PFX_BAD_TIME;
        have_time = true;
        p = skip_spaces(t, e);
    }
    if (p < e && *p == '<') { /* "<facility.level>" */
        t = token_end(p, e);
        if (t[-1] == '>')
            p = skip_spaces(t, e);
    }
    tag = p;
    tag_end = token_end(p, e);
    if (!tag_like(tag, tag_end)) {
        host = tag;
        host_end = tag_end;
        tag = skip_spaces(tag_end, e);
        tag_end = token_end(tag, e);
        if (!tag_like(tag, tag_end))
            return have_time && tag_end > tag ? PFX_OTHER : PFX_BAD;
    }
    if (!tag_is_sshd(tag, tag_end, &pid))
        return PFX_OTHER;
    pf->msg = skip_spaces(tag_end, e);
    pf->conn_key = conn_key(host, host_end, pid);
    return PFX_SSHD;
}

/* ---- addresses and the tails of messages -------------------------------------------------- */

/* An IP address (IPv4, IPv6, IPv4-mapped, optionally in brackets) or a DNS-like host name. */
static bool parse_who(const char *s, size_t n, struct who *w)
{
    bool addr_chars = true;

    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    if (n == 0 || n > HOST_MAX)
        return false;
    for (size_t i = 0; i < n && addr_chars; i++) {
        char c = s[i];

        addr_chars = is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                     c == ':' || c == '.';
    }
    if (addr_chars && bw_addr_parse(&w->addr, s, n) == BW_OK) {
        w->is_addr = true;
        return true;
    }
    /* fail2ban's host name: word characters, '-' and '.', ending in a word character */
    for (size_t i = 0; i < n; i++) {
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
            return false;
    }
    if (!is_alnum(s[n - 1]) && s[n - 1] != '_')
        return false;
    w->is_addr = false;
    memcpy(w->host, s, n);
    w->host[n] = '\0';
    w->host_len = n;
    return true;
}

/* Skips "(?: (?:port \d+|on \S+)){0,max}"; *lport gets the N of "on ADDR port N". */
static const char *port_on_opt(const char *p, const char *e, int max, uint16_t *lport)
{
    for (int i = 0; i < max; i++) {
        if (starts(p, e, LIT(" port ")) && p + 6 < e && is_digit(p[6])) {
            p = digits_end(p + 6, e);
        } else if (starts(p, e, LIT(" on ")) && p + 4 < e && !is_space(p[4])) {
            p = token_end(p + 4, e);
            if (lport != NULL && starts(p, e, LIT(" port ")) && p + 6 < e && is_digit(p[6])) {
                const char *d = p + 6, *de = digits_end(d, e);
                uint32_t v = 0;

                for (; d < de && v <= 65535; d++)
                    v = v * 10 + (uint32_t)(*d - '0');
                if (v > 0 && v <= 65535)
                    *lport = (uint16_t)v;
            }
        } else {
            break;
        }
    }
    return p;
}

/* fail2ban's suffix: "(?: (?:port \d+|on \S+|\[preauth\])){0,3}\s*$". */
static bool suffix_ends(const char *p, const char *e)
{
    for (int i = 0; i < 3; i++) {
        const char *q = port_on_opt(p, e, 1, NULL);

        if (q == p && starts(p, e, LIT(" [preauth]")))
            q = p + 10;
        if (q == p)
            break;
        p = q;
    }
    return skip_spaces(p, e) == e;
}

/* " ssh1", " ssh2" (fail2ban: " ssh\d*") */
static const char *ssh_opt(const char *p, const char *e)
{
    if (starts(p, e, LIT(" ssh")))
        return digits_end(p + 4, e);
    return p;
}

enum tail {
    TAIL_SUFFIX,      /* suffix, then the end */
    TAIL_VIA_SUFFIX,  /* [ via \S+], suffix, end */
    TAIL_SSH_SUFFIX,  /* [port N|on X]{0,2} [ sshN], suffix, end */
    TAIL_SSH_COLON,   /* [port N|on X]{0,2} [ sshN] ": " (OpenSSH's auth-info form) */
    TAIL_NO_FROM,     /* anything without " from " */
};

static bool tail_ok(const char *p, const char *e, enum tail tail)
{
    switch (tail) {
    case TAIL_SUFFIX:
        return suffix_ends(p, e);
    case TAIL_VIA_SUFFIX:
        if (starts(p, e, LIT(" via ")))
            p = token_end(p + 5, e);
        return suffix_ends(p, e);
    case TAIL_SSH_SUFFIX:
        return suffix_ends(ssh_opt(port_on_opt(p, e, 2, NULL), e), e);
    case TAIL_SSH_COLON:
        return starts(ssh_opt(port_on_opt(p, e, 2, NULL), e), e, LIT(": "));
    case TAIL_NO_FROM:
        return find(p, e, LIT(" from ")) == NULL;
    }
    return false;
}

/* What a message says. */
enum kind {
    K_NONE,        /* nothing of interest */
    K_FAIL,        /* a failure; the address is in the line or else the connection's */
    K_HELPER,      /* no failure; names the address, a user or the server port */
    K_ACCEPTED,    /* a login succeeded: a failure only after failures for other users */
    K_BAD_ADDRESS, /* a failure message whose address is neither an IP nor a host name */
};

struct hit {
    enum kind kind;
    bool has_who;
    bool forget;      /* the connection ends here */
    const char *user; /* NULL: none named */
    size_t user_len;
    const char *banner; /* the client's version string, when the line gives it */
    size_t banner_len;
    uint16_t lport; /* server port, when the line gives it */
    struct who who; /* last: set only with has_who, so not cleared per line */
};

static void set_user(struct hit *h, const char *s, const char *se)
{
    h->user = s;
    h->user_len = se > s ? (size_t)(se - s) : 0;
}

/* Reads HOST at p (up to a blank; with strip_colon a trailing ':' is not part of it). */
static const char *take_who(const char *p, const char *e, struct hit *h, bool strip_colon)
{
    const char *he = token_end(p, e);

    if (strip_colon && he > p && he[-1] == ':')
        he--;
    if (he == p)
        return NULL;
    if (!parse_who(p, (size_t)(he - p), &h->who)) {
        h->kind = K_BAD_ADDRESS;
        return NULL;
    }
    h->has_who = true;
    return he;
}

/* " from HOST" + tail in [p, e): the first (or the last) place where it fits. */
static bool from_host(const char *p, const char *e, enum tail tail, bool last, struct hit *h,
                      const char **user_end)
{
    const char *q = last ? find_last(p, e, LIT(" from ")) : find(p, e, LIT(" from "));

    while (q != NULL) {
        const char *hs = q + 6, *he = token_end(hs, e);

        if (he > hs && tail_ok(he, e, tail)) {
            if (user_end != NULL)
                *user_end = q;
            return take_who(hs, e, h, false) != NULL;
        }
        q = last ? find_last(p, q + 5, LIT(" from ")) : find(q + 1, e, LIT(" from "));
    }
    return false;
}

/* "Failed <method> for [invalid user ]USER from HOST ..." */
static void match_failed(const char *p, const char *e, struct hit *h)
{
    const char *m = p + 7, *me = token_end(m, e), *u, *w, *ue = NULL;
    bool invalid, publickey = me - m == 9 && memcmp(m, "publickey", 9) == 0;

    u = after(me, e, LIT(" for "));
    if (me == m || u == NULL)
        return;
    invalid = starts(u, e, LIT("invalid user "));
    if (invalid)
        u += 13;
    /* The user as one word followed by the auth-info form ("... ssh2: RSA SHA256:..."),
     * else the address after the last " from " (user names may contain " from "). */
    w = token_end(u, e);
    if (starts(w, e, LIT(" from ")) && token_end(w + 6, e) > w + 6 &&
        tail_ok(token_end(w + 6, e), e, TAIL_SSH_COLON)) {
        if (take_who(w + 6, e, h, false) == NULL)
            return;
        ue = w;
    } else if (!from_host(u - 1, e, TAIL_NO_FROM, true, h, &ue)) {
        return;
    }
    set_user(h, u, ue);
    /* a valid user's failed key is no failure: users with several keys try them in turn */
    h->kind = publickey && !invalid ? K_HELPER : K_FAIL;
}

/* After "Connection closed by", "Connection reset by", "Disconnected from": optionally
 * "invalid user U" / "authenticating user U", then HOST, then the suffix. */
static void match_closed(const char *p, const char *e, bool aggressive, struct hit *h)
{
    const char *end = e, *q, *sp, *kw;
    bool preauth = false;

    while (end > p && is_space(end[-1]))
        end--;
    for (int i = 0; i < 3; i++) { /* " [preauth]", " port N", " on X" from the right */
        sp = end;
        while (sp > p && sp[-1] != ' ')
            sp--;
        if (sp <= p)
            break;
        if (end - sp == 9 && memcmp(sp, "[preauth]", 9) == 0) {
            preauth = true;
            end = sp - 1;
            continue;
        }
        kw = sp - 1;
        while (kw > p && kw[-1] != ' ')
            kw--;
        if (kw <= p)
            break;
        if (sp - 1 - kw == 4 && memcmp(kw, "port", 4) == 0 && end > sp &&
            digits_end(sp, end) == end)
            end = kw - 1;
        else if (sp - 1 - kw == 2 && memcmp(kw, "on", 2) == 0)
            end = kw - 1;
        else
            break;
    }
    q = end;
    while (q > p && q[-1] != ' ')
        q--;
    if (q == end)
        return;
    if (q > p) {
        const char *u = after(p, q, LIT("invalid user "));

        if (u == NULL)
            u = after(p, q, LIT("authenticating user "));
        if (u == NULL)
            return; /* words before the address that fail2ban does not allow */
        set_user(h, u, q - 1);
    }
    if (!parse_who(q, (size_t)(end - q), &h->who))
        return;
    h->has_who = true;
    h->forget = true;
    h->kind = aggressive && preauth ? K_FAIL : K_HELPER;
}

/* HOST[ port N]: -- the position of the ':' after the address and its ports, or NULL. */
static const char *who_then_colon(const char *p, const char *e, struct hit *h)
{
    const char *q = take_who(p, e, h, true);

    if (q == NULL)
        return NULL;
    q = port_on_opt(q, e, 2, NULL);
    return q < e && *q == ':' ? q : NULL;
}

/* After "Received disconnect from ": "HOST[ port N]: CODE: reason". */
static void match_received_disconnect(const char *p, const char *e, bool aggressive,
                                      struct hit *h)
{
    const char *q = who_then_colon(p, e, h), *a;

    if (q == NULL)
        goto none;
    q = skip_spaces(q + 1, e);
    h->forget = true;
    if (starts(q, e, LIT("11:"))) {
        h->kind = K_HELPER;
    } else if (starts(q, e, LIT("3: "))) {
        a = find_last(q, e, LIT(": Auth fail"));
        if (a == NULL || !suffix_ends(a + 11, e))
            goto none;
        h->kind = K_FAIL;
    } else if (aggressive && starts(q, e, LIT("14: No "))) {
        q += 7;
        if (starts(q, e, LIT("supported ")))
            q += 10;
        if (!starts(q, e, LIT("authentication methods available")))
            goto none;
        h->kind = K_FAIL;
    } else {
        h->kind = K_HELPER; /* other reasons still name the client */
    }
    return;
none:
    h->kind = K_NONE;
    h->has_who = false;
    h->forget = false;
}

/* fail2ban's __alg_match: one to three words, the last followed by " found" */
static bool alg_found(const char *p, const char *e)
{
    for (int i = 0; i < 3; i++) {
        const char *w = p;

        while (w < e && (is_alnum(*w) || *w == '_'))
            w++;
        if (w == p)
            return false;
        if (starts(w, e, LIT(" found")))
            return true;
        if (w >= e || *w != ' ' || (w - p == 5 && memcmp(p, "found", 5) == 0))
            return false;
        p = w + 1;
    }
    return false;
}

/* "User U from HOST not allowed because <reason>" and "User U not allowed because account is
 * locked" (no address: the connection's). */
static void match_user(const char *p, const char *e, struct hit *h)
{
    static const struct {
        const char *text;
        size_t len;
    } reasons[] = {
        { LIT("not listed in AllowUsers") },
        { LIT("listed in DenyUsers") },
        { LIT("not in any group") },
        { LIT("a group is listed in DenyGroups") },
        { LIT("none of user's groups are listed in AllowGroups") },
    };
    const char *nb = find(p, e, LIT(" not allowed because ")), *r, *f;

    if (nb == NULL)
        return;
    r = nb + 21;
    if (starts(r, e, LIT("account is locked"))) {
        set_user(h, p + 5, nb);
        h->kind = K_FAIL;
        return;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(reasons); i++) {
        if (!starts(r, e, reasons[i].text, reasons[i].len) ||
            !suffix_ends(r + reasons[i].len, e))
            continue;
        f = find_last(p + 4, nb, LIT(" from "));
        if (f == NULL || f + 6 >= nb || token_end(f + 6, nb) != nb)
            return;
        set_user(h, p + 5, f);
        if (take_who(f + 6, nb, h, false) != NULL)
            h->kind = K_FAIL;
        return;
    }
}

/* "pam_unix(sshd:auth): authentication failure; ... ruser=R rhost=HOST [user=U]": no failure
 * by itself (a "Failed password" line follows), but it names the user tried. */
static void match_pam(const char *p, const char *e, struct hit *h)
{
    const char *q = p + 4, *ru, *rh, *us, *hs, *he;

    while (q < e && *q >= 'a' && *q <= 'z')
        q++;
    if (q == p + 4 || !starts(q, e, LIT("(sshd:auth):")))
        return;
    q = skip_spaces(q + 12, e);
    if (!starts(q, e, LIT("authentication failure;")))
        return;
    ru = find(q, e, LIT(" ruser="));
    rh = find(q, e, LIT(" rhost="));
    if (rh == NULL)
        return;
    hs = rh + 7;
    he = token_end(hs, e);
    if (he == hs || !parse_who(hs, (size_t)(he - hs), &h->who))
        return;
    h->has_who = true;
    h->kind = K_HELPER;
    us = find(he, e, LIT(" user="));
    if (us != NULL)
        set_user(h, us + 6, token_end(us + 6, e));
    else if (ru != NULL && ru < rh)
        set_user(h, ru + 7, token_end(ru + 7, rh));
    if (h->user != NULL && h->user_len == 0)
        h->user = NULL;
}

/* "SSH: Server;Ltype: (Version|Authname|Kex);Remote: HOST-PORT;...": names the client, and
 * the Version form its software ("Client: libssh2_1.4.3"). */
static void match_ltype(const char *p, const char *e, struct hit *h)
{
    bool version = starts(p, e, LIT("Version;"));
    const char *q, *semi, *dash = NULL, *c;

    if (!version && !starts(p, e, LIT("Authname;")) && !starts(p, e, LIT("Kex;")))
        return;
    q = find(p, e, LIT(";Remote: "));
    if (q == NULL)
        return;
    q += 9;
    semi = memchr(q, ';', (size_t)(e - q));
    if (semi == NULL)
        return;
    for (const char *d = q; d < semi; d++) {
        if (*d == '-')
            dash = d;
    }
    if (dash == NULL || !parse_who(q, (size_t)(dash - q), &h->who))
        return;
    h->has_who = true;
    h->kind = K_HELPER;
    c = version ? find(semi, e, LIT(";Client: ")) : NULL;
    if (c != NULL) {
        h->banner = c + 9;
        h->banner_len = (size_t)(token_end(c + 9, e) - (c + 9));
    }
}

/* A line that is no failure says nothing when its address is unusable. */
static void no_failure(struct hit *h)
{
    h->kind = K_NONE;
    h->has_who = false;
}

/* "V; client software version X" / "V, remote software version X" (LogLevel DEBUG1): the
 * client's software, for the connection's later reports. */
static void match_version(const char *p, const char *e, const char *lit, size_t n,
                          struct hit *h)
{
    const char *v = find(p, e, lit, n);

    if (v == NULL || v + n >= e)
        return;
    h->banner = v + n;
    h->banner_len = (size_t)(e - (v + n));
    h->kind = K_HELPER;
}

/* Classifies one sshd message (its "error: " and similar prefixes already removed). */
static void classify(const char *p, const char *e, bool aggr, struct hit *h)
{
    const char *q, *u, *ue;

    switch (*p) {
    case 'A':
        q = after(p, e, LIT("Accepted "));
        if (q != NULL) {
            q = after(token_end(q, e), e, LIT(" for "));
            if (q == NULL)
                return;
            u = q;
            ue = token_end(u, e);
            q = after(ue, e, LIT(" from "));
            if (q == NULL || take_who(q, e, h, false) == NULL) {
                no_failure(h);
                return;
            }
            set_user(h, u, ue);
            h->kind = K_ACCEPTED;
            h->forget = true;
            return;
        }
        /* "Authentication failure for" */
        /* fall through */
    case 'a':
        q = after(p + 1, e, LIT("uthentication "));
        if (q == NULL)
            return;
        u = after(q, e, LIT("failure for"));
        if (u == NULL)
            u = after(q, e, LIT("error for"));
        if (u == NULL)
            u = after(q, e, LIT("failed for"));
        if (u != NULL && from_host(u, e, TAIL_VIA_SUFFIX, true, h, NULL))
            h->kind = K_FAIL;
        break;
    case 'B':
        q = aggr ? after(p, e, LIT("Bad protocol version identification '")) : NULL;
        if (q != NULL) {
            const char *f = find_last(q, e, LIT("' from "));

            if (f == NULL || take_who(f + 7, e, h, false) == NULL)
                break;
            h->banner = q;
            h->banner_len = (size_t)(f - q);
            h->kind = K_FAIL;
        }
        return;
    case 'b':
        q = aggr ? after(p, e, LIT("banner exchange: Connection from ")) : NULL;
        if (q != NULL) {
            q = who_then_colon(q, e, h);
            if (q == NULL || !starts(q, e, LIT(": invalid format")))
                break;
            h->kind = K_FAIL;
        }
        return;
    case 'C':
        q = after(p, e, LIT("Connection closed by "));
        if (q == NULL)
            q = after(p, e, LIT("Connection reset by "));
        if (q != NULL) {
            match_closed(q, e, aggr, h);
            return;
        }
        q = after(p, e, LIT("Client protocol version "));
        if (q != NULL) { /* debug1, OpenSSH before 7.8 */
            match_version(q, e, LIT("; client software version "), h);
            return;
        }
        q = after(p, e, LIT("Connection from "));
        if (q != NULL) {
            q = take_who(q, e, h, false);
            if (q == NULL) {
                no_failure(h);
                return;
            }
            port_on_opt(q, e, 2, &h->lport);
            h->kind = K_HELPER;
        }
        return;
    case 'D':
        q = after(p, e, LIT("Disconnecting: Too many authentication failures"));
        if (q != NULL) {
            u = after(q, e, LIT(" for "));
            if (u != NULL)
                set_user(h, u, token_end(u, e));
            h->kind = K_FAIL;
            return;
        }
        q = after(p, e, LIT("Disconnecting "));
        if (q != NULL) {
            if (starts(q, e, LIT("from ")))
                q += 5;
            u = after(q, e, LIT("invalid user "));
            if (u == NULL)
                u = after(q, e, LIT("authenticating user "));
            if (u == NULL)
                return;
            ue = token_end(u, e);
            if (ue >= e ||
                find(ue, e, LIT(": Change of username or service not allowed:")) == NULL)
                return;
            if (who_then_colon(ue + 1, e, h) == NULL)
                break;
            set_user(h, u, ue);
            h->kind = K_FAIL;
            h->forget = true;
            return;
        }
        q = after(p, e, LIT("Disconnected from "));
        if (q != NULL) {
            match_closed(q, e, aggr, h);
            return;
        }
        q = aggr ? after(p, e, LIT("Did not receive identification string from ")) : NULL;
        if (q != NULL) {
            if (take_who(q, e, h, false) == NULL)
                break;
            h->kind = K_FAIL;
        }
        return;
    case 'F':
        if (starts(p, e, LIT("Failed ")))
            match_failed(p, e, h);
        break;
    case 'I':
    case 'i':
        q = after(p + 1, e, LIT("nvalid user"));
        if (q == NULL)
            q = after(p + 1, e, LIT("llegal user"));
        if (q != NULL && from_host(q, e, TAIL_SUFFIX, false, h, &ue)) {
            set_user(h, q + 1, ue);
            h->kind = K_FAIL;
        }
        break;
    case 'k':
        q = aggr ? after(p, e, LIT("kex_exchange_identification: ")) : NULL;
        if (q == NULL)
            return;
        if (starts(q, e, LIT("read: ")))
            q += 6;
        u = after(q, e, LIT("client sent invalid protocol identifier"));
        if (u == NULL)
            u = after(q, e, LIT("Client sent invalid protocol identifier"));
        if (u != NULL) {
            if (starts(u, e, LIT(" \"")) && e - u >= 3 && e[-1] == '"') {
                h->banner = u + 2;
                h->banner_len = (size_t)(e - 1 - (u + 2));
            }
            h->kind = K_FAIL;
        } else if (q < e && (*q == 'C' || *q == 'c') &&
                   (starts(q + 1, e, LIT("onnection closed by remote host")) ||
                    starts(q + 1, e, LIT("onnection reset by peer")))) {
            h->kind = K_FAIL;
        }
        return;
    case 'm':
        q = after(p, e, LIT("maximum authentication attempts exceeded for"));
        if (q != NULL && from_host(q, e, TAIL_SSH_SUFFIX, true, h, &ue)) {
            set_user(h, q + 1, ue);
            h->kind = K_FAIL;
        }
        break;
    case 'n':
        q = aggr ? after(p, e, LIT("no matching ")) : NULL;
        if (q != NULL && alg_found(q, e) && find(q, e, LIT(" found:")) != NULL)
            h->kind = K_FAIL;
        return;
    case 'p':
        if (starts(p, e, LIT("pam_")))
            match_pam(p, e, h);
        return;
    case 'P':
        /* "Protocol major versions differ for HOST: OURS vs. THEIRS" (old OpenSSH) */
        q = after(p, e, LIT("Protocol major versions differ for "));
        if (q != NULL) {
            u = find(q, e, LIT(" vs. "));
            if (u == NULL || take_who(q, e, h, true) == NULL) {
                no_failure(h);
                return;
            }
            h->banner = u + 5;
            h->banner_len = (size_t)(token_end(u + 5, e) - (u + 5));
            h->kind = K_HELPER;
        }
        return;
    case 'R':
        q = after(p, e, LIT("Remote protocol version "));
        if (q != NULL) { /* debug1, OpenSSH 7.8 and later */
            match_version(q, e, LIT(", remote software version "), h);
            return;
        }
        q = after(p, e, LIT("ROOT LOGIN REFUSED FROM "));
        if (q != NULL) {
            if (take_who(q, e, h, false) != NULL)
                h->kind = K_FAIL;
            return;
        }
        q = after(p, e, LIT("Received disconnect from "));
        if (q != NULL) {
            match_received_disconnect(q, e, aggr, h);
            return;
        }
        if (aggr && starts(p, e, LIT("Read from socket failed: Connection reset by peer"))) {
            h->kind = K_FAIL;
            h->forget = true;
        }
        return;
    case 'r':
        q = after(p, e, LIT("refused connect from "));
        if (q != NULL) {
            q = after(token_end(q, e), e, LIT(" ("));
            if (q == NULL)
                return;
            const char *c = memchr(q, ')', (size_t)(e - q));

            if (c == NULL || c == q)
                return;
            if (!parse_who(q, (size_t)(c - q), &h->who)) {
                h->kind = K_BAD_ADDRESS;
                return;
            }
            h->has_who = true;
            h->kind = K_FAIL;
        }
        return;
    case 'S':
        q = after(p, e, LIT("SSH: Server;Ltype: "));
        if (q != NULL)
            match_ltype(q, e, h);
        return;
    case 's':
        q = aggr ? after(p, e, LIT("ssh_dispatch_run_fatal: Connection from ")) : NULL;
        if (q != NULL) {
            q = who_then_colon(q, e, h);
            if (q == NULL)
                break;
            q++;
            if (starts(q, e, LIT(" message authentication code incorrect")) ||
                starts(q, e, LIT(" Connection corrupted")) ||
                starts(q, e, LIT(" connection corrupted"))) {
                h->kind = K_FAIL;
                return;
            }
            break;
        }
        return;
    case 'T':
        q = aggr ? after(p, e, LIT("Timeout before authentication for ")) : NULL;
        if (q != NULL) {
            if (starts(q, e, LIT("connection from ")))
                q += 16;
            if (take_who(q, e, h, true) == NULL)
                break;
            h->kind = K_FAIL;
        }
        return;
    case 'U':
        q = after(p, e, LIT("User not known to the underlying authentication module for"));
        if (q != NULL) {
            if (from_host(q, e, TAIL_SUFFIX, true, h, NULL))
                h->kind = K_FAIL;
            break;
        }
        if (starts(p, e, LIT("User "))) {
            match_user(p, e, h);
            break;
        }
        q = aggr ? after(p, e, LIT("Unable to negotiate with ")) : NULL;
        if (q != NULL) {
            q = who_then_colon(q, e, h);
            if (q == NULL || !starts(q, e, LIT(": no matching ")) || !alg_found(q + 14, e))
                break;
            h->kind = K_FAIL;
            return;
        }
        q = aggr ? after(p, e, LIT("Unable to negotiate a ")) : NULL;
        if (q != NULL && q < e && (is_alnum(*q) || *q == '_'))
            h->kind = K_FAIL;
        return;
    default:
        return;
    }
    /* A known start that did not fit after all says nothing, unless a failure message named
     * an address that is none. */
    if (h->kind == K_FAIL || h->kind == K_HELPER || h->kind == K_BAD_ADDRESS)
        return;
    h->kind = K_NONE;
    h->has_who = false;
}

/* Removes "error: ", "fatal: ", "error: PAM: ", "debug1: ", Solaris' "[ID 800047 auth.info] "
 * and a kernel time "kernel:[  970.699396]: " from the start of a message. */
static const char *strip_message(const char *p, const char *e)
{
    for (int i = 0; i < 4; i++) {
        const char *c;

        if (starts(p, e, LIT("error: "))) {
            p += 7;
            if (starts(p, e, LIT("PAM: ")))
                p += 5;
        } else if (starts(p, e, LIT("fatal: "))) {
            p += 7;
        } else if (starts(p, e, LIT("debug1: "))) {
            p += 8;
        } else if (starts(p, e, LIT("[ID "))) {
            c = memchr(p, ']', (size_t)(e - p));
            if (c == NULL)
                return p;
            p = skip_spaces(c + 1, e);
        } else if (starts(p, e, LIT("kernel:"))) {
            p = skip_spaces(p + 7, e);
            if (p < e && *p == '[') {
                c = memchr(p, ']', (size_t)(e - p));
                if (c == NULL)
                    return p;
                p = c + 1;
                if (p < e && *p == ':')
                    p++;
                p = skip_spaces(p, e);
            }
        } else {
            break;
        }
    }
    return p;
}

/* ---- connections --------------------------------------------------------------------------- */

static struct conn *conn_get(struct sshd *x, uint64_t key, int64_t now)
{
    struct conn *c;

    if (key == 0)
        return NULL;
    c = &x->conns[((key * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & (CONN_SLOTS - 1)];
    if (c->key != key || now - c->last_s > CONN_IDLE_S || c->last_s - now > CONN_IDLE_S) {
        memset(c, 0, offsetof(struct conn, banner));
        c->banner[0] = '\0';
        c->key = key;
    }
    c->last_s = now;
    return c;
}

/* Remembers a user name; returns how many distinct names the connection has tried. */
static unsigned conn_add_user(struct conn *c, const char *u, size_t n)
{
    uint32_t h = (uint32_t)hash_bytes(u, n, UINT64_C(0xcbf29ce484222325)) | 1;

    for (unsigned i = 0; i < c->n_users; i++) {
        if (c->users[i] == h)
            return c->n_users;
    }
    if (c->n_users < USERS_MAX) {
        c->users[c->n_users++] = h;
        return c->n_users;
    }
    return USERS_MAX + 1; /* one more than we can remember */
}

/* ---- reports ------------------------------------------------------------------------------- */

struct line_ctx {
    const char *line;
    size_t len;
    bool evidence_ready;
    uint64_t lineno;
    bw_emit_cb emit;
    void *ctx;
    int n; /* reports emitted */
};

static int emit_one(struct sshd *x, struct line_ctx *lc, const struct who *w, const char *banner)
{
    struct bw_report *r = &x->r;
    uint64_t id;
    struct seen *s;
    int rc;

    if (!lc->evidence_ready) {
        size_t n = bw_utf8_truncate(lc->line, lc->len, BW_EVIDENCE_MAX);

        memcpy(x->evidence, lc->line, n);
        x->evidence[n] = '\0';
        lc->evidence_ready = true;
    }
    if (w->is_addr) {
        r->addr = w->addr;
        r->host = NULL;
        id = hash_bytes((const char *)w->addr.b, sizeof(w->addr.b), UINT64_C(0x84222325));
    } else {
        memcpy(x->host, w->host, w->host_len + 1);
        memset(&r->addr, 0, sizeof(r->addr));
        r->host = x->host;
        id = hash_bytes(w->host, w->host_len, UINT64_C(0x1b3));
    }
    id |= 1;
    r->net_len = 0;
    r->cats = 1u << BW_CAT_BRUTEFORCE;
    r->proto = BW_PROTO_TCP;
    r->evidence = x->evidence;
    r->banner = banner != NULL && banner[0] != '\0' ? banner : NULL;
    r->source = x->base.format;
    r->line = lc->lineno;
    s = &x->seen[((id * UINT64_C(0x9e3779b97f4a7c15)) >> 40) & (SEEN_SLOTS - 1)];
    if (s->id == id && s->time_s == r->time_s && s->port == r->port) {
        s->seq++;
    } else {
        s->id = id;
        s->time_s = r->time_s;
        s->port = r->port;
        s->seq = 0;
    }
    r->seq = s->seq;
    rc = lc->emit(lc->ctx, r);
    if (rc != 0)
        return rc;
    lc->n++;
    return 0;
}

static int emit_n(struct sshd *x, struct line_ctx *lc, const struct who *w, const char *banner,
                  unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        int rc = emit_one(x, lc, w, banner);

        if (rc != 0)
            return rc;
    }
    return 0;
}

/* "message repeated N times: [ MSG]": N (1 for other messages) and the inner message. */
static unsigned repeated(const char **pp, const char **pe)
{
    const char *p = *pp, *e = *pe, *q;
    unsigned n = 0;

    if (!starts(p, e, LIT("message repeated ")))
        return 1;
    for (q = p + 17; q < e && is_digit(*q); q++) {
        if (n <= REPEAT_MAX)
            n = n * 10 + (unsigned)(*q - '0');
    }
    if (n == 0 || !starts(q, e, LIT(" times: [")))
        return 1;
    if (n > REPEAT_MAX)
        n = REPEAT_MAX;
    q = skip_spaces(q + 9, e);
    while (e > q && is_space(e[-1]))
        e--;
    if (e > q && e[-1] == ']')
        e--;
    *pp = q;
    *pe = e;
    return n;
}

static int sshd_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                     bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct sshd *x = (struct sshd *)p;
    const char *e = line + len, *m, *me;
    struct prefix pf;
    struct hit h;
    struct conn *c;
    struct line_ctx lc = { line, len, false, lineno, emit, ctx, 0 };
    const struct who *w;
    const char *banner = NULL;
    unsigned times;
    int rc = 0;

    if (len > BW_LINE_MAX)
        return bw_parser__fail(err, BW_REJECT_LINE_TOO_LONG, "line over %d bytes", BW_LINE_MAX);
    while (e > line && (e[-1] == '\r' || e[-1] == '\n'))
        e--;
    lc.len = (size_t)(e - line);
    m = skip_spaces(line, e);
    if (m == e || *m == '#')
        return 0; /* blank, or a comment */
    switch (parse_prefix(&x->clock, line, e, &pf)) {
    case PFX_SSHD:
        break;
    case PFX_OTHER: return 0;
    case PFX_BAD_TIME:
        return bw_parser__fail(err, BW_REJECT_INVALID_TIME,
                               "timestamp \"%.*s\" is not a valid time",
                               (int)(token_end(m, e) - m > 32 ? 32 : token_end(m, e) - m), m);
    case PFX_BAD:
    default:
        return bw_parser__fail(err, BW_REJECT_MALFORMED,
                               "not a syslog or journal line (no program tag)");
    }
    m = pf.msg;
    me = e;
    times = repeated(&m, &me);
    m = strip_message(m, me);
    if (m >= me)
        return 0;
    memset(&h, 0, offsetof(struct hit, who));
    classify(m, me, x->aggressive, &h);
    if (h.kind == K_NONE)
        return 0;
    if (h.kind == K_BAD_ADDRESS)
        return bw_parser__fail(err, BW_REJECT_INVALID_IP,
                               "the client address is neither an IP address nor a host name");
    c = conn_get(x, pf.conn_key, pf.time_s);
    if (h.banner != NULL && h.banner_len > 0) {
        size_t n = bw_utf8_truncate(h.banner, h.banner_len, BANNER_MAX);
        char *dst = c != NULL ? c->banner : x->banner;

        memcpy(dst, h.banner, n);
        dst[n] = '\0';
        if (c != NULL)
            c->banner_len = n;
        banner = dst;
    } else if (c != NULL && c->banner_len > 0) {
        banner = c->banner;
    }
    if (c != NULL && h.lport != 0)
        c->lport = h.lport;
    if (c != NULL && h.has_who) {
        c->who = h.who;
        c->has_who = true;
    }
    w = h.has_who ? &h.who : c != NULL && c->has_who ? &c->who : NULL;
    x->r.time_s = pf.time_s;
    x->r.port = c != NULL && c->lport != 0 ? c->lport : SSH_PORT;
    if (w != NULL && c != NULL && c->pending > 0) {
        rc = emit_n(x, &lc, w, banner, c->pending);
        c->pending = 0;
    }
    if (rc == 0) {
        switch (h.kind) {
        case K_FAIL:
            if (c != NULL && h.user != NULL && h.user_len > 0)
                conn_add_user(c, h.user, h.user_len);
            if (w != NULL)
                rc = emit_n(x, &lc, w, banner, times);
            else if (c != NULL)
                c->pending = (uint16_t)(c->pending + times > PENDING_MAX ? PENDING_MAX
                                                                         : c->pending + times);
            break;
        case K_HELPER:
            /* a second user name tried on one connection is a failure */
            if (c != NULL && h.user != NULL && h.user_len > 0) {
                unsigned before = c->n_users;

                if (conn_add_user(c, h.user, h.user_len) > before && before > 0 && w != NULL)
                    rc = emit_n(x, &lc, w, banner, 1);
            }
            break;
        case K_ACCEPTED:
            /* accepted after failures for other users: the earlier tries were guesses */
            if (c != NULL && conn_add_user(c, h.user, h.user_len) > 1 && w != NULL)
                rc = emit_n(x, &lc, w, banner, 1);
            break;
        default:
            break;
        }
    }
    if (c != NULL && h.forget)
        c->key = 0;
    return rc != 0 ? rc : lc.n;
}

/* ---- format entry points ------------------------------------------------------------------- */

static void clock_init(struct clock *k, int64_t now_s, int year)
{
    k->now_s = now_s;
    k->year = year;
    k->year_now = year_of(now_s);
    k->jan1_now = bw_days_from_civil(k->year_now, 1, 1) * 86400;
    k->jan1_prev = bw_days_from_civil(k->year_now - 1, 1, 1) * 86400;
    k->jan1_fixed = bw_days_from_civil(year, 1, 1) * 86400;
}

struct bw_parser *bw_parser__sshd_new(const struct bw_parser_opts *o)
{
    struct sshd *x = bw_xcalloc(1, sizeof(*x));

    bw_parser__init(&x->base, "sshd", o);
    x->base.line = sshd_line;
    x->aggressive = o->mode == BW_MODE_AGGRESSIVE;
    clock_init(&x->clock, o->now_s, o->year);
    return &x->base;
}

/* Sure when the first lines are syslog or journal lines of sshd; surer the more of them are. */
int bw_parser__sshd_detect(const char *head, size_t len)
{
    struct clock k;
    const char *p = head, *e = head + (len > 65536 ? 65536 : len);
    unsigned sshd = 0, lines = 0;

    clock_init(&k, 0, 0);
    while (p < e && lines < 200) {
        const char *nl = memchr(p, '\n', (size_t)(e - p)), *le = nl != NULL ? nl : e, *s;
        struct prefix pf;

        if (le > p && le[-1] == '\r')
            le--;
        s = skip_spaces(p, le);
        if (s < le && *s != '#') {
            lines++;
            if (parse_prefix(&k, p, le, &pf) == PFX_SSHD)
                sshd++;
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    if (sshd == 0)
        return 0;
    return 60 + (int)(35 * sshd / lines);
}
