/*
 * parsers/parser.c - format registry: create a parser by name, feed it lines, detect formats.
 */
#include <stdlib.h>
#include <string.h>

#include "parsers/parsers_int.h"

const char *const bw_parser_formats[] = { "ndjson", "csv", NULL };

struct bw_parser *bw_parser_new(const char *format, int64_t now_s)
{
    return bw_parser__native_new(format, now_s);
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

int bw_parser_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                   bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    err->detail[0] = '\0';
    return p->line(p, line, len, lineno, emit, ctx, err);
}

const char *bw_parser_detect(const char *head, size_t len)
{
    size_t i = 0, eol;

    if (len >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    if (i < len && head[i] == '{')
        return "ndjson";
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
            return "csv";
        while (e < eol && head[e] != ',')
            e++;
        j = e + 1;
    }
    return NULL;
}
