/*
 * tests/unit/enrich/test_geo.c - country lookups in the real
 * @ip-location-db/geo-whois-asn-country-mmdb database under $BW_DATA (scripts/fetch-data.sh).
 */
#include "test.h"

#include "enrich/enrich.h"

#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char mmdb_path[512];
static struct bw_geo *geo;
static char why[700];

static int group_setup(void **state)
{
    const char *data = getenv("BW_DATA");
    struct bw_diag d = { "" };

    (void)state;
    if (data == NULL || data[0] == '\0') {
        snprintf(why, sizeof(why),
                 "BW_DATA is not set: run scripts/fetch-data.sh and point BW_DATA at its folder");
        return 0;
    }
    snprintf(mmdb_path, sizeof(mmdb_path), "%s/geo/geo-whois-asn-country.mmdb", data);
    if (access(mmdb_path, R_OK) != 0) {
        snprintf(why, sizeof(why),
                 "%s is missing: run scripts/fetch-data.sh (make check runs it first)", mmdb_path);
        return 0;
    }
    if (bw_geo_open(&geo, mmdb_path, &d) != BW_OK)
        snprintf(why, sizeof(why), "opening the real database failed: %s", d.msg);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    bw_geo_close(geo);
    return 0;
}

static const struct bw_geo *real_db(void)
{
    if (geo == NULL)
        fail_msg("%s", why);
    return geo;
}

static struct bw_addr addr(const char *s)
{
    struct bw_addr a;

    if (bw_addr_parse(&a, s, strlen(s)) != BW_OK)
        fail_msg("bad address in test: %s", s);
    return a;
}

static void expect_cc(const char *ip, const char *want)
{
    struct bw_addr a = addr(ip);
    char cc[3] = "??";
    char region[64] = "x";
    char city[64] = "x";

    if (!bw_geo_lookup(real_db(), &a, cc, region, sizeof(region), city, sizeof(city)))
        fail_msg("%s: no country, expected %s", ip, want);
    assert_string_equal(cc, want);
    /* a country database has neither */
    assert_string_equal(region, "");
    assert_string_equal(city, "");
}

static void expect_unknown(const char *ip)
{
    struct bw_addr a = addr(ip);
    char cc[3] = "??";

    if (bw_geo_lookup(real_db(), &a, cc, NULL, 0, NULL, 0))
        fail_msg("%s: expected no country, got %s", ip, cc);
    assert_string_equal(cc, "");
}

static void known_countries(void **state)
{
    (void)state;
    expect_cc("81.2.69.142", "GB");
    expect_cc("175.16.199.1", "CN");
    expect_cc("2a02:cf40::99", "DK");
    expect_cc("45.33.32.156", "US");
    expect_cc("1.1.1.1", "AU");
}

/* IPv4 is held as ::ffff:a.b.c.d; looked up as such it would find nothing in this database. */
static void mapped_addresses_are_looked_up_as_ipv4(void **state)
{
    (void)state;
    expect_cc("::ffff:81.2.69.142", "GB");
    expect_cc("::ffff:175.16.199.1", "CN");
}

static void private_space_has_no_country(void **state)
{
    (void)state;
    expect_unknown("10.0.0.1");
    expect_unknown("192.168.1.1");
    expect_unknown("127.0.0.1");
    expect_unknown("fc00::1");
    expect_unknown("::1");
}

static void region_and_city_may_be_null(void **state)
{
    struct bw_addr a = addr("81.2.69.142");
    char cc[3];

    (void)state;
    assert_true(bw_geo_lookup(real_db(), &a, cc, NULL, 0, NULL, 0));
    assert_string_equal(cc, "GB");
}

/* The country database is compiled into a range table at open: for random public addresses it
 * must answer exactly what libmaxminddb answers from the file. */
