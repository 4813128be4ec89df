/*
 * tests/unit/parsers/test_netfilter.c - the netfilter format (iptables/nftables LOG lines):
 * the real samples in tests/fixtures/netfilter with their ground truth, time forms and year
 * inference, accepted and outbound packets, repeats, every rejection reason, CRLF, garbage
 * and detection.
 */
#define FORMAT "netfilter"
#include "test.h"
#include "parsers/parsers.h"

#include <stdio.h>
#include <stdlib.h>

#include "log_test.h"


#define SYSLOG_KV "IN=eth0 OUT= MAC=00:08:a2:0c:1f:12:00:c8:8b:e2:d6:87:08:00 SRC=81.2.69.142 " \
                  "DST=51.15.166.67 LEN=40 TOS=0x00 PREC=0x00 TTL=245 ID=37308 PROTO=TCP "    \
                  "SPT=8080 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0"

/* One line through a fresh parser with these options. */
static struct run *run_opts(const char *line, int64_t now, int year)
{
    struct bw_parser_opts o = { .now_s = now, .year = year };
    struct bw_parser *p = bw_parser_new_opts(FORMAT, &o);
    struct run *run = run_new();

    assert_non_null(p);
    feed(p, run, line, strlen(line));
    bw_parser_free(p);
    return run;
}

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    char text[32];
    int64_t t;

    snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
    assert_int_equal(bw_time_parse(&t, text, strlen(text)), BW_OK);
    return t;
}

/* ---- the real samples ---- */

static void crowdsec_iptables_logs(void **state)
{
    struct run *run = run_file("crowdsec/iptables-logs.log");
    const struct bw_report *r = &run->kept[0].r;
    (void)state;

    /* 4 records: line 3 starts XX= instead of IN= and is rejected; 2 distinct sources */
    assert_int_equal(run->lines, 4);
    assert_int_equal(run->reports, 3);
    assert_int_equal(run->n_rejected, 1);
    assert_int_equal(run->rejected[BW_REJECT_MALFORMED], 1);
    assert_int_equal(run->n_ips, 2);
    assert_int_equal(run->cats_any, CAT(SCAN));
    assert_addr(&r->addr, "195.54.160.107");
    assert_int_equal(r->port, 8123);
    assert_int_equal(r->proto, BW_PROTO_TCP);
    /* "Jun  8" seen on 2026-05-28: the most recent June 8th not in the future is 2025's */
    assert_int_equal(r->time_s, utc(2025, 6, 8, 14, 34, 33));
    assert_string_equal(r->target, "51.15.166.67:8123");
    assert_int_equal(r->line, 1);
    assert_int_equal(r->seq, 0);
    assert_non_null(strstr(r->evidence, "SRC=195.54.160.107 DST=51.15.166.67"));
    /* line 2 (IN=enp.1s0, a VLAN-style name) repeats line 1 in the same second */
    assert_int_equal(run->kept[1].r.line, 2);
    assert_int_equal(run->kept[1].r.seq, 1);
    /* line 4: the prefix IPTABLES-DROP, loopback UDP to 53 (parse does not judge) */
    assert_addr(&run->kept[2].r.addr, "127.0.0.1");
    assert_int_equal(run->kept[2].r.proto, BW_PROTO_UDP);
    assert_int_equal(run->kept[2].r.port, 53);
    assert_int_equal(run->kept[2].r.line, 4);
    free(run);
}

static void crowdsec_port_scan(void **state)
{
    struct run *run = run_file("crowdsec/iptables-scan-multi-port.log");
    (void)state;

    /* 49 records: 62.34.17.168 17, 127.0.0.1 16, 127.0.0.2 16; 33 distinct ports */
    assert_int_equal(run->lines, 49);
    assert_int_equal(run->reports, 49);
    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->n_ips, 3);
    assert_addr(&run->ips[0], "62.34.17.168");
    assert_int_equal(run->per_ip[0], 17);
    assert_int_equal(run->per_ip[1], 16);
    assert_int_equal(run->per_ip[2], 16);
    assert_int_equal(run->n_ports, 33);
    free(run);
}

static void proxmox_firewall(void **state)
{
    struct run *run = run_file("crowdsec/proxmox-iptables-logs.log");
    bool v6 = false;
    (void)state;

    /* 10 lines: 2 ACCEPT and 1 host-out (no IN=) give nothing; the other 7 are reports */
    assert_int_equal(run->lines, 10);
    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->reports, 7);
    /* "20/Jun/2022:13:09:14 +0200" */
    assert_int_equal(run->kept[0].r.time_s, utc(2022, 6, 20, 11, 9, 14));
    assert_addr(&run->kept[0].r.addr, "10.3.94.11");
    assert_int_equal(run->kept[0].r.proto, BW_PROTO_UDP);
    assert_int_equal(run->kept[0].r.port, 3784);
    for (size_t i = 0; i < run->n_ips; i++)
        v6 |= !bw_addr_is_v4(&run->ips[i]);
    assert_true(v6); /* 2a0a:1580::a */
    free(run);
}

