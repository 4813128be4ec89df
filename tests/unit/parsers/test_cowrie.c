/*
 * tests/unit/parsers/test_cowrie.c - the Cowrie JSON format through parsers.h: the real
 * fail2ban sample (exact counts), every event that reports, session banners and their bound,
 * download URLs, seq, every rejection reason, the JSON scanner's edge cases, and detection.
 */
#include "test.h"
#include "parsers/parsers.h"

#include <stdio.h>
#include <stdlib.h>

#define NOW INT64_C(1780000000) /* 2026-05-28T20:26:40Z */
#define STR_CAP 2048
#define MAX_REPORTS 8

/* ---- a capturing emit callback: reports are copied, strings included ---- */

enum { S_EVIDENCE, S_BANNER, S_CONTROLLER, S_HOST, S_SOURCE, S_N };

struct copy {
    struct bw_report r; /* string pointers point into s[] (or are NULL) */
    char s[S_N][STR_CAP];
};

struct cap {
    size_t n;
    int emit_rc;
    struct copy c[MAX_REPORTS];
};

static const char *keep(char *dst, const char *src)
{
    size_t n;

    if (src == NULL)
        return NULL;
    n = strlen(src);
    assert_true(n < STR_CAP);
    memcpy(dst, src, n + 1);
    return dst;
}

static int emit_copy(void *ctx, const struct bw_report *r)
{
    struct cap *cap = ctx;
    struct copy *k;

    assert_true(cap->n < MAX_REPORTS);
    k = &cap->c[cap->n++];
    k->r = *r;
    k->r.evidence = keep(k->s[S_EVIDENCE], r->evidence);
    k->r.banner = keep(k->s[S_BANNER], r->banner);
    k->r.controller = keep(k->s[S_CONTROLLER], r->controller);
    k->r.host = keep(k->s[S_HOST], r->host);
    k->r.source = keep(k->s[S_SOURCE], r->source);
    return cap->emit_rc;
}

static struct cap *cap_new(void)
{
    struct cap *cap = calloc(1, sizeof(*cap));

    assert_non_null(cap);
    return cap;
}

static void assert_addr(const struct bw_addr *got, const char *want)
{
    struct bw_addr w;
    char buf[BW_ADDR_TEXT_MAX];

    if (bw_addr_parse(&w, want, strlen(want)) != BW_OK)
        fail_msg("%s: test address does not parse", want);
    if (bw_addr_cmp(got, &w) != 0)
        fail_msg("address %s, want %s", bw_addr_format(got, buf), want);
}

#define CAT(c) (1u << (BW_CAT_##c))

static struct bw_parser *new_parser(void)
{
    struct bw_parser *p = bw_parser_new("cowrie", NOW);

    assert_non_null(p);
    return p;
}

/* One line through p as line 9; returns what bw_parser_line returned. */
static int feed(struct bw_parser *p, struct cap *cap, struct bw_parse_error *err,
                const char *line)
{
    return bw_parser_line(p, line, strlen(line), 9, emit_copy, cap, err);
}

/* One line through a fresh parser gives exactly want reports. */
static struct cap *lines_ok(const char *line, int want)
{
    struct bw_parser *p = new_parser();
    struct cap *cap = cap_new();
    struct bw_parse_error err = { 0 };
    int rc = feed(p, cap, &err, line);

    bw_parser_free(p);
    if (rc != want || (int)cap->n != want)
        fail_msg("%s: got rc %d, %zu reports (%s), want %d", line, rc, cap->n, err.detail,
                 want);
    return cap;
}

static void rejects_len(const char *line, size_t len, enum bw_reject want)
{
    struct bw_parser *p = new_parser();
    struct cap *cap = cap_new();
    struct bw_parse_error err = { 0 };
    int rc = bw_parser_line(p, line, len, 3, emit_copy, cap, &err);

    bw_parser_free(p);
    if (rc != BW_EMALFORMED)
        fail_msg("%.200s: got rc %d, want a rejection", line, rc);
    if (err.reason != want)
        fail_msg("%.200s: rejected as %s (%s), want %s", line, bw_reject_name(err.reason),
                 err.detail, bw_reject_name(want));
    if (cap->n != 0)
        fail_msg("%.200s: rejected but emitted %zu reports", line, cap->n);
    if (err.detail[0] == '\0' || strchr(err.detail, '\n') != NULL)
        fail_msg("%.200s: detail \"%s\" is not one non-empty line", line, err.detail);
    free(cap);
}

