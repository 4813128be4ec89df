/*
 * cli/main.c - the botwatch binary: global options, then one subcommand.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"

struct command {
    const char *name;
    int (*run)(struct bw_cli *cli, int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    { "init", bw_cmd_init, "create or migrate the database" },
    { "ingest", bw_cmd_ingest, "read evidence (logs, honeypots, IDS, feeds) into the database" },
    { "parse", bw_cmd_parse, "run the parsers without the store: reports as NDJSON" },
    { "lookup", bw_cmd_lookup, "what botwatch knows of one address, and why" },
    { "list", bw_cmd_list, "devices, listed or all, as text, CSV or JSON" },
    { "reporter", bw_cmd_reporter, "add reporters, set their trust, list them" },
    { "allow", bw_cmd_allow, "the allowlist: prefixes that are never listed" },
    { "simulate", bw_cmd_simulate, "write a realistic synthetic NDJSON report stream" },
    { "snapshot", bw_cmd_snapshot, "write or check a snapshot of what is listed" },
    { "export", bw_cmd_export, "the blocklist for firewalls, DNS servers and IDSs" },
    { "dnsbl", bw_cmd_dnsbl, "serve the blocklist over DNS (from a snapshot: a mirror)" },
    { "serve", bw_cmd_serve, "serve the HTTP API (and the DNSBL with --dns)" },
    { "key", bw_cmd_key, "API keys: add, list, revoke" },
    { "delist", bw_cmd_delist, "delisting requests: list, accept, reject" },
    { "notify", bw_cmd_notify, "tell the networks: build cases, escalate, deliver notices" },
    { "case", bw_cmd_case, "notification cases: list, show, ack, fixed, stats" },
    { "status", bw_cmd_status, "what the database holds" },
    { "data", bw_cmd_data, "fetch and compile the enrichment data sets" },
    { "enrich", bw_cmd_enrich, "re-enrich stored devices from the current data" },
    { "contact", bw_cmd_contact, "who answers for which networks: import, list, show" },
    { "vertical", bw_cmd_vertical, "operator overrides of network sectors" },
    { "advisory", bw_cmd_advisory, "remediation knowledge: import CISA's KEV catalog" },
    { "config", bw_cmd_config, "print the configuration in force" },
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch [--db PATH] [--now TIME] [--config FILE] [-v] COMMAND [ARGS]\n"
            "\n"
            "A registry of compromised devices: ingest evidence, score it, list what is\n"
            "corroborated, answer lookups.\n"
            "\n"
            "options:\n"
            "  --db PATH       database file (env BOTWATCH_DB; default botwatch.db)\n"
            "  --now TIME      fix the clock (RFC 3339 or Unix seconds), for tests and replays\n"
            "  --config FILE   settings file (env BOTWATCH_CONFIG); see 'botwatch config'\n"
            "  --data DIR      enrichment data (env BOTWATCH_DATA; default .cache/data)\n"
            "  -v, --verbose   log more (repeat for debug)\n"
            "  -h, --help      this help;  --version  the version\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < BW_ARRAY_LEN(commands); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'botwatch COMMAND --help' tells more about each.\n");
}

static int parse_now(const char *s, int64_t *out)
{
    uint64_t v;

    if (bw_cli_parse_u64(s, 0, (uint64_t)INT64_MAX, &v) == BW_OK) {
        *out = (int64_t)v;
        return BW_OK;
    }
    return bw_time_parse(out, s, strlen(s));
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' },
        { "now", required_argument, NULL, 'n' },
        { "config", required_argument, NULL, 'c' },
        { "data", required_argument, NULL, 'D' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct bw_cli cli = { .prog = "botwatch" };
    int verbose = 0, c;
    const char *now_text = NULL;

    if (sodium_init() < 0) {
        bw_cli_error("init", "libsodium could not start");
        return BW_EXIT_FAIL;
    }
    cli.db_path = getenv("BOTWATCH_DB");
    if (cli.db_path == NULL || cli.db_path[0] == '\0')
        cli.db_path = "botwatch.db";
    cli.data_dir = getenv("BOTWATCH_DATA");
    if (cli.data_dir == NULL || cli.data_dir[0] == '\0')
        cli.data_dir = ".cache/data";
    cli.config_path = getenv("BOTWATCH_CONFIG");
    if (cli.config_path != NULL && cli.config_path[0] == '\0')
        cli.config_path = NULL;
    /* "+": stop at the first non-option, which is the command */
    while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': cli.db_path = optarg; break;
        case 'n': now_text = optarg; break;
        case 'c': cli.config_path = optarg; break;
        case 'D': cli.data_dir = optarg; break;
        case 'v': verbose++; break;
        case 'h': usage(stdout); return BW_EXIT_OK;
        case 'V': printf("botwatch 0.1.0\n"); return BW_EXIT_OK;
        default: usage(stderr); return BW_EXIT_USAGE;
        }
    }
    bw_log_set_level(verbose >= 2 ? BW_LOG_DEBUG : verbose == 1 ? BW_LOG_INFO : BW_LOG_WARN);
    if (now_text != NULL) {
        if (parse_now(now_text, &cli.now_s) != BW_OK) {
            bw_cli_error("--now", "\"%s\" is not an RFC 3339 time or Unix seconds", now_text);
            return BW_EXIT_USAGE;
        }
        bw_time_set_now(cli.now_s);
    }
    cli.now_s = bw_time_now();
    if (optind >= argc) {
        usage(stderr);
        return BW_EXIT_USAGE;
    }
    if (bw_config_load(&cli.conf, cli.config_path) != BW_OK)
        return BW_EXIT_USAGE;
    for (size_t i = 0; i < BW_ARRAY_LEN(commands); i++) {
        if (strcmp(argv[optind], commands[i].name) == 0) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;

            optind = 0; /* glibc: 0 re-initialises getopt for the command's own argv */
            return commands[i].run(&cli, sub_argc, sub_argv);
        }
    }
    bw_cli_error(argv[optind], "unknown command (see 'botwatch --help')");
    return BW_EXIT_USAGE;
}
