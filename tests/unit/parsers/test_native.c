/*
 * tests/unit/parsers/test_native.c - the native NDJSON and CSV formats through parsers.h:
 * every field, defaults, every rejection reason, CSV quoting and columns, and format detection.
 */
#include "test.h"
#include "parsers/parsers.h"

#include <stdio.h>
#include <stdlib.h>

#define NOW INT64_C(1780000000) /* 2026-05-28T20:26:40Z */
#define STR_CAP 2048

/* ---- a capturing emit callback: reports are copied, strings included ---- */

enum { S_REPORTER, S_EVIDENCE, S_BANNER, S_CONTROLLER, S_FAMILY, S_TARGET, S_SOURCE, S_N };

struct copy {
    struct bw_report r; /* string pointers point into s[] (or are NULL) */
    char s[S_N][STR_CAP];
};

struct cap {
    size_t n;
    int emit_rc; /* what emit returns */
    struct copy c[4];
};

static const char *keep(char *dst, const char *src)
{
    if (src == NULL)
        return NULL;
    size_t n = strlen(src);

    assert_true(n < STR_CAP);
    memcpy(dst, src, n + 1);
    return dst;
}

static int emit_copy(void *ctx, const struct bw_report *r)
{
    struct cap *cap = ctx;
    struct copy *k;

    assert_true(cap->n < BW_ARRAY_LEN(cap->c));
    k = &cap->c[cap->n++];
    k->r = *r;
    k->r.reporter = keep(k->s[S_REPORTER], r->reporter);
    k->r.evidence = keep(k->s[S_EVIDENCE], r->evidence);
    k->r.banner = keep(k->s[S_BANNER], r->banner);
    k->r.controller = keep(k->s[S_CONTROLLER], r->controller);
    k->r.family = keep(k->s[S_FAMILY], r->family);
    k->r.target = keep(k->s[S_TARGET], r->target);
    k->r.source = keep(k->s[S_SOURCE], r->source);
    return cap->emit_rc;
}

static struct cap *cap_new(void)
{
    struct cap *cap = calloc(1, sizeof(*cap));

    assert_non_null(cap);
    return cap;
}

static struct bw_addr addr(const char *s)
{
    struct bw_addr a;

    if (bw_addr_parse(&a, s, strlen(s)) != BW_OK)
        fail_msg("%s: test address does not parse", s);
    return a;
}

static void assert_addr(const struct bw_addr *got, const char *want)
{
    struct bw_addr w = addr(want);
    char buf[BW_ADDR_TEXT_MAX];

    if (bw_addr_cmp(got, &w) != 0)
        fail_msg("address %s, want %s", bw_addr_format(got, buf), want);
}

#define CAT(c) (1u << (BW_CAT_##c))

/* One NDJSON line through a fresh parser, as line 7. */
static int nd(struct cap *cap, struct bw_parse_error *err, const char *line)
{
    struct bw_parser *p = bw_parser_new("ndjson", NOW);
    int rc;

    assert_non_null(p);
    rc = bw_parser_line(p, line, strlen(line), 7, emit_copy, cap, err);
    bw_parser_free(p);
    return rc;
}

/* A header, then one row (line 2) through a fresh CSV parser. */
static int csv(struct cap *cap, struct bw_parse_error *err, const char *header, const char *row)
{
    struct bw_parser *p = bw_parser_new("csv", NOW);
    int rc;

    assert_non_null(p);
    rc = bw_parser_line(p, header, strlen(header), 1, emit_copy, cap, err);
    if (rc != 0) {
        bw_parser_free(p);
        fail_msg("header \"%s\": got %d (%s), want 0", header, rc, err->detail);
    }
    rc = bw_parser_line(p, row, strlen(row), 2, emit_copy, cap, err);
    bw_parser_free(p);
    return rc;
}

/* After a struct copy, points the strings of k into k's own arrays. */
static void repoint(struct copy *k)
{
    const char **f[S_N] = { &k->r.reporter, &k->r.evidence, &k->r.banner, &k->r.controller,
                            &k->r.family, &k->r.target, &k->r.source };

    for (int i = 0; i < S_N; i++) {
        if (*f[i] != NULL)
            *f[i] = k->s[i];
    }
}

/* The line parses into exactly one report, copied into *out. */
static void nd_ok(const char *line, struct copy *out)
{
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    int rc = nd(cap, &err, line);

    if (rc != 1 || cap->n != 1) {
        free(cap);
        fail_msg("%s: got rc %d (%s), want one report", line, rc, err.detail);
    }
    *out = cap->c[0];
    repoint(out);
    free(cap);
}

static void csv_ok(const char *header, const char *row, struct copy *out)
{
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    int rc = csv(cap, &err, header, row);

    if (rc != 1 || cap->n != 1) {
        free(cap);
        fail_msg("%s / %s: got rc %d (%s), want one report", header, row, rc, err.detail);
    }
    *out = cap->c[0];
    repoint(out);
    free(cap);
}

static void check_rejection(const char *what, int rc, const struct cap *cap,
                            const struct bw_parse_error *err, enum bw_reject want)
{
    if (rc != BW_EMALFORMED)
        fail_msg("%s: got rc %d, want BW_EMALFORMED", what, rc);
    if (err->reason != want)
        fail_msg("%s: rejected as %s (%s), want %s", what, bw_reject_name(err->reason),
                 err->detail, bw_reject_name(want));
    if (cap->n != 0)
        fail_msg("%s: rejected but emitted %zu reports", what, cap->n);
    if (err->detail[0] == '\0' || strchr(err->detail, '\n') != NULL)
        fail_msg("%s: detail \"%s\" is not one non-empty line", what, err->detail);
}

