/*
 * tests/unit/enrich/test_asn.c - the ASN range table, compiled from the real @ip-location-db/asn
 * CSVs under $BW_DATA (scripts/fetch-data.sh) into a temporary folder, plus small hand-written
 * CSVs for the parser's edge cases.
 */
#include "test.h"

#include "enrich/enrich.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct fixture {
    char dir[64];        /* temporary folder */
    char table[128];     /* the real data, compiled */
    struct bw_asn *t;
    uint64_t ranges, bad_rows;
    char why[600];       /* set when the real data could not be compiled or opened */
};

static struct fixture fx;

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", fx.dir, name);
}

static int group_setup(void **state)
{
    const char *data = getenv("BW_DATA");
    char v4[512], v6[512];
    struct bw_diag d = { "" };

    (void)state;
    snprintf(fx.dir, sizeof(fx.dir), "/tmp/bw-test-asn.XXXXXX");
    if (mkdtemp(fx.dir) == NULL)
        return -1;
    path_in(fx.table, sizeof(fx.table), "asn.bwasn");
    if (data == NULL || data[0] == '\0') {
        snprintf(fx.why, sizeof(fx.why),
                 "BW_DATA is not set: run scripts/fetch-data.sh and point BW_DATA at its folder");
        return 0;
    }
    snprintf(v4, sizeof(v4), "%s/asn/asn-ipv4.csv", data);
    snprintf(v6, sizeof(v6), "%s/asn/asn-ipv6.csv", data);
    if (access(v4, R_OK) != 0 || access(v6, R_OK) != 0) {
        snprintf(fx.why, sizeof(fx.why),
                 "%s is missing: run scripts/fetch-data.sh (make check runs it first)", v4);
        return 0;
    }
    if (bw_asn_compile(v4, v6, fx.table, &fx.ranges, &fx.bad_rows, &d) != BW_OK ||
        bw_asn_open(&fx.t, fx.table, &d) != BW_OK)
        snprintf(fx.why, sizeof(fx.why), "compiling the real data failed: %s", d.msg);
    return 0;
}

