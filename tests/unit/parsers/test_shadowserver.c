/*
 * tests/unit/parsers/test_shadowserver.c - the shadowserver format on the 25 IntelMQ report
 * samples (ground truth from shared/data/threat_feeds/SOURCES.md): the category of each report
 * kind, device fields, family and target, exposure reports that are no evidence, the shared
 * CSV splitter, every rejection, CRLF and garbage.
 */
#include "test.h"
#include "parsers/parsers.h"

#include <stdio.h>
#include <stdlib.h>

#define NOW INT64_C(1780000000) /* 2026-05-28T20:26:40Z */
#define CAT(c) (1u << (BW_CAT_##c))

/* ---- a run of lines through one parser; reports are copied, strings included ---- */

enum { S_REPORTER, S_EVIDENCE, S_BANNER, S_CONTROLLER, S_FAMILY, S_TARGET, S_HOST, S_VENDOR,
       S_TYPE, S_MODEL, S_SOURCE, S_N };

struct run {
    size_t n, cap;
    struct bw_report *r; /* strings are strdup'ed */
    size_t lines;
    size_t rejected[BW_REJECT_COUNT];
    size_t n_rejected;
    struct bw_parse_error last_err;
    uint64_t last_rejected_line;
};

static const char *dup_or_null(const char *s)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = strdup(s);
    assert_non_null(d);
    return d;
}

static int collect(void *ctx, const struct bw_report *r)
{
    struct run *run = ctx;
    struct bw_report *k;

    if (run->n == run->cap) {
        run->cap = run->cap ? run->cap * 2 : 64;
        run->r = realloc(run->r, run->cap * sizeof(*run->r));
        assert_non_null(run->r);
    }
    k = &run->r[run->n++];
    *k = *r;
    k->reporter = dup_or_null(r->reporter);
    k->evidence = dup_or_null(r->evidence);
    k->banner = dup_or_null(r->banner);
    k->controller = dup_or_null(r->controller);
    k->family = dup_or_null(r->family);
    k->target = dup_or_null(r->target);
    k->host = dup_or_null(r->host);
    k->device_vendor = dup_or_null(r->device_vendor);
    k->device_type = dup_or_null(r->device_type);
    k->device_model = dup_or_null(r->device_model);
    k->source = dup_or_null(r->source);
    return 0;
}

static void run_free(struct run *run)
{
    for (size_t i = 0; i < run->n; i++) {
        struct bw_report *k = &run->r[i];
        const char *s[S_N] = { k->reporter, k->evidence, k->banner, k->controller, k->family,
                               k->target, k->host, k->device_vendor, k->device_type,
                               k->device_model, k->source };

        for (int j = 0; j < S_N; j++)
            free((char *)s[j]);
    }
    free(run->r);
    free(run);
}

/* Feeds text line by line (as the reader does: no newline; a CR is left for the parser). */
static struct run *run_text_opts(const char *format, const struct bw_parser_opts *o,
                                 const char *text, size_t len)
{
    struct bw_parser *p = bw_parser_new_opts(format, o);
    struct run *run = calloc(1, sizeof(*run));
    size_t start = 0;
    uint64_t lineno = 0;

    assert_non_null(p);
    assert_non_null(run);
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        struct bw_parse_error err;
        int rc;

        lineno++;
        rc = bw_parser_line(p, text + start, end - start, lineno, collect, run, &err);
        if (rc < 0) {
            assert_int_equal(rc, BW_EMALFORMED);
            assert_true((unsigned)err.reason < BW_REJECT_COUNT);
            assert_true(err.detail[0] != '\0');
            assert_null(strchr(err.detail, '\n'));
            run->rejected[err.reason]++;
            run->n_rejected++;
            run->last_err = err;
            run->last_rejected_line = lineno;
        }
        start = end + 1;
    }
    run->lines = lineno;
    bw_parser_free(p);
    return run;
}

static struct run *run_text(const char *format, const char *text)
{
    struct bw_parser_opts o = { .now_s = NOW };

    return run_text_opts(format, &o, text, strlen(text));
}

