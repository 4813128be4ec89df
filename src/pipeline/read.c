/*
 * pipeline/read.c - the input reader that ingest and parse share: open (gzip transparently,
 * '-' for standard input), split lines, enforce the line cap, check UTF-8, pick the format,
 * and hand each line to the parser.
 * Invariants:
 *  - Every line is counted exactly once: as parsed, blank, or rejected under a reason.
 *  - An over-long line is rejected once, however many reads it spans; memory stays bounded
 *    by one read chunk plus one maximal line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "pipeline/pipeline.h"

#define READ_CHUNK (1u << 20)

struct reader {
    const struct bw_read_opts *o;
    struct bw_parser *p;
    uint64_t lineno;
    int stop; /* non-zero once a callback asked to stop */
};

static void line_rejected(struct reader *r, enum bw_reject why, const char *detail)
{
    r->o->on_reject(r->o->ctx, r->lineno, why, detail);
}

static void one_line(struct reader *r, const char *line, size_t len)
{
    struct bw_parse_error err;
    int rc;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > BW_LINE_MAX) {
        line_rejected(r, BW_REJECT_LINE_TOO_LONG, "line over 64 KiB");
        return;
    }
    if (len == 0)
        return;
    if (!bw_utf8_valid(line, len)) {
        line_rejected(r, BW_REJECT_INVALID_UTF8, "the line is not valid UTF-8");
        return;
    }
    rc = bw_parser_line(r->p, line, len, r->lineno, r->o->on_report, r->o->ctx, &err);
    if (rc == BW_EMALFORMED)
        line_rejected(r, err.reason, err.detail);
    else if (rc < 0)
        r->stop = rc; /* the callback's own value: it asked to stop */
}

static int make_parser(struct reader *r, const char *path, const char *head, size_t len,
                       struct bw_diag *d)
{
    const char *fmt = r->o->format;

    if (strcmp(fmt, "auto") == 0) {
        fmt = bw_parser_detect(head, len);
        if (fmt == NULL)
            fmt = "ndjson";
    }
    r->p = bw_parser_new_opts(fmt, &r->o->parser);
    if (r->p == NULL) {
        bw_diag_set(d, "%s: unknown format \"%s\"", path, fmt);
        return BW_EINVAL;
    }
    if (r->o->on_format != NULL)
        r->o->on_format(r->o->ctx, r->p);
    return BW_OK;
}

int bw_read_file(const char *path, const struct bw_read_opts *o, uint64_t *lines,
                 struct bw_diag *d)
{
    bool is_stdin = strcmp(path, "-") == 0;
    gzFile gz = is_stdin ? gzdopen(dup(0), "rb") : gzopen(path, "rb");
    struct reader r = { .o = o };
    size_t have = 0;
    bool skipping = false;
    char *buf;
    int rc = BW_OK;

    if (gz == NULL) {
        rc = errno != 0 ? -errno : BW_EIO;
        bw_diag_set(d, "%s: cannot open (%s)", path, bw_strerror(rc));
        return rc;
    }
    gzbuffer(gz, 256 * 1024);
    buf = bw_xmalloc(READ_CHUNK + BW_LINE_MAX + 2);
    for (;;) {
        int n = gzread(gz, buf + have, READ_CHUNK);
        char *start = buf, *end, *nl;

        if (n < 0) {
            int errnum;
            const char *msg = gzerror(gz, &errnum);

            bw_diag_set(d, "%s: read error after line %llu (%s)", path,
                        (unsigned long long)r.lineno,
                        errnum == Z_ERRNO ? bw_strerror(-errno) : msg);
            rc = BW_EIO;
            break;
        }
        end = buf + have + n;
        if (r.lineno == 0 && r.p == NULL && end - buf >= 3 &&
            memcmp(buf, "\xef\xbb\xbf", 3) == 0)
            start += 3; /* a UTF-8 byte-order mark, as spreadsheet exports write */
        if (r.p == NULL && (n > 0 || have > 0)) {
            rc = make_parser(&r, path, start, (size_t)(end - start), d);
            if (rc != BW_OK)
                break;
        }
        while (start < end && r.stop == 0) {
            nl = memchr(start, '\n', (size_t)(end - start));
            if (nl == NULL)
                break;
            if (skipping) { /* the end of an over-long line, already counted */
                skipping = false;
                start = nl + 1;
                continue;
            }
            r.lineno++;
            one_line(&r, start, (size_t)(nl - start));
            start = nl + 1;
        }
        if (r.stop != 0)
            break;
        have = (size_t)(end - start);
        if (have > BW_LINE_MAX + 1) {
            /* an over-long line still going: count it once, drop bytes until its newline */
            if (!skipping) {
                r.lineno++;
                line_rejected(&r, BW_REJECT_LINE_TOO_LONG, "line over 64 KiB");
                skipping = true;
            }
            have = 0;
        } else {
            memmove(buf, start, have);
        }
        if (n == 0) {
            int errnum;

            (void)gzerror(gz, &errnum);
            if (errnum == Z_BUF_ERROR) { /* a gzip stream cut short: its last line is torn */
                bw_diag_set(d, "%s: truncated gzip data after line %llu", path,
                            (unsigned long long)r.lineno);
                rc = BW_EIO;
                break;
            }
            if (have > 0 && !skipping) { /* a last line without a newline */
                r.lineno++;
                one_line(&r, buf, have);
            }
            break;
        }
    }
    free(buf);
    bw_parser_free(r.p);
    gzclose(gz);
    *lines = r.lineno;
    if (rc == BW_OK && r.stop != 0)
        rc = r.stop;
    return rc;
}