static int group_teardown(void **state)
{
    char cmd[128];

    (void)state;
    bw_asn_close(fx.t);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const struct bw_asn *real_table(void)
{
    if (fx.t == NULL)
        fail_msg("%s", fx.why);
    return fx.t;
}

static struct bw_addr addr(const char *s)
{
    struct bw_addr a;

    if (bw_addr_parse(&a, s, strlen(s)) != BW_OK)
        fail_msg("bad address in test: %s", s);
    return a;
}

static void expect(const struct bw_asn *t, const char *ip, uint32_t asn, const char *org_part,
                   const char *prefix)
{
    struct bw_addr a = addr(ip);
    struct bw_asn_info info;
    char buf[BW_PREFIX_TEXT_MAX];

    if (!bw_asn_lookup(t, &a, &info))
        fail_msg("%s: not found, expected AS%u", ip, asn);
    assert_int_equal(info.asn, asn);
    if (org_part != NULL && strstr(info.org, org_part) == NULL)
        fail_msg("%s: org \"%s\" does not contain \"%s\"", ip, info.org, org_part);
    assert_true(bw_prefix_contains(&info.prefix, &a));
    if (prefix != NULL)
        assert_string_equal(bw_prefix_format(&info.prefix, buf), prefix);
}

static void expect_none(const struct bw_asn *t, const char *ip)
{
    struct bw_addr a = addr(ip);
    struct bw_asn_info info;

    memset(&info, 0xa5, sizeof(info));
    if (bw_asn_lookup(t, &a, &info))
        fail_msg("%s: expected no ASN, got AS%u", ip, info.asn);
    assert_int_equal(info.asn, 0);
    assert_string_equal(info.org, "");
    assert_int_equal(info.prefix.len, 0);
}

/* ---- the real data ---------------------------------------------------------------------- */

static void real_data_compiles(void **state)
{
    (void)state;
    real_table();
    /* ~400k IPv4 and ~100k IPv6 rows, some merged; a real file has no malformed rows */
    assert_true(fx.ranges > 300000);
    assert_true(fx.ranges < 1000000);
    assert_int_equal(fx.bad_rows, 0);
}

static void known_addresses(void **state)
{
    const struct bw_asn *t = real_table();

    (void)state;
    expect(t, "81.2.69.142", 20712, "Andrews", "81.2.64.0/18");
    expect(t, "175.16.199.1", 4837, "CHINA UNICOM", "175.16.0.0/13");
    expect(t, "2a02:cf40::99", 62121, NULL, "2a02:cf40::/29");
    /* Linode's space, announced by Akamai since the acquisition */
    expect(t, "45.33.32.156", 63949, "Akamai", NULL);
    expect(t, "1.1.1.1", 13335, "Cloudflare, Inc.", "1.1.1.0/24");
}

static void mapped_text_is_the_ipv4_address(void **state)
{
    const struct bw_asn *t = real_table();

    (void)state;
    expect(t, "::ffff:81.2.69.142", 20712, "Andrews", "81.2.64.0/18");
}

static void unannounced_space_is_not_found(void **state)
{
    const struct bw_asn *t = real_table();

    (void)state;
    expect_none(t, "10.1.2.3");
    expect_none(t, "192.168.0.1");
    expect_none(t, "127.0.0.1");
    expect_none(t, "0.0.0.0");
    expect_none(t, "255.255.255.255");
    expect_none(t, "fc00::1");
    expect_none(t, "::1");
    expect_none(t, "::");
    expect_none(t, "2001:db8::1");
    expect_none(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* In the data, 214.95.0.0-215.0.255.255 (AS749) overlaps 215.0.0.0-215.1.3.255 (AS721): the
 * range that starts later wins where they overlap. */
static void overlapping_rows_in_real_data(void **state)
{
    const struct bw_asn *t = real_table();

    (void)state;
    expect(t, "214.96.0.1", 749, "Department of Defense", NULL);
    expect(t, "215.0.0.1", 721, NULL, NULL);
    expect(t, "215.1.3.255", 721, NULL, NULL);
}

static void announced_counts(void **state)
{
    const struct bw_asn *t = real_table();
    struct bw_asn_info info;

    (void)state;
    assert_true(bw_asn_by_number(t, 20712, &info));
    assert_int_equal(info.asn, 20712);
    assert_non_null(strstr(info.org, "Andrews"));
    assert_true(info.announced_v4 >= 16384); /* 81.2.64.0/18 alone */
    assert_true(info.announced_v4 < 1000000);
    assert_true(info.announced_v6_64 > 0);
    assert_true(bw_asn_by_number(t, 4837, &info));
    assert_true(info.announced_v4 > 10000000); /* China Unicom: tens of millions */

    memset(&info, 0xa5, sizeof(info));
    assert_false(bw_asn_by_number(t, 64512, &info)); /* private use */
    assert_int_equal(info.asn, 0);
    assert_string_equal(info.org, "");
    assert_false(bw_asn_by_number(t, 0, &info));
}

/* The lookup answers agree with a plain scan of the CSV for a sample of its rows. */
static void agrees_with_the_csv(void **state)
{
    const struct bw_asn *t = real_table();
    char path[512];
    char line[1024];
    unsigned checked = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/asn/asn-ipv6.csv", getenv("BW_DATA"));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    for (unsigned n = 0; fgets(line, sizeof(line), f) != NULL; n++) {
        char *comma = strchr(line, ',');
        if (n % 997 != 0 || comma == NULL)
            continue;
        struct bw_addr a;
        struct bw_asn_info info;
        assert_int_equal(bw_addr_parse(&a, line, (size_t)(comma - line)), BW_OK);
        char *c2 = strchr(comma + 1, ',');
        assert_non_null(c2);
        unsigned long asn = strtoul(c2 + 1, NULL, 10);
        assert_true(bw_asn_lookup(t, &a, &info));
        if (info.asn != asn)
            fail_msg("line %u (%s): AS%u, CSV says AS%lu", n + 1, line, info.asn, asn);
        checked++;
    }
    fclose(f);
    assert_true(checked > 50);
}

/* ---- refusing bad files ------------------------------------------------------------------- */

static void copy_file(const char *from, const char *to)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

static void expect_refused_why(const char *path, int want_rc, const char *why)
{
    struct bw_asn *t = NULL;
    struct bw_diag d = { "" };

    int rc = bw_asn_open(&t, path, &d);
    if (rc == BW_OK) {
        bw_asn_close(t);
        fail_msg("%s was accepted", path);
    }
    assert_null(t);
    if (want_rc != 0)
        assert_int_equal(rc, want_rc);
    if (strstr(d.msg, path) == NULL || strstr(d.msg, "scripts/fetch-data.sh") == NULL ||
        strstr(d.msg, "botwatch data update") == NULL)
        fail_msg("diag does not name the file and the fix: %s", d.msg);
    if (why != NULL && strstr(d.msg, why) == NULL)
        fail_msg("diag does not say \"%s\": %s", why, d.msg);
}

static void expect_refused(const char *path, int want_rc)
{
    expect_refused_why(path, want_rc, NULL);
}

static void patch_byte(const char *path, off_t off, uint8_t xor_with)
{
    int fd = open(path, O_RDWR);
    uint8_t b;

    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &b, 1, off), 1);
    b ^= xor_with;
    assert_int_equal(pwrite(fd, &b, 1, off), 1);
    close(fd);
}

