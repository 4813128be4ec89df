/*
 * parsers/parsers_int.h - what each format implements; shared by the files of parsers/.
 */
#ifndef BW_PARSERS_INT_H
#define BW_PARSERS_INT_H

#include <string.h>

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

/* Rejects a line: fills err (reason and a printf-style detail) and returns BW_EMALFORMED. */
int bw_parser__fail(struct bw_parse_error *err, enum bw_reject reason, const char *fmt, ...)
    BW_PRINTF(3, 4);
/* s without leading and trailing blanks (spaces, tabs). */
struct bw_slice bw_parser__trim(struct bw_slice s);

/* Fills the fields every parser has; formats call it from their create(). */
void bw_parser__init(struct bw_parser *p, const char *format, const struct bw_parser_opts *o);

struct bw_parser *bw_parser__native_new(const char *format, int64_t now_s);

/* True when the literal lit occurs in head[0..len) (detection of a stream's first bytes). */
#define BW_HAS(head, len, lit) (memmem((head), (len), (lit), sizeof(lit) - 1) != NULL)

/* Helpers the feed formats share (feed.c). */
/* Splits one CSV line into cells (RFC 4180 quoting on one line); quoted cells are unescaped
 * into buf (at least len bytes). Returns the count, -1 for a quoting error, -2 for more than
 * max_cells cells. */
int bw_parser__csv_split(const char *line, size_t len, char *buf, struct bw_slice *cells,
                         size_t max_cells);
/* "YYYY-MM-DD HH:MM:SS" (UTC), RFC 3339, or a bare date. */
int bw_parser__feed_time(int64_t *out, const char *s, size_t len);
/* An address (net_len 0) or a prefix into r->addr and r->net_len. */
int bw_parser__set_net(struct bw_report *r, const char *s, size_t len);
/* bw_utf8_valid() with a fast path for ASCII. */
bool bw_parser__utf8_ok(const char *s, size_t len);
/* The start a CSV feed's line shares: a trailing CR dropped from *len, the length and UTF-8
 * checked, blanks trimmed into *s. 1 to go on, 0 for a blank line, or the rejection. */
int bw_parser__feed_line(struct bw_parser *p, const char *line, size_t *len, struct bw_slice *s,
                         struct bw_parse_error *err);

/* The JSON line scanner of the JSON formats (json.c). */
#define JSON_DEPTH_MAX 64 /* objects and arrays nested deeper are rejected */

enum jtype { J_NONE, J_STRING, J_NUMBER, J_OBJECT, J_ARRAY, J_TRUE, J_FALSE, J_NULL };

struct jval {
    enum jtype type;
    const char *ptr; /* string: the raw bytes between the quotes; number: its text */
    size_t len;
    bool escaped; /* string: holds a backslash escape, so ptr/len is not its value */
};

/* A key to keep. Lists end with a NULL name. */
struct jkey {
    const char *name;
    size_t len;
    int field;              /* index into the caller's jval array */
    const struct jkey *sub; /* non-NULL: when the value is an object, keep these keys of it */
};

struct jscan {
    const unsigned char *p, *start, *end;
    struct jval *vals;
    const char *why; /* static text of the first failure; NULL while fine */
    enum bw_reject reason;
};

/* Scans one line that must be a single JSON object; vals (n entries) get the kept keys. */
bool bw_json_parse(struct jscan *s, const char *line, size_t len, const struct jkey *keys,
                   struct jval *vals, size_t n);

/* The value of a string as a NUL-terminated copy bump-allocated in arena (from *used), cut at
 * cap bytes on a UTF-8 boundary. NULL when it holds U+0000 or the arena is full. */
const char *bw_json_text(const struct jval *v, char *arena, size_t arena_len, size_t *used,
                         size_t cap, size_t *out_len);

/* A non-negative JSON integer no larger than max. */
bool bw_json_integer(const struct jval *v, uint64_t max, uint64_t *out);

/* The repeat counter: identical reports (same second, address, categories, port) get seq
 * 0, 1, 2, ... so the store keeps them apart. */
#define SEQ_SLOTS 256 /* distinct reports tracked per second; beyond 3/4 of it, seq stays 0 */

struct seq_slot {
    struct bw_addr addr;
    bw_catmask cats;
    uint16_t port;
    uint32_t gen;  /* the slot is in use when gen equals the table's */
    uint32_t next; /* seq of the next identical report */
};

struct seqtab {
    int64_t time_s;
    uint32_t gen;
    uint32_t used;
    struct seq_slot slot[SEQ_SLOTS];
};

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

/* Detection's quick look into the first line of a JSON stream (no validation): the value
 * after the next occurrence of the quoted key (key_len bytes, quotes included) and a colon,
 * from *from on; *from moves past it. NULL when there is none before end. */
const char *bw_json_next_value(const char **from, const char *end, const char *key,
                               size_t key_len);

/* The seq to give report r: how many identical reports came before it in its second. */
uint32_t bw_parser__seq_next(struct seqtab *t, const struct bw_report *r);

#endif