static void compiled_table_agrees_with_libmaxminddb(void **state)
{
    MMDB_s mmdb;
    uint64_t x = 0x2545f4914f6cdd1dull;
    unsigned compared = 0, with_country = 0;

    (void)state;
    real_db();
    assert_int_equal(MMDB_open(mmdb_path, MMDB_MODE_MMAP, &mmdb), MMDB_SUCCESS);
    while (compared < 200000) {
        struct bw_addr a;
        struct sockaddr_storage ss;
        char want[3] = "", got[3] = "";
        int err = 0;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memset(&a, 0, sizeof(a));
        memset(&ss, 0, sizeof(ss));
        if (compared % 4 != 0) { /* IPv4 */
            struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
            a.b[10] = a.b[11] = 0xff;
            memcpy(a.b + 12, &x, 4);
            sin->sin_family = AF_INET;
            memcpy(&sin->sin_addr, a.b + 12, 4);
        } else { /* IPv6 in 2000::/4, where the data is */
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
            uint64_t y = x * 0x9e3779b97f4a7c15ull;
            memcpy(a.b, &x, 8);
            memcpy(a.b + 8, &y, 8);
            a.b[0] = (uint8_t)(0x20 | (a.b[0] & 0x0f));
            sin6->sin6_family = AF_INET6;
            memcpy(&sin6->sin6_addr, a.b, 16);
        }
        if (bw_addr_class(&a) != BW_ADDR_PUBLIC)
            continue;
        MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&mmdb, (struct sockaddr *)&ss, &err);
        assert_int_equal(err, MMDB_SUCCESS);
        if (r.found_entry) {
            MMDB_entry_data_s v;
            if (MMDB_get_value(&r.entry, &v, "country_code", NULL) == MMDB_SUCCESS &&
                v.has_data && v.type == MMDB_DATA_TYPE_UTF8_STRING && v.data_size == 2)
                memcpy(want, v.utf8_string, 2);
        }
        bool found = bw_geo_lookup(geo, &a, got, NULL, 0, NULL, 0);
        if (strcmp(want, got) != 0 || found != (want[0] != '\0')) {
            char text[BW_ADDR_TEXT_MAX];
            fail_msg("%s: libmaxminddb says \"%s\", bw_geo_lookup \"%s\"",
                     bw_addr_format(&a, text), want, got);
        }
        with_country += found;
        compared++;
    }
    MMDB_close(&mmdb);
    assert_true(with_country > compared / 2);
}

/* ---- a MaxMind-style city database, written by the test -------------------------------- */

/* A tiny MMDB writer (format: MaxMind DB spec 2.0): a binary trie with 24-bit records, the
 * 16-byte separator, the data section, then the metadata map. Sizes stay under 29, so every
 * control byte is one byte (two for the extended types). */
struct mmw {
    uint8_t b[8192];
    size_t len;
};

static void put(struct mmw *w, const void *p, size_t n)
{
    assert_true(w->len + n <= sizeof(w->b));
    memcpy(w->b + w->len, p, n);
    w->len += n;
}

static void put_ctrl(struct mmw *w, unsigned type, size_t size)
{
    assert_true(size < 29);
    if (type <= 7) {
        uint8_t c = (uint8_t)(type << 5 | size);
        put(w, &c, 1);
    } else {
        uint8_t c[2] = { (uint8_t)size, (uint8_t)(type - 7) };
        put(w, c, 2);
    }
}

static void put_str(struct mmw *w, const char *s)
{
    put_ctrl(w, 2, strlen(s));
    put(w, s, strlen(s));
}

static void put_uint(struct mmw *w, unsigned type, uint64_t v, size_t n)
{
    uint8_t b[8];

    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    put_ctrl(w, type, n);
    put(w, b, n);
}

/* {key: {"names": {"en": name}}} pieces */
static void put_named(struct mmw *w, const char *name)
{
    put_ctrl(w, 7, 1);
    put_str(w, "names");
    put_ctrl(w, 7, 1);
    put_str(w, "en");
    put_str(w, name);
}

#define MAX_NODES 256

