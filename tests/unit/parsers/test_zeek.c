/*
 * tests/unit/parsers/test_zeek.c - the zeek format (conn.log and notice.log, TSV and JSON):
 * the real samples in tests/fixtures/zeek with their ground truth, the header state machine,
 * the notice mapping, JSON lines, every rejection reason, CRLF, garbage and detection.
 */
#define FORMAT "zeek"
#include "test.h"
#include "parsers/parsers.h"

#include <stdio.h>
#include <stdlib.h>

#include "log_test.h"


#define HDR_SEP "#separator \\x09"
#define NOTICE_FIELDS "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t" \
                      "note\tmsg\tsub\tsrc\tdst\tp"
#define CONN_FIELDS "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t" \
                    "service\tconn_state\torig_bytes"

/* Runs lines (NULL-terminated) through one parser, in order. */
static struct run *run_lines(const char *const *lines)
{
    struct bw_parser *p = bw_parser_new(FORMAT, NOW);
    struct run *run = run_new();

    assert_non_null(p);
    for (size_t i = 0; lines[i] != NULL; i++)
        feed(p, run, lines[i], strlen(lines[i]));
    bw_parser_free(p);
    return run;
}

/* ---- the real samples ---- */

static void btest_ssh_bruteforce_notice(void **state)
{
    struct run *run = run_file("btest/btest_ssh_bruteforce_notice.log");
    const struct bw_report *r = &run->kept[0].r;
    (void)state;

    /* one SSH::Password_Guessing notice about 192.168.56.1 */
    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->reports, 1);
    assert_addr(&r->addr, "192.168.56.1");
    assert_int_equal(r->cats, CAT(BRUTEFORCE));
    assert_int_equal(r->port, 22);
    assert_int_equal(r->proto, BW_PROTO_TCP);
    assert_int_equal(r->time_s, NOW); /* the baseline masks ts */
    assert_non_null(strstr(r->evidence, "SSH::Password_Guessing: 192.168.56.1 appears to be "
                                        "guessing SSH passwords (seen in 10 connections)"));
    assert_non_null(strstr(r->evidence, "192.168.56.103"));
    assert_int_equal(r->line, 10);
    free(run);
}

static void btest_other_notices(void **state)
{
    struct run *run;
    (void)state;

    run = run_file("btest/btest_ftp_bruteforce_notice.log");
    assert_int_equal(run->reports, 1);
    assert_int_equal(run->n_rejected, 0);
    assert_addr(&run->kept[0].r.addr, "192.168.56.1");
    assert_int_equal(run->kept[0].r.cats, CAT(BRUTEFORCE));
    assert_int_equal(run->kept[0].r.port, 21);
    free(run);

    /* Intel hits on 10.0.0.1 (as originator: scan), 10.0.0.2 and 10.0.0.3 (as responders) */
    run = run_file("btest/btest_intel_notice.log");
    assert_int_equal(run->reports, 3);
    assert_int_equal(run->n_rejected, 0);
    assert_addr(&run->kept[0].r.addr, "10.0.0.1");
    assert_int_equal(run->kept[0].r.cats, CAT(SCAN));
    assert_addr(&run->kept[1].r.addr, "10.0.0.2");
    assert_int_equal(run->kept[1].r.cats, CAT(C2));
    assert_addr(&run->kept[2].r.addr, "10.0.0.3");
    free(run);

    /* a host running vulnerable software has attacked no one */
    run = run_file("btest/btest_software_vulnerable_notice.log");
    assert_int_equal(run->reports, 0);
    assert_int_equal(run->n_rejected, 0);
    free(run);
}

static void btest_other_logs_give_nothing(void **state)
{
    static const char *const files[] = { "btest/btest_intel.log", "btest/btest_ssh.log",
                                         "btest/btest_ssh_conn.log" };
    (void)state;

    for (size_t i = 0; i < BW_ARRAY_LEN(files); i++) {
        struct run *run = run_file(files[i]);

        /* intel.log and ssh.log are not mapped; the conn.log has only SF, RSTR and UDP */
        if (run->reports != 0 || run->n_rejected != 0)
            fail_msg("%s: %zu reports, %zu rejected", files[i], run->reports,
                     run->n_rejected);
        free(run);
    }
}