static char *slurp(const char *format, const char *name, size_t *len)
{
    const char *dir = getenv("BW_FIXTURES");
    char path[1024];
    FILE *fp;
    char *buf;
    long n;

    if (dir == NULL)
        fail_msg("BW_FIXTURES is not set");
    snprintf(path, sizeof(path), "%s/%s/%s", dir, format, name);
    fp = fopen(path, "rb");
    if (fp == NULL)
        fail_msg("%s: cannot open", path);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

__attribute__((unused)) static struct run *run_fixture_opts(const char *format, const struct bw_parser_opts *o,
                                    const char *name)
{
    size_t len;
    char *text = slurp(format, name, &len);
    struct run *run = run_text_opts(format, o, text, len);

    free(text);
    return run;
}

__attribute__((unused)) static struct run *run_fixture(const char *format, const char *name)
{
    struct bw_parser_opts o = { .now_s = NOW };

    return run_fixture_opts(format, &o, name);
}

static struct bw_addr addr(const char *s)
{
    struct bw_addr a;

    if (bw_addr_parse(&a, s, strlen(s)) != BW_OK)
        fail_msg("%s: test address does not parse", s);
    return a;
}

__attribute__((unused)) static void assert_addr(const struct bw_addr *got, const char *want)
{
    struct bw_addr w = addr(want);
    char buf[BW_ADDR_TEXT_MAX];

    if (bw_addr_cmp(got, &w) != 0)
        fail_msg("address %s, want %s", bw_addr_format(got, buf), want);
}

/* The prefix text of a report ("1.2.3.0/24"), or its address. */
__attribute__((unused)) static const char *net_text(const struct bw_report *r, char *buf)
{
    struct bw_prefix p = { .addr = r->addr, .len = r->net_len };

    return r->net_len > 0 ? bw_prefix_format(&p, buf) : bw_addr_format(&r->addr, buf);
}

/* Distinct addresses (or prefixes, or host names) among the reports. */
__attribute__((unused)) static size_t distinct(const struct run *run)
{
    size_t n = 0;

    for (size_t i = 0; i < run->n; i++) {
        size_t j;

        for (j = 0; j < i; j++) {
            const struct bw_report *a = &run->r[i], *b = &run->r[j];

            if ((a->host == NULL) != (b->host == NULL))
                continue;
            if (a->host != NULL ? strcmp(a->host, b->host) == 0
                                : bw_addr_cmp(&a->addr, &b->addr) == 0 &&
                                      a->net_len == b->net_len)
                break;
        }
        n += j == i;
    }
    return n;
}

/* One line, expected to be rejected for `want` with nothing emitted. */
__attribute__((unused)) static void rejects(const char *format, const char *text, enum bw_reject want)
{
    struct run *run = run_text(format, text);

    if (run->n_rejected != 1 || run->rejected[want] != 1)
        fail_msg("%s: %zu rejected, last as %s (%s), want one %s", text, run->n_rejected,
                 run->n_rejected ? bw_reject_name(run->last_err.reason) : "-",
                 run->last_err.detail, bw_reject_name(want));
    if (run->n != 0)
        fail_msg("%s: rejected but emitted %zu reports", text, run->n);
    run_free(run);
}

/* Garbage never crashes a parser and never yields a report without an address or host. */
__attribute__((unused)) static void garbage_is_rejected_or_ignored(const char *format)
{
    static const char *const junk[] = {
        "\x01\x02\x03\xff\xfe garbage \x80\x81",
        "\"unterminated,quote",
        ",,,,,,,,,,,,",
        "{\"not\": \"this format\"}",
        "\xc3\x28 invalid utf-8",
        "1.2.3.4.5",
        "\"",
        "\r",
    };
    char big[BW_LINE_MAX + 16];
    struct bw_parser_opts o = { .now_s = NOW };
    struct run *run;

    for (size_t i = 0; i < BW_ARRAY_LEN(junk); i++) {
        run = run_text(format, junk[i]);
        for (size_t k = 0; k < run->n; k++)
            assert_true(run->r[k].cats != 0);
        run_free(run);
    }
    /* a line over the cap: rejected as too long */
    memset(big, '1', sizeof(big));
    run = run_text_opts(format, &o, big, sizeof(big));
    assert_int_equal(run->n, 0);
    assert_int_equal(run->rejected[BW_REJECT_LINE_TOO_LONG], 1);
    run_free(run);
}

/* Defined in src/parsers/shadowserver.c; shared by the CSV feed parsers. */
int bw_parser__csv_split(const char *line, size_t len, char *buf, struct bw_slice *cells,
                         size_t max_cells);
int bw_parser__feed_time(int64_t *out, const char *s, size_t len);

/* Every row of a sample gives one report of this category, nothing is rejected. */
static struct run *sample(const char *name, size_t rows, bw_catmask cats)
{
    struct run *run = run_fixture("shadowserver", name);

    if (run->n_rejected != 0)
        fail_msg("%s: %zu rejected, last on line %llu (%s)", name, run->n_rejected,
                 (unsigned long long)run->last_rejected_line, run->last_err.detail);
    if (run->n != rows)
        fail_msg("%s: %zu reports, want %zu", name, run->n, rows);
    for (size_t i = 0; i < run->n; i++) {
        if (run->r[i].cats != cats)
            fail_msg("%s: report %zu has categories %#x, want %#x", name, i,
                     (unsigned)run->r[i].cats, (unsigned)cats);
        assert_string_equal(run->r[i].source, "shadowserver");
        assert_int_equal(run->r[i].line, i + 2);
        assert_non_null(run->r[i].evidence);
    }
    return run;
}

static void ddos_participant_keeps_device_fields(void **state)
{
    struct run *run = sample("event4_ddos_participant.csv", 3, CAT(DDOS));
    (void)state;

    assert_addr(&run->r[0].addr, "192.168.0.1"); /* parse does not judge addresses */
    assert_int_equal(run->r[0].time_s, 1265760000); /* 2010-02-10 00:00:00 UTC */
    assert_int_equal(run->r[0].port, 443);
    assert_int_equal(run->r[0].proto, BW_PROTO_TCP);
    assert_string_equal(run->r[0].target, "172.16.0.1:443");
    assert_null(run->r[0].device_vendor);
    assert_null(run->r[0].family); /* "ddos-participant" is a behaviour, not a family */
    assert_int_equal(run->r[2].proto, BW_PROTO_UDP);
    assert_string_equal(run->r[2].device_vendor, "Microsoft");
    assert_string_equal(run->r[2].device_type, "email");
    assert_string_equal(run->r[2].device_model, "Exchange");
    assert_non_null(strstr(run->r[2].evidence, "ddos-participant"));
    run_free(run);
}

static void honeypot_events(void **state)
{
    struct run *run = sample("event4_honeypot_brute_force.csv", 6, CAT(BRUTEFORCE));
    size_t ssh = 0;
    (void)state;

    for (size_t i = 0; i < run->n; i++)
        ssh += run->r[i].port == 22;
    assert_int_equal(ssh, 4); /* ssh-brute-force 4, telnet-brute-force 2 */
    assert_string_equal(run->r[0].target, "162.250.1.2:22");
    run_free(run);

    run = sample("event4_honeypot_darknet.csv", 8, CAT(BOT));
    assert_int_equal(distinct(run), 8);
    for (size_t i = 0; i < run->n; i++)
        assert_string_equal(run->r[i].family, "mirai");
    assert_int_equal(run->r[4].port, 5555);
    run_free(run);

    run = sample("event4_honeypot_ddos.csv", 3, CAT(DDOS));
    assert_string_equal(run->r[0].family, "mirai");
    run_free(run);

    run = sample("event4_honeypot_http_scan.csv", 2, CAT(SCAN));
    assert_int_equal(run->r[1].port, 8080);
    run_free(run);
}

static void sinkholes_are_infected_bots(void **state)
{
    struct run *run = sample("event4_sinkhole.csv", 3, CAT(BOT));
    (void)state;

    assert_string_equal(run->r[0].family, "victorygate.b");
    assert_string_equal(run->r[1].family, "virut");
    assert_string_equal(run->r[2].family, "virut");
    assert_null(run->r[0].target); /* a sinkhole is no victim */
    run_free(run);

    run = sample("event4_sinkhole_http.csv", 5, CAT(BOT));
    for (size_t i = 0; i < run->n; i++)
        assert_string_equal(run->r[i].family, "andromeda");
    run_free(run);

    /* the last row leaves out its empty final cell */
    run = sample("event4_microsoft_sinkhole.csv", 6, CAT(BOT));
    for (size_t i = 0; i < run->n; i++)
        assert_string_equal(run->r[i].family, "zeroaccess");
    run_free(run);
}

static void other_report_kinds(void **state)
{
    struct run *run = sample("blocklist.csv", 3, CAT(MALWARE));
    char buf[BW_PREFIX_TEXT_MAX];
    (void)state;

    assert_int_equal(run->r[0].net_len, 0);
    assert_string_equal(net_text(&run->r[2], buf), "198.123.245.0/24"); /* a listing */
    run_free(run);

    run = run_fixture("shadowserver", "compromised_website.csv");
    assert_int_equal(run->n, 3);
    assert_int_equal(run->r[0].cats, CAT(MALWARE));
    assert_int_equal(run->r[1].cats, CAT(PHISHING));
    assert_int_equal(run->r[2].cats, CAT(MALWARE));
    run_free(run);

    run = sample("malware_url.csv", 3, CAT(MALWARE));
    assert_addr(&run->r[0].addr, "41.86.0.0");
    run_free(run);

    /* no address, a host name: the report names the host */
    run = run_text("shadowserver", "\"timestamp\",\"url\",\"host\",\"ip\",\"tag\"\n"
                                   "\"2022-01-07 00:02:07\",\"http://bad.example/x\","
                                   "\"bad.example\",,\"CVE-2018-10562\"");
    assert_int_equal(run->n, 1);
    assert_string_equal(run->r[0].host, "bad.example");
    assert_int_equal(run->r[0].cats, CAT(MALWARE));
    run_free(run);

    run = sample("scan_synfulknock.csv", 3, CAT(BOT)); /* an implanted router */
    assert_int_equal(run->r[0].port, 80);
    run_free(run);
}

static void exposure_reports_are_no_evidence(void **state)
{
    static const char *const files[] = {
        "device_id.csv",  "event4_ip_spoofer.csv", "scan_adb.csv",       "scan_cwmp.csv",
        "scan_dvr_dhcpdiscover.csv", "scan_http.csv", "scan_ics.csv",   "scan_mqtt.csv",
        "scan_netis_router.csv", "scan_rdp.csv", "scan_ssh.csv",        "scan_telnet.csv",
        "scan_ubiquiti.csv",
    };
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(files); i++) {
        struct run *run = run_fixture("shadowserver", files[i]);

        if (run->n != 0 || run->n_rejected != 0)
            fail_msg("%s: %zu reports, %zu rejected (%s), want none", files[i], run->n,
                     run->n_rejected, run->last_err.detail);
        run_free(run);
    }
}

