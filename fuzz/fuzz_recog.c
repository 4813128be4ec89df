/*
 * fuzz/fuzz_recog.c - libFuzzer target for Recog fingerprinting: banners matched against the
 * real databases, and the XML loader on fuzzed databases.
 *
 * Input: a first byte 'X' means the rest is a Recog XML database (loaded with
 * bw_recog__open_xml, then a few banners are matched against it); any other first byte picks a
 * service/port pair from the table below and the rest is a banner matched with
 * bw_recog_match() against the databases in $BW_RECOG_DIR (default tests/fixtures/recog, so
 * run it from the repository root).
 * Properties checked (abort on violation, so the fuzzer records the input):
 *  - every output field is NUL-terminated inside its array, valid UTF-8 and free of control
 *    characters; `matched` is set exactly when the call returns true;
 *  - matching is deterministic: a second call gives the same bytes;
 *  - a database that loads reports fingerprints + skipped consistent with what it holds.
 */
#include "enrich/enrich.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int bw_recog__open_xml(struct bw_recog **out, const char *name, const char *xml, size_t len,
                       size_t *fingerprints, size_t *skipped, struct bw_diag *d);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_recog: check failed: %s (line %d)\n", #cond, __LINE__);      \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

static const struct {
    const char *service;
    uint16_t port;
} hints[] = {
    { NULL, 0 },      { "http", 80 },   { NULL, 80 },      { "ssh", 22 },     { NULL, 22 },
    { "telnet", 23 }, { "ftp", 21 },    { "rtsp", 554 },   { "sip", 5060 },   { "snmp", 161 },
    { "https", 443 }, { "mqtt", 1883 }, { "html_title", 0 }, { "", 2323 },   { "HTTP", 8080 },
    { "x509", 0 },
};

static void check_field(const char *f, size_t cap)
{
    size_t n = strnlen(f, cap);
    CHECK(n < cap);
    CHECK(bw_utf8_valid(f, n));
    for (size_t i = 0; i < n; i++)
        CHECK((unsigned char)f[i] >= 0x20 && f[i] != 0x7f);
}

static void check_match(const struct bw_recog *r, const char *banner, const char *service,
                        uint16_t port)
{
    struct bw_device_info a, b;

    memset(&a, 0xa5, sizeof(a));
    bool ok = bw_recog_match(r, banner, service, port, &a);
    if (!ok)
        return;
    check_field(a.type, sizeof(a.type));
    check_field(a.vendor, sizeof(a.vendor));
    check_field(a.model, sizeof(a.model));
    check_field(a.os, sizeof(a.os));
    check_field(a.software, sizeof(a.software));
    check_field(a.version, sizeof(a.version));
    check_field(a.matched, sizeof(a.matched));
    CHECK(a.matched[0] != '\0');
    memset(&b, 0x5a, sizeof(b));
    CHECK(bw_recog_match(r, banner, service, port, &b));
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
}

static struct bw_recog *shared_databases(void)
{
    static struct bw_recog *r;
    if (r == NULL) {
        const char *dir = getenv("BW_RECOG_DIR");
        struct bw_diag d;
        size_t fps, skipped;
        if (bw_recog_open(&r, dir != NULL ? dir : "tests/fixtures/recog", &fps, &skipped, &d) !=
            BW_OK) {
            fprintf(stderr, "fuzz_recog: %s (set BW_RECOG_DIR)\n", d.msg);
            abort();
        }
    }
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (size < 1 || size > 65536)
        return 0;
    text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    if (data[0] == 'X') {
        struct bw_recog *r = NULL;
        struct bw_diag d;
        size_t fps = 0, skipped = 0;
        if (bw_recog__open_xml(&r, "fuzz.xml", text, size - 1, &fps, &skipped, &d) == BW_OK) {
            CHECK(r != NULL);
            static const char *const banners[] = { "Netwave IP Camera", "SSH-2.0-dropbear_1",
                                                   "a", "\xff\xfe\n\r\t", "Foo/1.0" };
            for (size_t i = 0; i < sizeof(banners) / sizeof(banners[0]); i++)
                check_match(r, banners[i], NULL, 0);
            check_match(r, text, "x", 0);
            bw_recog_close(r);
        } else {
            CHECK(d.msg[0] != '\0');
        }
    } else {
        const struct bw_recog *r = shared_databases();
        size_t h = data[0] % (sizeof(hints) / sizeof(hints[0]));
        check_match(r, text, hints[h].service, hints[h].port);
    }
    free(text);
    return 0;
}