static void wrccdc2018_conn(void **state)
{
    struct run *run = run_file("wrccdc2018/wrccdc2018_conn.log");
    (void)state;

    /* 92 rows: S0 56, RSTO 18 (2 without originator bytes), RSTR 6, RSTOS0 6, REJ 5,
     * RSTRH 1; the scans are S0 + REJ + RSTOS0 + the 2 empty RSTO = 69, from the 4
     * originators */
    assert_int_equal(run->lines, 100); /* 8 header lines */
    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->reports, 69);
    assert_int_equal(run->n_ips, 4);
    assert_int_equal(run->cats_any, CAT(SCAN));
    /* the first is row 2 (line 10): REJ from 10.47.25.80 to 10.128.0.218:23189 */
    assert_addr(&run->kept[0].r.addr, "10.47.25.80");
    assert_int_equal(run->kept[0].r.time_s, 1521911721);
    assert_int_equal(run->kept[0].r.port, 23189);
    assert_int_equal(run->kept[0].r.proto, BW_PROTO_TCP);
    assert_string_equal(run->kept[0].r.target, "10.128.0.218:23189");
    assert_int_equal(run->kept[0].r.line, 10);
    /* the next row repeats it in the same second */
    assert_int_equal(run->kept[1].r.seq, 1);
    free(run);
}

static void wrccdc2018_notice(void **state)
{
    struct run *run = run_file("wrccdc2018/wrccdc2018_notice.log");
    (void)state;

    /* 207 rows, all SSL::Invalid_Server_Cert: not an attack */
    assert_int_equal(run->lines, 216);
    assert_int_equal(run->reports, 0);
    assert_int_equal(run->n_rejected, 0);
    free(run);
}

/* ---- the TSV header state ---- */

static void columns_by_name_separator_and_markers(void **state)
{
    static const char *const lines[] = {
        "#separator \\x2c",
        "#unset_field,NONE",
        "#path,notice",
        "#fields,note,src,ts,p,msg",
        "Scan::Address_Scan,81.2.69.142,1700000000.5,23,81.2.69.142 scanned at least 25 "
        "unique hosts on port 23/tcp in 0m5s",
        "Scan::Port_Scan,81.2.69.143,1700000001,NONE,81.2.69.143 scanned 15 ports",
        NULL,
    };
    struct run *run = run_lines(lines);
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->reports, 2);
    assert_addr(&run->kept[0].r.addr, "81.2.69.142");
    assert_int_equal(run->kept[0].r.cats, CAT(SCAN));
    assert_int_equal(run->kept[0].r.time_s, 1700000000);
    assert_int_equal(run->kept[0].r.port, 23);
    assert_int_equal(run->kept[1].r.port, 0); /* NONE is unset */
    assert_int_equal(run->kept[1].r.time_s, 1700000001);
    free(run);
}

static void header_errors_and_recovery(void **state)
{
    static const char *const lines[] = {
        "1700000000\tx\t81.2.69.142", /* a row before any header */
        HDR_SEP,
        "#path\tnotice",
        NOTICE_FIELDS,
        "1700000000\tC1\t-\t-\t-\t-\ttcp\tScan::Port_Scan\tm\t-\t81.2.69.142\t-\t-",
        "1700000000\tC1\t-\t-\t-", /* too few columns */
        "#separator \\x09\\x09",   /* not one byte: what follows has no usable header */
        "1700000000\tC1\t-\t-\t-\t-\ttcp\tScan::Port_Scan\tm\t-\t81.2.69.142\t-\t-",
        HDR_SEP, /* a second log concatenated: configured afresh */
        "#path\tconn",
        CONN_FIELDS,
        "1700000002\tC2\t81.2.69.144\t4444\t203.0.113.9\t23\ttcp\t-\tS0\t0",
        NULL,
    };
    struct run *run = run_lines(lines);
    (void)state;

    assert_int_equal(run->rejected[BW_REJECT_COLUMNS], 4);
    assert_int_equal(run->n_rejected, 4);
    assert_int_equal(run->reports, 2);
    assert_addr(&run->kept[1].r.addr, "81.2.69.144");
    assert_int_equal(run->kept[1].r.port, 23);
    free(run);
}