static void corrupt_tables_are_refused(void **state)
{
    char p[160];
    struct stat sb;

    (void)state;
    real_table();
    assert_int_equal(stat(fx.table, &sb), 0);

    path_in(p, sizeof(p), "flipped.bwasn");
    copy_file(fx.table, p);
    patch_byte(p, sb.st_size / 2, 0x10);
    expect_refused_why(p, BW_EMALFORMED, "checksum");

    path_in(p, sizeof(p), "flipped-header.bwasn");
    copy_file(fx.table, p);
    patch_byte(p, 20, 0x01); /* a count */
    expect_refused(p, BW_EMALFORMED);

    path_in(p, sizeof(p), "truncated.bwasn");
    copy_file(fx.table, p);
    assert_int_equal(truncate(p, sb.st_size - 4096), 0);
    expect_refused_why(p, BW_EMALFORMED, "truncated");

    path_in(p, sizeof(p), "short.bwasn");
    copy_file(fx.table, p);
    assert_int_equal(truncate(p, 10), 0);
    expect_refused(p, BW_EMALFORMED);

    path_in(p, sizeof(p), "magic.bwasn");
    copy_file(fx.table, p);
    patch_byte(p, 0, 'B' ^ 'X');
    expect_refused_why(p, BW_EMALFORMED, "magic");

    path_in(p, sizeof(p), "empty.bwasn");
    close(open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644));
    expect_refused(p, BW_EMALFORMED);

    path_in(p, sizeof(p), "missing.bwasn");
    expect_refused(p, BW_ENOENT);

    /* the original is still fine */
    struct bw_asn *t = NULL;
    struct bw_diag d;
    assert_int_equal(bw_asn_open(&t, fx.table, &d), BW_OK);
    bw_asn_close(t);
}

/* A file with a right checksum but an impossible structure (as a crafted file could be) is
 * refused by the structural checks. Layout from enrich/asn.c: checksum u32 at byte 36 (CRC-32
 * of the file with it zeroed), the offset of the IPv4 ranges u64 at byte 48, ranges of
 * {u32 first, u32 last, u32 asn_index}. */
static void rewrite_with_checksum(const char *path, size_t off, const void *p, size_t n)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size > 100);
    uint8_t *buf = malloc((size_t)size);
    assert_non_null(buf);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    memcpy(buf + off, p, n);
    memset(buf + 36, 0, 4);
    uint32_t crc = (uint32_t)crc32_z(crc32(0L, Z_NULL, 0), buf, (size_t)size);
    memcpy(buf + 36, &crc, 4);
    rewind(f);
    assert_int_equal(fwrite(buf, 1, (size_t)size, f), (size_t)size);
    assert_int_equal(fclose(f), 0);
    free(buf);
}

static void crafted_tables_are_refused(void **state)
{
    char p[160];
    uint64_t off_v4;
    uint32_t v;
    struct bw_asn *t = NULL;
    struct bw_diag d = { "" };

    (void)state;
    real_table();
    FILE *f = fopen(fx.table, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 48, SEEK_SET), 0);
    assert_int_equal(fread(&off_v4, sizeof(off_v4), 1, f), 1);
    fclose(f);

    /* the CRC fix-up alone leaves a valid table: the test's idea of the layout is right */
    path_in(p, sizeof(p), "crafted-same.bwasn");
    copy_file(fx.table, p);
    v = 0;
    rewrite_with_checksum(p, 40 + 64, &v, 0);
    assert_int_equal(bw_asn_open(&t, p, &d), BW_OK);
    bw_asn_close(t);

    path_in(p, sizeof(p), "crafted-value.bwasn");
    copy_file(fx.table, p);
    v = UINT32_MAX; /* ASN index of the first IPv4 range, far past the ASN table */
    rewrite_with_checksum(p, (size_t)off_v4 + 8, &v, sizeof(v));
    expect_refused_why(p, BW_EMALFORMED, "IPv4 range value");

    path_in(p, sizeof(p), "crafted-order.bwasn");
    copy_file(fx.table, p);
    v = UINT32_MAX; /* last address of the first IPv4 range: now overlaps the next */
    rewrite_with_checksum(p, (size_t)off_v4 + 4, &v, sizeof(v));
    expect_refused_why(p, BW_EMALFORMED, "IPv4 ranges out of order");

    path_in(p, sizeof(p), "crafted-offset.bwasn");
    copy_file(fx.table, p);
    uint64_t far = UINT64_MAX - 7; /* the IPv4 ranges' offset, out of the file */
    rewrite_with_checksum(p, 48, &far, sizeof(far));
    expect_refused_why(p, BW_EMALFORMED, "section outside the file");
}

