/*
 * parsers/ipset.c - FireHOL `.ipset` / `.netset` files and plain lists: one address or prefix
 * a line (a trailing `#` or `;` comment allowed); `#` and `;` lines are comments. Each entry is
 * one report: an address (net_len 0) or a network listing (net_len its prefix length), never
 * expanded. A list says nothing of what its entries did: the category is opts.category
 * (`--category`), `scan` when none is given. The entry (with its comment) is the evidence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/parsers_int.h"

struct ipset {
    struct bw_parser base;
    struct bw_report r;
    char evidence[BW_EVIDENCE_MAX + 1];
};

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static int ipset_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                      bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct ipset *s = (struct ipset *)p;
    struct bw_report *r = &s->r;
    size_t i = 0, end, c, n;
    int rc;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > BW_LINE_MAX)
        return bw_parser__fail(err, BW_REJECT_LINE_TOO_LONG, "line over %d bytes", BW_LINE_MAX);
    while (i < len && blank(line[i]))
        i++;
    if (i == len || line[i] == '#' || line[i] == ';')
        return 0;
    end = i;
    while (end < len && !blank(line[end]) && line[end] != '#' && line[end] != ';')
        end++;
    c = end;
    while (c < len && blank(line[c]))
        c++;
    if (c < len && line[c] != '#' && line[c] != ';')
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "more than one entry on the line");
    memset(r, 0, sizeof(*r));
    if (bw_parser__set_net(r, line + i, end - i) != BW_OK)
        return bw_parser__fail(err, BW_REJECT_INVALID_IP, "\"%.*s\" is not an address or a prefix "
                               "(without host bits)", (int)(end - i > 48 ? 48 : end - i), line + i);
    if (!bw_parser__utf8_ok(line, len))
        return bw_parser__fail(err, BW_REJECT_INVALID_UTF8, "comment is not valid UTF-8");
    while (len > i && blank(line[len - 1]))
        len--;
    r->cats = p->opts.category != 0 ? p->opts.category : 1u << BW_CAT_SCAN;
    r->time_s = p->now_s;
    r->source = p->format;
    r->line = lineno;
    n = bw_utf8_truncate(line + i, len - i, BW_EVIDENCE_MAX);
    memcpy(s->evidence, line + i, n);
    s->evidence[n] = '\0';
    r->evidence = s->evidence;
    rc = emit(ctx, r);
    return rc != 0 ? rc : 1;
}

struct bw_parser *bw_parser__ipset_new(const struct bw_parser_opts *o)
{
    struct ipset *s = bw_xcalloc(1, sizeof(*s));

    bw_parser__init(&s->base, "ipset", o);
    s->base.default_reporter = "ipset";
    s->base.line = ipset_line;
    return &s->base;
}

/* FireHOL's header names the set type; otherwise a first line that is an address or prefix. */
int bw_parser__ipset_detect(const char *head, size_t len)
{
    size_t i = 0, e;
    struct bw_prefix pfx;

    if (len > 4096)
        len = 4096;
    if (BW_HAS(head, len, " hash:ip") || BW_HAS(head, len, " hash:net") ||
        BW_HAS(head, len, "FireHOL"))
        return 95; /* above feodo's 90: FireHOL mirrors abuse.ch lists, banner included */
    if (len >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    for (e = i; e < len && !blank(head[e]) && head[e] != '\n' && head[e] != '\r'; e++)
        ;
    if (e == i || bw_prefix_parse(&pfx, head + i, e - i) != BW_OK)
        return 0;
    return 30;
}
