/*
 * cli/cmd_admin.c - the operator's commands: init, reporter, allow, status, config.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"

/* ---- init ---- */

int bw_cmd_init(struct bw_cli *cli, int argc, char **argv)
{
    struct bw_store *st;

    if (bw_cli_wants_help(argc, argv)) {
        printf("usage: botwatch init\n\nCreates the database at --db, or migrates it to the "
               "newest schema. Other commands do this themselves when needed.\n");
        return BW_EXIT_OK;
    }
    if (argc != 1) {
        bw_cli_error("init", "takes no arguments");
        return BW_EXIT_USAGE;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    printf("%s: schema version %d\n", cli->db_path, bw_store_schema_version(st));
    bw_store_close(st);
    return BW_EXIT_OK;
}

/* ---- status ---- */

int bw_cmd_status(struct bw_cli *cli, int argc, char **argv)
{
    struct bw_store_counts n;
    struct bw_store *st;
    bool json = argc == 2 && strcmp(argv[1], "--json") == 0;

    if (bw_cli_wants_help(argc, argv)) {
        printf("usage: botwatch status [--json]\n\nCounts of what the database holds.\n");
        return BW_EXIT_OK;
    }
    if (argc > 2 || (argc == 2 && !json)) {
        bw_cli_error("status", "usage: botwatch status [--json]");
        return BW_EXIT_USAGE;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    if (bw_store_counts(st, &n) != BW_OK) {
        bw_cli_error("status", "%s: %s", cli->db_path, bw_store_errmsg(st));
        bw_store_close(st);
        return BW_EXIT_FAIL;
    }
    if (json)
        printf("{\"schema\":%d,\"devices\":%llu,\"reports\":%llu,\"reporters\":%llu,"
               "\"allowlist\":%llu}\n", bw_store_schema_version(st),
               (unsigned long long)n.devices, (unsigned long long)n.reports,
               (unsigned long long)n.reporters, (unsigned long long)n.allowlist);
    else
        printf("%s: schema %d, %llu devices, %llu reports, %llu reporters, %llu allowlisted "
               "prefixes\n", cli->db_path, bw_store_schema_version(st),
               (unsigned long long)n.devices, (unsigned long long)n.reports,
               (unsigned long long)n.reporters, (unsigned long long)n.allowlist);
    bw_store_close(st);
    return BW_EXIT_OK;
}

/* ---- config ---- */

int bw_cmd_config(struct bw_cli *cli, int argc, char **argv)
{
    if (bw_cli_wants_help(argc, argv)) {
        printf("usage: botwatch [--config FILE] config\n\nPrints every setting in force, in "
               "the INI form a --config file takes.\n");
        return BW_EXIT_OK;
    }
    if (argc != 1) {
        bw_cli_error("config", "takes no arguments");
        return BW_EXIT_USAGE;
    }
    bw_config_print(&cli->conf, stdout);
    return BW_EXIT_OK;
}

/* ---- reporter ---- */

static void reporter_usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch reporter add NAME [--trust low|normal|high] [--org ORG]\n"
            "       botwatch reporter list [--json]\n"
            "\n"
            "A reporter first seen in a report is created with normal trust. 'high' marks a\n"
            "vetted source that may list an address alone; reporters of one --org count as one\n"
            "source for corroboration. 'add' on an existing reporter updates it.\n");
}

static int print_reporter(void *ctx, const struct bw_reporter *r, uint64_t reports,
                          uint64_t devices)
{
    json_t *arr = ctx;
    char t[BW_TIME_TEXT_MAX];

    if (arr == NULL) {
        printf("%-24s %-6s %-16s %10llu reports %8llu devices  since %s\n", r->name,
               bw_trust_name(r->trust), r->org[0] ? r->org : "-", (unsigned long long)reports,
               (unsigned long long)devices, bw_time_format(r->created_s, t));
        return 0;
    }
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s?, s:I, s:I, s:s}", "name", r->name,
                                         "trust", bw_trust_name(r->trust), "org",
                                         r->org[0] ? r->org : NULL, "reports", (json_int_t)reports,
                                         "devices", (json_int_t)devices, "created",
                                         bw_time_format(r->created_s, t)));
    return 0;
}