static void path_inferred_from_fields_and_conn_states(void **state)
{
    static const char *const lines[] = {
        HDR_SEP,
        CONN_FIELDS, /* no #path: conn_state names it a conn.log */
        "1700000000\tC\t81.2.69.142\t1\t203.0.113.9\t22\ttcp\t-\tS0\t-",
        "1700000000\tC\t81.2.69.142\t1\t203.0.113.9\t23\ttcp\t-\tREJ\t0",
        "1700000000\tC\t81.2.69.142\t1\t203.0.113.9\t24\ttcp\t-\tRSTOS0\t0",
        "1700000000\tC\t81.2.69.142\t1\t203.0.113.9\t25\ttcp\t-\tSH\t0",
        "1700000000\tC\t81.2.69.142\t1\t203.0.113.9\t26\ttcp\t-\tRSTO\t0",
        "1700000000\tC\t81.2.69.142\t1\t203.0.113.9\t27\ttcp\t-\tRSTO\t120",
        "1700000000\tC\t81.2.69.142\t1\t203.0.113.9\t28\ttcp\tssh\tSF\t3000",
        "1700000000\tC\t81.2.69.142\t1\t203.0.113.9\t29\ttcp\t-\tRSTR\t0",
        "1700000000\tC\t81.2.69.142\t1\t203.0.113.9\t53\tudp\tdns\tS0\t0",
        "#path\tssh", /* another log: rows give nothing */
        "1700000000\tC\t81.2.69.142\t1\t203.0.113.9\t22\ttcp\t-\tS0\t-",
        NULL,
    };
    struct run *run = run_lines(lines);
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->reports, 5); /* S0, REJ, RSTOS0, SH, RSTO without bytes */
    assert_int_equal(run->n_ports, 5);
    assert_string_equal(run->kept[0].r.target, "203.0.113.9:22");
    assert_string_equal(run->kept[0].r.evidence, "conn S0: 81.2.69.142 -> 203.0.113.9:22/tcp");
    free(run);
}

/* ---- JSON lines ---- */

static void json_notices_and_conns(void **state)
{
    static const char *const lines[] = {
        "{\"ts\":1700000000.25,\"note\":\"Scan::Port_Scan\",\"msg\":\"81.2.69.142 scanned at "
        "least 15 unique ports of host 203.0.113.9 in 0m3s\",\"src\":\"81.2.69.142\","
        "\"dst\":\"203.0.113.9\",\"actions\":[\"Notice::ACTION_LOG\"]}",
        "{\"ts\":\"2023-11-14T22:13:21.000000Z\",\"uid\":\"C1\",\"id.orig_h\":\"2a02:cf40::1\","
        "\"id.orig_p\":5,\"id.resp_h\":\"2a01:4f8::2\",\"id.resp_p\":2323,\"proto\":\"tcp\","
        "\"conn_state\":\"S0\",\"orig_bytes\":0}",
        "{\"ts\":1700000000,\"note\":\"Intel::Notice\",\"msg\":\"Intel hit on bad.example.com "
        "at DNS::IN_REQUEST\",\"sub\":\"bad.example.com\"}",
        "{\"ts\":1700000000,\"uid\":\"C2\",\"id.orig_h\":\"81.2.69.142\",\"service\":\"http\"}",
        "{\"ts\":1700000003,\"id\":{\"orig_h\":\"81.2.69.145\",\"resp_h\":\"203.0.113.9\","
        "\"resp_p\":445},\"proto\":\"tcp\",\"conn_state\":\"REJ\"}",
        NULL,
    };
    struct run *run = run_lines(lines);
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->reports, 4);
    assert_addr(&run->kept[0].r.addr, "81.2.69.142");
    assert_int_equal(run->kept[0].r.cats, CAT(SCAN));
    assert_int_equal(run->kept[0].r.time_s, 1700000000);
    /* a nested "id" object names the connection as well */
    assert_addr(&run->kept[3].r.addr, "81.2.69.145");
    assert_int_equal(run->kept[3].r.port, 445);
    assert_string_equal(run->kept[3].r.target, "203.0.113.9:445");
    assert_string_equal(run->kept[0].r.target, "203.0.113.9");
    assert_addr(&run->kept[1].r.addr, "2a02:cf40::1");
    assert_int_equal(run->kept[1].r.time_s, 1700000001);
    assert_int_equal(run->kept[1].r.port, 2323);
    assert_string_equal(run->kept[1].r.target, "[2a01:4f8::2]:2323");
    /* a domain indicator is passed through as a host */
    assert_non_null(run->kept[2].r.host);
    assert_string_equal(run->kept[2].r.host, "bad.example.com");
    assert_int_equal(run->kept[2].r.cats, CAT(C2));
    free(run);
}