static void category_option_reports_exposure(void **state)
{
    struct bw_parser_opts o = { .now_s = NOW, .category = CAT(PROXY) };
    struct run *run = run_fixture_opts("shadowserver", &o, "device_id.csv");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 3);
    assert_int_equal(run->r[0].cats, CAT(PROXY));
    assert_int_equal(run->r[0].port, 10443);
    assert_string_equal(run->r[0].device_vendor, "Fortinet");
    assert_string_equal(run->r[0].device_type, "firewall");
    assert_string_equal(run->r[0].device_model, "FortiGate");
    run_free(run);

    run = run_fixture_opts("shadowserver", &o, "scan_telnet.csv");
    assert_int_equal(run->n, 2);
    assert_string_equal(run->r[0].banner, "|MikroTik v6.5|Login:");
    run_free(run);

    run = run_fixture_opts("shadowserver", &o, "scan_ssh.csv");
    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 3);
    assert_string_equal(run->r[0].banner, "SSH-2.0-OpenSSH_7.4");
    assert_true(strlen(run->r[0].evidence) == BW_EVIDENCE_MAX); /* 8 KB rows are capped */
    run_free(run);
}

static void every_sample_parses(void **state)
{
    static const char *const files[] = {
        "blocklist.csv", "compromised_website.csv", "device_id.csv",
        "event4_ddos_participant.csv", "event4_honeypot_brute_force.csv",
        "event4_honeypot_darknet.csv", "event4_honeypot_ddos.csv",
        "event4_honeypot_http_scan.csv", "event4_ip_spoofer.csv",
        "event4_microsoft_sinkhole.csv", "event4_sinkhole.csv", "event4_sinkhole_http.csv",
        "malware_url.csv", "scan_adb.csv", "scan_cwmp.csv", "scan_dvr_dhcpdiscover.csv",
        "scan_http.csv", "scan_ics.csv", "scan_mqtt.csv", "scan_netis_router.csv",
        "scan_rdp.csv", "scan_ssh.csv", "scan_synfulknock.csv", "scan_telnet.csv",
        "scan_ubiquiti.csv",
    };
    struct bw_parser_opts o = { .now_s = NOW, .category = CAT(SCAN) };
    size_t total = 0;
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(files); i++) {
        struct run *run = run_fixture_opts("shadowserver", &o, files[i]);

        if (run->n_rejected != 0)
            fail_msg("%s: line %llu rejected (%s)", files[i],
                     (unsigned long long)run->last_rejected_line, run->last_err.detail);
        total += run->n;
        run_free(run);
    }
    assert_int_equal(total, 83); /* every data row of the 25 samples */
}