static void nd_rejects(const char *line, enum bw_reject want)
{
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    int rc = nd(cap, &err, line);

    check_rejection(line, rc, cap, &err, want);
    free(cap);
}

static void csv_rejects(const char *header, const char *row, enum bw_reject want)
{
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    int rc = csv(cap, &err, header, row);
    char what[512];

    snprintf(what, sizeof(what), "%s / %s", header, row);
    check_rejection(what, rc, cap, &err, want);
    free(cap);
}

/* ---- registry ---- */

static void registry_knows_the_native_formats(void **state)
{
    struct bw_parser *p;
    size_t n = 0;
    (void)state;

    assert_string_equal(bw_parser_formats[0], "ndjson");
    assert_string_equal(bw_parser_formats[1], "csv");
    while (bw_parser_formats[n] != NULL)
        n++;
    assert_true(n >= 13); /* the natives, then logs, honeypots, IDS output and feeds */
    p = bw_parser_new("ndjson", NOW);
    assert_non_null(p);
    assert_string_equal(bw_parser_format(p), "ndjson");
    bw_parser_free(p);
    p = bw_parser_new("csv", NOW);
    assert_non_null(p);
    assert_string_equal(bw_parser_format(p), "csv");
    bw_parser_free(p);
    assert_null(bw_parser_new("xml", NOW));
    assert_null(bw_parser_new("NDJSON", NOW));
    assert_null(bw_parser_new("", NOW));
    bw_parser_free(NULL);
}

/* ---- NDJSON: fields ---- */

static void ndjson_every_field(void **state)
{
    struct copy c;
    (void)state;

    nd_ok("{\"ip\":\"81.2.69.142\",\"time\":\"2026-05-01T12:00:00Z\",\"category\":\"bruteforce\","
          "\"port\":22,\"proto\":\"tcp\",\"reporter\":\"honeypot-7\",\"evidence\":\"Failed "
          "password for root\",\"banner\":\"SSH-2.0-dropbear_2019.78\",\"controller\":"
          "\"cnc.example.net\",\"family\":\"mirai\",\"target\":\"203.0.113.9:22\"}",
          &c);
    assert_addr(&c.r.addr, "81.2.69.142");
    assert_true(bw_addr_is_v4(&c.r.addr));
    assert_int_equal(c.r.time_s, 1777636800);
    assert_int_equal(c.r.cats, CAT(BRUTEFORCE));
    assert_int_equal(c.r.port, 22);
    assert_int_equal(c.r.proto, BW_PROTO_TCP);
    assert_string_equal(c.r.reporter, "honeypot-7");
    assert_string_equal(c.r.evidence, "Failed password for root");
    assert_string_equal(c.r.banner, "SSH-2.0-dropbear_2019.78");
    assert_string_equal(c.r.controller, "cnc.example.net");
    assert_string_equal(c.r.family, "mirai");
    assert_string_equal(c.r.target, "203.0.113.9:22");
    assert_string_equal(c.r.source, "ndjson");
    assert_int_equal(c.r.line, 7);
}

static void ndjson_ipv6_and_mapped(void **state)
{
    struct copy c;
    struct bw_addr v4 = addr("81.2.69.142");
    (void)state;

    nd_ok("{\"ip\":\"2a02:cf40::1\",\"category\":\"scan\"}", &c);
    assert_addr(&c.r.addr, "2a02:cf40::1");
    assert_false(bw_addr_is_v4(&c.r.addr));
    assert_int_equal(c.r.addr.b[0], 0x2a);
    assert_int_equal(c.r.addr.b[15], 0x01);

    /* an IPv4-mapped IPv6 text is the IPv4 address: the same 16 bytes */
    nd_ok("{\"ip\":\"::ffff:81.2.69.142\",\"category\":\"scan\"}", &c);
    assert_true(bw_addr_is_v4(&c.r.addr));
    assert_memory_equal(c.r.addr.b, v4.b, 16);
    nd_ok("{\"ip\":\"::ffff:5102:458e\",\"category\":\"scan\"}", &c);
    assert_memory_equal(c.r.addr.b, v4.b, 16);
}

static void ndjson_time_forms(void **state)
{
    struct copy c;
    (void)state;

    nd_ok("{\"ip\":\"81.2.69.142\",\"time\":\"2026-05-01T12:00:00+02:00\",\"category\":\"scan\"}",
          &c);
    assert_int_equal(c.r.time_s, 1777629600);
    nd_ok("{\"ip\":\"81.2.69.142\",\"time\":\"2026-05-01T12:00:00.750Z\",\"category\":\"scan\"}",
          &c);
    assert_int_equal(c.r.time_s, 1777636800);
    nd_ok("{\"ip\":\"81.2.69.142\",\"time\":1700000000,\"category\":\"scan\"}", &c);
    assert_int_equal(c.r.time_s, 1700000000);
    nd_ok("{\"ip\":\"81.2.69.142\",\"time\":1700000000.75,\"category\":\"scan\"}", &c);
    assert_int_equal(c.r.time_s, 1700000000);
    nd_ok("{\"ip\":\"81.2.69.142\",\"time\":1.7e9,\"category\":\"scan\"}", &c);
    assert_int_equal(c.r.time_s, 1700000000);
    nd_ok("{\"ip\":\"81.2.69.142\",\"time\":\"1700000001\",\"category\":\"scan\"}", &c);
    assert_int_equal(c.r.time_s, 1700000001);
    /* the parser checks syntax only: plausibility is the pipeline's */
    nd_ok("{\"ip\":\"81.2.69.142\",\"time\":0,\"category\":\"scan\"}", &c);
    assert_int_equal(c.r.time_s, 0);
}

