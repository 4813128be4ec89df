/*
 * tests/unit/parsers/test_suricata.c - the Suricata EVE format through parsers.h: the real
 * samples (exact counts), the category mapping tables, bot or c2 by direction, server-side
 * categories, fields, every rejection reason, the JSON scanner's edge cases, and detection.
 */
#include "test.h"
#include "parsers/parsers.h"

#include <stdio.h>
#include <stdlib.h>

#define NOW INT64_C(1780000000) /* 2026-05-28T20:26:40Z */
#define STR_CAP 2048
#define MAX_REPORTS 16

enum { S_EVIDENCE, S_CONTROLLER, S_SOURCE, S_N };

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
    k->r.controller = keep(k->s[S_CONTROLLER], r->controller);
    k->r.source = keep(k->s[S_SOURCE], r->source);
    assert_null(r->host);
    assert_null(r->banner);
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
    struct bw_parser *p = bw_parser_new("suricata", NOW);

    assert_non_null(p);
    return p;
}

static struct cap *lines_ok(const char *line, int want)
{
    struct bw_parser *p = new_parser();
    struct cap *cap = cap_new();
    struct bw_parse_error err = { 0 };
    int rc = bw_parser_line(p, line, strlen(line), 5, emit_copy, cap, &err);

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

/* An alert line from 81.2.69.142:40000 to 81.2.69.160:80 with the given category, signature
 * and extra top-level members. */
static const char *alert(char *buf, size_t cap, const char *category, const char *signature,
                         const char *extra)
{
    snprintf(buf, cap,
             "{\"timestamp\":\"2026-05-01T10:00:00.250000+0000\",\"flow_id\":1,\"event_type\":"
             "\"alert\",\"src_ip\":\"81.2.69.142\",\"src_port\":40000,\"dest_ip\":\"81.2.69.160\","
             "\"dest_port\":80,\"proto\":\"TCP\",\"alert\":{\"action\":\"allowed\",\"gid\":1,"
             "\"signature_id\":2000001,\"rev\":3,\"signature\":\"%s\",\"category\":\"%s\","
             "\"severity\":2,\"metadata\":{\"x\":[\"y\"]}}%s%s}",
             signature, category, extra[0] != '\0' ? "," : "", extra);
    return buf;
}

/* ---- registry and detection ---- */

static void registry_builds_suricata(void **state)
{
    struct bw_parser *p = new_parser();

    (void)state;
    assert_string_equal(bw_parser_format(p), "suricata");
    assert_null(bw_parser_default_reporter(p));
    bw_parser_free(p);
}

static void detects_eve_lines(void **state)
{
    static const char head[] = "{\"timestamp\":\"2022-07-12T06:22:33+0000\",\"event_type\":"
                               "\"flow\",\"src_ip\":\"1.2.3.4\"}\n";
    static const char spaced[] = "{\"event_type\" : \"alert\"}\n";
    static const char cowrie[] = "{\"eventid\":\"cowrie.session.connect\"}\n";

    (void)state;
    assert_string_equal(bw_parser_detect(head, sizeof(head) - 1), "suricata");
    assert_string_equal(bw_parser_detect(spaced, sizeof(spaced) - 1), "suricata");
    assert_true(strcmp(bw_parser_detect(cowrie, sizeof(cowrie) - 1), "suricata") != 0);
}

/* ---- the real samples ---- */

struct tally {
    size_t lines, reports, rejected;
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
    snprintf(path, sizeof(path), "%s/suricata/%s", dir, name);
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
        if (n == 0)
            continue;
        rc = bw_parser_line(p, line, (size_t)n, t->lines, emit_copy, t->cap, &err);
        if (rc < 0)
            t->rejected++;
        else
            t->reports += (size_t)rc;
    }
    free(line);
    fclose(f);
    bw_parser_free(p);
}

