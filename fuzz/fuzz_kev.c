/*
 * fuzz/fuzz_kev.c - libFuzzer target for CISA's KEV catalog JSON (bw_advisories_parse_kev) and
 * the vendor/product matcher (bw_advisories_match).
 * Properties checked (abort on violation, so the fuzzer records the input):
 *  - parse returns BW_OK or BW_EMALFORMED, fills *out only on success, and on failure says why;
 *  - every kept advisory has a "CVE-" ID and NUL-terminated, valid UTF-8 strings (JSON text is
 *    UTF-8 and cuts happen at character boundaries);
 *  - matching a device built from each advisory's own fields returns only advisories of the
 *    set, at most max of them, newest first.
 */
#include "enrich/enrich.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_kev: check failed: %s (line %d)\n", #cond, __LINE__);        \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#define CHECK_STR(field)                                                                       \
    do {                                                                                       \
        CHECK(memchr((field), '\0', sizeof(field)) != NULL);                                   \
        CHECK(bw_utf8_valid((field), strlen(field)));                                          \
    } while (0)

static bool in_set(const struct bw_advisories *a, const struct bw_advisory *r)
{
    for (size_t i = 0; i < bw_advisories_count(a); i++) {
        if (bw_advisories_at(a, i) == r)
            return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bw_advisories *a = NULL;
    struct bw_diag d = { "" };
    size_t skipped = 0;

    if (size > (1 << 20))
        return 0;
    int rc = bw_advisories_parse_kev(&a, (const char *)data, size, &skipped, &d);
    CHECK(rc == BW_OK || rc == BW_EMALFORMED);
    if (rc != BW_OK) {
        CHECK(a == NULL);
        CHECK(d.msg[0] != '\0');
        return 0;
    }
    size_t n = bw_advisories_count(a);
    for (size_t i = 0; i < n && i < 64; i++) {
        const struct bw_advisory *r = bw_advisories_at(a, i);
        CHECK(strncmp(r->id, "CVE-", 4) == 0);
        CHECK_STR(r->id);
        CHECK_STR(r->vendor);
        CHECK_STR(r->product);
        CHECK_STR(r->name);
        CHECK_STR(r->action);

        struct bw_device_info dev;
        memset(&dev, 0, sizeof(dev));
        snprintf(dev.vendor, sizeof(dev.vendor), "%s", r->vendor);
        snprintf(dev.model, sizeof(dev.model), "%s", r->product);
        snprintf(dev.type, sizeof(dev.type), "%s", r->name);
        const struct bw_advisory *m[8];
        size_t got = bw_advisories_match(a, &dev, m, BW_ARRAY_LEN(m));
        CHECK(got <= BW_ARRAY_LEN(m));
        for (size_t k = 0; k < got; k++) {
            CHECK(in_set(a, m[k]));
            if (k > 0)
                CHECK(m[k - 1]->added_s >= m[k]->added_s);
        }
    }
    bw_advisories_free(a);
    return 0;
}
