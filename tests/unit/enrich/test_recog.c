/*
 * tests/unit/enrich/test_recog.c - Recog fingerprints: the databases' own <example> self-test,
 * the acceptance banners, database selection by service and port, the device fields, bad
 * databases, and concurrent matching.
 * Data: tests/fixtures/recog/ (the 16 Recog XML databases, BSD-2-Clause, README.md there).
 */
#include "test.h"

#include "enrich/enrich.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Cross-file private entry points of src/enrich/recog.c. */
int bw_recog__verify(const char *dir, size_t *examples, size_t *passed, size_t *identified,
                     struct bw_buf *failures, struct bw_diag *d);
int bw_recog__open_xml(struct bw_recog **out, const char *name, const char *xml, size_t len,
                       size_t *fingerprints, size_t *skipped, struct bw_diag *d);

#define RECOG_EXAMPLES 5557 /* <example>s in the 16 databases (../shared/data SOURCES.md) */

static char fixture_dir[4096];
static struct bw_recog *shared_r;

static int setup(void **state)
{
    const char *f = getenv("BW_FIXTURES");
    size_t fps = 0, skipped = 0;
    struct bw_diag d = { { 0 } };

    (void)state;
    snprintf(fixture_dir, sizeof(fixture_dir), "%s/recog", f != NULL ? f : "tests/fixtures");
    if (bw_recog_open(&shared_r, fixture_dir, &fps, &skipped, &d) != BW_OK) {
        fprintf(stderr, "recog: %s\n", d.msg);
        return -1;
    }
    printf("# recog: %zu fingerprints loaded, %zu skipped%s%s\n", fps, skipped,
           skipped ? ": " : "", skipped ? d.msg : "");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bw_recog_close(shared_r);
    return 0;
}

static void all_databases_load(void **state)
{
    struct bw_recog *r;
    size_t fps = 0, skipped = 99;
    struct bw_diag d = { { 0 } };

    (void)state;
    assert_int_equal(bw_recog_open(&r, fixture_dir, &fps, &skipped, &d), BW_OK);
    /* 3195 fingerprints in the 16 files; PCRE2 takes every one of them. */
    assert_int_equal(fps + skipped, 3195);
    assert_int_equal(skipped, 0);
    bw_recog_close(r);
}

/* Recog's own verifier: every example matches its fingerprint and gives the params its
 * attributes name. */
static void recog_examples_pass(void **state)
{
    size_t n = 0, passed = 0, identified = 0;
    struct bw_buf failures;
    struct bw_diag d = { { 0 } };

    (void)state;
    bw_buf_init(&failures, 1 << 20);
    assert_int_equal(bw_recog__verify(fixture_dir, &n, &passed, &identified, &failures, &d),
                     BW_OK);
    printf("# recog self-test: %zu of %zu examples pass (%.2f%%); bw_recog_match identifies "
           "%zu\n",
           passed, n, n ? 100.0 * (double)passed / (double)n : 0.0, identified);
    if (failures.len > 0)
        printf("# failures:\n%s", failures.data);
    assert_int_equal(n, RECOG_EXAMPLES);
    assert_true(passed * 100 >= n * 99);
    assert_true(identified * 100 >= n * 99);
    bw_buf_cleanup(&failures);
}

static void netwave_camera_on_http(void **state)
{
    struct bw_device_info dev;

    (void)state;
    assert_true(bw_recog_match(shared_r, "Netwave IP Camera", "http", 80, &dev));
    assert_string_equal(dev.vendor, "Netwave");
    assert_string_equal(dev.type, "IP Camera");
    assert_string_equal(dev.matched, "http_servers.xml: Netwave cameras");
    /* The same Server header inside a whole response. */
    assert_true(bw_recog_match(shared_r,
                               "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n"
                               "Server: Netwave IP Camera\r\nContent-Length: 0\r\n\r\n",
                               NULL, 80, &dev));
    assert_string_equal(dev.vendor, "Netwave");
    assert_string_equal(dev.type, "IP Camera");
}

static void dvr_by_port_80(void **state)
{
    struct bw_device_info dev;

    (void)state;
    assert_true(bw_recog_match(shared_r, "PDR-M800/1.0", NULL, 80, &dev));
    assert_non_null(strstr(dev.type, "DVR"));
    assert_string_equal(dev.vendor, "Merit LILIN");
    assert_string_equal(dev.model, "PDR M800");
}