static void notice_table(void **state)
{
    struct run *run;
    (void)state;

    run = one("{\"note\":\"Scan::Address_Scan\",\"src\":\"81.2.69.142\",\"p\":\"23/tcp\","
              "\"proto\":\"tcp\"}", CAT(SCAN));
    assert_int_equal(run->kept[0].r.port, 0); /* "23/tcp" is not a bare port */
    free(run);
    run = one("{\"note\":\"Scan::Address_Scan\",\"src\":\"81.2.69.142\",\"p\":23}", CAT(SCAN));
    assert_int_equal(run->kept[0].r.port, 23);
    free(run);
    run = one("{\"note\":\"SSH::Login_By_Password_Guesser\",\"id.orig_h\":\"81.2.69.142\"}",
              CAT(BRUTEFORCE));
    assert_int_equal(run->kept[0].r.port, 22);
    free(run);
    run = one("{\"note\":\"HTTP::SQL_Injection_Attacker\",\"src\":\"81.2.69.142\"}",
              CAT(WEB_ATTACK));
    free(run);
    run = one("{\"note\":\"Heartbleed::SSL_Heartbeat_Attack\",\"id.orig_h\":\"81.2.69.142\","
              "\"id.resp_p\":443}", CAT(EXPLOIT));
    assert_int_equal(run->kept[0].r.port, 443);
    free(run);
    none("{\"note\":\"SSL::Invalid_Server_Cert\",\"src\":\"81.2.69.142\"}");
    none("{\"note\":\"HTTP::SQL_Injection_Victim\",\"src\":\"81.2.69.142\"}");
    none("{\"note\":\"Software::Vulnerable_Version\",\"src\":\"81.2.69.142\"}");
    none("### BTest baseline data generated by btest-diff. Do not edit.");
    none("#close\t2019-11-08-11-44-16");
}

/* ---- bad input ---- */