/* ---- time ---- */

static void syslog_year_inference(void **state)
{
    struct run *run;
    (void)state;

    /* opts.year overrides */
    run = run_opts("Jun  8 14:34:33 h kernel: [1.0] " SYSLOG_KV, NOW, 2020);
    assert_int_equal(run->kept[0].r.time_s, utc(2020, 6, 8, 14, 34, 33));
    free(run);
    /* on New Year's Day, December 31st is last year's */
    run = run_opts("Dec 31 23:59:59 h kernel: " SYSLOG_KV, utc(2026, 1, 1, 0, 10, 0), 0);
    assert_int_equal(run->kept[0].r.time_s, utc(2025, 12, 31, 23, 59, 59));
    free(run);
    /* a line up to a day ahead (clock skew, time zones) stays in this year */
    run = run_opts("Jan  1 20:00:00 h kernel: " SYSLOG_KV, utc(2026, 1, 1, 0, 10, 0), 0);
    assert_int_equal(run->kept[0].r.time_s, utc(2026, 1, 1, 20, 0, 0));
    free(run);
    /* 29 February: the most recent leap year */
    run = run_opts("Feb 29 12:00:00 h kernel: " SYSLOG_KV, utc(2026, 5, 1, 0, 0, 0), 0);
    assert_int_equal(run->kept[0].r.time_s, utc(2024, 2, 29, 12, 0, 0));
    free(run);
    run = run_opts("Feb 29 12:00:00 h kernel: " SYSLOG_KV, NOW, 2025);
    assert_int_equal(run->reports, 0);
    assert_int_equal(run->rejected[BW_REJECT_INVALID_TIME], 1);
    free(run);
}

static void iso_time_ufw_and_port_notes(void **state)
{
    struct run *run;
    (void)state;

    run = one("2026-05-01T12:00:00.123456+02:00 fw kernel: [UFW BLOCK] " SYSLOG_KV, CAT(SCAN));
    assert_int_equal(run->kept[0].r.time_s, utc(2026, 5, 1, 10, 0, 0));
    /* telnet, SSH and ADB ports are named at the head of the evidence */
    assert_true(strncmp(run->kept[0].r.evidence, "telnet port 23", 14) == 0);
    assert_non_null(strstr(run->kept[0].r.evidence, "[UFW BLOCK] IN=eth0"));
    free(run);
    run = one("<4>1 2026-05-01T12:00:00Z allow-gw kernel - - - [UFW BLOCK] " SYSLOG_KV,
              CAT(SCAN));
    assert_int_equal(run->kept[0].r.time_s, utc(2026, 5, 1, 12, 0, 0));
    free(run);
    run = one("Jun  8 14:34:33 h kernel: IN=eth0 OUT= SRC=81.2.69.142 DST=51.15.166.67 LEN=40 "
              "PROTO=TCP SPT=1 DPT=5555 SYN", CAT(SCAN));
    assert_true(strncmp(run->kept[0].r.evidence, "ADB port 5555", 13) == 0);
    free(run);
    run = one("Jun  8 14:34:33 h kernel: IN=eth0 OUT= SRC=81.2.69.142 DST=51.15.166.67 LEN=40 "
              "PROTO=TCP SPT=1 DPT=22 SYN", CAT(SCAN));
    assert_true(strncmp(run->kept[0].r.evidence, "SSH port 22", 11) == 0);
    free(run);
    run = one("Jun  8 14:34:33 h kernel: IN=eth0 OUT= SRC=81.2.69.142 DST=51.15.166.67 LEN=40 "
              "PROTO=TCP SPT=1 DPT=8080 SYN", CAT(SCAN));
    assert_true(strncmp(run->kept[0].r.evidence, "Jun  8", 6) == 0);
    free(run);
    /* accepted or allowed packets are not attacks */
    none("2026-05-01T12:00:00Z fw kernel: [UFW ALLOW] " SYSLOG_KV);
    none("<4>1 2026-05-01T12:00:00Z fw kernel - - - [UFW ALLOW] " SYSLOG_KV);
    none("Jun  8 14:34:33 h kernel: [1.0] ACCEPT-IN: " SYSLOG_KV);
    /* our own output: no input interface */
    none("Jun  8 14:34:33 h kernel: [1.0] IN= OUT=eth0 SRC=81.2.69.142 DST=51.15.166.67 "
         "PROTO=TCP SPT=1 DPT=443");
}