static void ndjson_time_defaults_to_now(void **state)
{
    struct copy c;
    (void)state;

    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\"}", &c);
    assert_int_equal(c.r.time_s, NOW);
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"time\":null}", &c);
    assert_int_equal(c.r.time_s, NOW);
}

static void ndjson_absent_fields_are_null_or_zero(void **state)
{
    struct copy c;
    (void)state;

    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\"}", &c);
    assert_int_equal(c.r.port, 0);
    assert_int_equal(c.r.proto, BW_PROTO_NONE);
    assert_null(c.r.reporter);
    assert_null(c.r.evidence);
    assert_null(c.r.banner);
    assert_null(c.r.controller);
    assert_null(c.r.family);
    assert_null(c.r.target);
    /* null is absent too */
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":null,\"reporter\":null,"
          "\"evidence\":null}", &c);
    assert_int_equal(c.r.port, 0);
    assert_null(c.r.reporter);
    assert_null(c.r.evidence);
}

static void ndjson_category_forms(void **state)
{
    struct copy c;
    (void)state;

    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"web-attack\"}", &c);
    assert_int_equal(c.r.cats, CAT(WEB_ATTACK));
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":[\"scan\",\"ddos\"]}", &c);
    assert_int_equal(c.r.cats, CAT(SCAN) | CAT(DDOS));
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan,bruteforce\"}", &c);
    assert_int_equal(c.r.cats, CAT(SCAN) | CAT(BRUTEFORCE));
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"spam; c2|bot proxy\"}", &c);
    assert_int_equal(c.r.cats, CAT(SPAM) | CAT(C2) | CAT(BOT) | CAT(PROXY));
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":[\"malware\",\"malware\",\"phishing,exploit\"]}",
          &c);
    assert_int_equal(c.r.cats, CAT(MALWARE) | CAT(PHISHING) | CAT(EXPLOIT));
}

static void ndjson_port_and_proto(void **state)
{
    struct copy c;
    (void)state;

    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":0}", &c);
    assert_int_equal(c.r.port, 0);
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":65535}", &c);
    assert_int_equal(c.r.port, 65535);
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":\"8080\"}", &c);
    assert_int_equal(c.r.port, 8080);

    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"proto\":\"UDP\"}", &c);
    assert_int_equal(c.r.proto, BW_PROTO_UDP);
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"proto\":\"icmp\"}", &c);
    assert_int_equal(c.r.proto, BW_PROTO_ICMP);
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"proto\":\"Tcp\"}", &c);
    assert_int_equal(c.r.proto, BW_PROTO_TCP);
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"proto\":6}", &c);
    assert_int_equal(c.r.proto, BW_PROTO_TCP);
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"proto\":47}", &c);
    assert_int_equal(c.r.proto, 47);
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"proto\":\"17\"}", &c);
    assert_int_equal(c.r.proto, BW_PROTO_UDP);
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"proto\":255}", &c);
    assert_int_equal(c.r.proto, 255);
}

static void ndjson_reporter_limits(void **state)
{
    char line[512], name[200];
    struct copy c;
    (void)state;

    memset(name, 'r', 127);
    name[127] = '\0';
    snprintf(line, sizeof(line),
             "{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"reporter\":\"%s\"}", name);
    nd_ok(line, &c);
    assert_string_equal(c.r.reporter, name);

    name[127] = 'r';
    name[128] = '\0';
    snprintf(line, sizeof(line),
             "{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"reporter\":\"%s\"}", name);
    nd_rejects(line, BW_REJECT_INVALID_FIELD);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"reporter\":\"\"}",
               BW_REJECT_INVALID_FIELD);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"reporter\":\"a\\u0001b\"}",
               BW_REJECT_INVALID_FIELD);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"reporter\":\"a\\tb\"}",
               BW_REJECT_INVALID_FIELD);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"reporter\":\"a\\u007fb\"}",
               BW_REJECT_INVALID_FIELD);
    /* non-ASCII UTF-8 is fine */
    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"reporter\":\"m\\u00fcnchen\"}", &c);
    assert_string_equal(c.r.reporter, "m\xc3\xbcnchen");
}

/* An NDJSON line whose evidence is `prefix_len` 'a's followed by `tail`. */
static char *evidence_line(size_t prefix_len, const char *tail)
{
    size_t cap = prefix_len + strlen(tail) + 128;
    char *line = malloc(cap);
    size_t n = (size_t)snprintf(line, cap, "{\"ip\":\"81.2.69.142\",\"category\":\"scan\","
                                           "\"evidence\":\"");

    memset(line + n, 'a', prefix_len);
    n += prefix_len;
    snprintf(line + n, cap - n, "%s\"}", tail);
    return line;
}

