/*
 * tests/unit/enrich/test_advisories.c - the KEV catalog (the real one, a copy in
 * tests/fixtures/kev/) parsed and matched to fingerprinted devices.
 */
#include "test.h"

#include "enrich/enrich.h"

#include <stdio.h>
#include <stdlib.h>

static struct bw_advisories *kev;
static char why[1200];

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int group_setup(void **state)
{
    const char *dir = getenv("BW_FIXTURES");
    char path[512];
    size_t len = 0, skipped = 99;
    struct bw_diag d = { "" };

    (void)state;
    if (dir == NULL || dir[0] == '\0') {
        snprintf(why, sizeof(why), "BW_FIXTURES is not set");
        return 0;
    }
    snprintf(path, sizeof(path), "%s/kev/known_exploited_vulnerabilities.json", dir);
    char *json = slurp(path, &len);
    if (json == NULL) {
        snprintf(why, sizeof(why), "%s: cannot read", path);
        return 0;
    }
    int rc = bw_advisories_parse_kev(&kev, json, len, &skipped, &d);
    if (rc != BW_OK)
        snprintf(why, sizeof(why), "%s: %s (%s)", path, bw_strerror(rc), d.msg);
    else if (skipped != 0)
        snprintf(why, sizeof(why), "%s: %zu entries skipped", path, skipped);
    free(json);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    bw_advisories_free(kev);
    return 0;
}

static const struct bw_advisories *real_kev(void)
{
    if (kev == NULL || why[0] != '\0')
        fail_msg("%s", why);
    return kev;
}

static struct bw_device_info device(const char *vendor, const char *type, const char *model,
                                    const char *software)
{
    struct bw_device_info d;

    memset(&d, 0, sizeof(d));
    snprintf(d.vendor, sizeof(d.vendor), "%s", vendor);
    snprintf(d.type, sizeof(d.type), "%s", type);
    snprintf(d.model, sizeof(d.model), "%s", model);
    snprintf(d.software, sizeof(d.software), "%s", software);
    return d;
}

/* The IDs matched, comma-separated, newest first. */
static const char *ids(const struct bw_advisories *a, const struct bw_device_info *d, size_t max)
{
    static char out[4096];
    const struct bw_advisory *m[64];
    size_t used = 0;

    assert_true(max <= BW_ARRAY_LEN(m));
    size_t n = bw_advisories_match(a, d, m, max);
    assert_true(n <= max);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(out + used, sizeof(out) - used, "%s%s", i ? "," : "", m[i]->id);
        assert_true(k > 0 && (size_t)k < sizeof(out) - used);
        used += (size_t)k;
        if (i > 0)
            assert_true(m[i - 1]->added_s >= m[i]->added_s);
    }
    return out;
}

static void the_whole_catalog_parses(void **state)
{
    const struct bw_advisories *a = real_kev();

    (void)state;
    /* SOURCES.md: 1404 entries, 1404 distinct CVE IDs. */
    assert_int_equal(bw_advisories_count(a), 1404);
    const struct bw_advisory *first = bw_advisories_at(a, 0);
    assert_non_null(first);
    assert_string_equal(first->id, "CVE-2025-48384");
    assert_string_equal(first->vendor, "Git");
    assert_string_equal(first->product, "Git");
    assert_string_equal(first->name, "Git Link Following Vulnerability");
    assert_int_equal(first->added_s, 1756080000); /* 2025-08-25T00:00:00Z */
    assert_non_null(strstr(first->action, "Apply mitigations per vendor instructions"));
    assert_null(bw_advisories_at(a, 1404));
    /* Every entry has an ID and a date in the catalog's range (2021-11-03 .. 2025-08-25). */
    for (size_t i = 0; i < bw_advisories_count(a); i++) {
        const struct bw_advisory *r = bw_advisories_at(a, i);
        assert_memory_equal(r->id, "CVE-", 4);
        assert_true(r->added_s >= 1635897600 && r->added_s <= 1756080000);
        assert_true(r->vendor[0] != '\0');
    }
}