static void rejects(const char *line, enum bw_reject want)
{
    rejects_len(line, strlen(line), want);
}

/* Builds a Cowrie event line: eventid, then extra members (a JSON fragment, may be ""). */
static const char *ev(char *buf, size_t cap, const char *eventid, const char *extra)
{
    snprintf(buf, cap,
             "{\"eventid\":\"%s\",\"src_ip\":\"81.2.69.142\",\"src_port\":4242,\"dst_port\":22,"
             "\"session\":\"a1b2c3d4e5f6\",\"timestamp\":\"2026-05-01T10:00:00.123456Z\"%s%s}",
             eventid, extra[0] != '\0' ? "," : "", extra);
    return buf;
}

/* ---- registry and detection ---- */

static void registry_builds_cowrie(void **state)
{
    struct bw_parser *p = new_parser();

    (void)state;
    assert_string_equal(bw_parser_format(p), "cowrie");
    assert_null(bw_parser_default_reporter(p)); /* a log: reports use the ingest's reporter */
    bw_parser_free(p);
}

static void detects_cowrie_lines(void **state)
{
    static const char head[] = "{\"eventid\":\"cowrie.session.connect\",\"src_ip\":\"1.2.3.4\"}\n";
    static const char spaced[] = "{\"eventid\" : \"cowrie.login.failed\"}\n";
    static const char later[] = "# comment\n\n{\"eventid\":\"cowrie.login.failed\"}\n";
    static const char other[] = "{\"event_type\":\"alert\"}\n";

    (void)state;
    assert_string_equal(bw_parser_detect(head, sizeof(head) - 1), "cowrie");
    assert_string_equal(bw_parser_detect(spaced, sizeof(spaced) - 1), "cowrie");
    assert_string_equal(bw_parser_detect(later, sizeof(later) - 1), "cowrie");
    assert_true(strcmp(bw_parser_detect(other, sizeof(other) - 1), "cowrie") != 0);
}

/* ---- the real sample ---- */

struct tally {
    size_t lines, reports, rejected[BW_REJECT_COUNT];
    struct cap *cap;
};

static void run_file(const char *name, struct tally *t)
{
    const char *dir = getenv("BW_FIXTURES");
    char path[1024], *line = NULL;
    size_t cap = 0;
    ssize_t n;
    FILE *f;
    struct bw_parser *p = new_parser();

    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/cowrie/%s", dir, name);
    f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    memset(t, 0, sizeof(*t));
    t->cap = cap_new();
    while ((n = getline(&line, &cap, f)) >= 0) {
        struct bw_parse_error err;
        int rc;

        t->lines++;
        if (n > 0 && line[n - 1] == '\n')
            n--;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (n == 0)
            continue;
        rc = bw_parser_line(p, line, (size_t)n, t->lines, emit_copy, t->cap, &err);
        if (rc < 0) {
            assert_int_equal(rc, BW_EMALFORMED);
            t->rejected[err.reason]++;
        } else {
            t->reports += (size_t)rc;
        }
    }
    free(line);
    fclose(f);
    bw_parser_free(p);
}

static void fail2ban_sample_gives_one_login_report(void **state)
{
    struct tally t;
    const struct bw_report *r;

    (void)state;
    run_file("fail2ban_cowrie.log", &t);
    assert_int_equal(t.lines, 28);
    assert_int_equal(t.reports, 1); /* cowrie.login.success; connect, kex, closed say nothing */
    assert_int_equal(t.cap->n, 1);
    assert_int_equal(t.rejected[BW_REJECT_MALFORMED], 15); /* 14 comments, 1 non-JSON line */
    for (int i = 0; i < BW_REJECT_COUNT; i++) {
        if (i != BW_REJECT_MALFORMED)
            assert_int_equal(t.rejected[i], 0);
    }
    r = &t.cap->c[0].r;
    assert_addr(&r->addr, "137.184.154.9");
    assert_int_equal(r->cats, CAT(BRUTEFORCE));
    assert_int_equal(r->port, 2222);
    assert_int_equal(r->proto, BW_PROTO_TCP);
    assert_int_equal(r->line, 16);
    assert_int_equal(r->time_s, INT64_C(1786579235)); /* 2026-08-13T00:00:35Z */
    assert_string_equal(r->banner, "SSH-2.0-Go");     /* from the session's client.version */
    assert_string_equal(r->source, "cowrie");
    assert_null(r->controller);
    assert_non_null(strstr(r->evidence, "\"cowrie.login.success\""));
    assert_int_equal(r->evidence[0], '{');
    free(t.cap);
}