static void dmesg_icmp_and_ipv6(void **state)
{
    struct run *run;
    (void)state;

    /* dmesg: no time, so now; ICMP has no port; the target is the address alone */
    run = one("[  203.842973] DROP: IN=eth0 OUT= SRC=81.2.69.142 DST=51.15.166.67 LEN=84 "
              "TTL=64 ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=1", CAT(SCAN));
    assert_int_equal(run->kept[0].r.time_s, NOW);
    assert_int_equal(run->kept[0].r.proto, BW_PROTO_ICMP);
    assert_int_equal(run->kept[0].r.port, 0);
    assert_string_equal(run->kept[0].r.target, "51.15.166.67");
    free(run);
    run = one("Jun  8 14:34:33 h kernel: [1.0] IN=eth0 OUT= MAC= SRC=2a02:cf40::1 "
              "DST=2a01:4f8::2 LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=0 PROTO=TCP SPT=4 DPT=23 SYN",
              CAT(SCAN));
    assert_addr(&run->kept[0].r.addr, "2a02:cf40::1");
    assert_string_equal(run->kept[0].r.target, "[2a01:4f8::2]:23");
    free(run);
    run = one("Jun  8 14:34:33 h kernel: IN=eth0 OUT= SRC=2a02:cf40::1 DST=2a01:4f8::2 "
              "PROTO=ICMPv6 TYPE=128 CODE=0", CAT(SCAN));
    assert_int_equal(run->kept[0].r.proto, 58);
    free(run);
    run = one("Jun  8 14:34:33 h kernel: IN=eth0 OUT= SRC=81.2.69.142 DST=51.15.166.67 "
              "PROTO=47", CAT(SCAN));
    assert_int_equal(run->kept[0].r.proto, 47);
    free(run);
}

static void message_repeated_stands_for_n_reports(void **state)
{
    struct run *run = run_line("Jun  8 14:34:33 h kernel: message repeated 3 times: [ "
                               SYSLOG_KV "]");
    (void)state;

    assert_int_equal(run->reports, 3);
    assert_int_equal(run->kept[0].r.seq, 0);
    assert_int_equal(run->kept[1].r.seq, 1);
    assert_int_equal(run->kept[2].r.seq, 2);
    assert_int_equal(run->kept[2].r.port, 23);
    free(run);
}

/* ---- bad input ---- */

static void rejection_reasons(void **state)
{
    static const struct {
        const char *line;
        enum bw_reject want;
    } cases[] = {
        { "Jun  8 14:34:33 h sshd[1]: Failed password for root", BW_REJECT_MALFORMED },
        { "Jun  8 14:34:33 h kernel: XX=enp1s0 OUT= SRC=81.2.69.142 PROTO=TCP DPT=1",
          BW_REJECT_MALFORMED },
        { "Jun  8 14:34:33 h kernel: message repeated many times: [ IN=eth0 OUT= "
          "SRC=81.2.69.142 PROTO=TCP DPT=1]", BW_REJECT_MALFORMED },
        { "Jun  8 14:34:33 h kernel: IN=eth0 OUT= DST=81.2.69.142 PROTO=TCP DPT=1",
          BW_REJECT_MISSING_IP },
        { "Jun  8 14:34:33 h kernel: IN=eth0 OUT= SRC= PROTO=TCP DPT=1", BW_REJECT_MISSING_IP },
        { "Jun  8 14:34:33 h kernel: IN=eth0 OUT= SRC=999.2.69.142 PROTO=TCP DPT=1",
          BW_REJECT_INVALID_IP },
        { "Jun  8 14:34:33 h kernel: IN=eth0 OUT= SRC=81.2.69.142 DPT=1", BW_REJECT_INVALID_FIELD },
        { "Jun  8 14:34:33 h kernel: IN=eth0 OUT= SRC=81.2.69.142 PROTO=FOO DPT=1",
          BW_REJECT_INVALID_FIELD },
        { "Jun  8 14:34:33 h kernel: IN=eth0 OUT= SRC=81.2.69.142 PROTO=TCP DPT=70000",
          BW_REJECT_INVALID_PORT },
        { "Jun  8 14:34:33 h kernel: IN=eth0 OUT= SRC=81.2.69.142 PROTO=TCP DPT=x",
          BW_REJECT_INVALID_PORT },
        { "Jun 32 14:34:33 h kernel: IN=eth0 OUT= SRC=81.2.69.142 PROTO=TCP DPT=1",
          BW_REJECT_INVALID_TIME },
        { "Jun  8 25:34:33 h kernel: IN=eth0 OUT= SRC=81.2.69.142 PROTO=TCP DPT=1",
          BW_REJECT_INVALID_TIME },
        { "2026-13-01T00:00:00Z h kernel: IN=eth0 OUT= SRC=81.2.69.142 PROTO=TCP DPT=1",
          BW_REJECT_INVALID_TIME },
    };
    char *big;
    const char *bad = "Jun  8 14:34:33 h kernel: IN=eth0 OUT= SRC=81.2.69.142 PROTO=TCP "
                      "DPT=1 \xc3\x28";
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++)
        rejects(cases[i].line, strlen(cases[i].line), cases[i].want);
    rejects(bad, strlen(bad), BW_REJECT_INVALID_UTF8);
    big = malloc(70000);
    assert_non_null(big);
    memset(big, 'a', 70000);
    rejects(big, 70000, BW_REJECT_LINE_TOO_LONG);
    free(big);
}