static void ssh_banner_dropbear(void **state)
{
    struct bw_device_info dev;
    const char *banners[] = { "SSH-2.0-dropbear_2019.78", "SSH-2.0-dropbear_2019.78\r\n",
                              "dropbear_2019.78" };

    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(banners); i++) {
        memset(&dev, 'x', sizeof(dev));
        assert_true(bw_recog_match(shared_r, banners[i], "ssh", 22, &dev));
        assert_string_equal(dev.software, "Dropbear SSH");
        assert_string_equal(dev.vendor, "Dropbear SSH Project");
        assert_string_equal(dev.version, "2019.78");
        assert_string_equal(dev.matched, "ssh_banners.xml: Dropbear - "
                                         "http://matt.ucc.asn.au/dropbear/dropbear.html");
    }
    /* Port alone selects the SSH database; an unknown service leaves it to the port. */
    assert_true(bw_recog_match(shared_r, "SSH-2.0-dropbear_2019.78", NULL, 22, &dev));
    assert_string_equal(dev.software, "Dropbear SSH");
    assert_true(bw_recog_match(shared_r, "SSH-2.0-dropbear_2019.78", "mqtt", 2222, &dev));
    assert_string_equal(dev.software, "Dropbear SSH");
}

static void os_fields_and_captures(void **state)
{
    struct bw_device_info dev;

    (void)state;
    /* ssh_banners.xml: OpenSSH on Ubuntu, os.product + os.version from the Debian suffix. */
    assert_true(bw_recog_match(shared_r, "SSH-2.0-OpenSSH_7.6p1 Ubuntu-4ubuntu0.3", "ssh", 22,
                               &dev));
    assert_string_equal(dev.software, "OpenSSH");
    assert_string_equal(dev.version, "7.6p1");
    assert_string_equal(dev.vendor, "Ubuntu");
    assert_int_equal(strncmp(dev.os, "Linux", 5), 0);
}

static void fallback_to_all_databases(void **state)
{
    struct bw_device_info dev;

    (void)state;
    /* An SSH banner reported as http still fingerprints: the HTTP databases miss, all follow. */
    assert_true(bw_recog_match(shared_r, "dropbear_2019.78", "http", 80, &dev));
    assert_string_equal(dev.software, "Dropbear SSH");
    /* No service, no known port: every database, in order. */
    assert_true(bw_recog_match(shared_r, "Netwave IP Camera", NULL, 0, &dev));
    assert_string_equal(dev.vendor, "Netwave");
    /* A service that is a Recog matches key selects that database. */
    assert_true(bw_recog_match(shared_r, "Netwave IP Camera", "http_header.server", 0, &dev));
    assert_string_equal(dev.type, "IP Camera");
}

static void html_title_view(void **state)
{
    struct bw_device_info dev;

    (void)state;
    /* html_title.xml sees the title of a page, the bare title too. */
    assert_true(bw_recog_match(shared_r,
                               "<html><head><TITLE>WV-NS202A Network Camera</TITLE></head>",
                               "http", 80, &dev));
    assert_string_equal(dev.vendor, "Panasonic");
    assert_string_equal(dev.type, "IP Camera");
    assert_string_equal(dev.model, "WV-NS202A");
    assert_non_null(strstr(dev.matched, "html_title.xml: "));
    assert_true(bw_recog_match(shared_r, "DVR Components Download", NULL, 8080, &dev));
    assert_string_equal(dev.type, "DVR");
    assert_string_equal(dev.software, "Cross Web Server");
    /* Nothing matches: false. */
    assert_false(bw_recog_match(shared_r, "zzqx no such device zzqx", "http", 80, &dev));
    assert_false(bw_recog_match(shared_r, "", "http", 80, &dev));
    assert_false(bw_recog_match(shared_r, NULL, "http", 80, &dev));
    assert_false(bw_recog_match(NULL, "Netwave IP Camera", "http", 80, &dev));
}

static void hostile_banners_are_safe(void **state)
{
    struct bw_device_info dev;
    char big[20000];

    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    (void)bw_recog_match(shared_r, big, NULL, 0, &dev);
    /* Bytes that are not UTF-8 never reach the output fields. */
    if (bw_recog_match(shared_r, "dropbear_\xff\xfe\x01", "ssh", 22, &dev)) {
        assert_true(bw_utf8_valid(dev.version, strlen(dev.version)));
        for (const char *p = dev.version; *p != '\0'; p++)
            assert_true((unsigned char)*p >= 0x20);
    }
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void remove_dir(const char *dir, const char *const *names, size_t n)
{
    char path[4200];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        (void)unlink(path);
    }
    (void)rmdir(dir);
}

