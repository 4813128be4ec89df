/*
 * cli/cmd_parse.c - botwatch parse: the parsers without the store. Prints one native NDJSON
 * report per line (re-ingestable), each with the input `line` that completed it and its
 * `source` format; a summary goes to stderr.
 * Invariants:
 *  - parse judges nothing: non-public addresses and host names pass through.
 *  - JSON is written by hand (json_string() below escapes per RFC 8259) because this is the
 *    hot path of a translator meant to run at a million lines a second.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "parsers/parsers.h"
#include "pipeline/pipeline.h"

struct parse_run {
    struct bw_buf out;
    uint64_t reports;
    uint64_t rejected[BW_REJECT_COUNT];
    uint64_t shown[BW_REJECT_COUNT];
    unsigned examples;
    const char *path;
};

static int put(struct bw_buf *b, const char *s)
{
    return bw_buf_append(b, s, strlen(s));
}

/* Appends s as a JSON string. */
static int json_string(struct bw_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = s;
    int rc = bw_buf_append(b, "\"", 1);

    for (; rc == BW_OK && *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[6] = { '\\', 0, 0, 0, 0, 0 };
        size_t n = 2;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = bw_buf_append(b, run, (size_t)(s - run));
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (rc == BW_OK)
            rc = bw_buf_append(b, esc, n);
        run = s + 1;
    }
    if (rc == BW_OK)
        rc = bw_buf_append(b, run, (size_t)(s - run));
    if (rc == BW_OK)
        rc = bw_buf_append(b, "\"", 1);
    return rc;
}

static int field(struct bw_buf *b, const char *name, const char *value)
{
    int rc;

    if (value == NULL)
        return BW_OK;
    rc = bw_buf_printf(b, ",\"%s\":", name);
    return rc == BW_OK ? json_string(b, value) : rc;
}

static int print_report(void *ctx, const struct bw_report *r)
{
    struct parse_run *pr = ctx;
    struct bw_buf *b = &pr->out;
    char text[BW_PREFIX_TEXT_MAX], t[BW_TIME_TEXT_MAX];
    int rc, n = 0;

    if (r->host != NULL) {
        rc = put(b, "{\"host\":");
        if (rc == BW_OK)
            rc = json_string(b, r->host);
    } else if (r->net_len > 0) {
        struct bw_prefix p = { .addr = r->addr, .len = r->net_len };

        rc = bw_buf_printf(b, "{\"ip\":\"%s\"", bw_prefix_format(&p, text));
    } else {
        rc = bw_buf_printf(b, "{\"ip\":\"%s\"", bw_addr_format(&r->addr, text));
    }
    if (rc == BW_OK)
        rc = bw_buf_printf(b, ",\"time\":\"%s\",\"category\":", bw_time_format(r->time_s, t));
    for (int c = 0; c < BW_CAT_COUNT; c++)
        n += (r->cats >> c) & 1;
    if (rc == BW_OK && n != 1)
        rc = put(b, "[");
    for (int c = 0, k = 0; rc == BW_OK && c < BW_CAT_COUNT; c++) {
        if ((r->cats >> c) & 1)
            rc = bw_buf_printf(b, "%s\"%s\"", k++ ? "," : "",
                               bw_category_name((enum bw_category)c));
    }
    if (rc == BW_OK && n != 1)
        rc = put(b, "]");
    if (rc == BW_OK && r->port != 0)
        rc = bw_buf_printf(b, ",\"port\":%u", r->port);
    if (rc == BW_OK && r->proto == BW_PROTO_TCP)
        rc = put(b, ",\"proto\":\"tcp\"");
    else if (rc == BW_OK && r->proto == BW_PROTO_UDP)
        rc = put(b, ",\"proto\":\"udp\"");
    else if (rc == BW_OK && r->proto == BW_PROTO_ICMP)
        rc = put(b, ",\"proto\":\"icmp\"");
    else if (rc == BW_OK && r->proto != 0)
        rc = bw_buf_printf(b, ",\"proto\":%u", r->proto);
    if (rc == BW_OK)
        rc = field(b, "reporter", r->reporter);
    if (rc == BW_OK)
        rc = field(b, "evidence", r->evidence);
    if (rc == BW_OK)
        rc = field(b, "banner", r->banner);
    if (rc == BW_OK)
        rc = field(b, "service", r->service);
    if (rc == BW_OK)
        rc = field(b, "controller", r->controller);
    if (rc == BW_OK)
        rc = field(b, "family", r->family);
    if (rc == BW_OK)
        rc = field(b, "target", r->target);
    if (rc == BW_OK)
        rc = field(b, "device_vendor", r->device_vendor);
    if (rc == BW_OK)
        rc = field(b, "device_type", r->device_type);
    if (rc == BW_OK)
        rc = field(b, "device_model", r->device_model);
    if (rc == BW_OK && r->seq != 0)
        rc = bw_buf_printf(b, ",\"seq\":%u", r->seq);
    if (rc == BW_OK)
        rc = bw_buf_printf(b, ",\"line\":%llu", (unsigned long long)r->line);
    if (rc == BW_OK)
        rc = field(b, "source", r->source);
    if (rc == BW_OK)
        rc = put(b, "}\n");
    if (rc != BW_OK)
        return rc;
    pr->reports++;
    if (b->len >= (1u << 16)) {
        if (fwrite(b->data, 1, b->len, stdout) != b->len)
            return BW_EIO;
        bw_buf_reset(b);
    }
    return 0;
}