static void ndjson_evidence_truncated_on_utf8_boundary(void **state)
{
    struct copy c;
    char *line;
    (void)state;

    /* exactly BW_EVIDENCE_MAX bytes: kept whole */
    line = evidence_line(BW_EVIDENCE_MAX - 2, "\xc3\xa9");
    nd_ok(line, &c);
    free(line);
    assert_int_equal(strlen(c.r.evidence), BW_EVIDENCE_MAX);
    assert_memory_equal(c.r.evidence + BW_EVIDENCE_MAX - 2, "\xc3\xa9", 2);

    /* a two-byte sequence straddling the cap is dropped whole */
    line = evidence_line(BW_EVIDENCE_MAX - 1, "\xc3\xa9zz");
    nd_ok(line, &c);
    free(line);
    assert_int_equal(strlen(c.r.evidence), BW_EVIDENCE_MAX - 1);
    assert_true(bw_utf8_valid(c.r.evidence, strlen(c.r.evidence)));

    /* a four-byte sequence straddling the cap, from a JSON surrogate-pair escape */
    line = evidence_line(BW_EVIDENCE_MAX - 2, "\\ud83d\\ude00");
    nd_ok(line, &c);
    free(line);
    assert_int_equal(strlen(c.r.evidence), BW_EVIDENCE_MAX - 2);
    assert_true(bw_utf8_valid(c.r.evidence, strlen(c.r.evidence)));

    /* far over: BW_EVIDENCE_MAX bytes of ASCII kept */
    line = evidence_line(5000, "");
    nd_ok(line, &c);
    free(line);
    assert_int_equal(strlen(c.r.evidence), BW_EVIDENCE_MAX);
    assert_int_equal(c.r.evidence[BW_EVIDENCE_MAX - 1], 'a');
}

static void ndjson_unknown_keys_are_ignored(void **state)
{
    struct copy c;
    (void)state;

    nd_ok("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"x-extra\":{\"a\":[1,2]},"
          "\"IP\":\"not an address\",\"Port\":\"x\"}",
          &c);
    assert_addr(&c.r.addr, "81.2.69.142");
    assert_int_equal(c.r.port, 0);
}

static void ndjson_state_does_not_leak_between_lines(void **state)
{
    struct bw_parser *p = bw_parser_new("ndjson", NOW);
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    const char *l1 = "{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":22,\"proto\":6,"
                     "\"reporter\":\"a\",\"evidence\":\"e\",\"banner\":\"b\",\"time\":1700000000}";
    const char *l2 = "{\"ip\":\"2a02:cf40::1\",\"category\":\"ddos\"}";
    (void)state;

    assert_int_equal(bw_parser_line(p, l1, strlen(l1), 1, emit_copy, cap, &err), 1);
    assert_int_equal(bw_parser_line(p, l2, strlen(l2), 2, emit_copy, cap, &err), 1);
    assert_int_equal(cap->n, 2);
    assert_int_equal(cap->c[1].r.cats, CAT(DDOS));
    assert_int_equal(cap->c[1].r.port, 0);
    assert_int_equal(cap->c[1].r.proto, 0);
    assert_int_equal(cap->c[1].r.time_s, NOW);
    assert_null(cap->c[1].r.reporter);
    assert_null(cap->c[1].r.evidence);
    assert_null(cap->c[1].r.banner);
    assert_int_equal(cap->c[1].r.line, 2);
    bw_parser_free(p);
    free(cap);
}

static void emit_return_value_is_passed_back(void **state)
{
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    (void)state;

    cap->emit_rc = 42;
    assert_int_equal(nd(cap, &err, "{\"ip\":\"81.2.69.142\",\"category\":\"scan\"}"), 42);
    assert_int_equal(cap->n, 1);
    cap->n = 0;
    cap->emit_rc = BW_EIO;
    assert_int_equal(csv(cap, &err, "ip,category", "81.2.69.142,scan"), BW_EIO);
    assert_int_equal(cap->n, 1);
    free(cap);
}

/* ---- NDJSON: rejections ---- */

static void ndjson_rejects_malformed(void **state)
{
    (void)state;
    nd_rejects("{\"ip\":", BW_REJECT_MALFORMED);
    nd_rejects("not json at all", BW_REJECT_MALFORMED);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\"} trailing", BW_REJECT_MALFORMED);
    nd_rejects("{'ip':'81.2.69.142'}", BW_REJECT_MALFORMED);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",}", BW_REJECT_MALFORMED);
}

static void ndjson_rejects_non_objects(void **state)
{
    (void)state;
    nd_rejects("[{\"ip\":\"81.2.69.142\",\"category\":\"scan\"}]", BW_REJECT_MALFORMED);
    nd_rejects("\"81.2.69.142\"", BW_REJECT_MALFORMED);
    nd_rejects("42", BW_REJECT_MALFORMED);
    nd_rejects("null", BW_REJECT_MALFORMED);
}

static void ndjson_rejects_duplicate_keys(void **state)
{
    (void)state;
    nd_rejects("{\"ip\":\"81.2.69.142\",\"ip\":\"81.2.69.143\",\"category\":\"scan\"}",
               BW_REJECT_MALFORMED);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"category\":\"ddos\"}",
               BW_REJECT_MALFORMED);
}

static void ndjson_rejects_missing_ip(void **state)
{
    (void)state;
    nd_rejects("{\"category\":\"scan\"}", BW_REJECT_MISSING_IP);
    nd_rejects("{\"ip\":null,\"category\":\"scan\"}", BW_REJECT_MISSING_IP);
    nd_rejects("{}", BW_REJECT_MISSING_IP);
}

