/*
 * parsers/parsers_int.h - what each format implements; shared by the files of parsers/.
 */
#ifndef BW_PARSERS_INT_H
#define BW_PARSERS_INT_H

#include "parsers/parsers.h"

#define BW_NAME_MAX_REPORTER 127 /* bytes of a reporter name */

struct bw_parser {
    const char *format;
    int64_t now_s;
    int (*line)(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                bw_emit_cb emit, void *ctx, struct bw_parse_error *err);
    void (*free)(struct bw_parser *p); /* extra cleanup before free(p); may be NULL */
    char scratch[BW_LINE_MAX + 1];     /* per-line working space of the format */
};

struct bw_parser *bw_parser__native_new(const char *format, int64_t now_s);

#endif