int bw_cmd_reporter(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "trust", required_argument, NULL, 't' },
        { "org", required_argument, NULL, 'o' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct bw_reporter r = { .trust = BW_TRUST_NORMAL, .created_s = cli->now_s };
    const char *trust = NULL, *org = NULL, *verb;
    struct bw_store *st;
    bool json = false;
    int c, rc;

    /* options may come before or after the verb and name: getopt moves them to the front */
    while ((c = getopt_long(argc, argv, "t:o:jh", opts, NULL)) != -1) {
        switch (c) {
        case 't': trust = optarg; break;
        case 'o': org = optarg; break;
        case 'j': json = true; break;
        case 'h': reporter_usage(stdout); return BW_EXIT_OK;
        default: reporter_usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        reporter_usage(stderr);
        return BW_EXIT_USAGE;
    }
    verb = argv[optind++];
    if (strcmp(verb, "list") == 0) {
        json_t *arr = json ? json_array() : NULL;

        if (optind != argc) {
            bw_cli_error("reporter", "list takes no arguments");
            json_decref(arr);
            return BW_EXIT_USAGE;
        }
        if (bw_cli_open_store(cli, &st) != BW_OK) {
            json_decref(arr);
            return BW_EXIT_FAIL;
        }
        rc = bw_store_reporter_list(st, print_reporter, arr);
        if (rc == BW_OK && arr != NULL) {
            json_dumpf(arr, stdout, JSON_COMPACT);
            putchar('\n');
        }
        json_decref(arr);
        if (rc != BW_OK)
            bw_cli_error("reporter", "%s: %s", cli->db_path, bw_store_errmsg(st));
        bw_store_close(st);
        return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
    }
    if (strcmp(verb, "add") != 0) {
        bw_cli_error("reporter", "unknown action \"%s\" (add or list)", verb);
        return BW_EXIT_USAGE;
    }
    if (optind + 1 != argc) {
        bw_cli_error("reporter", "add takes one NAME");
        return BW_EXIT_USAGE;
    }
    if (argv[optind][0] == '\0' || strlen(argv[optind]) >= BW_NAME_MAX) {
        bw_cli_error("reporter", "a reporter name is 1-%d bytes", BW_NAME_MAX - 1);
        return BW_EXIT_USAGE;
    }
    if (trust != NULL && bw_trust_parse(&r.trust, trust) != BW_OK) {
        bw_cli_error("reporter", "--trust \"%s\" is not low, normal or high", trust);
        return BW_EXIT_USAGE;
    }
    if (org != NULL && strlen(org) >= BW_NAME_MAX) {
        bw_cli_error("reporter", "--org is at most %d bytes", BW_NAME_MAX - 1);
        return BW_EXIT_USAGE;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    snprintf(r.name, sizeof(r.name), "%s", argv[optind]);
    if (trust == NULL || org == NULL) { /* keep what is not being changed */
        struct bw_reporter old;

        if (bw_store_reporter_get(st, r.name, &old) == BW_OK) {
            if (trust == NULL)
                r.trust = old.trust;
            if (org == NULL)
                snprintf(r.org, sizeof(r.org), "%s", old.org);
        }
    }
    if (org != NULL)
        snprintf(r.org, sizeof(r.org), "%s", org);
    rc = bw_store_reporter_put(st, &r);
    if (rc != BW_OK) {
        bw_cli_error("reporter", "%s: %s", cli->db_path, bw_store_errmsg(st));
        bw_store_close(st);
        return BW_EXIT_FAIL;
    }
    printf("reporter %s: trust %s%s%s\n", r.name, bw_trust_name(r.trust),
           r.org[0] ? ", org " : "", r.org);
    bw_store_close(st);
    return BW_EXIT_OK;
}

/* ---- allow ---- */

static void allow_usage(FILE *out)
{
    fprintf(out,
            "usage: botwatch allow add PREFIX [--note TEXT]\n"
            "       botwatch allow remove PREFIX\n"
            "       botwatch allow list [--json]\n"
            "\n"
            "Addresses under an allowlisted prefix (e.g. public resolvers, root servers) keep\n"
            "their reports but are never listed. PREFIX is an address or a CIDR prefix.\n");
}

static int print_allow(void *ctx, const struct bw_prefix *p, const char *note, int64_t added_s)
{
    json_t *arr = ctx;
    char pt[BW_PREFIX_TEXT_MAX], t[BW_TIME_TEXT_MAX];

    if (arr == NULL)
        printf("%-44s %s  %s\n", bw_prefix_format(p, pt), bw_time_format(added_s, t), note);
    else
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "prefix", bw_prefix_format(p, pt),
                                             "note", note, "added", bw_time_format(added_s, t)));
    return 0;
}