static void docs_examples_give_the_trojan_alert(void **state)
{
    struct tally t;
    const struct bw_report *r;

    (void)state;
    run_file("eve_examples_from_docs.ndjson", &t);
    assert_int_equal(t.lines, 14);
    assert_int_equal(t.rejected, 0);
    assert_int_equal(t.reports, 1); /* of 2 alerts; the HUNTING one maps to nothing */
    r = &t.cap->c[0].r;
    assert_addr(&r->addr, "142.11.240.191");
    assert_int_equal(r->cats, CAT(C2)); /* a trojan alert on traffic to the client */
    assert_int_equal(r->port, 35361);   /* the controller's own port */
    assert_int_equal(r->proto, BW_PROTO_TCP);
    assert_int_equal(r->line, 2);
    assert_int_equal(r->time_s, INT64_C(1695017621)); /* 2023-09-18T06:13:41+0000 */
    assert_null(r->controller);
    assert_string_equal(r->evidence,
                        "[1:2045001:1] ET ATTACK_RESPONSE Win32/LeftHook Stealer Browser "
                        "Extension Config Inbound [Classification: A Network Trojan was "
                        "detected] [Priority: 1]");
    assert_string_equal(r->source, "suricata");
    free(t.cap);
}

static void crowdsec_detect_sample(void **state)
{
    struct tally t;

    (void)state;
    run_file("suricata-eve-detect.log", &t);
    assert_int_equal(t.lines, 4);
    assert_int_equal(t.rejected, 0);
    assert_int_equal(t.reports, 4);
    assert_addr(&t.cap->c[0].r.addr, "1.2.3.4");
    assert_int_equal(t.cap->c[0].r.cats, CAT(EXPLOIT) | CAT(WEB_ATTACK));
    assert_int_equal(t.cap->c[0].r.port, 80);
    for (int i = 1; i < 4; i++) {
        assert_addr(&t.cap->c[i].r.addr, "2.2.3.4");
        assert_int_equal(t.cap->c[i].r.cats, CAT(SCAN));
        assert_int_equal(t.cap->c[i].r.port, 5060);
        assert_int_equal(t.cap->c[i].r.line, (uint64_t)i + 1);
    }
    free(t.cap);
}

static void crowdsec_evelog_sample(void **state)
{
    static const char *const want[] = { "1.2.3.4", "1.2.3.5", "1.2.3.7", "1.2.3.7" };
    static const uint64_t lines[] = { 1, 2, 5, 8 };
    struct tally t;

    (void)state;
    run_file("suricata-logs-evelog.log", &t);
    assert_int_equal(t.lines, 8);
    assert_int_equal(t.rejected, 0); /* flow and stats records (large, nested) give nothing */
    assert_int_equal(t.reports, 4);
    for (int i = 0; i < 4; i++) {
        assert_addr(&t.cap->c[i].r.addr, want[i]);
        assert_int_equal(t.cap->c[i].r.line, lines[i]);
        assert_true((t.cap->c[i].r.cats & CAT(WEB_ATTACK)) != 0);
    }
    assert_int_equal(t.cap->c[0].r.cats, CAT(EXPLOIT) | CAT(WEB_ATTACK)); /* OGNL injection */
    assert_int_equal(t.cap->c[1].r.cats, CAT(WEB_ATTACK)); /* HUNTING ... Directory Traversal */
    /* "-0000" is an offset too */
    assert_int_equal(t.cap->c[3].r.time_s - t.cap->c[2].r.time_s, 86400);
    free(t.cap);
}

/* ---- mapping tables ---- */

struct map_case {
    const char *category;
    const char *signature;
    bw_catmask want; /* for the source, to_server */
};

