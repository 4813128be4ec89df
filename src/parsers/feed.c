/*
 * parsers/feed.c - small helpers the feed parsers share (declared in parsers_int.h): CSV cells,
 * feed timestamps, address-or-prefix fields, and a fast UTF-8 check for ASCII lines.
 * The CSV splitter is hand-written: RFC 4180 quoting on one line is all the formats need, and
 * it is on the hot path of every CSV feed (fuzzed through each feed's target).
 */
#include <string.h>

#include "parsers/parsers_int.h"

/* Feed lines are nearly always ASCII: eight bytes at a time, and the full check only for a
 * line that has a byte above 0x7f. */
bool bw_parser__utf8_ok(const char *s, size_t len)
{
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        uint64_t w;

        memcpy(&w, s + i, 8);
        if ((w & UINT64_C(0x8080808080808080)) != 0)
            return bw_utf8_valid(s, len);
    }
    for (; i < len; i++) {
        if ((unsigned char)s[i] >= 0x80)
            return bw_utf8_valid(s, len);
    }
    return true;
}

/* Splits one CSV line into cells (RFC 4180 quoting on one line). Unquoted cells point into
 * line, quoted ones are unescaped into buf (at least len bytes). A quote inside an unquoted
 * cell is kept as a character, as most CSV readers do. Returns the number of cells, -1 for a
 * quoted cell that is not closed or is followed by something else than a comma, -2 for more
 * than max_cells cells. */
int bw_parser__csv_split(const char *line, size_t len, char *buf, struct bw_slice *cells,
                         size_t max_cells)
{
    size_t i = 0, o = 0, n = 0;

    for (;;) {
        if (n == max_cells)
            return -2;
        if (i < len && line[i] == '"') {
            size_t start = o;

            i++;
            for (;;) {
                if (i >= len)
                    return -1;
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        buf[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                buf[o++] = line[i++];
            }
            cells[n++] = (struct bw_slice){ buf + start, o - start };
            if (i < len && line[i] != ',')
                return -1;
        } else {
            const char *comma = memchr(line + i, ',', len - i);
            size_t end = comma != NULL ? (size_t)(comma - line) : len;

            cells[n++] = (struct bw_slice){ line + i, end - i };
            i = end;
        }
        if (i >= len)
            return (int)n;
        i++; /* the comma */
    }
}

/* "YYYY-MM-DD HH:MM:SS[.frac]" without a zone is UTC; a zone or 'Z' is honoured (RFC 3339);
 * a bare "YYYY-MM-DD" is midnight UTC. */
int bw_parser__feed_time(int64_t *out, const char *s, size_t len)
{
    char t[48];

    if (len < 10 || len > 32)
        return BW_EMALFORMED;
    if (bw_time_parse(out, s, len) == BW_OK)
        return BW_OK;
    memcpy(t, s, len);
    if (len == 10) {
        memcpy(t + len, "T00:00:00Z", 10);
        return bw_time_parse(out, t, len + 10);
    }
    t[len] = 'Z';
    return bw_time_parse(out, t, len + 1);
}

/* An address (net_len 0) or a prefix (net_len its length; a /32 or /128 is the address).
 * A /0 is refused: it would read as the address itself. */
int bw_parser__set_net(struct bw_report *r, const char *s, size_t len)
{
    struct bw_prefix p;

    if (memchr(s, '/', len) == NULL) {
        r->net_len = 0;
        return bw_addr_parse(&r->addr, s, len);
    }
    if (bw_prefix_parse(&p, s, len) != BW_OK || p.len == 0)
        return BW_EMALFORMED;
    r->addr = p.addr;
    r->net_len = p.len == 128 ? 0 : p.len;
    return BW_OK;
}

int bw_parser__feed_line(struct bw_parser *p, const char *line, size_t *len, struct bw_slice *s,
                         struct bw_parse_error *err)
{
    if (*len > 0 && line[*len - 1] == '\r')
        (*len)--;
    if (*len >= sizeof(p->scratch))
        return bw_parser__fail(err, BW_REJECT_LINE_TOO_LONG, "line over %zu bytes",
                               sizeof(p->scratch) - 1);
    *s = bw_parser__trim((struct bw_slice){ line, *len });
    if (s->len == 0)
        return 0;
    if (!bw_parser__utf8_ok(line, *len))
        return bw_parser__fail(err, BW_REJECT_INVALID_UTF8, "line is not valid UTF-8");
    return 1;
}
