/*
 * parsers/parsers.h - input formats in, reports out.
 *
 * Manual:
 *  - A parser is per-stream state for one format: bw_parser_new("ndjson"), then one
 *    bw_parser_line() per input line in order. A line gives zero or more reports through the
 *    emit callback, or a rejection (reason and one-line detail).
 *  - Reports handed to emit are valid only during the call (their strings live in the parser's
 *    scratch space); keep what you need by copying.
 *  - Parsers check syntax, not policy: they do not judge whether an address is public or a time
 *    plausible (pipeline/ does), except that native formats need a real IP address.
 *  - bw_parser_detect() names the format of a stream from its first bytes.
 *  - Formats: see bw_parser_formats[] and docs/formats.md for what each turns into reports.
 * Invariants: no I/O, no logging, no globals; every parser has a fuzz target in fuzz/.
 */
#ifndef BW_PARSERS_H
#define BW_PARSERS_H

#include "core/core.h"

struct bw_parser;

/* Returns 0 to go on; anything else stops the line and is returned by bw_parser_line(). */
typedef int (*bw_emit_cb)(void *ctx, const struct bw_report *r);

struct bw_parse_error {
    enum bw_reject reason;
    char detail[160]; /* one line, no input bytes beyond a short quoted excerpt */
};

enum bw_parse_mode { BW_MODE_NORMAL, BW_MODE_AGGRESSIVE };

struct bw_parser_opts {
    int64_t now_s;           /* time for reports that carry none; year inference */
    enum bw_parse_mode mode; /* sshd: which of fail2ban's modes to follow */
    int year;                /* syslog lines carry no year: 0 = infer, else this year */
    bw_catmask category;     /* lists without categories (ipset): what they mean; 0 = scan */
};

/* NULL when the format is unknown (or not built). */
struct bw_parser *bw_parser_new_opts(const char *format, const struct bw_parser_opts *o);
/* The same with default options and now_s. */
struct bw_parser *bw_parser_new(const char *format, int64_t now_s);
void bw_parser_free(struct bw_parser *p); /* NULL is a no-op */
const char *bw_parser_format(const struct bw_parser *p);
/* The reporter a feed or list is imported as when none is given (its format's name), or NULL
 * for logs and native formats, whose reports name their reporter or use the ingest's. */
const char *bw_parser_default_reporter(const struct bw_parser *p);

/* Parses one line (without its newline). Returns the number of reports emitted (>= 0),
 * BW_EMALFORMED with *err filled when the line is rejected, or what emit returned. */
int bw_parser_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                   bw_emit_cb emit, void *ctx, struct bw_parse_error *err);

/* The names of the formats, NULL-terminated. */
extern const char *const bw_parser_formats[];

/* Guesses the format from the first bytes of a stream; NULL when nothing fits. */
const char *bw_parser_detect(const char *head, size_t len);

#endif