static void categories_map_from_classification_and_signature(void **state)
{
    static const struct map_case cases[] = {
        { "Attempted Administrator Privilege Gain", "x", CAT(EXPLOIT) },
        { "Attempted User Privilege Gain", "x", CAT(EXPLOIT) },
        { "Web Application Attack", "x", CAT(WEB_ATTACK) },
        { "Attempted Information Leak", "x", CAT(SCAN) },
        { "Detection of a Network Scan", "x", CAT(SCAN) },
        { "Attempted Denial of Service", "x", CAT(DDOS) },
        { "Detection of a Denial of Service Attack", "x", CAT(DDOS) },
        { "Attempt to login by a default username and password", "x", CAT(BRUTEFORCE) },
        { "A Network Trojan was detected", "x", CAT(BOT) },
        { "Malware Command and Control Activity Detected", "x", CAT(BOT) },
        { "Crypto Currency Mining Activity Detected", "x", CAT(BOT) },
        { "Misc Attack", "x", CAT(EXPLOIT) },
        { "", "ET SCAN Potential SSH Scan", CAT(SCAN) },
        { "", "ETPRO SCAN Something", CAT(SCAN) },
        { "", "GPL SCAN nmap XMAS", CAT(SCAN) },
        { "", "ET EXPLOIT Possible Something", CAT(EXPLOIT) },
        { "", "ET WEB_SERVER Something", CAT(WEB_ATTACK) },
        { "", "ET WEB_SPECIFIC_APPS Something", CAT(WEB_ATTACK) },
        { "", "ET DOS Possible NTP DDoS", CAT(DDOS) },
        { "", "ET MALWARE Mirai Variant Checkin", CAT(BOT) },
        { "", "ET CNC Feodo Tracker Reported CnC Server group 1", CAT(BOT) },
        { "", "ET COMPROMISED Known Compromised or Hostile Host Traffic", CAT(SCAN) },
        { "", "ET CINS Active Threat Intelligence Poor Reputation IP", CAT(SCAN) },
        { "", "ET SCAN Rapid POP3 Connections - Possible Brute Force Attack",
          CAT(SCAN) | CAT(BRUTEFORCE) },
        { "Potentially Bad Traffic", "ET HUNTING Possible SQL Injection Attempt",
          CAT(WEB_ATTACK) },
        { "Attempted Administrator Privilege Gain", "ET WEB_SERVER Possible XSS Attempt",
          CAT(EXPLOIT) | CAT(WEB_ATTACK) },
        { "A Network Trojan was detected", "ET MALWARE Something", CAT(BOT) },
    };
    char buf[2048];

    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        struct cap *cap = lines_ok(alert(buf, sizeof(buf), cases[i].category,
                                         cases[i].signature, ""), 1);

        if (cap->c[0].r.cats != cases[i].want)
            fail_msg("\"%s\" / \"%s\": categories %#x, want %#x", cases[i].category,
                     cases[i].signature, cap->c[0].r.cats, cases[i].want);
        free(cap);
    }
}

static void alerts_meaning_nothing_give_no_report(void **state)
{
    static const char *const quiet[][2] = {
        { "Potentially Bad Traffic", "ET HUNTING GENERIC SUSPICIOUS POST" },
        { "Misc activity", "ET INFO Observed DNS Query to .cloud TLD" },
        { "Potential Corporate Privacy Violation", "ET POLICY curl User-Agent Outbound" },
        { "Generic Protocol Command Decode", "SURICATA HTTP unable to match response" },
        { "Not Suspicious Traffic", "ETSCAN is not a ruleset word" },
        { "attempted-admin", "et scan lower case is not the ruleset" },
    };
    char buf[2048];

    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(quiet); i++)
        free(lines_ok(alert(buf, sizeof(buf), quiet[i][0], quiet[i][1], ""), 0));
    /* alerts without a category or signature at all */
    free(lines_ok("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\",\"alert\":{}}", 0));
}

static void non_alert_events_give_no_report(void **state)
{
    static const char *const events[] = {
        "{\"event_type\":\"flow\",\"src_ip\":\"1.2.3.4\",\"flow\":{\"src_ip\":\"1.2.3.4\"}}",
        "{\"event_type\":\"stats\",\"stats\":{\"uptime\":1,\"decoder\":{\"pkts\":[1,2]}}}",
        "{\"event_type\":\"dns\"}",
        "{\"event_type\":\"alerts\",\"src_ip\":\"x\"}",
        /* not an alert, so fields it would need are not judged */
        "{\"event_type\":\"http\",\"src_ip\":\"not an address\",\"dest_port\":\"x\"}",
    };

    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(events); i++)
        free(lines_ok(events[i], 0));
}