/* ---- events ---- */

static void login_failed_is_bruteforce(void **state)
{
    char buf[1024];
    struct cap *cap;
    const struct bw_report *r;

    (void)state;
    cap = lines_ok(ev(buf, sizeof(buf), "cowrie.login.failed",
                      "\"username\":\"root\",\"password\":\"123456\""), 1);
    r = &cap->c[0].r;
    assert_addr(&r->addr, "81.2.69.142");
    assert_int_equal(r->cats, CAT(BRUTEFORCE));
    assert_int_equal(r->port, 22);
    assert_int_equal(r->time_s, INT64_C(1777629600)); /* 2026-05-01T10:00:00Z */
    assert_int_equal(r->line, 9);
    assert_int_equal(r->seq, 0);
    assert_null(r->banner); /* no client.version seen for the session */
    assert_null(r->host);
    assert_string_equal(r->evidence, buf); /* the original line */
    free(cap);
}

static void port_defaults_to_22_and_time_to_now(void **state)
{
    struct cap *cap;

    (void)state;
    cap = lines_ok("{\"eventid\":\"cowrie.login.success\",\"src_ip\":\"2001:db8::7\"}", 1);
    assert_int_equal(cap->c[0].r.port, 22);
    assert_int_equal(cap->c[0].r.time_s, NOW);
    assert_addr(&cap->c[0].r.addr, "2001:db8::7");
    free(cap);
    cap = lines_ok("{\"eventid\":\"cowrie.login.success\",\"src_ip\":\"1.2.3.4\","
                   "\"dst_port\":null}", 1);
    assert_int_equal(cap->c[0].r.port, 22);
    free(cap);
}

static void other_events_give_no_report(void **state)
{
    static const char *const quiet[] = {
        "cowrie.session.connect", "cowrie.client.kex", "cowrie.command.input",
        "cowrie.session.file_upload", "cowrie.log.closed", "cowrie.direct-tcpip.request",
    };
    char buf[1024];

    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(quiet); i++)
        free(lines_ok(ev(buf, sizeof(buf), quiet[i], "\"input\":\"uname -a\""), 0));
    /* no src_ip is fine where nothing is reported */
    free(lines_ok("{\"eventid\":\"cowrie.session.connect\"}", 0));
}

static void identical_events_in_one_second_get_seq(void **state)
{
    struct bw_parser *p = new_parser();
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    char buf[1024], other[1024];

    (void)state;
    ev(buf, sizeof(buf), "cowrie.login.failed", "");
    snprintf(other, sizeof(other), "%s", buf);
    memcpy(strstr(other, "81.2.69.142"), "81.2.69.143", 11);
    assert_int_equal(feed(p, cap, &err, buf), 1);
    assert_int_equal(feed(p, cap, &err, other), 1);
    assert_int_equal(feed(p, cap, &err, buf), 1);
    assert_int_equal(feed(p, cap, &err, buf), 1);
    assert_int_equal(cap->c[0].r.seq, 0);
    assert_int_equal(cap->c[1].r.seq, 0); /* another address */
    assert_int_equal(cap->c[2].r.seq, 1);
    assert_int_equal(cap->c[3].r.seq, 2);
    bw_parser_free(p);
    free(cap);
}

/* ---- sessions and banners ---- */