static void rejection_reasons(void **state)
{
    static const struct {
        const char *line;
        enum bw_reject want;
    } cases[] = {
        { "{\"note\":\"Scan::Port_Scan\",", BW_REJECT_MALFORMED },
        { "[\"Scan::Port_Scan\"]", BW_REJECT_COLUMNS }, /* not '{': a row, without a header */
        { "{\"note\":\"Scan::Port_Scan\",\"src\":\"81.2.69\"}", BW_REJECT_INVALID_IP },
        { "{\"note\":\"Scan::Port_Scan\",\"msg\":\"x\"}", BW_REJECT_MISSING_IP },
        { "{\"note\":\"Intel::Notice\",\"sub\":\"not a name!\"}", BW_REJECT_MISSING_IP },
        { "{\"note\":\"Scan::Port_Scan\",\"src\":5}", BW_REJECT_INVALID_FIELD },
        { "{\"note\":[\"Scan::Port_Scan\"],\"src\":\"81.2.69.142\"}", BW_REJECT_INVALID_FIELD },
        { "{\"conn_state\":\"S0\",\"proto\":\"tcp\",\"id.orig_h\":\"81.2.69.142\","
          "\"id.resp_p\":\"http\"}", BW_REJECT_INVALID_PORT },
        { "{\"conn_state\":\"S0\",\"proto\":\"tcp\",\"id.orig_h\":\"example.com\"}",
          BW_REJECT_INVALID_IP },
        { "{\"conn_state\":\"S0\",\"proto\":\"tcp\"}", BW_REJECT_MISSING_IP },
        { "81.2.69.142\tScan::Port_Scan", BW_REJECT_COLUMNS },
    };
    const char *bad = "{\"note\":\"Scan::Port_Scan\",\"src\":\"81.2.69.142\",\"msg\":\"\xff\"}";
    char *big;
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

static void crlf_and_garbage(void **state)
{
    static const char *const lines[] = {
        HDR_SEP "\r",
        "#path\tnotice\r",
        NOTICE_FIELDS "\r",
        "1700000000\tC1\t-\t-\t-\t-\ttcp\tScan::Port_Scan\tm\t-\t81.2.69.142\t-\t-\r",
        NULL,
    };
    struct run *run = run_lines(lines);
    struct bw_parser *p = bw_parser_new(FORMAT, NOW);
    unsigned seed = 7;
    char buf[400];
    (void)state;

    assert_int_equal(run->n_rejected, 0);
    assert_int_equal(run->reports, 1);
    free(run);
    run = run_new();
    for (size_t i = 0; i < 3; i++)
        feed(p, run, lines[i], strlen(lines[i]));
    for (int i = 0; i < 5000; i++) {
        size_t len = (size_t)(i % 399) + 1;
        int rc;

        for (size_t k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[k] = (char)(seed >> 16);
            if (i % 2 == 0 && seed % 5 == 0)
                buf[k] = '\t';
        }
        if (i % 7 == 0)
            buf[0] = '#';
        if (i % 11 == 0)
            buf[0] = '{';
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
    const char *line = "{\"note\":\"Scan::Port_Scan\",\"src\":\"81.2.69.142\"}";
    (void)state;

    run->emit_rc = 42;
    assert_int_equal(feed(p, run, line, strlen(line)), 42);
    assert_int_equal(run->reports, 1);
    bw_parser_free(p);
    free(run);
}

static void detection(void **state)
{
    const char *tsv = "#separator \\x09\n#set_separator\t,\n";
    const char *btest = "### BTest baseline data generated by btest-diff. Do not edit.\n"
                        "#separator \\x09\n";
    const char *json = "{\"ts\":1700000000.1,\"uid\":\"C1\",\"id.orig_h\":\"81.2.69.142\","
                       "\"conn_state\":\"S0\"}\n";
    const char *notice = "{\"ts\":1700000000.1,\"note\":\"Scan::Port_Scan\",\"src\":"
                         "\"81.2.69.142\"}\n";
    const char *native = "{\"ip\":\"81.2.69.142\",\"category\":\"scan\"}\n";
    const char *d;
    (void)state;

    assert_string_equal(bw_parser_detect(tsv, strlen(tsv)), "zeek");
    assert_string_equal(bw_parser_detect(btest, strlen(btest)), "zeek");
    assert_string_equal(bw_parser_detect(json, strlen(json)), "zeek");
    assert_string_equal(bw_parser_detect(notice, strlen(notice)), "zeek");
    d = bw_parser_detect(native, strlen(native));
    assert_true(d == NULL || strcmp(d, "zeek") != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(btest_ssh_bruteforce_notice),
        cmocka_unit_test(btest_other_notices),
        cmocka_unit_test(btest_other_logs_give_nothing),
        cmocka_unit_test(wrccdc2018_conn),
        cmocka_unit_test(wrccdc2018_notice),
        cmocka_unit_test(columns_by_name_separator_and_markers),
        cmocka_unit_test(header_errors_and_recovery),
        cmocka_unit_test(path_inferred_from_fields_and_conn_states),
        cmocka_unit_test(json_notices_and_conns),
        cmocka_unit_test(notice_table),
        cmocka_unit_test(rejection_reasons),
        cmocka_unit_test(crlf_and_garbage),
        cmocka_unit_test(emit_return_value_is_passed_back),
        cmocka_unit_test(detection),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