int bw_cmd_allow(struct bw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "note", required_argument, NULL, 'n' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *note = "", *verb;
    struct bw_store *st;
    struct bw_prefix p;
    bool json = false;
    int c, rc;

    if (bw_cli_wants_help(argc, argv)) {
        allow_usage(stdout);
        return BW_EXIT_OK;
    }
    while ((c = getopt_long(argc, argv, "n:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'n': note = optarg; break;
        case 'j': json = true; break;
        default: allow_usage(stderr); return BW_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        allow_usage(stderr);
        return BW_EXIT_USAGE;
    }
    verb = argv[optind++];
    if (strcmp(verb, "list") == 0) {
        json_t *arr = json ? json_array() : NULL;

        if (optind != argc) {
            bw_cli_error("allow", "list takes no arguments");
            json_decref(arr);
            return BW_EXIT_USAGE;
        }
        if (bw_cli_open_store(cli, &st) != BW_OK) {
            json_decref(arr);
            return BW_EXIT_FAIL;
        }
        rc = bw_store_allow_list(st, print_allow, arr);
        if (rc == BW_OK && arr != NULL) {
            json_dumpf(arr, stdout, JSON_COMPACT);
            putchar('\n');
        }
        json_decref(arr);
        bw_store_close(st);
        return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
    }
    if (strcmp(verb, "add") != 0 && strcmp(verb, "remove") != 0) {
        bw_cli_error("allow", "unknown action \"%s\" (add, remove or list)", verb);
        return BW_EXIT_USAGE;
    }
    if (optind + 1 != argc) {
        bw_cli_error("allow", "%s takes one PREFIX", verb);
        return BW_EXIT_USAGE;
    }
    if (bw_prefix_parse(&p, argv[optind], strlen(argv[optind])) != BW_OK) {
        bw_cli_error("allow", "\"%s\" is not an address or a CIDR prefix without host bits",
                     argv[optind]);
        return BW_EXIT_USAGE;
    }
    if (bw_cli_open_store(cli, &st) != BW_OK)
        return BW_EXIT_FAIL;
    if (verb[0] == 'a')
        rc = bw_store_allow_add(st, &p, note, cli->now_s);
    else
        rc = bw_store_allow_remove(st, &p);
    if (rc == BW_OK) {
        char pt[BW_PREFIX_TEXT_MAX];

        printf("allowlist: %s %s\n", verb[0] == 'a' ? "added" : "removed",
               bw_prefix_format(&p, pt));
    } else if (rc == BW_ECONFLICT || rc == BW_ENOTFOUND) {
        bw_cli_error("allow", "%s is %s the allowlist", argv[optind],
                     rc == BW_ECONFLICT ? "already on" : "not on");
    } else {
        bw_cli_error("allow", "%s: %s", cli->db_path, bw_store_errmsg(st));
    }
    bw_store_close(st);
    return rc == BW_OK ? BW_EXIT_OK : BW_EXIT_FAIL;
}
