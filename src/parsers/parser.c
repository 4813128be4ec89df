/*
 * parsers/parser.c - format registry: create a parser by name, feed it lines, detect formats.
 * Invariants:
 *  - formats[] is the one list of formats; bw_parser_formats[] names them in the same order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/parsers_int.h"

static struct bw_parser *ndjson_new(const struct bw_parser_opts *o)
{
    struct bw_parser *p = bw_parser__native_new("ndjson", o->now_s);

    p->opts = *o;
    return p;
}

static struct bw_parser *csv_new(const struct bw_parser_opts *o)
{
    struct bw_parser *p = bw_parser__native_new("csv", o->now_s);

    p->opts = *o;
    return p;
}

static int ndjson_detect(const char *head, size_t len);
static int csv_detect(const char *head, size_t len);

#define FORMAT(name) { #name, bw_parser__##name##_new, bw_parser__##name##_detect }

static const struct bw_format formats[] = {
    { "ndjson", ndjson_new, ndjson_detect },
    { "csv", csv_new, csv_detect },
    FORMAT(sshd),
    FORMAT(weblog),
    FORMAT(netfilter),
    FORMAT(cowrie),
    FORMAT(suricata),
    FORMAT(zeek),
    FORMAT(feodo),
    FORMAT(urlhaus),
    FORMAT(droplist),
    FORMAT(ipset),
    FORMAT(shadowserver),
};

const char *const bw_parser_formats[] = {
    "ndjson", "csv", "sshd", "weblog", "netfilter", "cowrie", "suricata", "zeek", "feodo",
    "urlhaus", "droplist", "ipset", "shadowserver", NULL,
};

int bw_parser__fail(struct bw_parse_error *err, enum bw_reject reason, const char *fmt, ...)
{
    va_list ap;

    err->reason = reason;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
    return BW_EMALFORMED;
}

struct bw_slice bw_parser__trim(struct bw_slice s)
{
    while (s.len > 0 && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

void bw_parser__init(struct bw_parser *p, const char *format, const struct bw_parser_opts *o)
{
    p->format = format;
    p->opts = *o;
    p->now_s = o->now_s;
}

struct bw_parser *bw_parser_new_opts(const char *format, const struct bw_parser_opts *o)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(formats); i++) {
        if (strcmp(format, formats[i].name) == 0)
            return formats[i].create != NULL ? formats[i].create(o) : NULL;
    }
    return NULL;
}

struct bw_parser *bw_parser_new(const char *format, int64_t now_s)
{
    struct bw_parser_opts o = { .now_s = now_s };

    return bw_parser_new_opts(format, &o);
}

void bw_parser_free(struct bw_parser *p)
{
    if (p == NULL)
        return;
    if (p->free != NULL)
        p->free(p);
    free(p);
}

const char *bw_parser_format(const struct bw_parser *p)
{
    return p->format;
}

const char *bw_parser_default_reporter(const struct bw_parser *p)
{
    return p->default_reporter;
}

int bw_parser_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                   bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    err->detail[0] = '\0';
    return p->line(p, line, len, lineno, emit, ctx, err);
}

/* Skips a byte-order mark and blank lines. */
static size_t first_content(const char *head, size_t len)
{
    size_t i = 0;

    if (len >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    return i;
}

static int ndjson_detect(const char *head, size_t len)
{
    size_t i = first_content(head, len);

    return i < len && head[i] == '{' ? 50 : 0; /* JSON formats with known keys score higher */
}

static int csv_detect(const char *head, size_t len)
{
    size_t i = first_content(head, len), eol;

    for (eol = i; eol < len && head[eol] != '\n'; eol++)
        ;
    /* a CSV header naming an "ip" column (cells may be quoted or padded with blanks) */
    for (size_t j = i; j < eol;) {
        size_t k = j, e;

        while (k < eol && (head[k] == ' ' || head[k] == '\t' || head[k] == '"'))
            k++;
        e = k;
        while (e < eol && head[e] != ',' && head[e] != '"' && head[e] != ' ' &&
               head[e] != '\t' && head[e] != '\r')
            e++;
        if (e - k == 2 && head[k] == 'i' && head[k + 1] == 'p')
            return 40;
        while (e < eol && head[e] != ',')
            e++;
        j = e + 1;
    }
    return 0;
}

const char *bw_parser_detect(const char *head, size_t len)
{
    const char *best = NULL;
    int best_score = 0;

    for (size_t i = 0; i < BW_ARRAY_LEN(formats); i++) {
        int score = formats[i].detect != NULL && formats[i].create != NULL
                        ? formats[i].detect(head, len)
                        : 0;

        if (score > best_score) {
            best_score = score;
            best = formats[i].name;
        }
    }
    return best;
}