static void banner_follows_its_session_only(void **state)
{
    struct bw_parser *p = new_parser();
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    char buf[1024];

    (void)state;
    assert_int_equal(feed(p, cap, &err, ev(buf, sizeof(buf), "cowrie.client.version",
                                           "\"version\":\"SSH-2.0-libssh_0.9.6\"")), 0);
    assert_int_equal(feed(p, cap, &err, ev(buf, sizeof(buf), "cowrie.login.failed", "")), 1);
    assert_string_equal(cap->c[0].r.banner, "SSH-2.0-libssh_0.9.6");
    /* another session from the same address has no banner */
    assert_int_equal(feed(p, cap, &err,
                          "{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"81.2.69.142\","
                          "\"session\":\"ffffffffffff\"}"), 1);
    assert_null(cap->c[1].r.banner);
    /* once the session is closed its banner is forgotten */
    assert_int_equal(feed(p, cap, &err, ev(buf, sizeof(buf), "cowrie.session.closed",
                                           "\"duration\":1.5")), 0);
    assert_int_equal(feed(p, cap, &err, ev(buf, sizeof(buf), "cowrie.login.failed", "")), 1);
    assert_null(cap->c[2].r.banner);
    bw_parser_free(p);
    free(cap);
}

static void banner_escapes_are_decoded(void **state)
{
    struct bw_parser *p = new_parser();
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    char buf[1024];

    (void)state;
    assert_int_equal(feed(p, cap, &err, ev(buf, sizeof(buf), "cowrie.client.version",
                                           "\"version\":\"SSH-2.0-\\u00e9\\ud83d\\ude00"
                                           "\\\"x\\\\\"")), 0);
    assert_int_equal(feed(p, cap, &err, ev(buf, sizeof(buf), "cowrie.login.failed", "")), 1);
    assert_string_equal(cap->c[0].r.banner, "SSH-2.0-\xc3\xa9\xf0\x9f\x98\x80\"x\\");
    bw_parser_free(p);
    free(cap);
}

static void session_table_is_bounded(void **state)
{
    struct bw_parser *p = new_parser();
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    char buf[512];
    const int sessions = 5000;

    (void)state;
    for (int i = 0; i < sessions; i++) {
        snprintf(buf, sizeof(buf), "{\"eventid\":\"cowrie.client.version\",\"session\":"
                 "\"s%011d\",\"version\":\"SSH-2.0-v%d\"}", i, i);
        assert_int_equal(feed(p, cap, &err, buf), 0);
    }
    /* the most recent session is still known, the first has made way */
    snprintf(buf, sizeof(buf), "{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\","
             "\"session\":\"s%011d\"}", sessions - 1);
    assert_int_equal(feed(p, cap, &err, buf), 1);
    assert_non_null(cap->c[0].r.banner);
    snprintf(buf, sizeof(buf), "SSH-2.0-v%d", sessions - 1);
    assert_string_equal(cap->c[0].r.banner, buf);
    assert_int_equal(feed(p, cap, &err, "{\"eventid\":\"cowrie.login.failed\",\"src_ip\":"
                                        "\"1.2.3.4\",\"session\":\"s00000000000\"}"), 1);
    assert_null(cap->c[1].r.banner);
    /* an over-long session id is not tracked, and does no harm */
    assert_int_equal(feed(p, cap, &err, "{\"eventid\":\"cowrie.client.version\",\"session\":"
                                        "\"0123456789012345678901234567890123456789\","
                                        "\"version\":\"x\"}"), 0);
    bw_parser_free(p);
    free(cap);
}

/* ---- downloads ---- */

static void download_from_an_address(void **state)
{
    char buf[1024];
    struct cap *cap;
    const struct bw_report *client, *host;

    (void)state;
    cap = lines_ok(ev(buf, sizeof(buf), "cowrie.session.file_download",
                      "\"url\":\"http://185.244.25.7:8080/bins/mips\",\"shasum\":\"ab\""), 2);
    client = &cap->c[0].r;
    host = &cap->c[1].r;
    assert_addr(&client->addr, "81.2.69.142");
    assert_int_equal(client->cats, CAT(BRUTEFORCE));
    assert_int_equal(client->port, 22);
    assert_string_equal(client->controller, "185.244.25.7");
    assert_addr(&host->addr, "185.244.25.7");
    assert_null(host->host);
    assert_int_equal(host->cats, CAT(MALWARE));
    assert_int_equal(host->port, 8080);
    assert_int_equal(host->proto, BW_PROTO_TCP);
    assert_null(host->controller);
    assert_string_equal(host->evidence, buf);
    assert_int_equal(host->line, 9);
    free(cap);
}