#define EVT "\"timestamp\",\"protocol\",\"src_ip\",\"src_port\",\"dst_ip\",\"dst_port\"," \
            "\"infection\",\"family\",\"tag\"\n"

static void crlf_quotes_and_zulu_time(void **state)
{
    struct run *run = run_text("shadowserver",
                               EVT "\"2021-03-27T00:00:05Z\",\"tcp\",\"81.2.69.142\",1,"
                                   "\"203.0.113.9\",22,\"ssh-brute-force\",,\"a \"\"b\"\", c\"\r\n");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 1);
    assert_int_equal(run->r[0].time_s, 1616803205);
    assert_int_equal(run->r[0].cats, CAT(BRUTEFORCE));
    assert_null(strchr(run->r[0].evidence, '\r'));
    run_free(run);
}

static void header_again_and_concatenated_exports(void **state)
{
    struct run *run = run_text("shadowserver",
                               EVT "\"2021-03-27 00:00:05\",tcp,81.2.69.142,1,,,virut,,\n"
                                   "\"timestamp\",\"ip\",\"port\",\"tag\"\n"
                                   "\"2021-03-27 00:00:06\",81.2.69.143,80,synfulknock\n");
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n, 2);
    assert_int_equal(run->r[0].cats, CAT(BOT));
    assert_addr(&run->r[1].addr, "81.2.69.143");
    assert_int_equal(run->r[1].port, 80);
    run_free(run);
}