static int keep_addr(void *ctx, const struct bw_report *r)
{
    struct bw_report *got = ctx;

    got->addr = r->addr;
    got->net_len = r->net_len;
    return 0;
}

static void ndjson_ip_may_be_a_network_listing(void **state)
{
    struct bw_parser *p = bw_parser_new("ndjson", NOW);
    struct bw_report got;
    struct bw_parse_error err;
    char text[BW_ADDR_TEXT_MAX];
    static const struct {
        const char *line;
        const char *addr;
        unsigned net_len;
    } cases[] = {
        { "{\"ip\":\"81.2.69.0/24\",\"category\":\"malware\"}", "81.2.69.0", 120 },
        { "{\"ip\":\"81.2.69.142/32\",\"category\":\"scan\"}", "81.2.69.142", 0 },
        { "{\"ip\":\"2a02:cf40::/32\",\"category\":\"scan\"}", "2a02:cf40::", 32 },
    };
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        assert_int_equal(bw_parser_line(p, cases[i].line, strlen(cases[i].line), 1, keep_addr,
                                        &got, &err), 1);
        assert_string_equal(bw_addr_format(&got.addr, text), cases[i].addr);
        assert_int_equal(got.net_len, cases[i].net_len);
    }
    bw_parser_free(p);
}

static void ndjson_rejects_invalid_ip(void **state)
{
    static const char *const bad[] = {
        "81.2.69", "81.2.69.256", "081.2.69.142", " 81.2.69.142", "81.2.69.142 ",
        "fe80::1%eth0", "2a02:cf40::1::2", "", "example.com", "81.2.69.142/24",
        "81.2.69.0/33", "2a02:cf40::/129",
    };
    char line[256];
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        snprintf(line, sizeof(line), "{\"ip\":\"%s\",\"category\":\"scan\"}", bad[i]);
        nd_rejects(line, BW_REJECT_INVALID_IP);
    }
    /* not a string */
    nd_rejects("{\"ip\":1359103374,\"category\":\"scan\"}", BW_REJECT_INVALID_IP);
    nd_rejects("{\"ip\":[\"81.2.69.142\"],\"category\":\"scan\"}", BW_REJECT_INVALID_IP);
    nd_rejects("{\"ip\":true,\"category\":\"scan\"}", BW_REJECT_INVALID_IP);
}

static void ndjson_rejects_categories(void **state)
{
    (void)state;
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scanning\"}", BW_REJECT_UNKNOWN_CATEGORY);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"Scan\"}", BW_REJECT_UNKNOWN_CATEGORY);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan,nope\"}", BW_REJECT_UNKNOWN_CATEGORY);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":[\"scan\",\"nope\"]}",
               BW_REJECT_UNKNOWN_CATEGORY);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":[\"scan\",5]}", BW_REJECT_UNKNOWN_CATEGORY);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":5}", BW_REJECT_UNKNOWN_CATEGORY);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":{\"scan\":true}}",
               BW_REJECT_UNKNOWN_CATEGORY);

    nd_rejects("{\"ip\":\"81.2.69.142\"}", BW_REJECT_MISSING_CATEGORY);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":null}", BW_REJECT_MISSING_CATEGORY);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"\"}", BW_REJECT_MISSING_CATEGORY);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\" , \"}", BW_REJECT_MISSING_CATEGORY);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":[]}", BW_REJECT_MISSING_CATEGORY);
}

static void ndjson_rejects_invalid_time(void **state)
{
    (void)state;
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"time\":\"yesterday\"}",
               BW_REJECT_INVALID_TIME);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"time\":\"2026-13-01T00:00:00Z\"}",
               BW_REJECT_INVALID_TIME);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"time\":\"2026-05-01\"}",
               BW_REJECT_INVALID_TIME);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"time\":\"\"}",
               BW_REJECT_INVALID_TIME);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"time\":\"-5\"}",
               BW_REJECT_INVALID_TIME);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"time\":true}",
               BW_REJECT_INVALID_TIME);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"time\":[1700000000]}",
               BW_REJECT_INVALID_TIME);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"time\":1e300}",
               BW_REJECT_INVALID_TIME);
}

static void ndjson_rejects_invalid_port(void **state)
{
    (void)state;
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":70000}",
               BW_REJECT_INVALID_PORT);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":65536}",
               BW_REJECT_INVALID_PORT);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":-1}",
               BW_REJECT_INVALID_PORT);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":\"x\"}",
               BW_REJECT_INVALID_PORT);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":\"70000\"}",
               BW_REJECT_INVALID_PORT);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":\"65536\"}",
               BW_REJECT_INVALID_PORT);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":\"-1\"}",
               BW_REJECT_INVALID_PORT);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":\"\"}",
               BW_REJECT_INVALID_PORT);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":22.5}",
               BW_REJECT_INVALID_PORT);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"port\":true}",
               BW_REJECT_INVALID_PORT);
}