static void on_reject(void *ctx, uint64_t lineno, enum bw_reject why, const char *detail)
{
    struct parse_run *pr = ctx;

    pr->rejected[why]++;
    if (pr->shown[why]++ < pr->examples)
        bw_log_warn("parse: %s:%llu: %s (%s)", pr->path, (unsigned long long)lineno,
                    bw_reject_name(why), detail);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch parse [--format auto|NAME] [--mode normal|aggressive] [--year Y]\n"
            "                      [--category C] FILE...|-\n"
            "\n"
            "Runs the parsers without the store: one native NDJSON report per line on stdout,\n"
            "each with 'line' (the input line that completed it) and 'source' (the format);\n"
            "rejected lines are counted in a summary on stderr. Addresses are not judged:\n"
            "non-public ones pass through, and host names appear as 'host'.\n"
            "\n"
            "  --format F      auto (default) or one of:");
    for (size_t i = 0; bw_parser_formats[i] != NULL; i++)
        fprintf(out, " %s", bw_parser_formats[i]);
    fprintf(out, "\n"
                 "  --mode M        sshd: fail2ban's normal (default) or aggressive failures\n"
                 "  --year Y        syslog lines carry no year: use Y instead of inferring it\n"
                 "  --category C    what a plain list (ipset) means (default scan)\n");
}

int bw_cli_parser_option(int c, const char *arg, struct bw_parser_opts *o, const char *cmd)
{
    uint64_t v;
    enum bw_category cat;

    switch (c) {
    case 'm':
        if (strcmp(arg, "normal") == 0) {
            o->mode = BW_MODE_NORMAL;
        } else if (strcmp(arg, "aggressive") == 0) {
            o->mode = BW_MODE_AGGRESSIVE;
        } else {
            bw_cli_error(cmd, "--mode \"%s\" is not normal or aggressive", arg);
            return BW_EMALFORMED;
        }
        return BW_OK;
    case 'y':
        if (bw_cli_parse_u64(arg, 1970, 9999, &v) != BW_OK) {
            bw_cli_error(cmd, "--year \"%s\" is not 1970-9999", arg);
            return BW_EMALFORMED;
        }
        o->year = (int)v;
        return BW_OK;
    case 'c':
        if (bw_category_parse(&cat, arg, strlen(arg)) != BW_OK) {
            bw_cli_error(cmd, "--category \"%s\" is not a category (see docs/formats.md)", arg);
            return BW_EMALFORMED;
        }
        o->category |= 1u << cat;
        return BW_OK;
    }
    return BW_EINVAL;
}

bool bw_cli_known_format(const char *f)
{
    if (strcmp(f, "auto") == 0)
        return true;
    for (size_t i = 0; bw_parser_formats[i] != NULL; i++) {
        if (strcmp(f, bw_parser_formats[i]) == 0)
            return true;
    }
    return false;
}

int bw_cmd_parse(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "mode", required_argument, NULL, 'm' },
        { "year", required_argument, NULL, 'y' },
        { "category", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct parse_run pr = { .examples = cli->conf.ingest_examples };
    struct bw_read_opts ro = {
        .format = "auto",
        .parser = { .now_s = cli->now_s },
        .on_report = print_report,
        .on_reject = on_reject,
        .ctx = &pr,
    };
    uint64_t lines = 0, rejected = 0;
    bool failed = false;
    int c, rc;

    while ((c = getopt_long(argc, argv, "f:m:y:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': ro.format = optarg; break;
        case 'm':
        case 'y':
        case 'c':
            if (bw_cli_parser_option(c, optarg, &ro.parser, "parse") != BW_OK)
                return BW_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return BW_EXIT_OK;
        default: usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        bw_cli_error("parse", "no input given (a FILE or '-' for standard input)");
        return BW_EXIT_USAGE;
    }
    if (!bw_cli_known_format(ro.format)) {
        bw_cli_error("parse", "--format \"%s\" is not auto or a known format", ro.format);
        return BW_EXIT_USAGE;
    }
    bw_buf_init(&pr.out, 0);
    for (int i = optind; i < argc; i++) {
        struct bw_diag d = { "" };
        uint64_t n = 0;

        pr.path = strcmp(argv[i], "-") == 0 ? "stdin" : argv[i];
        rc = bw_read_file(argv[i], &ro, &n, &d);
        lines += n;
        if (rc != BW_OK) {
            bw_cli_error("parse", "%s", d.msg[0] ? d.msg : bw_strerror(rc));
            failed = true;
        }
    }
    if (pr.out.len > 0 && fwrite(pr.out.data, 1, pr.out.len, stdout) != pr.out.len)
        failed = true;
    if (fflush(stdout) != 0)
        failed = true;
    bw_buf_cleanup(&pr.out);
    for (int i = 0; i < BW_REJECT_COUNT; i++)
        rejected += pr.rejected[i];
    fprintf(stderr, "parse: %llu lines, %llu reports, %llu rejected",
            (unsigned long long)lines, (unsigned long long)pr.reports,
            (unsigned long long)rejected);
    for (int i = 0, k = 0; i < BW_REJECT_COUNT; i++) {
        if (pr.rejected[i] > 0)
            fprintf(stderr, "%s%s %llu", k++ ? ", " : " (", bw_reject_name((enum bw_reject)i),
                    (unsigned long long)pr.rejected[i]);
    }
    fprintf(stderr, "%s\n", rejected > 0 ? ")" : "");
    return failed ? BW_EXIT_FAIL : BW_EXIT_OK;
}