static void rejections(void **state)
{
    (void)state;

    rejects("shadowserver", EVT "\"2021-03-27 00:00:05\",tcp,81.2.69.1422,1,,,virut,,",
            BW_REJECT_INVALID_IP);
    rejects("shadowserver", EVT "\"2021-03-27 00:00:05\",tcp,,1,,,virut,,",
            BW_REJECT_MISSING_IP);
    rejects("shadowserver", EVT "\"27/03/2021\",tcp,81.2.69.142,1,,,virut,,",
            BW_REJECT_INVALID_TIME);
    rejects("shadowserver", EVT "\"2021-03-27 00:00:05\",tcp,81.2.69.142,1,,99999,virut,,",
            BW_REJECT_INVALID_PORT);
    rejects("shadowserver", EVT "\"2021-03-27 00:00:05\",tcp,81.2.69.142,1,,,virut,,,extra",
            BW_REJECT_COLUMNS);
    rejects("shadowserver", EVT "\"2021-03-27 00:00:05\",tcp,81.2.69.142,1,,,\"virut,,",
            BW_REJECT_MALFORMED);
    rejects("shadowserver", EVT "\"2021-03-27 00:00:05\",tcp,81.2.69.142,1,,,vir\xffut,,",
            BW_REJECT_INVALID_UTF8);
    /* found by fuzzing: a host cell of NUL bytes gave an empty host name */
    {
        static const char nul[] = "\"timestamp\",\"url\",\"host\",\"ip\"\n"
                                  "\"2022-01-07 00:02:07\",\"http://x/\",\"\0\0\",";
        struct bw_parser_opts o = { .now_s = NOW };
        struct run *run = run_text_opts("shadowserver", &o, nul, sizeof(nul) - 1);

        assert_int_equal(run->n, 0);
        assert_int_equal(run->rejected[BW_REJECT_INVALID_FIELD], 1);
        run_free(run);
    }
    rejects("shadowserver", "\"timestamp\",\"url\",\"host\",\"ip\"\n"
                            "\"2022-01-07 00:02:07\",\"http://x/\",\"a b\",",
            BW_REJECT_INVALID_FIELD);
    /* a broken header: every row is counted, none parsed */
    rejects("shadowserver", "\"timestamp\",\"address\"", BW_REJECT_COLUMNS);
    rejects("shadowserver", "\"2021-03-27 00:00:05\",81.2.69.142", BW_REJECT_COLUMNS);
}

