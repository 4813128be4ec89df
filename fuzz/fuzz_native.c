/*
 * fuzz/fuzz_native.c - libFuzzer target for the native report formats (NDJSON and CSV) and
 * format detection: every line of the input goes through both parsers.
 * Properties checked (abort on violation):
 *  - a line is either rejected with a named reason and a detail, or emits reports whose
 *    categories are non-empty and known and whose strings respect their caps;
 *  - no parser reads outside the line (ASan) or keeps state that breaks a later line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/parsers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_native: check failed: %s (line %d)\n", #cond, __LINE__);     \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

static int check_report(void *ctx, const struct bw_report *r)
{
    char text[BW_ADDR_TEXT_MAX];

    (void)ctx;
    CHECK(r->cats != 0);
    CHECK((r->cats >> BW_CAT_COUNT) == 0);
    CHECK(bw_addr_format(&r->addr, text) != NULL);
    if (r->evidence != NULL)
        CHECK(strlen(r->evidence) <= BW_EVIDENCE_MAX);
    if (r->reporter != NULL)
        CHECK(strlen(r->reporter) > 0);
    return 0;
}

static void run(const char *format, const uint8_t *data, size_t size)
{
    struct bw_parser *p = bw_parser_new(format, 1780315200);
    size_t start = 0;
    uint64_t lineno = 0;

    CHECK(p != NULL);
    while (start <= size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t end = nl != NULL ? (size_t)(nl - data) : size;
        struct bw_parse_error err;
        int rc;

        rc = bw_parser_line(p, (const char *)data + start, end - start, ++lineno, check_report,
                            NULL, &err);
        if (rc < 0) {
            CHECK(rc == BW_EMALFORMED);
            CHECK((unsigned)err.reason < BW_REJECT_COUNT);
            CHECK(err.detail[0] != '\0');
        }
        if (nl == NULL)
            break;
        start = end + 1;
    }
    bw_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)bw_parser_detect((const char *)data, size);
    run("ndjson", data, size);
    run("csv", data, size);
    return 0;
}