/* ---- direction ---- */

static void trojan_to_server_is_a_bot_naming_its_controller(void **state)
{
    char buf[2048];
    struct cap *cap;
    const struct bw_report *r;

    (void)state;
    cap = lines_ok(alert(buf, sizeof(buf), "A Network Trojan was detected",
                         "ET MALWARE Win32/Something CnC Checkin", "\"direction\":\"to_server\""),
                   1);
    r = &cap->c[0].r;
    assert_addr(&r->addr, "81.2.69.142");
    assert_int_equal(r->cats, CAT(BOT));
    assert_int_equal(r->port, 80);
    assert_string_equal(r->controller, "81.2.69.160");
    free(cap);
}

static void trojan_direction_from_the_flow_initiator(void **state)
{
    char buf[2048];
    struct cap *cap;

    (void)state;
    /* the alert's source did not start the flow: it answered, so it is the server */
    cap = lines_ok(alert(buf, sizeof(buf), "A Network Trojan was detected", "x",
                         "\"flow\":{\"pkts_toserver\":3,\"src_ip\":\"81.2.69.160\"}"), 1);
    assert_int_equal(cap->c[0].r.cats, CAT(C2));
    assert_int_equal(cap->c[0].r.port, 40000);
    assert_null(cap->c[0].r.controller);
    free(cap);
    cap = lines_ok(alert(buf, sizeof(buf), "A Network Trojan was detected", "x",
                         "\"flow\":{\"src_ip\":\"81.2.69.142\"}"), 1);
    assert_int_equal(cap->c[0].r.cats, CAT(BOT));
    free(cap);
    /* an explicit direction wins over the flow */
    cap = lines_ok(alert(buf, sizeof(buf), "A Network Trojan was detected", "x",
                         "\"direction\":\"to_server\",\"flow\":{\"src_ip\":\"81.2.69.160\"}"),
                   1);
    assert_int_equal(cap->c[0].r.cats, CAT(BOT));
    free(cap);
}

static void server_side_categories_name_the_server(void **state)
{
    char buf[2048];
    struct cap *cap;

    (void)state;
    /* a victim posting credentials (to_server): the phishing host is the destination */
    cap = lines_ok(alert(buf, sizeof(buf), "Successful Credential Theft Detected",
                         "ET PHISHING Successful Generic Phish", "\"direction\":\"to_server\""),
                   1);
    assert_addr(&cap->c[0].r.addr, "81.2.69.160");
    assert_int_equal(cap->c[0].r.cats, CAT(PHISHING));
    assert_int_equal(cap->c[0].r.port, 80);
    free(cap);
    /* a landing page served (to_client): the source is the host */
    cap = lines_ok(alert(buf, sizeof(buf), "Exploit Kit Activity Detected",
                         "ET EXPLOIT_KIT Landing Page", "\"direction\":\"to_client\""), 1);
    assert_addr(&cap->c[0].r.addr, "81.2.69.142");
    assert_int_equal(cap->c[0].r.cats, CAT(MALWARE));
    assert_int_equal(cap->c[0].r.port, 40000);
    free(cap);
    /* an attacker and a server side in one alert: two reports */
    cap = lines_ok(alert(buf, sizeof(buf), "Web Application Attack", "ET PHISHING x", ""), 2);
    assert_addr(&cap->c[0].r.addr, "81.2.69.142");
    assert_int_equal(cap->c[0].r.cats, CAT(WEB_ATTACK));
    assert_addr(&cap->c[1].r.addr, "81.2.69.160");
    assert_int_equal(cap->c[1].r.cats, CAT(PHISHING));
    free(cap);
}

/* ---- fields ---- */

