/*
 * parsers/droplist.c - Spamhaus DROP, EDROP and DROPv6 (`prefix ; SBLnnnn` a line, `;`
 * comments), their JSON-lines form (`{"cidr":"…","sblid":"…",…}` a line) and other
 * `prefix ; comment` lists: one network listing per entry (addr = network, net_len = prefix
 * length on the 16-byte scale), never expanded into addresses.
 * Category: opts.category when given, else `malware` (Spamhaus: networks "hijacked or leased by
 * professional spam or cyber-crime operations"); the SBL reference is the evidence.
 * Invariants:
 *  - Lines without a network (comments, ASN-DROP records, the JSON metadata trailer) give
 *    0 reports, not rejections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parsers/parsers_int.h"

struct droplist {
    struct bw_parser base;
    struct bw_report r;
    char evidence[BW_EVIDENCE_MAX + 1];
};

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* One network listing; why (the SBL reference) is the evidence, else the entry itself. */
static int emit_net(struct droplist *d, const char *net, size_t net_len, const char *why,
                    size_t why_len, uint64_t lineno, bw_emit_cb emit, void *ctx,
                    struct bw_parse_error *err)
{
    struct bw_report *r = &d->r;
    size_t n;
    int rc;

    memset(r, 0, sizeof(*r));
    if (bw_parser__set_net(r, net, net_len) != BW_OK)
        return bw_parser__fail(err, BW_REJECT_INVALID_IP, "\"%.*s\" is not an address or a prefix "
                               "(without host bits)", (int)(net_len > 48 ? 48 : net_len), net);
    r->cats = d->base.opts.category != 0 ? d->base.opts.category : 1u << BW_CAT_MALWARE;
    r->time_s = d->base.now_s;
    r->source = d->base.format;
    r->line = lineno;
    if (why_len == 0) {
        why = net;
        why_len = net_len;
    }
    n = bw_utf8_truncate(why, why_len, BW_EVIDENCE_MAX);
    memcpy(d->evidence, why, n);
    d->evidence[n] = '\0';
    r->evidence = d->evidence;
    rc = emit(ctx, r);
    return rc != 0 ? rc : 1;
}

/* {"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}; ASN-DROP and metadata records
 * name no network. */
static int json_line(struct droplist *d, const char *line, size_t len, uint64_t lineno,
                     bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(line, len, 0, &jerr), *cidr, *sbl;
    const char *why = NULL;
    size_t why_len = 0;
    int rc;

    if (root == NULL)
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "not JSON (%s at column %d)", jerr.text,
                               jerr.column);
    if (!json_is_object(root)) {
        json_decref(root);
        return bw_parser__fail(err, BW_REJECT_MALFORMED, "not a JSON object");
    }
    cidr = json_object_get(root, "cidr");
    if (cidr == NULL || json_is_null(cidr)) {
        json_decref(root);
        return 0;
    }
    if (!json_is_string(cidr)) {
        json_decref(root);
        return bw_parser__fail(err, BW_REJECT_INVALID_FIELD, "\"cidr\" is not a string");
    }
    sbl = json_object_get(root, "sblid");
    if (json_is_string(sbl)) {
        why = json_string_value(sbl);
        why_len = json_string_length(sbl);
    }
    rc = emit_net(d, json_string_value(cidr), json_string_length(cidr), why, why_len, lineno,
                  emit, ctx, err);
    json_decref(root);
    return rc;
}

static bool asn_entry(const char *s, size_t len)
{
    return len > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's') &&
           s[2] >= '0' && s[2] <= '9';
}

static int droplist_line(struct bw_parser *p, const char *line, size_t len, uint64_t lineno,
                         bw_emit_cb emit, void *ctx, struct bw_parse_error *err)
{
    struct droplist *d = (struct droplist *)p;
    size_t i = 0, end, c, e;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > BW_LINE_MAX)
        return bw_parser__fail(err, BW_REJECT_LINE_TOO_LONG, "line over %d bytes", BW_LINE_MAX);
    while (i < len && blank(line[i]))
        i++;
    if (i == len || line[i] == ';' || line[i] == '#')
        return 0;
    if (!bw_parser__utf8_ok(line, len))
        return bw_parser__fail(err, BW_REJECT_INVALID_UTF8, "line is not valid UTF-8");
    if (line[i] == '{')
        return json_line(d, line + i, len - i, lineno, emit, ctx, err);
    if (asn_entry(line + i, len - i)) /* ASN-DROP text ("AS260 ; AE | ..."): no network */
        return 0;
    end = i;
    while (end < len && !blank(line[end]) && line[end] != ';' && line[end] != '#')
        end++;
    c = end;
    while (c < len && blank(line[c]))
        c++;
    if (c == len)
        return emit_net(d, line + i, end - i, NULL, 0, lineno, emit, ctx, err);
    if (line[c] != ';' && line[c] != '#')
        return bw_parser__fail(err, BW_REJECT_MALFORMED,
                               "text after the prefix is not a `;` comment");
    /* the comment: the SBL reference */
    c++;
    while (c < len && blank(line[c]))
        c++;
    e = len;
    while (e > c && blank(line[e - 1]))
        e--;
    return emit_net(d, line + i, end - i, line + c, e - c, lineno, emit, ctx, err);
}

struct bw_parser *bw_parser__droplist_new(const struct bw_parser_opts *o)
{
    struct droplist *d = bw_xcalloc(1, sizeof(*d));

    bw_parser__init(&d->base, "droplist", o);
    d->base.default_reporter = "droplist";
    d->base.line = droplist_line;
    return &d->base;
}

/* Spamhaus' banner or SBL references; the JSON form's keys; a first line `prefix ; x`. A
 * list of bare prefixes is left to ipset. */
int bw_parser__droplist_detect(const char *head, size_t len)
{
    size_t i = 0, e, c;
    struct bw_prefix pfx;

    if (len > 4096)
        len = 4096;
    if (BW_HAS(head, len, "Spamhaus") || BW_HAS(head, len, "; SBL"))
        return 90;
    if (BW_HAS(head, len, "\"cidr\"") && BW_HAS(head, len, "\"sblid\""))
        return 70;
    if (BW_HAS(head, len, "{\"asn\"") && BW_HAS(head, len, "\"rir\""))
        return 60;
    while (i < len && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    for (e = i; e < len && !blank(head[e]) && head[e] != '\n' && head[e] != '\r' &&
                head[e] != ';';
         e++)
        ;
    if (e == i || bw_prefix_parse(&pfx, head + i, e - i) != BW_OK)
        return 0;
    for (c = e; c < len && blank(head[c]); c++)
        ;
    return c < len && head[c] == ';' ? 60 : 0;
}
