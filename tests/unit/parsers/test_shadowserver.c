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

#include "feed_test.h"

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