static void csv_splitter(void **state)
{
    struct bw_slice c[4];
    char buf[64];
    int64_t t;
    const char *line = "a,\"b,\"\"c\"\"\",";
    (void)state;

    assert_int_equal(bw_parser__csv_split(line, strlen(line), buf, c, 4), 3);
    assert_int_equal(c[1].len, 5);
    assert_memory_equal(c[1].ptr, "b,\"c\"", 5);
    assert_int_equal(c[2].len, 0);
    assert_int_equal(bw_parser__csv_split("", 0, buf, c, 4), 1);
    assert_int_equal(bw_parser__csv_split("a,b,c,d,e", 9, buf, c, 4), -2);
    assert_int_equal(bw_parser__csv_split("\"a\"b", 4, buf, c, 4), -1);
    assert_int_equal(bw_parser__csv_split("\"a", 2, buf, c, 4), -1);
    assert_int_equal(bw_parser__csv_split("a\"b,c", 5, buf, c, 4), 2); /* a stray quote */

    assert_int_equal(bw_parser__feed_time(&t, "2021-03-27 00:00:05", 19), BW_OK);
    assert_int_equal(t, 1616803205);
    assert_int_equal(bw_parser__feed_time(&t, "2021-03-27", 10), BW_OK);
    assert_int_equal(t, 1616803200);
    assert_int_equal(bw_parser__feed_time(&t, "2021-03-27 02:00:05+02:00", 25), BW_OK);
    assert_int_equal(t, 1616803205);
    assert_int_equal(bw_parser__feed_time(&t, "2021-03-27 24:00:00", 19), BW_EMALFORMED);
    assert_int_equal(bw_parser__feed_time(&t, "2021", 4), BW_EMALFORMED);
}

static void garbage(void **state)
{
    (void)state;
    garbage_is_rejected_or_ignored("shadowserver");
}

static void detection(void **state)
{
    size_t len;
    char *text = slurp("shadowserver", "event4_sinkhole.csv", &len);
    char *scan = slurp("shadowserver", "scan_ics.csv", &len);
    (void)state;

    assert_string_equal(bw_parser_detect(text, strlen(text)), "shadowserver");
    assert_string_equal(bw_parser_detect(scan, strlen(scan)), "shadowserver");
    free(text);
    free(scan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ddos_participant_keeps_device_fields),
        cmocka_unit_test(honeypot_events),
        cmocka_unit_test(sinkholes_are_infected_bots),
        cmocka_unit_test(other_report_kinds),
        cmocka_unit_test(exposure_reports_are_no_evidence),
        cmocka_unit_test(category_option_reports_exposure),
        cmocka_unit_test(every_sample_parses),
        cmocka_unit_test(crlf_quotes_and_zulu_time),
        cmocka_unit_test(header_again_and_concatenated_exports),
        cmocka_unit_test(rejections),
        cmocka_unit_test(csv_splitter),
        cmocka_unit_test(garbage),
        cmocka_unit_test(detection),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