static void missing_and_corrupt_databases(void **state)
{
    struct bw_recog *r = NULL;
    struct bw_diag d = { { 0 } };
    size_t fps, skipped;
    char dir[] = "/tmp/bw_recog_test_XXXXXX";
    const char *names[] = { "broken.xml", "ok.xml", "notes.txt" };

    (void)state;
    assert_int_equal(bw_recog_open(&r, "/nonexistent/recog", &fps, &skipped, &d), BW_ENOENT);
    assert_non_null(strstr(d.msg, "/nonexistent/recog"));
    assert_non_null(strstr(d.msg, "rapid7/recog"));

    assert_non_null(mkdtemp(dir));
    write_file(dir, "notes.txt", "not a database\n");
    d.msg[0] = '\0';
    assert_int_equal(bw_recog_open(&r, dir, &fps, &skipped, &d), BW_ENOENT);
    assert_non_null(strstr(d.msg, "no *.xml"));

    write_file(dir, "ok.xml",
               "<fingerprints matches=\"x.banner\" protocol=\"x\">\n"
               "<fingerprint pattern=\"^Foo/(\\d+)$\"><description>Foo</description>\n"
               "<param pos=\"0\" name=\"hw.vendor\" value=\"Foo Inc\"/>\n"
               "<param pos=\"1\" name=\"service.version\"/></fingerprint>\n"
               "</fingerprints>\n");
    write_file(dir, "broken.xml",
               "<fingerprints>\n<fingerprint pattern=\"a\">\n<description>x</fingerprint>\n");
    d.msg[0] = '\0';
    assert_int_equal(bw_recog_open(&r, dir, &fps, &skipped, &d), BW_EMALFORMED);
    assert_non_null(strstr(d.msg, "broken.xml:3"));
    assert_non_null(strstr(d.msg, "mismatched tag"));
    remove_dir(dir, names, BW_ARRAY_LEN(names));
}

static void rejected_patterns_are_counted_and_named(void **state)
{
    struct bw_recog *r = NULL;
    struct bw_diag d = { { 0 } };
    size_t fps = 0, skipped = 0;
    struct bw_device_info dev;
    static const char xml[] =
        "<fingerprints matches=\"x.banner\" protocol=\"x\">\n"
        "<fingerprint pattern=\"^Bad(unclosed$\"><description>Bad</description>\n"
        "<param pos=\"0\" name=\"hw.vendor\" value=\"Bad\"/></fingerprint>\n"
        "<fingerprint pattern=\"^Odd$\" flags=\"REG_NOSUCH\"><description>Odd</description>\n"
        "<param pos=\"0\" name=\"hw.vendor\" value=\"Odd\"/></fingerprint>\n"
        "<fingerprint pattern=\"(?m)^Foo/(\\h+) (.*)$\" flags=\"REG_ICASE\">\n"
        "  <description>Foo   devices\n  with hex</description>\n"
        "<param pos=\"0\" name=\"hw.vendor\" value=\"Foo Inc\"/>\n"
        "<param pos=\"0\" name=\"hw.device\" value=\"Router\"/>\n"
        "<param pos=\"0\" name=\"os.product\" value=\"FooOS {service.version}\"/>\n"
        "<param pos=\"0\" name=\"hw.product\" value=\"{nosuch.param}\"/>\n"
        "<param pos=\"1\" name=\"service.version\"/>\n"
        "<param pos=\"2\" name=\"service.product\"/></fingerprint>\n"
        "</fingerprints>\n";

    (void)state;
    assert_int_equal(bw_recog__open_xml(&r, "x_banners.xml", xml, sizeof(xml) - 1, &fps,
                                        &skipped, &d),
                     BW_OK);
    assert_int_equal(fps, 1);
    assert_int_equal(skipped, 2);
    assert_non_null(strstr(d.msg, "x_banners.xml:2"));
    assert_non_null(strstr(d.msg, "^Bad(unclosed$"));
    assert_non_null(strstr(d.msg, "1 more"));
    /* \h is a hex digit (Ruby), (?m) is dot-all (Ruby): the match spans the newline. */
    assert_true(bw_recog_match(r, "foo/BEEF line one\nline two", "x", 0, &dev));
    assert_string_equal(dev.vendor, "Foo Inc");
    assert_string_equal(dev.type, "Router");
    assert_string_equal(dev.version, "BEEF");
    assert_string_equal(dev.os, "FooOS BEEF");
    assert_string_equal(dev.model, ""); /* refers to a param that does not exist */
    assert_string_equal(dev.software, "line one line two"); /* newline became a space */
    assert_string_equal(dev.matched, "x_banners.xml: Foo devices with hex");
    assert_false(bw_recog_match(r, "foo/xyz", "x", 0, &dev));
    bw_recog_close(r);

    d.msg[0] = '\0';
    assert_int_equal(bw_recog__open_xml(&r, "y.xml", "<other/>", 8, &fps, &skipped, &d),
                     BW_EMALFORMED);
    assert_non_null(strstr(d.msg, "not a Recog database"));
}