struct url_case {
    const char *url;
    const char *host; /* what controller and the malware report name */
    bool is_addr;
    uint16_t port;
    uint8_t proto;
};

static void download_urls(void **state)
{
    static const struct url_case cases[] = {
        { "https://Evil.Example.COM/x.sh", "evil.example.com", false, 443, BW_PROTO_TCP },
        { "http://user:pw@bad.example.net./a?b=c", "bad.example.net", false, 80, BW_PROTO_TCP },
        { "ftp://[2a02:cf40::1]:2121/x", "2a02:cf40::1", true, 2121, BW_PROTO_TCP },
        { "tftp://203.0.113.5/t", "203.0.113.5", true, 69, BW_PROTO_UDP },
        { "203.0.113.6/t.sh", "203.0.113.6", true, 80, BW_PROTO_TCP },
        { "gopher://x.example.org/", "x.example.org", false, 0, BW_PROTO_TCP },
        { "http://a.example\\/b", "a.example", false, 80, BW_PROTO_TCP }, /* "\/" is "/" */
    };
    char extra[512], buf[1024];

    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        const struct url_case *c = &cases[i];
        struct cap *cap;

        snprintf(extra, sizeof(extra), "\"url\":\"%s\"", c->url);
        cap = lines_ok(ev(buf, sizeof(buf), "cowrie.session.file_download", extra), 2);
        assert_string_equal(cap->c[0].r.controller, c->host);
        if (c->is_addr) {
            assert_null(cap->c[1].r.host);
            assert_addr(&cap->c[1].r.addr, c->host);
        } else {
            assert_string_equal(cap->c[1].r.host, c->host);
        }
        if (cap->c[1].r.port != c->port || cap->c[1].r.proto != c->proto)
            fail_msg("%s: port %u proto %u, want %u %u", c->url, cap->c[1].r.port,
                     cap->c[1].r.proto, c->port, c->proto);
        free(cap);
    }
}

static void unusable_urls_report_only_the_client(void **state)
{
    static const char *const bad[] = {
        "", "http://", "http://:80/x", "http://host:99999/", "http://host:8x/", "http://[::1/",
        "http://3232235777/", "http://1.2.3/", "http://-bad.example/", "http://a..b/",
        "http://exa mple.com/", "http://caf\\u00e9.example/",
    };
    char extra[512], buf[1024];

    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        struct cap *cap;

        snprintf(extra, sizeof(extra), "\"url\":\"%s\"", bad[i]);
        cap = lines_ok(ev(buf, sizeof(buf), "cowrie.session.file_download", extra), 1);
        if (cap->c[0].r.controller != NULL)
            fail_msg("%s: controller \"%s\", want none", bad[i], cap->c[0].r.controller);
        assert_int_equal(cap->c[0].r.cats, CAT(BRUTEFORCE));
        free(cap);
    }
    free(lines_ok(ev(buf, sizeof(buf), "cowrie.session.file_download", ""), 1));
    free(lines_ok(ev(buf, sizeof(buf), "cowrie.session.file_download", "\"url\":null"), 1));
}

static void failed_download_names_the_controller_only(void **state)
{
    char buf[1024];
    struct cap *cap;

    (void)state;
    cap = lines_ok(ev(buf, sizeof(buf), "cowrie.session.file_download.failed",
                      "\"url\":\"http://dl.example.org/x\""), 1);
    assert_int_equal(cap->c[0].r.cats, CAT(BRUTEFORCE));
    assert_string_equal(cap->c[0].r.controller, "dl.example.org");
    free(cap);
}

static void emit_return_stops_the_line(void **state)
{
    struct bw_parser *p = new_parser();
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    char buf[1024];

    (void)state;
    cap->emit_rc = 7;
    assert_int_equal(feed(p, cap, &err, ev(buf, sizeof(buf), "cowrie.session.file_download",
                                           "\"url\":\"http://1.2.3.4/x\"")), 7);
    assert_int_equal(cap->n, 1);
    bw_parser_free(p);
    free(cap);
}

