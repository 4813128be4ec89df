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
    struct bw_parser_opts opts;
    const char *default_reporter; /* feeds and lists: the format's name; NULL for logs */
    int (*line)(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                bw_emit_cb emit, void *ctx, struct bw_parse_error *err);
    void (*free)(struct bw_parser *p); /* extra cleanup before free(p); may be NULL */
    char scratch[BW_LINE_MAX + 1];     /* per-line working space of the format */
};

/* One entry per format: its constructor, and how sure it is that a stream's first bytes are
 * its own (0 = not at all, 100 = certain). bw_parser_detect() picks the surest. */
struct bw_format {
    const char *name;
    struct bw_parser *(*create)(const struct bw_parser_opts *o); /* NULL: not built */
    int (*detect)(const char *head, size_t len);                  /* NULL: never detected */
};

/* Fills the fields every parser has; formats call it from their create(). */
void bw_parser__init(struct bw_parser *p, const char *format, const struct bw_parser_opts *o);

struct bw_parser *bw_parser__native_new(const char *format, int64_t now_s);

#define BW_FORMAT_DECL(name)                                                                   \
    struct bw_parser *bw_parser__##name##_new(const struct bw_parser_opts *o);              \
    int bw_parser__##name##_detect(const char *head, size_t len)
BW_FORMAT_DECL(sshd);
BW_FORMAT_DECL(weblog);
BW_FORMAT_DECL(netfilter);
BW_FORMAT_DECL(cowrie);
BW_FORMAT_DECL(suricata);
BW_FORMAT_DECL(zeek);
BW_FORMAT_DECL(feodo);
BW_FORMAT_DECL(urlhaus);
BW_FORMAT_DECL(droplist);
BW_FORMAT_DECL(ipset);
BW_FORMAT_DECL(shadowserver);

#endif
