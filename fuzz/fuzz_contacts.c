/*
 * fuzz/fuzz_contacts.c - libFuzzer target for the contacts CSV import (bw_contacts_parse) and,
 * on the same bytes, the sector classifier's word splitter (bw_vertical_classify).
 * Properties checked (abort on violation, so the fuzzer records the input):
 *  - parse never fails after a usable header and reports every refused row: each error line
 *    starts with "line N: ", and accepted + refused rows never exceed the input's lines;
 *  - every kept contact is NUL-terminated, named, has a scope, a well-formed email and webhook
 *    when it has them,
 *    is found again by its name, and its parent chain ends at the top within count steps;
 *  - resolution only ever answers with a contact of the set;
 *  - the classifier returns a valid vertical and the same one twice.
 */
#include "enrich/enrich.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_contacts: check failed: %s (line %d)\n", #cond, __LINE__);   \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

static bool in_set(const struct bw_contacts *c, const struct bw_contact *k)
{
    for (size_t i = 0; i < bw_contacts_count(c); i++) {
        if (bw_contacts_at(c, i) == k)
            return true;
    }
    return false;
}

static void check_contacts(const char *s, size_t size)
{
    struct bw_contacts *c = NULL;
    struct bw_buf errors;
    size_t bad = 0, lines = 1;

    for (size_t i = 0; i < size; i++)
        lines += s[i] == '\n' || (s[i] == '\r' && (i + 1 == size || s[i + 1] != '\n'));
    bw_buf_init(&errors, 1 << 20);
    int rc = bw_contacts_parse(&c, s, size, &errors, &bad);
    CHECK(rc == BW_OK || rc == BW_EMALFORMED);
    /* Every error line starts with "line N: ". */
    for (const char *p = errors.data; *p != '\0';) {
        CHECK(strncmp(p, "line ", 5) == 0);
        const char *nl = strchr(p, '\n');
        CHECK(nl != NULL);
        p = nl + 1;
    }
    if (rc != BW_OK) {
        CHECK(c == NULL);
        CHECK(errors.len > 0);
        bw_buf_cleanup(&errors);
        return;
    }
    size_t n = bw_contacts_count(c);
    CHECK(n + bad <= lines);
    for (size_t i = 0; i < n; i++) {
        const struct bw_contact *k = bw_contacts_at(c, i);
        CHECK(memchr(k->name, '\0', sizeof(k->name)) != NULL);
        CHECK(memchr(k->scope, '\0', sizeof(k->scope)) != NULL);
        CHECK(memchr(k->email, '\0', sizeof(k->email)) != NULL);
        CHECK(memchr(k->webhook, '\0', sizeof(k->webhook)) != NULL);
        CHECK(memchr(k->parent, '\0', sizeof(k->parent)) != NULL);
        CHECK(k->name[0] != '\0' && k->scope[0] != '\0');
        CHECK(k->email[0] == '\0' || strchr(k->email, '@') != NULL);
        CHECK(k->webhook[0] == '\0' || strncmp(k->webhook, "http", 4) == 0);
        CHECK((unsigned)k->role < BW_ROLE_COUNT);
        CHECK(bw_contacts_by_name(c, k->name) == k);
        const struct bw_contact *p = k;
        size_t steps = 0;
        while (p->parent[0] != '\0') {
            p = bw_contacts_by_name(c, p->parent);
            CHECK(p != NULL);
            CHECK(++steps <= n);
        }
    }
    /* Resolve a few devices built from the input itself. */
    struct bw_addr a;
    memset(&a, 0, sizeof(a));
    memcpy(a.b, s, size < 16 ? size : 16);
    const char *ccs[] = { "GB", "de", "", "G", NULL };
    for (size_t i = 0; i < BW_ARRAY_LEN(ccs); i++) {
        uint32_t asn = size > 4 ? (uint32_t)size : 0;
        const struct bw_contact *k = bw_contacts_resolve(c, &a, asn, ccs[i]);
        CHECK(k == NULL || in_set(c, k));
        k = bw_contacts_resolve(c, NULL, 20712, ccs[i]);
        CHECK(k == NULL || in_set(c, k));
    }
    bw_contacts_free(c);
    bw_buf_cleanup(&errors);
}

static void check_vertical(const char *s, size_t size)
{
    char *name = malloc(size + 1);

    memcpy(name, s, size);
    name[size] = '\0';
    enum bw_vertical v = bw_vertical_classify(0, name);
    CHECK((unsigned)v < BW_VERTICAL_COUNT);
    CHECK(bw_vertical_classify(0, name) == v);
    enum bw_vertical back;
    CHECK(bw_vertical_parse(&back, bw_vertical_name(v)) == BW_OK && back == v);
    free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1 << 20))
        return 0;
    check_contacts((const char *)data, size);
    check_vertical((const char *)data, size);
    return 0;
}