static void ndjson_rejects_wrong_types(void **state)
{
    static const char *const fields[] = { "reporter", "evidence", "banner", "controller",
                                          "family", "target" };
    static const char *const values[] = { "5", "true", "[\"x\"]", "{\"a\":1}", "1.5" };
    char line[256];
    (void)state;

    for (size_t f = 0; f < BW_ARRAY_LEN(fields); f++) {
        for (size_t v = 0; v < BW_ARRAY_LEN(values); v++) {
            snprintf(line, sizeof(line), "{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"%s\":%s}",
                     fields[f], values[v]);
            nd_rejects(line, BW_REJECT_INVALID_FIELD);
        }
    }
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"proto\":\"gre\"}",
               BW_REJECT_INVALID_FIELD);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"proto\":256}",
               BW_REJECT_INVALID_FIELD);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"proto\":-1}",
               BW_REJECT_INVALID_FIELD);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"proto\":\"256\"}",
               BW_REJECT_INVALID_FIELD);
    nd_rejects("{\"ip\":\"81.2.69.142\",\"category\":\"scan\",\"proto\":true}",
               BW_REJECT_INVALID_FIELD);
}

/* ---- CSV ---- */

static void csv_every_field(void **state)
{
    struct copy c;
    (void)state;

    csv_ok("ip,time,category,port,proto,reporter,evidence,banner,controller,family,target",
           "2a02:cf40::1,2026-05-01T12:00:00Z,scan;ddos,23,udp,feed-x,GET /,SSH-2.0,"
           "10.9.8.7,gafgyt,dns",
           &c);
    assert_addr(&c.r.addr, "2a02:cf40::1");
    assert_int_equal(c.r.time_s, 1777636800);
    assert_int_equal(c.r.cats, CAT(SCAN) | CAT(DDOS));
    assert_int_equal(c.r.port, 23);
    assert_int_equal(c.r.proto, BW_PROTO_UDP);
    assert_string_equal(c.r.reporter, "feed-x");
    assert_string_equal(c.r.evidence, "GET /");
    assert_string_equal(c.r.banner, "SSH-2.0");
    assert_string_equal(c.r.controller, "10.9.8.7");
    assert_string_equal(c.r.family, "gafgyt");
    assert_string_equal(c.r.target, "dns");
    assert_string_equal(c.r.source, "csv");
    assert_int_equal(c.r.line, 2);
}

static void csv_column_order_and_unix_time(void **state)
{
    struct copy c;
    (void)state;

    csv_ok("category,port,time,ip", "bruteforce,22,1700000000,::ffff:81.2.69.142", &c);
    assert_addr(&c.r.addr, "81.2.69.142");
    assert_true(bw_addr_is_v4(&c.r.addr));
    assert_int_equal(c.r.time_s, 1700000000);
    assert_int_equal(c.r.cats, CAT(BRUTEFORCE));
    assert_int_equal(c.r.port, 22);
    csv_ok("ip,category,port", "81.2.69.142,scan,65535", &c);
    assert_int_equal(c.r.port, 65535);
    csv_ok("ip,category,proto", "81.2.69.142,scan,47", &c);
    assert_int_equal(c.r.proto, 47);
    csv_ok("ip,category,proto", "81.2.69.142,scan,ICMP", &c);
    assert_int_equal(c.r.proto, BW_PROTO_ICMP);
}

static void csv_empty_cells_are_absent(void **state)
{
    struct copy c;
    (void)state;

    csv_ok("ip,time,category,port,proto,reporter,evidence,banner",
           "81.2.69.142,,scan,,,,,", &c);
    assert_int_equal(c.r.time_s, NOW);
    assert_int_equal(c.r.port, 0);
    assert_int_equal(c.r.proto, 0);
    assert_null(c.r.reporter);
    assert_null(c.r.evidence);
    assert_null(c.r.banner);
    /* a quoted empty cell is empty too */
    csv_ok("ip,category,reporter", "81.2.69.142,scan,\"\"", &c);
    assert_null(c.r.reporter);
    csv_rejects("ip,category", ",scan", BW_REJECT_MISSING_IP);
    csv_rejects("ip,category", "81.2.69.142,", BW_REJECT_MISSING_CATEGORY);
}

static void csv_quoted_cells(void **state)
{
    struct copy c;
    (void)state;

    csv_ok("ip,category,evidence",
           "\"81.2.69.142\",\"scan,bruteforce\",\"he said \"\"hi\"\", then left\"", &c);
    assert_addr(&c.r.addr, "81.2.69.142");
    assert_int_equal(c.r.cats, CAT(SCAN) | CAT(BRUTEFORCE));
    assert_string_equal(c.r.evidence, "he said \"hi\", then left");
    csv_ok("ip,evidence,category", "81.2.69.142,\"\"\"\",scan", &c);
    assert_string_equal(c.r.evidence, "\"");
    csv_ok("ip,evidence,category", "81.2.69.142,\",,,\",scan", &c);
    assert_string_equal(c.r.evidence, ",,,");
    assert_int_equal(c.r.cats, CAT(SCAN));
}

static void csv_header_is_trimmed_and_unknown_columns_ignored(void **state)
{
    struct copy c;
    (void)state;

    csv_ok(" ip ,\tcategory,colour,\"port\"", "81.2.69.142,scan,blue,443", &c);
    assert_addr(&c.r.addr, "81.2.69.142");
    assert_int_equal(c.r.cats, CAT(SCAN));
    assert_int_equal(c.r.port, 443);
    /* an unknown column's content is not even looked at */
    csv_ok("ip,category,extra", "81.2.69.142,scan,\"x,\"\"y\"", &c);
    assert_int_equal(c.r.port, 0);
}