/* ---- bad input ---- */

static void rejections_have_reasons(void **state)
{
    char buf[1024];

    (void)state;
    rejects("not a json line at all", BW_REJECT_MALFORMED);
    rejects("# failJSON: { \"match\": false }", BW_REJECT_MALFORMED);
    rejects("[1,2,3]", BW_REJECT_MALFORMED);
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\"", BW_REJECT_MALFORMED);
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4}", BW_REJECT_MALFORMED);
    rejects("{\"eventid\":\"cowrie.login.failed\"} {}", BW_REJECT_MALFORMED);
    rejects("{\"src_ip\":\"1.2.3.4\"}", BW_REJECT_MALFORMED);
    rejects("{\"eventid\":\"sshd.login\",\"src_ip\":\"1.2.3.4\"}", BW_REJECT_MALFORMED);
    rejects("{\"eventid\":\"cowrie.login.failed\",\"eventid\":\"cowrie.login.failed\","
            "\"src_ip\":\"1.2.3.4\"}", BW_REJECT_MALFORMED);
    rejects("{\"eventid\":42}", BW_REJECT_INVALID_FIELD);
    rejects("{\"eventid\":\"cowrie.login.failed\"}", BW_REJECT_MISSING_IP);
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.256\"}",
            BW_REJECT_INVALID_IP);
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":[\"1.2.3.4\"]}",
            BW_REJECT_INVALID_IP);
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\",\"dst_port\":70000}",
            BW_REJECT_INVALID_PORT);
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\",\"dst_port\":\"22\"}",
            BW_REJECT_INVALID_PORT);
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\",\"dst_port\":-1}",
            BW_REJECT_INVALID_PORT);
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\",\"timestamp\":"
            "\"yesterday\"}", BW_REJECT_INVALID_TIME);
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\",\"timestamp\":17}",
            BW_REJECT_INVALID_TIME);
    rejects(ev(buf, sizeof(buf), "cowrie.session.file_download", "\"url\":{\"a\":1}"),
            BW_REJECT_INVALID_FIELD);
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\",\"password\":"
            "\"\xff\xfe\"}", BW_REJECT_INVALID_UTF8);
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\",\"password\":"
            "\"\xe2\x82\x41\"}", BW_REJECT_INVALID_UTF8); /* bad third byte */
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\",\"password\":"
            "\"\xe2\x82\xc3\"}", BW_REJECT_INVALID_UTF8); /* a lead byte as third */
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\",\"password\":"
            "\"\xf0\x9f\x98\"}", BW_REJECT_INVALID_UTF8); /* cut short by the quote */
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\",\"password\":"
            "\"\xe0\x80\xaf\"}", BW_REJECT_INVALID_UTF8); /* overlong */
}