static void ruby_syntax_in_pcre2(void **state)
{
    struct bw_recog *r = NULL;
    struct bw_diag d = { { 0 } };
    size_t fps = 0, skipped = 0;
    struct bw_device_info dev;
    static const char xml[] =
        "<fingerprints matches=\"z.banner\" protocol=\"z\">\n"
        "<fingerprint pattern=\"^Caf\\u00e9 (\\d+)$\"><description>u escape</description>\n"
        "<param pos=\"0\" name=\"hw.vendor\" value=\"Cafe\"/>\n"
        "<param pos=\"1\" name=\"service.version\"/></fingerprint>\n"
        "<fingerprint pattern=\"^Sign in . Box$\"><description>dot is a character</description>\n"
        "<param pos=\"0\" name=\"hw.vendor\" value=\"Box\"/></fingerprint>\n"
        "<fingerprint pattern=\"^\\iy\\q$\"><description>unknown escapes</description>\n"
        "<param pos=\"0\" name=\"hw.vendor\" value=\"IYQ\"/></fingerprint>\n"
        "<fingerprint pattern=\"^kelvin (\\S+)\" flags=\"REG_ICASE\"><description>k</description>\n"
        "<param pos=\"0\" name=\"hw.vendor\" value=\"Kelvin\"/>\n"
        "<param pos=\"0\" name=\"os.product\" value=\"{os.version}\"/>\n"
        "<param pos=\"1\" name=\"os.version\"/></fingerprint>\n"
        "<fingerprint pattern=\"^Lone$\" flags=\"REG_ICASE|REG_DOT_NEWLINE\">\n"
        "<description>bar-separated flags</description>\n"
        "<param pos=\"0\" name=\"hw.vendor\" value=\"Lone\"/></fingerprint>\n"
        "</fingerprints>\n";

    (void)state;
    assert_int_equal(bw_recog__open_xml(&r, "z.xml", xml, sizeof(xml) - 1, &fps, &skipped, &d),
                     BW_OK);
    assert_int_equal(fps, 5);
    assert_int_equal(skipped, 0);
    assert_true(bw_recog_match(r, "Caf\xc3\xa9 12", NULL, 0, &dev));
    assert_string_equal(dev.vendor, "Cafe");
    assert_string_equal(dev.version, "12");
    assert_true(bw_recog_match(r, "Sign in \xc2\xb7 Box", NULL, 0, &dev));
    assert_string_equal(dev.vendor, "Box");
    /* A byte that is not UTF-8 matches nothing, not even '.' (Ruby drops such bytes first,
     * which gives no match here either); the rest of such a banner is matched as usual. */
    assert_false(bw_recog_match(r, "Sign in \xff Box", NULL, 0, &dev));
    assert_true(bw_recog_match(r, "iyq", NULL, 0, &dev));
    assert_string_equal(dev.vendor, "IYQ");
    /* Caseless UTF matching takes the Kelvin sign for k; the prefilter must not rule it out. */
    assert_true(bw_recog_match(r, "\xe2\x84\xaa" "ELVIN 2\xff", NULL, 0, &dev));
    assert_string_equal(dev.vendor, "Kelvin");
    assert_string_equal(dev.os, "2 2"); /* os.product "{os.version}" + " " + os.version */
    assert_true(bw_recog_match(r, "LONE", NULL, 0, &dev));
    assert_false(bw_recog_match(r, "Cafe 12", NULL, 0, &dev));
    bw_recog_close(r);
}

struct worker {
    const char *banner;
    uint16_t port;
    int ok;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct bw_device_info first, dev;

    w->ok = bw_recog_match(shared_r, w->banner, NULL, w->port, &first);
    for (int i = 0; i < 2000 && w->ok; i++)
        w->ok = bw_recog_match(shared_r, w->banner, NULL, w->port, &dev) &&
                memcmp(&dev, &first, sizeof(dev)) == 0;
    return NULL;
}

static void concurrent_matches_agree(void **state)
{
    struct worker w[4] = { { "Netwave IP Camera", 80, 0 },
                           { "PDR-M800/1.0", 80, 0 },
                           { "SSH-2.0-dropbear_2019.78", 22, 0 },
                           { "SSH-2.0-OpenSSH_7.6p1 Ubuntu-4ubuntu0.3", 22, 0 } };
    pthread_t t[4];

    (void)state;
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_true(w[i].ok);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_databases_load),
        cmocka_unit_test(recog_examples_pass),
        cmocka_unit_test(netwave_camera_on_http),
        cmocka_unit_test(dvr_by_port_80),
        cmocka_unit_test(ssh_banner_dropbear),
        cmocka_unit_test(os_fields_and_captures),
        cmocka_unit_test(fallback_to_all_databases),
        cmocka_unit_test(html_title_view),
        cmocka_unit_test(hostile_banners_are_safe),
        cmocka_unit_test(missing_and_corrupt_databases),
        cmocka_unit_test(rejected_patterns_are_counted_and_named),
        cmocka_unit_test(ruby_syntax_in_pcre2),
        cmocka_unit_test(concurrent_matches_agree),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