/* ---- hand-written CSVs -------------------------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static struct bw_asn *compile_text(const char *v4, const char *v6, uint64_t *ranges,
                                   uint64_t *bad)
{
    char p4[160], p6[160], out[160];
    struct bw_asn *t = NULL;
    struct bw_diag d = { "" };

    path_in(p4, sizeof(p4), "small-v4.csv");
    path_in(p6, sizeof(p6), "small-v6.csv");
    path_in(out, sizeof(out), "small.bwasn");
    if (v4 != NULL)
        write_text(p4, v4);
    if (v6 != NULL)
        write_text(p6, v6);
    if (bw_asn_compile(v4 ? p4 : NULL, v6 ? p6 : NULL, out, ranges, bad, &d) != BW_OK)
        fail_msg("compile: %s", d.msg);
    if (bw_asn_open(&t, out, &d) != BW_OK)
        fail_msg("open: %s", d.msg);
    return t;
}

static void bad_rows_are_counted_and_skipped(void **state)
{
    uint64_t ranges = 0, bad = 0;

    (void)state;
    struct bw_asn *t = compile_text(
        "first_ip,last_ip,asn,org\n"                          /* header: skipped quietly */
        "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
        "\n"                                                  /* blank: skipped quietly */
        "2.26.200.0,2.26.215.255,201907,\"LLC \"\"SPUTNIK\"\"\"\r\n"
        "3.0.0.0,3.0.0.255,64500,Plain, commas, unquoted\n"
        "4.0.0.0,4.0.0.255\n"                                 /* bad: columns */
        "5.0.0.0,5.0.0.256,64501,x\n"                         /* bad: address */
        "6.0.0.9,6.0.0.1,64502,x\n"                           /* bad: first > last */
        "7.0.0.0,7.0.0.255,AS64503,x\n"                       /* bad: ASN */
        "8.0.0.0,8.0.0.255,4294967296,x\n"                    /* bad: ASN too big */
        "9.0.0.0,2001::1,64504,x\n"                           /* bad: families differ */
        "10.0.0.0,10.0.0.255,64505,\"unterminated\n"          /* bad: quote */
        "11.0.0.0,11.0.0.255,64506,\"a\"b\"\n"                /* bad: lone quote */
        "12.0.0.0,12.0.0.255,64507,\xff\xfe\n"                /* bad: not UTF-8 */
        "013.0.0.0,13.0.0.255,64508,x\n"                      /* bad: leading zero */
        "14.0.0.0,14.0.0.255,0,Not routed\n"                  /* AS0: skipped quietly */
        "15.0.0.0,15.0.0.255,64509,last line without newline",
        "2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project\n"
        "::ffff:16.0.0.0,::ffff:16.0.0.255,64510,mapped is IPv4\n"
        "::,::ffff:ffff:ffff:ffff:ffff,64511,straddles the IPv4 space\n", /* bad */
        &ranges, &bad);

    assert_int_equal(bad, 11);
    assert_int_equal(ranges, 6);
    expect(t, "1.0.0.7", 13335, "Cloudflare, Inc.", "1.0.0.0/24");
    expect(t, "2.26.201.1", 201907, "LLC \"SPUTNIK\"", "2.26.200.0/21");
    expect(t, "3.0.0.1", 64500, "Plain, commas, unquoted", NULL);
    expect(t, "15.0.0.1", 64509, "last line without newline", NULL);
    expect(t, "16.0.0.1", 64510, "mapped is IPv4", "16.0.0.0/24");
    expect(t, "2001:200:1::1", 2500, "WIDE Project", "2001:200::/32");
    expect_none(t, "4.0.0.1");
    expect_none(t, "14.0.0.1");
    expect_none(t, "1.0.1.0");
    bw_asn_close(t);
}

