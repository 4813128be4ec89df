/*
 * fuzz/fuzz_parser.c - one libFuzzer target per input format: fuzz/meson.build compiles this
 * file once per format with -DBW_FUZZ_FORMAT="name". Every line of the input goes through
 * that format's parser, the way the reader feeds it (no newline, no trailing CR).
 * Properties checked (abort on violation):
 *  - a line is either rejected with a named reason and a detail, or emits reports with known,
 *    non-empty categories, evidence within its cap, and either an address or a host name;
 *  - no parser reads outside the line (ASan) or keeps state that breaks a later line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/parsers.h"

#ifndef BW_FUZZ_FORMAT
#error "compile with -DBW_FUZZ_FORMAT=\"format\""
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_" BW_FUZZ_FORMAT ": check failed: %s (line %d)\n", #cond,    \
                    __LINE__);                                                                 \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

static int check_report(void *ctx, const struct bw_report *r)
{
    char text[BW_ADDR_TEXT_MAX];

    (void)ctx;
    CHECK(r->cats != 0);
    CHECK((r->cats >> BW_CAT_COUNT) == 0);
    CHECK(r->net_len <= 128);
    if (r->host != NULL)
        CHECK(r->host[0] != '\0');
    else
        CHECK(bw_addr_format(&r->addr, text) != NULL);
    if (r->evidence != NULL)
        CHECK(strlen(r->evidence) <= BW_EVIDENCE_MAX);
    CHECK(r->source != NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bw_parser_opts o = { .now_s = 1780315200, .mode = BW_MODE_AGGRESSIVE };
    struct bw_parser *p = bw_parser_new_opts(BW_FUZZ_FORMAT, &o);
    size_t start = 0;
    uint64_t lineno = 0;

    if (p == NULL) /* a format not built yet */
        return 0;
    (void)bw_parser_detect((const char *)data, size);
    while (start <= size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t end = nl != NULL ? (size_t)(nl - data) : size;
        size_t len = end - start;
        struct bw_parse_error err;
        int rc;

        if (len > 0 && data[start + len - 1] == '\r')
            len--;
        if (len > 0) {
            rc = bw_parser_line(p, (const char *)data + start, len, ++lineno, check_report,
                                NULL, &err);
            if (rc < 0) {
                CHECK(rc == BW_EMALFORMED);
                CHECK((unsigned)err.reason < BW_REJECT_COUNT);
                CHECK(err.detail[0] != '\0');
            }
        }
        if (nl == NULL)
            break;
        start = end + 1;
    }
    bw_parser_free(p);
    return 0;
}