struct trie {
    int64_t rec[MAX_NODES][2]; /* -1 empty, >= 0 node, <= -2 data at offset -(v + 2) */
    size_t n;
};

static void trie_insert(struct trie *t, const char *prefix_text, unsigned len, size_t data_off)
{
    struct bw_addr a;
    size_t node = 0;

    assert_int_equal(bw_addr_parse(&a, prefix_text, strlen(prefix_text)), BW_OK);
    if (bw_addr_is_v4(&a)) { /* the IPv4 tree lives at ::/96 */
        memset(a.b, 0, 12);
        len += 96;
    }
    for (unsigned d = 0; d < len; d++) {
        int bit = (a.b[d / 8] >> (7 - d % 8)) & 1;
        int64_t *r = &t->rec[node][bit];
        if (d + 1 == len) {
            *r = -(int64_t)data_off - 2;
            break;
        }
        if (*r == -1) {
            assert_true(t->n < MAX_NODES);
            t->rec[t->n][0] = t->rec[t->n][1] = -1;
            *r = (int64_t)t->n++;
        }
        node = (size_t)*r;
    }
}

static void write_city_db(const char *path)
{
    struct mmw data = { .len = 0 }, file = { .len = 0 };
    struct trie t;
    size_t city_rec, registered_rec, lower_rec;

    /* London, England, GB */
    city_rec = data.len;
    put_ctrl(&data, 7, 3);
    put_str(&data, "city");
    put_named(&data, "London");
    put_str(&data, "country");
    put_ctrl(&data, 7, 1);
    put_str(&data, "iso_code");
    put_str(&data, "GB");
    put_str(&data, "subdivisions");
    put_ctrl(&data, 11, 1);
    put_named(&data, "England");
    /* a network with only a registered country (as MaxMind has for some anycast ranges) */
    registered_rec = data.len;
    put_ctrl(&data, 7, 1);
    put_str(&data, "registered_country");
    put_ctrl(&data, 7, 1);
    put_str(&data, "iso_code");
    put_str(&data, "CN");
    /* a lower-case code */
    lower_rec = data.len;
    put_ctrl(&data, 7, 1);
    put_str(&data, "country");
    put_ctrl(&data, 7, 1);
    put_str(&data, "iso_code");
    put_str(&data, "dk");

    t.n = 1;
    t.rec[0][0] = t.rec[0][1] = -1;
    trie_insert(&t, "81.0.0.0", 8, city_rec);
    trie_insert(&t, "175.16.0.0", 16, registered_rec);
    trie_insert(&t, "2a02::", 16, lower_rec);

    for (size_t i = 0; i < t.n; i++) {
        for (int side = 0; side < 2; side++) {
            int64_t r = t.rec[i][side];
            uint64_t v = r == -1 ? t.n : r >= 0 ? (uint64_t)r : t.n + 16 + (uint64_t)(-(r + 2));
            uint8_t b[3] = { (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
            put(&file, b, 3);
        }
    }
    put(&file, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    put(&file, data.b, data.len);
    put(&file, "\xab\xcd\xefMaxMind.com", 14);
    put_ctrl(&file, 7, 9);
    put_str(&file, "node_count");
    put_uint(&file, 6, t.n, 4);
    put_str(&file, "record_size");
    put_uint(&file, 5, 24, 2);
    put_str(&file, "ip_version");
    put_uint(&file, 5, 6, 2);
    put_str(&file, "database_type");
    put_str(&file, "botwatch-Test-City");
    put_str(&file, "languages");
    put_ctrl(&file, 11, 1);
    put_str(&file, "en");
    put_str(&file, "binary_format_major_version");
    put_uint(&file, 5, 2, 2);
    put_str(&file, "binary_format_minor_version");
    put_uint(&file, 5, 0, 2);
    put_str(&file, "build_epoch");
    put_uint(&file, 9, 1781725900, 8);
    put_str(&file, "description");
    put_ctrl(&file, 7, 1);
    put_str(&file, "en");
    put_str(&file, "botwatch test city database");

    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(file.b, 1, file.len, f), file.len);
    assert_int_equal(fclose(f), 0);
}

static void city_database_gives_region_and_city(void **state)
{
    char path[] = "/tmp/bw-test-geo-city.XXXXXX";
    struct bw_geo *g = NULL;
    struct bw_diag d = { "" };
    char cc[3], region[64], city[64], tiny[4];
    struct bw_addr a;

    (void)state;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_city_db(path);
    if (bw_geo_open(&g, path, &d) != BW_OK) {
        unlink(path);
        fail_msg("%s", d.msg);
    }
    unlink(path); /* mapped: the lookups below do not need the name */

    a = addr("81.2.69.142");
    assert_true(bw_geo_lookup(g, &a, cc, region, sizeof(region), city, sizeof(city)));
    assert_string_equal(cc, "GB");
    assert_string_equal(region, "England");
    assert_string_equal(city, "London");
    /* IPv4 held as ::ffff:a.b.c.d is looked up in the IPv4 tree */
    a = addr("::ffff:81.255.0.1");
    assert_true(bw_geo_lookup(g, &a, cc, region, sizeof(region), city, sizeof(city)));
    assert_string_equal(city, "London");
    /* a short buffer is cut, NUL-terminated */
    assert_true(bw_geo_lookup(g, &a, cc, NULL, 0, tiny, sizeof(tiny)));
    assert_string_equal(tiny, "Lon");

    a = addr("175.16.199.1");
    assert_true(bw_geo_lookup(g, &a, cc, region, sizeof(region), city, sizeof(city)));
    assert_string_equal(cc, "CN");
    assert_string_equal(region, "");
    assert_string_equal(city, "");

    a = addr("2a02:cf40::99");
    assert_true(bw_geo_lookup(g, &a, cc, region, sizeof(region), city, sizeof(city)));
    assert_string_equal(cc, "DK");

    a = addr("1.1.1.1");
    assert_false(bw_geo_lookup(g, &a, cc, region, sizeof(region), city, sizeof(city)));
    assert_string_equal(cc, "");
    assert_string_equal(city, "");
    a = addr("2001:db8::1");
    assert_false(bw_geo_lookup(g, &a, cc, NULL, 0, NULL, 0));
    bw_geo_close(g);
}

static void missing_file_is_named(void **state)
{
    struct bw_geo *g = NULL;
    struct bw_diag d = { "" };
    const char *p = "/nonexistent/geo/geo-whois-asn-country.mmdb";

    (void)state;
    assert_true(bw_geo_open(&g, p, &d) < 0);
    assert_null(g);
    assert_non_null(strstr(d.msg, p));
    assert_non_null(strstr(d.msg, "scripts/fetch-data.sh"));
}

/* A file that is not an MMDB (here the package's own README) is refused, named. */
static void non_mmdb_file_is_refused(void **state)
{
    struct bw_geo *g = NULL;
    struct bw_diag d = { "" };
    char p[600];

    (void)state;
    real_db();
    snprintf(p, sizeof(p), "%s/geo/package.json", getenv("BW_DATA"));
    assert_int_equal(bw_geo_open(&g, p, &d), BW_EMALFORMED);
    assert_null(g);
    assert_non_null(strstr(d.msg, p));
    assert_non_null(strstr(d.msg, "scripts/fetch-data.sh"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_countries),
        cmocka_unit_test(mapped_addresses_are_looked_up_as_ipv4),
        cmocka_unit_test(private_space_has_no_country),
        cmocka_unit_test(region_and_city_may_be_null),
        cmocka_unit_test(compiled_table_agrees_with_libmaxminddb),
        cmocka_unit_test(city_database_gives_region_and_city),
        cmocka_unit_test(missing_file_is_named),
        cmocka_unit_test(non_mmdb_file_is_refused),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