static void overlaps_nesting_and_merging(void **state)
{
    uint64_t ranges = 0, bad = 0;
    struct bw_asn_info info;

    (void)state;
    struct bw_asn *t = compile_text(
        "20.0.0.0,20.255.255.255,100,Outer\n"
        "20.1.0.0,20.1.255.255,200,Inner\n"        /* nested: inner wins inside */
        "20.1.0.0,20.1.0.255,300,Innermost\n"      /* same start, narrower: wins */
        "30.0.0.0,30.0.0.127,400,Merged\n"
        "30.0.0.128,30.0.1.255,400,Merged\n"       /* adjacent, same AS: one range */
        "40.0.0.0,40.0.0.200,500,A\n"
        "40.0.0.100,40.0.1.255,600,B\n"            /* partial overlap: later start wins */
        "0.0.0.0,0.0.0.0,700,Lowest\n"
        "255.255.255.255,255.255.255.255,800,Highest\n",
        "ffff::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,900,Top of IPv6\n"
        "2000::,2000::ff,1000,Small\n"
        "2000::200,2000::2ff,1000,Small\n",
        &ranges, &bad);

    assert_int_equal(bad, 0);
    expect(t, "20.0.0.1", 100, "Outer", "20.0.0.0/16");
    expect(t, "20.1.0.1", 300, "Innermost", "20.1.0.0/24");
    expect(t, "20.1.1.1", 200, "Inner", "20.1.1.0/24");
    expect(t, "20.1.128.1", 200, "Inner", "20.1.128.0/17");
    expect(t, "20.2.0.1", 100, "Outer", "20.2.0.0/15");
    expect(t, "20.255.255.255", 100, "Outer", "20.128.0.0/9");
    expect(t, "30.0.1.1", 400, "Merged", "30.0.0.0/23");
    expect(t, "40.0.0.99", 500, "A", "40.0.0.96/30");
    expect(t, "40.0.0.100", 600, "B", "40.0.0.100/30");
    expect(t, "40.0.1.0", 600, "B", "40.0.1.0/24");
    expect(t, "0.0.0.0", 700, "Lowest", "0.0.0.0/32");
    expect(t, "255.255.255.255", 800, "Highest", "255.255.255.255/32");
    expect(t, "ffff::1", 900, "Top of IPv6", "ffff::/16");
    expect(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 900, NULL, "ffff::/16");
    expect(t, "2000::1", 1000, "Small", "2000::/120");
    expect(t, "2000::2ff", 1000, "Small", "2000::200/120");
    expect_none(t, "2000::100");
    /* 20/8 minus 20.1/16 -> 2 ranges, 20.1/16 -> 2, 30 -> 1, 40 -> 2, 0 and 255 -> 2; IPv6 3 */
    assert_int_equal(ranges, 12);

    assert_true(bw_asn_by_number(t, 400, &info));
    assert_int_equal(info.announced_v4, 512);
    assert_int_equal(info.announced_v6_64, 0);
    assert_true(bw_asn_by_number(t, 1000, &info));
    assert_int_equal(info.announced_v6_64, 1); /* both ranges sit in one /64 */
    assert_true(bw_asn_by_number(t, 100, &info));
    assert_int_equal(info.announced_v4, (1u << 24) - (1u << 16));
    bw_asn_close(t);
}

static void compile_errors_name_the_file(void **state)
{
    char out[160];
    struct bw_diag d = { "" };
    uint64_t ranges = 7, bad = 7;

    (void)state;
    path_in(out, sizeof(out), "never.bwasn");
    assert_int_equal(bw_asn_compile("/nonexistent/asn-ipv4.csv", NULL, out, &ranges, &bad, &d),
                     BW_ENOENT);
    assert_non_null(strstr(d.msg, "/nonexistent/asn-ipv4.csv"));
    assert_non_null(strstr(d.msg, "scripts/fetch-data.sh"));
    assert_int_equal(ranges, 7); /* untouched on failure */
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(bw_asn_compile(NULL, NULL, out, &ranges, &bad, &d), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_data_compiles),
        cmocka_unit_test(known_addresses),
        cmocka_unit_test(mapped_text_is_the_ipv4_address),
        cmocka_unit_test(unannounced_space_is_not_found),
        cmocka_unit_test(overlapping_rows_in_real_data),
        cmocka_unit_test(announced_counts),
        cmocka_unit_test(agrees_with_the_csv),
        cmocka_unit_test(corrupt_tables_are_refused),
        cmocka_unit_test(crafted_tables_are_refused),
        cmocka_unit_test(bad_rows_are_counted_and_skipped),
        cmocka_unit_test(overlaps_nesting_and_merging),
        cmocka_unit_test(compile_errors_name_the_file),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