static void fields_and_protocols(void **state)
{
    static const struct {
        const char *proto;
        uint8_t want;
    } protos[] = {
        { "\"UDP\"", BW_PROTO_UDP }, { "\"ICMP\"", BW_PROTO_ICMP }, { "\"IPv6-ICMP\"", 58 },
        { "\"tcp\"", BW_PROTO_TCP }, { "\"047\"", 47 },           { "17", 17 },
        { "\"FOO\"", 0 },            { "null", 0 },
    };
    char buf[2048], line[2048];

    (void)state;
    alert(buf, sizeof(buf), "Detection of a Network Scan", "x", "");
    for (size_t i = 0; i < BW_ARRAY_LEN(protos); i++) {
        struct cap *cap;
        char *at;

        snprintf(line, sizeof(line), "%s", buf);
        at = strstr(line, "\"proto\":\"TCP\"");
        assert_non_null(at);
        snprintf(at, sizeof(line) - (size_t)(at - line), "\"proto\":%s%s", protos[i].proto,
                 strstr(buf, "\"proto\":\"TCP\"") + 13);
        cap = lines_ok(line, 1);
        if (cap->c[0].r.proto != protos[i].want)
            fail_msg("proto %s: got %u, want %u", protos[i].proto, cap->c[0].r.proto,
                     protos[i].want);
        free(cap);
    }
}

static void times_and_evidence(void **state)
{
    char buf[2048];
    struct cap *cap;

    (void)state;
    cap = lines_ok(alert(buf, sizeof(buf), "Detection of a Network Scan",
                         "ET SCAN \\\"quoted\\\" caf\\u00e9 \\ud83d\\ude00", ""), 1);
    assert_int_equal(cap->c[0].r.time_s, INT64_C(1777629600)); /* 2026-05-01T10:00:00Z */
    assert_int_equal(cap->c[0].r.line, 5);
    assert_int_equal(cap->c[0].r.seq, 0);
    assert_string_equal(cap->c[0].r.evidence,
                        "[1:2000001:3] ET SCAN \"quoted\" caf\xc3\xa9 \xf0\x9f\x98\x80 "
                        "[Classification: Detection of a Network Scan] [Priority: 2]");
    free(cap);
    cap = lines_ok("{\"timestamp\":\"2017-04-07T22:24:37.251547+0100\",\"event_type\":"
                   "\"alert\",\"src_ip\":\"1.2.3.4\",\"alert\":{\"signature\":\"ET SCAN x\"}}", 1);
    assert_int_equal(cap->c[0].r.time_s, INT64_C(1491600277)); /* 21:24:37Z */
    assert_string_equal(cap->c[0].r.evidence, "ET SCAN x [Classification: ]");
    assert_int_equal(cap->c[0].r.port, 0);
    assert_int_equal(cap->c[0].r.proto, 0);
    free(cap);
    cap = lines_ok("{\"timestamp\":\"2026-01-02T03:04:05Z\",\"event_type\":\"alert\","
                   "\"src_ip\":\"2001:db8::1\",\"alert\":{\"signature\":\"ET SCAN x\"}}", 1);
    assert_int_equal(cap->c[0].r.time_s, INT64_C(1767323045));
    free(cap);
    cap = lines_ok("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\",\"alert\":"
                   "{\"signature\":\"ET SCAN x\"}}", 1);
    assert_int_equal(cap->c[0].r.time_s, NOW);
    free(cap);
}

static void long_signature_is_capped(void **state)
{
    char sig[3000], *buf = malloc(8000);
    struct cap *cap;

    (void)state;
    assert_non_null(buf);
    memcpy(sig, "ET SCAN ", 8);
    for (size_t i = 8; i + 2 < sizeof(sig); i += 2)
        memcpy(sig + i, "\xc3\xa9", 2);
    sig[sizeof(sig) - 1 - (sizeof(sig) - 9) % 2] = '\0';
    cap = lines_ok(alert(buf, 8000, "", sig, ""), 1);
    assert_true(strlen(cap->c[0].r.evidence) <= BW_EVIDENCE_MAX);
    assert_true(strlen(cap->c[0].r.evidence) >= BW_EVIDENCE_MAX - 2);
    assert_true(bw_utf8_valid(cap->c[0].r.evidence, strlen(cap->c[0].r.evidence)));
    free(cap);
    free(buf);
}

