/*
 * fuzz/fuzz_asn_csv.c - the ASN range table's two parsers of outside input: the
 * @ip-location-db/asn CSV (bw_asn_compile) and the compiled binary file (bw_asn_open).
 *
 * The first input byte picks the mode:
 *  - even: the rest is a CSV (sent as the IPv4 file, or the IPv6 one when bit 1 is set); it is
 *    compiled, the table opened, and the addresses of a few probes looked up: any answer must
 *    hold the address in its prefix and name a non-zero ASN that bw_asn_by_number knows.
 *  - odd: a table is compiled from a small fixed CSV, then the rest of the input is applied
 *    as (24-bit offset, xor) edits of 4 bytes each and the CRC-32 recomputed (it sits at
 *    byte 36 and covers the file with itself zeroed; see enrich/asn.c), so that edits reach the structural
 *    checks of bw_asn_open instead of stopping at the checksum. An accepted table is probed.
 * Its files are named by process id in /dev/shm (else /tmp) and unlinked once read.
 */
#include "enrich/enrich.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char csv_path[96], table_path[96];
static uint8_t base[1 << 20]; /* the table compiled from seed_csv */
static size_t base_len;

static const char seed_csv[] = "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
                               "20.0.0.0,20.255.255.255,100,Outer\n"
                               "20.1.0.0,20.1.255.255,200,Inner\n"
                               "81.2.64.0,81.2.127.255,20712,Andrews & Arnold Ltd\n"
                               "2a02:cf40::,2a02:cf47:ffff:ffff:ffff:ffff:ffff:ffff,62121,"
                               "Christian Ebsen ApS\n"
                               "2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,2500,WIDE\n";

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL)
        abort();
    if (n > 0 && fwrite(p, 1, n, f) != n)
        abort();
    if (fclose(f) != 0)
        abort();
}

static void setup(void)
{
    struct bw_diag d;
    uint64_t ranges, bad;
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

    if (base_len != 0)
        return;
    /* memory-backed when there is one: the files are rewritten on every run, and unlinked as
     * soon as they have been read */
    snprintf(csv_path, sizeof(csv_path), "%s/fuzz_asn_csv.%ld.csv", tmp, (long)getpid());
    snprintf(table_path, sizeof(table_path), "%s/fuzz_asn_csv.%ld.bwasn", tmp, (long)getpid());
    write_file(csv_path, seed_csv, sizeof(seed_csv) - 1);
    if (bw_asn_compile(csv_path, NULL, table_path, &ranges, &bad, &d) != BW_OK)
        abort();
    FILE *f = fopen(table_path, "rb");
    if (f == NULL)
        abort();
    base_len = fread(base, 1, sizeof(base), f);
    fclose(f);
    unlink(csv_path);
    unlink(table_path);
    if (base_len < 64 || base_len == sizeof(base))
        abort();
}

static void check_answer(const struct bw_asn *t, const struct bw_addr *a)
{
    struct bw_asn_info info, again;

    if (!bw_asn_lookup(t, a, &info)) {
        if (info.asn != 0 || info.org == NULL || info.org[0] != '\0')
            abort();
        return;
    }
    if (info.asn == 0 || info.org == NULL || !bw_prefix_contains(&info.prefix, a))
        abort();
    if (bw_addr_is_v4(a) != bw_addr_is_v4(&info.prefix.addr) || info.prefix.len > 128)
        abort();
    if (!bw_asn_by_number(t, info.asn, &again) || strcmp(again.org, info.org) != 0 ||
        again.announced_v4 != info.announced_v4)
        abort();
}

/* Probes: the input's own bytes as addresses, both families, plus the ends of the space. */
static void probe(const struct bw_asn *t, const uint8_t *data, size_t size)
{
    struct bw_addr a;

    memset(&a, 0, sizeof(a));
    check_answer(t, &a);
    memset(&a, 0xff, sizeof(a));
    check_answer(t, &a);
    for (size_t i = 0; i + 16 <= size && i < 16 * 8; i += 16) {
        memcpy(a.b, data + i, 16);
        check_answer(t, &a);
        memset(a.b, 0, 10);
        a.b[10] = a.b[11] = 0xff;
        check_answer(t, &a);
    }
    static const char *const known[] = { "1.0.0.7", "20.1.2.3", "81.2.69.142", "2a02:cf40::99",
                                         "2001:200::1" };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (bw_addr_parse(&a, known[i], strlen(known[i])) == BW_OK)
            check_answer(t, &a);
    }
}

static void fuzz_csv(const uint8_t *data, size_t size, bool as_v6)
{
    struct bw_diag d;
    struct bw_asn *t = NULL;
    uint64_t ranges = 0, bad = 0;

    write_file(csv_path, data, size);
    int rc = bw_asn_compile(as_v6 ? NULL : csv_path, as_v6 ? csv_path : NULL, table_path,
                            &ranges, &bad, &d);
    unlink(csv_path);
    if (rc != BW_OK)
        return;
    rc = bw_asn_open(&t, table_path, &d);
    unlink(table_path);
    if (rc != BW_OK)
        abort(); /* what compile writes, open must accept */
    probe(t, data, size);
    bw_asn_close(t);
}

static void fuzz_table(const uint8_t *data, size_t size)
{
    static uint8_t buf[sizeof(base)];
    struct bw_diag d;
    struct bw_asn *t = NULL;
    size_t n = base_len;

    memcpy(buf, base, n);
    for (size_t i = 0; i + 4 <= size; i += 4) {
        size_t off = ((size_t)data[i] << 16 | (size_t)data[i + 1] << 8 | data[i + 2]) % (n + 64);
        if (off >= n) /* past the end: cut the file short instead */
            n = n - (off - n) % 64;
        else
            buf[off] ^= data[i + 3];
    }
    memset(buf + 36, 0, 4);
    uint32_t crc = (uint32_t)crc32_z(crc32(0L, Z_NULL, 0), buf, n);
    memcpy(buf + 36, &crc, 4);
    write_file(table_path, buf, n);
    int rc = bw_asn_open(&t, table_path, &d);
    unlink(table_path);
    if (rc != BW_OK)
        return;
    probe(t, data, size);
    bw_asn_close(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    setup();
    if (data[0] & 1)
        fuzz_table(data + 1, size - 1);
    else
        fuzz_csv(data + 1, size - 1, (data[0] & 2) != 0);
    return 0;
}