static void csv_evidence_truncated_on_utf8_boundary(void **state)
{
    size_t n = BW_EVIDENCE_MAX - 1;
    char *row = malloc(n + 64);
    struct copy c;
    (void)state;

    memcpy(row, "81.2.69.142,scan,", 17);
    memset(row + 17, 'b', n);
    /* a 3-byte euro sign straddles the cap */
    snprintf(row + 17 + n, 64 - 17, "%s", "\xe2\x82\xac tail");
    csv_ok("ip,category,evidence", row, &c);
    free(row);
    assert_int_equal(strlen(c.r.evidence), BW_EVIDENCE_MAX - 1);
    assert_true(bw_utf8_valid(c.r.evidence, strlen(c.r.evidence)));
}

static void csv_header_without_ip_rejects_every_row(void **state)
{
    struct bw_parser *p = bw_parser_new("csv", NOW);
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    const char *h = "addr,category";
    const char *row = "81.2.69.142,scan";
    int rc;
    (void)state;

    rc = bw_parser_line(p, h, strlen(h), 1, emit_copy, cap, &err);
    check_rejection(h, rc, cap, &err, BW_REJECT_COLUMNS);
    rc = bw_parser_line(p, row, strlen(row), 2, emit_copy, cap, &err);
    check_rejection(row, rc, cap, &err, BW_REJECT_COLUMNS);
    /* a later line that looks like a header does not rescue the stream */
    rc = bw_parser_line(p, "ip,category", 11, 3, emit_copy, cap, &err);
    check_rejection("ip,category", rc, cap, &err, BW_REJECT_COLUMNS);
    bw_parser_free(p);
    free(cap);
}

static void csv_header_line_emits_nothing(void **state)
{
    struct bw_parser *p = bw_parser_new("csv", NOW);
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    (void)state;

    assert_int_equal(bw_parser_line(p, "ip,category", 11, 1, emit_copy, cap, &err), 0);
    assert_int_equal(cap->n, 0);
    /* the header is read once: a second "ip,category" line is a row */
    assert_int_equal(bw_parser_line(p, "ip,category", 11, 2, emit_copy, cap, &err),
                     BW_EMALFORMED);
    assert_int_equal(err.reason, BW_REJECT_INVALID_IP);
    assert_int_equal(bw_parser_line(p, "81.2.69.142,c2", 14, 3, emit_copy, cap, &err), 1);
    assert_int_equal(cap->n, 1);
    assert_int_equal(cap->c[0].r.cats, CAT(C2));
    bw_parser_free(p);
    free(cap);
}

static void csv_rejects_wrong_column_count(void **state)
{
    char header[1024];
    size_t n = 0;
    struct bw_parser *p;
    struct cap *cap = cap_new();
    struct bw_parse_error err;
    int rc;
    (void)state;

    csv_rejects("ip,category", "81.2.69.142,scan,extra", BW_REJECT_COLUMNS);
    csv_rejects("ip,category,port", "81.2.69.142,scan", BW_REJECT_COLUMNS);
    csv_rejects("ip,category", "81.2.69.142", BW_REJECT_COLUMNS);
    /* a quoted comma is not a separator: this row has three cells */
    csv_rejects("ip,category", "81.2.69.142,scan,\"a,b\"", BW_REJECT_COLUMNS);

    /* more than 64 columns in the header */
    n += (size_t)snprintf(header + n, sizeof(header) - n, "ip");
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(header + n, sizeof(header) - n, ",c%d", i);
    p = bw_parser_new("csv", NOW);
    rc = bw_parser_line(p, header, n, 1, emit_copy, cap, &err);
    check_rejection("65-column header", rc, cap, &err, BW_REJECT_COLUMNS);
    bw_parser_free(p);
    free(cap);
}

static void csv_rejects_bad_quoting(void **state)
{
    (void)state;
    csv_rejects("ip,category", "\"81.2.69.142,scan", BW_REJECT_MALFORMED);
    csv_rejects("ip,category", "81.2.69.142,sc\"an", BW_REJECT_MALFORMED);
    csv_rejects("ip,category", "\"81.2.69.142\"x,scan", BW_REJECT_MALFORMED);
    csv_rejects("ip,category", "81.2.69.142,\"scan\"\"", BW_REJECT_MALFORMED);
}

static void csv_rejects_bad_fields(void **state)
{
    (void)state;
    csv_rejects("ip,category", "81.2.69.1422,scan", BW_REJECT_INVALID_IP);
    csv_rejects("ip,category", " 81.2.69.142,scan", BW_REJECT_INVALID_IP);
    csv_rejects("ip,category", "81.2.69.142,scanner", BW_REJECT_UNKNOWN_CATEGORY);
    csv_rejects("ip,category,time", "81.2.69.142,scan,noon", BW_REJECT_INVALID_TIME);
    csv_rejects("ip,category,port", "81.2.69.142,scan,70000", BW_REJECT_INVALID_PORT);
    csv_rejects("ip,category,port", "81.2.69.142,scan,65536", BW_REJECT_INVALID_PORT);
    csv_rejects("ip,category,port", "81.2.69.142,scan,-1", BW_REJECT_INVALID_PORT);
    csv_rejects("ip,category,port", "81.2.69.142,scan,x", BW_REJECT_INVALID_PORT);
    csv_rejects("ip,category,proto", "81.2.69.142,scan,sctp", BW_REJECT_INVALID_FIELD);
    csv_rejects("ip,category,proto", "81.2.69.142,scan,300", BW_REJECT_INVALID_FIELD);
    csv_rejects("ip,category,reporter", "81.2.69.142,scan,\"a\tb\"", BW_REJECT_INVALID_FIELD);
}