static void repeats_in_one_second_get_seq(void **state)
{
    struct bw_parser *p = new_parser();
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    char buf[2048];

    (void)state;
    alert(buf, sizeof(buf), "Detection of a Network Scan", "x", "");
    for (int i = 0; i < 3; i++)
        assert_int_equal(bw_parser_line(p, buf, strlen(buf), 1, emit_copy, cap, &err), 1);
    assert_int_equal(cap->c[0].r.seq, 0);
    assert_int_equal(cap->c[1].r.seq, 1);
    assert_int_equal(cap->c[2].r.seq, 2);
    bw_parser_free(p);
    free(cap);
}

/* ---- bad input ---- */

static void rejections_have_reasons(void **state)
{
    char buf[2048];

    (void)state;
    rejects("garbage", BW_REJECT_MALFORMED);
    rejects("{\"event_type\":\"alert\"", BW_REJECT_MALFORMED);
    rejects("{\"timestamp\":\"2022-07-12T06:22:33+0000\"}", BW_REJECT_MALFORMED);
    rejects("{\"event_type\":\"alert\",\"event_type\":\"flow\"}", BW_REJECT_MALFORMED);
    rejects("{\"event_type\":\"alert\",\"alert\":{\"signature\":\"a\",\"signature\":\"b\"}}",
            BW_REJECT_MALFORMED);
    rejects("{\"event_type\":[\"alert\"]}", BW_REJECT_INVALID_FIELD);
    rejects("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\"}", BW_REJECT_INVALID_FIELD);
    rejects("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\",\"alert\":\"ET SCAN\"}",
            BW_REJECT_INVALID_FIELD);
    rejects("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\",\"alert\":{\"signature\":7}}",
            BW_REJECT_INVALID_FIELD);
    rejects("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\",\"alert\":{\"category\":{}}}",
            BW_REJECT_INVALID_FIELD);
    rejects("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\",\"alert\":{\"signature\":"
            "\"ET SCAN x\",\"severity\":\"high\"}}", BW_REJECT_INVALID_FIELD);
    rejects("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\",\"alert\":{\"signature\":"
            "\"ET SCAN x\",\"signature_id\":-5}}", BW_REJECT_INVALID_FIELD);
    rejects("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\",\"proto\":{},\"alert\":"
            "{\"signature\":\"ET SCAN x\"}}", BW_REJECT_INVALID_FIELD);
    rejects("{\"event_type\":\"alert\",\"alert\":{\"signature\":\"ET SCAN x\"}}",
            BW_REJECT_MISSING_IP);
    rejects("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3\",\"alert\":{\"signature\":"
            "\"ET SCAN x\"}}", BW_REJECT_INVALID_IP);
    rejects("{\"event_type\":\"alert\",\"src_ip\":null,\"alert\":{\"signature\":"
            "\"ET SCAN x\"}}", BW_REJECT_INVALID_IP);
    rejects("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\",\"dest_port\":65536,\"alert\":"
            "{\"signature\":\"ET SCAN x\"}}", BW_REJECT_INVALID_PORT);
    rejects("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\",\"src_port\":\"80\",\"alert\":"
            "{\"signature\":\"ET SCAN x\"}}", BW_REJECT_INVALID_PORT);
    rejects("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\",\"dest_port\":8.5,\"alert\":"
            "{\"signature\":\"ET SCAN x\"}}", BW_REJECT_INVALID_PORT);
    rejects("{\"timestamp\":\"2022-13-12T06:22:33+0000\",\"event_type\":\"alert\",\"src_ip\":"
            "\"1.2.3.4\",\"alert\":{\"signature\":\"ET SCAN x\"}}", BW_REJECT_INVALID_TIME);
    rejects("{\"timestamp\":\"2022-07-12T06:22:33+00\",\"event_type\":\"alert\",\"src_ip\":"
            "\"1.2.3.4\",\"alert\":{\"signature\":\"ET SCAN x\"}}", BW_REJECT_INVALID_TIME);
    rejects("{\"timestamp\":1657606953,\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\","
            "\"alert\":{\"signature\":\"ET SCAN x\"}}", BW_REJECT_INVALID_TIME);
    rejects(alert(buf, sizeof(buf), "Detection of a Network Scan", "x\xc0\xaf", ""),
            BW_REJECT_INVALID_UTF8);
    /* invalid UTF-8 is caught even in a record that would give no report */
    rejects("{\"event_type\":\"flow\",\"app_proto\":\"\xed\xa0\x80\"}", BW_REJECT_INVALID_UTF8);
}