static void json_syntax_is_checked_everywhere(void **state)
{
    static const char *const bad[] = {
        "{\"eventid\":\"cowrie.x\",\"a\":\"\\x\"}",        /* bad escape */
        "{\"eventid\":\"cowrie.x\",\"a\":\"\\u12\"}",      /* short \u */
        "{\"eventid\":\"cowrie.x\",\"a\":\"\\ud800\"}",    /* lone high surrogate */
        "{\"eventid\":\"cowrie.x\",\"a\":\"\\ud800\\u0041\"}",
        "{\"eventid\":\"cowrie.x\",\"a\":\"\\ud800\\ue000\"}", /* not a low surrogate */
        "{\"eventid\":\"cowrie.x\",\"a\":\"\\udc00\"}",    /* lone low surrogate */
        "{\"eventid\":\"cowrie.x\",\"a\":\"tab\there\"}",  /* raw control character */
        "{\"eventid\":\"cowrie.x\",\"a\":01}",
        "{\"eventid\":\"cowrie.x\",\"a\":1.}",
        "{\"eventid\":\"cowrie.x\",\"a\":-}",
        "{\"eventid\":\"cowrie.x\",\"a\":1e}",
        "{\"eventid\":\"cowrie.x\",\"a\":tru}",
        "{\"eventid\":\"cowrie.x\",\"a\":[1,]}",
        "{\"eventid\":\"cowrie.x\",\"a\":{\"b\"}}",
        "{\"eventid\":\"cowrie.x\",\"a\":{\"b\":1,}}",
        "{\"eventid\":\"cowrie.x\",}",
        "{\"eventid\":\"cowrie.x\" \"a\":1}",
        "{\"eventid\":\"cowrie.x\",\"a\":'x'}",
        "{\"eventid\":\"cowrie.x\",\"a\":[[[[",
        "{\"eventid\":\"cowrie.x\",\"a\":\"",
        "{\"eventid\":\"cowrie.x\",\"a\":\"\\",
        "{",
        "",
        "   ",
    };
    char deep[800];
    size_t n = 0;

    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++)
        rejects(bad[i], BW_REJECT_MALFORMED);
    /* 64 levels are fine, 65 are not */
    n = (size_t)snprintf(deep, sizeof(deep), "{\"eventid\":\"cowrie.x\",\"a\":");
    for (int i = 0; i < 63; i++)
        deep[n++] = '[';
    for (int i = 0; i < 63; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    free(lines_ok(deep, 0));
    n = (size_t)snprintf(deep, sizeof(deep), "{\"eventid\":\"cowrie.x\",\"a\":");
    for (int i = 0; i < 64; i++)
        deep[n++] = '[';
    for (int i = 0; i < 64; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    rejects(deep, BW_REJECT_MALFORMED);
    /* the same for objects: {"a":{"a":...}} */
    n = (size_t)snprintf(deep, sizeof(deep), "{\"eventid\":\"cowrie.x\",\"a\":");
    for (int i = 0; i < 63; i++) {
        memcpy(deep + n, "{\"a\":", 5);
        n += 5;
    }
    memcpy(deep + n, "1", 1);
    n++;
    for (int i = 0; i < 64; i++)
        deep[n++] = '}';
    deep[n] = '\0';
    free(lines_ok(deep, 0));
    n = (size_t)snprintf(deep, sizeof(deep), "{\"eventid\":\"cowrie.x\",\"a\":");
    for (int i = 0; i < 64; i++) {
        memcpy(deep + n, "{\"a\":", 5);
        n += 5;
    }
    memcpy(deep + n, "1", 1);
    n++;
    for (int i = 0; i < 65; i++)
        deep[n++] = '}';
    deep[n] = '\0';
    rejects(deep, BW_REJECT_MALFORMED);
}

static void json_that_is_valid_is_accepted(void **state)
{
    struct cap *cap;

    (void)state;
    /* whitespace everywhere, escaped key names, nested values, numbers, literals, CR */
    cap = lines_ok(" { \"event\\u0069d\" : \"cowrie.login.failed\" ,\n\t\"src_ip\" : "
                   "\"1.2.3.4\", \"x\": [ {\"y\": [true, false, null, -0.5e+3, 0, 1E2]} , "
                   "\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\" ], \"z\": {} , \"w\": [] ,"
                   " \"u\": \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\" } \r", 1);
    assert_addr(&cap->c[0].r.addr, "1.2.3.4");
    free(cap);
    /* keys this parser does not keep may repeat; eventid padded with a long unknown event */
    free(lines_ok("{\"a\":1,\"a\":2,\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\"}",
                  1));
}

static void escaped_src_ip_and_nul_are_refused(void **state)
{
    (void)state;
    rejects("{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.\\u0034\"}",
            BW_REJECT_INVALID_IP);
    /* an eventid holding U+0000 is not a cowrie event */
    rejects("{\"eventid\":\"cowrie.login.failed\\u0000\",\"src_ip\":\"1.2.3.4\"}",
            BW_REJECT_MALFORMED);
}

static void long_lines_and_evidence_cap(void **state)
{
    size_t big = BW_LINE_MAX + 10, n;
    char *line = malloc(big + 1);
    struct cap *cap;

    (void)state;
    assert_non_null(line);
    /* a valid event with a 3000-byte password: evidence is capped at 1 KiB */
    n = (size_t)snprintf(line, big, "{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\","
                         "\"password\":\"");
    memset(line + n, 'A', 3000);
    n += 3000;
    memcpy(line + n, "\"}", 3);
    cap = lines_ok(line, 1);
    assert_int_equal(strlen(cap->c[0].r.evidence), BW_EVIDENCE_MAX);
    assert_memory_equal(cap->c[0].r.evidence, line, BW_EVIDENCE_MAX);
    free(cap);
    /* evidence is cut on a UTF-8 boundary */
    n = (size_t)snprintf(line, big, "{\"eventid\":\"cowrie.login.failed\",\"src_ip\":\"1.2.3.4\","
                         "\"password\":\"");
    while (n < 1100) {
        memcpy(line + n, "\xe2\x82\xac", 3);
        n += 3;
    }
    memcpy(line + n, "\"}", 3);
    cap = lines_ok(line, 1);
    assert_true(bw_utf8_valid(cap->c[0].r.evidence, strlen(cap->c[0].r.evidence)));
    assert_true(strlen(cap->c[0].r.evidence) > BW_EVIDENCE_MAX - 3);
    free(cap);
    memset(line, ' ', big);
    line[0] = '{';
    rejects_len(line, big, BW_REJECT_LINE_TOO_LONG);
    free(line);
}

static void garbage_and_truncations_never_crash(void **state)
{
    struct bw_parser *p = new_parser();
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    static const char alphabet[] = "{}[]\":,\\u0123456789ae \x80\r\n\t";
    char buf[1024];
    unsigned seed = 12345;
    size_t len;

    (void)state;
    ev(buf, sizeof(buf), "cowrie.session.file_download", "\"url\":\"http://[2a02::1]:81/x\"");
    len = strlen(buf);
    /* every prefix of a valid line is rejected, and none reads past its end */
    for (size_t k = 0; k < len; k++) {
        char *cut = malloc(k + 1);
        int rc;

        assert_non_null(cut);
        memcpy(cut, buf, k);
        rc = bw_parser_line(p, cut, k, 1, emit_copy, cap, &err);
        assert_int_equal(rc, BW_EMALFORMED);
        free(cut);
    }
    assert_int_equal(cap->n, 0);
    for (int i = 0; i < 2000; i++) {
        char junk[256];
        size_t n = (size_t)(rand_r(&seed) % sizeof(junk));
        int rc;

        for (size_t k = 0; k < n; k++) {
            if (rand_r(&seed) % 3 == 0)
                junk[k] = alphabet[(size_t)rand_r(&seed) % (sizeof(alphabet) - 1)];
            else
                junk[k] = (char)rand_r(&seed);
        }
        cap->n = 0;
        rc = bw_parser_line(p, junk, n, 1, emit_copy, cap, &err);
        assert_true(rc == BW_EMALFORMED || rc >= 0);
        if (rc == BW_EMALFORMED)
            assert_true((unsigned)err.reason < BW_REJECT_COUNT);
    }
    bw_parser_free(p);
    free(cap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_builds_cowrie),
        cmocka_unit_test(detects_cowrie_lines),
        cmocka_unit_test(fail2ban_sample_gives_one_login_report),
        cmocka_unit_test(login_failed_is_bruteforce),
        cmocka_unit_test(port_defaults_to_22_and_time_to_now),
        cmocka_unit_test(other_events_give_no_report),
        cmocka_unit_test(identical_events_in_one_second_get_seq),
        cmocka_unit_test(banner_follows_its_session_only),
        cmocka_unit_test(banner_escapes_are_decoded),
        cmocka_unit_test(session_table_is_bounded),
        cmocka_unit_test(download_from_an_address),
        cmocka_unit_test(download_urls),
        cmocka_unit_test(unusable_urls_report_only_the_client),
        cmocka_unit_test(failed_download_names_the_controller_only),
        cmocka_unit_test(emit_return_stops_the_line),
        cmocka_unit_test(rejections_have_reasons),
        cmocka_unit_test(json_syntax_is_checked_everywhere),
        cmocka_unit_test(json_that_is_valid_is_accepted),
        cmocka_unit_test(escaped_src_ip_and_nul_are_refused),
        cmocka_unit_test(long_lines_and_evidence_cap),
        cmocka_unit_test(garbage_and_truncations_never_crash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