/* ---- detection ---- */

#define D(lit) (lit), (sizeof(lit) - 1)

static void detect_ndjson(void **state)
{
    (void)state;
    assert_string_equal(bw_parser_detect(D("{\"ip\":\"81.2.69.142\"}\n")), "ndjson");
    assert_string_equal(bw_parser_detect(D("\n  \r\n\t{\"ip\":1}")), "ndjson");
    assert_string_equal(bw_parser_detect(D("\xef\xbb\xbf{\"ip\":1}")), "ndjson");
    assert_string_equal(bw_parser_detect(D("{")), "ndjson");
}

static void detect_csv(void **state)
{
    static const char *const heads[] = {
        "ip,time,category\n81.2.69.142,1,scan\n",
        "time,category,ip\n",
        "time,ip,category\r\n",
        "\"time\",\"ip\"\n",
        "ip\n",
        "ip",
        "\xef\xbb\xbfip,category\n",
        "\n\ncategory,ip\n",
    };
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(heads); i++) {
        const char *got = bw_parser_detect(heads[i], strlen(heads[i]));

        if (got == NULL || strcmp(got, "csv") != 0)
            fail_msg("\"%s\": detected %s, want csv", heads[i], got ? got : "nothing");
    }
}

static void detect_garbage(void **state)
{
    static const char *const heads[] = {
        "",
        "garbage here\n",
        "zip,category\n",
        "ipaddr,category\n",
        "time,category\nip,x\n", /* "ip" only after the first line */
        "[1,2,3]\n",
        "<?xml version=\"1.0\"?>\n",
    };
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(heads); i++) {
        const char *got = bw_parser_detect(heads[i], strlen(heads[i]));

        if (got != NULL)
            fail_msg("\"%s\": detected %s, want nothing", heads[i], got);
    }
    assert_null(bw_parser_detect("ip", 1)); /* only the bytes given count */
}

/*
 * Regression: the CSV parser trims blanks around header cells (" ip , category" is a good
 * header for it), so `--format auto` must recognise "time, ip, category" as CSV too, not read
 * the file as NDJSON and reject every line.
 */
static void detect_csv_header_with_blanks(void **state)
{
    const char *h = "time, ip, category\n2026-05-01T12:00:00Z, 81.2.69.142, scan\n";
    struct copy c;
    (void)state;

    csv_ok("time, ip, category", "1700000000,81.2.69.142,scan", &c); /* the parser takes it */
    assert_non_null(bw_parser_detect(h, strlen(h)));
    assert_string_equal(bw_parser_detect(h, strlen(h)), "csv");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_knows_the_native_formats),
        cmocka_unit_test(ndjson_every_field),
        cmocka_unit_test(ndjson_ipv6_and_mapped),
        cmocka_unit_test(ndjson_time_forms),
        cmocka_unit_test(ndjson_time_defaults_to_now),
        cmocka_unit_test(ndjson_absent_fields_are_null_or_zero),
        cmocka_unit_test(ndjson_category_forms),
        cmocka_unit_test(ndjson_port_and_proto),
        cmocka_unit_test(ndjson_reporter_limits),
        cmocka_unit_test(ndjson_evidence_truncated_on_utf8_boundary),
        cmocka_unit_test(ndjson_unknown_keys_are_ignored),
        cmocka_unit_test(ndjson_state_does_not_leak_between_lines),
        cmocka_unit_test(emit_return_value_is_passed_back),
        cmocka_unit_test(ndjson_rejects_malformed),
        cmocka_unit_test(ndjson_rejects_non_objects),
        cmocka_unit_test(ndjson_rejects_duplicate_keys),
        cmocka_unit_test(ndjson_rejects_missing_ip),
        cmocka_unit_test(ndjson_rejects_invalid_ip),
        cmocka_unit_test(ndjson_ip_may_be_a_network_listing),
        cmocka_unit_test(ndjson_rejects_categories),
        cmocka_unit_test(ndjson_rejects_invalid_time),
        cmocka_unit_test(ndjson_rejects_invalid_port),
        cmocka_unit_test(ndjson_rejects_wrong_types),
        cmocka_unit_test(csv_every_field),
        cmocka_unit_test(csv_column_order_and_unix_time),
        cmocka_unit_test(csv_empty_cells_are_absent),
        cmocka_unit_test(csv_quoted_cells),
        cmocka_unit_test(csv_header_is_trimmed_and_unknown_columns_ignored),
        cmocka_unit_test(csv_evidence_truncated_on_utf8_boundary),
        cmocka_unit_test(csv_header_without_ip_rejects_every_row),
        cmocka_unit_test(csv_header_line_emits_nothing),
        cmocka_unit_test(csv_rejects_wrong_column_count),
        cmocka_unit_test(csv_rejects_bad_quoting),
        cmocka_unit_test(csv_rejects_bad_fields),
        cmocka_unit_test(detect_ndjson),
        cmocka_unit_test(detect_csv),
        cmocka_unit_test(detect_garbage),
        cmocka_unit_test(detect_csv_header_with_blanks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