static void crlf_truncation_and_garbage(void **state)
{
    const char *line = "Jun  8 14:34:33 h kernel: [1.0] " SYSLOG_KV "\r";
    struct bw_parser *p = bw_parser_new(FORMAT, NOW);
    struct run *run = one(line, CAT(SCAN));
    unsigned seed = 99;
    char buf[400];
    (void)state;

    assert_null(strchr(run->kept[0].r.evidence, '\r'));
    free(run);
    /* cut before PROTO=: rejected, not guessed */
    run = run_new();
    assert_int_equal(feed(p, run, line, (size_t)(strstr(line, "PROTO=") - line)),
                     BW_EMALFORMED);
    assert_int_equal(run->last_err.reason, BW_REJECT_INVALID_FIELD);
    for (int i = 0; i < 5000; i++) {
        size_t len = (size_t)(i % 399) + 1;
        int rc;

        for (size_t k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[k] = (char)(seed >> 16);
        }
        if (i % 2 == 0) { /* half the time, plausible fields with noise after them */
            const char *kv = "IN=e SRC=1.2.3.4 PROTO=";

            memcpy(buf, kv, len < strlen(kv) ? len : strlen(kv));
        }
        rc = feed(p, run, buf, len);
        assert_true(rc == BW_EMALFORMED || rc == 0 || rc == 1);
    }
    assert_true(run->n_rejected > 0);
    bw_parser_free(p);
    free(run);
}

static void emit_return_value_is_passed_back(void **state)
{
    struct bw_parser *p = bw_parser_new(FORMAT, NOW);
    struct run *run = run_new();
    const char *line = "Jun  8 14:34:33 h kernel: message repeated 5 times: [ " SYSLOG_KV "]";
    (void)state;

    run->emit_rc = 42;
    assert_int_equal(feed(p, run, line, strlen(line)), 42);
    assert_int_equal(run->reports, 1); /* the first refusal stops the repeats */
    bw_parser_free(p);
    free(run);
}

static void detection(void **state)
{
    const char *sys = "Jun  8 14:34:33 sd-126005 kernel: [50028442.088484] " SYSLOG_KV "\n";
    const char *pve = "0 3 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 policy DROP: IN=vmbr0.94 "
                      "SRC=10.3.94.11 DST=10.3.94.12 PROTO=UDP SPT=1 DPT=2\n";
    const char *sshd = "Jun  8 14:34:33 host sshd[42]: Failed password for root from "
                       "81.2.69.142 port 4242 ssh2\n";
    const char *d;
    (void)state;

    assert_string_equal(bw_parser_detect(sys, strlen(sys)), "netfilter");
    assert_string_equal(bw_parser_detect(pve, strlen(pve)), "netfilter");
    d = bw_parser_detect(sshd, strlen(sshd));
    assert_true(d == NULL || strcmp(d, "netfilter") != 0);
    d = bw_parser_detect("{\"ip\":\"1.2.3.4\"}", 16);
    assert_true(d == NULL || strcmp(d, "netfilter") != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crowdsec_iptables_logs),
        cmocka_unit_test(crowdsec_port_scan),
        cmocka_unit_test(proxmox_firewall),
        cmocka_unit_test(syslog_year_inference),
        cmocka_unit_test(iso_time_ufw_and_port_notes),
        cmocka_unit_test(dmesg_icmp_and_ipv6),
        cmocka_unit_test(message_repeated_stands_for_n_reports),
        cmocka_unit_test(rejection_reasons),
        cmocka_unit_test(crlf_truncation_and_garbage),
        cmocka_unit_test(emit_return_value_is_passed_back),
        cmocka_unit_test(detection),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
