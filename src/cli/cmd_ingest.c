/*
 * cli/cmd_ingest.c - botwatch ingest: files in, a summary out.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "parsers/parsers.h"
#include "pipeline/pipeline.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch ingest [--format auto|NAME] [--reporter NAME] [--batch N]\n"
            "                       [--mode normal|aggressive] [--year Y] [--category C]\n"
            "                       [--json] FILE...|-\n"
            "\n"
            "Reads evidence into the database. Every line is accepted, a duplicate of a stored\n"
            "report, or rejected under a named reason (first few shown on stderr); bad lines\n"
            "never stop the run. gzip input is read transparently; '-' reads standard input.\n"
            "\n"
            "  --format F      input format (default auto: recognised from the first line);\n"
            "                  'botwatch parse --help' lists them\n"
            "  --reporter NAME who reported it, overriding the reports' own 'reporter'\n"
            "  --batch N       reports per transaction (default from the config, 50000)\n"
            "  --json          print the summary as one JSON object\n"
            "  --mode, --year, --category   as for 'botwatch parse'\n"
            "\n"
            "Exit status: 0 when every input was read, 1 when one could not be, 2 on bad usage.\n");
}

static void print_text(const struct bw_ingest_stats *s)
{
    uint64_t rejected = bw_ingest_rejected_total(s);
    bool first = true;

    printf("ingest: %llu lines, %llu accepted, %llu duplicates, %llu rejected",
           (unsigned long long)s->lines, (unsigned long long)s->accepted,
           (unsigned long long)s->duplicates, (unsigned long long)rejected);
    for (int i = 0; i < BW_REJECT_COUNT; i++) {
        if (s->rejected[i] == 0)
            continue;
        printf("%s%s %llu", first ? " (" : ", ", bw_reject_name((enum bw_reject)i),
               (unsigned long long)s->rejected[i]);
        first = false;
    }
    printf("%s; %llu devices (%llu new)", first ? "" : ")", (unsigned long long)s->devices,
           (unsigned long long)s->new_devices);
    if (s->networks > 0)
        printf(", %llu networks", (unsigned long long)s->networks);
    printf("; %.2f s, %.0f reports/s", s->seconds,
           s->seconds > 0 ? (double)(s->accepted + s->duplicates) / s->seconds : 0.0);
    for (int i = 0; i < BW_INGEST_FORMATS_MAX && s->by_format[i].format != NULL; i++) {
        const struct bw_format_stats *f = &s->by_format[i];
        uint64_t n = 0;

        for (int r = 0; r < BW_REJECT_COUNT; r++)
            n += f->rejected[r];
        printf("%s%s: %llu lines, %llu rejected", i == 0 ? " [" : "; ", f->format,
               (unsigned long long)f->lines, (unsigned long long)n);
        for (int r = 0, k = 0; r < BW_REJECT_COUNT; r++) {
            if (f->rejected[r] > 0)
                printf("%s%s %llu", k++ ? ", " : " (", bw_reject_name((enum bw_reject)r),
                       (unsigned long long)f->rejected[r]);
        }
        if (n > 0)
            putchar(')');
    }
    printf("%s\n", s->by_format[0].format != NULL ? "]" : "");
}

static void print_json(const struct bw_ingest_stats *s)
{
    json_t *o = json_object(), *rej = json_object();

    for (int i = 0; i < BW_REJECT_COUNT; i++) {
        if (s->rejected[i] > 0)
            json_object_set_new(rej, bw_reject_name((enum bw_reject)i),
                                json_integer((json_int_t)s->rejected[i]));
    }
    json_object_set_new(o, "lines", json_integer((json_int_t)s->lines));
    json_object_set_new(o, "accepted", json_integer((json_int_t)s->accepted));
    json_object_set_new(o, "duplicates", json_integer((json_int_t)s->duplicates));
    json_object_set_new(o, "rejected", rej);
    json_object_set_new(o, "devices", json_integer((json_int_t)s->devices));
    json_object_set_new(o, "new_devices", json_integer((json_int_t)s->new_devices));
    json_object_set_new(o, "networks", json_integer((json_int_t)s->networks));
    json_object_set_new(o, "batches", json_integer((json_int_t)s->batches));
    json_object_set_new(o, "files_failed", json_integer((json_int_t)s->files_failed));
    json_object_set_new(o, "seconds", json_real(s->seconds));
    {
        json_t *fm = json_object();

        for (int i = 0; i < BW_INGEST_FORMATS_MAX && s->by_format[i].format != NULL; i++) {
            const struct bw_format_stats *f = &s->by_format[i];
            json_t *fr = json_object();

            for (int r = 0; r < BW_REJECT_COUNT; r++) {
                if (f->rejected[r] > 0)
                    json_object_set_new(fr, bw_reject_name((enum bw_reject)r),
                                        json_integer((json_int_t)f->rejected[r]));
            }
            json_object_set_new(fm, f->format,
                                json_pack("{s:I, s:I, s:o}", "files", (json_int_t)f->files,
                                          "lines", (json_int_t)f->lines, "rejected", fr));
        }
        json_object_set_new(o, "formats", fm);
    }
    json_object_set_new(o, "rate", json_real(s->seconds > 0 ? (double)(s->accepted +
                                                                s->duplicates) / s->seconds
                                                          : 0.0));
    json_dumpf(o, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(o);
}

int bw_cmd_ingest(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "reporter", required_argument, NULL, 'r' },
        { "batch", required_argument, NULL, 'b' },
        { "mode", required_argument, NULL, 'm' },
        { "year", required_argument, NULL, 'y' },
        { "category", required_argument, NULL, 'c' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct bw_ingest_opts o = {
        .format = "auto",
        .batch_reports = cli->conf.ingest_batch,
        .now_s = cli->now_s,
        .half_life_s = cli->conf.policy.half_life_s,
        .examples = cli->conf.ingest_examples,
    };
    struct bw_cli_enricher ce;
    struct bw_store *st;
    struct bw_ingest *in;
    struct bw_diag d;
    bool json = false, failed = false;
    uint64_t v;
    int c, rc;

    while ((c = getopt_long(argc, argv, "f:r:jhm:y:c:", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
        case 'y':
        case 'c':
            if (bw_cli_parser_option(c, optarg, &o.parser, "ingest") != BW_OK)
                return BW_EXIT_USAGE;
            break;
        case 'f': o.format = optarg; break;
        case 'r': o.reporter = optarg; break;
        case 'j': json = true; break;
        case 'b':
            if (bw_cli_parse_u64(optarg, 1, 1000000, &v) != BW_OK) {
                bw_cli_error("ingest", "--batch \"%s\" is not 1-1000000", optarg);
                return BW_EXIT_USAGE;
            }
            o.batch_reports = (size_t)v;
            break;
        case 'h': usage(stdout); return BW_EXIT_OK;
        default: usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        bw_cli_error("ingest", "no input given (a FILE or '-' for standard input)");
        return BW_EXIT_USAGE;
    }
    if (!bw_cli_known_format(o.format)) {
        bw_cli_error("ingest", "--format \"%s\" is not auto or a known format (see --help)",
                     o.format);
        return BW_EXIT_USAGE;
    }
    if (o.reporter != NULL && (o.reporter[0] == '\0' || strlen(o.reporter) >= BW_NAME_MAX)) {
        bw_cli_error("ingest", "--reporter must be 1-%d bytes", BW_NAME_MAX - 1);
        return BW_EXIT_USAGE;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    if (bw_cli_enricher_open(cli, st, BW_SRC_ALL, &ce) != BW_OK) {
        bw_cli_error("ingest", "%s: %s", cli->db_path, bw_store_errmsg(st));
        bw_store_close(st);
        return BW_EXIT_FAIL;
    }
    o.enricher = &ce.en;
    rc = bw_ingest_new(&in, st, &o);
    if (rc != BW_OK) {
        bw_cli_enricher_close(&ce);
        bw_store_close(st);
        return BW_EXIT_FAIL;
    }
    for (int i = optind; i < argc; i++) {
        d.msg[0] = '\0';
        rc = bw_ingest_file(in, argv[i], &d);
        if (rc == BW_OK)
            continue;
        bw_cli_error("ingest", "%s", d.msg[0] ? d.msg : bw_strerror(rc));
        failed = true;
        if (rc == BW_EBACKEND || rc == BW_EAGAIN || rc == BW_ENOMEM || rc == BW_ECONFLICT)
            break; /* the store failed: the remaining inputs would fail too */
    }
    d.msg[0] = '\0';
    rc = bw_ingest_finish(in, &d);
    if (rc != BW_OK) {
        bw_cli_error("ingest", "%s", d.msg[0] ? d.msg : bw_strerror(rc));
        failed = true;
    }
    if (json)
        print_json(bw_ingest_stats(in));
    else
        print_text(bw_ingest_stats(in));
    bw_ingest_free(in);
    bw_cli_enricher_close(&ce);
    bw_store_close(st);
    return failed ? BW_EXIT_FAIL : BW_EXIT_OK;
}