static void hikvision_camera_gets_its_cve(void **state)
{
    const struct bw_advisories *a = real_kev();

    (void)state;
    struct bw_device_info cam = device("Hikvision", "IP Camera", "", "");
    assert_string_equal(ids(a, &cam, 64), "CVE-2021-36260");
    /* As Recog's http_servers.xml describes a Hikvision DVR: its web server software. */
    struct bw_device_info dvr = device("Hikvision", "DVR", "", "Hikvision Web Server");
    assert_string_equal(ids(a, &dvr, 64), "CVE-2021-36260");
    /* Vendor case and legal forms do not matter. */
    struct bw_device_info loud = device("HIKVISION Inc.", "IP Camera", "", "");
    assert_string_equal(ids(a, &loud, 64), "CVE-2021-36260");
    /* A Hikvision printer is not a camera or a web server. */
    struct bw_device_info printer = device("Hikvision", "Printer", "", "");
    assert_string_equal(ids(a, &printer, 64), "");
}

static void unknown_vendor_matches_nothing(void **state)
{
    const struct bw_advisories *a = real_kev();

    (void)state;
    struct bw_device_info netwave = device("Netwave", "IP Camera", "", "");
    assert_string_equal(ids(a, &netwave, 64), "");
    struct bw_device_info none = device("", "IP Camera", "", "Hikvision Web Server");
    assert_string_equal(ids(a, &none, 64), "");
    struct bw_device_info legal = device("Inc.", "Router", "", "");
    assert_string_equal(ids(a, &legal, 64), "");
}

static void model_numbers_decide_for_dlink(void **state)
{
    const struct bw_advisories *a = real_kev();

    (void)state;
    /* DIR-859: its own two CVEs, the "Multiple Routers" ones, and "D-Link and TRENDnet
     * Multiple Devices"; not DIR-600/605/820/... */
    struct bw_device_info dir859 = device("D-Link", "Router", "DIR-859", "");
    assert_string_equal(ids(a, &dir859, 64), "CVE-2024-0769,CVE-2019-17621,CVE-2018-6530,"
                                             "CVE-2021-45382,CVE-2019-16920,CVE-2015-1187");
    /* Newest first, cut at max. */
    assert_string_equal(ids(a, &dir859, 2), "CVE-2024-0769,CVE-2019-17621");
    assert_string_equal(ids(a, &dir859, 1), "CVE-2024-0769");
    /* A letter suffix is the same family: DIR-820 and DIR-820L match each other. */
    struct bw_device_info dir820l = device("D-Link", "Router", "DIR-820L", "");
    const char *got = ids(a, &dir820l, 64);
    assert_non_null(strstr(got, "CVE-2023-25280"));
    assert_non_null(strstr(got, "CVE-2022-26258"));
    assert_null(strstr(got, "CVE-2024-0769"));
    /* A D-Link NAS without a model: the NAS advisories and the vendor-wide one. */
    struct bw_device_info nas = device("D-Link", "NAS", "", "");
    assert_string_equal(ids(a, &nas, 64), "CVE-2024-3273,CVE-2024-3272,CVE-2015-1187");
    /* TRENDnet shares CVE-2015-1187. */
    struct bw_device_info trendnet = device("TRENDnet", "Router", "TEW-652BRP", "");
    assert_string_equal(ids(a, &trendnet, 64), "CVE-2015-1187");
}

static void netgear_spellings_match(void **state)
{
    const struct bw_advisories *a = real_kev();

    (void)state;
    struct bw_device_info dgn = device("Netgear", "Router", "DGN2200", "");
    assert_string_equal(ids(a, &dgn, 64),
                        "CVE-2017-5521,CVE-2017-6862,CVE-2017-6334,CVE-2017-6077,CVE-2016-6277");
    /* "WNR2000" is the family of "WNR2000v5". */
    struct bw_device_info wnr = device("NETGEAR", "Router", "WNR2000", "");
    assert_non_null(strstr(ids(a, &wnr, 64), "CVE-2016-10174"));
}

static void operator_notes_join_the_set(void **state)
{
    struct bw_advisory note;

    (void)state;
    struct bw_advisories *a = bw_advisories_new();
    memset(&note, 0, sizeof(note));
    snprintf(note.id, sizeof(note.id), "note:1");
    snprintf(note.vendor, sizeof(note.vendor), "Netwave");
    snprintf(note.product, sizeof(note.product), "IP Camera");
    snprintf(note.action, sizeof(note.action), "Replace the camera; the vendor is gone.");
    note.added_s = 1700000000;
    bw_advisories_add(a, &note);
    snprintf(note.id, sizeof(note.id), "note:2");
    snprintf(note.product, sizeof(note.product), "Multiple Products");
    note.added_s = 1800000000;
    bw_advisories_add(a, &note);
    assert_int_equal(bw_advisories_count(a), 2);
    struct bw_device_info cam = device("Netwave", "IP Camera", "", "");
    assert_string_equal(ids(a, &cam, 64), "note:2,note:1");
    struct bw_device_info dvr = device("Netwave", "DVR", "", "");
    assert_string_equal(ids(a, &dvr, 64), "note:2");
    bw_advisories_free(a);
    bw_advisories_free(NULL);
}