static void json_syntax_is_checked_everywhere(void **state)
{
    static const char *const bad[] = {
        "{\"event_type\":\"flow\",\"a\":\"\\q\"}",
        "{\"event_type\":\"flow\",\"a\":\"\\uZZZZ\"}",
        "{\"event_type\":\"flow\",\"a\":\"\\udbff\\udbff\"}",
        "{\"event_type\":\"flow\",\"a\":+1}",
        "{\"event_type\":\"flow\",\"a\":.5}",
        "{\"event_type\":\"flow\",\"a\":nul}",
        "{\"event_type\":\"flow\",\"a\":[1 2]}",
        "{\"event_type\":\"flow\",\"a\":{1:2}}",
        "{\"event_type\":\"flow\"}}",
        "{\"event_type\":\"flow\",\"alert\":{\"signature\":\"x\"}",
        "{\"event_type\":\"flow\"\x01}",
        "\"event_type\"",
    };

    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++)
        rejects(bad[i], BW_REJECT_MALFORMED);
}

static void long_lines_are_refused(void **state)
{
    size_t big = BW_LINE_MAX + 1;
    char *line = malloc(big);

    (void)state;
    assert_non_null(line);
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
    char buf[2048];
    size_t len;

    (void)state;
    alert(buf, sizeof(buf), "A Network Trojan was detected", "ET MALWARE \\u00e9",
          "\"flow\":{\"src_ip\":\"81.2.69.160\"}");
    len = strlen(buf);
    for (size_t k = 0; k < len; k++) {
        char *cut = malloc(k + 1);

        assert_non_null(cut);
        memcpy(cut, buf, k);
        assert_int_equal(bw_parser_line(p, cut, k, 1, emit_copy, cap, &err), BW_EMALFORMED);
        free(cut);
    }
    assert_int_equal(cap->n, 0);
    assert_int_equal(bw_parser_line(p, buf, len, 1, emit_copy, cap, &err), 1);
    bw_parser_free(p);
    free(cap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_builds_suricata),
        cmocka_unit_test(detects_eve_lines),
        cmocka_unit_test(docs_examples_give_the_trojan_alert),
        cmocka_unit_test(crowdsec_detect_sample),
        cmocka_unit_test(crowdsec_evelog_sample),
        cmocka_unit_test(categories_map_from_classification_and_signature),
        cmocka_unit_test(alerts_meaning_nothing_give_no_report),
        cmocka_unit_test(non_alert_events_give_no_report),
        cmocka_unit_test(trojan_to_server_is_a_bot_naming_its_controller),
        cmocka_unit_test(trojan_direction_from_the_flow_initiator),
        cmocka_unit_test(server_side_categories_name_the_server),
        cmocka_unit_test(fields_and_protocols),
        cmocka_unit_test(times_and_evidence),
        cmocka_unit_test(long_signature_is_capped),
        cmocka_unit_test(repeats_in_one_second_get_seq),
        cmocka_unit_test(rejections_have_reasons),
        cmocka_unit_test(json_syntax_is_checked_everywhere),
        cmocka_unit_test(long_lines_are_refused),
        cmocka_unit_test(garbage_and_truncations_never_crash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