static void bad_catalogs(void **state)
{
    struct bw_advisories *a = (struct bw_advisories *)0x1;
    struct bw_diag d = { "" };
    size_t skipped = 0;

    (void)state;
    assert_int_equal(bw_advisories_parse_kev(&a, "{\"vulnerabilities\": [", 21, &skipped, &d),
                     BW_EMALFORMED);
    assert_non_null(strstr(d.msg, "not JSON"));
    const char *no_array = "{\"title\":\"x\"}";
    assert_int_equal(bw_advisories_parse_kev(&a, no_array, strlen(no_array), &skipped, &d),
                     BW_EMALFORMED);
    assert_non_null(strstr(d.msg, "vulnerabilities"));
    assert_ptr_equal(a, (struct bw_advisories *)0x1);

    /* Entries without the fields, with a bad date or a bad ID are skipped and counted. */
    const char *some =
        "{\"vulnerabilities\":["
        "{\"cveID\":\"CVE-2021-36260\",\"vendorProject\":\" Hikvision \",\"product\":\"Cams\","
        "\"vulnerabilityName\":\"n\",\"requiredAction\":\"a\",\"dateAdded\":\"2022-01-10\"},"
        "{\"cveID\":\"CVE-1\",\"vendorProject\":\"v\",\"product\":\"p\","
        "\"vulnerabilityName\":\"n\",\"requiredAction\":\"a\",\"dateAdded\":\"2022-13-10\"},"
        "{\"cveID\":\"X-1\",\"vendorProject\":\"v\",\"product\":\"p\","
        "\"vulnerabilityName\":\"n\",\"requiredAction\":\"a\",\"dateAdded\":\"2022-01-10\"},"
        "{\"cveID\":\"CVE-2\",\"vendorProject\":\"v\"},"
        "{\"cveID\":\"CVE-3\",\"vendorProject\":7,\"product\":\"p\","
        "\"vulnerabilityName\":\"n\",\"requiredAction\":\"a\",\"dateAdded\":\"2022-01-10\"},"
        "[],7]}";
    assert_int_equal(bw_advisories_parse_kev(&a, some, strlen(some), &skipped, &d), BW_OK);
    assert_int_equal(bw_advisories_count(a), 1);
    assert_int_equal(skipped, 6);
    assert_string_equal(bw_advisories_at(a, 0)->vendor, "Hikvision");
    assert_int_equal(bw_advisories_at(a, 0)->added_s, 1641772800);
    bw_advisories_free(a);

    /* Over-long strings are cut to fit, at a UTF-8 boundary. */
    char big[2048];
    int k = snprintf(big, sizeof(big),
                     "{\"vulnerabilities\":[{\"cveID\":\"CVE-2000-1\",\"vendorProject\":\"v\","
                     "\"product\":\"p\",\"vulnerabilityName\":\"");
    for (int i = 0; i < 200; i++)
        k += snprintf(big + k, sizeof(big) - (size_t)k, "\xc3\xa9");
    snprintf(big + k, sizeof(big) - (size_t)k,
             "\",\"requiredAction\":\"a\",\"dateAdded\":\"2022-01-10\"}]}");
    assert_int_equal(bw_advisories_parse_kev(&a, big, strlen(big), &skipped, &d), BW_OK);
    const struct bw_advisory *r = bw_advisories_at(a, 0);
    assert_int_equal(strlen(r->name), 254);
    assert_true(bw_utf8_valid(r->name, strlen(r->name)));
    bw_advisories_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_whole_catalog_parses),
        cmocka_unit_test(hikvision_camera_gets_its_cve),
        cmocka_unit_test(unknown_vendor_matches_nothing),
        cmocka_unit_test(model_numbers_decide_for_dlink),
        cmocka_unit_test(netgear_spellings_match),
        cmocka_unit_test(operator_notes_join_the_set),
        cmocka_unit_test(bad_catalogs),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
